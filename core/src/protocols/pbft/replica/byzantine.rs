//! The faulty behaviours ([`Behaviour`]). A faulty replica runs the same code as a correct one
//! and deviates only here; every message it sends is signed with its own key, so what it
//! forges is detectable (see [`super::super::auth`]).
//!
//! - `silent`: handled in the dispatch (nothing is processed, nothing sent, no timers).
//! - `equivocate`: as primary, the backups are dealt into two groups that receive different
//!   pre-prepares for the same sequence number (the request, and another waiting request or the
//!   null request); colluding faulty replicas get both. The first group is just large enough to
//!   prepare with the colluders' help (`2f − colluders`), so with at most f faulty replicas one
//!   request commits and the other group cannot prepare — and with f + 1 both commit. The
//!   primary commits both. As a backup it prepares and commits every pre-prepare it sees.
//! - `wrong-results`: answers each request at once with a made-up result (before anything
//!   executed), lies in its replies after executing, and serves a corrupted state.
//! - `forge-votes`: sends a copy of each of its prepares, commits and checkpoints claiming to
//!   come from another replica, made-up replies to clients claiming to come from every other
//!   replica, and view-changes whose prepared certificates it made up (null requests at every
//!   sequence number it knows, "prepared" in the view being left).
//! - `stale-replay`: keeps the protocol messages it receives and, on every status tick,
//!   replays a few of those whose view is over to every replica.
//! - `slow-primary`: as primary, holds each request `slow_primary_ms` before pre-preparing it.

use super::*;
use crate::checkers::linearizability::{Op, Outcome};
use crate::kernel::node::Ctx;
use crate::protocols::pbft::msg::{Reply, VoteKind};

/// How many received messages a `stale-replay` replica keeps.
const REPLAY_KEEP: usize = 64;
/// How many it replays per status tick.
const REPLAY_BURST: usize = 3;
/// The value a lying replica reports.
const LIE: &str = "forged";

fn view_of(msg: &PbftMsg) -> Option<u64> {
    match msg {
        PbftMsg::PrePrepare(pp) => Some(pp.view),
        PbftMsg::Prepare(v) | PbftMsg::Commit(v) => Some(v.view),
        PbftMsg::ViewChange(vc) => Some(vc.view),
        PbftMsg::NewView(nv) => Some(nv.view),
        _ => None,
    }
}

/// A made-up result of the right shape for `op`.
fn made_up(op: &Op) -> Outcome {
    match op {
        Op::Get { .. } => Outcome::Value(Some(LIE.to_string())),
        Op::Cas { .. } => Outcome::CasFailed {
            current: Some(LIE.to_string()),
        },
        Op::Put { .. } | Op::Delete { .. } => Outcome::Ok,
    }
}

impl Replica {
    /// The replica a forged copy of the message for `seq` claims to come from (rotating).
    fn victim(&self, seq: u64) -> NodeId {
        let step = 1 + (seq as usize % (self.n - 1));
        NodeId::from_index((self.id.index() + step) % self.n)
    }

    /// `equivocate` primary: send different pre-prepares for `pp`'s sequence number.
    pub(super) fn equivocate(&mut self, ctx: &mut Ctx<'_, Pbft>, pp: &PrePrepare) {
        let others: Vec<NodeId> = (0..self.n)
            .map(NodeId::from_index)
            .filter(|r| *r != self.id)
            .collect();
        let (colluders, rest): (Vec<NodeId>, Vec<NodeId>) = others
            .into_iter()
            .partition(|r| self.config.behaviour(*r) == Some(Behaviour::Equivocate));
        let group = (self.quorum() - 1)
            .saturating_sub(colluders.len())
            .clamp(1, rest.len().max(1));
        let (a, b) = rest.split_at(group.min(rest.len()));
        let other = self
            .waiting
            .iter()
            .filter(|(k, d)| **d != pp.digest && !self.assigned.contains_key(k))
            .find_map(|(_, d)| self.body(*d).cloned());
        let twin = PrePrepare::new(&self.signer, pp.view, pp.seq, other);
        for r in a.iter().chain(&colluders) {
            ctx.send(*r, PbftMsg::PrePrepare(pp.clone()));
        }
        for r in b.iter().chain(&colluders) {
            ctx.send(*r, PbftMsg::PrePrepare(twin.clone()));
        }
        let names = |g: &[NodeId]| {
            g.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        ctx.count("equivocations");
        ctx.note(format_args!(
            "equivocates at n={}: {} to {{{}}}, {} to {{{}}}",
            pp.seq,
            pp.label(),
            names(a),
            twin.label(),
            names(b)
        ));
        for digest in [pp.digest, twin.digest] {
            self.vote_everything(ctx, pp.view, pp.seq, digest, false);
        }
    }

    /// `equivocate`: prepare (unless primary) and commit `digest` at `(view, seq)` regardless of
    /// what was accepted.
    pub(super) fn vote_everything(
        &mut self,
        ctx: &mut Ctx<'_, Pbft>,
        view: u64,
        seq: u64,
        digest: Digest,
        prepare: bool,
    ) {
        if prepare {
            let p = Vote::new(&self.signer, VoteKind::Prepare, view, seq, digest);
            self.multicast(ctx, PbftMsg::Prepare(p));
        }
        let c = Vote::new(&self.signer, VoteKind::Commit, view, seq, digest);
        let me = self.id;
        self.slot_mut(seq)
            .commits
            .insert((view, me, digest), c.clone());
        self.multicast(ctx, PbftMsg::Commit(c));
    }

    /// `forge-votes`: after sending its own vote, send a copy claiming another replica.
    pub(super) fn forge_copies(&mut self, ctx: &mut Ctx<'_, Pbft>, kind: VoteKind, vote: &Vote) {
        if self.behaviour != Some(Behaviour::ForgeVotes) {
            return;
        }
        let mut forged = vote.clone();
        forged.replica = self.victim(vote.seq);
        forged.sig = self.signer.sign(forged.content(kind));
        ctx.count("forgeries_sent");
        self.multicast(
            ctx,
            match kind {
                VoteKind::Prepare => PbftMsg::Prepare(forged),
                VoteKind::Commit => PbftMsg::Commit(forged),
            },
        );
    }

    /// `forge-votes`: a checkpoint with a made-up digest in another replica's name.
    pub(super) fn forge_checkpoint(&mut self, ctx: &mut Ctx<'_, Pbft>, c: &Checkpoint) {
        if self.behaviour != Some(Behaviour::ForgeVotes) {
            return;
        }
        let mut forged = c.clone();
        forged.replica = self.victim(c.seq);
        forged.state = Digest(!c.state.0);
        forged.sig = self.signer.sign(forged.content());
        ctx.count("forgeries_sent");
        self.multicast(ctx, PbftMsg::Checkpoint(forged));
    }

    /// `forge-votes`: prepared certificates for null requests at every sequence number above
    /// the stable checkpoint it knows of, "prepared" in the view being left, the primary's
    /// pre-prepare and the backups' prepares all signed with its own key.
    pub(super) fn forged_certificates(&self, target: u64) -> Vec<PreparedCert> {
        let view = target.saturating_sub(1);
        let primary = primary_of(view, self.n);
        let top = self
            .d
            .slots
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .max(self.last_exec)
            .min(self.high_water_mark());
        (self.d.stable.seq + 1..=top)
            .map(|seq| {
                let mut pp = PrePrepare {
                    view,
                    seq,
                    digest: NULL,
                    request: None,
                    sig: Default::default(),
                };
                pp.sig = self.signer.sign(pp.content());
                let prepares = (0..self.n)
                    .map(NodeId::from_index)
                    .filter(|r| *r != primary)
                    .take(self.prepare_quorum())
                    .map(|replica| {
                        let mut v = Vote {
                            view,
                            seq,
                            digest: NULL,
                            replica,
                            sig: Default::default(),
                        };
                        v.sig = self.signer.sign(v.content(VoteKind::Prepare));
                        v
                    })
                    .collect();
                PreparedCert {
                    pre_prepare: pp,
                    prepares,
                }
            })
            .collect()
    }

    /// `wrong-results` and `forge-votes`: answer a request at once with made-up results.
    pub(super) fn fabricate_replies(&mut self, ctx: &mut Ctx<'_, Pbft>, request: &ClientRequest) {
        let forger = match self.behaviour {
            Some(Behaviour::WrongResults) => false,
            Some(Behaviour::ForgeVotes) => true,
            _ => return,
        };
        if !self.byz.fabricated.insert(request.key()) {
            return;
        }
        let (client, timestamp) = request.key();
        let result = made_up(&request.op);
        if forger {
            for i in (0..self.n).filter(|i| *i != self.id.index()) {
                let mut r =
                    Reply::new(&self.signer, self.d.view, client, timestamp, result.clone());
                r.replica = NodeId::from_index(i);
                r.sig = self.signer.sign(r.content());
                ctx.send(client, PbftMsg::Reply(r));
            }
            ctx.count("forgeries_sent");
        } else {
            let r = Reply::new(&self.signer, self.d.view, client, timestamp, result);
            ctx.send(client, PbftMsg::Reply(r));
            ctx.count("lies_sent");
        }
    }

    /// `wrong-results`: the result this replica reports after executing.
    pub(super) fn corrupt(&self, outcome: Outcome) -> Outcome {
        if self.behaviour != Some(Behaviour::WrongResults) {
            return outcome;
        }
        match outcome {
            Outcome::Value(_) => Outcome::Value(Some(LIE.to_string())),
            Outcome::CasOk => Outcome::CasFailed {
                current: Some(LIE.to_string()),
            },
            Outcome::CasFailed { .. } => Outcome::CasOk,
            Outcome::Ok => Outcome::Ok,
        }
    }

    /// `wrong-results`: the state this replica serves to a fetching replica.
    pub(super) fn corrupt_state(&self, mut state: KvState) -> KvState {
        if self.behaviour == Some(Behaviour::WrongResults) {
            state.data.insert(LIE.to_string(), LIE.to_string());
        }
        state
    }

    /// `stale-replay`: keep a received protocol message.
    pub(super) fn remember_for_replay(&mut self, msg: &PbftMsg) {
        if self.behaviour != Some(Behaviour::StaleReplay) || view_of(msg).is_none() {
            return;
        }
        if self.byz.replay.len() >= REPLAY_KEEP {
            self.byz.replay.remove(0);
        }
        self.byz.replay.push(msg.clone());
    }

    /// `stale-replay`: replay a few kept messages whose view is over.
    pub(super) fn replay_stale(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        if self.behaviour != Some(Behaviour::StaleReplay) {
            return;
        }
        let current = self.d.active_view;
        let old: Vec<PbftMsg> = self
            .byz
            .replay
            .iter()
            .filter(|m| view_of(m).is_some_and(|v| v < current))
            .cloned()
            .collect();
        if old.is_empty() {
            return;
        }
        for k in 0..REPLAY_BURST.min(old.len()) {
            let m = old[(self.byz.replay_at + k) % old.len()].clone();
            self.multicast(ctx, m);
        }
        self.byz.replay_at = (self.byz.replay_at + REPLAY_BURST) % old.len();
        ctx.count("replays_sent");
    }

    /// `slow-primary`: whether request `key` must wait longer before it is pre-prepared.
    pub(super) fn hold_if_slow(&mut self, ctx: &mut Ctx<'_, Pbft>, key: (NodeId, u64)) -> bool {
        if self.behaviour != Some(Behaviour::SlowPrimary) {
            return false;
        }
        match self.byz.held.get(&key).copied() {
            Some(due) if ctx.now >= due => {
                self.byz.held.remove(&key);
                false
            }
            Some(_) => true,
            None => {
                let due = ctx.now.plus(self.config.slow_primary_ms);
                self.byz.held.insert(key, due);
                ctx.note(format_args!(
                    "holds {}#{} for {} ms before pre-preparing it",
                    key.0, key.1, self.config.slow_primary_ms
                ));
                self.arm_slow_timer(ctx);
                true
            }
        }
    }

    fn arm_slow_timer(&self, ctx: &mut Ctx<'_, Pbft>) {
        if let Some(due) = self.byz.held.values().min() {
            ctx.set_timer(
                PbftTimer::SlowPrimary,
                due.0.saturating_sub(ctx.now.0).max(1),
            );
        }
    }

    /// `slow-primary`: the hold is over for some requests.
    pub(super) fn release_held(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        self.assign(ctx);
        self.arm_slow_timer(ctx);
    }
}
