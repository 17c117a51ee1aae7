//! `netsplit` — the headless side of the netsplit playground.
//!
//! - `netsplit run` runs a scenario (from flags or a file) and prints its trace.
//! - `netsplit chaos` runs many seeds of random faults with every checker on and reports
//!   violations (exit code 1) and coverage.
//! - `netsplit bench` measures simulator throughput.
//! - `netsplit compare` puts the Dynamo-style store's consistency levels side by side.

mod chaos_cmd;
mod compare_cmd;
mod duration;
mod output;
mod run_cmd;

use clap::{Parser, Subcommand};
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run_cmd::run(args),
        Command::Chaos(args) => chaos_cmd::chaos(args),
        Command::Bench(args) => run_cmd::bench(args),
        Command::Compare(args) => compare_cmd::compare_cmd(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
