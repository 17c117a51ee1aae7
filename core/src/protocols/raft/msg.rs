//! Raft's RPCs (Figures 2 and 13, §9.6 PreVote) and the client protocol (§8) as messages.
//! Replies between servers carry the responder's term.

use super::kv::{describe, short, KvState};
use super::machine::{Command, StateMachine};
use crate::checkers::linearizability::{Op, Outcome};
use crate::kernel::node::Message;
use crate::kernel::types::NodeId;
use std::fmt;

/// A log entry: the term in which a leader created it, and its command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<S: StateMachine = KvState> {
    /// Term of the leader that created the entry.
    pub term: u64,
    /// The command (opaque to consensus; applied to the replicated state machine).
    pub command: Command<S>,
}

/// A server's answer to a client command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientResult<S: StateMachine = KvState> {
    /// The command took effect (or the read was served) with this outcome.
    Done(S::Outcome),
    /// This server does not lead; the client should try `leader` (if known) instead.
    Redirect {
        /// The leader this server knows of in its current term, if any.
        leader: Option<NodeId>,
    },
    /// The leader could not finish the command (it stepped down, or could not confirm its
    /// leadership for a read); the client should retry.
    Retry {
        /// Why, in plain words.
        why: &'static str,
    },
}

/// A Raft message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftMsg<S: StateMachine = KvState> {
    /// PreVote (§9.6): "would you vote for me in term `term`?" — asked before a real election,
    /// without changing anyone's term, so a node that cannot win does not disrupt the cluster.
    PreVote {
        /// The term the pre-candidate would campaign in (its currentTerm + 1).
        term: u64,
        /// Index of its last log entry.
        last_log_index: u64,
        /// Term of its last log entry.
        last_log_term: u64,
    },
    /// Answer to [`RaftMsg::PreVote`].
    PreVoteReply {
        /// The responder's currentTerm.
        term: u64,
        /// The term the pre-vote was asked for.
        for_term: u64,
        /// Whether the responder would vote.
        granted: bool,
    },
    /// Invoked by candidates to gather votes (§5.2).
    RequestVote {
        /// Candidate's term.
        term: u64,
        /// Index of candidate's last log entry (§5.4).
        last_log_index: u64,
        /// Term of candidate's last log entry (§5.4).
        last_log_term: u64,
    },
    /// Answer to [`RaftMsg::RequestVote`].
    RequestVoteReply {
        /// Responder's current term, for the candidate to update itself.
        term: u64,
        /// Whether the candidate received the vote.
        granted: bool,
    },
    /// Invoked by the leader to replicate entries (§5.3); empty as a heartbeat (§5.2).
    AppendEntries {
        /// Leader's term.
        term: u64,
        /// Index of the entry immediately preceding the new ones.
        prev_log_index: u64,
        /// Term of that entry.
        prev_log_term: u64,
        /// Entries to store (empty for a heartbeat).
        entries: Vec<Entry<S>>,
        /// Leader's commit index.
        leader_commit: u64,
        /// The leader's heartbeat round, echoed in the reply: a majority echoing round `r`
        /// confirms the leader still led when the round started (ReadIndex, §6.4).
        round: u64,
    },
    /// Answer to [`RaftMsg::AppendEntries`].
    AppendEntriesReply {
        /// Responder's current term.
        term: u64,
        /// Whether the follower held an entry matching `prev_log_index`/`prev_log_term`.
        success: bool,
        /// Highest index known to match the leader's log on success.
        match_index: u64,
        /// On a mismatch: where the leader should retry from (fast backtracking, §5.3): the
        /// first index of the conflicting term, or one past the follower's last entry.
        conflict_index: u64,
        /// On a mismatch: the term of the follower's entry at `prev_log_index`, if it has one.
        conflict_term: Option<u64>,
        /// The round of the AppendEntries answered.
        round: u64,
    },
    /// Figure 13: the leader sends its snapshot to a follower whose next entry it has already
    /// compacted away.
    InstallSnapshot {
        /// Leader's term.
        term: u64,
        /// The snapshot replaces all entries up to and including this index.
        last_index: u64,
        /// Term of that entry.
        last_term: u64,
        /// The state machine (map and client sessions) as of `last_index`.
        state: Box<S>,
        /// The leader's heartbeat round.
        round: u64,
    },
    /// Answer to [`RaftMsg::InstallSnapshot`].
    InstallSnapshotReply {
        /// Responder's current term.
        term: u64,
        /// The follower now holds everything up to this index.
        match_index: u64,
        /// The round answered.
        round: u64,
    },
    /// A client asks a server to run a command (§8).
    ClientRequest {
        /// The client's sequence number for the command (the same on every retry).
        seq: u64,
        /// The command.
        op: S::Op,
    },
    /// A server answers a client.
    ClientReply {
        /// The sequence number answered.
        seq: u64,
        /// The answer.
        result: ClientResult<S>,
    },
}

impl<S: StateMachine> RaftMsg<S> {
    /// The term a receiver must adopt if it is newer than its own (Figure 2, "Rules for
    /// Servers"). A PreVote's term is only proposed, and client messages carry none: 0.
    pub fn term(&self) -> u64 {
        match self {
            RaftMsg::RequestVote { term, .. }
            | RaftMsg::RequestVoteReply { term, .. }
            | RaftMsg::PreVoteReply { term, .. }
            | RaftMsg::AppendEntries { term, .. }
            | RaftMsg::AppendEntriesReply { term, .. }
            | RaftMsg::InstallSnapshot { term, .. }
            | RaftMsg::InstallSnapshotReply { term, .. } => *term,
            RaftMsg::PreVote { .. }
            | RaftMsg::ClientRequest { .. }
            | RaftMsg::ClientReply { .. } => 0,
        }
    }
}

impl<S: StateMachine> Message for RaftMsg<S> {
    fn kind(&self) -> &'static str {
        match self {
            RaftMsg::PreVote { .. } => "PreVote",
            RaftMsg::PreVoteReply { .. } => "PreVoteReply",
            RaftMsg::InstallSnapshot { .. } => "InstallSnapshot",
            RaftMsg::InstallSnapshotReply { .. } => "InstallSnapshotReply",
            RaftMsg::ClientRequest { .. } => "ClientRequest",
            RaftMsg::ClientReply {
                result: ClientResult::Redirect { .. },
                ..
            } => "Redirect",
            RaftMsg::ClientReply { .. } => "ClientReply",
            RaftMsg::RequestVote { .. } => "RequestVote",
            RaftMsg::RequestVoteReply { .. } => "RequestVoteReply",
            RaftMsg::AppendEntries { entries, .. } if entries.is_empty() => "Heartbeat",
            RaftMsg::AppendEntries { .. } => "AppendEntries",
            RaftMsg::AppendEntriesReply { .. } => "AppendEntriesReply",
        }
    }

    fn is_reply(&self) -> bool {
        matches!(
            self,
            RaftMsg::RequestVoteReply { .. }
                | RaftMsg::PreVoteReply { .. }
                | RaftMsg::AppendEntriesReply { .. }
                | RaftMsg::InstallSnapshotReply { .. }
                | RaftMsg::ClientReply { .. }
        )
    }

    fn outcome(&self) -> Option<bool> {
        match self {
            RaftMsg::RequestVoteReply { granted, .. } | RaftMsg::PreVoteReply { granted, .. } => {
                Some(*granted)
            }
            RaftMsg::AppendEntriesReply { success, .. } => Some(*success),
            RaftMsg::InstallSnapshotReply { .. } => Some(true),
            RaftMsg::ClientReply { result, .. } => Some(matches!(result, ClientResult::Done(_))),
            _ => None,
        }
    }
}

impl<S: StateMachine> fmt::Display for RaftMsg<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => write!(f, "term={term} last={last_log_index}@{last_log_term}"),
            RaftMsg::RequestVoteReply { term, granted } => {
                write!(
                    f,
                    "term={term} {}",
                    if *granted { "granted" } else { "refused" }
                )
            }
            RaftMsg::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => write!(f, "for-term={term} last={last_log_index}@{last_log_term}"),
            RaftMsg::PreVoteReply {
                term,
                for_term,
                granted,
            } => write!(
                f,
                "term={term} for-term={for_term} {}",
                if *granted { "granted" } else { "refused" }
            ),
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            } => {
                write!(
                    f,
                    "term={term} prev={prev_log_index}@{prev_log_term} entries={} commit={leader_commit} round={round}",
                    entries.len()
                )?;
                if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
                    if entries.len() == 1 {
                        write!(f, " [{}]", first.command)?;
                    } else {
                        write!(f, " [{} … {}]", first.command, last.command)?;
                    }
                }
                Ok(())
            }
            RaftMsg::InstallSnapshot {
                term,
                last_index,
                last_term,
                state,
                round,
            } => write!(
                f,
                "term={term} upto={last_index}@{last_term} {} round={round}",
                state.snapshot_label()
            ),
            RaftMsg::InstallSnapshotReply {
                term,
                match_index,
                round,
            } => write!(f, "term={term} match={match_index} round={round}"),
            RaftMsg::ClientRequest { seq, op } => write!(f, "#{seq} {}", S::short(op)),
            RaftMsg::ClientReply { seq, result } => match result {
                ClientResult::Done(outcome) => write!(f, "#{seq} {outcome}"),
                ClientResult::Redirect { leader: Some(l) } => write!(f, "#{seq} leader is {l}"),
                ClientResult::Redirect { leader: None } => write!(f, "#{seq} no known leader"),
                ClientResult::Retry { why } => write!(f, "#{seq} retry: {why}"),
            },
            RaftMsg::AppendEntriesReply {
                term,
                success,
                match_index,
                conflict_index,
                conflict_term,
                round,
            } => {
                if *success {
                    write!(f, "term={term} ok match={match_index} round={round}")
                } else if let Some(t) = conflict_term {
                    write!(
                        f,
                        "term={term} mismatch retry={conflict_index} conflict-term={t} round={round}"
                    )
                } else {
                    write!(
                        f,
                        "term={term} mismatch retry={conflict_index} round={round}"
                    )
                }
            }
        }
    }
}

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
                write!(f, "{} via {target}", short(op))
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
                    short(op),
                    describe(op, outcome),
                    path.join("→")
                )
            }
            RaftReply::GaveUp { seq, op } => {
                write!(f, "#{seq} {} gave up: outcome unknown", short(op))
            }
        }
    }
}
