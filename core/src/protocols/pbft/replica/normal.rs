//! Normal-case operation (§4.1, §4.2): client requests, PRE-PREPARE, PREPARE, COMMIT,
//! in-order execution and replies.
//!
//! - A replica accepts a request only if the client's signature verifies. A request whose
//!   timestamp it already executed gets the recorded reply again; an older one is ignored
//!   (§4.1). A backup relays a new request to the primary and starts its view-change timer.
//! - The primary assigns the next sequence number within the water marks and multicasts
//!   PRE-PREPARE with the request.
//! - A backup accepts a PRE-PREPARE if it is signed by the primary of its current view, the
//!   request matches the digest, the sequence number is within `(h, H]`, and it has not
//!   accepted a different one for the same view and sequence number; it then multicasts
//!   PREPARE. A second, different pre-prepare signed by the same primary is proof that the
//!   primary equivocated.
//! - prepared(m, v, n, i): the pre-prepare plus `2f` matching prepares from different backups
//!   → multicast COMMIT. committed-local(m, v, n, i): prepared plus `2f + 1` matching commits.
//! - Execution is in sequence-number order; each request replies to its client.
//!
//! **Learning from a commit certificate** (an extension, safe by §4.2's definition of
//! committed): `2f + 1` matching signed commits for `(v, n, d)` from different replicas include
//! `f + 1` correct ones, each of which prepared the request, so committed(m, v, n) holds. A
//! replica that could not prepare it itself (it accepted a conflicting pre-prepare from an
//! equivocating primary, or it is waiting in a view change) executes it once it holds the
//! request, without voting for it. This keeps every correct replica executing every request,
//! which the chaos settle check demands.

use super::*;
use crate::kernel::node::Ctx;
use crate::protocols::raft::kv::{Applied, Command};

impl Replica {
    /// A client's request, from the client or relayed by a backup.
    pub(super) fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, Pbft>,
        from: NodeId,
        request: ClientRequest,
    ) {
        if !request.authentic() {
            self.reject_forged(ctx, "request", request.client);
            return;
        }
        let (client, timestamp) = request.key();
        if let Some(s) = self.kv.sessions.get(&client) {
            if s.seq == timestamp {
                let outcome = s.outcome.clone();
                ctx.note(format_args!(
                    "already executed {request}: resends the reply"
                ));
                self.send_reply(ctx, client, timestamp, outcome);
                return;
            }
            if s.seq > timestamp {
                return;
            }
        }
        self.fabricate_replies(ctx, &request);
        self.learn_request(&request);
        if self.d.changing {
            return;
        }
        if self.is_primary() {
            self.assign(ctx);
        } else if from.is_client() {
            ctx.send(self.primary(), PbftMsg::Request(request));
        }
    }

    /// Primary: give every waiting request that has none yet in this view a sequence number,
    /// while the window allows (§4.2, §4.3).
    pub(super) fn assign(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        if !self.is_primary() {
            return;
        }
        let ready: Vec<((NodeId, u64), Digest)> = self
            .waiting
            .iter()
            .filter(|(k, _)| !self.assigned.contains_key(k))
            .map(|(k, d)| (*k, *d))
            .collect();
        for (key, digest) in ready {
            if self.next_seq > self.high_water_mark() {
                ctx.note(format_args!(
                    "holds {}#{}: sequence number {} is above the high water mark {}",
                    key.0,
                    key.1,
                    self.next_seq,
                    self.high_water_mark()
                ));
                break;
            }
            if self.hold_if_slow(ctx, key) {
                continue;
            }
            let Some(request) = self.body(digest).cloned() else {
                continue;
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            self.assigned.insert(key, seq);
            let pp = PrePrepare::new(&self.signer, self.d.view, seq, Some(request));
            if self.behaviour == Some(Behaviour::Equivocate) {
                self.equivocate(ctx, &pp);
            } else {
                self.multicast(ctx, PbftMsg::PrePrepare(pp.clone()));
            }
            self.slot_mut(seq).pre_prepare = Some(pp);
            self.check_slot(ctx, seq);
        }
    }

    /// Rebuild the primary's assignments of this view from the log (after a restart or a new
    /// view).
    pub(super) fn rebuild_assignments(&mut self) {
        self.assigned.clear();
        let mut next = self.d.stable.seq.max(self.last_exec);
        for slot in self.d.slots.values() {
            if let Some(pp) = slot
                .pre_prepare
                .as_ref()
                .filter(|pp| pp.view == self.d.view)
            {
                next = next.max(pp.seq);
                if let Some(r) = &pp.request {
                    self.assigned.insert(r.key(), pp.seq);
                }
            }
        }
        self.next_seq = next + 1;
    }

    /// A PRE-PREPARE.
    pub(super) fn on_pre_prepare(&mut self, ctx: &mut Ctx<'_, Pbft>, pp: PrePrepare) {
        if !pp.authentic(self.n) {
            let claimed = primary_of(pp.view, self.n);
            self.reject_forged(ctx, "pre-prepare", claimed);
            return;
        }
        if pp.view < self.d.active_view {
            self.reject_stale(ctx, "pre-prepare", pp.view);
            return;
        }
        if let Some(r) = &pp.request {
            self.learn_request(r);
        }
        if self.d.changing || pp.view != self.d.view || self.primary() == self.id {
            // A replica waiting in a view change keeps the request (it may learn the
            // decision from a commit certificate) but does not vote.
            return;
        }
        if !self.in_window(pp.seq) {
            ctx.note(format_args!(
                "ignores pre-prepare n={}: outside the water marks ({}, {}]",
                pp.seq,
                self.d.stable.seq,
                self.high_water_mark()
            ));
            return;
        }
        match self.d.slots.get(&pp.seq).and_then(Slot::accepted) {
            Some((v, d)) if v == pp.view && d == pp.digest => {}
            Some((v, d)) if v == pp.view => {
                self.proofs.push(EquivocationProof {
                    view: v,
                    seq: pp.seq,
                    accepted: d,
                    other: pp.digest,
                });
                ctx.count("equivocation_proven");
                if self.behaviour == Some(Behaviour::Equivocate) {
                    self.vote_everything(ctx, pp.view, pp.seq, pp.digest, true);
                }
                ctx.note(format_args!(
                    "holds two pre-prepares signed by {} for v={} n={} ({} and {}): the primary equivocated",
                    primary_of(v, self.n),
                    v,
                    pp.seq,
                    show(d),
                    show(pp.digest)
                ));
            }
            _ => self.accept_pre_prepare(ctx, pp),
        }
    }

    /// Log a pre-prepare (normal case or O of a new view) and, as a backup, multicast PREPARE.
    pub(super) fn accept_pre_prepare(&mut self, ctx: &mut Ctx<'_, Pbft>, pp: PrePrepare) {
        let (view, seq, digest) = (pp.view, pp.seq, pp.digest);
        if let Some(r) = &pp.request {
            self.learn_request(r);
        }
        self.slot_mut(seq).pre_prepare = Some(pp.clone());
        if primary_of(view, self.n) != self.id {
            let vote = Vote::new(&self.signer, VoteKind::Prepare, view, seq, digest);
            let me = self.id;
            self.slot_mut(seq)
                .prepares
                .insert((view, me, digest), vote.clone());
            self.multicast(ctx, PbftMsg::Prepare(vote.clone()));
            self.forge_copies(ctx, VoteKind::Prepare, &vote);
            if self.behaviour == Some(Behaviour::Equivocate) {
                self.vote_commit(ctx, view, seq, digest);
            }
        }
        self.check_slot(ctx, seq);
    }

    /// Log a PREPARE or COMMIT if it is authentic, of a view not left yet (nor too far
    /// ahead), inside the water marks and new. Whether it was logged.
    fn admit_vote(&mut self, ctx: &mut Ctx<'_, Pbft>, kind: VoteKind, vote: Vote) -> bool {
        let what = match kind {
            VoteKind::Prepare => "prepare",
            VoteKind::Commit => "commit",
        };
        if !vote.authentic(kind) {
            self.reject_forged(ctx, what, vote.replica);
            return false;
        }
        if vote.view < self.d.active_view {
            self.reject_stale(ctx, what, vote.view);
            return false;
        }
        let primary_prepares =
            kind == VoteKind::Prepare && vote.replica == primary_of(vote.view, self.n);
        if primary_prepares || vote.view > self.d.view + 1 || !self.in_window(vote.seq) {
            return false;
        }
        let key = (vote.view, vote.replica, vote.digest);
        let slot = self.slot_mut(vote.seq);
        let votes = match kind {
            VoteKind::Prepare => &mut slot.prepares,
            VoteKind::Commit => &mut slot.commits,
        };
        votes.insert(key, vote).is_none()
    }

    /// A PREPARE: log it (noting a digest other than the accepted pre-prepare's).
    pub(super) fn on_prepare(&mut self, ctx: &mut Ctx<'_, Pbft>, vote: Vote) {
        let (view, seq, digest, replica) = (vote.view, vote.seq, vote.digest, vote.replica);
        if !self.admit_vote(ctx, VoteKind::Prepare, vote) {
            return;
        }
        match self.d.slots.get(&seq).and_then(Slot::accepted) {
            Some((v, d)) if v == view && d != digest => {
                ctx.count("conflicting_prepares");
                ctx.note(format_args!(
                    "{replica} prepared {} for v={view} n={seq}, but the pre-prepare here says {}: the primary or {replica} lies",
                    show(digest),
                    show(d)
                ));
            }
            _ => {}
        }
        self.check_slot(ctx, seq);
    }

    /// A COMMIT: log it.
    pub(super) fn on_commit(&mut self, ctx: &mut Ctx<'_, Pbft>, vote: Vote) {
        let seq = vote.seq;
        if self.admit_vote(ctx, VoteKind::Commit, vote) {
            self.check_slot(ctx, seq);
        }
    }

    /// Multicast this replica's COMMIT for `(view, seq, digest)` and log it.
    pub(super) fn vote_commit(
        &mut self,
        ctx: &mut Ctx<'_, Pbft>,
        view: u64,
        seq: u64,
        digest: Digest,
    ) {
        let me = self.id;
        if self.slot_mut(seq).commit_of(view, me).is_some() {
            return;
        }
        let vote = Vote::new(&self.signer, VoteKind::Commit, view, seq, digest);
        self.slot_mut(seq)
            .commits
            .insert((view, me, digest), vote.clone());
        self.multicast(ctx, PbftMsg::Commit(vote.clone()));
        self.forge_copies(ctx, VoteKind::Commit, &vote);
    }

    /// After a slot changed: commit once prepared, and record a new decision.
    pub(super) fn check_slot(&mut self, ctx: &mut Ctx<'_, Pbft>, seq: u64) {
        let Some(slot) = self.d.slots.get(&seq) else {
            return;
        };
        if let Some((view, digest)) = slot.accepted() {
            if !self.d.changing && view == self.d.view && self.prepared(slot, view, digest) {
                let fresh = slot.prepared.as_ref().is_none_or(|p| p.view() < view);
                if fresh {
                    let prepares: Vec<Vote> = slot
                        .matching_prepares(view, digest, self.n)
                        .into_iter()
                        .cloned()
                        .collect();
                    let cert = PreparedCert {
                        pre_prepare: slot
                            .pre_prepare
                            .clone()
                            .unwrap_or_else(|| PrePrepare::new(&self.signer, view, seq, None)),
                        prepares,
                    };
                    self.slot_mut(seq).prepared = Some(cert);
                    ctx.count("prepared");
                }
                self.vote_commit(ctx, view, seq, digest);
            }
        }
        self.decide(ctx, seq);
    }

    /// Record the slot's decision if a commit certificate formed: committed-local (prepared
    /// here, §4.2) if possible, else the highest view's certificate (learned).
    fn decide(&mut self, ctx: &mut Ctx<'_, Pbft>, seq: u64) {
        let Some(slot) = self.d.slots.get(&seq) else {
            return;
        };
        let q = self.quorum();
        let mut counts: BTreeMap<(u64, Digest), usize> = BTreeMap::new();
        for (view, _, digest) in slot.commits.keys() {
            *counts.entry((*view, *digest)).or_default() += 1;
        }
        let local = slot
            .prepared
            .as_ref()
            .map(|p| (p.view(), p.digest()))
            .filter(|k| counts.get(k).is_some_and(|c| *c >= q));
        let learned = counts.iter().rev().find(|(_, c)| **c >= q).map(|(k, _)| *k);
        let Some((view, digest)) = local.or(learned) else {
            return;
        };
        if slot.committed.is_some_and(|(v, _)| v >= view) {
            return;
        }
        let label = if digest == NULL {
            "null".to_string()
        } else {
            self.body(digest)
                .map_or_else(|| show(digest), ToString::to_string)
        };
        let is_local = local.is_some();
        self.slot_mut(seq).committed = Some((view, digest));
        self.records.decided.push(Decision {
            seq,
            view,
            digest,
            label: label.clone(),
            local: is_local,
        });
        if !is_local && seq > self.last_exec {
            ctx.count("learned_by_certificate");
            ctx.note(format_args!(
                "learns n={seq} is committed ({label}, v={view}) from 2f+1 signed commits"
            ));
        }
    }

    /// Execute every decided slot in order, as far as bodies are known (§4.2).
    pub(super) fn execute_ready(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        loop {
            let seq = self.last_exec + 1;
            let Some((view, digest)) = self.d.slots.get(&seq).and_then(|s| s.committed) else {
                return;
            };
            let request = if digest == NULL {
                None
            } else {
                let from_pp = self.d.slots.get(&seq).and_then(|s| {
                    s.pre_prepare
                        .as_ref()
                        .filter(|pp| pp.digest == digest)
                        .and_then(|pp| pp.request.clone())
                });
                match from_pp.or_else(|| self.body(digest).cloned()) {
                    Some(r) => Some(r),
                    None => return,
                }
            };
            self.execute(ctx, seq, view, digest, request);
        }
    }

    fn execute(
        &mut self,
        ctx: &mut Ctx<'_, Pbft>,
        seq: u64,
        view: u64,
        digest: Digest,
        request: Option<ClientRequest>,
    ) {
        let command = request
            .as_ref()
            .map_or(Command::Noop, ClientRequest::command);
        let applied = self.kv.apply(&command);
        self.last_exec = seq;
        self.records.executed.push(Execution {
            seq,
            view,
            digest,
            request: request.clone(),
            fresh: matches!(applied, Applied::Fresh(_)),
        });
        if !self.replaying {
            ctx.count("requests_executed");
        }
        if let Some(r) = &request {
            let (client, timestamp) = r.key();
            self.waiting
                .retain(|(c, t), _| *c != client || *t > timestamp);
            self.assigned
                .retain(|(c, t), _| *c != client || *t > timestamp);
            if let (Applied::Fresh(outcome) | Applied::Duplicate(Some(outcome)), false) =
                (applied, self.replaying)
            {
                self.send_reply(ctx, client, timestamp, outcome);
            }
        }
        if seq.is_multiple_of(self.config.checkpoint_interval) {
            self.take_checkpoint(ctx, seq);
        }
    }

    /// Reply to a client (a `wrong-results` replica lies about the result).
    fn send_reply(
        &mut self,
        ctx: &mut Ctx<'_, Pbft>,
        client: NodeId,
        timestamp: u64,
        outcome: Outcome,
    ) {
        let outcome = self.corrupt(outcome);
        let reply = Reply::new(&self.signer, self.d.view, client, timestamp, outcome);
        ctx.send(client, PbftMsg::Reply(reply));
    }

    /// The view-change timer in normal operation (§4.5.2): a backup runs it while a request
    /// it received waits to execute, restarts it when one executes and others still wait,
    /// and stops it when nothing waits.
    pub(super) fn refresh_timer(&mut self, ctx: &mut Ctx<'_, Pbft>, progressed: bool) {
        if progressed && !self.d.changing {
            self.backoff = 0;
        }
        if self.d.changing || self.is_silent() {
            return;
        }
        let waits = !self.waiting.is_empty() && self.primary() != self.id;
        if !waits {
            if self.vc_timer {
                ctx.cancel_timer(PbftTimer::ViewChange);
                self.vc_timer = false;
            }
        } else if !self.vc_timer || progressed {
            ctx.set_timer(PbftTimer::ViewChange, self.view_change_timeout_ms());
            self.vc_timer = true;
        }
    }
}

use super::super::msg::{Reply, VoteKind};
use crate::checkers::linearizability::Outcome;
