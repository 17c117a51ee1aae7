//! What every chaos gate shares: the failure report (each violation with the one-line command
//! that replays it) and coverage floors.
// Each gate uses the part it needs.
#![allow(dead_code)]

use netsplit_core::run::chaos::SeedReport;

/// Every violation in `reports`, each with its seed and a repro command.
pub fn failures(protocol: &str, nodes: usize, events: u64, reports: &[SeedReport]) -> Vec<String> {
    reports
        .iter()
        .flat_map(|r| {
            r.violations.iter().map(move |v| {
                format!(
                    "seed {} (event {}, t={}): {} — {}\n  repro: cargo run -p netsplit-cli -- chaos --protocol {protocol} --nodes {nodes} --clients 3 --events {events} --seed {} --trace",
                    r.seed, v.event, v.at, v.checker, v.detail, r.seed
                )
            })
        })
        .collect()
}

/// Fail, listing every violation with its repro command, unless there are none.
pub fn assert_no_violations(protocol: &str, nodes: usize, events: u64, reports: &[SeedReport]) {
    let failures = failures(protocol, nodes, events, reports);
    assert!(
        failures.is_empty(),
        "{} violation(s):\n{}",
        failures.len(),
        failures.join("\n")
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
