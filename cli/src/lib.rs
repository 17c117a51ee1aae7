//! `netsplit` — the headless side of the netsplit playground, as a library over a protocol
//! registry (the binary passes [`Registry::builtin`]; a test can pass a registry with one more
//! protocol and drive every command through it).
//!
//! - `netsplit run` runs a scenario (from flags or a file) and prints its trace.
//! - `netsplit chaos` runs many seeds of random faults with every checker on and reports
//!   violations (exit code 1) and coverage.
//! - `netsplit bench` measures simulator throughput.
//! - `netsplit compare` puts the Dynamo-style store's consistency levels side by side.
//! - `netsplit protocols` lists the registered protocols.
//! - `netsplit bench-raft` (feature `tikv-compare`) measures Raft's commit path against tikv's
//!   `raft` crate in one in-memory harness.

#![deny(missing_docs)]

mod chaos_cmd;
mod compare_cmd;
mod cpu;
mod duration;
pub mod output;
#[cfg(feature = "tikv-compare")]
pub mod raft_bench;
mod run_cmd;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use netsplit_core::run::registry::Registry;
use std::ffi::OsString;
use std::process::ExitCode;

/// Deterministic simulations of distributed protocols, headless.
#[derive(Parser, Debug)]
#[command(name = "netsplit", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one simulation and print its trace.
    Run(run_cmd::RunArgs),
    /// Run many seeds of random faults with invariant checking.
    Chaos(chaos_cmd::ChaosArgs),
    /// Measure simulator throughput (events per second).
    Bench(run_cmd::BenchArgs),
    /// CAP side by side: the Dynamo-style store under LOCAL, EVENTUAL and STRONG.
    Compare(compare_cmd::CompareArgs),
    /// List the registered protocols.
    Protocols,
    /// Raft's commit path: netsplit's servers against tikv's `raft` crate (commits/s).
    #[cfg(feature = "tikv-compare")]
    BenchRaft(raft_bench::BenchRaftArgs),
}

/// The `--protocol` argument of a subcommand: its choices (and help) come from `registry`;
/// older ids are accepted but not listed.
fn protocol_arg(registry: &Registry, arg: clap::Arg) -> clap::Arg {
    let mut values: Vec<PossibleValue> = Vec::new();
    for p in registry.iter() {
        values.push(PossibleValue::new(p.id()).help(p.label()));
        for alias in p.aliases() {
            values.push(PossibleValue::new(*alias).hide(true));
        }
    }
    let default = registry.default_protocol().map_or("", |p| p.id());
    arg.value_parser(PossibleValuesParser::new(values))
        .required(false)
        .default_value(default)
}

/// The command line, with every `--protocol` reading `registry`.
fn command(registry: &Registry) -> clap::Command {
    let mut cmd = Cli::command();
    for sub in ["run", "chaos", "bench"] {
        cmd = cmd.mut_subcommand(sub, |c| {
            c.mut_arg("protocol", |a| protocol_arg(registry, a))
        });
    }
    cmd
}

/// Run the command line `args` (program name first) against `registry`; errors print to
/// stderr and exit 2, as the binary does.
pub fn main_with(
    registry: &Registry,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> ExitCode {
    let matches = match command(registry).try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            // Help and version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Run(args) => run_cmd::run(registry, args),
        Command::Chaos(args) => chaos_cmd::chaos(registry, args),
        Command::Bench(args) => run_cmd::bench(registry, args),
        Command::Compare(args) => compare_cmd::compare_cmd(args),
        #[cfg(feature = "tikv-compare")]
        Command::BenchRaft(args) => raft_bench::bench_raft(args),
        Command::Protocols => {
            for p in registry.iter() {
                let range = p.servers();
                let aliases = if p.aliases().is_empty() {
                    String::new()
                } else {
                    format!(" (also: {})", p.aliases().join(", "))
                };
                outln!(
                    "{:<8} {} — {}; {}–{} servers (default {}){aliases}",
                    p.id(),
                    p.label(),
                    p.summary(),
                    range.min,
                    range.max,
                    range.default
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
