//! Teeth for atomic commit: deliberately broken 2PC variants must be caught by the checkers
//! within 200 chaos seeds, by the property each one breaks.
//!
//! `cargo test -p netsplit-core --features mutants --test commit_teeth -- --nocapture`
#![cfg(feature = "mutants")]

use netsplit_core::kernel::mutant::Mutants;
use netsplit_core::protocols::atomic_commit::Mutant;
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Registry;

/// Seeds each mutant gets to be caught in.
const BUDGET: u64 = 200;

fn first_catch(name: &str) -> Option<(u64, &'static str, String)> {
    let options = ChaosOptions {
        nodes: 4,
        events: 20_000,
        mutant: Some(name.to_string()),
        ..ChaosOptions::default()
    };
    (0..BUDGET).find_map(|seed| {
        let r = Registry::builtin()
            .get("2pc")
            .expect("2pc is known")
            .chaos_seed(seed, &options);
        r.violations
            .first()
            .map(|v| (seed, v.checker, format!("{}: {}", v.checker, v.detail)))
    })
}

fn caught_by(name: &str, expected: &[&str]) {
    match first_catch(name) {
        Some((seed, checker, how)) => {
            println!(
                "mutant {name} caught at seed {seed}: {how}\n  repro: cargo run -p netsplit-cli --features mutants -- chaos --protocol 2pc --nodes 4 --seed {seed} --mutant {name} --trace"
            );
            assert!(
                expected.contains(&checker),
                "mutant {name} was caught by {checker}, expected one of {expected:?}: {how}"
            );
        }
        None => panic!("mutant {name} survived {BUDGET} seeds"),
    }
}

#[test]
fn commit_before_log_is_caught() {
    caught_by(
        "commit-before-log",
        &[
            "atomicity",
            "irrevocability",
            "prepared-never-aborts-unilaterally",
        ],
    );
}

#[test]
fn prepared_aborts_on_timeout_is_caught() {
    caught_by(
        "prepared-aborts-on-timeout",
        &["prepared-never-aborts-unilaterally", "atomicity"],
    );
}

#[test]
fn commit_without_all_votes_is_caught() {
    caught_by("commit-without-all-votes", &["validity"]);
}

#[test]
fn duplicate_begin_reruns_is_caught() {
    caught_by("duplicate-begin-reruns", &["exactly-once"]);
}

/// The gallery scenario that shows the fix shows the bug again with the mutant on: the late
/// copy of c1's Begin commits a second time and puts x=1 back over c2's x=2.
#[test]
fn the_duplicate_begin_scenario_catches_the_mutant() {
    let mut s = netsplit_core::run::gallery::load("2pc-duplicate-begin").expect("loads");
    s.config = serde_json::json!({ "mutant": "duplicate-begin-reruns" });
    let mut p = netsplit_core::build(&s).expect("valid");
    p.run_until(netsplit_core::Time(3500), u64::MAX);
    let found: Vec<String> = p.violations().iter().map(|v| v.to_string()).collect();
    assert_eq!(
        found,
        ["exactly-once: c1's request #1 committed twice: as t1 and as t3 (a duplicate Begin ran it again)"]
    );
}

#[test]
fn every_mutant_is_listed_with_a_test() {
    let names: Vec<&str> = Mutant::ALL.iter().map(|(_, n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "commit-before-log",
            "prepared-aborts-on-timeout",
            "commit-without-all-votes",
            "duplicate-begin-reruns"
        ]
    );
}
