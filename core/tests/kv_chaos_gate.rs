//! The store's simulation gate: hundreds of seeds of random faults with simulated clients
//! reading and writing throughout, every checker after every event, and after the heal the
//! replicas must converge within a bounded number of anti-entropy rounds with no acknowledged
//! write lost. Coverage floors prove the interesting paths really ran.
//!
//! Larger soaks: `cargo run --release -p netsplit-cli -- chaos --protocol kv --seeds 10000`.

mod support;

use support::share;

use netsplit_core::protocols::dynamo;
use netsplit_core::run::chaos::{ChaosOptions, SeedReport};
use netsplit_core::run::registry::Protocol;

const EVENTS: u64 = 20_000;

fn seeds() -> u64 {
    std::env::var("NETSPLIT_KV_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}

fn gate(nodes: usize) -> Vec<SeedReport> {
    let options = ChaosOptions {
        nodes,
        events: EVENTS,
        clients: 3,
        ..ChaosOptions::default()
    };
    let started = std::time::Instant::now();
    let reports: Vec<SeedReport> = (0..seeds())
        .map(|s| dynamo::PROTOCOL.chaos_seed(s, &options))
        .collect();
    let elapsed = started.elapsed();
    let events: u64 = reports.iter().map(|r| r.events).sum();
    let mut settle: Vec<u64> = reports.iter().filter_map(|r| r.settle_ms).collect();
    settle.sort_unstable();
    println!(
        "kv chaos gate: {} seeds × {EVENTS} events, {nodes} nodes: {events} events in {:.1} s; settle p50 {} ms, max {} ms",
        reports.len(),
        elapsed.as_secs_f64(),
        settle.get(settle.len() / 2).copied().unwrap_or(0),
        settle.last().copied().unwrap_or(0),
    );
    support::assert_no_violations(dynamo::ID, &options, &reports);
    reports
}

#[test]
fn five_nodes_no_violation_and_convergence_in_every_seed() {
    let reports = gate(5);
    let p = |r: &SeedReport, name: &str| r.counters.protocol(name);
    let floors: [(&str, f64, f64); 10] = [
        (
            "a partition",
            share(&reports, |r| r.counters.partitions > 0),
            0.9,
        ),
        (
            "a crash and a restart",
            share(&reports, |r| {
                r.counters.crashes > 0 && r.counters.restarts > 0
            }),
            0.9,
        ),
        (
            "a write acknowledged",
            share(&reports, |r| p(r, "writes_acked") > 0),
            0.99,
        ),
        (
            "siblings read",
            share(&reports, |r| p(r, "siblings_read") > 0),
            0.5,
        ),
        (
            "a read repair",
            share(&reports, |r| p(r, "read_repairs") > 0),
            0.8,
        ),
        (
            "a hint handed off",
            share(&reports, |r| p(r, "hints_delivered") > 0),
            0.8,
        ),
        (
            "anti-entropy moved a key",
            share(&reports, |r| p(r, "ae_keys_sent") > 0),
            0.9,
        ),
        (
            "insufficient replicas refused a request",
            share(&reports, |r| p(r, "insufficient_replicas") > 0),
            0.5,
        ),
        (
            "a client retried a request",
            share(&reports, |r| p(r, "client_retries") > 0),
            0.95,
        ),
        (
            "a duplicate request was not run again",
            share(&reports, |r| p(r, "duplicate_requests") > 0),
            0.95,
        ),
    ];
    support::assert_floors(&floors);
}

#[test]
fn lww_and_set_modes_converge_under_the_same_chaos() {
    use netsplit_core::protocols::dynamo::{ConflictMode, Dynamo, KvConfig};
    use netsplit_core::run::chaos::{run_seed_with, ChaosProtocol};
    let options = ChaosOptions {
        nodes: 5,
        events: EVENTS,
        clients: 3,
        ..ChaosOptions::default()
    };
    let seeds = (seeds() / 5).max(1);
    for (mode, skew) in [
        (ConflictMode::Lww, vec![0, -300, 200, 0, -100]),
        (ConflictMode::Set, Vec::new()),
    ] {
        let config = KvConfig {
            conflict: mode,
            clock_skew_ms: skew,
            ..Dynamo::chaos_config(&options)
        };
        for seed in 0..seeds {
            let r = run_seed_with::<Dynamo>(dynamo::ID, seed, &options, |_| config.clone());
            assert!(
                r.violations.is_empty(),
                "{} mode, seed {seed}: {:?}",
                mode.name(),
                r.violations
            );
        }
        println!("{} mode: {seeds} seeds, no violation", mode.name());
    }
}
