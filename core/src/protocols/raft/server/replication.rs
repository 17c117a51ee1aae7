//! Log replication (§5.3) and commitment (§5.4): AppendEntries with the consistency check and
//! fast backtracking hints, batching and pipelining on the leader's side, the current-term
//! commit rule (§5.4.2, Figure 8) and in-order application to the state machine.

use super::{RaftRole, RaftServer};
use crate::kernel::node::Ctx;
use crate::kernel::types::NodeId;
use crate::protocols::raft::machine::{Applied, AppliedCommand, Command, RaftHost, StateMachine};
use crate::protocols::raft::msg::{ClientResult, Entry, RaftMsg, RaftTimer};
use crate::protocols::raft::Mutant;

impl<M: RaftHost> RaftServer<M> {
    /// Start a new heartbeat round: every follower gets an AppendEntries (with what it lacks,
    /// or empty) carrying the new round number.
    pub(super) fn heartbeat_round(&mut self, ctx: &mut Ctx<'_, M>) {
        self.lead.round += 1;
        let round = self.lead.round;
        self.lead.round_started.insert(round, ctx.now);
        for peer in ctx.peers() {
            self.send_append(ctx, peer, true);
        }
        self.confirm_rounds(ctx.now);
    }

    /// Send `peer` the entries it lacks — within the batch and pipelining limits — or, when
    /// `heartbeat` is set and nothing can be sent, an empty AppendEntries.
    pub(super) fn send_append(&mut self, ctx: &mut Ctx<'_, M>, peer: NodeId, heartbeat: bool) {
        let p = peer.index();
        let last = self.last_index();
        let next = self.lead.next_index[p].clamp(1, last + 1);
        if next <= self.durable.snapshot.last_index {
            // The entries it needs are compacted away: send the snapshot (Figure 13).
            let snap = &self.durable.snapshot;
            ctx.send(
                peer,
                RaftMsg::InstallSnapshot {
                    term: self.durable.current_term,
                    last_index: snap.last_index,
                    last_term: snap.last_term,
                    state: Box::new(snap.state.clone()),
                    round: self.lead.round,
                },
            );
            return;
        }
        let window = if self.config.pipelining {
            self.config.max_inflight
        } else {
            1
        };
        let can_send = next <= last && self.lead.inflight[p] < window;
        if !can_send && !heartbeat {
            return;
        }
        let max = if self.config.batching {
            self.config.max_batch
        } else {
            1
        };
        let (prev, entries) = if can_send {
            let entries: Vec<Entry<M::Sm>> = self.durable.entries(next, max).to_vec();
            (next - 1, entries)
        } else {
            // An empty heartbeat. While AppendEntries are in flight, point it at what the
            // follower is known to hold, so it cannot be refused for a gap still being filled.
            let known = self.lead.match_index[p];
            let prev = if self.lead.inflight[p] > 0 && self.durable.term_at(known).is_some() {
                known
            } else {
                next - 1
            };
            (prev, Vec::new())
        };
        let Some(prev_log_term) = self.durable.term_at(prev) else {
            return;
        };
        if !entries.is_empty() {
            self.lead.inflight[p] += 1;
            if self.config.pipelining {
                self.lead.next_index[p] = prev + entries.len() as u64 + 1;
            }
        }
        ctx.send(
            peer,
            RaftMsg::AppendEntries {
                term: self.durable.current_term,
                prev_log_index: prev,
                prev_log_term,
                entries,
                leader_commit: self.commit_index,
                round: self.lead.round,
            },
        );
    }

    /// Send new entries to every follower that can take them now.
    pub(super) fn push_entries(&mut self, ctx: &mut Ctx<'_, M>) {
        for peer in ctx.peers() {
            self.send_append(ctx, peer, false);
        }
    }

    /// Leaders: commit the highest index stored on a majority — counting replicas only for
    /// entries of the current term (§5.4.2, Figure 8); earlier entries commit with them.
    pub(super) fn advance_commit(&mut self, ctx: &mut Ctx<'_, M>) {
        let term = self.durable.current_term;
        let old_term_ok = self.mutant() == Some(Mutant::CommitOldTerm);
        // The highest index stored on a majority: the largest matchIndex that at least a
        // majority of matchIndexes reach (no allocation, no walk down the uncommitted entries:
        // this runs on every AppendEntries reply).
        let majority = self.majority();
        let matched = &self.lead.match_index;
        let quorum = matched
            .iter()
            .copied()
            .filter(|c| matched.iter().filter(|m| **m >= *c).count() >= majority)
            .max()
            .unwrap_or(0)
            .min(self.last_index());
        // Terms never decrease along the log, so an entry of the current term there means every
        // entry after it is of the current term too. Entries of earlier terms are never
        // committed by counting.
        if quorum > self.commit_index
            && (old_term_ok || self.durable.term_at(quorum).unwrap_or(0) >= term)
        {
            self.commit_index = quorum;
        }
        self.apply_committed(ctx);
    }

    /// Apply committed entries, in order, to the state machine; a leader answers the clients
    /// waiting for them, then serves reads that can now be served.
    pub(super) fn apply_committed(&mut self, ctx: &mut Ctx<'_, M>) {
        let target = self.commit_index.min(self.last_index());
        while self.last_applied < target {
            let index = self.last_applied + 1;
            let Some(entry) = self.durable.entry(index) else {
                break;
            };
            let sessions = self.mutant() != Some(Mutant::NoClientSessions);
            let applied = self.state.apply_entry(index, &entry.command, sessions);
            for event in self.state.take_coverage() {
                if self.role == RaftRole::Leader {
                    ctx.count(event);
                }
            }
            match (&applied, &entry.command) {
                (Applied::Fresh(_), Command::Client { client, seq, .. }) => {
                    self.applied_now.push(AppliedCommand {
                        index,
                        client: *client,
                        seq: *seq,
                    });
                }
                (Applied::Duplicate(_), _) => ctx.count("duplicates_caught"),
                _ => {}
            }
            self.last_applied = index;
            if let Some((client, seq)) = self.lead.waiting.remove(&index) {
                let outcome = match applied {
                    Applied::Fresh(o) | Applied::Duplicate(Some(o)) => Some(o),
                    Applied::Duplicate(None) | Applied::Nothing => None,
                };
                if let Some(outcome) = outcome {
                    ctx.send(
                        client,
                        RaftMsg::ClientReply {
                            seq,
                            result: ClientResult::Done(outcome),
                        },
                    );
                }
            }
        }
        self.serve_reads(ctx);
    }

    /// A leader of our term exists: follow it.
    pub(super) fn follow(&mut self, ctx: &mut Ctx<'_, M>, leader: NodeId) {
        if self.role != RaftRole::Follower {
            self.become_follower(ctx);
        }
        self.leader = Some(leader);
        self.heard_leader_at = Some(ctx.now);
        self.reset_election_timer(ctx);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_entries(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry<M::Sm>>,
        leader_commit: u64,
        round: u64,
    ) {
        let current = self.durable.current_term;
        let refuse = |ctx: &mut Ctx<'_, M>, conflict_index: u64, conflict_term: Option<u64>| {
            ctx.send(
                from,
                RaftMsg::AppendEntriesReply {
                    term: current,
                    success: false,
                    match_index: 0,
                    conflict_index,
                    conflict_term,
                    round,
                },
            );
        };
        if term < current {
            refuse(ctx, 0, None);
            return;
        }
        self.follow(ctx, from);
        if self.mutant() == Some(Mutant::ClearVoteOnAppend) {
            self.durable.voted_for = None;
        }
        // The previous AppendEntries' entries reach the disk now (ack-before-persist mutant).
        self.unsynced_from = None;

        // Entries inside our snapshot are committed, so they match: skip them.
        let snap = self.durable.snapshot.last_index;
        let (mut prev_log_index, mut prev_log_term, mut entries) =
            (prev_log_index, prev_log_term, entries);
        if prev_log_index < snap {
            let skip = usize::try_from(snap - prev_log_index).unwrap_or(usize::MAX);
            if entries.len() <= skip {
                // Everything offered is already in our snapshot.
                ctx.send(
                    from,
                    RaftMsg::AppendEntriesReply {
                        term: current,
                        success: true,
                        match_index: snap.max(prev_log_index + entries.len() as u64),
                        conflict_index: 0,
                        conflict_term: None,
                        round,
                    },
                );
                return;
            }
            entries.drain(..skip);
            prev_log_index = snap;
            prev_log_term = self.durable.snapshot.last_term;
        }

        // Consistency check (Figure 2, AppendEntries rule 2), with a hint for fast backtracking.
        match self.durable.term_at(prev_log_index) {
            None => {
                refuse(ctx, self.last_index() + 1, None);
                return;
            }
            Some(t) if t != prev_log_term => {
                let first = (self.durable.first_index()..=prev_log_index)
                    .find(|i| self.durable.term_at(*i) == Some(t))
                    .unwrap_or(prev_log_index);
                ctx.note(format_args!(
                    "log mismatch at {prev_log_index}: has term {t}, leader has {prev_log_term}"
                ));
                refuse(ctx, first, Some(t));
                return;
            }
            Some(_) => {}
        }
        // Rules 3 and 4: drop a conflicting suffix, append what is new. An entry we already
        // hold (same index and term) is kept — a stale, shorter AppendEntries must not truncate.
        let last_new = prev_log_index + entries.len() as u64;
        let mut index = prev_log_index;
        let before = self.last_index();
        for entry in entries {
            index += 1;
            match self.durable.term_at(index) {
                Some(t) if t == entry.term && self.mutant() != Some(Mutant::TruncateOnMatch) => {}
                Some(_) => {
                    ctx.note(format_args!("truncates its log from index {index}"));
                    self.durable.truncate_from(index);
                    self.truncations += 1;
                    ctx.count("truncations");
                    self.durable.log.push(entry);
                }
                None => self.durable.log.push(entry),
            }
        }
        if self.mutant() == Some(Mutant::AckBeforePersist) && self.last_index() > before {
            self.unsynced_from = Some(before.min(self.last_index()) + 1);
        }
        // Rule 5: commitIndex = min(leaderCommit, index of last new entry) — never lowered.
        if leader_commit > self.commit_index {
            let learned = if self.mutant() == Some(Mutant::CommitBeyondNew) {
                leader_commit
            } else {
                leader_commit.min(last_new)
            };
            self.commit_index = self.commit_index.max(learned);
            self.apply_committed(ctx);
        }
        ctx.send(
            from,
            RaftMsg::AppendEntriesReply {
                term: current,
                success: true,
                match_index: last_new,
                conflict_index: 0,
                conflict_term: None,
                round,
            },
        );
    }

    /// A follower answered (AppendEntries or InstallSnapshot) in our term.
    pub(super) fn on_follower_reply(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, round: u64) {
        let f = from.index();
        self.lead.last_heard[f] = ctx.now;
        self.lead.inflight[f] = self.lead.inflight[f].saturating_sub(1);
        if round > self.lead.acked_round[f] {
            self.lead.acked_round[f] = round;
            self.confirm_rounds(ctx.now);
        }
    }

    pub(super) fn on_append_reply(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        success: bool,
        match_index: u64,
        conflict_index: u64,
        conflict_term: Option<u64>,
    ) {
        let f = from.index();
        if success {
            let advanced = match_index > self.lead.match_index[f];
            self.lead.match_index[f] = self.lead.match_index[f].max(match_index);
            self.lead.next_index[f] = self.lead.next_index[f].max(self.lead.match_index[f] + 1);
            if advanced {
                self.advance_commit(ctx);
            }
            self.serve_reads(ctx);
            // Send the rest at once only on real progress: a duplicated or stale reply must
            // not start a second stream of AppendEntries (heartbeats retransmit anyway).
            if advanced {
                self.send_append(ctx, from, false);
            }
            return;
        }
        self.serve_reads(ctx);
        if conflict_index == 0 {
            return;
        }
        // Fast backtracking: skip the follower's whole conflicting term at once.
        let retry = match conflict_term {
            Some(t) => (self.durable.first_index()..=self.last_index())
                .rev()
                .find(|i| self.durable.term_at(*i) == Some(t))
                .map_or(conflict_index, |i| i + 1),
            None => conflict_index,
        };
        let next = retry.clamp(self.lead.match_index[f] + 1, self.last_index() + 1);
        if next != self.lead.next_index[f] {
            self.lead.next_index[f] = next;
            self.lead.inflight[f] = 0;
            self.send_append(ctx, from, true);
        }
    }

    /// The heartbeat timer: CheckQuorum, then a new heartbeat round.
    pub(super) fn on_heartbeat(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.check_quorum(ctx) {
            return;
        }
        // Unanswered AppendEntries are presumed lost: the window reopens. If the follower
        // lacks what nextIndex assumes, it refuses with a hint and fast backtracking resumes
        // from there.
        self.lead.inflight.iter_mut().for_each(|f| *f = 0);
        self.propose_own(ctx);
        self.heartbeat_round(ctx);
        ctx.set_timer(RaftTimer::Heartbeat, self.config.heartbeat_ms);
    }

    /// Leaders: append the commands the state machine asks for (a lock service's lease
    /// expiries), once everything earlier is applied so nothing is proposed twice. They are
    /// numbered in the leader's own session by their log index. Raft's key-value store asks
    /// for none, so this appends nothing there.
    fn propose_own(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.last_applied < self.last_index() {
            return;
        }
        let proposals = self.state.leader_proposals(ctx.now);
        if proposals.is_empty() {
            return;
        }
        for op in proposals {
            let seq = self.last_index() + 1;
            ctx.note(format_args!(
                "proposes {} at index {seq}",
                M::Sm::short(&op)
            ));
            ctx.count("own_proposals");
            self.durable.log.push(Entry {
                term: self.durable.current_term,
                command: Command::Client {
                    client: self.id,
                    seq,
                    op,
                },
            });
        }
        self.lead.match_index[self.id.index()] = self.last_index();
        self.advance_commit(ctx);
    }
}
