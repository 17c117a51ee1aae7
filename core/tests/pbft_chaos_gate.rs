//! PBFT's simulation gate: swarm chaos (each seed draws n = 4 or 7, f, the checkpoint interval
//! and window, the timeouts, the fault mix and workload, and up to f faulty replicas with
//! random behaviours), every checker after every event, the liveness bound after the heal,
//! and the end-of-run linearizability check. Zero violations; coverage floors prove that view
//! changes, checkpoints, state transfers and rejected forgeries really happened; every seed's
//! verdicts are counted.
//!
//! `NETSPLIT_PBFT_SEEDS=2000 cargo test -p netsplit-core --test pbft_chaos_gate -- --nocapture`
//! runs a longer soak; `cargo run --release -p netsplit-cli -- chaos --protocol pbft --seeds
//! 10000` a longer one still.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use netsplit_core::protocols::pbft::{self, Behaviour};
use netsplit_core::run::chaos::{ChaosOptions, SeedReport};
use netsplit_core::run::registry::Protocol;
use support::share;

const EVENTS: u64 = 20_000;

fn seeds() -> u64 {
    std::env::var("NETSPLIT_PBFT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}

/// The faulty replicas a seed drew: (behaviour) per faulty replica.
fn faulty(r: &SeedReport) -> Vec<Behaviour> {
    r.plan.config["byzantine"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|v| v.as_str().and_then(|s| Behaviour::parse(s).ok()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn swarm_seeds_stay_safe_and_live_with_up_to_f_faulty_replicas() {
    let options = ChaosOptions {
        events: EVENTS,
        ..ChaosOptions::swarm()
    };
    let started = std::time::Instant::now();
    let reports: Vec<SeedReport> = (0..seeds())
        .map(|s| pbft::PROTOCOL.chaos_seed(s, &options))
        .collect();
    let elapsed = started.elapsed();
    let events: u64 = reports.iter().map(|r| r.events).sum();
    let mut settle: Vec<u64> = reports.iter().filter_map(|r| r.settle_ms).collect();
    settle.sort_unstable();
    println!(
        "pbft chaos gate: {} swarm seeds × {EVENTS} events: {events} events in {:.1} s; settle p50 {} ms, p99 {} ms, max {} ms",
        reports.len(),
        elapsed.as_secs_f64(),
        settle.get(settle.len() / 2).copied().unwrap_or(0),
        settle.get(settle.len() * 99 / 100).copied().unwrap_or(0),
        settle.last().copied().unwrap_or(0),
    );

    let failures: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.violations.iter().map(move |v| {
                format!(
                    "seed {} ({} replicas, faulty {:?}) event {} t={}: {} — {}\n  repro: cargo run -p netsplit-cli -- chaos --protocol {} --events {EVENTS} --seed {} --trace",
                    r.seed,
                    r.nodes,
                    faulty(r),
                    v.event,
                    v.at,
                    v.checker,
                    v.detail,
                    pbft::ID,
                    r.seed
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} violation(s):\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Every seed checked something, and no verdict was left undecided or malformed.
    for r in &reports {
        assert!(
            r.verdicts.ops > 0 && r.verdicts.keys > 0,
            "seed {} checked nothing: {:?}",
            r.seed,
            r.verdicts
        );
        assert_eq!(r.verdicts.errors, 0, "seed {}", r.seed);
    }
    let unknown: u64 = reports.iter().map(|r| r.verdicts.unknown).sum();
    let keys: u64 = reports.iter().map(|r| r.verdicts.keys).sum();
    let ops: u64 = reports.iter().map(|r| r.verdicts.ops).sum();
    println!("verdicts: {ops} operations, {keys} keys decided, {unknown} unknown");
    assert!(
        unknown * 100 <= keys,
        "{unknown} of {keys} keys undecided (more than 1 %)"
    );

    // A correct new primary's NEW-VIEW is never refused: refusals come from forgers only.
    for r in &reports {
        if !faulty(r).contains(&Behaviour::ForgeVotes) {
            assert_eq!(
                r.counters.protocol("new_view_rejected"),
                0,
                "seed {}: a NEW-VIEW was refused without a forger",
                r.seed
            );
        }
    }

    // (what, protocol counter that proves it, floor)
    let counted = [
        ("a completed view change", "view_changes", 0.95),
        ("a stable checkpoint", "checkpoints_stable", 0.95),
        ("a state transfer", "state_transfers", 0.6),
        ("a forged message rejected", "forged_rejected", 0.05),
        (
            "a decision learned from a commit certificate",
            "learned_by_certificate",
            0.8,
        ),
        (
            "an equivocating primary caught in the act",
            "equivocation_proven",
            0.05,
        ),
    ];
    let mut floors: Vec<(&str, f64, f64)> = counted
        .iter()
        .map(|(what, counter, floor)| {
            let got = share(&reports, |r| r.counters.protocol(counter) > 0);
            (*what, got, *floor)
        })
        .collect();
    floors.push((
        "a faulty replica",
        share(&reports, |r| !faulty(r).is_empty()),
        0.4,
    ));
    floors.push((
        "a crash and a restart",
        share(&reports, |r| {
            r.counters.crashes > 0 && r.counters.restarts > 0
        }),
        0.5,
    ));
    floors.push((
        "a partition",
        share(&reports, |r| r.counters.partitions > 0),
        0.5,
    ));
    support::assert_floors(&floors);
}
