//! A Raft server as a sans-I/O state machine.
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
//! Client commands (§8) carry the client's id and sequence number; the key-value state machine
//! applies each exactly once ([`super::kv`]). Reads go through the log, ReadIndex or a lease
//! (§6.4, [`super::ReadMode`]). The same type also plays the *client* actor ([`RaftClient`]):
//! the simulator builds ids `c1…` as clients.

use super::client::RaftClient;
use super::kv::{describe, Applied, Command, KvState};
use super::msg::{ClientResult, Entry, RaftMsg};
use super::{Mutant, RaftChecker, RaftConfig, ReadMode};
use crate::checkers::linearizability::{Op, Outcome};
use crate::kernel::config::ConfigError;
use crate::kernel::node::{ClientId, Ctx, Node};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{NodeView, Role};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Raft's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaftTimer {
    /// Followers and candidates: start an election (or a pre-vote) when it fires.
    Election,
    /// Leaders: send heartbeats (and run the CheckQuorum test) when it fires.
    Heartbeat,
    /// Leaders with batching: send the commands collected since the batch opened.
    Batch,
    /// Client actors: the answer is overdue, or the backoff before a retry is over.
    Client,
}

impl fmt::Display for RaftTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RaftTimer::Election => "election",
            RaftTimer::Heartbeat => "heartbeat",
            RaftTimer::Batch => "batch",
            RaftTimer::Client => "client",
        })
    }
}

/// A snapshot of the state machine (Figure 13, §7): everything up to `last_index` is folded
/// into `state`, and those log entries are discarded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotData {
    /// Index of the last entry the snapshot replaces (0: no snapshot yet).
    pub last_index: u64,
    /// Term of that entry.
    pub last_term: u64,
    /// The key-value map and client sessions as of `last_index`.
    pub state: KvState,
}

/// State Raft keeps on stable storage (Figure 2, "Persistent state on all servers", plus the
/// snapshot of §7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    /// Latest term this server has seen.
    pub current_term: u64,
    /// Candidate that received this server's vote in the current term.
    pub voted_for: Option<NodeId>,
    /// Log entries after the snapshot: `log[0]` has index `snapshot.last_index + 1`.
    pub log: Vec<Entry>,
    /// The latest snapshot.
    pub snapshot: SnapshotData,
}

impl Durable {
    /// Index of the first entry still in the log.
    pub fn first_index(&self) -> u64 {
        self.snapshot.last_index + 1
    }

    /// Index of the last log entry (the snapshot's last index if the log is empty).
    pub fn last_log_index(&self) -> u64 {
        self.snapshot.last_index + self.log.len() as u64
    }

    /// Term of the last log entry.
    pub fn last_log_term(&self) -> u64 {
        self.log.last().map_or(self.snapshot.last_term, |e| e.term)
    }

    /// Term of the entry at `index`: the snapshot's last term at its last index (0 at 0);
    /// `None` past the end or inside the snapshot (compacted).
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.snapshot.last_index {
            return Some(self.snapshot.last_term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// The entry at `index`, if it is still in the log.
    pub fn entry(&self, index: u64) -> Option<&Entry> {
        let k = index.checked_sub(self.first_index())?;
        self.log.get(usize::try_from(k).ok()?)
    }

    /// Drop every entry from `index` on.
    fn truncate_from(&mut self, index: u64) {
        let k = index.saturating_sub(self.first_index());
        self.log.truncate(usize::try_from(k).unwrap_or(usize::MAX));
    }

    /// §5.4.1: is a log ending at `(last_index, last_term)` at least as up to date as ours?
    /// Later last term wins; with equal last terms, the longer log wins.
    pub fn is_up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        let (my_term, my_index) = (self.last_log_term(), self.last_log_index());
        last_term > my_term || (last_term == my_term && last_index >= my_index)
    }
}

/// A request handed to a Raft node by the simulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftRequest {
    /// To a server: "who is the leader?" — answered from the server's own knowledge.
    WhoLeads,
    /// To a client actor: run `op`, contacting `target` first.
    Op {
        /// The server to contact first.
        target: NodeId,
        /// The key-value operation.
        op: Op,
    },
}

impl fmt::Display for RaftRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftRequest::WhoLeads => f.write_str("who-leads"),
            RaftRequest::Op { target, op } => {
                write!(f, "{} via {target}", super::kv::short(op))
            }
        }
    }
}

/// An answer: from a server to `WhoLeads`, or from a client actor when its operation ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftReply {
    /// This server leads the given term.
    IAmLeader {
        /// The term it leads.
        term: u64,
    },
    /// This server follows the given leader (the client should go there).
    Redirect {
        /// The leader this server last heard from in its current term.
        leader: NodeId,
    },
    /// This server knows no leader for its current term.
    NoLeader,
    /// A client's operation finished with `outcome`.
    Done {
        /// Its sequence number.
        seq: u64,
        /// The operation.
        op: Op,
        /// The result.
        outcome: Outcome,
        /// Servers contacted, in order (redirects and retries included).
        hops: Vec<NodeId>,
    },
    /// A client gave up after its attempts ran out: the operation may or may not have taken
    /// effect (indeterminate).
    GaveUp {
        /// Its sequence number.
        seq: u64,
        /// The operation.
        op: Op,
    },
}

impl fmt::Display for RaftReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftReply::IAmLeader { term } => write!(f, "leader of term {term}"),
            RaftReply::Redirect { leader } => write!(f, "redirect to {leader}"),
            RaftReply::NoLeader => f.write_str("no known leader"),
            RaftReply::Done {
                seq,
                op,
                outcome,
                hops,
            } => {
                let path: Vec<String> = hops.iter().map(|h| h.to_string()).collect();
                write!(
                    f,
                    "#{seq} {} → {} (via {})",
                    super::kv::short(op),
                    describe(op, outcome),
                    path.join("→")
                )
            }
            RaftReply::GaveUp { seq, op } => write!(
                f,
                "#{seq} {} gave up: outcome unknown",
                super::kv::short(op)
            ),
        }
    }
}

/// A read waiting for the leader to confirm its leadership and apply far enough (§6.4).
#[derive(Clone, Debug)]
struct PendingRead {
    client: NodeId,
    seq: u64,
    key: String,
    /// Apply at least this far before answering.
    read_index: u64,
    /// The heartbeat round a majority must acknowledge.
    round: u64,
}

/// Volatile leader state (Figure 2, "Volatile state on leaders"), rebuilt on every election.
#[derive(Clone, Debug, Default)]
struct LeaderState {
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
    reads: Vec<PendingRead>,
    /// Whether a batch is open (the batch timer armed).
    batch_open: bool,
}

/// One Raft server (or, for ids `c1…`, a client actor).
#[derive(Clone, Debug)]
pub struct RaftNode {
    id: NodeId,
    cluster_size: usize,
    config: RaftConfig,
    durable: Durable,
    role: Role,
    /// The leader of `current_term`, once heard from.
    leader: Option<NodeId>,
    /// When this node last heard from the leader of its term (CheckQuorum's vote rule).
    leader_contact: Option<Time>,
    /// Votes (or pre-votes) received in the current election.
    votes: BTreeSet<NodeId>,
    /// Highest log index known to be committed (volatile).
    commit_index: u64,
    /// Highest log index applied to the state machine (volatile).
    last_applied: u64,
    /// The state machine (volatile: rebuilt from the snapshot and the log after a restart).
    state: KvState,
    /// Leaders only.
    lead: LeaderState,
    /// How many times the log lost entries since this node (re)started (truncation on
    /// conflict or snapshot install): lets checkers follow the log incrementally.
    truncations: u64,
    /// `ack-before-persist` mutant: entries from this index on are acknowledged but not yet
    /// on stable storage.
    unsynced_from: Option<u64>,
    /// The client actor, for ids `c1…`.
    client: Option<Box<RaftClient>>,
}

impl RaftNode {
    /// The persistent state as the node currently holds it.
    pub fn state(&self) -> &Durable {
        &self.durable
    }

    /// The key-value state machine as applied so far.
    pub fn kv(&self) -> &KvState {
        &self.state
    }

    /// The client actor, if this node is one.
    pub fn client(&self) -> Option<&RaftClient> {
        self.client.as_deref()
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
    pub fn log(&self) -> &[Entry] {
        &self.durable.log
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
        self.cluster_size
    }

    /// The configuration with the mutant's forced settings applied.
    fn effective(config: &RaftConfig) -> RaftConfig {
        let mut c = config.clone();
        if cfg!(feature = "mutants") && c.mutant == Some(Mutant::NoPrevoteNoCheckquorum) {
            c.pre_vote = false;
            c.check_quorum = false;
        }
        c
    }

    fn majority(&self) -> usize {
        self.cluster_size / 2 + 1
    }

    fn mutant(&self) -> Option<Mutant> {
        if cfg!(feature = "mutants") {
            self.config.mutant
        } else {
            None
        }
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Self>) {
        let timeout = ctx.rng.range_inclusive(
            self.config.election_timeout_min_ms,
            self.config.election_timeout_max_ms,
        );
        ctx.set_timer(RaftTimer::Election, timeout);
    }

    /// Whether this server heard from a live leader within the minimum election timeout (then
    /// it refuses pre-votes, and with CheckQuorum ignores vote requests).
    fn leader_is_fresh(&self, now: Time) -> bool {
        if self.role == Role::Leader {
            return true;
        }
        self.leader.is_some()
            && self
                .leader_contact
                .is_some_and(|t| now.0 < t.0 + self.config.election_timeout_min_ms)
    }

    /// Stop leading (or campaigning): pending clients are told to retry elsewhere.
    fn become_follower(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.role == Role::Leader {
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
        self.role = Role::Follower;
        self.votes.clear();
    }

    /// Adopt a newer term seen in any message (Figure 2, "Rules for Servers").
    fn adopt_term(&mut self, ctx: &mut Ctx<'_, Self>, term: u64) {
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
    fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.role = Role::PreCandidate;
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

    fn start_election(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.durable.current_term += 1;
        self.durable.voted_for = Some(self.id);
        self.role = Role::Candidate;
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

    fn become_leader(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.role = Role::Leader;
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
        let n = self.cluster_size;
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

    /// Start a new heartbeat round: every follower gets an AppendEntries (with what it lacks,
    /// or empty) carrying the new round number.
    fn heartbeat_round(&mut self, ctx: &mut Ctx<'_, Self>) {
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
    fn send_append(&mut self, ctx: &mut Ctx<'_, Self>, peer: NodeId, heartbeat: bool) {
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
            let entries: Vec<Entry> = (next..=last)
                .take(max)
                .filter_map(|i| self.durable.entry(i).cloned())
                .collect();
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
    fn push_entries(&mut self, ctx: &mut Ctx<'_, Self>) {
        for peer in ctx.peers() {
            self.send_append(ctx, peer, false);
        }
    }

    /// Leaders: commit the highest index stored on a majority — counting replicas only for
    /// entries of the current term (§5.4.2, Figure 8); earlier entries commit with them.
    fn advance_commit(&mut self, ctx: &mut Ctx<'_, Self>) {
        let term = self.durable.current_term;
        let mut n = self.last_index();
        let old_term_ok = self.mutant() == Some(Mutant::CommitOldTerm);
        while n > self.commit_index {
            let entry_term = self.durable.term_at(n).unwrap_or(0);
            if entry_term < term && !old_term_ok {
                // Entries of earlier terms are never committed by counting.
                break;
            }
            let stored = self.lead.match_index.iter().filter(|m| **m >= n).count();
            if stored >= self.majority() {
                self.commit_index = n;
                break;
            }
            n -= 1;
        }
        self.apply_committed(ctx);
    }

    /// Apply committed entries, in order, to the state machine; a leader answers the clients
    /// waiting for them, then serves reads that can now be served.
    fn apply_committed(&mut self, ctx: &mut Ctx<'_, Self>) {
        let target = self.commit_index.min(self.last_index());
        while self.last_applied < target {
            let index = self.last_applied + 1;
            let Some(entry) = self.durable.entry(index) else {
                break;
            };
            let applied = self.state.apply(&entry.command);
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

    /// Fold the applied prefix into a snapshot once `snapshot_every` entries piled up (§7).
    /// Run at the start of an input, so the checkers have seen every entry before it goes.
    fn maybe_compact(&mut self, ctx: &mut Ctx<'_, Self>) {
        let every = self.config.snapshot_every;
        let upto = self.last_applied;
        if every == 0 || upto < self.durable.snapshot.last_index + every {
            return;
        }
        let Some(term) = self.durable.term_at(upto) else {
            return;
        };
        let drop = usize::try_from(upto - self.durable.snapshot.last_index).unwrap_or(0);
        self.durable.log.drain(..drop.min(self.durable.log.len()));
        self.durable.snapshot = SnapshotData {
            last_index: upto,
            last_term: term,
            state: self.state.clone(),
        };
        if let Some(u) = self.unsynced_from {
            self.unsynced_from = Some(u.max(upto + 1));
        }
        ctx.count("snapshots_taken");
        ctx.note(format!("snapshot up to index {upto}@{term}; log compacted"));
    }

    /// Leaders: note which rounds a majority acknowledged, extend the lease, serve reads.
    fn confirm_rounds(&mut self, now: Time) {
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
    fn confirmed_round(&self) -> u64 {
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
    fn serve_reads(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.role != Role::Leader || self.lead.reads.is_empty() {
            return;
        }
        let confirmed = self.confirmed_round();
        let applied = self.last_applied;
        let (ready, waiting): (Vec<PendingRead>, Vec<PendingRead>) =
            std::mem::take(&mut self.lead.reads)
                .into_iter()
                .partition(|r| r.round <= confirmed && r.read_index <= applied);
        self.lead.reads = waiting;
        for r in ready {
            let outcome = self.state.read(&r.key);
            ctx.send(
                r.client,
                RaftMsg::ClientReply {
                    seq: r.seq,
                    result: ClientResult::Done(outcome),
                },
            );
        }
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, seq: u64, op: Op) {
        if self.role != Role::Leader {
            ctx.note(format!(
                "redirects {from} to {}",
                self.leader
                    .map_or("nobody (no known leader)".to_string(), |l| l.to_string())
            ));
            ctx.send(
                from,
                RaftMsg::ClientReply {
                    seq,
                    result: ClientResult::Redirect {
                        leader: self.leader,
                    },
                },
            );
            return;
        }
        if let Op::Get { key } = &op {
            if self.config.read_mode != ReadMode::Log {
                self.start_read(ctx, from, seq, key.clone());
                return;
            }
        }
        // Exactly once: a command already applied is answered from the session; one already
        // in the log waits for it (a retry or a network duplicate appends nothing new).
        if let Some(s) = self.state.sessions.get(&from) {
            if seq < s.seq {
                return;
            }
            if seq == s.seq {
                let outcome = s.outcome.clone();
                ctx.send(
                    from,
                    RaftMsg::ClientReply {
                        seq,
                        result: ClientResult::Done(outcome),
                    },
                );
                return;
            }
        }
        if self.lead.waiting.values().any(|w| *w == (from, seq)) {
            return;
        }
        self.durable.log.push(Entry {
            term: self.durable.current_term,
            command: Command::Client {
                client: from,
                seq,
                op,
            },
        });
        let index = self.last_index();
        self.lead.waiting.insert(index, (from, seq));
        self.lead.match_index[self.id.index()] = index;
        self.advance_commit(ctx);
        if self.config.batching {
            if !self.lead.batch_open {
                self.lead.batch_open = true;
                ctx.set_timer(RaftTimer::Batch, self.config.batch_delay_ms);
            }
        } else {
            self.push_entries(ctx);
        }
    }

    /// §6.4: serve a read without a log entry.
    fn start_read(&mut self, ctx: &mut Ctx<'_, Self>, client: NodeId, seq: u64, key: String) {
        // The leader must know the commit index of its term: until its no-op commits, waiting
        // for the no-op to apply stands in for it.
        let read_index = self.commit_index.max(self.lead.term_start);
        let stale_ok = self.mutant() == Some(Mutant::StaleLeaderRead);
        let lease_ok = self.config.read_mode == ReadMode::Lease && ctx.now < self.lead.lease_until;
        if stale_ok || (lease_ok && read_index <= self.last_applied) {
            if lease_ok && !stale_ok {
                ctx.note(format!("serves read of {key} under its lease"));
            }
            let outcome = self.state.read(&key);
            ctx.send(
                client,
                RaftMsg::ClientReply {
                    seq,
                    result: ClientResult::Done(outcome),
                },
            );
            return;
        }
        // ReadIndex: a fresh heartbeat round must be acknowledged by a majority.
        self.lead.reads.push(PendingRead {
            client,
            seq,
            key,
            read_index,
            round: self.lead.round + 1,
        });
        self.heartbeat_round(ctx);
        self.serve_reads(ctx);
    }

    fn on_pre_vote(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
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

    fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
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

    /// A leader of our term exists: follow it.
    fn follow(&mut self, ctx: &mut Ctx<'_, Self>, leader: NodeId) {
        if self.role != Role::Follower {
            self.become_follower(ctx);
        }
        self.leader = Some(leader);
        self.leader_contact = Some(ctx.now);
        self.reset_election_timer(ctx);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_entries(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: NodeId,
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
        round: u64,
    ) {
        let current = self.durable.current_term;
        let refuse = |ctx: &mut Ctx<'_, Self>, conflict_index: u64, conflict_term: Option<u64>| {
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
                ctx.note(format!(
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
                    ctx.note(format!("truncates its log from index {index}"));
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

    #[allow(clippy::too_many_arguments)]
    fn on_install_snapshot(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
        state: KvState,
        round: u64,
    ) {
        let current = self.durable.current_term;
        let reply = |ctx: &mut Ctx<'_, Self>, match_index: u64| {
            ctx.send(
                from,
                RaftMsg::InstallSnapshotReply {
                    term: current,
                    match_index,
                    round,
                },
            );
        };
        if term < current {
            reply(ctx, 0);
            return;
        }
        self.follow(ctx, from);
        if last_index <= self.commit_index {
            // We already hold everything it covers (committed entries match everywhere).
            reply(ctx, last_index);
            return;
        }
        // Figure 13: keep the log after the snapshot if it agrees there; else drop it all.
        if self.durable.term_at(last_index) == Some(last_term) {
            let keep_from = usize::try_from(last_index - self.durable.snapshot.last_index)
                .unwrap_or(usize::MAX)
                .min(self.durable.log.len());
            self.durable.log.drain(..keep_from);
        } else {
            self.durable.log.clear();
            self.truncations += 1;
        }
        self.durable.snapshot = SnapshotData {
            last_index,
            last_term,
            state: state.clone(),
        };
        self.state = state;
        self.commit_index = last_index;
        self.last_applied = last_index;
        self.unsynced_from = None;
        ctx.count("snapshots_installed");
        ctx.note(format!(
            "installed snapshot up to {last_index}@{last_term} from {from}"
        ));
        reply(ctx, last_index);
    }

    /// A follower answered (AppendEntries or InstallSnapshot) in our term.
    fn on_follower_reply(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, round: u64) {
        let f = from.index();
        self.lead.last_heard[f] = ctx.now;
        self.lead.inflight[f] = self.lead.inflight[f].saturating_sub(1);
        if round > self.lead.acked_round[f] {
            self.lead.acked_round[f] = round;
            self.confirm_rounds(ctx.now);
        }
    }

    fn on_append_reply(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
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
    fn on_heartbeat(&mut self, ctx: &mut Ctx<'_, Self>) {
        if !self.check_quorum(ctx) {
            return;
        }
        // Unanswered AppendEntries are presumed lost: the window reopens. If the follower
        // lacks what nextIndex assumes, it refuses with a hint and fast backtracking resumes
        // from there.
        self.lead.inflight.iter_mut().for_each(|f| *f = 0);
        self.heartbeat_round(ctx);
        ctx.set_timer(RaftTimer::Heartbeat, self.config.heartbeat_ms);
    }

    /// CheckQuorum (§6.2): a leader that has not heard from a majority within an election
    /// timeout steps down, so a leader cut off in a minority stops accepting commands.
    fn check_quorum(&mut self, ctx: &mut Ctx<'_, Self>) -> bool {
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
            self.cluster_size
        ));
        ctx.count("check_quorum_stepdowns");
        self.leader = None;
        self.become_follower(ctx);
        false
    }
}

impl Node for RaftNode {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Request = RaftRequest;
    type Reply = RaftReply;
    type Durable = Durable;
    type Config = RaftConfig;
    type Checker = RaftChecker;

    const PROTOCOL: &'static str = "raft";

    fn validate_config(config: &RaftConfig, path: &str) -> Result<(), ConfigError> {
        config.validate(path)
    }

    fn parse_request(node: NodeId, text: &str) -> Result<RaftRequest, String> {
        Ok(RaftRequest::Op {
            target: node,
            op: super::kv::parse_op(text)?,
        })
    }

    fn new(
        id: NodeId,
        cluster_size: usize,
        config: &RaftConfig,
        durable: Option<Durable>,
    ) -> RaftNode {
        let config = RaftNode::effective(config);
        let durable = durable.unwrap_or_default();
        let snap = durable.snapshot.last_index;
        let state = durable.snapshot.state.clone();
        RaftNode {
            id,
            cluster_size,
            client: id
                .is_client()
                .then(|| Box::new(RaftClient::new(id, cluster_size, &config))),
            config,
            durable,
            role: if id.is_client() {
                Role::Client
            } else {
                Role::Follower
            },
            leader: None,
            leader_contact: None,
            votes: BTreeSet::new(),
            commit_index: snap,
            last_applied: snap,
            state,
            lead: LeaderState::default(),
            truncations: 0,
            unsynced_from: None,
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.client.is_some() {
            return;
        }
        self.role = Role::Follower;
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: RaftMsg) {
        if let Some(client) = self.client.as_mut() {
            client.on_message(ctx, from, msg);
            return;
        }
        self.maybe_compact(ctx);
        // §4.2.3 with CheckQuorum: a vote request arriving while we hear from a live leader
        // is ignored entirely — not even its term is adopted — so a rejoining node with an
        // inflated term cannot depose a healthy leader.
        if let RaftMsg::RequestVote { term, .. } = &msg {
            if self.config.check_quorum
                && *term > self.durable.current_term
                && self.leader_is_fresh(ctx.now)
            {
                ctx.note(format!(
                    "ignores RequestVote from {from} for term {term}: it hears from a leader"
                ));
                return;
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
                if self.role == Role::PreCandidate && for_term == current + 1 && granted {
                    self.votes.insert(from);
                    if self.votes.len() >= self.majority() {
                        ctx.note(format!(
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
                if self.role == Role::Candidate && term == current && granted {
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
                if self.role == Role::Leader && term == current {
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
                if self.role == Role::Leader && term == current && match_index > 0 {
                    self.on_follower_reply(ctx, from, round);
                    self.lead.inflight[from.index()] = 0;
                    self.on_append_reply(ctx, from, true, match_index, 0, None);
                }
            }
            RaftMsg::ClientRequest { seq, op } => self.on_client_request(ctx, from, seq, op),
            RaftMsg::ClientReply { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: RaftTimer) {
        if let Some(client) = self.client.as_mut() {
            client.on_timer(ctx, timer);
            return;
        }
        self.maybe_compact(ctx);
        match timer {
            RaftTimer::Election if self.role != Role::Leader => {
                if self.config.pre_vote {
                    self.start_pre_vote(ctx);
                } else {
                    self.start_election(ctx);
                }
            }
            RaftTimer::Heartbeat if self.role == Role::Leader => self.on_heartbeat(ctx),
            RaftTimer::Batch if self.role == Role::Leader => {
                self.lead.batch_open = false;
                self.push_entries(ctx);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, client: ClientId, request: RaftRequest) {
        if let Some(actor) = self.client.as_mut() {
            actor.on_request(ctx, client, request);
            return;
        }
        match request {
            RaftRequest::WhoLeads => {
                let reply = match (self.role, self.leader) {
                    (Role::Leader, _) => RaftReply::IAmLeader {
                        term: self.durable.current_term,
                    },
                    (_, Some(leader)) => RaftReply::Redirect { leader },
                    (_, None) => RaftReply::NoLeader,
                };
                ctx.reply(client, reply);
            }
            RaftRequest::Op { .. } => {
                ctx.note("servers take commands from client actors over the network");
            }
        }
    }

    fn durable(&self) -> Durable {
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
        self.role
    }

    fn term(&self) -> Option<u64> {
        self.client.is_none().then_some(self.durable.current_term)
    }

    fn timeout_timer(&self) -> Option<RaftTimer> {
        (self.client.is_none() && self.role != Role::Leader).then_some(RaftTimer::Election)
    }

    fn view(&self) -> NodeView {
        if let Some(client) = &self.client {
            return client.view();
        }
        super::view::server_view(self)
    }
}

/// Read access for the view module.
impl RaftNode {
    pub(crate) fn id(&self) -> NodeId {
        self.id
    }
    pub(crate) fn raft_role(&self) -> Role {
        self.role
    }
    pub(crate) fn votes_view(&self) -> Option<(usize, usize)> {
        matches!(self.role, Role::Candidate | Role::PreCandidate)
            .then(|| (self.votes.len(), self.majority()))
    }
    pub(crate) fn config(&self) -> &RaftConfig {
        &self.config
    }
    pub(crate) fn lease_until(&self) -> Option<Time> {
        (self.role == Role::Leader && self.config.read_mode == ReadMode::Lease)
            .then_some(self.lead.lease_until)
    }
    pub(crate) fn pending_counts(&self) -> (usize, usize) {
        (self.lead.waiting.len(), self.lead.reads.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::node::Effect;

    use crate::kernel::rng::SimRng;
    use crate::kernel::types::Time;

    type Out = Vec<Effect<RaftMsg, RaftTimer, RaftReply>>;

    /// Elections without PreVote, as in the paper's Figure 2 (PreVote has its own tests).
    fn config() -> RaftConfig {
        RaftConfig {
            pre_vote: false,
            ..RaftConfig::default()
        }
    }

    fn node(id: u8, durable: Option<Durable>) -> RaftNode {
        RaftNode::new(NodeId(id), 3, &config(), durable)
    }

    fn cmd(n: u64) -> Command {
        Command::Client {
            client: NodeId::client(0),
            seq: n,
            op: Op::Put {
                key: "k".into(),
                value: n.to_string(),
            },
        }
    }

    /// Run `f` on `node` with a fresh context and return the effects it produced.
    fn run(node: &mut RaftNode, f: impl FnOnce(&mut RaftNode, &mut Ctx<'_, RaftNode>)) -> Out {
        let mut rng = SimRng::new(1);
        let mut out = Vec::new();
        let mut ctx = Ctx {
            now: Time(1000),
            id: node.id,
            cluster_size: node.cluster_size,
            rng: &mut rng,
            out: &mut out,
        };
        f(node, &mut ctx);
        out
    }

    fn election_timer(after_ms: u64) -> Effect<RaftMsg, RaftTimer, RaftReply> {
        Effect::SetTimer {
            timer: RaftTimer::Election,
            after_ms,
        }
    }

    /// The timeout the node's rng (seeded 1 in `run`) draws first.
    fn first_timeout() -> u64 {
        SimRng::new(1).range_inclusive(150, 300)
    }

    #[test]
    fn start_arms_a_randomized_election_timer() {
        let mut n = node(0, None);
        let out = run(&mut n, |n, c| n.on_start(c));
        assert_eq!(out, vec![election_timer(first_timeout())]);
        assert_eq!(n.role(), Role::Follower);
    }

    #[test]
    fn election_timeout_starts_an_election() {
        let mut n = node(0, None);
        let out = run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        let rv = RaftMsg::RequestVote {
            term: 1,
            last_log_index: 0,
            last_log_term: 0,
        };
        assert_eq!(
            out,
            vec![
                election_timer(first_timeout()),
                Effect::Send {
                    to: NodeId(1),
                    msg: rv.clone()
                },
                Effect::Send {
                    to: NodeId(2),
                    msg: rv
                },
            ]
        );
        assert_eq!(n.role(), Role::Candidate);
        assert_eq!(n.current_term(), 1);
        assert_eq!(n.voted_for(), Some(NodeId(0)));
    }

    #[test]
    fn election_timeouts_are_rerandomized_each_time() {
        let mut rng = SimRng::new(3);
        let mut out = Vec::new();
        let mut n = node(0, None);
        let mut timeouts = BTreeSet::new();
        for _ in 0..20 {
            let mut ctx = Ctx {
                now: Time(0),
                id: NodeId(0),
                cluster_size: 3,
                rng: &mut rng,
                out: &mut out,
            };
            n.on_timer(&mut ctx, RaftTimer::Election);
        }
        for e in &out {
            if let Effect::SetTimer { after_ms, .. } = e {
                assert!((150..=300).contains(after_ms));
                timeouts.insert(*after_ms);
            }
        }
        assert!(timeouts.len() > 10, "timeouts must vary: {timeouts:?}");
    }

    #[test]
    fn grants_vote_once_per_term_and_resets_timer() {
        let mut n = node(1, None);
        let rv = RaftMsg::RequestVote {
            term: 1,
            last_log_index: 0,
            last_log_term: 0,
        };
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(0), rv.clone()));
        assert_eq!(
            out,
            vec![
                election_timer(first_timeout()),
                Effect::Note("votes for n1 in term 1".into()),
                Effect::Send {
                    to: NodeId(0),
                    msg: RaftMsg::RequestVoteReply {
                        term: 1,
                        granted: true
                    }
                },
            ]
        );
        // A second candidate in the same term is refused, and the timer is not reset.
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), rv));
        assert_eq!(
            out,
            vec![
                Effect::Note("refuses vote to n3: already voted for n1".into()),
                Effect::Send {
                    to: NodeId(2),
                    msg: RaftMsg::RequestVoteReply {
                        term: 1,
                        granted: false
                    }
                },
            ]
        );
    }

    #[test]
    fn refuses_vote_to_a_candidate_with_a_stale_log() {
        let durable = Durable {
            current_term: 3,
            voted_for: None,
            log: vec![
                Entry {
                    term: 1,
                    command: cmd(1),
                },
                Entry {
                    term: 3,
                    command: cmd(2),
                },
            ],
            ..Durable::default()
        };
        // Longer log but older last term: not up to date.
        let mut n = node(1, Some(durable));
        let rv = RaftMsg::RequestVote {
            term: 4,
            last_log_index: 5,
            last_log_term: 2,
        };
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(0), rv));
        assert_eq!(
            out,
            vec![
                Effect::Note("refuses vote to n1: candidate's log is behind".into()),
                Effect::Send {
                    to: NodeId(0),
                    msg: RaftMsg::RequestVoteReply {
                        term: 4,
                        granted: false
                    }
                },
            ]
        );
        assert_eq!(
            n.current_term(),
            4,
            "the newer term is adopted even when refusing"
        );
        assert_eq!(n.voted_for(), None);
        // Same last term and at least as long: up to date.
        assert!(n.state().is_up_to_date(2, 3));
        assert!(!n.state().is_up_to_date(1, 3));
        assert!(n.state().is_up_to_date(1, 4));
    }

    #[test]
    fn majority_of_votes_makes_a_leader_that_replicates_a_noop() {
        let mut n = node(0, None);
        run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        let out = run(&mut n, |n, c| {
            n.on_message(
                c,
                NodeId(2),
                RaftMsg::RequestVoteReply {
                    term: 1,
                    granted: true,
                },
            )
        });
        let hb = RaftMsg::AppendEntries {
            term: 1,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![Entry {
                term: 1,
                command: Command::Noop,
            }],
            leader_commit: 0,
            round: 1,
        };
        assert_eq!(
            out,
            vec![
                Effect::CancelTimer {
                    timer: RaftTimer::Election
                },
                Effect::Note("won term 1 with votes from n1,n3".into()),
                Effect::Send {
                    to: NodeId(1),
                    msg: hb.clone()
                },
                Effect::Send {
                    to: NodeId(2),
                    msg: hb
                },
                Effect::SetTimer {
                    timer: RaftTimer::Heartbeat,
                    after_ms: 50
                },
            ]
        );
        assert_eq!(n.role(), Role::Leader);
    }

    fn entry(term: u64) -> Entry {
        Entry {
            term,
            command: cmd(term),
        }
    }

    fn append(term: u64, prev: (u64, u64), entries: Vec<Entry>, commit: u64) -> RaftMsg {
        RaftMsg::AppendEntries {
            term,
            prev_log_index: prev.0,
            prev_log_term: prev.1,
            entries,
            leader_commit: commit,
            round: 0,
        }
    }

    fn replies(out: &Out) -> Vec<RaftMsg> {
        out.iter()
            .filter_map(|e| match e {
                Effect::Send { msg, .. } => Some(msg.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn follower_appends_and_commits_at_most_its_last_new_entry() {
        let mut n = node(1, None);
        let out = run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(1, (0, 0), vec![entry(1), entry(1)], 5))
        });
        assert_eq!(n.log().len(), 2);
        // leaderCommit is 5 but only 2 entries are known to match: commit min(5, 2).
        assert_eq!(n.commit_index(), 2);
        assert_eq!(n.last_applied(), 2);
        assert_eq!(
            replies(&out),
            vec![RaftMsg::AppendEntriesReply {
                term: 1,
                success: true,
                match_index: 2,
                conflict_index: 0,
                conflict_term: None,
                round: 0,
            }]
        );
    }

    #[test]
    fn mismatch_replies_with_backtracking_hints() {
        let durable = Durable {
            current_term: 3,
            voted_for: None,
            log: vec![entry(1), entry(2), entry(2), entry(2)],
            ..Durable::default()
        };
        let mut n = node(1, Some(durable));
        // Leader thinks index 4 has term 3: we have term 2 there, first index of term 2 is 2.
        let out = run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(3, (4, 3), vec![], 0))
        });
        assert_eq!(
            replies(&out),
            vec![RaftMsg::AppendEntriesReply {
                term: 3,
                success: false,
                match_index: 0,
                conflict_index: 2,
                conflict_term: Some(2),
                round: 0,
            }]
        );
        // Past our end: retry from one past our last entry.
        let out = run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(3, (9, 3), vec![], 0))
        });
        assert!(matches!(
            replies(&out)[0],
            RaftMsg::AppendEntriesReply {
                success: false,
                conflict_index: 5,
                conflict_term: None,
                ..
            }
        ));
    }

    #[test]
    fn conflicting_suffix_is_replaced_but_a_stale_matching_append_truncates_nothing() {
        let durable = Durable {
            current_term: 3,
            voted_for: None,
            log: vec![entry(1), entry(2), entry(2)],
            ..Durable::default()
        };
        let mut n = node(1, Some(durable));
        run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(3, (1, 1), vec![entry(3), entry(3)], 0))
        });
        let terms: Vec<u64> = n.log().iter().map(|e| e.term).collect();
        assert_eq!(terms, vec![1, 3, 3]);
        // A delayed copy of an older, shorter AppendEntries must not cut the log.
        run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(3, (1, 1), vec![entry(3)], 0))
        });
        assert_eq!(n.log().len(), 3);
    }

    /// A leader of term `term` whose log holds `log`, in a 3-node cluster.
    fn leader_with(log: Vec<Entry>, term: u64) -> RaftNode {
        let mut n = node(
            0,
            Some(Durable {
                current_term: term - 1,
                voted_for: None,
                log,
                ..Durable::default()
            }),
        );
        run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        run(&mut n, |n, c| {
            n.on_message(
                c,
                NodeId(1),
                RaftMsg::RequestVoteReply {
                    term,
                    granted: true,
                },
            )
        });
        assert_eq!(n.role(), Role::Leader);
        n
    }

    fn ok(term: u64, m: u64) -> RaftMsg {
        RaftMsg::AppendEntriesReply {
            term,
            success: true,
            match_index: m,
            conflict_index: 0,
            conflict_term: None,
            round: 0,
        }
    }

    #[test]
    fn previous_term_entries_are_not_committed_by_counting() {
        // Figure 8: the leader of term 4 holds an entry of term 2 at index 2 (its no-op is 3).
        let mut n = leader_with(vec![entry(1), entry(2)], 4);
        assert_eq!(n.log().len(), 3);
        // A majority stores index 2 (a term-2 entry): still not committed.
        run(&mut n, |n, c| n.on_message(c, NodeId(1), ok(4, 2)));
        assert_eq!(n.commit_index(), 0);
        // Once the term-4 no-op is on a majority, everything up to it commits.
        run(&mut n, |n, c| n.on_message(c, NodeId(1), ok(4, 3)));
        assert_eq!(n.commit_index(), 3);
        assert_eq!(n.match_indexes()[1], 3);
    }

    fn mismatch(term: u64, conflict_index: u64, conflict_term: u64) -> RaftMsg {
        RaftMsg::AppendEntriesReply {
            term,
            success: false,
            match_index: 0,
            conflict_index,
            conflict_term: Some(conflict_term),
            round: 0,
        }
    }

    #[test]
    fn leader_backtracks_over_a_whole_conflicting_term() {
        let mut n = leader_with(vec![entry(1), entry(1), entry(2)], 3);
        // The follower has term 5 entries from index 2 on (a term the leader never had).
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), mismatch(3, 2, 5)));
        match &replies(&out)[..] {
            [RaftMsg::AppendEntries {
                prev_log_index,
                entries,
                ..
            }] => {
                assert_eq!(*prev_log_index, 1);
                assert_eq!(entries.len(), 3);
            }
            other => panic!("expected one retry, got {other:?}"),
        }
        // The follower holds term 1 at the conflict: skip to after the leader's last term-1.
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), mismatch(3, 1, 1)));
        assert!(matches!(
            replies(&out)[..],
            [RaftMsg::AppendEntries {
                prev_log_index: 2,
                ..
            }]
        ));
    }

    #[test]
    fn a_refused_or_stale_vote_does_not_count() {
        let mut n = node(0, None);
        run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election)); // term 2 now
        let out = run(&mut n, |n, c| {
            n.on_message(
                c,
                NodeId(1),
                RaftMsg::RequestVoteReply {
                    term: 1,
                    granted: true,
                },
            )
        });
        assert!(out.is_empty());
        assert_eq!(n.role(), Role::Candidate);
    }

    #[test]
    fn higher_term_makes_a_leader_step_down() {
        let mut n = node(0, None);
        run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        run(&mut n, |n, c| {
            n.on_message(
                c,
                NodeId(1),
                RaftMsg::RequestVoteReply {
                    term: 1,
                    granted: true,
                },
            )
        });
        assert_eq!(n.role(), Role::Leader);
        let out = run(&mut n, |n, c| {
            n.on_message(
                c,
                NodeId(2),
                RaftMsg::AppendEntriesReply {
                    term: 5,
                    success: false,
                    match_index: 0,
                    conflict_index: 0,
                    conflict_term: None,
                    round: 1,
                },
            )
        });
        assert_eq!(
            out,
            vec![
                Effect::CancelTimer {
                    timer: RaftTimer::Heartbeat
                },
                Effect::CancelTimer {
                    timer: RaftTimer::Batch
                },
                election_timer(first_timeout()),
            ]
        );
        assert_eq!(n.role(), Role::Follower);
        assert_eq!(n.current_term(), 5);
        assert_eq!(n.voted_for(), None);
    }

    #[test]
    fn heartbeat_from_current_leader_resets_timer_and_stale_one_is_rejected() {
        let mut n = node(1, None);
        let hb = |term| RaftMsg::AppendEntries {
            term,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![],
            leader_commit: 0,
            round: 0,
        };
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(0), hb(2)));
        assert_eq!(
            out,
            vec![
                election_timer(first_timeout()),
                Effect::Send {
                    to: NodeId(0),
                    msg: RaftMsg::AppendEntriesReply {
                        term: 2,
                        success: true,
                        match_index: 0,
                        conflict_index: 0,
                        conflict_term: None,
                        round: 0,
                    }
                },
            ]
        );
        assert_eq!(n.leader(), Some(NodeId(0)));
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), hb(1)));
        assert_eq!(
            out,
            vec![Effect::Send {
                to: NodeId(2),
                msg: RaftMsg::AppendEntriesReply {
                    term: 2,
                    success: false,
                    match_index: 0,
                    conflict_index: 0,
                    conflict_term: None,
                    round: 0,
                }
            }]
        );
        assert_eq!(n.leader(), Some(NodeId(0)));
    }

    #[test]
    fn candidate_steps_down_on_same_term_heartbeat_keeping_its_vote() {
        let mut n = node(0, None);
        run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        run(&mut n, |n, c| {
            n.on_message(
                c,
                NodeId(1),
                RaftMsg::AppendEntries {
                    term: 1,
                    prev_log_index: 0,
                    prev_log_term: 0,
                    entries: vec![],
                    leader_commit: 0,
                    round: 0,
                },
            )
        });
        assert_eq!(n.role(), Role::Follower);
        assert_eq!(
            n.voted_for(),
            Some(NodeId(0)),
            "votedFor survives a same-term AE"
        );
    }

    #[test]
    fn single_node_cluster_elects_itself() {
        let mut n = RaftNode::new(NodeId(0), 1, &RaftConfig::default(), None);
        let out = run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        assert_eq!(n.role(), Role::Leader);
        assert!(out.contains(&Effect::SetTimer {
            timer: RaftTimer::Heartbeat,
            after_ms: 50
        }));
    }

    #[test]
    fn durable_state_keeps_term_vote_and_log() {
        let mut n = node(0, None);
        run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
        let d = n.durable();
        assert_eq!(d.current_term, 1);
        assert_eq!(d.voted_for, Some(NodeId(0)));
        let restarted = RaftNode::new(NodeId(0), 3, &config(), Some(d));
        assert_eq!(restarted.role(), Role::Follower);
        assert_eq!(restarted.current_term(), 1);
        assert_eq!(restarted.voted_for(), Some(NodeId(0)));
    }

    #[test]
    fn who_leads_answers() {
        let mut n = node(1, None);
        let out = run(&mut n, |n, c| n.on_request(c, 7, RaftRequest::WhoLeads));
        assert_eq!(
            out,
            vec![Effect::Reply {
                client: 7,
                reply: RaftReply::NoLeader
            }]
        );
    }

    fn request(seq: u64, value: &str) -> RaftMsg {
        RaftMsg::ClientRequest {
            seq,
            op: Op::Put {
                key: "x".into(),
                value: value.into(),
            },
        }
    }

    #[test]
    fn a_retried_or_duplicated_command_is_appended_once_and_answered_from_the_session() {
        let mut n = leader_with(vec![], 1);
        let c = NodeId::client(0);
        run(&mut n, |n, ctx| n.on_message(ctx, c, request(1, "a")));
        run(&mut n, |n, ctx| n.on_message(ctx, c, request(1, "a")));
        let commands = n
            .log()
            .iter()
            .filter(|e| matches!(e.command, Command::Client { .. }))
            .count();
        assert_eq!(commands, 1, "the duplicate appended nothing");
        // Replicate and commit: the client hears back once.
        let out = run(&mut n, |n, ctx| n.on_message(ctx, NodeId(1), ok(1, 2)));
        assert!(replies(&out).contains(&RaftMsg::ClientReply {
            seq: 1,
            result: ClientResult::Done(Outcome::Ok)
        }));
        // A retry after it applied is answered from the session without a new entry.
        let out = run(&mut n, |n, ctx| n.on_message(ctx, c, request(1, "a")));
        assert_eq!(
            replies(&out),
            vec![RaftMsg::ClientReply {
                seq: 1,
                result: ClientResult::Done(Outcome::Ok)
            }]
        );
        assert_eq!(n.last_index(), 2);
    }

    #[test]
    fn a_follower_redirects_clients_to_the_leader_it_knows() {
        let mut n = node(1, None);
        run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
        });
        let out = run(&mut n, |n, c| {
            n.on_message(c, NodeId::client(0), request(1, "a"))
        });
        assert_eq!(
            replies(&out),
            vec![RaftMsg::ClientReply {
                seq: 1,
                result: ClientResult::Redirect {
                    leader: Some(NodeId(0))
                }
            }]
        );
    }

    #[test]
    fn pre_votes_are_refused_while_a_leader_is_heard_and_change_no_term() {
        let config = RaftConfig::default();
        let mut n = RaftNode::new(NodeId(1), 3, &config, None);
        run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
        });
        let pv = RaftMsg::PreVote {
            term: 2,
            last_log_index: 0,
            last_log_term: 0,
        };
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), pv.clone()));
        assert_eq!(
            replies(&out),
            vec![RaftMsg::PreVoteReply {
                term: 1,
                for_term: 2,
                granted: false
            }]
        );
        assert_eq!(n.current_term(), 1, "a pre-vote never changes the term");
        // A pre-candidate asks without raising its own term.
        let mut m = RaftNode::new(NodeId(2), 3, &config, None);
        let out = run(&mut m, |m, c| m.on_timer(c, RaftTimer::Election));
        assert_eq!(m.role(), Role::PreCandidate);
        assert_eq!(m.current_term(), 0);
        assert!(replies(&out)
            .iter()
            .all(|r| matches!(r, RaftMsg::PreVote { term: 1, .. })));
    }

    #[test]
    fn with_check_quorum_a_heard_leader_shields_followers_from_vote_requests() {
        let config = RaftConfig {
            pre_vote: false,
            ..RaftConfig::default()
        };
        let mut n = RaftNode::new(NodeId(1), 3, &config, None);
        run(&mut n, |n, c| {
            n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
        });
        let rv = RaftMsg::RequestVote {
            term: 9,
            last_log_index: 0,
            last_log_term: 0,
        };
        let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), rv));
        assert!(replies(&out).is_empty());
        assert_eq!(n.current_term(), 1, "the inflated term is not adopted");
    }

    #[test]
    fn a_follower_installs_a_snapshot_and_drops_the_log_it_replaces() {
        let durable = Durable {
            current_term: 1,
            log: vec![entry(1)],
            ..Durable::default()
        };
        let mut n = node(1, Some(durable));
        let mut state = KvState::default();
        state.data.insert("x".into(), "7".into());
        let out = run(&mut n, |n, c| {
            n.on_message(
                c,
                NodeId(0),
                RaftMsg::InstallSnapshot {
                    term: 2,
                    last_index: 10,
                    last_term: 2,
                    state: Box::new(state.clone()),
                    round: 3,
                },
            )
        });
        assert_eq!(
            replies(&out),
            vec![RaftMsg::InstallSnapshotReply {
                term: 2,
                match_index: 10,
                round: 3
            }]
        );
        assert!(n.log().is_empty());
        assert_eq!(
            (n.snapshot_index(), n.commit_index(), n.last_applied()),
            (10, 10, 10)
        );
        assert_eq!(n.kv(), &state);
        assert_eq!(n.durable().snapshot.state, state, "the snapshot is durable");
    }
}
