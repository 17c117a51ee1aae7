//! Teeth for the store: deliberately broken variants must be caught by its checkers within
//! 200 chaos seeds, by the checker that names the bug. Compiled in only with the `mutants`
//! feature: `cargo test -p netsplit-core --features mutants --test kv_teeth`.
#![cfg(feature = "mutants")]

use netsplit_core::kernel::mutant::Mutants;
use netsplit_core::protocols::dynamo;
use netsplit_core::protocols::dynamo::Mutant;
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Protocol;

/// Seeds each mutant gets to be caught in.
const BUDGET: u64 = 200;

fn first_catch(mutant: &str) -> Option<(u64, String)> {
    let options = ChaosOptions {
        nodes: 5,
        events: 20_000,
        clients: 3,
        mutant: Some(mutant.to_string()),
        ..ChaosOptions::default()
    };
    (0..BUDGET).find_map(|seed| {
        let r = dynamo::PROTOCOL.chaos_seed(seed, &options);
        r.violations
            .first()
            .map(|v| (seed, format!("{}: {}", v.checker, v.detail)))
    })
}

#[test]
fn every_mutant_is_caught_by_the_checker_that_names_its_bug() {
    let expect = |m: Mutant| match m {
        Mutant::AntiEntropySkipsReplica => "convergence",
        Mutant::LwwInSiblingsMode => "no-forgotten-write",
        Mutant::AckWithoutStore => "no-lost-acknowledged-write",
    };
    for (mutant, name, bug) in Mutant::ALL {
        match first_catch(name) {
            Some((seed, how)) => {
                println!("mutant {name} caught at seed {seed}: {how}");
                assert!(
                    how.starts_with(expect(*mutant)),
                    "{name} caught by the wrong checker: {how}"
                );
            }
            None => panic!("mutant {name} ({bug}) survived {BUDGET} seeds"),
        }
    }
}
