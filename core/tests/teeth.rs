//! Teeth: deliberately broken Raft variants must be caught by the checkers.
//!
//! Each mutant re-introduces a real-world bug (see `../shared/guide/correctness.md`) and is
//! compiled in only with the `mutants` feature: `cargo test -p netsplit-core --features mutants`
//! (`-- --nocapture` prints the seed and the checker of every first catch).
//!
//! Most are found by default-mode chaos (random faults, `Protocol::chaos_seed`) within 200
//! seeds. Two need faults that react to leader changes: swarm chaos finds them, on the seeds
//! that draw Raft's reactive moves (`protocols::raft::chaos::moves`), within 200 seeds too; and
//! their gallery scenarios show them outright.
#![cfg(feature = "mutants")]

use netsplit_core::kernel::check::Violation;
use netsplit_core::kernel::mutant::{self, Mutants};
use netsplit_core::protocols::raft;
use netsplit_core::protocols::raft::Mutant;
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Protocol;

/// Seeds each mutant gets to be caught in.
const BUDGET: u64 = 200;
const EVENTS: u64 = 20_000;

/// Mutants that blind random faults do not reach within the budget: swarm chaos, whose seeds
/// may draw reactive moves, runs them.
const BIASED: &[Mutant] = &[Mutant::CommitOldTerm, Mutant::LeaseVoteAfterRestart];

/// The gallery scenario that shows each biased-search mutant, replayed with the mutant on.
const SCRIPTED: &[(Mutant, &str)] = &[
    (Mutant::CommitOldTerm, "raft-figure-8"),
    (Mutant::LeaseVoteAfterRestart, "raft-lease-restart"),
];

/// The checkers that may be the first to catch each mutant.
fn expected(m: Mutant) -> &'static [&'static str] {
    match m {
        Mutant::ForgetVote | Mutant::ClearVoteOnAppend => &["vote-safety", "election-safety"],
        Mutant::TruncateOnMatch | Mutant::CommitBeyondNew => &[
            "state-machine-safety",
            "log-matching",
            "leader-completeness",
            "committed-durable",
        ],
        Mutant::CommitOldTerm => &["leader-completeness", "state-machine-safety"],
        Mutant::NoPrevoteNoCheckquorum => &["stable-under-steady-fault", "linearizable"],
        Mutant::AckBeforePersist => &["committed-durable"],
        Mutant::StaleLeaderRead
        | Mutant::LeaseVoteAfterRestart
        | Mutant::ReadIndexWithoutHeartbeat
        | Mutant::ReadIndexBeforeNoop => &["linearizable"],
        Mutant::NoClientSessions => &["exactly-once"],
        Mutant::SnapshotForgetsSessions => &["snapshot-matches-log"],
        Mutant::FollowerIgnoresSnapshotState => &["applied-state-agreement"],
    }
}

fn name(m: Mutant) -> &'static str {
    Mutant::ALL
        .iter()
        .find(|(x, _, _)| *x == m)
        .map_or("?", |(_, n, _)| *n)
}

fn chaos_repro(m: Mutant, nodes: usize, seed: u64) -> String {
    format!(
        "cargo run -p netsplit-cli --features mutants -- chaos --protocol raft --nodes {nodes} --clients 3 --events {EVENTS} --mutant {} --seed {seed} --trace",
        name(m)
    )
}

/// The first of `BUDGET` chaos seeds on which `mutant` is caught, and how.
fn first_catch(mutant: Mutant, nodes: usize) -> Option<(u64, Violation)> {
    let options = ChaosOptions {
        nodes,
        events: EVENTS,
        mutant: Some(name(mutant).to_string()),
        ..ChaosOptions::default()
    };
    (0..BUDGET).find_map(|seed| {
        let r = raft::PROTOCOL.chaos_seed(seed, &options);
        r.violations.first().cloned().map(|v| (seed, v))
    })
}

/// The first of `BUDGET` swarm seeds on which `mutant` is caught (with the moves that seed
/// drew); the repro command.
fn biased_catch(mutant: Mutant) -> Option<(u64, Violation, String)> {
    let options = ChaosOptions {
        events: EVENTS,
        mutant: Some(name(mutant).to_string()),
        ..ChaosOptions::swarm()
    };
    (0..BUDGET).find_map(|seed| {
        let r = raft::PROTOCOL.chaos_seed(seed, &options);
        let v = r.violations.first().cloned()?;
        let repro = format!(
            "cargo run -p netsplit-cli --features mutants -- chaos --protocol raft --mutant {} --seed {seed} --trace  # moves: {:?}",
            name(mutant),
            r.plan.moves
        );
        Some((seed, v, repro))
    })
}

#[test]
fn every_mutant_is_caught() {
    let mut wrong = Vec::new();
    for (mutant, name, bug) in Mutant::ALL {
        let (seed, v, repro) = if BIASED.contains(mutant) {
            let (seed, v, repro) = biased_catch(*mutant).unwrap_or_else(|| {
                panic!("mutant {name} ({bug}) survived {BUDGET} seeds of swarm chaos")
            });
            println!("mutant {name}: swarm chaos with reactive moves, seed {seed}: {v}");
            (seed, v, repro)
        } else {
            let (seed, v) = first_catch(*mutant, 5).unwrap_or_else(|| {
                panic!(
                    "mutant {name} ({bug}) survived {BUDGET} chaos seeds; seed 0 runs with {}",
                    chaos_repro(*mutant, 5, 0)
                )
            });
            println!("mutant {name}: chaos, seed {seed}: {v}");
            (seed, v, chaos_repro(*mutant, 5, seed))
        };
        if !expected(*mutant).contains(&v.checker) {
            wrong.push(format!(
                "{name} (seed {seed}) was caught by {}, expected one of {:?}: {}\n  repro: {repro}",
                v.checker,
                expected(*mutant),
                v.detail
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_gallery_scenarios_show_their_mutants() {
    for (mutant, scenario) in SCRIPTED {
        let mut s = netsplit_core::run::gallery::load(scenario).expect("gallery scenario");
        if let Some(config) = s.config.as_object_mut() {
            config.insert("mutant".into(), name(*mutant).into());
        }
        let mut p = netsplit_core::build(&s).expect("valid");
        p.run_until(s.until.expect("until"), u64::MAX);
        let v = p
            .violations()
            .first()
            .unwrap_or_else(|| panic!("{scenario} with {} shows nothing", name(*mutant)));
        println!("{scenario} with {}: {v}", name(*mutant));
        assert!(expected(*mutant).contains(&v.checker), "{scenario}: {v}");
    }
}

#[test]
fn forget_vote_is_caught_by_vote_safety() {
    let (seed, v) = first_catch(Mutant::ForgetVote, 5).expect("forget-vote must be caught");
    assert!(
        v.checker == "vote-safety" || v.checker == "election-safety",
        "seed {seed}: {v}\n  repro: {}",
        chaos_repro(Mutant::ForgetVote, 5, seed)
    );
}

#[test]
fn correct_raft_is_clean_on_the_same_seeds() {
    // The control group: the same seeds and configurations without the mutant find nothing
    // (no false alarms) — for every configuration a mutant runs with.
    for (m, name, _) in Mutant::ALL {
        let options = ChaosOptions {
            nodes: 5,
            events: EVENTS,
            mutant: Some(name.to_string()),
            ..ChaosOptions::default()
        };
        let mut config =
            <raft::Raft as netsplit_core::run::chaos::ChaosProtocol>::chaos_config(&options);
        config.mutant = None;
        let seeds = if BIASED.contains(m) { 5 } else { 20 };
        for seed in 0..seeds {
            let r = netsplit_core::run::chaos::run_seed_with::<raft::Raft>(
                raft::ID,
                seed,
                &ChaosOptions {
                    mutant: None,
                    ..options.clone()
                },
                |_| config.clone(),
            );
            assert!(
                r.violations.is_empty(),
                "seed {seed} (configuration of {name}, no mutant): {:?}",
                r.violations
            );
        }
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

#[test]
fn every_mutant_is_listed_with_its_bug() {
    // `netsplit chaos --list-mutants` reads the registry, which lists `Mutant::ALL`.
    let listed: Vec<&str> = raft::PROTOCOL.mutants().iter().map(|m| m.name).collect();
    for (m, n, _) in Mutant::ALL {
        assert!(listed.contains(n), "{n} is not listed");
        assert_eq!(mutant::by_name::<Mutant>(n), Some(*m));
    }
    for n in [
        "no-client-sessions",
        "snapshot-forgets-sessions",
        "follower-ignores-snapshot-state",
        "read-index-without-heartbeat",
        "read-index-before-noop",
        "lease-vote-after-restart",
    ] {
        assert!(listed.contains(&n), "{n} is not listed");
    }
}
