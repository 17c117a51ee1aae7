//! PBFT's key rules as exact effect lists (the shared `Harness`): accepting a pre-prepare
//! (§4.2), prepared → COMMIT, committed-local → execute and reply, rejecting forged and stale
//! messages, proof of an equivocating primary, the view-change timer, the new primary's
//! NEW-VIEW and a backup's check of it (§4.4), and the client's f + 1 rule (§4.1).
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::checkers::linearizability::{Op, Outcome};
use netsplit_core::kernel::harness::Harness;
use netsplit_core::kernel::node::{Client, Effect, Effects, Server};
use netsplit_core::protocols::pbft::auth::{Digest, Signer};
use netsplit_core::protocols::pbft::msg::{
    ClientRequest, NewView, PbftMsg, PbftReply, PbftTimer, PrePrepare, Reply, ViewChange, Vote,
    VoteKind, NULL,
};
use netsplit_core::protocols::pbft::{
    Mode, Pbft, PbftClient, PbftConfig, PbftRequest, Phase, Replica, BACKUP, VIEW_CHANGING,
};
use netsplit_core::NodeId;
use std::rc::Rc;

type Out = Effects<Pbft>;

const N: usize = 4;

fn n(i: u8) -> NodeId {
    NodeId(i - 1)
}

fn replica(i: u8) -> Replica {
    let h = Harness::new(N);
    <Replica as Server<Pbft>>::new(n(i), &h.servers, &PbftConfig::default(), None)
}

fn deliver(r: &mut Replica, from: NodeId, msg: PbftMsg) -> Out {
    Harness::new(N)
        .at(1000)
        .run(r.id(), r, |r, ctx| r.on_message(ctx, from, msg))
}

fn fire(r: &mut Replica, timer: PbftTimer) -> Out {
    Harness::new(N)
        .at(2000)
        .run(r.id(), r, |r, ctx| r.on_timer(ctx, timer))
}

fn put_x(value: &str) -> ClientRequest {
    let op = Op::Put {
        key: "x".into(),
        value: value.into(),
    };
    ClientRequest::new(&Signer::new(NodeId::client(0)), 1, op)
}

fn vote(kind: VoteKind, i: u8, view: u64, seq: u64, digest: Digest) -> Vote {
    Vote::new(&Signer::new(n(i)), kind, view, seq, digest)
}

/// `msg` to every replica but `me`, in id order.
fn multicast(me: u8, msg: &PbftMsg) -> Vec<Effect<PbftMsg, PbftTimer, PbftReply>> {
    (1..=N as u8)
        .filter(|i| *i != me)
        .map(|i| Effect::Send {
            to: n(i),
            msg: msg.clone(),
        })
        .collect()
}

fn timer(after_ms: u64) -> Effect<PbftMsg, PbftTimer, PbftReply> {
    Effect::SetTimer {
        timer: PbftTimer::ViewChange,
        after_ms,
    }
}

/// n2 with request c1#1 pre-prepared at (v0, n=1).
fn pre_prepared_backup(i: u8) -> (Replica, ClientRequest) {
    let req = put_x("1");
    let mut r = replica(i);
    let pp = PrePrepare::new(&Signer::new(n(1)), 0, 1, Some(req.clone()));
    deliver(&mut r, n(1), PbftMsg::PrePrepare(pp));
    (r, req)
}

/// n2 prepared c1#1 at (v0, n=1) (its own prepare and n3's); the request's digest.
fn prepared_backup() -> (Replica, Digest) {
    let (mut n2, req) = pre_prepared_backup(2);
    let d = req.digest();
    deliver(
        &mut n2,
        n(3),
        PbftMsg::Prepare(vote(VoteKind::Prepare, 3, 0, 1, d)),
    );
    (n2, d)
}

#[test]
fn a_backup_accepts_a_pre_prepare_prepares_and_starts_its_timer() {
    let req = put_x("1");
    let mut n2 = replica(2);
    let pp = PrePrepare::new(&Signer::new(n(1)), 0, 1, Some(req.clone()));
    let out = deliver(&mut n2, n(1), PbftMsg::PrePrepare(pp));
    let prepare = PbftMsg::Prepare(vote(VoteKind::Prepare, 2, 0, 1, req.digest()));
    let mut want = multicast(2, &prepare);
    want.push(timer(600));
    assert_eq!(out, want);
    assert_eq!(n2.phase(1), Phase::PrePrepared);
    assert_eq!(n2.waiting_requests(), vec![(NodeId::client(0), 1)]);
}

#[test]
fn a_pre_prepare_not_signed_by_the_primary_is_rejected_as_forged() {
    let req = put_x("1");
    let mut n2 = replica(2);
    // n3 signs a pre-prepare for view 0, whose primary is n1.
    let forged = PrePrepare::new(&Signer::new(n(3)), 0, 1, Some(req));
    let out = deliver(&mut n2, n(3), PbftMsg::PrePrepare(forged));
    assert_eq!(
        out,
        vec![
            Effect::Count("forged_rejected"),
            Effect::Note(
                "rejects a pre-prepare claiming to be from n1: the signature is not n1's".into()
            ),
        ]
    );
    assert_eq!(n2.phase(1), Phase::Empty);
    assert_eq!(n2.rejections().forged, 1);
}

#[test]
fn a_pre_prepare_outside_the_water_marks_is_ignored() {
    let mut n2 = replica(2);
    let pp = PrePrepare::new(&Signer::new(n(1)), 0, 17, Some(put_x("1")));
    let out = deliver(&mut n2, n(1), PbftMsg::PrePrepare(pp));
    assert_eq!(
        out,
        vec![
            Effect::Note("ignores pre-prepare n=17: outside the water marks (0, 16]".into()),
            timer(600),
        ]
    );
}

#[test]
fn two_pre_prepares_from_one_primary_for_one_slot_prove_equivocation() {
    let (mut n2, _) = pre_prepared_backup(2);
    let other = PrePrepare::new(&Signer::new(n(1)), 0, 1, None);
    let out = deliver(&mut n2, n(3), PbftMsg::PrePrepare(other));
    assert!(
        matches!(out[0], Effect::Count("equivocation_proven")),
        "{out:?}"
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(n2.equivocation_proofs().len(), 1);
    assert_eq!(n2.equivocation_proofs()[0].other, NULL);
}

#[test]
fn two_f_matching_prepares_make_a_backup_prepared_and_it_commits() {
    let (mut n2, req) = pre_prepared_backup(2);
    let d = req.digest();
    // The primary does not prepare: its vote is ignored.
    let out = deliver(
        &mut n2,
        n(1),
        PbftMsg::Prepare(vote(VoteKind::Prepare, 1, 0, 1, d)),
    );
    assert_eq!(out, vec![]);
    // n3's prepare plus n2's own: 2f = 2.
    let out = deliver(
        &mut n2,
        n(3),
        PbftMsg::Prepare(vote(VoteKind::Prepare, 3, 0, 1, d)),
    );
    let commit = PbftMsg::Commit(vote(VoteKind::Commit, 2, 0, 1, d));
    let mut want = vec![Effect::Count("prepared")];
    want.extend(multicast(2, &commit));
    assert_eq!(out, want);
    assert_eq!(n2.phase(1), Phase::Prepared);
    assert_eq!(n2.prepared_certificates().len(), 1);
}

#[test]
fn a_forged_prepare_is_rejected_and_never_counted() {
    let (mut n2, req) = pre_prepared_backup(2);
    // n4 claims n3's identity but can only sign with its own key.
    let mut forged = vote(VoteKind::Prepare, 4, 0, 1, req.digest());
    forged.replica = n(3);
    let out = deliver(&mut n2, n(4), PbftMsg::Prepare(forged));
    assert_eq!(
        out,
        vec![
            Effect::Count("forged_rejected"),
            Effect::Note(
                "rejects a prepare claiming to be from n3: the signature is not n3's".into()
            ),
        ]
    );
    assert_eq!(n2.phase(1), Phase::PrePrepared, "not prepared on a forgery");
}

#[test]
fn two_f_plus_one_commits_commit_locally_execute_and_reply() {
    let (mut n2, d) = prepared_backup();
    let out = deliver(
        &mut n2,
        n(1),
        PbftMsg::Commit(vote(VoteKind::Commit, 1, 0, 1, d)),
    );
    assert_eq!(out, vec![], "two commits of three");
    let out = deliver(
        &mut n2,
        n(3),
        PbftMsg::Commit(vote(VoteKind::Commit, 3, 0, 1, d)),
    );
    let reply = Reply::new(&Signer::new(n(2)), 0, NodeId::client(0), 1, Outcome::Ok);
    assert_eq!(
        out,
        vec![
            Effect::Count("requests_executed"),
            Effect::Send {
                to: NodeId::client(0),
                msg: PbftMsg::Reply(reply),
            },
            Effect::CancelTimer {
                timer: PbftTimer::ViewChange
            },
        ]
    );
    assert_eq!(n2.last_executed(), 1);
    assert_eq!(n2.phase(1), Phase::Executed);
    let decided = &n2.records().decided;
    assert!(decided.len() == 1 && decided[0].local, "{decided:?}");
}

#[test]
fn a_message_of_a_view_already_left_is_rejected_as_stale() {
    // Three fresh replicas time out and n2 starts view 1; n3 accepts its NEW-VIEW.
    let vcs: Vec<ViewChange> = [2, 3, 4]
        .iter()
        .map(|i| view_change_of(&mut replica(*i), 1))
        .collect();
    let mut n3 = replica(3);
    deliver(
        &mut n3,
        n(2),
        PbftMsg::NewView(Rc::new(new_view(1, vcs, Vec::new()))),
    );
    assert_eq!(n3.active_view(), 1);
    let d = put_x("1").digest();
    let out = deliver(
        &mut n3,
        n(4),
        PbftMsg::Prepare(vote(VoteKind::Prepare, 4, 0, 1, d)),
    );
    assert_eq!(
        out,
        vec![
            Effect::Count("stale_rejected"),
            Effect::Note("ignores a stale prepare of view 0 (it is in view 1)".into()),
        ]
    );
}

/// Replica `r`'s VIEW-CHANGE for `view`, after its timer fired (captured from its effects).
fn view_change_of(r: &mut Replica, view: u64) -> ViewChange {
    assert_eq!(r.current_view() + 1, view);
    let out = fire(r, PbftTimer::ViewChange);
    out.iter()
        .find_map(|e| match e {
            Effect::Send {
                msg: PbftMsg::ViewChange(vc),
                ..
            } => Some((**vc).clone()),
            _ => None,
        })
        .expect("a view-change was sent")
}

/// NEW-VIEW for `view` signed by its primary.
fn new_view(view: u64, vcs: Vec<ViewChange>, o: Vec<PrePrepare>) -> NewView {
    let primary = Signer::new(NodeId::from_index((view % N as u64) as usize));
    let mut nv = NewView {
        view,
        view_changes: vcs.into_iter().map(Rc::new).collect(),
        pre_prepares: o,
        sig: Default::default(),
    };
    nv.sig = primary.sign(nv.content());
    nv
}

#[test]
fn the_view_change_timer_sends_view_change_with_the_prepared_certificate() {
    let (mut n2, _) = prepared_backup();
    let out = fire(&mut n2, PbftTimer::ViewChange);
    let cert = n2.prepared_certificates()[0].clone();
    let vc = ViewChange {
        view: 1,
        stable_seq: 0,
        stable_digest: Digest::default(),
        proof: Vec::new(),
        prepared: vec![cert],
        replica: n(2),
        sig: Default::default(),
    }
    .signed(&Signer::new(n(2)));
    let mut want = vec![
        Effect::Note("a request waited 600 ms without executing: suspects primary n1".into()),
        Effect::Count("view_change_messages"),
    ];
    want.extend(multicast(2, &PbftMsg::ViewChange(Rc::new(vc))));
    assert_eq!(out, want);
    assert_eq!(n2.mode(), Mode::ViewChange);
    assert_eq!(n2.current_view(), 1);
    assert_eq!(Server::<Pbft>::role(&n2), VIEW_CHANGING);
    // A forced expiry before 2f+1 view-changes for view 1 changes nothing (§4.5.2).
    let out = fire(&mut n2, PbftTimer::ViewChange);
    assert_eq!(
        out,
        vec![Effect::Note(
            "waits for 2f+1 view-changes for view 1 before its timer runs".into()
        )]
    );
    assert_eq!(n2.current_view(), 1);
}

/// n2, n3, n4 prepared c1#1 at (v0, n=1) and time out: their three view-changes for view 1.
fn three_view_changes() -> (Replica, Vec<ViewChange>, ClientRequest) {
    let req = put_x("1");
    let d = req.digest();
    let mut replicas: Vec<Replica> = (2..=4).map(replica).collect();
    let pp = PrePrepare::new(&Signer::new(n(1)), 0, 1, Some(req.clone()));
    for r in &mut replicas {
        deliver(r, n(1), PbftMsg::PrePrepare(pp.clone()));
        for i in 2..=4u8 {
            if n(i) != r.id() {
                deliver(
                    r,
                    n(i),
                    PbftMsg::Prepare(vote(VoteKind::Prepare, i, 0, 1, d)),
                );
            }
        }
        assert_eq!(r.phase(1), Phase::Prepared);
    }
    let vcs: Vec<ViewChange> = replicas.iter_mut().map(|r| view_change_of(r, 1)).collect();
    let n2 = replicas.swap_remove(0);
    (n2, vcs, req)
}

#[test]
fn the_new_primary_sends_new_view_once_it_holds_two_f_plus_one_view_changes() {
    let (mut n2, vcs, req) = three_view_changes();
    let out = deliver(&mut n2, n(3), PbftMsg::ViewChange(Rc::new(vcs[1].clone())));
    assert_eq!(out, vec![], "two of three");
    let out = deliver(&mut n2, n(4), PbftMsg::ViewChange(Rc::new(vcs[2].clone())));
    // O re-issues the prepared request at n=1 in view 1.
    let o = vec![PrePrepare::new(&Signer::new(n(2)), 1, 1, Some(req))];
    let nv = new_view(1, vcs, o);
    let mut want = vec![Effect::Count("new_views")];
    want.extend(multicast(2, &PbftMsg::NewView(Rc::new(nv))));
    want.push(Effect::Count("view_changes"));
    want.push(Effect::Note(
        "enters view 1 (primary n2): O re-issues n=1..1".into(),
    ));
    assert_eq!(out, want);
    assert_eq!(n2.mode(), Mode::Normal);
    assert!(n2.is_primary());
}

#[test]
fn a_backup_accepts_a_correct_new_view_and_prepares_its_pre_prepares() {
    let (_, vcs, req) = three_view_changes();
    let mut n3 = replica(3);
    let o = vec![PrePrepare::new(&Signer::new(n(2)), 1, 1, Some(req.clone()))];
    let nv = new_view(1, vcs, o);
    let out = deliver(&mut n3, n(2), PbftMsg::NewView(Rc::new(nv)));
    let prepare = PbftMsg::Prepare(vote(VoteKind::Prepare, 3, 1, 1, req.digest()));
    let mut want = vec![
        Effect::Count("view_changes"),
        Effect::Note("enters view 1 (primary n2): O re-issues n=1..1".into()),
    ];
    want.extend(multicast(3, &prepare));
    want.push(timer(600));
    assert_eq!(out, want);
    assert_eq!(n3.current_view(), 1);
    assert_eq!(Server::<Pbft>::role(&n3), BACKUP);
}

#[test]
fn a_new_view_that_drops_a_prepared_request_is_rejected() {
    let (_, vcs, _) = three_view_changes();
    let mut n3 = replica(3);
    // The new primary puts a null request where c1#1 prepared: O does not match V.
    let o = vec![PrePrepare::new(&Signer::new(n(2)), 1, 1, None)];
    let out = deliver(
        &mut n3,
        n(2),
        PbftMsg::NewView(Rc::new(new_view(1, vcs, o))),
    );
    assert_eq!(
        out,
        vec![
            Effect::Count("new_view_rejected"),
            Effect::Note(
                "rejects NEW-VIEW for view 1: O is not what its view-changes determine".into()
            ),
        ]
    );
    assert_eq!(n3.current_view(), 0);
}

#[test]
fn a_new_view_needs_two_f_plus_one_valid_view_changes() {
    let (_, vcs, req) = three_view_changes();
    let mut n3 = replica(3);
    let o = vec![PrePrepare::new(&Signer::new(n(2)), 1, 1, Some(req.clone()))];
    let out = deliver(
        &mut n3,
        n(2),
        PbftMsg::NewView(Rc::new(new_view(1, vcs[..2].to_vec(), o.clone()))),
    );
    assert_eq!(
        out[1],
        Effect::Note(
            "rejects NEW-VIEW for view 1: V holds 2 view-changes, fewer than 2f+1 = 3".into()
        )
    );
    // A view-change whose prepared certificate holds a forged prepare (n4 signs for n3).
    let mut bad = vcs[2].clone();
    bad.prepared[0].prepares[0].replica = n(3);
    let bad = bad.signed(&Signer::new(n(4)));
    let out = deliver(
        &mut n3,
        n(2),
        PbftMsg::NewView(Rc::new(new_view(
            1,
            vec![vcs[0].clone(), vcs[1].clone(), bad],
            o,
        ))),
    );
    assert_eq!(
        out[1],
        Effect::Note(
            "rejects NEW-VIEW for view 1: V holds a prepare in a certificate that n3 did not sign"
                .into()
        )
    );
    assert_eq!(n3.rejections().bad_new_views, 2);
}

#[test]
fn a_client_accepts_only_f_plus_one_matching_authentic_replies() {
    let h = Harness::new(N);
    let c1 = NodeId::client(0);
    let mut client = <PbftClient as Client<Pbft>>::new(c1, &h.servers, &PbftConfig::default());
    let get = Op::Get { key: "x".into() };
    let out = h.run(c1, &mut client, |c, ctx| {
        c.on_request(
            ctx,
            0,
            PbftRequest {
                target: n(1),
                op: get.clone(),
            },
        )
    });
    assert!(matches!(out[0], Effect::Send { to, .. } if to == n(1)));
    let reply = |i: u8, value: &str| {
        Reply::new(
            &Signer::new(n(i)),
            0,
            c1,
            1,
            Outcome::Value(Some(value.to_string())),
        )
    };
    let mut deliver_reply = |r: Reply| {
        h.run(c1, &mut client, |c, ctx| {
            c.on_message(ctx, r.replica, PbftMsg::Reply(r.clone()))
        })
    };
    // A faulty replica lies; a forged reply claims n2.
    assert_eq!(deliver_reply(reply(4, "forged")), vec![]);
    let mut forged = reply(4, "1");
    forged.replica = n(2);
    let out = deliver_reply(forged);
    assert_eq!(out[0], Effect::Count("forged_rejected"));
    assert_eq!(
        deliver_reply(reply(3, "1")),
        vec![],
        "one correct reply is not enough"
    );
    let out = deliver_reply(reply(1, "1"));
    assert_eq!(
        out[1],
        Effect::Reply {
            client: 0,
            reply: PbftReply::Done {
                timestamp: 1,
                op: get,
                outcome: Outcome::Value(Some("1".into())),
                agreeing: vec![n(1), n(3)],
            }
        }
    );
}
