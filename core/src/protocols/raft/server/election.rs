//! Leader election (§5.2): randomized timeouts re-drawn on every arming, RequestVote with the
//! up-to-date check (§5.4.1), PreVote (§9.6) so a node that cannot win never bumps a term, and
//! CheckQuorum (§6.2) with the vote rule of §4.2.3: a leader that stops hearing from a majority
//! steps down, and a server that hears from a live leader refuses to help depose it.

use super::{LeaderState, RaftRole, RaftServer};
use crate::kernel::node::Ctx;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::kv::Command;
use crate::protocols::raft::msg::{ClientResult, Entry, RaftMsg, RaftTimer};
use crate::protocols::raft::Raft;

impl RaftServer {
    pub(super) fn reset_election_timer(&self, ctx: &mut Ctx<'_, Raft>) {
        let timeout = ctx.rng.range_inclusive(
            self.config.election_timeout_min_ms,
            self.config.election_timeout_max_ms,
        );
        ctx.set_timer(RaftTimer::Election, timeout);
    }

    /// Whether this server heard from a live leader within the minimum election timeout (then
    /// it refuses pre-votes, and with CheckQuorum ignores vote requests).
    pub(super) fn leader_is_fresh(&self, now: Time) -> bool {
        if self.role == RaftRole::Leader {
            return true;
        }
        self.leader.is_some()
            && self
                .leader_contact
                .is_some_and(|t| now.0 < t.0 + self.config.election_timeout_min_ms)
    }

    /// Stop leading (or campaigning): pending clients are told to retry elsewhere.
    pub(super) fn become_follower(&mut self, ctx: &mut Ctx<'_, Raft>) {
        if self.role == RaftRole::Leader {
            ctx.cancel_timer(RaftTimer::Heartbeat);
            ctx.cancel_timer(RaftTimer::Batch);
            let lead = std::mem::take(&mut self.lead);
            for (client, seq) in lead.waiting.into_values() {
                ctx.send(
                    client,
                    RaftMsg::ClientReply {
                        seq,
                        result: ClientResult::Retry {
                            why: "the leader stepped down",
                        },
                    },
                );
            }
            for r in lead.reads {
                ctx.send(
                    r.client,
                    RaftMsg::ClientReply {
                        seq: r.seq,
                        result: ClientResult::Retry {
                            why: "the leader stepped down",
                        },
                    },
                );
            }
            self.reset_election_timer(ctx);
        }
        self.role = RaftRole::Follower;
        self.votes.clear();
    }

    /// Adopt a newer term seen in any message (Figure 2, "Rules for Servers").
    pub(super) fn adopt_term(&mut self, ctx: &mut Ctx<'_, Raft>, term: u64) {
        if term <= self.durable.current_term {
            return;
        }
        self.durable.current_term = term;
        self.durable.voted_for = None;
        self.leader = None;
        self.leader_contact = None;
        self.become_follower(ctx);
    }

    /// §9.6: ask for pre-votes for term `currentTerm + 1` without changing any term.
    pub(super) fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, Raft>) {
        self.role = RaftRole::PreCandidate;
        self.leader = None;
        self.votes.clear();
        self.votes.insert(self.id);
        self.reset_election_timer(ctx);
        if self.votes.len() >= self.majority() {
            self.start_election(ctx);
            return;
        }
        ctx.broadcast(&RaftMsg::PreVote {
            term: self.durable.current_term + 1,
            last_log_index: self.durable.last_log_index(),
            last_log_term: self.durable.last_log_term(),
        });
    }

    pub(super) fn start_election(&mut self, ctx: &mut Ctx<'_, Raft>) {
        self.durable.current_term += 1;
        self.durable.voted_for = Some(self.id);
        self.role = RaftRole::Candidate;
        self.leader = None;
        self.leader_contact = None;
        self.votes.clear();
        self.votes.insert(self.id);
        self.reset_election_timer(ctx);
        if self.votes.len() >= self.majority() {
            self.become_leader(ctx);
            return;
        }
        ctx.broadcast(&RaftMsg::RequestVote {
            term: self.durable.current_term,
            last_log_index: self.durable.last_log_index(),
            last_log_term: self.durable.last_log_term(),
        });
    }

    pub(super) fn become_leader(&mut self, ctx: &mut Ctx<'_, Raft>) {
        self.role = RaftRole::Leader;
        self.leader = Some(self.id);
        ctx.cancel_timer(RaftTimer::Election);
        let voters: Vec<String> = self.votes.iter().map(|v| v.to_string()).collect();
        ctx.note(format!(
            "won term {} with votes from {}",
            self.durable.current_term,
            voters.join(",")
        ));
        self.votes.clear();
        self.durable.log.push(Entry {
            term: self.durable.current_term,
            command: Command::Noop,
        });
        let last = self.last_index();
        let n = self.cluster_size();
        self.lead = LeaderState {
            next_index: vec![last; n],
            match_index: vec![0; n],
            inflight: vec![0; n],
            acked_round: vec![0; n],
            last_heard: vec![ctx.now; n],
            since: ctx.now,
            term_start: last,
            ..LeaderState::default()
        };
        self.lead.match_index[self.id.index()] = last;
        self.advance_commit(ctx);
        self.heartbeat_round(ctx);
        ctx.set_timer(RaftTimer::Heartbeat, self.config.heartbeat_ms);
    }

    pub(super) fn on_pre_vote(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        let up_to_date = self.durable.is_up_to_date(last_log_index, last_log_term);
        let fresh = self.leader_is_fresh(ctx.now);
        let granted = term > self.durable.current_term && up_to_date && !fresh;
        if !granted {
            let why = if fresh {
                "it hears from a leader"
            } else if !up_to_date {
                "candidate's log is behind"
            } else {
                "term is not newer"
            };
            ctx.note(format!("refuses pre-vote to {from}: {why}"));
        }
        ctx.send(
            from,
            RaftMsg::PreVoteReply {
                term: self.durable.current_term,
                for_term: term,
                granted,
            },
        );
    }

    pub(super) fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        let current = self.durable.current_term;
        let free = self.durable.voted_for.is_none_or(|v| v == from);
        let up_to_date = self.durable.is_up_to_date(last_log_index, last_log_term);
        let granted = term == current && free && up_to_date;
        if granted {
            self.durable.voted_for = Some(from);
            // Granting a vote resets the election timer (Figure 2, Followers).
            self.reset_election_timer(ctx);
            ctx.note(format!("votes for {from} in term {current}"));
        } else if term == current {
            let why = if !free {
                format!(
                    "already voted for {}",
                    self.durable.voted_for.map_or("?".into(), |v| v.to_string())
                )
            } else {
                "candidate's log is behind".to_string()
            };
            ctx.note(format!("refuses vote to {from}: {why}"));
        }
        ctx.send(
            from,
            RaftMsg::RequestVoteReply {
                term: current,
                granted,
            },
        );
    }

    /// CheckQuorum (§6.2): a leader that has not heard from a majority within an election
    /// timeout steps down, so a leader cut off in a minority stops accepting commands.
    pub(super) fn check_quorum(&mut self, ctx: &mut Ctx<'_, Raft>) -> bool {
        let window = self.config.election_timeout_max_ms;
        if !self.config.check_quorum || ctx.now.0 < self.lead.since.0 + window {
            return true;
        }
        let heard = self
            .lead
            .last_heard
            .iter()
            .enumerate()
            .filter(|(i, t)| *i == self.id.index() || ctx.now.0 < t.0 + window)
            .count();
        if heard >= self.majority() {
            return true;
        }
        ctx.note(format!(
            "CheckQuorum: heard from only {heard} of {} servers in {window} ms; steps down",
            self.cluster_size()
        ));
        ctx.count("check_quorum_stepdowns");
        self.leader = None;
        self.become_follower(ctx);
        false
    }
}
