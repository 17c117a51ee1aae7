//! Leader election (§5.2): randomized timeouts re-drawn on every arming, RequestVote with the
//! up-to-date check (§5.4.1), PreVote (§9.6) so a node that cannot win never bumps a term, and
//! CheckQuorum (§6.2) with the vote rule of §4.2.3: a leader that stops hearing from a majority
//! steps down, and a server that hears from a live leader refuses to help depose it.

use super::{LeaderState, RaftRole, RaftServer};
use crate::kernel::node::Ctx;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::machine::{Command, RaftHost};
use crate::protocols::raft::msg::{ClientResult, Entry, RaftMsg, RaftTimer};
use crate::protocols::raft::Mutant;

/// Why a server refuses to help elect anyone for now (see [`RaftServer::vote_promise`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Promise {
    /// It leads.
    Leads,
    /// It heard from a leader less than the minimum election timeout ago.
    HeardLeader {
        /// When it heard the leader.
        at: Time,
        /// The promise ends then.
        until: Time,
    },
    /// It restarted less than the minimum election timeout ago.
    Restarted {
        /// When it restarted.
        at: Time,
        /// The promise ends then.
        until: Time,
    },
}

impl Promise {
    /// When the promise ends (a leader's never does while it leads).
    pub(super) fn until(self) -> Time {
        match self {
            Promise::Leads => Time(u64::MAX),
            Promise::HeardLeader { until, .. } | Promise::Restarted { until, .. } => until,
        }
    }

    /// Count a vote refused because of a restart (coverage: restarts inside a lease).
    pub(super) fn count<M: crate::kernel::node::Model>(self, ctx: &mut Ctx<'_, M>) {
        if matches!(self, Promise::Restarted { .. }) {
            ctx.count("votes_refused_after_restart");
        }
    }

    /// What the promise rests on, with its time (for the trace).
    pub(super) fn since(self) -> String {
        match self {
            Promise::Leads => "it leads".to_string(),
            Promise::HeardLeader { at, .. } => format!("it heard from a leader at t={at}"),
            Promise::Restarted { at, .. } => {
                format!("it restarted at t={at} and may have acknowledged a leader before")
            }
        }
    }

    /// The reason, as the trace says it.
    pub(super) fn why(self) -> &'static str {
        match self {
            Promise::Leads | Promise::HeardLeader { .. } => "it hears from a leader",
            Promise::Restarted { .. } => {
                "it restarted less than the minimum election timeout ago and may have \
                 acknowledged a leader's lease"
            }
        }
    }
}

impl<M: RaftHost> RaftServer<M> {
    pub(super) fn reset_election_timer(&self, ctx: &mut Ctx<'_, M>) {
        let timeout = ctx.rng.range_inclusive(
            self.config.election_timeout_min_ms,
            self.config.election_timeout_max_ms,
        );
        ctx.set_timer(RaftTimer::Election, timeout);
    }

    /// Why this server must not help elect anyone now — itself included — if it must not.
    ///
    /// The rule of thesis §4.2.3: a server that heard from a current leader within the minimum
    /// election timeout does not grant its vote. With CheckQuorum it keeps a rejoining server
    /// from deposing a healthy leader; it is also what makes leader leases safe (§6.4.1): a
    /// leader answers reads alone until `round start + election_timeout_min − drift` because
    /// every server that acknowledged that round refuses votes until `its ack +
    /// election_timeout_min`, and any new leader needs a vote from one of them. So the promise
    /// is a fact about the past, and two things must not erase it:
    ///
    /// - **its own timeout.** A timer firing (or forced by the user) does not undo having
    ///   acknowledged the round, so `heard_leader_at` survives `start_pre_vote`,
    ///   `start_election` and term changes; a server whose timer fires inside its promise
    ///   postpones its campaign until the promise ends (`postpone_campaign`). Its natural
    ///   timer is at least the minimum election timeout after it last heard a leader, so only
    ///   a timer forced early is ever postponed: elections still start as soon as the leader
    ///   is really gone.
    /// - **a restart.** A restarted server cannot know when it last heard a leader (the
    ///   promise is volatile: time, not state, and clocks do not survive a reboot), so it
    ///   assumes it just did: it refuses votes for the minimum election timeout after it
    ///   starts — which its own first timeout (at least that long) never notices.
    ///
    /// The `lease-vote-after-restart` mutant restores the old rule (the promise held only while
    /// a leader was known in the current term, and only since the last start).
    pub(super) fn vote_promise(&self, now: Time) -> Option<Promise> {
        if self.role == RaftRole::Leader {
            return Some(Promise::Leads);
        }
        let min = self.config.election_timeout_min_ms;
        if self.mutant() == Some(Mutant::LeaseVoteAfterRestart) {
            return self
                .heard_leader_at
                .map(|t| t.plus(min))
                .filter(|until| self.leader.is_some() && now < *until)
                .map(|until| Promise::HeardLeader {
                    at: Time(until.0 - min),
                    until,
                });
        }
        let heard = self.heard_leader_at.map(|at| Promise::HeardLeader {
            at,
            until: at.plus(min),
        });
        let restarted = self.restarted_at.map(|at| Promise::Restarted {
            at,
            until: at.plus(min),
        });
        [heard, restarted]
            .into_iter()
            .flatten()
            .filter(|p| now < p.until())
            .max_by_key(|p| p.until())
    }

    /// For the inspector: the vote promise this server holds, at the latest — when it ends and
    /// what it rests on (`None` for a leader, or a server that never heard one).
    pub(crate) fn vote_promise_view(&self) -> Option<String> {
        match self.vote_promise(Time::ZERO)? {
            Promise::Leads => None,
            p => Some(format!("no votes before t={} ({})", p.until(), p.since())),
        }
    }

    /// The election timer fired while the vote promise still runs (only a timer forced early
    /// can): re-arm it for when the promise ends and campaign then. With CheckQuorum only —
    /// the rule is CheckQuorum's, and lease reads require it.
    pub(super) fn postpone_campaign(&mut self, ctx: &mut Ctx<'_, M>) -> bool {
        if !self.config.check_quorum || self.mutant() == Some(Mutant::LeaseVoteAfterRestart) {
            return false;
        }
        let Some(promise) = self.vote_promise(ctx.now) else {
            return false;
        };
        let until = promise.until();
        ctx.count("campaigns_postponed");
        ctx.note(format_args!(
            "does not campaign yet: {}, so no votes — its own included — before t={until}, \
             when any lease it helped grant has ended",
            promise.since()
        ));
        ctx.set_timer(RaftTimer::Election, until.0 - ctx.now.0);
        true
    }

    /// Stop leading (or campaigning): pending clients are told to retry elsewhere.
    pub(super) fn become_follower(&mut self, ctx: &mut Ctx<'_, M>) {
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
    pub(super) fn adopt_term(&mut self, ctx: &mut Ctx<'_, M>, term: u64) {
        if term <= self.durable.current_term {
            return;
        }
        self.durable.current_term = term;
        self.durable.voted_for = None;
        self.leader = None;
        self.become_follower(ctx);
    }

    /// §9.6: ask for pre-votes for term `currentTerm + 1` without changing any term.
    pub(super) fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, M>) {
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

    pub(super) fn start_election(&mut self, ctx: &mut Ctx<'_, M>) {
        self.durable.current_term += 1;
        self.durable.voted_for = Some(self.id);
        self.role = RaftRole::Candidate;
        self.leader = None;
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

    pub(super) fn become_leader(&mut self, ctx: &mut Ctx<'_, M>) {
        self.role = RaftRole::Leader;
        self.leader = Some(self.id);
        ctx.cancel_timer(RaftTimer::Election);
        let voters: Vec<String> = self.votes.iter().map(|v| v.to_string()).collect();
        ctx.note(format_args!(
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
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        let up_to_date = self.durable.is_up_to_date(last_log_index, last_log_term);
        let promise = self.vote_promise(ctx.now);
        let granted = term > self.durable.current_term && up_to_date && promise.is_none();
        if !granted {
            let why = if let Some(promise) = promise {
                promise.count(ctx);
                promise.why()
            } else if !up_to_date {
                "candidate's log is behind"
            } else {
                "term is not newer"
            };
            ctx.note(format_args!("refuses pre-vote to {from}: {why}"));
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
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        let current = self.durable.current_term;
        let free = self.durable.voted_for.is_none_or(|v| v == from);
        let up_to_date = self.durable.is_up_to_date(last_log_index, last_log_term);
        // §4.2.3 for a candidate of our own term (a newer term was ignored on arrival): a term
        // adopted from some other message does not release the promise.
        let promise = self
            .config
            .check_quorum
            .then(|| self.vote_promise(ctx.now))
            .flatten()
            .filter(|_| self.mutant() != Some(Mutant::LeaseVoteAfterRestart));
        let granted = term == current && free && up_to_date && promise.is_none();
        if granted {
            self.durable.voted_for = Some(from);
            // Granting a vote resets the election timer (Figure 2, Followers).
            self.reset_election_timer(ctx);
            ctx.note(format_args!("votes for {from} in term {current}"));
        } else if term == current {
            let why = if !free {
                format!(
                    "already voted for {}",
                    self.durable.voted_for.map_or("?".into(), |v| v.to_string())
                )
            } else if !up_to_date {
                "candidate's log is behind".to_string()
            } else if let Some(p) = promise {
                p.count(ctx);
                p.why().to_string()
            } else {
                String::new()
            };
            ctx.note(format_args!("refuses vote to {from}: {why}"));
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
    pub(super) fn check_quorum(&mut self, ctx: &mut Ctx<'_, M>) -> bool {
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
        ctx.note(format_args!(
            "CheckQuorum: heard from only {heard} of {} servers in {window} ms; steps down",
            self.cluster_size()
        ));
        ctx.count("check_quorum_stepdowns");
        self.leader = None;
        self.become_follower(ctx);
        false
    }
}
