//! The biased fault search of `raft_bias` on correct Raft: its harsh, leader-chasing schedules
//! (Figure 8's moves, and the lease moves) find no violation. With `--features mutants`, the
//! search also finds the two mutants today's chaos cannot reach (`teeth.rs` asserts it for
//! every mutant; this prints how often, over the seed budget).
//!
//! `cargo test -p netsplit-core --features mutants --test raft_biased_search -- --nocapture`
#![cfg(not(target_arch = "wasm32"))]

mod raft_bias;

use raft_bias::Moves;

/// Correct Raft under each family of moves: no violation, and leaders keep changing.
fn control(moves: Moves, seeds: u64) {
    let mut leaders = 0;
    for seed in 0..seeds {
        let outcome = raft_bias::run_moves(seed, moves, None);
        leaders += outcome.leaders;
        if let Some(v) = &outcome.violation {
            panic!(
                "seed {seed} ({moves:?} moves, correct Raft): {v} (t={})\n  repro: {}",
                v.at,
                raft_bias::repro(&outcome, false)
            );
        }
    }
    println!("{moves:?}: {seeds} seeds, {leaders} leaders elected, no violation");
    assert!(leaders > seeds * 5, "the search keeps changing leaders");
}

#[test]
fn correct_raft_survives_the_figure_8_moves() {
    control(Moves::Figure8, 50);
}

#[test]
fn correct_raft_survives_the_lease_moves() {
    control(Moves::Lease, 50);
}

#[cfg(feature = "mutants")]
#[test]
fn the_biased_search_finds_what_chaos_cannot() {
    use netsplit_core::protocols::raft::Mutant;
    for mutant in [Mutant::CommitOldTerm, Mutant::LeaseVoteAfterRestart] {
        let caught: Vec<u64> = (0..200)
            .filter(|seed| raft_bias::run(*seed, Some(mutant)).violation.is_some())
            .collect();
        println!(
            "{mutant:?}: caught on {} of 200 seeds; first {:?}",
            caught.len(),
            caught.first()
        );
        assert!(!caught.is_empty(), "{mutant:?} survived the biased search");
    }
}
