//! The atomic commit gallery scenarios keep their promises (their traces are pinned by
//! `golden.rs`; this file states what each one is *for*).
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::kernel::node::Server;
use netsplit_core::protocols::atomic_commit::{AtomicCommit, CommitServer, Outcome, TxnId};
use netsplit_core::run::gallery;
use netsplit_core::run::playground::Session;
use netsplit_core::{build, NodeId, Playground, Time};

const N1: NodeId = NodeId(0);
const N2: NodeId = NodeId(1);
const N3: NodeId = NodeId(2);
const N4: NodeId = NodeId(3);

/// A gallery scenario's run, built through the registry like the page builds it.
struct Run(Box<dyn Playground>);

/// The gallery scenario `id` run to `until`.
fn session(id: &str, until: u64) -> Run {
    let s = gallery::load(id).unwrap_or_else(|e| panic!("{id}: {e}"));
    let mut p = build(&s).expect("valid");
    p.run_until(Time(until), u64::MAX);
    assert!(p.refused().is_empty(), "{id}: {:?}", p.refused());
    Run(p)
}

/// The typed session behind a playground (what the page's panel reads).
fn typed(p: &Run) -> &Session<AtomicCommit> {
    p.0.as_any()
        .downcast_ref::<Session<AtomicCommit>>()
        .expect("an atomic commit session")
}

fn node(p: &Run, id: NodeId) -> &CommitServer {
    typed(p).sim().server(id).expect("running")
}

fn outcome(p: &Run, id: NodeId, txn: u64) -> Option<Outcome> {
    node(p, id).durable_state().done.get(&TxnId(txn)).copied()
}

fn log(p: &Run) -> Vec<String> {
    node(p, N1)
        .durable_state()
        .log
        .iter()
        .map(|r| r.to_string())
        .collect()
}

fn value(p: &Run, id: NodeId, key: &str) -> Option<i64> {
    node(p, id).durable_state().store.get(key).copied()
}

fn trace(p: &Run) -> String {
    typed(p).sim().trace_text()
}

#[test]
fn happy_path_commits_everywhere_and_ends() {
    let p = session("2pc-happy-path", 1000);
    for (id, k, v) in [(N2, "x", 1), (N3, "y", 2), (N4, "z", 3)] {
        assert_eq!(outcome(&p, id, 1), Some(Outcome::Commit));
        assert_eq!(value(&p, id, k), Some(v));
        assert!(node(&p, id).locks().is_empty());
    }
    assert_eq!(log(&p), ["commit t1 → n2 n3 n4", "end t1"]);
    assert!(trace(&p).contains("c1 returns t1 committed"));
}

#[test]
fn a_no_vote_aborts_everywhere_and_nothing_is_logged() {
    let p = session("2pc-vote-no", 1500);
    assert_eq!(outcome(&p, N2, 1), Some(Outcome::Abort));
    assert_eq!(outcome(&p, N2, 2), Some(Outcome::Abort));
    assert_eq!(value(&p, N2, "x"), None);
    assert!(log(&p).is_empty(), "aborts are never logged");
    let t = trace(&p);
    assert!(t.contains("t1 aborted (n3 voted no)"), "constraint");
    assert!(t.contains("votes no (told to refuse)"), "refusal");
    assert!(t.contains("t2 aborted (n4 voted no)"));
}

#[test]
fn participants_block_while_the_coordinator_is_down_then_resolve_from_its_log() {
    let during = session("2pc-coordinator-crash", 1400);
    assert!(typed(&during).sim().node(N1).is_none(), "n1 is down");
    for id in [N2, N3, N4] {
        let n = node(&during, id);
        assert!(n.blocked(), "{id} is blocked");
        assert!(n.view().badge.is_some_and(|b| b.contains("blocked")));
        assert_eq!(n.locks().len(), 1, "{id} holds its lock");
        assert_eq!(outcome(&during, id, 1), None, "{id} has not decided alone");
    }
    let after = session("2pc-coordinator-crash", 2500);
    for id in [N2, N3, N4] {
        assert_eq!(outcome(&after, id, 1), Some(Outcome::Commit));
        assert!(!node(&after, id).blocked());
    }
    assert_eq!(log(&after), ["commit t1 → n2 n3 n4", "end t1"]);
    assert!(trace(&after).contains("recovery: log has commit t1 without end record"));
}

#[test]
fn a_prepared_participant_recovers_from_its_record_and_asks() {
    let during = session("2pc-participant-crash", 900);
    assert!(typed(&during).sim().node(N3).is_none());
    assert_eq!(log(&during), ["commit t1 → n2 n3"], "no end record yet");
    let after = session("2pc-participant-crash", 2000);
    assert_eq!(value(&after, N3, "y"), Some(2));
    assert_eq!(log(&after), ["commit t1 → n2 n3", "end t1"]);
    assert!(trace(&after).contains("n3 recovery: prepared record for t1"));
}

#[test]
fn no_record_means_abort() {
    let during = session("2pc-presumed-abort", 1100);
    assert_eq!(outcome(&during, N2, 1), Some(Outcome::Abort));
    assert!(node(&during, N4).blocked(), "n4 is in doubt and blocked");
    assert!(log(&during).is_empty());
    let after = session("2pc-presumed-abort", 2000);
    assert_eq!(outcome(&after, N4, 1), Some(Outcome::Abort));
    assert!(trace(&after).contains("no record of t1: presumed abort"));
}

#[test]
fn read_only_participants_leave_phase_two() {
    let p = session("2pc-read-only", 1200);
    assert_eq!(
        log(&p),
        ["commit t1 → n2 n3", "end t1"],
        "no record for t2 at all"
    );
    assert_eq!(outcome(&p, N4, 1), None, "n4 took no part in phase two");
    assert!(trace(&p).contains("votes read-only and leaves phase two"));
    assert!(trace(&p).contains("c1 returns t2 committed"));
}

#[test]
fn conflicting_transactions_abort_one_without_waiting() {
    let p = session("2pc-conflict", 1200);
    assert_eq!(outcome(&p, N2, 1), Some(Outcome::Commit));
    assert_eq!(outcome(&p, N3, 2), Some(Outcome::Abort));
    assert_eq!(
        outcome(&p, N3, 3),
        Some(Outcome::Commit),
        "the retry commits"
    );
    assert_eq!((value(&p, N2, "x"), value(&p, N3, "y")), (Some(2), Some(2)));
    assert!(trace(&p).contains("lock conflict: y is locked by t1 (no-wait)"));
}

#[test]
fn a_duplicated_begin_runs_once_even_after_the_coordinator_restarts() {
    let p = session("2pc-duplicate-begin", 3500);
    assert!(p.0.violations().is_empty(), "{:?}", p.0.violations());
    // c2's later values stand: c1's late copy did not put x=1, y=1 back.
    assert_eq!((value(&p, N2, "x"), value(&p, N3, "y")), (Some(2), Some(2)));
    assert_eq!(
        log(&p),
        ["commit t1 → n2 n3", "end t1", "commit t2 → n2 n3", "end t2"]
    );
    let coord = node(&p, N1).durable_state();
    assert_eq!(coord.next_txn, 2, "no third transaction was begun");
    // The client table survived the restart and names t1 for c1's request #1.
    assert_eq!(coord.clients[&NodeId::client(0)].begun[&1], TxnId(1));
    let t = trace(&p);
    assert!(t.contains("n1 restarted from durable state"));
    assert!(t.contains("duplicate Begin #1 from c1: t1 is committed (on the log)"));
    assert_eq!(t.matches("c1 returns").count(), 1, "c1 is answered once");
}

#[test]
fn the_same_partition_breaks_3pc_but_only_blocks_2pc() {
    let three = session("3pc-partition", 3000);
    let checkers: Vec<&str> = three.0.violations().iter().map(|v| v.checker).collect();
    assert!(
        checkers.contains(&"atomicity"),
        "3PC: {:?}",
        three.0.violations()
    );
    assert_eq!(outcome(&three, N2, 1), Some(Outcome::Commit));
    assert_eq!(outcome(&three, N3, 1), Some(Outcome::Abort));

    let during = session("2pc-partition", 1900);
    assert!(node(&during, N3).blocked() && node(&during, N4).blocked());
    let two = session("2pc-partition", 3000);
    assert!(
        two.0.violations().is_empty(),
        "2PC: {:?}",
        two.0.violations()
    );
    for id in [N2, N3, N4] {
        assert_eq!(outcome(&two, id, 1), Some(Outcome::Commit), "{id}");
    }
    // Same faults at the same times in both.
    let a = gallery::load("3pc-partition").expect("loads");
    let b = gallery::load("2pc-partition").expect("loads");
    assert_eq!(a.actions, b.actions);
    assert_eq!((a.cluster, a.seed), (b.cluster, b.seed));
}
