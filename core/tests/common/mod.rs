//! Helpers shared by the native and the WebAssembly determinism tests.

use netsplit_core::protocols::raft;
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Protocol;
use netsplit_core::{build, Time};

/// Seeds covered by the determinism fingerprints.
pub const SEEDS: u64 = 200;

/// The golden fingerprints: one `seed hash` line per seed.
pub const GOLDEN: &str = include_str!("../data/determinism.txt");

/// Fingerprint of one seed: a chaos run (faults included) replayed from its scenario with the
/// full trace recorded, hashed line by line.
pub fn fingerprint(seed: u64) -> u64 {
    let options = ChaosOptions {
        nodes: 5,
        events: 1500,
        ..ChaosOptions::default()
    };
    let report = raft::PROTOCOL.chaos_seed(seed, &options);
    let mut p = build(&report.scenario).expect("chaos scenarios are valid");
    p.run_until(report.end, u64::MAX);
    p.run_until(Time(report.end.0 + 500), u64::MAX);
    p.trace_hash()
}

/// Parse the golden file.
pub fn golden() -> Vec<(u64, u64)> {
    GOLDEN
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let seed = parts.next().and_then(|s| s.parse().ok()).expect("seed");
            let hash = parts
                .next()
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .expect("hash");
            (seed, hash)
        })
        .collect()
}
