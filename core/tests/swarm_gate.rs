//! The swarm gate: for every registered protocol, 500 seeds of swarm chaos (each seed draws
//! its own cluster size, clients, fault mix and weights, tempo, workload and protocol options
//! — swarm testing as in FoundationDB's simulator and TigerBeetle's VOPR) × 20,000 events,
//! every checker after every event. Zero violations; the end-of-run verdicts sound (every
//! seed checked client operations, no malformed history, `Unknown` ≤ 0.1 % of keys); and
//! coverage floors over the drawn configurations, so a draw that stopped reaching a path
//! (lease reads, snapshots, duplicates, restarts) fails here rather than going quiet.
//!
//! The default-mode gates (`chaos_gate.rs`, `kv_chaos_gate.rs`, `commit_chaos_gate.rs`) keep
//! their fixed configurations and stricter per-path floors. Larger soaks:
//! `cargo run --release -p netsplit-cli -- chaos --protocol <id> --seeds 10000`.

mod support;

use netsplit_core::run::chaos::{ChaosOptions, SeedReport};
use netsplit_core::run::registry::Registry;
use support::share;

const SEEDS: u64 = 500;

fn swarm(protocol: &str, options: &ChaosOptions) -> Vec<SeedReport> {
    let registry = Registry::builtin();
    let entry = registry.get(protocol).expect("a registered protocol");
    let started = std::time::Instant::now();
    let reports: Vec<SeedReport> = (0..SEEDS).map(|s| entry.chaos_seed(s, options)).collect();
    let events: u64 = reports.iter().map(|r| r.events).sum();
    println!(
        "{protocol} swarm: {SEEDS} seeds, {events} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    support::assert_no_violations(protocol, options, &reports);
    support::assert_verdicts(protocol, options, &reports);
    reports
}

/// The share of seeds whose protocol counter `name` is positive, with its floor.
fn floor(reports: &[SeedReport], name: &'static str, min: f64) -> (&'static str, f64, f64) {
    (name, share(reports, |r| r.counters.protocol(name) > 0), min)
}

/// The share of seeds whose drawn configuration has `field` equal to `value`.
fn drawn(reports: &[SeedReport], field: &str, value: &str) -> f64 {
    share(reports, |r| {
        r.plan.config.get(field).and_then(|v| v.as_str()) == Some(value)
            || r.plan
                .config
                .get(field)
                .and_then(|v| v.as_bool())
                .map(|b| b.to_string())
                == Some(value.to_string())
    })
}

#[test]
fn raft_survives_swarm_chaos() {
    let options = ChaosOptions::swarm();
    let r = swarm(netsplit_core::protocols::raft::ID, &options);
    println!(
        "drawn: read mode lease {:.0} %, read-index {:.0} %, log {:.0} %; PreVote {:.0} %",
        100.0 * drawn(&r, "read_mode", "lease"),
        100.0 * drawn(&r, "read_mode", "read-index"),
        100.0 * drawn(&r, "read_mode", "log"),
        100.0 * drawn(&r, "pre_vote", "true"),
    );
    support::assert_floors(&[
        floor(&r, "became_leader", 0.99),
        floor(&r, "lease_reads", 0.18),
        floor(&r, "duplicates_caught", 0.9),
        floor(&r, "snapshots_installed_with_sessions", 0.5),
        floor(&r, "truncations", 0.5),
        floor(&r, "votes_refused_after_restart", 0.4),
        floor(&r, "campaigns_postponed", 0.35),
        floor(&r, "check_quorum_stepdowns", 0.5),
        ("a crash", share(&r, |r| r.counters.crashes > 0), 0.5),
    ]);
}

#[test]
fn dynamo_survives_swarm_chaos() {
    let r = swarm(netsplit_core::protocols::dynamo::ID, &ChaosOptions::swarm());
    support::assert_floors(&[
        floor(&r, "writes_acked", 0.99),
        floor(&r, "hints_delivered", 0.9),
        floor(&r, "read_repairs", 0.6),
        floor(&r, "siblings_read", 0.35),
        floor(&r, "duplicate_requests", 0.85),
        ("a crash", share(&r, |r| r.counters.crashes > 0), 0.5),
    ]);
}

#[test]
fn two_phase_commit_survives_swarm_chaos() {
    let r = swarm("2pc", &ChaosOptions::swarm());
    support::assert_floors(&[
        floor(&r, "commits", 0.9),
        floor(&r, "aborts", 0.5),
        floor(&r, "in_doubt_asks", 0.85),
        floor(&r, "duplicate_begins", 0.7),
        floor(&r, "coordinator_recoveries", 0.35),
        floor(&r, "participant_recoveries", 0.5),
    ]);
}

// 3PC is not gated here. Under its own assumptions in default mode (crashes only, the fixed
// timing) `commit_chaos_gate.rs` shows it safe and live; swarm draws, even crash-only, reach
// a total failure — both participants crash before acknowledging PreCommit, the coordinator
// commits anyway and then crashes too; the recovered participants find each other merely
// prepared and the termination protocol aborts (seed 205, `--no-loss --no-duplication
// --no-reordering --no-partitions --no-pauses --no-timeouts`). That is 3PC's known limit
// (Skeen 1981: after a total failure, recovery must wait for the last site to fail), written
// up in docs/protocols/atomic-commit.md, not a regression a gate should hold at zero.

/// The lock service on Raft. It has no end-of-run history check (its checkers run after every
/// event), so only violations and coverage are judged: grants, a fenced resource turning a
/// stale write away, deadlocks broken, waits timed out, leases ended through the log, leader
/// changes, and leader changes during a handoff.
#[test]
fn locks_survive_swarm_chaos() {
    let protocol = netsplit_core::protocols::locks::ID;
    let options = ChaosOptions::swarm();
    let registry = Registry::builtin();
    let entry = registry.get(protocol).expect("a registered protocol");
    let r: Vec<SeedReport> = (0..SEEDS).map(|s| entry.chaos_seed(s, &options)).collect();
    support::assert_no_violations(protocol, &options, &r);
    support::assert_floors(&[
        // A quarter of the draws has one client, the resource, and no worker.
        floor(&r, "grants", 0.7),
        floor(&r, "fenced_writes_rejected", 0.08),
        // Deadlocks broken by detection (the victim told), and in the timeout-only draws
        // (one in four) waits given up.
        floor(&r, "deadlock_victims", 0.05),
        floor(&r, "wait_timeouts", 0.02),
        // Expiries are proposed by the leader (its own log entries).
        floor(&r, "own_proposals", 0.65),
        // A lock handed on (by a release, an expiry or a conversion) to a waiter that queued
        // under an earlier leader: a leader change during a handoff.
        floor(&r, "handoffs_across_leader_change", 0.15),
        (
            "a leader change",
            share(&r, |r| r.counters.protocol("became_leader") > 1),
            0.6,
        ),
    ]);
}
