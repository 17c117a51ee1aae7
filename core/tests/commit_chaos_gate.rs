//! The atomic commit simulation gate: hundreds of seeds of random faults with client actors
//! submitting transactions throughout, every checker after every event. Two-phase commit must
//! show zero violations and resolve every in-doubt transaction after the heal; coverage floors
//! prove the interesting situations (in-doubt participants asking, presumed aborts, lock
//! conflicts, recoveries) really happened.
//!
//! Larger soaks: `cargo run --release -p netsplit-cli -- chaos --protocol 2pc --seeds 10000`.

mod support;

use netsplit_core::run::chaos::{ChaosOptions, FaultClasses, SeedReport};
use netsplit_core::run::registry::Registry;

const SEEDS: u64 = 500;
const EVENTS: u64 = 20_000;
const NODES: usize = 4;

fn run(protocol: &str, seeds: u64) -> Vec<SeedReport> {
    let options = ChaosOptions {
        nodes: NODES,
        events: EVENTS,
        ..ChaosOptions::default()
    };
    (0..seeds)
        .map(|s| {
            Registry::builtin()
                .get(protocol)
                .expect("known protocol")
                .chaos_seed(s, &options)
        })
        .collect()
}

#[test]
fn two_phase_commit_survives_chaos() {
    let start = std::time::Instant::now();
    let reports = run("2pc", SEEDS);
    let events: u64 = reports.iter().map(|r| r.events).sum();
    println!(
        "2pc chaos: {SEEDS} seeds × {EVENTS} events ({events} events in all) in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    support::assert_no_violations(
        "2pc",
        &ChaosOptions {
            nodes: NODES,
            events: EVENTS,
            ..ChaosOptions::default()
        },
        &reports,
    );
    let share = |name: &str| {
        reports
            .iter()
            .filter(|r| r.counters.protocol(name) > 0)
            .count() as f64
            / reports.len() as f64
    };
    for (name, floor) in [
        ("commits", 0.95),
        ("aborts", 0.9),
        ("in_doubt_asks", 0.8),
        ("presumed_aborts", 0.9),
        ("lock_conflicts", 0.8),
        ("read_only_votes", 0.8),
        ("participant_recoveries", 0.9),
        ("coordinator_recoveries", 0.5),
        ("duplicate_begins", 0.9),
    ] {
        let got = share(name);
        println!(
            "coverage: {:5.1}% of seeds had {name} (floor {:.0}%)",
            got * 100.0,
            floor * 100.0
        );
        assert!(
            got >= floor,
            "coverage floor missed: {name}: {got:.3} < {floor}"
        );
    }
    let worst = reports
        .iter()
        .filter_map(|r| r.settle_ms)
        .max()
        .unwrap_or(0);
    println!("slowest resolution after heal: {worst} ms");
}

fn crash_only(seeds: u64, protocol: &str) -> Vec<SeedReport> {
    let options = ChaosOptions {
        nodes: NODES,
        events: EVENTS,
        faults: FaultClasses {
            loss: false,
            duplication: false,
            reordering: false,
            partitions: false,
            crashes: true,
            pauses: false,
            timeouts: false,
        },
        ..ChaosOptions::default()
    };
    (0..seeds)
        .map(|s| {
            Registry::builtin()
                .get(protocol)
                .expect("known protocol")
                .chaos_seed(s, &options)
        })
        .collect()
}

/// 3PC's promise holds where its assumptions do: crashes only, a synchronous network. Every
/// in-doubt transaction resolves and atomicity holds.
#[test]
fn three_phase_commit_is_safe_and_live_with_crashes_only() {
    for r in crash_only(100, "3pc") {
        assert!(
            r.violations.is_empty(),
            "seed {}: {:?}\n  repro: cargo run -p netsplit-cli -- chaos --protocol 3pc --nodes {NODES} --events {EVENTS} --seed {} --no-loss --no-duplication --no-reordering --no-partitions --no-pauses --no-timeouts --trace",
            r.seed,
            r.violations.first(),
            r.seed
        );
    }
}

/// …and breaks where they do not: under partitions (and lost or late messages) the
/// termination protocol's two sides decide differently. 2PC on the same seeds does not.
#[test]
fn three_phase_commit_breaks_atomicity_under_partitions() {
    let options = ChaosOptions {
        nodes: NODES,
        events: EVENTS,
        ..ChaosOptions::default()
    };
    let broken = (0..100).find(|s| {
        Registry::builtin()
            .get("3pc")
            .expect("known")
            .chaos_seed(*s, &options)
            .violations
            .iter()
            .any(|v| v.checker == "atomicity")
    });
    let seed = broken.expect("chaos finds a 3PC atomicity violation within 100 seeds");
    println!("3pc: atomicity broken at seed {seed}");
    let two = Registry::builtin()
        .get("2pc")
        .expect("known")
        .chaos_seed(seed, &options);
    assert!(
        two.violations.is_empty(),
        "2pc seed {seed}: {:?}",
        two.violations
    );
}
