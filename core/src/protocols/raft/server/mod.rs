//! A Raft server as a sans-I/O state machine, one file per part of the paper.
//!
//! Every rule is from the paper (Figure 2 unless noted):
//! - *All servers*: if an RPC request or response contains term `T > currentTerm`, set
//!   `currentTerm = T` (and clear `votedFor`), convert to follower. Apply committed entries in
//!   order to the state machine.
//! - *Followers*: if the election timeout elapses without AppendEntries from the current leader
//!   or granting a vote, convert to candidate — or, with PreVote (§9.6), first ask whether a
//!   majority would vote, without touching anyone's term.
//! - *Candidates*: increment `currentTerm`, vote for self, reset the election timer (with a
//!   freshly randomized timeout, every time), send RequestVote to all others; with votes from a
//!   majority become leader; on AppendEntries from a leader of the current term become follower.
//! - *Leaders*: append a no-op at the start of the term (§8); send AppendEntries (heartbeats
//!   when idle); commit an entry of the *current* term once a majority stores it (§5.4.2);
//!   with CheckQuorum (§6.2) step down after an election timeout without hearing from a
//!   majority; send InstallSnapshot (Figure 13) to followers that need compacted entries.
//! - *RequestVote*: grant if `term ≥ currentTerm`, `votedFor` is null or the candidate, and the
//!   candidate's log is at least as up to date as ours (§5.4.1). With CheckQuorum, a server
//!   that heard from a leader within the minimum election timeout ignores it (§4.2.3).
//!
//! - `election.rs`: §5.2, PreVote (§9.6), CheckQuorum (§6.2).
//! - `replication.rs`: §5.3–5.4, batching and pipelining.
//! - `reads.rs`: ReadIndex and leases (§6.4).
//! - `snapshots.rs`: compaction and InstallSnapshot (§7).
//! - `sessions.rs`: client commands, redirects and exactly-once sessions (§8).
//!
//! Client commands carry the client's id and sequence number; the key-value state machine
//! applies each exactly once ([`super::kv`]). The client side is [`super::RaftClient`].

mod election;
mod reads;
mod replication;
mod sessions;
mod snapshots;
#[cfg(test)]
mod tests;

use super::machine::{AppliedCommand, RaftHost, StateMachine};
use super::msg::{Entry, RaftMsg, RaftTimer};
use super::storage::Durable;
use super::{Mutant, Raft, RaftConfig, ReadMode, CANDIDATE, FOLLOWER, LEADER, PRE_CANDIDATE};
use crate::kernel::mutant;
use crate::kernel::node::{ClientId, Ctx, Server};
use crate::kernel::probe::{Fact, Probe};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{NodeView, Role};
use std::collections::{BTreeMap, BTreeSet};

/// Where a server stands in elections (Figure 2's states, plus PreVote's pre-candidate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaftRole {
    /// Follows a leader (or waits for one).
    Follower,
    /// Asking for pre-votes before campaigning (§9.6).
    PreCandidate,
    /// Campaigning for votes.
    Candidate,
    /// Leads its term.
    Leader,
}

impl RaftRole {
    /// How the kernel draws and traces this role.
    pub fn role(self) -> Role {
        match self {
            RaftRole::Follower => FOLLOWER,
            RaftRole::PreCandidate => PRE_CANDIDATE,
            RaftRole::Candidate => CANDIDATE,
            RaftRole::Leader => LEADER,
        }
    }
}

/// A read waiting for the leader to confirm its leadership and apply far enough (§6.4).
#[derive(Clone, Debug)]
struct PendingRead<S: StateMachine> {
    client: NodeId,
    seq: u64,
    /// The read-only operation.
    op: S::Op,
    /// Apply at least this far before answering.
    read_index: u64,
    /// The heartbeat round a majority must acknowledge.
    round: u64,
}

/// Volatile leader state (Figure 2, "Volatile state on leaders"), rebuilt on every election.
#[derive(Clone, Debug)]
struct LeaderState<S: StateMachine> {
    /// For each server, the index of the next entry to send it.
    next_index: Vec<u64>,
    /// For each server, the highest index known to be replicated on it.
    match_index: Vec<u64>,
    /// For each server, AppendEntries with entries sent and not yet answered (pipelining).
    inflight: Vec<usize>,
    /// For each server, the highest heartbeat round it acknowledged in this term.
    acked_round: Vec<u64>,
    /// For each server, when it last answered (CheckQuorum).
    last_heard: Vec<Time>,
    /// When this leadership began.
    since: Time,
    /// Index of this term's no-op.
    term_start: u64,
    /// Current heartbeat round.
    round: u64,
    /// When each recent round started (for leases).
    round_started: BTreeMap<u64, Time>,
    /// The lease runs until then (lease reads only).
    lease_until: Time,
    /// Client commands in the log waiting to be applied, by log index.
    waiting: BTreeMap<u64, (NodeId, u64)>,
    /// Reads waiting for confirmation.
    reads: Vec<PendingRead<S>>,
    /// Whether a batch is open (the batch timer armed).
    batch_open: bool,
}

// Not derived: a derive would ask `S: Default`.
impl<S: StateMachine> Default for LeaderState<S> {
    fn default() -> Self {
        LeaderState {
            next_index: Vec::new(),
            match_index: Vec::new(),
            inflight: Vec::new(),
            acked_round: Vec::new(),
            last_heard: Vec::new(),
            since: Time::default(),
            term_start: 0,
            round: 0,
            round_started: BTreeMap::new(),
            lease_until: Time::default(),
            waiting: BTreeMap::new(),
            reads: Vec::new(),
            batch_open: false,
        }
    }
}

/// One Raft server, replicating the state machine of its host model `M` (Raft's own
/// key-value store by default).
#[derive(Clone, Debug)]
pub struct RaftServer<M: RaftHost = Raft> {
    id: NodeId,
    /// The cluster's servers, as the kernel said at start (quorums are counted over them).
    servers: Vec<NodeId>,
    config: RaftConfig,
    durable: Durable<M::Sm>,
    role: RaftRole,
    /// The leader of `current_term`, once heard from.
    leader: Option<NodeId>,
    /// When this node last heard from a leader (an AppendEntries or InstallSnapshot it
    /// accepted). Kept across its own timeouts and term changes: a timeout does not undo having
    /// acknowledged a leader's heartbeat round, and that round may back the leader's lease
    /// (thesis §4.2.3, §6.4.1). Volatile: a restart loses it, see `restarted_at`.
    heard_leader_at: Option<Time>,
    /// When this node restarted from durable state, if it may have acknowledged a leader before
    /// its crash (its term is past 0): it cannot know when it last heard one.
    restarted_at: Option<Time>,
    /// Set by `new` for a restart; `on_start` turns it into `restarted_at`.
    restarting: bool,
    /// Votes (or pre-votes) received in the current election.
    votes: BTreeSet<NodeId>,
    /// Highest log index known to be committed (volatile).
    commit_index: u64,
    /// Highest log index applied to the state machine (volatile).
    last_applied: u64,
    /// The state machine (volatile: rebuilt from the snapshot and the log after a restart).
    state: M::Sm,
    /// Leaders only.
    lead: LeaderState<M::Sm>,
    /// How many times the log lost entries since this node (re)started (truncation on
    /// conflict or snapshot install): lets checkers follow the log incrementally.
    truncations: u64,
    /// `ack-before-persist` mutant: entries from this index on are acknowledged but not yet
    /// on stable storage.
    unsynced_from: Option<u64>,
    /// Client commands the state machine applied during the current input (for checkers).
    applied_now: Vec<AppliedCommand>,
}

impl<M: RaftHost> RaftServer<M> {
    /// The persistent state as the node currently holds it.
    pub fn state(&self) -> &Durable<M::Sm> {
        &self.durable
    }

    /// The replicated state machine as applied so far (Raft's: the key-value store).
    pub fn kv(&self) -> &M::Sm {
        &self.state
    }

    /// The current term.
    pub fn current_term(&self) -> u64 {
        self.durable.current_term
    }

    /// Whom this node voted for in its current term.
    pub fn voted_for(&self) -> Option<NodeId> {
        self.durable.voted_for
    }

    /// The leader this node knows of in its current term.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// Highest index this node knows to be committed.
    pub fn commit_index(&self) -> u64 {
        self.commit_index
    }

    /// Highest index this node has applied to its state machine.
    pub fn last_applied(&self) -> u64 {
        self.last_applied
    }

    /// The log entries after the snapshot (`log()[0]` has index `snapshot_index() + 1`).
    pub fn log(&self) -> &[Entry<M::Sm>] {
        &self.durable.log
    }

    /// The entry at `index`, if it is still in the log (not folded into the snapshot).
    pub fn entry(&self, index: u64) -> Option<&Entry<M::Sm>> {
        self.durable.entry(index)
    }

    /// Index of the last entry folded into the snapshot (0 if none).
    pub fn snapshot_index(&self) -> u64 {
        self.durable.snapshot.last_index
    }

    /// Index of the last log entry.
    pub fn last_index(&self) -> u64 {
        self.durable.last_log_index()
    }

    /// How many times the log lost entries since the node (re)started.
    pub fn truncations(&self) -> u64 {
        self.truncations
    }

    /// Client commands its state machine applied during its last input, in order (retries and
    /// duplicates its sessions caught are not listed): what the exactly-once checker reads.
    pub fn applied_now(&self) -> &[AppliedCommand] {
        &self.applied_now
    }

    /// Index of the last entry on stable storage (below `last_index` only while the
    /// `ack-before-persist` mutant holds acknowledged entries in memory).
    pub fn durable_last_index(&self) -> u64 {
        let last = self.last_index();
        self.unsynced_from.map_or(last, |from| last.min(from - 1))
    }

    /// Leaders: `matchIndex` for every server (this node's own entry is its last index).
    pub fn match_indexes(&self) -> &[u64] {
        &self.lead.match_index
    }

    /// Leaders: `nextIndex` for every server.
    pub fn next_indexes(&self) -> &[u64] {
        &self.lead.next_index
    }

    /// Number of servers in the cluster.
    pub fn cluster_size(&self) -> usize {
        self.servers.len()
    }

    /// The configuration with the mutant's forced settings applied.
    fn effective(config: &RaftConfig) -> RaftConfig {
        let mut c = config.clone();
        if mutant::active(c.mutant) == Some(Mutant::NoPrevoteNoCheckquorum) {
            c.pre_vote = false;
            c.check_quorum = false;
        }
        c
    }

    pub(crate) fn majority(&self) -> usize {
        self.cluster_size() / 2 + 1
    }

    fn mutant(&self) -> Option<Mutant> {
        mutant::active(self.config.mutant)
    }
}

impl<M: RaftHost> Server<M> for RaftServer<M> {
    type Durable = Durable<M::Sm>;

    fn new(
        id: NodeId,
        servers: &[NodeId],
        config: &M::Config,
        durable: Option<Durable<M::Sm>>,
    ) -> RaftServer<M> {
        let host_config = config;
        let config = Self::effective(M::raft(config));
        // A server in term 0 never heard a leader (every leader's term is at least 1, and
        // following one makes it this server's durable term): nothing to remember.
        let restarting = durable.as_ref().is_some_and(|d| d.current_term > 0);
        let durable = durable.unwrap_or_default();
        let snap = durable.snapshot.last_index;
        let mut state = durable.snapshot.state.clone();
        M::prepare(host_config, &mut state);
        RaftServer {
            id,
            servers: servers.to_vec(),
            config,
            durable,
            role: RaftRole::Follower,
            leader: None,
            heard_leader_at: None,
            restarted_at: None,
            restarting,
            votes: BTreeSet::new(),
            commit_index: snap,
            last_applied: snap,
            state,
            lead: LeaderState::default(),
            truncations: 0,
            unsynced_from: None,
            applied_now: Vec::new(),
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, M>) {
        self.applied_now.clear();
        self.role = RaftRole::Follower;
        if std::mem::take(&mut self.restarting)
            && self.mutant() != Some(Mutant::LeaseVoteAfterRestart)
        {
            self.restarted_at = Some(ctx.now);
        }
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: RaftMsg<M::Sm>) {
        self.applied_now.clear();
        self.maybe_compact(ctx);
        // §4.2.3 with CheckQuorum: a vote request arriving while we hear from a live leader
        // is ignored entirely — not even its term is adopted — so a rejoining node with an
        // inflated term cannot depose a healthy leader (and, §6.4.1, its lease holds).
        if let RaftMsg::RequestVote { term, .. } = &msg {
            if self.config.check_quorum && *term > self.durable.current_term {
                if let Some(promise) = self.vote_promise(ctx.now) {
                    promise.count(ctx);
                    ctx.note(format_args!(
                        "ignores RequestVote from {from} for term {term}: {}",
                        promise.why()
                    ));
                    return;
                }
            }
        }
        self.adopt_term(ctx, msg.term());
        let current = self.durable.current_term;
        match msg {
            RaftMsg::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_pre_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::PreVoteReply {
                for_term, granted, ..
            } => {
                if self.role == RaftRole::PreCandidate && for_term == current + 1 && granted {
                    self.votes.insert(from);
                    if self.votes.len() >= self.majority() {
                        ctx.note(format_args!(
                            "won the pre-vote for term {for_term}; starts the election"
                        ));
                        self.start_election(ctx);
                    }
                }
            }
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_request_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::RequestVoteReply { term, granted } => {
                if self.role == RaftRole::Candidate && term == current && granted {
                    self.votes.insert(from);
                    if self.votes.len() >= self.majority() {
                        self.become_leader(ctx);
                    }
                }
            }
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            } => self.on_append_entries(
                ctx,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            ),
            RaftMsg::AppendEntriesReply {
                term,
                success,
                match_index,
                conflict_index,
                conflict_term,
                round,
            } => {
                if self.role == RaftRole::Leader && term == current {
                    self.on_follower_reply(ctx, from, round);
                    self.on_append_reply(
                        ctx,
                        from,
                        success,
                        match_index,
                        conflict_index,
                        conflict_term,
                    );
                }
            }
            RaftMsg::InstallSnapshot {
                term,
                last_index,
                last_term,
                state,
                round,
            } => self.on_install_snapshot(ctx, from, term, last_index, last_term, *state, round),
            RaftMsg::InstallSnapshotReply {
                term,
                match_index,
                round,
            } => {
                if self.role == RaftRole::Leader && term == current && match_index > 0 {
                    self.on_follower_reply(ctx, from, round);
                    self.lead.inflight[from.index()] = 0;
                    self.on_append_reply(ctx, from, true, match_index, 0, None);
                }
            }
            RaftMsg::ClientRequest { seq, op } => self.on_client_request(ctx, from, seq, op),
            RaftMsg::ClientReply { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, timer: RaftTimer) {
        self.applied_now.clear();
        self.maybe_compact(ctx);
        match timer {
            RaftTimer::Election if self.role != RaftRole::Leader => {
                if self.postpone_campaign(ctx) {
                    return;
                }
                if self.config.pre_vote {
                    self.start_pre_vote(ctx);
                } else {
                    self.start_election(ctx);
                }
            }
            RaftTimer::Heartbeat if self.role == RaftRole::Leader => self.on_heartbeat(ctx),
            RaftTimer::Batch if self.role == RaftRole::Leader => {
                self.lead.batch_open = false;
                self.push_entries(ctx);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, M>, client: ClientId, request: M::Request) {
        self.applied_now.clear();
        M::server_request(self, ctx, client, request);
    }

    fn durable(&self) -> Durable<M::Sm> {
        let mut d = self.durable.clone();
        if self.mutant() == Some(Mutant::ForgetVote) {
            d.voted_for = None;
        }
        if let Some(from) = self.unsynced_from {
            d.truncate_from(from);
        }
        d
    }

    fn role(&self) -> Role {
        self.role.role()
    }

    fn term(&self) -> Option<u64> {
        Some(self.durable.current_term)
    }

    fn timeout_timer(&self) -> Option<RaftTimer> {
        (self.role != RaftRole::Leader).then_some(RaftTimer::Election)
    }

    fn view(&self) -> NodeView {
        crate::protocols::raft::view::server_view(self)
    }

    /// The applied state machine answers: what a read served from this node would see.
    fn probe(&self, probe: &Probe<'_>) -> Fact {
        self.state.probe(probe)
    }
}

/// Test-only setters: put a server in a state the checkers' tests need.
#[cfg(test)]
impl RaftServer {
    /// Set the volatile indexes and the state machine.
    pub(crate) fn set_applied(&mut self, commit: u64, applied: u64, state: super::kv::KvState) {
        self.commit_index = commit;
        self.last_applied = applied;
        self.state = state;
    }
    /// Lead (term unchanged).
    pub(crate) fn set_leading(&mut self) {
        self.role = RaftRole::Leader;
    }
    /// Entries from `from` on are acknowledged but not on stable storage.
    pub(crate) fn set_unsynced_from(&mut self, from: Option<u64>) {
        self.unsynced_from = from;
    }
    /// What the state machine applied during the last input.
    pub(crate) fn set_applied_now(&mut self, applied: Vec<AppliedCommand>) {
        self.applied_now = applied;
    }
}

/// Read access for the view module.
impl<M: RaftHost> RaftServer<M> {
    pub(crate) fn id(&self) -> NodeId {
        self.id
    }
    pub(crate) fn raft_role(&self) -> RaftRole {
        self.role
    }
    pub(crate) fn votes_view(&self) -> Option<(usize, usize)> {
        matches!(self.role, RaftRole::Candidate | RaftRole::PreCandidate)
            .then(|| (self.votes.len(), self.majority()))
    }
    pub(crate) fn config(&self) -> &RaftConfig {
        &self.config
    }
    pub(crate) fn lease_until(&self) -> Option<Time> {
        (self.role == RaftRole::Leader && self.config.read_mode == ReadMode::Lease)
            .then_some(self.lead.lease_until)
    }
    pub(crate) fn pending_counts(&self) -> (usize, usize) {
        (self.lead.waiting.len(), self.lead.reads.len())
    }
}
