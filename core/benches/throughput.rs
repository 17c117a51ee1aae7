//! Simulator throughput: events per second for a 5-node Raft cluster in steady state.
//!
//! `cargo bench -p netsplit-core` (or `cargo xtask bench`). The wasm figure comes from the same
//! workload run in Chromium (`cargo xtask bench` prints both; see docs/benchmarks.md).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netsplit_core::config::ClusterConfig;
use netsplit_core::raft::{RaftConfig, RaftNode};
use netsplit_core::sim::Simulator;
use std::hint::black_box;

const EVENTS: u64 = 100_000;

fn cluster(record_trace: bool) -> ClusterConfig {
    ClusterConfig {
        nodes: 5,
        record_trace,
        ..ClusterConfig::default()
    }
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("raft-5-nodes");
    group.throughput(Throughput::Elements(EVENTS));
    for (name, record) in [("no-trace", false), ("with-trace", true)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sim = Simulator::<RaftNode>::new(cluster(record), RaftConfig::default(), 7)
                    .expect("valid config");
                black_box(sim.run_events(EVENTS))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
