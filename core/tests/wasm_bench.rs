//! The throughput benchmark's workload, measured in WebAssembly (under Node.js).
//!
//! A measurement, not a timed test: it asserts nothing about speed and is ignored by default.
//! `cargo xtask bench` runs it in release mode next to the native criterion benchmark:
//! `cargo test --release -p netsplit-core --target wasm32-unknown-unknown --test wasm_bench -- --include-ignored`
#![cfg(target_arch = "wasm32")]

use netsplit_core::kernel::config::ClusterConfig;
use netsplit_core::kernel::sim::Simulator;
use netsplit_core::protocols::raft::{Raft, RaftConfig};
use wasm_bindgen_test::*;

const EVENTS: u64 = 100_000;

fn run(record_trace: bool) -> u64 {
    let cluster = ClusterConfig {
        nodes: 5,
        record_trace,
        ..ClusterConfig::default()
    };
    let mut sim = Simulator::<Raft>::new(cluster, RaftConfig::default(), 7).expect("valid config");
    sim.run_events(EVENTS)
}

#[wasm_bindgen_test]
#[ignore]
fn wasm_throughput() {
    for (name, record) in [("no-trace", false), ("with-trace", true)] {
        run(record); // warm-up
        let rounds = 20;
        let start = js_sys::Date::now();
        let mut events = 0;
        for _ in 0..rounds {
            events += run(record);
        }
        let secs = (js_sys::Date::now() - start) / 1000.0;
        let rate = events as f64 / secs / 1e6;
        console_log!(
            "wasm raft-5-nodes/{name}: {rate:.3} Melem/s ({events} events in {secs:.3} s)"
        );
        assert_eq!(events, EVENTS * rounds);
    }
}
