//! Handler tests (exact effect lists) and small simulations of atomic commit.

use super::msg::{parse_request, CommitMsg, CommitReply, CommitRequest, Outcome, TxnId, Vote};
use super::node::{CommitServer, CommitTimer};
use super::AtomicCommit;
use super::{CommitConfig, Variant};
use crate::kernel::config::ClusterConfig;
use crate::kernel::control::Control;
use crate::kernel::harness::Harness;
use crate::kernel::net::NetConfig;
use crate::kernel::node::{Client, Ctx, Effect, Effects, Message, Server};
use crate::kernel::sim::Simulator;
use crate::kernel::trace::TraceEvent;
use crate::kernel::types::{NodeId, Time};

type Out = Effects<AtomicCommit>;

const N1: NodeId = NodeId(0);
const N2: NodeId = NodeId(1);
const N3: NodeId = NodeId(2);
const N4: NodeId = NodeId(3);

fn spec(text: &str) -> super::TxnSpec {
    match parse_request(N1, text) {
        Ok(CommitRequest::Txn(s)) => s,
        other => panic!("{other:?}"),
    }
}

/// Run one handler of `node` and return its effects.
fn run(
    node: &mut CommitServer,
    f: impl FnOnce(&mut CommitServer, &mut Ctx<'_, AtomicCommit>),
) -> Out {
    Harness::new(4).at(100).run(node.id, node, f)
}

fn sends(out: &Out) -> Vec<(NodeId, String)> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Send { to, msg } => Some((*to, format!("{} {msg}", msg.kind()))),
            _ => None,
        })
        .collect()
}

fn ids(n: usize) -> Vec<NodeId> {
    (0..n).map(NodeId::from_index).collect()
}

fn fresh(id: NodeId, config: &CommitConfig) -> CommitServer {
    <CommitServer as Server<AtomicCommit>>::new(id, &ids(4), config, None)
}

fn prepare(txn: u64, work: &str) -> CommitMsg {
    let s = spec(&format!("txn {work}"));
    let (_, w) = s.parts.into_iter().next().expect("one participant");
    CommitMsg::Prepare {
        txn: TxnId(txn),
        work: w,
        writers: vec![N2, N3],
    }
}

#[test]
fn prepare_forces_a_record_arms_the_in_doubt_timer_and_votes_yes() {
    let config = CommitConfig::default();
    let mut p = fresh(N2, &config);
    let out = run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(1, "n2:x=5")));
    assert_eq!(out.len(), 4, "{out:?}");
    assert!(matches!(&out[0], Effect::Note(t) if t.contains("prepared record forced")));
    assert_eq!(out[1], Effect::Count("prepared"));
    assert_eq!(
        out[2],
        Effect::SetTimer {
            timer: CommitTimer::InDoubt(TxnId(1)),
            after_ms: 500
        }
    );
    assert_eq!(
        out[3],
        Effect::Send {
            to: N1,
            msg: CommitMsg::Vote {
                txn: TxnId(1),
                vote: Vote::Yes
            }
        }
    );
    assert!(p.durable().prepared.contains_key(&TxnId(1)));
    assert_eq!(p.locks().get("x"), Some(&(TxnId(1), true)));
    // A duplicate Prepare gets the same vote and changes nothing.
    let out = run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(1, "n2:x=5")));
    assert_eq!(sends(&out), vec![(N1, "Vote t1 yes".to_string())]);
}

#[test]
fn a_lock_conflict_a_constraint_and_a_refusal_vote_no() {
    let config = CommitConfig::default();
    let mut p = fresh(N2, &config);
    run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(1, "n2:x=5")));
    let out = run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(2, "n2:x=6")));
    assert_eq!(sends(&out), vec![(N1, "Vote t2 no".to_string())]);
    assert_eq!(out[0], Effect::Count("lock_conflicts"));
    assert!(matches!(&out[1], Effect::Note(t) if t.contains("x is locked by t1 (no-wait)")));
    assert_eq!(p.durable().done.get(&TxnId(2)), Some(&Outcome::Abort));
    let out = run(&mut p, |n, ctx| {
        n.on_message(ctx, N1, prepare(3, "n2:y=-1"))
    });
    assert_eq!(sends(&out), vec![(N1, "Vote t3 no".to_string())]);
    assert!(matches!(&out[1], Effect::Note(t) if t.contains("constraint: y must be ≥ 0")));
    run(&mut p, |n, ctx| {
        n.on_request(ctx, 0, CommitRequest::Refuse { node: N2, on: true })
    });
    let out = run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(4, "n2:z=1")));
    assert_eq!(sends(&out), vec![(N1, "Vote t4 no".to_string())]);
    // A read of a key write-locked by t1 conflicts too; a read of a free key is read-only and
    // leaves no record.
    run(&mut p, |n, ctx| {
        n.on_request(
            ctx,
            0,
            CommitRequest::Refuse {
                node: N2,
                on: false,
            },
        )
    });
    let out = run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(5, "n2:x")));
    assert_eq!(sends(&out), vec![(N1, "Vote t5 no".to_string())]);
    let out = run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(6, "n2:w")));
    assert_eq!(sends(&out), vec![(N1, "Vote t6 read-only".to_string())]);
    assert!(!p.durable().prepared.contains_key(&TxnId(6)));
    assert_eq!(p.conflicts, 2);
}

#[test]
fn coordinator_begins_then_forces_commit_before_sending_it() {
    let config = CommitConfig::default();
    let mut c = fresh(N1, &config);
    let out = run(&mut c, |n, ctx| {
        n.on_request(ctx, 9, CommitRequest::Txn(spec("txn n2:x=1 n3:y=2 n4:z")))
    });
    assert_eq!(
        sends(&out),
        vec![
            (N2, "Prepare t1 x=1".to_string()),
            (N3, "Prepare t1 y=2".to_string()),
            (N4, "Prepare t1 z?".to_string()),
        ]
    );
    assert_eq!(
        out.last(),
        Some(&Effect::SetTimer {
            timer: CommitTimer::Votes(TxnId(1)),
            after_ms: 300
        })
    );
    let vote = |v| CommitMsg::Vote {
        txn: TxnId(1),
        vote: v,
    };
    assert!(sends(&run(&mut c, |n, ctx| n.on_message(
        ctx,
        N2,
        vote(Vote::Yes)
    )))
    .is_empty());
    assert!(sends(&run(&mut c, |n, ctx| n.on_message(
        ctx,
        N4,
        vote(Vote::ReadOnly)
    )))
    .is_empty());
    assert!(
        c.durable().log.is_empty(),
        "nothing logged before the decision"
    );
    let out = run(&mut c, |n, ctx| n.on_message(ctx, N3, vote(Vote::Yes)));
    // The record is on the log when the handler's sends leave (effects apply after it returns).
    assert_eq!(c.durable().log.len(), 1);
    assert_eq!(c.durable().log[0].to_string(), "commit t1 → n2 n3");
    assert_eq!(
        sends(&out),
        vec![(N2, "Commit t1".to_string()), (N3, "Commit t1".to_string())],
        "the read-only n4 leaves phase two"
    );
    assert!(out.contains(&Effect::Reply {
        client: 9,
        reply: CommitReply::Committed(TxnId(1))
    }));
    run(&mut c, |n, ctx| {
        n.on_message(ctx, N2, CommitMsg::Ack { txn: TxnId(1) })
    });
    let out = run(&mut c, |n, ctx| {
        n.on_message(ctx, N3, CommitMsg::Ack { txn: TxnId(1) })
    });
    assert_eq!(c.durable().log[1].to_string(), "end t1");
    assert!(out.contains(&Effect::CancelTimer {
        timer: CommitTimer::Resend(TxnId(1))
    }));
}

#[test]
fn abort_is_not_logged_and_unknown_means_abort() {
    let config = CommitConfig::default();
    let mut c = fresh(N1, &config);
    run(&mut c, |n, ctx| {
        n.on_request(ctx, 1, CommitRequest::Txn(spec("txn n2:x=1 n3:y=2")))
    });
    let out = run(&mut c, |n, ctx| {
        n.on_timer(ctx, CommitTimer::Votes(TxnId(1)))
    });
    assert_eq!(
        sends(&out),
        vec![(N2, "Abort t1".to_string()), (N3, "Abort t1".to_string())]
    );
    assert!(c.durable().log.is_empty());
    // After a crash the coordinator has no record at all: presumed abort.
    let mut c =
        <CommitServer as Server<AtomicCommit>>::new(N1, &ids(4), &config, Some(c.durable()));
    let out = run(&mut c, |n, ctx| {
        n.on_message(
            ctx,
            N3,
            CommitMsg::Query {
                txn: TxnId(1),
                alone: false,
            },
        )
    });
    assert_eq!(sends(&out), vec![(N3, "Abort t1".to_string())]);
}

#[test]
fn bad_transactions_are_rejected_by_the_coordinator() {
    let config = CommitConfig::default();
    let mut c = fresh(N1, &config);
    for (text, want) in [
        ("txn n7:x=1", "unknown participant n7"),
        ("txn n1:x=1", "n1 is the coordinator"),
    ] {
        let out = run(&mut c, |n, ctx| {
            n.on_request(ctx, 3, CommitRequest::Txn(spec(text)))
        });
        match out.as_slice() {
            [Effect::Reply {
                reply: CommitReply::Rejected(why),
                ..
            }] => assert!(why.contains(want), "{why}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(c.durable().next_txn, 0, "no id is used up");
}

/// Client c1's Begin for request `req` (its oldest waiting request is `floor`).
fn begin(req: u64, floor: u64, text: &str) -> CommitMsg {
    CommitMsg::Begin {
        req,
        spec: spec(text),
        floor,
    }
}

fn restarted(c: &CommitServer, config: &CommitConfig) -> CommitServer {
    <CommitServer as Server<AtomicCommit>>::new(c.id, &ids(4), config, Some(c.durable()))
}

#[test]
fn a_duplicate_begin_is_answered_from_the_durable_client_table_and_never_run_again() {
    let config = CommitConfig::default();
    let c1 = NodeId::client(0);
    // c1's Begin for request `req` (oldest waiting `floor`) arrives at the coordinator.
    let send = |c: &mut CommitServer, req: u64, floor: u64, text: &str| {
        run(c, |n, ctx| n.on_message(ctx, c1, begin(req, floor, text)))
    };
    let mut c = fresh(N1, &config);
    let out = send(&mut c, 1, 1, "txn n2:x=1 n3:y=2");
    assert_eq!(
        sends(&out),
        vec![
            (N2, "Prepare t1 x=1".to_string()),
            (N3, "Prepare t1 y=2".to_string())
        ]
    );
    assert_eq!(c.durable().clients[&c1].begun[&1], TxnId(1), "durable");
    // A copy while t1 collects votes: no second transaction; the answer will follow.
    let out = send(&mut c, 1, 1, "txn n2:x=1 n3:y=2");
    assert_eq!(
        out,
        vec![
            Effect::Count("duplicate_begins"),
            Effect::Note(
                "duplicate Begin #1 from c1: t1 is still being decided; its answer will follow"
                    .into()
            ),
        ]
    );
    for p in [N2, N3] {
        let vote = CommitMsg::Vote {
            txn: TxnId(1),
            vote: Vote::Yes,
        };
        run(&mut c, |n, ctx| n.on_message(ctx, p, vote));
    }
    // After a restart the table is still there: answered from the log, not run again.
    let mut c = restarted(&c, &config);
    run(&mut c, |n, ctx| n.on_start(ctx));
    let out = send(&mut c, 1, 1, "txn n2:x=1 n3:y=2");
    assert_eq!(
        out,
        vec![
            Effect::Count("duplicate_begins"),
            Effect::Note(
                "duplicate Begin #1 from c1: t1 is committed (on the log); answering again, \
                 not running it"
                    .into()
            ),
            Effect::Send {
                to: c1,
                msg: CommitMsg::Outcome {
                    req: 1,
                    reply: CommitReply::Committed(TxnId(1))
                }
            },
        ]
    );
    assert_eq!(c.durable().next_txn, 1, "no transaction was begun");
    // Request #2 aborts on its vote timeout; a copy is told so, from memory…
    send(&mut c, 2, 2, "txn n2:x=5");
    run(&mut c, |n, ctx| {
        n.on_timer(ctx, CommitTimer::Votes(TxnId(2)))
    });
    let out = send(&mut c, 2, 2, "txn n2:x=5");
    assert_eq!(
        out[2],
        Effect::Send {
            to: c1,
            msg: CommitMsg::Outcome {
                req: 2,
                reply: CommitReply::Aborted(TxnId(2), "vote timeout, no vote from n2".into())
            }
        }
    );
    // …and after a restart by presumed abort: a writing transaction without a commit record
    // never committed.
    let mut c = restarted(&c, &config);
    let out = send(&mut c, 2, 2, "txn n2:x=5");
    assert_eq!(
        out,
        vec![
            Effect::Count("duplicate_begins"),
            Effect::Count("presumed_aborts"),
            Effect::Note(
                "duplicate Begin #2 from c1: no commit record of t2: presumed abort; not \
                 running it again"
                    .into()
            ),
            Effect::Send {
                to: c1,
                msg: CommitMsg::Outcome {
                    req: 2,
                    reply: CommitReply::Aborted(
                        TxnId(2),
                        "no commit record: presumed abort".into()
                    )
                }
            },
        ]
    );
    // Request #3 says everything before it is finished for c1: the table forgets #1 and #2,
    // and a late copy of #1 is not run.
    send(&mut c, 3, 3, "txn n3:y=3");
    let table = &c.durable().clients[&c1];
    assert_eq!((table.floor, table.begun.len()), (3, 1));
    let out = send(&mut c, 1, 1, "txn n2:x=1 n3:y=2");
    assert_eq!(
        out,
        vec![
            Effect::Count("stale_begins"),
            Effect::Note(
                "Begin #1 from c1 is older than its oldest waiting request #3: c1 no longer \
                 waits for it; not run"
                    .into()
            ),
        ]
    );
    assert_eq!(c.durable().next_txn, 3);
}

#[test]
fn a_client_tells_the_coordinator_its_oldest_waiting_request() {
    let config = CommitConfig::default();
    let mut cl =
        <super::CommitClient as Client<AtomicCommit>>::new(NodeId::client(0), &ids(4), &config);
    let floors = |out: &Out| -> Vec<(u64, u64)> {
        out.iter()
            .filter_map(|e| match e {
                Effect::Send {
                    msg: CommitMsg::Begin { req, floor, .. },
                    ..
                } => Some((*req, *floor)),
                _ => None,
            })
            .collect()
    };
    let h = |cl: &mut super::CommitClient,
             f: &mut dyn FnMut(&mut super::CommitClient, &mut Ctx<'_, AtomicCommit>)| {
        Harness::new(4)
            .at(100)
            .run(NodeId::client(0), cl, |c, ctx| f(c, ctx))
    };
    let txn = || CommitRequest::Txn(spec("txn n2:x=1"));
    let out = h(&mut cl, &mut |c, ctx| c.on_request(ctx, 0, txn()));
    assert_eq!(floors(&out), vec![(1, 1)]);
    let out = h(&mut cl, &mut |c, ctx| c.on_request(ctx, 0, txn()));
    assert_eq!(floors(&out), vec![(2, 1)], "#1 still waits");
    let answer = CommitMsg::Outcome {
        req: 1,
        reply: CommitReply::Committed(TxnId(1)),
    };
    h(&mut cl, &mut |c, ctx| c.on_message(ctx, N1, answer.clone()));
    let out = h(&mut cl, &mut |c, ctx| c.on_request(ctx, 0, txn()));
    assert_eq!(floors(&out), vec![(3, 2)]);
}

// ----- simulations ------------------------------------------------------------------------

fn sim(variant: Variant) -> Simulator<AtomicCommit> {
    let cluster = ClusterConfig {
        nodes: 4,
        net: NetConfig {
            latency_min_ms: 10,
            latency_max_ms: 10,
            ..NetConfig::default()
        },
        record_trace: true,
        ..ClusterConfig::default()
    };
    let config = CommitConfig {
        variant,
        ..CommitConfig::default()
    };
    Simulator::new(cluster, config, 1).expect("valid")
}

fn submit(s: &mut Simulator<AtomicCommit>, text: &str) {
    let req = parse_request(N1, text).expect("parses");
    s.request(N1, 0, req).expect("coordinator up");
}

fn replies(s: &Simulator<AtomicCommit>) -> Vec<String> {
    s.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::Reply { reply, .. } => Some(reply.to_string()),
            _ => None,
        })
        .collect()
}

fn store(s: &Simulator<AtomicCommit>, id: NodeId, key: &str) -> Option<i64> {
    s.server(id)
        .and_then(|n| n.durable().store.get(key).copied())
}

#[test]
fn happy_path_commits_everywhere() {
    for variant in [Variant::TwoPhase, Variant::ThreePhase] {
        let mut s = sim(variant);
        submit(&mut s, "txn n2:x=1 n3:y=2 n4:z");
        s.run_until(Time(1000));
        assert_eq!(replies(&s), vec!["t1 committed"], "{variant:?}");
        assert_eq!(store(&s, N2, "x"), Some(1));
        assert_eq!(store(&s, N3, "y"), Some(2));
        assert!(s.violations().is_empty(), "{:?}", s.violations());
        let log: Vec<String> = s
            .server(N1)
            .unwrap()
            .durable()
            .log
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(log, vec!["commit t1 → n2 n3", "end t1"]);
    }
}

#[test]
fn conflicting_transactions_one_aborts_without_deadlock() {
    let mut s = sim(Variant::TwoPhase);
    submit(&mut s, "txn n2:x=1 n3:y=1");
    submit(&mut s, "txn n3:y=2 n2:x=2");
    s.run_until(Time(1000));
    let r = replies(&s);
    assert_eq!(r.len(), 2);
    assert!(
        r.iter()
            .any(|x| x.contains("aborted") && x.contains("voted no")),
        "{r:?}"
    );
    assert!(s.violations().is_empty());
    assert!(s.trace_text().contains("lock conflict"));
}

#[test]
fn coordinator_crash_blocks_prepared_participants_until_it_restarts() {
    let mut s = sim(Variant::TwoPhase);
    submit(&mut s, "txn n2:x=1 n3:y=2");
    // Prepares arrive at t=10, votes leave; crash the coordinator before they arrive.
    s.run_until(Time(15));
    s.apply(Control::Crash { node: N1 }).unwrap();
    s.run_until(Time(1000));
    let n2 = s.server(N2).unwrap();
    assert!(n2.blocked(), "n2 is blocked in doubt");
    assert!(n2.view().badge.is_some());
    assert!(n2.locks().contains_key("x"), "holding its locks");
    s.apply(Control::Restart { node: N1 }).unwrap();
    s.run_until(Time(2000));
    for p in [N2, N3] {
        let n = s.server(p).unwrap();
        assert!(!n.blocked() && n.in_doubt().next().is_none());
        assert_eq!(
            n.durable().done.get(&TxnId(1)),
            Some(&Outcome::Abort),
            "presumed abort"
        );
    }
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_restarted_coordinator_finishes_phase_two_from_its_log() {
    let mut s = sim(Variant::TwoPhase);
    submit(&mut s, "txn n2:x=1 n3:y=2");
    // Votes arrive at t=20: the decision is logged and Commit leaves. Hold it to n3, crash n1.
    s.run_until(Time(15));
    s.apply(Control::Hold { from: N1, to: N3 }).unwrap();
    s.run_until(Time(25));
    s.apply(Control::Crash { node: N1 }).unwrap();
    s.apply(Control::HealAll).unwrap();
    s.run_until(Time(600));
    assert!(s.server(N3).unwrap().durable().prepared.is_empty() || s.server(N3).unwrap().blocked());
    s.apply(Control::Restart { node: N1 }).unwrap();
    s.run_until(Time(2000));
    assert_eq!(store(&s, N3, "y"), Some(2));
    let log: Vec<String> = s
        .server(N1)
        .unwrap()
        .durable()
        .log
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(log, vec!["commit t1 → n2 n3", "end t1"]);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_participant_restarts_in_doubt_and_asks() {
    let mut s = sim(Variant::TwoPhase);
    submit(&mut s, "txn n2:x=1 n3:y=2");
    s.run_until(Time(12));
    s.apply(Control::Crash { node: N3 }).unwrap();
    s.run_until(Time(500));
    s.apply(Control::Restart { node: N3 }).unwrap();
    s.run_until(Time(1500));
    assert_eq!(store(&s, N3, "y"), Some(2));
    assert!(s.trace_text().contains("recovery: prepared record for t1"));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn three_phase_termination_decides_only_from_what_peers_say() {
    let config = CommitConfig {
        variant: Variant::ThreePhase,
        ..CommitConfig::default()
    };
    let mut p = fresh(N2, &config);
    run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(1, "n2:x=5")));
    // The coordinator goes silent: the in-doubt timer asks it and the other writer.
    let out = run(&mut p, |n, ctx| {
        n.on_timer(ctx, CommitTimer::InDoubt(TxnId(1)))
    });
    assert_eq!(
        sends(&out),
        vec![
            (N1, "Query t1".to_string()),
            (N3, "StateReq t1".to_string())
        ]
    );
    assert!(out.contains(&Effect::SetTimer {
        timer: CommitTimer::Terminate(TxnId(1)),
        after_ms: 200
    }));
    // Nobody answered: no decision from its own state alone.
    let out = run(&mut p, |n, ctx| {
        n.on_timer(ctx, CommitTimer::Terminate(TxnId(1)))
    });
    assert!(sends(&out).is_empty());
    assert!(
        p.durable().prepared.contains_key(&TxnId(1)),
        "still in doubt"
    );
    // Next round: n3 reports pre-committed ⇒ commit, and n3 is told.
    run(&mut p, |n, ctx| {
        n.on_timer(ctx, CommitTimer::InDoubt(TxnId(1)))
    });
    let resp = CommitMsg::StateResp {
        txn: TxnId(1),
        state: super::msg::PState::PreCommitted,
    };
    run(&mut p, |n, ctx| n.on_message(ctx, N3, resp));
    let out = run(&mut p, |n, ctx| {
        n.on_timer(ctx, CommitTimer::Terminate(TxnId(1)))
    });
    assert_eq!(sends(&out), vec![(N3, "Commit t1".to_string())]);
    assert_eq!(p.durable().done.get(&TxnId(1)), Some(&Outcome::Commit));
    assert_eq!(p.durable().store.get("x"), Some(&5));
}

#[test]
fn three_phase_pre_commit_is_recorded_and_acknowledged() {
    let config = CommitConfig {
        variant: Variant::ThreePhase,
        ..CommitConfig::default()
    };
    let mut p = fresh(N2, &config);
    run(&mut p, |n, ctx| n.on_message(ctx, N1, prepare(1, "n2:x=5")));
    let out = run(&mut p, |n, ctx| {
        n.on_message(ctx, N1, CommitMsg::PreCommit { txn: TxnId(1) })
    });
    assert_eq!(sends(&out), vec![(N1, "PreAck t1".to_string())]);
    let rec = &p.durable().prepared[&TxnId(1)];
    assert_eq!(rec.state, super::msg::PState::PreCommitted, "durable");
    // A peer asking gets the durable state.
    let out = run(&mut p, |n, ctx| {
        n.on_message(ctx, N3, CommitMsg::StateReq { txn: TxnId(1) })
    });
    assert_eq!(
        sends(&out),
        vec![(N3, "StateResp t1 pre-committed".to_string())]
    );
}
