//! Figure 8 by search, not by script: the biased fault search of `raft_bias` finds the
//! `commit-old-term` mutant (a leader committing an earlier term's entry by counting replicas),
//! and correct Raft survives the same biased schedules.
//!
//! `cargo test -p netsplit-core --features mutants --test raft_figure8_search -- --nocapture`
//! prints the seeds-to-first-catch.
#![cfg(not(target_arch = "wasm32"))]

mod raft_bias;

use std::path::PathBuf;

/// Seeds the search gets.
const BUDGET: u64 = 200;

/// Write a failing seed's scenario where `netsplit run` can replay it; the repro command.
fn repro(seed: u64, outcome: &raft_bias::Outcome) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("raft-figure8-search-{seed}.json"));
    let _ = std::fs::write(&path, outcome.scenario.to_json());
    format!(
        "cargo run -p netsplit-cli -- run --scenario {}",
        path.display()
    )
}

#[test]
fn correct_raft_survives_the_biased_search() {
    let mut leaders = 0;
    for seed in 0..50 {
        let outcome = raft_bias::run(seed, None);
        leaders += outcome.leaders;
        if let Some(v) = &outcome.violation {
            panic!(
                "seed {seed}: {v} (t={})\n  repro: {}",
                v.at,
                repro(seed, &outcome)
            );
        }
    }
    println!("50 seeds, {leaders} leaders elected, no violation");
    assert!(leaders > 50 * 10, "the search keeps changing leaders");
}

#[cfg(feature = "mutants")]
#[test]
fn the_biased_search_finds_figure_8() {
    use netsplit_core::protocols::raft::Mutant;
    let found = (0..BUDGET).find_map(|seed| {
        let outcome = raft_bias::run(seed, Some(Mutant::CommitOldTerm));
        outcome.violation.clone().map(|v| (seed, v, outcome))
    });
    let (seed, v, outcome) = found.expect("commit-old-term survived the biased search");
    println!(
        "commit-old-term caught at seed {seed} (t={}): {v}\n  replay: {}",
        v.at,
        repro(seed, &outcome)
    );
    assert!(
        [
            "leader-completeness",
            "state-machine-safety",
            "committed-durable"
        ]
        .contains(&v.checker),
        "{v}"
    );
}
