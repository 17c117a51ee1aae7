//! Retransmission (TOCS §6.2): the network loses, duplicates and delays messages, so every
//! replica periodically multicasts STATUS — its view, its last executed sequence number and its
//! stable checkpoint — and peers resend what it lacks:
//!
//! - a replica in an older view gets the NEW-VIEW that started the current one;
//! - a replica with an older stable checkpoint gets the checkpoint certificate (and then
//!   fetches the state if it needs it);
//! - a replica that executed less gets, for the next few sequence numbers, the pre-prepare (with
//!   the request), the sender's prepare and its commit — enough to prepare and vote, or to learn
//!   the decision from a commit certificate.
//!
//! A replica with nothing pending sends STATUS only every few ticks. One that made no progress
//! for a whole tick while work was pending resends its own votes for the sequence numbers it is
//! stuck on, and its latest checkpoint message while that is not stable; one that is changing
//! views resends its VIEW-CHANGE every tick.

use super::*;
use crate::kernel::node::Ctx;
use crate::protocols::pbft::msg::Status;

/// A replica with nothing pending multicasts STATUS every this many ticks.
const IDLE_STATUS_EVERY: u64 = 5;

impl Replica {
    /// The status timer: multicast STATUS, resend what is stuck, re-arm.
    pub(super) fn on_status_tick(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        ctx.set_timer(PbftTimer::Status, self.config.status_ms);
        let pending = self.d.changing
            || self.fetching.is_some()
            || !self.waiting.is_empty()
            || self.d.slots.range(self.last_exec + 1..).next().is_some();
        self.status_ticks += 1;
        if pending || self.status_ticks % IDLE_STATUS_EVERY == 1 {
            let status = Status::new(
                &self.signer,
                (self.d.view, self.d.changing, self.d.active_view),
                self.last_exec,
                self.d.stable.seq,
            );
            self.multicast(ctx, PbftMsg::Status(status));
        }
        // Stuck: the next slot was there a whole tick ago and still has not executed, or the
        // latest own checkpoint has not become stable in a whole tick.
        let next_slot = self.d.slots.contains_key(&(self.last_exec + 1));
        let own_checkpoint = self
            .checkpoint_votes
            .iter()
            .next_back()
            .and_then(|(seq, m)| m.get(&self.id).map(|c| (*seq, c.clone())));
        let mark = (
            self.last_exec,
            next_slot,
            own_checkpoint.as_ref().map(|(seq, _)| *seq),
        );
        let stuck_slot = next_slot && self.status_mark.0 == self.last_exec && self.status_mark.1;
        let stuck_checkpoint = mark.2.is_some() && self.status_mark.2 == mark.2;
        if self.d.changing {
            self.resend_view_change(ctx);
        } else {
            let mine: Vec<PbftMsg> = if stuck_slot {
                self.d
                    .slots
                    .range(self.last_exec + 1..=self.last_exec + RESEND)
                    .flat_map(|(_, s)| self.own_messages(s))
                    .collect()
            } else {
                Vec::new()
            };
            if !mine.is_empty() || stuck_checkpoint {
                ctx.count("retransmissions");
            }
            for m in mine {
                self.multicast(ctx, m);
            }
            if let Some((_, c)) = own_checkpoint.filter(|_| stuck_checkpoint) {
                self.multicast(ctx, PbftMsg::Checkpoint(c));
            }
        }
        self.status_mark = mark;
        self.replay_stale(ctx);
    }

    /// What this replica sent (or holds) for a slot in its current view: the pre-prepare, its
    /// own prepare, and its latest commit.
    fn own_messages(&self, slot: &Slot) -> Vec<PbftMsg> {
        let view = self.d.view;
        let mut out = Vec::new();
        if let Some(pp) = slot.pre_prepare.as_ref().filter(|pp| pp.view == view) {
            out.push(PbftMsg::PrePrepare(pp.clone()));
        }
        if let Some(v) = slot.prepare_of(view, self.id) {
            out.push(PbftMsg::Prepare(v.clone()));
        }
        if let Some(v) = slot.commit_of(view, self.id) {
            out.push(PbftMsg::Commit(v.clone()));
        }
        out
    }

    /// A STATUS message: resend what its sender lacks.
    pub(super) fn on_status(&mut self, ctx: &mut Ctx<'_, Pbft>, s: Status) {
        if !s.authentic() {
            self.reject_forged(ctx, "status", s.replica);
            return;
        }
        if s.replica == self.id || s.replica.index() >= self.n {
            return;
        }
        let to = s.replica;
        if self.d.changing {
            return;
        }
        let behind_view = s.view < self.d.view || (s.view == self.d.view && s.changing);
        if behind_view {
            if let Some(nv) = self.d.new_view.as_ref().filter(|nv| nv.view == self.d.view) {
                ctx.send(to, PbftMsg::NewView(Rc::clone(nv)));
            }
        }
        if s.stable < self.d.stable.seq {
            for c in &self.d.stable.proof {
                ctx.send(to, PbftMsg::Checkpoint(c.clone()));
            }
        }
        if s.last_exec < self.last_exec && s.active_view <= self.d.view {
            let msgs: Vec<PbftMsg> = self
                .d
                .slots
                .range(s.last_exec + 1..=s.last_exec + RESEND)
                .flat_map(|(_, slot)| self.own_messages(slot))
                .collect();
            if !msgs.is_empty() {
                ctx.count("retransmissions");
            }
            for m in msgs {
                ctx.send(to, m);
            }
        }
    }
}
