//! Linearizable reads without a log entry (§6.4): ReadIndex — note the commit index, confirm
//! leadership with a heartbeat round a majority acknowledges, wait until applied — or a lease
//! that trusts bounded clock drift. Reads through the log need nothing here.

use super::{PendingRead, RaftRole, RaftServer};
use crate::kernel::node::Ctx;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::machine::{RaftHost, StateMachine};
use crate::protocols::raft::msg::{ClientResult, RaftMsg};
use crate::protocols::raft::{Mutant, ReadMode};

impl<M: RaftHost> RaftServer<M> {
    /// Leaders: note which rounds a majority acknowledged, extend the lease, serve reads.
    pub(super) fn confirm_rounds(&mut self, now: Time) {
        let confirmed = self.confirmed_round();
        let lease = self.config.election_timeout_min_ms
            - self
                .config
                .lease_drift_ms
                .min(self.config.election_timeout_min_ms);
        if let Some(started) = self.lead.round_started.get(&confirmed) {
            let until = started.plus(lease);
            if until > self.lead.lease_until {
                self.lead.lease_until = until;
            }
        }
        // Forget start times of rounds that can no longer matter.
        while let Some((&r, _)) = self.lead.round_started.first_key_value() {
            if r >= confirmed {
                break;
            }
            self.lead.round_started.remove(&r);
        }
        let _ = now;
    }

    /// The highest heartbeat round a majority (this leader included) acknowledged.
    pub(super) fn confirmed_round(&self) -> u64 {
        let mut rounds: Vec<u64> = self
            .lead
            .acked_round
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if i == self.id.index() {
                    self.lead.round
                } else {
                    *r
                }
            })
            .collect();
        rounds.sort_unstable_by(|a, b| b.cmp(a));
        rounds.get(self.majority() - 1).copied().unwrap_or(0)
    }

    /// Answer every pending read whose round a majority confirmed and whose read index is
    /// applied.
    pub(super) fn serve_reads(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.role != RaftRole::Leader || self.lead.reads.is_empty() {
            return;
        }
        let confirmed = self.confirmed_round();
        let applied = self.last_applied;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.lead.reads)
            .into_iter()
            .partition(|r: &PendingRead<M::Sm>| r.round <= confirmed && r.read_index <= applied);
        self.lead.reads = waiting;
        for r in ready {
            let outcome = self.state.read(&r.op);
            ctx.send(
                r.client,
                RaftMsg::ClientReply {
                    seq: r.seq,
                    result: ClientResult::Done(outcome),
                },
            );
        }
    }

    /// §6.4: serve a read without a log entry.
    pub(super) fn start_read(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        client: NodeId,
        seq: u64,
        op: <M::Sm as StateMachine>::Op,
    ) {
        // The leader must know the commit index of its term: until its no-op commits, waiting
        // for the no-op to apply stands in for it (thesis §6.4, step 1).
        let read_index = if self.mutant() == Some(Mutant::ReadIndexBeforeNoop) {
            self.commit_index
        } else {
            self.commit_index.max(self.lead.term_start)
        };
        let stale_ok = self.mutant() == Some(Mutant::StaleLeaderRead);
        let lease_ok = self.config.read_mode == ReadMode::Lease && ctx.now < self.lead.lease_until;
        if stale_ok || (lease_ok && read_index <= self.last_applied) {
            if lease_ok && !stale_ok {
                let key = M::Sm::read_key(&op).unwrap_or_default();
                ctx.note(format_args!("serves read of {key} under its lease"));
                ctx.count("lease_reads");
            }
            let outcome = self.state.read(&op);
            ctx.send(
                client,
                RaftMsg::ClientReply {
                    seq,
                    result: ClientResult::Done(outcome),
                },
            );
            return;
        }
        // ReadIndex: a fresh heartbeat round must be acknowledged by a majority (step 2).
        let confirm = self.mutant() != Some(Mutant::ReadIndexWithoutHeartbeat);
        self.lead.reads.push(PendingRead {
            client,
            seq,
            op,
            read_index,
            round: if confirm { self.lead.round + 1 } else { 0 },
        });
        if confirm {
            self.heartbeat_round(ctx);
        }
        self.serve_reads(ctx);
    }
}
