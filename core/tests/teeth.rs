//! Teeth: deliberately broken Raft variants must be caught by the checkers.
//!
//! Each mutant re-introduces a real-world bug (see `../shared/guide/correctness.md`) and is
//! compiled in only with the `mutants` feature: `cargo test -p netsplit-core --features mutants`.
#![cfg(feature = "mutants")]

use netsplit_core::kernel::mutant::Mutants;
use netsplit_core::protocols::raft;
use netsplit_core::protocols::raft::Mutant;
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Protocol;

/// Seeds each mutant gets to be caught in.
const BUDGET: u64 = 200;

fn first_catch(mutant: Mutant, nodes: usize) -> Option<(u64, String)> {
    let name = Mutant::ALL
        .iter()
        .find(|(m, _, _)| *m == mutant)
        .map(|(_, n, _)| n.to_string());
    let options = ChaosOptions {
        nodes,
        events: 20_000,
        mutant: name,
        ..ChaosOptions::default()
    };
    (0..BUDGET).find_map(|seed| {
        let r = raft::PROTOCOL.chaos_seed(seed, &options);
        r.violations
            .first()
            .map(|v| (seed, format!("{}: {}", v.checker, v.detail)))
    })
}

/// Mutants that random faults alone do not reach within the budget, with the scripted
/// scenario that exposes each (run over the seed budget too).
const SCRIPTED: &[(Mutant, &str)] = &[(Mutant::CommitOldTerm, "raft-figure-8")];

fn scripted_catch(mutant: Mutant, scenario: &str) -> Option<(u64, String)> {
    let name = Mutant::ALL
        .iter()
        .find(|(m, _, _)| *m == mutant)
        .map(|(_, n, _)| *n)?;
    let base = netsplit_core::run::gallery::load(scenario).ok()?;
    (0..BUDGET).find_map(|seed| {
        let mut s = base.clone();
        s.seed = seed;
        if let Some(config) = s.config.as_object_mut() {
            config.insert("mutant".into(), name.into());
        }
        let mut p = netsplit_core::build(&s).ok()?;
        p.run_until(s.until?, u64::MAX);
        p.violations()
            .first()
            .map(|v| (seed, format!("{}: {}", v.checker, v.detail)))
    })
}

#[test]
fn every_mutant_is_caught() {
    for (mutant, name, bug) in Mutant::ALL {
        let caught = match SCRIPTED.iter().find(|(m, _)| m == mutant) {
            Some((_, scenario)) => scripted_catch(*mutant, scenario),
            None => first_catch(*mutant, 5),
        };
        match caught {
            Some((seed, how)) => println!("mutant {name} caught at seed {seed}: {how}"),
            None => panic!("mutant {name} ({bug}) survived {BUDGET} seeds"),
        }
    }
}

#[test]
fn forget_vote_is_caught_by_vote_safety() {
    let (_, how) = first_catch(Mutant::ForgetVote, 5).expect("forget-vote must be caught");
    assert!(
        how.starts_with("vote-safety") || how.starts_with("election-safety"),
        "{how}"
    );
}

#[test]
fn correct_raft_is_clean_on_the_same_seeds() {
    // The control group: the same seeds without the mutant find nothing (no false alarms).
    let options = ChaosOptions {
        nodes: 5,
        events: 20_000,
        ..ChaosOptions::default()
    };
    for seed in 0..50 {
        let r = raft::PROTOCOL.chaos_seed(seed, &options);
        assert!(r.violations.is_empty(), "seed {seed}: {:?}", r.violations);
    }
}

#[test]
fn a_stale_leader_read_returns_the_old_value_in_the_minority_read_scenario() {
    // The named scenario where correct Raft never returns stale data (golden test), run with
    // the leader answering reads from local state: the old leader serves x=1 after x=2
    // committed, and the linearizability checker catches it.
    let mut s = netsplit_core::run::gallery::load("raft-minority-read").unwrap();
    if let Some(config) = s.config.as_object_mut() {
        config.insert("mutant".into(), "stale-leader-read".into());
    }
    let mut p = netsplit_core::build(&s).unwrap();
    p.run_until(s.until.unwrap(), u64::MAX);
    let v = p
        .violations()
        .iter()
        .find(|v| v.checker == "linearizable")
        .expect("the stale read is caught");
    println!("caught: {}", v.detail);
}
