//! Raft's reactive chaos moves (`protocols::raft::chaos::moves`: Figure 8's and the lease's
//! leader-chasing faults) on correct Raft: every seed forced to play one family finds no
//! violation, and leaders keep changing. With `--features mutants`, the same moves catch the
//! two mutants blind random faults almost never reach, on most seeds (this prints how often).
//!
//! `cargo test -p netsplit-core --features mutants --test raft_biased_search -- --nocapture`
#![cfg(not(target_arch = "wasm32"))]

mod support;

use netsplit_core::protocols::raft::{self, chaos::moves};
use netsplit_core::run::chaos::{ChaosOptions, MovesChoice, SeedReport};
use netsplit_core::run::registry::Protocol;

/// Swarm chaos where every seed plays `family`, with `mutant` (if any).
fn options(family: &str, mutant: Option<&str>) -> ChaosOptions {
    ChaosOptions {
        moves: MovesChoice::Only(family.to_string()),
        mutant: mutant.map(str::to_string),
        ..ChaosOptions::swarm()
    }
}

/// Correct Raft under one family of moves: no violation, and leaders keep changing.
fn control(family: &str, seeds: u64) {
    let options = options(family, None);
    let reports: Vec<SeedReport> = (0..seeds)
        .map(|s| raft::PROTOCOL.chaos_seed(s, &options))
        .collect();
    support::assert_no_violations(raft::ID, &options, &reports);
    let leaders: u64 = reports
        .iter()
        .map(|r| r.counters.protocol("became_leader"))
        .sum();
    assert!(
        reports.iter().all(|r| r.plan.moves == Some(family)),
        "every seed plays {family}"
    );
    println!("{family}: {seeds} seeds, {leaders} leaders elected, no violation");
    assert!(leaders > seeds * 5, "the moves keep changing leaders");
}

#[test]
fn correct_raft_survives_the_figure_8_moves() {
    control(moves::FIGURE_8, 50);
}

#[test]
fn correct_raft_survives_the_lease_moves() {
    control(moves::LEASE, 50);
}

#[cfg(feature = "mutants")]
#[test]
fn the_moves_find_what_blind_faults_cannot() {
    use netsplit_core::kernel::mutant::Mutants;
    use netsplit_core::protocols::raft::Mutant;
    for mutant in [Mutant::CommitOldTerm, Mutant::LeaseVoteAfterRestart] {
        let name = Mutant::ALL
            .iter()
            .find(|(m, _, _)| *m == mutant)
            .map_or("?", |(_, n, _)| *n);
        let options = options(moves::family_for(Some(mutant)), Some(name));
        let caught: Vec<u64> = (0..50)
            .filter(|seed| {
                !raft::PROTOCOL
                    .chaos_seed(*seed, &options)
                    .violations
                    .is_empty()
            })
            .collect();
        println!(
            "{name}: caught on {} of 50 seeds; first {:?}",
            caught.len(),
            caught.first()
        );
        assert!(caught.len() >= 5, "{name}: the moves catch it on few seeds");
    }
}
