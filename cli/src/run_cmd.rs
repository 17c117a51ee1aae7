//! `netsplit run` and `netsplit bench`.

use crate::duration::parse_ms;
use clap::Args;
use netsplit_core::run::registry::Registry;
use netsplit_core::run::tour::markdown;
use netsplit_core::run::tour::runner::{check_captions, TourReport};
use netsplit_core::{Scenario, Time};
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `netsplit run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (JSON) to run, or `gallery:NAME` for a built-in one; flags below are
    /// ignored except --until, --json and --summary.
    #[arg(long, value_name = "FILE")]
    scenario: Option<std::path::PathBuf>,
    /// Protocol to simulate (`netsplit protocols` lists them).
    #[arg(long)]
    protocol: String,
    /// Number of servers (default: the protocol's usual size).
    #[arg(long)]
    nodes: Option<usize>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Virtual time to run until (e.g. 10s, 500ms, 2m).
    #[arg(long, value_parser = parse_ms, value_name = "DURATION")]
    until: Option<u64>,
    /// Print one JSON object (trace lines, violations, counters, final snapshot).
    #[arg(long)]
    json: bool,
    /// Print only the summary, not the trace.
    #[arg(long, conflicts_with = "json")]
    summary: bool,
    /// The protocol's configuration as a JSON object (a scenario's `config`), e.g.
    /// '{"byzantine": {"n1": "equivocate"}}' for PBFT; ignored with --scenario.
    #[arg(long, value_name = "JSON")]
    config_json: Option<String>,
}

/// The `--config-json` text as a scenario's `config`: a JSON object, or why not.
pub fn parse_config_json(text: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(other) => Err(format!(
            "--config-json: expected a JSON object like '{{\"key\": value}}', got {other}"
        )),
        Err(e) => Err(format!("--config-json: not JSON: {e}")),
    }
}

/// Arguments of `netsplit bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Protocol to measure (`netsplit protocols` lists them).
    #[arg(long)]
    protocol: String,
    /// Number of servers.
    #[arg(long, default_value_t = 5)]
    nodes: usize,
    /// Events per round.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Rounds (the best is reported).
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Record the trace while running (slower; what the UI does).
    #[arg(long)]
    trace: bool,
}

fn load(registry: &Registry, args: &RunArgs) -> Result<Scenario, String> {
    if let Some(path) = &args.scenario {
        if let Some(name) = path.to_str().and_then(|p| p.strip_prefix("gallery:")) {
            return registry.load_gallery(name).map_err(|e| e.to_string());
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return Scenario::from_json(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    let protocol = registry
        .resolve(&args.protocol, "--protocol")
        .map_err(|e| e.to_string())?;
    let mut s = Scenario::new(protocol.id(), args.seed);
    s.cluster.nodes = args.nodes.unwrap_or(protocol.servers().default);
    s.validate()
        .map_err(|e| format!("--nodes: {}", e.message))?;
    if let Some(text) = &args.config_json {
        s.config = parse_config_json(text)?;
    }
    Ok(s)
}

/// `netsplit run`.
pub fn run(registry: &Registry, args: RunArgs) -> Result<ExitCode, String> {
    let scenario = load(registry, &args)?;
    let until = Time(args.until.or(scenario.end().map(|t| t.0)).unwrap_or(10_000));
    if until.0 > netsplit_core::run::scenario::MAX_TIME_MS {
        return Err(format!(
            "--until: at most {} ms (one hour) of virtual time",
            netsplit_core::run::scenario::MAX_TIME_MS
        ));
    }
    let mut p = registry.build(&scenario).map_err(|e| e.to_string())?;
    p.run_until(until, u64::MAX);
    // A narrated scenario: play its captions (on a second copy of the run, which stops at the
    // last caption) and decide every expectation.
    let tour = if scenario.captions.is_empty() {
        None
    } else {
        Some(check_captions(registry, &scenario).map_err(|e| e.to_string())?)
    };
    let lines: Vec<String> = (0..p.trace_len())
        .filter_map(|i| p.trace_line(i))
        .map(|l| l.text)
        .collect();
    if args.json {
        let out = serde_json::json!({
            "protocol": p.protocol(),
            "seed": scenario.seed,
            "until": until,
            "events": p.events(),
            "trace_hash": format!("{:016x}", p.trace_hash()),
            "trace": lines,
            "violations": p.violations(),
            "refused": p.refused().iter().map(|(t, m)| serde_json::json!({"at": t, "reason": m})).collect::<Vec<_>>(),
            "counters": p.counters(),
            "snapshot": p.snapshot(),
        });
        let mut out = out;
        if let Some(report) = &tour {
            out["captions"] = serde_json::to_value(report).unwrap_or_default();
        }
        crate::outln!("{out}");
    } else {
        if !args.summary {
            for l in &lines {
                crate::outln!("{l}");
            }
        }
        for (t, reason) in p.refused() {
            eprintln!("warning: action at t={t} refused: {reason}");
        }
        let snap = p.snapshot();
        let roles: Vec<String> = snap
            .nodes
            .iter()
            .map(|n| {
                format!(
                    "{}:{}{}",
                    n.id,
                    n.view.role.name(),
                    n.view.term.map(|t| format!("@{t}")).unwrap_or_default()
                )
            })
            .collect();
        crate::outln!(
            "# end t={} events={} trace_hash={:016x} violations={} nodes: {}",
            p.now(),
            p.events(),
            p.trace_hash(),
            p.violations().len(),
            roles.join(" ")
        );
        for v in p.violations() {
            crate::outln!("# VIOLATION t={} {}", v.at, v);
        }
        if let Some(report) = &tour {
            print_captions(&scenario, report);
        }
    }
    let captions_ok = tour.as_ref().is_none_or(|r| r.all_met());
    Ok(if p.violations().is_empty() && captions_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Print each caption with ✓/✗ per expectation and the reason.
fn print_captions(scenario: &Scenario, report: &TourReport) {
    let n = report.steps.len();
    crate::outln!("# tour: {n} captions, stops at t={}", report.ends_at);
    for step in &report.steps {
        let Some(caption) = scenario.captions.get(step.index) else {
            continue;
        };
        let when = step
            .fired_at
            .map_or_else(|| "never fired".to_string(), |t| format!("t={t}"));
        let text = markdown::plain(&caption.spans()).replace('\n', " ");
        crate::outln!("# [{}/{n}] {when} {text}", step.index + 1);
        for c in &step.checks {
            let mark = if c.verdict.met { "✓" } else { "✗" };
            let claim = serde_json::to_string(&c.expectation).unwrap_or_default();
            crate::outln!("#     {mark} {claim}: {}", c.verdict.reason);
        }
    }
    let failures = report.failures();
    if failures.is_empty() {
        crate::outln!("# captions: every expectation met");
    } else {
        for f in failures {
            crate::outln!("# CAPTION FAILED {f}");
        }
    }
}

/// `netsplit bench`: events per second of one protocol's default scenario (seed 7), checkers
/// on, best of several rounds.
pub fn bench(registry: &Registry, args: BenchArgs) -> Result<ExitCode, String> {
    if args.events == 0 || args.rounds == 0 {
        return Err("--events and --rounds must be at least 1".into());
    }
    let protocol = registry
        .resolve(&args.protocol, "--protocol")
        .map_err(|e| e.to_string())?;
    let mut scenario = Scenario::new(protocol.id(), 7);
    scenario.cluster.nodes = args.nodes;
    scenario.cluster.record_trace = args.trace;
    let mut best = f64::MAX;
    for _ in 0..args.rounds {
        let mut p = registry
            .build(&scenario)
            .map_err(|e| format!("--nodes: {e}"))?;
        let start = Instant::now();
        let mut done = 0;
        while done < args.events && p.step() {
            done += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        if done != args.events {
            return Err(format!("simulation stopped after {done} events"));
        }
        best = best.min(secs);
    }
    crate::outln!(
        "{} {} nodes{}: {:.2} M events/s (best of {} rounds of {} events)",
        protocol.id(),
        args.nodes,
        if args.trace { " with trace" } else { "" },
        args.events as f64 / best / 1e6,
        args.rounds,
        args.events
    );
    Ok(ExitCode::SUCCESS)
}
