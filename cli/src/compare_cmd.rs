//! `netsplit compare`: the CAP table of the Dynamo-style store — one seed, one fault schedule,
//! one workload, run under LOCAL, EVENTUAL and STRONG.

use clap::Args;
use netsplit_core::protocols::dynamo::compare::{compare, scenario, CompareOptions};
use netsplit_core::protocols::dynamo::ConflictMode;
use netsplit_core::protocols::dynamo::Level;
use std::process::ExitCode;

/// Arguments of `netsplit compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Seed of the workload, the faults and the simulation.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Servers (3–9).
    #[arg(long, default_value_t = 5)]
    nodes: usize,
    /// Simulated clients (1–8).
    #[arg(long, default_value_t = 3)]
    clients: usize,
    /// Conflict resolution: siblings, lww or set.
    #[arg(long, default_value = "siblings")]
    conflict: String,
    /// Per-node clock skew in ms for LWW, comma-separated (e.g. 0,-400,300).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    skew: Vec<i64>,
    /// Random message loss while the workload runs (0–0.5).
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// How long the clients issue commands (e.g. 20s).
    #[arg(long, default_value = "20s")]
    workload: String,
    /// Print one JSON object instead of the text table.
    #[arg(long)]
    json: bool,
    /// Print the scenario of one row (local, eventual or strong) as JSON instead, to replay it
    /// with `netsplit run --scenario FILE` or open it in the page.
    #[arg(long, value_name = "LEVEL")]
    scenario: Option<String>,
}

/// `netsplit compare`.
pub fn compare_cmd(args: CompareArgs) -> Result<ExitCode, String> {
    let conflict = match args.conflict.as_str() {
        "siblings" => ConflictMode::Siblings,
        "lww" => ConflictMode::Lww,
        "set" => ConflictMode::Set,
        other => {
            return Err(format!(
                "--conflict: unknown mode {other:?}; use siblings, lww or set"
            ))
        }
    };
    let options = CompareOptions {
        seed: args.seed,
        nodes: args.nodes,
        clients: args.clients,
        conflict,
        clock_skew_ms: args.skew.clone(),
        loss: args.loss,
        workload_ms: crate::duration::parse_ms(&args.workload)
            .map_err(|e| format!("--workload: {e}"))?,
    };
    options
        .validate()
        .map_err(|e| format!("--{}: {}", e.path.replace('_', "-"), e.message))?;
    if let Some(level) = &args.scenario {
        let level = match level.as_str() {
            "local" => Level::Local,
            "eventual" => Level::Eventual,
            "strong" => Level::Strong,
            other => {
                return Err(format!(
                    "--scenario: unknown level {other:?}; use local, eventual or strong"
                ))
            }
        };
        crate::outln!("{}", scenario(&options, level).to_json());
        return Ok(ExitCode::SUCCESS);
    }
    let table = compare(&options).map_err(|e| e.to_string())?;
    if args.json {
        let json = serde_json::to_string(&table).map_err(|e| e.to_string())?;
        crate::outln!("{json}");
    } else {
        for line in table.to_text().lines() {
            crate::outln!("{line}");
        }
    }
    // Safety violations in any row are bugs: exit 1 as chaos does.
    Ok(if table.rows.iter().all(|r| r.violations == 0) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
