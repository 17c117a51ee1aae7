//! Teeth for PBFT: each deliberately broken variant must be caught by swarm chaos (the
//! default of `netsplit chaos`) within 200 seeds, by the property it breaks. Prints the seeds it
//! took to the first catch.
//!
//! `cargo test -p netsplit-core --features mutants --test pbft_teeth -- --nocapture`
#![cfg(all(feature = "mutants", not(target_arch = "wasm32")))]

use netsplit_core::kernel::mutant::Mutants;
use netsplit_core::protocols::pbft::{self, Mutant};
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Protocol;

/// Seeds each mutant gets to be caught in.
const BUDGET: u64 = 200;

/// The first seed whose run reports a violation: (seed, checker, what).
fn first_catch(name: &str) -> Option<(u64, &'static str, String)> {
    let options = ChaosOptions {
        events: 20_000,
        mutant: Some(name.to_string()),
        ..ChaosOptions::swarm()
    };
    (0..BUDGET).find_map(|seed| {
        let r = pbft::PROTOCOL.chaos_seed(seed, &options);
        r.violations
            .first()
            .map(|v| (seed, v.checker, v.detail.clone()))
    })
}

fn caught_by(name: &str, expected: &[&str]) {
    match first_catch(name) {
        Some((seed, checker, detail)) => {
            println!(
                "mutant {name}: caught after {} seed(s) (seed {seed}) by {checker}: {detail}\n  repro: cargo run -p netsplit-cli --features mutants -- chaos --protocol {} --mutant {name} --seed {seed} --trace",
                seed + 1,
                pbft::ID
            );
            assert!(
                expected.contains(&checker),
                "mutant {name} was caught by {checker}, expected one of {expected:?}: {detail}"
            );
        }
        None => panic!("mutant {name} survived {BUDGET} seeds"),
    }
}

#[test]
fn prepared_with_2f_minus_1_prepares_is_caught() {
    // Needs an equivocating primary: with one prepare too few, the group that got the other
    // request prepares it too, and a view change may pick it over the committed one.
    caught_by(
        "prepared-2f-minus-1",
        &[
            "agreement",
            "checkpoint-consistency",
            "exactly-once",
            "linearizable",
        ],
    );
}

#[test]
fn a_client_that_accepts_one_reply_is_caught() {
    // Needs a replica that lies to clients (wrong-results answers at once).
    caught_by("client-accepts-one", &["linearizable"]);
}

#[test]
fn skipping_the_view_change_certificate_check_is_caught() {
    // Needs a forger: its made-up prepared certificates (null requests) then win O.
    caught_by(
        "skip-view-change-check",
        &[
            "agreement",
            "checkpoint-consistency",
            "exactly-once",
            "linearizable",
        ],
    );
}

#[test]
fn a_new_primary_that_drops_a_prepared_request_is_caught() {
    caught_by(
        "drop-prepared",
        &[
            "agreement",
            "checkpoint-consistency",
            "exactly-once",
            "linearizable",
        ],
    );
}

#[test]
fn every_mutant_has_a_test() {
    let names: Vec<&str> = Mutant::ALL.iter().map(|(_, n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "prepared-2f-minus-1",
            "client-accepts-one",
            "skip-view-change-check",
            "drop-prepared"
        ]
    );
}
