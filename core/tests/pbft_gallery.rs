//! PBFT's named scenarios promise specific outcomes, checked here on typed state (their traces
//! are pinned by `golden.rs` like every scenario's). Re-bless traces with
//! `NETSPLIT_BLESS=1 cargo test -p netsplit-core --test golden`.
//!
//! - `pbft-normal-case`: the three phases, f + 1 matching replies, a stable checkpoint.
//! - `pbft-primary-crash`: a view change replaces a crashed primary; the restarted one rejoins.
//! - `pbft-silent-backup`: a silent faulty backup cannot stop progress.
//! - `pbft-equivocating-primary`: an equivocating primary is detected and masked.
//! - `pbft-f-plus-one`: the same attack with f + 1 faulty replicas breaks agreement — the
//!   teeth of the agreement checker.
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::checkers::linearizability::Outcome;
use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::protocols::pbft::{self, Mode, Pbft, PbftOp, Replica};
use netsplit_core::run::playground::{Playground, Session};
use netsplit_core::{build, NodeId, Time};

/// Run gallery scenario `name` to its end; the playground and the session behind it.
fn run(name: &str) -> Box<dyn Playground> {
    let s = netsplit_core::run::gallery::load(name).expect("gallery scenario");
    assert_eq!(s.protocol, pbft::ID);
    let mut p = build(&s).expect("valid");
    p.run_until(s.until.expect("until"), u64::MAX);
    assert!(p.refused().is_empty(), "{:?}", p.refused());
    p
}

fn session(p: &dyn Playground) -> &Session<Pbft> {
    p.as_any()
        .downcast_ref::<Session<Pbft>>()
        .expect("a PBFT session")
}

fn replica(p: &dyn Playground, i: u8) -> &Replica {
    session(p).sim().server(NodeId(i - 1)).expect("running")
}

fn ops(p: &dyn Playground) -> Vec<PbftOp> {
    session(p)
        .sim()
        .client(NodeId::client(0))
        .map(|c| c.history().to_vec())
        .unwrap_or_default()
}

/// c1's results, in order (`None`: no answer).
fn results(p: &dyn Playground) -> Vec<Option<Outcome>> {
    ops(p)
        .iter()
        .map(|o| o.returned.as_ref().map(|(_, r)| r.clone()))
        .collect()
}

fn value(v: &str) -> Outcome {
    Outcome::Value(Some(v.to_string()))
}

#[test]
fn normal_case_runs_three_requests_through_three_phases_and_a_checkpoint() {
    let p = run("pbft-normal-case");
    assert!(p.violations().is_empty(), "{:?}", p.violations());
    assert_eq!(
        results(&*p),
        [Some(Outcome::Ok), Some(value("1")), Some(Outcome::Ok)]
    );
    for o in ops(&*p) {
        assert_eq!(o.agreeing.len(), 2, "f + 1 matching replies: {o:?}");
        assert_eq!(o.broadcasts, 0, "no retransmission needed");
    }
    for i in 1..=4 {
        let r = replica(&*p, i);
        assert_eq!(r.last_executed(), 3, "n{i}");
        assert_eq!(r.current_view(), 0);
        assert_eq!(r.low_water_mark(), 2, "checkpoint n=2 is stable at n{i}");
        assert_eq!(r.high_water_mark(), 6);
        assert!(r.slots().keys().all(|n| *n > 2), "log below h collected");
        assert_eq!(
            r.stable_checkpoint().proof.len(),
            3,
            "2f + 1 checkpoint messages"
        );
    }
    assert_eq!(p.counters().protocol("view_changes"), 0);
}

#[test]
fn a_crashed_primary_is_replaced_by_a_view_change_and_rejoins_after_restart() {
    let p = run("pbft-primary-crash");
    assert!(p.violations().is_empty(), "{:?}", p.violations());
    let history = ops(&*p);
    assert_eq!(history.len(), 2);
    let (put, get) = (&history[0], &history[1]);
    assert!(put.broadcasts >= 1, "the client retransmitted to everyone");
    let (done, outcome) = put.returned.clone().expect("answered");
    assert_eq!(outcome, Outcome::Ok);
    assert!(done > Time(1600), "only after the view change");
    assert_eq!(
        get.returned.as_ref().map(|(_, r)| r.clone()),
        Some(value("1"))
    );
    for i in 1..=4 {
        let r = replica(&*p, i);
        assert_eq!(r.current_view(), 1, "n{i}");
        assert_eq!(r.mode(), Mode::Normal);
        assert_eq!(r.last_executed(), 2, "n{i}");
    }
    assert!(replica(&*p, 2).is_primary());
    assert_eq!(p.counters().protocol("new_views"), 1);
    assert_eq!(p.snapshot().nodes[0].status, NodeStatus::Up);
}

#[test]
fn a_silent_backup_cannot_stop_progress() {
    let p = run("pbft-silent-backup");
    assert!(p.violations().is_empty(), "{:?}", p.violations());
    assert_eq!(
        results(&*p),
        [Some(Outcome::Ok), Some(Outcome::Ok), Some(value("2"))]
    );
    let silent = replica(&*p, 4);
    assert_eq!(silent.behaviour(), Some(pbft::Behaviour::Silent));
    assert_eq!(silent.last_executed(), 0, "it does nothing at all");
    for i in 1..=3 {
        let r = replica(&*p, i);
        assert_eq!((r.current_view(), r.last_executed()), (0, 3), "n{i}");
        assert_eq!(r.low_water_mark(), 2);
    }
    assert_eq!(p.counters().protocol("view_change_messages"), 0);
    let badge = p.snapshot().nodes[3].view.badge.clone();
    assert_eq!(badge.as_deref(), Some("☠ silent"));
}

#[test]
fn an_equivocating_primary_is_detected_and_masked() {
    let p = run("pbft-equivocating-primary");
    assert!(p.violations().is_empty(), "{:?}", p.violations());
    assert_eq!(results(&*p), [Some(Outcome::Ok), Some(value("1"))]);
    let n4 = replica(&*p, 4);
    let proofs = n4.equivocation_proofs();
    assert!(
        proofs.iter().any(|e| e.view == 0 && e.seq == 1),
        "n4 holds proof that n1 equivocated at n=1: {proofs:?}"
    );
    // Every correct replica executed the same two requests in the same state.
    let states: Vec<_> = (2..=4).map(|i| replica(&*p, i).kv().clone()).collect();
    assert!(states.iter().all(|s| *s == states[0]));
    assert!((2..=4).all(|i| replica(&*p, i).last_executed() == 2));
    assert!(p.counters().protocol("learned_by_certificate") >= 2);
    assert!(p.counters().protocol("conflicting_prepares") > 0);
}

#[test]
fn f_plus_one_faulty_replicas_break_agreement_and_the_checker_says_so() {
    let p = run("pbft-f-plus-one");
    let v = p.violations();
    assert!(!v.is_empty());
    assert!(v.iter().all(|v| v.checker == "agreement"), "{v:?}");
    assert_eq!(v[0].at, Time(228));
    assert_eq!(
        v[0].detail,
        "n3 committed a null request at n=1, but n2 committed c1#1 put x 1 there"
    );
    // The two correct replicas now hold different states.
    assert_ne!(replica(&*p, 2).kv(), replica(&*p, 3).kv());
    // The twin with f faulty replicas stays safe (the previous test): only the count differs.
    let twin = netsplit_core::run::gallery::load("pbft-equivocating-primary").unwrap();
    let this = netsplit_core::run::gallery::load("pbft-f-plus-one").unwrap();
    assert_eq!(twin.cluster, this.cluster);
    assert_eq!(
        twin.config["byzantine"]["n1"],
        this.config["byzantine"]["n1"]
    );
    assert_eq!(
        this.config["byzantine"].as_object().map(|m| m.len()),
        Some(2)
    );
}
