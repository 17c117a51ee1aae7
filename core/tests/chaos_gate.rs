//! The simulation gate: hundreds of seeds of random faults against Raft — elections,
//! replication, snapshots, PreVote/CheckQuorum — with three clients issuing key-value commands
//! throughout and every checker (including client-history linearizability) running after every
//! event. Zero violations, a leader and a new commit within ten election timeouts after every
//! heal, stability under a partial partition, and coverage floors proving the faults and the
//! protocol's rarer paths were really exercised.
//!
//! Larger soaks: `cargo run --release -p netsplit-cli -- chaos --protocol raft --seeds 10000`.
//!
//! Lease reads get their own gate (read mode `lease`, otherwise the same chaos): the lease
//! rests on voters keeping their promise through restarts and timeouts (issue 11), so its
//! floors ask for lease reads served, votes refused after a restart and campaigns postponed.

mod support;

use netsplit_core::protocols::raft::{self, Raft, RaftConfig, ReadMode};
use netsplit_core::run::chaos::{run_seed_with, ChaosOptions, SeedReport};
use netsplit_core::run::registry::Protocol;
use support::share;

const SEEDS: u64 = 500;
const LEASE_SEEDS: u64 = 300;
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
    support::assert_no_violations(raft::ID, &options, &reports);
    reports
}

/// The lease gate: chaos with reads served by lease. A failure's scenario is written where
/// `netsplit run` replays it (the chaos command line cannot name the read mode).
fn lease_gate(nodes: usize) -> Vec<SeedReport> {
    let options = ChaosOptions {
        nodes,
        events: EVENTS,
        ..ChaosOptions::default()
    };
    let config = RaftConfig {
        read_mode: ReadMode::Lease,
        ..RaftConfig::default()
    };
    let reports: Vec<SeedReport> = (0..LEASE_SEEDS)
        .map(|s| run_seed_with::<Raft>(raft::ID, s, &options, |_| config.clone()))
        .collect();
    let failures: Vec<String> = reports
        .iter()
        .filter(|r| !r.violations.is_empty())
        .flat_map(|r| {
            let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("raft-lease-chaos-{nodes}-{}.json", r.seed));
            let _ = std::fs::write(&path, r.scenario.to_json());
            r.violations.iter().map(move |v| {
                format!(
                    "seed {} (event {}, t={}): {} — {}\n  repro: cargo run -p netsplit-cli -- run --scenario {}",
                    r.seed,
                    v.event,
                    v.at,
                    v.checker,
                    v.detail,
                    path.display()
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
    reports
}

/// Whether a seed's protocol counter `name` moved.
fn counted(name: &'static str) -> impl Fn(&SeedReport) -> bool {
    move |r| r.counters.protocol(name) > 0
}

fn lease_floors(reports: &[SeedReport]) {
    support::assert_floors(&[
        (
            "a read served under a lease",
            share(reports, counted("lease_reads")),
            0.9,
        ),
        (
            "a vote refused by a server restarted inside its promise",
            share(reports, counted("votes_refused_after_restart")),
            0.8,
        ),
        (
            "a forced timeout postponed inside its promise",
            share(reports, counted("campaigns_postponed")),
            0.8,
        ),
        (
            "a crash and a restart",
            share(reports, |r| {
                r.counters.crashes > 0 && r.counters.restarts > 0
            }),
            0.9,
        ),
    ]);
}

fn coverage_floors(reports: &[SeedReport]) {
    let floors: [(&str, f64, f64); 13] = [
        (
            "two or more leader changes",
            share(reports, |r| r.counters.protocol("became_leader") >= 2),
            0.9,
        ),
        (
            "a log truncated on conflict",
            share(reports, counted("truncations")),
            0.3,
        ),
        (
            "a snapshot installed by InstallSnapshot",
            share(reports, counted("snapshots_installed")),
            0.5,
        ),
        (
            "a client redirect followed",
            share(reports, counted("redirects_followed")),
            0.9,
        ),
        (
            "a leader stepping down by CheckQuorum",
            share(reports, counted("check_quorum_stepdowns")),
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
        (
            "a retried or duplicated command caught by a session",
            share(reports, counted("duplicates_caught")),
            0.9,
        ),
        (
            "a snapshot with client sessions installed",
            share(reports, counted("snapshots_installed_with_sessions")),
            0.5,
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

#[test]
fn raft_lease_reads_three_nodes_survive_chaos() {
    lease_floors(&lease_gate(3));
}

#[test]
fn raft_lease_reads_five_nodes_survive_chaos() {
    lease_floors(&lease_gate(5));
}
