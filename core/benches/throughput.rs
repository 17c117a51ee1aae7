//! Simulator throughput: events per second for a 5-node Raft cluster in steady state.
//!
//! `cargo bench -p netsplit-core` (or `cargo xtask bench`). The wasm figure comes from the same
//! workload run in Chromium (`cargo xtask bench` prints both; see docs/benchmarks.md).

// criterion is a native-only dev-dependency; for wasm32 (clippy over all targets) this file
// compiles to an empty `main`. The wasm figure comes from `tests/wasm_bench.rs`.
#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
#[cfg(not(target_arch = "wasm32"))]
use netsplit_core::kernel::config::ClusterConfig;
#[cfg(not(target_arch = "wasm32"))]
use netsplit_core::kernel::sim::Simulator;
#[cfg(not(target_arch = "wasm32"))]
use netsplit_core::protocols::raft::{Raft, RaftConfig};
#[cfg(not(target_arch = "wasm32"))]
use std::hint::black_box;

#[cfg(not(target_arch = "wasm32"))]
const EVENTS: u64 = 100_000;

#[cfg(not(target_arch = "wasm32"))]
fn cluster(record_trace: bool) -> ClusterConfig {
    ClusterConfig {
        nodes: 5,
        record_trace,
        ..ClusterConfig::default()
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("raft-5-nodes");
    group.throughput(Throughput::Elements(EVENTS));
    for (name, record) in [("no-trace", false), ("with-trace", true)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sim = Simulator::<Raft>::new(cluster(record), RaftConfig::default(), 7)
                    .expect("valid config");
                black_box(sim.run_events(EVENTS))
            })
        });
    }
    group.finish();
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(benches, throughput);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(benches);
