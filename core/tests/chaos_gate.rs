//! The simulation gate: hundreds of seeds of random faults against Raft — elections,
//! replication, snapshots, PreVote/CheckQuorum — with three clients issuing key-value commands
//! throughout and every checker (including client-history linearizability) running after every
//! event. Zero violations, a leader and a new commit within ten election timeouts after every
//! heal, stability under a partial partition, and coverage floors proving the faults and the
//! protocol's rarer paths were really exercised.
//!
//! Larger soaks: `cargo run --release -p netsplit-cli -- chaos --protocol raft --seeds 10000`.

mod support;

use netsplit_core::protocols::raft;
use netsplit_core::run::chaos::{ChaosOptions, SeedReport};
use netsplit_core::run::registry::Protocol;
use support::share;

const SEEDS: u64 = 500;
const EVENTS: u64 = 20_000;

fn gate(nodes: usize) -> Vec<SeedReport> {
    let options = ChaosOptions {
        nodes,
        events: EVENTS,
        ..ChaosOptions::default()
    };
    let reports: Vec<SeedReport> = (0..SEEDS)
        .map(|s| raft::PROTOCOL.chaos_seed(s, &options))
        .collect();
    support::assert_no_violations("raft", nodes, EVENTS, &reports);
    reports
}

fn coverage_floors(reports: &[SeedReport]) {
    let floors: [(&str, f64, f64); 11] = [
        (
            "two or more leader changes",
            share(reports, |r| r.counters.protocol("became_leader") >= 2),
            0.9,
        ),
        (
            "a log truncated on conflict",
            share(reports, |r| r.counters.protocol("truncations") > 0),
            0.3,
        ),
        (
            "a snapshot installed by InstallSnapshot",
            share(reports, |r| r.counters.protocol("snapshots_installed") > 0),
            0.5,
        ),
        (
            "a client redirect followed",
            share(reports, |r| r.counters.protocol("redirects_followed") > 0),
            0.9,
        ),
        (
            "a leader stepping down by CheckQuorum",
            share(reports, |r| {
                r.counters.protocol("check_quorum_stepdowns") > 0
            }),
            0.3,
        ),
        (
            "a crash and a restart",
            share(reports, |r| {
                r.counters.crashes > 0 && r.counters.restarts > 0
            }),
            0.9,
        ),
        (
            "a partition",
            share(reports, |r| r.counters.partitions > 0),
            0.9,
        ),
        (
            "a one-way cut",
            share(reports, |r| r.counters.one_way_cuts > 0),
            0.8,
        ),
        ("a pause", share(reports, |r| r.counters.pauses > 0), 0.8),
        (
            "a message cut in flight",
            share(reports, |r| r.counters.dropped_cut_in_flight > 0),
            0.8,
        ),
        (
            "a duplicated message",
            share(reports, |r| r.counters.duplicated > 0),
            0.8,
        ),
    ];
    support::assert_floors(&floors);
    let worst = reports
        .iter()
        .filter_map(|r| r.settle_ms)
        .max()
        .unwrap_or(0);
    println!("slowest settle after heal: {worst} ms");
}

#[test]
fn raft_three_nodes_survive_chaos() {
    let reports = gate(3);
    coverage_floors(&reports);
}

#[test]
fn raft_five_nodes_survive_chaos() {
    let reports = gate(5);
    coverage_floors(&reports);
}
