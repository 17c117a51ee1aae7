//! Determinism: the same seed and actions give the same trace, run after run, and the same as
//! in WebAssembly (`wasm_determinism.rs` checks the same golden fingerprints in Chromium).
//!
//! After a deliberate change to the trace or the simulator, re-bless the fingerprints with
//! `NETSPLIT_BLESS=1 cargo test -p netsplit-core --test determinism`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn two_runs_of_each_seed_are_identical() {
    for seed in 0..common::SEEDS {
        let a = common::fingerprint(seed);
        let b = common::fingerprint(seed);
        assert_eq!(
            a, b,
            "seed {seed} is not deterministic; repro: cargo run -p netsplit-cli -- chaos --protocol raft --events 1500 --seed {seed} --trace"
        );
    }
}

#[test]
fn fingerprints_match_the_golden_file() {
    let actual: Vec<(u64, u64)> = (0..common::SEEDS)
        .map(|s| (s, common::fingerprint(s)))
        .collect();
    if std::env::var_os("NETSPLIT_BLESS").is_some() {
        let mut text = String::from(
            "# seed fnv64(trace) — checked natively (determinism.rs) and in wasm (wasm_determinism.rs)\n",
        );
        for (s, h) in &actual {
            text.push_str(&format!("{s} {h:016x}\n"));
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/determinism.txt");
        std::fs::write(path, text).expect("write golden file");
        return;
    }
    let golden = common::golden();
    assert_eq!(golden.len() as u64, common::SEEDS, "golden file incomplete");
    for ((seed, want), (_, got)) in golden.iter().zip(&actual) {
        assert_eq!(
            *got, *want,
            "seed {seed}: trace fingerprint changed (re-bless if intended: NETSPLIT_BLESS=1)"
        );
    }
}

#[test]
fn different_seeds_differ() {
    let hashes: std::collections::BTreeSet<u64> = (0..20).map(common::fingerprint).collect();
    assert_eq!(hashes.len(), 20);
}
