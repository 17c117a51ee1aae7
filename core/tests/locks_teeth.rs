//! Teeth for the lock service: each deliberately broken variant must be caught within 200
//! swarm chaos seeds, or in its gallery scenario, by the checker that names the bug. Compiled in only
//! with the `mutants` feature: `cargo test -p netsplit-core --features mutants --test locks_teeth`.
#![cfg(feature = "mutants")]

use netsplit_core::kernel::mutant::Mutants;
use netsplit_core::protocols::locks;
use netsplit_core::protocols::locks::check::{
    DEADLOCKS_BROKEN, FIFO_PRIORITIES, INTENTIONS, MUTUAL_EXCLUSION, NO_LEAK, NO_STALE_WRITE,
    TOKENS_INCREASE,
};
use netsplit_core::protocols::locks::LockMutant;
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Protocol;

/// Seeds each mutant gets to be caught in.
const BUDGET: u64 = 200;

fn first_catch(mutant: &str, budget: u64) -> Option<(u64, String)> {
    let options = ChaosOptions {
        mutant: Some(mutant.to_string()),
        ..ChaosOptions::swarm()
    };
    (0..budget).find_map(|seed| {
        let r = locks::PROTOCOL.chaos_seed(seed, &options);
        r.violations
            .first()
            .map(|v| (seed, format!("{}: {}", v.checker, v.detail)))
    })
}

/// The checkers that name each mutant's bug. A stale conversion keeps the old hold: on a
/// flat lock two holders then clash (mutual exclusion); on a lock tree a node is left held in
/// `is` under a child held in `ix` (the intention rule).
fn expect(m: LockMutant) -> &'static [&'static str] {
    match m {
        LockMutant::NoFencingCheck => &[NO_STALE_WRITE],
        LockMutant::LeaseOverrun => &[MUTUAL_EXCLUSION],
        LockMutant::TokenCounter => &[TOKENS_INCREASE],
        LockMutant::StaleConversion => &[MUTUAL_EXCLUSION, INTENTIONS],
        LockMutant::MissesThreeCycle => &[DEADLOCKS_BROKEN],
        LockMutant::FollowerGrant => &[MUTUAL_EXCLUSION],
        LockMutant::NoAging | LockMutant::LifoQueue => &[FIFO_PRIORITIES],
        LockMutant::ExpiryKeepsLocks => &[NO_LEAK],
    }
}

#[test]
fn every_mutant_is_caught_by_the_checker_that_names_its_bug() {
    for (mutant, name, bug) in LockMutant::ALL {
        match first_catch(name, BUDGET) {
            Some((seed, how)) => {
                println!("mutant {name} caught at seed {seed}: {how}");
                assert!(
                    expect(*mutant).iter().any(|c| how.starts_with(c)),
                    "{name} caught by the wrong checker: {how}"
                );
            }
            None => panic!("mutant {name} ({bug}) survived {BUDGET} seeds"),
        }
    }
}

/// The fenced GC-pause scenario catches the resource that does not check tokens.
#[test]
fn the_fenced_gc_pause_catches_a_resource_without_the_check() {
    let mut s = netsplit_core::run::gallery::load("locks-gc-pause-fenced").expect("loads");
    s.config = serde_json::json!({ "fencing": true, "mutant": "no-fencing-check" });
    let mut p = netsplit_core::build(&s).expect("valid");
    p.run_until(netsplit_core::Time(2600), u64::MAX);
    let found: Vec<&str> = p.violations().iter().map(|v| v.checker).collect();
    assert_eq!(found, [NO_STALE_WRITE]);
}
