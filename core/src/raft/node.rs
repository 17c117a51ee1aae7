//! A Raft server as a sans-I/O state machine: leader election (§5.2) and heartbeats.
//!
//! Every rule below is from Figure 2 of the paper:
//! - *All servers*: if an RPC request or response contains term `T > currentTerm`, set
//!   `currentTerm = T` (and clear `votedFor`), convert to follower.
//! - *Followers*: if the election timeout elapses without AppendEntries from the current leader
//!   or granting a vote, convert to candidate.
//! - *Candidates*: increment `currentTerm`, vote for self, reset the election timer (with a
//!   freshly randomized timeout, every time), send RequestVote to all others; with votes from a
//!   majority become leader; on AppendEntries from a leader of the current term become follower.
//! - *Leaders*: send empty AppendEntries (heartbeats) on election and then periodically.
//! - *RequestVote*: grant if `term ≥ currentTerm`, `votedFor` is null or the candidate, and the
//!   candidate's log is at least as up to date as ours (§5.4.1).

use super::msg::{Entry, RaftMsg};
use super::{Mutant, RaftChecker, RaftConfig};
use crate::config::ConfigError;
use crate::node::{ClientId, Ctx, Node};
use crate::types::NodeId;
use crate::view::{Field, LogCell, LogView, NodeView, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Raft's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaftTimer {
    /// Followers and candidates: start an election when it fires.
    Election,
    /// Leaders: send heartbeats when it fires.
    Heartbeat,
}

impl fmt::Display for RaftTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RaftTimer::Election => "election",
            RaftTimer::Heartbeat => "heartbeat",
        })
    }
}

/// State Raft keeps on stable storage (Figure 2, "Persistent state on all servers").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Durable {
    /// Latest term this server has seen.
    pub current_term: u64,
    /// Candidate that received this server's vote in the current term.
    pub voted_for: Option<NodeId>,
    /// Log entries (index 1 is `log[0]`).
    pub log: Vec<Entry>,
}

impl Durable {
    /// Index of the last log entry (0 if empty).
    pub fn last_log_index(&self) -> u64 {
        self.log.len() as u64
    }

    /// Term of the last log entry (0 if empty).
    pub fn last_log_term(&self) -> u64 {
        self.log.last().map_or(0, |e| e.term)
    }

    /// Term of the entry at `index` (1-based), `Some(0)` for index 0, `None` past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            return Some(0);
        }
        let i = usize::try_from(index - 1).ok()?;
        self.log.get(i).map(|e| e.term)
    }

    /// §5.4.1: is a log ending at `(last_index, last_term)` at least as up to date as ours?
    /// Later last term wins; with equal last terms, the longer log wins.
    pub fn is_up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        let (my_term, my_index) = (self.last_log_term(), self.last_log_index());
        last_term > my_term || (last_term == my_term && last_index >= my_index)
    }
}

/// A client request to a Raft server. (Key-value commands arrive with log replication.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftRequest {
    /// "Who is the leader?" — answered from the server's own knowledge.
    WhoLeads,
}

impl fmt::Display for RaftRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftRequest::WhoLeads => f.write_str("who-leads"),
        }
    }
}

/// A Raft server's answer to a client.
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
}

impl fmt::Display for RaftReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftReply::IAmLeader { term } => write!(f, "leader of term {term}"),
            RaftReply::Redirect { leader } => write!(f, "redirect to {leader}"),
            RaftReply::NoLeader => f.write_str("no known leader"),
        }
    }
}

/// One Raft server.
#[derive(Clone, Debug)]
pub struct RaftNode {
    id: NodeId,
    cluster_size: usize,
    config: RaftConfig,
    durable: Durable,
    role: Role,
    /// The leader of `current_term`, once heard from.
    leader: Option<NodeId>,
    /// Votes received in the current election (candidates only).
    votes: BTreeSet<NodeId>,
    /// Highest log index known to be committed (volatile).
    commit_index: u64,
    /// Highest log index applied to the state machine (volatile).
    last_applied: u64,
    /// Leaders: for each server, the index of the next entry to send it.
    next_index: Vec<u64>,
    /// Leaders: for each server, the highest index known to be replicated on it.
    match_index: Vec<u64>,
    /// How many times the log was truncated since this node (re)started: lets checkers follow
    /// the log incrementally (append-only between truncations).
    truncations: u64,
}

/// The command a new leader appends at the start of its term (§8): committing it commits
/// everything before it, and lets the leader learn its commit index.
pub const NOOP: &str = "no-op";

impl RaftNode {
    /// The persistent state as the node currently holds it.
    pub fn state(&self) -> &Durable {
        &self.durable
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

    /// The log (index 1 is element 0).
    pub fn log(&self) -> &[Entry] {
        &self.durable.log
    }

    /// How many times the log was truncated since the node (re)started.
    pub fn truncations(&self) -> u64 {
        self.truncations
    }

    /// Leaders: `matchIndex` for every server (this node's own entry is its last index).
    pub fn match_indexes(&self) -> &[u64] {
        &self.match_index
    }

    /// Number of servers in the cluster.
    pub fn cluster_size(&self) -> usize {
        self.cluster_size
    }

    fn majority(&self) -> usize {
        self.cluster_size / 2 + 1
    }

    fn last_index(&self) -> u64 {
        self.durable.last_log_index()
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Self>) {
        let timeout = ctx.rng.range_inclusive(
            self.config.election_timeout_min_ms,
            self.config.election_timeout_max_ms,
        );
        ctx.set_timer(RaftTimer::Election, timeout);
    }

    /// Adopt a newer term seen in any message (Figure 2, "Rules for Servers").
    fn adopt_term(&mut self, ctx: &mut Ctx<'_, Self>, term: u64) {
        if term <= self.durable.current_term {
            return;
        }
        self.durable.current_term = term;
        self.durable.voted_for = None;
        self.leader = None;
        self.votes.clear();
        if self.role == Role::Leader {
            ctx.cancel_timer(RaftTimer::Heartbeat);
            self.reset_election_timer(ctx);
        }
        self.role = Role::Follower;
    }

    fn start_election(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.durable.current_term += 1;
        self.durable.voted_for = Some(self.id);
        self.role = Role::Candidate;
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
            command: NOOP.to_string(),
        });
        let last = self.last_index();
        self.next_index = vec![last; self.cluster_size];
        self.match_index = vec![0; self.cluster_size];
        self.match_index[self.id.index()] = last;
        self.advance_commit();
        self.replicate(ctx);
        ctx.set_timer(RaftTimer::Heartbeat, self.config.heartbeat_ms);
    }

    /// Send every follower the entries it lacks (at most `max_batch`), or a heartbeat.
    fn replicate(&self, ctx: &mut Ctx<'_, Self>) {
        for peer in ctx.peers() {
            self.send_append(ctx, peer);
        }
    }

    fn send_append(&self, ctx: &mut Ctx<'_, Self>, peer: NodeId) {
        let next = self.next_index[peer.index()].clamp(1, self.last_index() + 1);
        let prev_log_index = next - 1;
        let prev_log_term = self.durable.term_at(prev_log_index).unwrap_or(0);
        let from = usize::try_from(prev_log_index).unwrap_or(usize::MAX);
        let entries: Vec<Entry> = self
            .durable
            .log
            .iter()
            .skip(from)
            .take(self.config.max_batch)
            .cloned()
            .collect();
        ctx.send(
            peer,
            RaftMsg::AppendEntries {
                term: self.durable.current_term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit: self.commit_index,
            },
        );
    }

    /// Leaders: commit the highest index stored on a majority — counting replicas only for
    /// entries of the current term (§5.4.2, Figure 8); earlier entries commit with them.
    fn advance_commit(&mut self) {
        let term = self.durable.current_term;
        let mut n = self.last_index();
        while n > self.commit_index {
            let entry_term = self.durable.term_at(n).unwrap_or(0);
            if entry_term < term {
                // Entries of earlier terms are never committed by counting.
                break;
            }
            if entry_term == term {
                let stored = self.match_index.iter().filter(|m| **m >= n).count();
                if stored >= self.majority() {
                    self.commit_index = n;
                    break;
                }
            }
            n -= 1;
        }
        self.apply_committed();
    }

    /// Apply committed entries, in order, to the state machine.
    fn apply_committed(&mut self) {
        let target = self.commit_index.min(self.last_index());
        // The state machine arrives with client commands; no-ops change nothing.
        self.last_applied = self.last_applied.max(target);
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
                },
            );
        };
        if term < current {
            refuse(ctx, 0, None);
            return;
        }
        // A leader of our term exists: candidates (and a confused leader) step down.
        if self.role != Role::Follower {
            if self.role == Role::Leader {
                ctx.cancel_timer(RaftTimer::Heartbeat);
            }
            self.role = Role::Follower;
            self.votes.clear();
        }
        if self.mutant() == Some(Mutant::ClearVoteOnAppend) {
            self.durable.voted_for = None;
        }
        self.leader = Some(from);
        self.reset_election_timer(ctx);

        // Consistency check (Figure 2, AppendEntries rule 2), with a hint for fast backtracking.
        match self.durable.term_at(prev_log_index) {
            None => {
                refuse(ctx, self.last_index() + 1, None);
                return;
            }
            Some(t) if t != prev_log_term => {
                let first = (1..=prev_log_index)
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
        for entry in entries {
            index += 1;
            let i = usize::try_from(index - 1).unwrap_or(usize::MAX);
            match self.durable.term_at(index) {
                Some(t) if t == entry.term && self.mutant() != Some(Mutant::TruncateOnMatch) => {}
                Some(_) => {
                    ctx.note(format!("truncates its log from index {index}"));
                    self.durable.log.truncate(i);
                    self.truncations += 1;
                    self.durable.log.push(entry);
                }
                None => self.durable.log.push(entry),
            }
        }
        // Rule 5: commitIndex = min(leaderCommit, index of last new entry) — never lowered:
        // a heartbeat whose prevLogIndex trails our commit index must not move it back.
        if leader_commit > self.commit_index {
            let learned = if self.mutant() == Some(Mutant::CommitBeyondNew) {
                leader_commit
            } else {
                leader_commit.min(last_new)
            };
            self.commit_index = self.commit_index.max(learned);
            self.apply_committed();
        }
        ctx.send(
            from,
            RaftMsg::AppendEntriesReply {
                term: current,
                success: true,
                match_index: last_new,
                conflict_index: 0,
                conflict_term: None,
            },
        );
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
            let advanced = match_index > self.match_index[f];
            self.match_index[f] = self.match_index[f].max(match_index);
            self.next_index[f] = self.next_index[f].max(self.match_index[f] + 1);
            self.advance_commit();
            // Send the rest at once only on real progress: a duplicated or stale reply must
            // not start a second stream of AppendEntries (heartbeats retransmit anyway).
            if advanced && self.next_index[f] <= self.last_index() {
                self.send_append(ctx, from);
            }
            return;
        }
        // Fast backtracking: skip the follower's whole conflicting term at once.
        let retry = match conflict_term {
            Some(t) => (1..=self.last_index())
                .rev()
                .find(|i| self.durable.term_at(*i) == Some(t))
                .map_or(conflict_index, |i| i + 1),
            None => conflict_index,
        };
        let next = retry.clamp(self.match_index[f] + 1, self.last_index() + 1);
        if next != self.next_index[f] {
            self.next_index[f] = next;
            self.send_append(ctx, from);
        }
    }

    fn mutant(&self) -> Option<Mutant> {
        if cfg!(feature = "mutants") {
            self.config.mutant
        } else {
            None
        }
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

    fn new(
        id: NodeId,
        cluster_size: usize,
        config: &RaftConfig,
        durable: Option<Durable>,
    ) -> RaftNode {
        RaftNode {
            id,
            cluster_size,
            config: config.clone(),
            durable: durable.unwrap_or_default(),
            role: Role::Follower,
            leader: None,
            votes: BTreeSet::new(),
            commit_index: 0,
            last_applied: 0,
            next_index: Vec::new(),
            match_index: Vec::new(),
            truncations: 0,
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.id.is_client() {
            // Client actors arrive with the key-value commands; until then they stay idle.
            self.role = Role::Client;
            return;
        }
        self.role = Role::Follower;
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: RaftMsg) {
        self.adopt_term(ctx, msg.term());
        match msg {
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_request_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::RequestVoteReply { term, granted } => {
                if self.role == Role::Candidate && term == self.durable.current_term && granted {
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
            } => self.on_append_entries(
                ctx,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            ),
            RaftMsg::AppendEntriesReply {
                term,
                success,
                match_index,
                conflict_index,
                conflict_term,
            } => {
                if self.role == Role::Leader && term == self.durable.current_term {
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
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: RaftTimer) {
        match timer {
            RaftTimer::Election if self.role != Role::Leader => self.start_election(ctx),
            RaftTimer::Heartbeat if self.role == Role::Leader => {
                self.replicate(ctx);
                ctx.set_timer(RaftTimer::Heartbeat, self.config.heartbeat_ms);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, client: ClientId, request: RaftRequest) {
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
        }
    }

    fn durable(&self) -> Durable {
        let mut d = self.durable.clone();
        if self.mutant() == Some(Mutant::ForgetVote) {
            d.voted_for = None;
        }
        d
    }

    fn role(&self) -> Role {
        self.role
    }

    fn term(&self) -> Option<u64> {
        Some(self.durable.current_term)
    }

    fn timeout_timer(&self) -> Option<RaftTimer> {
        (self.role != Role::Leader).then_some(RaftTimer::Election)
    }

    fn view(&self) -> NodeView {
        let votes = (self.role == Role::Candidate).then(|| (self.votes.len(), self.majority()));
        let voted = self
            .durable
            .voted_for
            .map_or_else(|| "—".to_string(), |v| v.to_string());
        let leader = self
            .leader
            .map_or_else(|| "—".to_string(), |v| v.to_string());
        let mut fields = vec![
            Field::durable("currentTerm", self.durable.current_term),
            Field::durable("votedFor", voted),
            Field::durable(
                "log",
                format!(
                    "{} {}, last {}@{}",
                    self.durable.log.len(),
                    if self.durable.log.len() == 1 {
                        "entry"
                    } else {
                        "entries"
                    },
                    self.durable.last_log_index(),
                    self.durable.last_log_term()
                ),
            ),
            Field::volatile("commitIndex", self.commit_index),
            Field::volatile("lastApplied", self.last_applied),
            Field::volatile("role", self.role.name()),
            Field::volatile("leader", leader),
        ];
        if let Some((got, need)) = votes {
            fields.push(Field::volatile("votes", format!("{got}/{need}")));
        }
        if self.role == Role::Leader {
            let list = |v: &[u64]| {
                v.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != self.id.index())
                    .map(|(i, x)| format!("{}:{x}", NodeId::from_index(i)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            fields.push(Field::volatile("nextIndex", list(&self.next_index)));
            fields.push(Field::volatile("matchIndex", list(&self.match_index)));
        }
        let skip = self.durable.log.len().saturating_sub(LogView::TAIL);
        let tail = self
            .durable
            .log
            .iter()
            .enumerate()
            .skip(skip)
            .map(|(i, e)| LogCell {
                index: i as u64 + 1,
                term: e.term,
                label: e.command.clone(),
            })
            .collect();
        NodeView {
            role: self.role,
            term: Some(self.durable.current_term),
            leader: self.leader,
            votes,
            fields,
            log: Some(LogView {
                tail,
                last_index: self.last_index(),
                commit_index: self.commit_index,
            }),
            lists: Vec::new(),
            badge: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Effect;
    use crate::rng::SimRng;
    use crate::types::Time;

    type Out = Vec<Effect<RaftMsg, RaftTimer, RaftReply>>;

    fn node(id: u8, durable: Option<Durable>) -> RaftNode {
        RaftNode::new(NodeId(id), 3, &RaftConfig::default(), durable)
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
                    command: "x".into(),
                },
                Entry {
                    term: 3,
                    command: "y".into(),
                },
            ],
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
                command: NOOP.into(),
            }],
            leader_commit: 0,
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
            command: format!("c{term}"),
        }
    }

    fn append(term: u64, prev: (u64, u64), entries: Vec<Entry>, commit: u64) -> RaftMsg {
        RaftMsg::AppendEntries {
            term,
            prev_log_index: prev.0,
            prev_log_term: prev.1,
            entries,
            leader_commit: commit,
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
            }]
        );
    }

    #[test]
    fn mismatch_replies_with_backtracking_hints() {
        let durable = Durable {
            current_term: 3,
            voted_for: None,
            log: vec![entry(1), entry(2), entry(2), entry(2)],
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
                },
            )
        });
        assert_eq!(
            out,
            vec![
                Effect::CancelTimer {
                    timer: RaftTimer::Heartbeat
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
        let restarted = RaftNode::new(NodeId(0), 3, &RaftConfig::default(), Some(d));
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
}
