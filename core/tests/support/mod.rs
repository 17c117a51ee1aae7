//! What every chaos gate shares: the failure report (each violation with the one-line command
//! that replays it) and coverage floors.
// Each gate uses the part it needs.
#![allow(dead_code)]

use netsplit_core::run::chaos::{ChaosOptions, ConfigMode, SeedReport};

/// The command line that replays seed `seed` of a chaos run with `options`.
pub fn repro(protocol: &str, options: &ChaosOptions, seed: u64) -> String {
    let mut cmd = format!("cargo run --release -p netsplit-cli -- chaos --protocol {protocol}");
    match options.mode {
        ConfigMode::Swarm => {
            cmd.push_str(" --config swarm");
            if options.pin_nodes {
                cmd.push_str(&format!(" --nodes {}", options.nodes));
            }
            if options.pin_clients {
                cmd.push_str(&format!(" --clients {}", options.clients));
            }
        }
        ConfigMode::Default => cmd.push_str(&format!(
            " --config default --nodes {} --clients {}",
            options.nodes, options.clients
        )),
    }
    let f = &options.faults;
    for (on, flag) in [
        (f.loss, "--no-loss"),
        (f.duplication, "--no-duplication"),
        (f.reordering, "--no-reordering"),
        (f.partitions, "--no-partitions"),
        (f.crashes, "--no-crashes"),
        (f.pauses, "--no-pauses"),
        (f.timeouts, "--no-timeouts"),
    ] {
        if !on {
            cmd.push(' ');
            cmd.push_str(flag);
        }
    }
    format!("{cmd} --events {} --seed {seed} --trace", options.events)
}

/// Every violation in `reports`, each with its seed and a repro command.
pub fn failures(protocol: &str, options: &ChaosOptions, reports: &[SeedReport]) -> Vec<String> {
    reports
        .iter()
        .flat_map(|r| {
            r.violations.iter().map(move |v| {
                format!(
                    "seed {} (event {}, t={}): {} — {}\n  repro: {}",
                    r.seed,
                    v.event,
                    v.at,
                    v.checker,
                    v.detail,
                    repro(protocol, options, r.seed)
                )
            })
        })
        .collect()
}

/// Fail, listing every violation with its repro command, unless there are none.
pub fn assert_no_violations(protocol: &str, options: &ChaosOptions, reports: &[SeedReport]) {
    let failures = failures(protocol, options, reports);
    assert!(
        failures.is_empty(),
        "{} violation(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The end-of-run verdicts of `reports` are sound: every seed ran events and checked client
/// operations (the checkers really ran), no history was malformed, and at most 0.1 % of the
/// keys checked for linearizability (protocols that check per key) ran out of budget
/// (`Unknown`).
pub fn assert_verdicts(protocol: &str, options: &ChaosOptions, reports: &[SeedReport]) {
    let idle: Vec<u64> = reports
        .iter()
        .filter(|r| r.events == 0 || r.verdicts.ops == 0)
        .map(|r| r.seed)
        .collect();
    assert!(
        idle.is_empty(),
        "{protocol}: seeds with no events or no checked operation: {idle:?} (repro: {})",
        repro(protocol, options, idle[0])
    );
    let errors: u64 = reports.iter().map(|r| r.verdicts.errors).sum();
    assert_eq!(errors, 0, "{protocol}: malformed client histories");
    let keys: u64 = reports.iter().map(|r| r.verdicts.keys).sum();
    let unknown: u64 = reports.iter().map(|r| r.verdicts.unknown).sum();
    let unknown_seeds: Vec<u64> = reports
        .iter()
        .filter(|r| r.verdicts.unknown > 0)
        .map(|r| r.seed)
        .collect();
    println!(
        "{protocol}: {keys} keys checked at the end, {unknown} out of budget (seeds {unknown_seeds:?})"
    );
    assert!(
        unknown * 1000 <= keys,
        "{protocol}: {unknown} of {keys} keys out of budget (more than 0.1 %), seeds {unknown_seeds:?}"
    );
}

/// The share of seeds for which `pred` holds.
pub fn share(reports: &[SeedReport], pred: impl Fn(&SeedReport) -> bool) -> f64 {
    reports.iter().filter(|r| pred(r)).count() as f64 / reports.len().max(1) as f64
}

/// Print every `(what, share, floor)` and fail listing the ones below their floor.
pub fn assert_floors(floors: &[(&str, f64, f64)]) {
    let mut low = Vec::new();
    for (what, got, floor) in floors {
        println!(
            "coverage: {:5.1}% of seeds had {what} (floor {:.0}%)",
            got * 100.0,
            floor * 100.0
        );
        if got < floor {
            low.push(format!(
                "{what}: {:.1}% < {:.0}%",
                got * 100.0,
                floor * 100.0
            ));
        }
    }
    assert!(low.is_empty(), "coverage floor missed: {low:?}");
}
