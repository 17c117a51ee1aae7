//! Raft's RPCs (Figure 2) as messages. Replies carry the responder's term.

use crate::node::Message;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A log entry: the term in which a leader created it, and its command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Term of the leader that created the entry.
    pub term: u64,
    /// The command (opaque to consensus).
    pub command: String,
}

/// A Raft message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftMsg {
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
        entries: Vec<Entry>,
        /// Leader's commit index.
        leader_commit: u64,
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
    },
}

impl RaftMsg {
    /// The term carried by any Raft message.
    pub fn term(&self) -> u64 {
        match self {
            RaftMsg::RequestVote { term, .. }
            | RaftMsg::RequestVoteReply { term, .. }
            | RaftMsg::AppendEntries { term, .. }
            | RaftMsg::AppendEntriesReply { term, .. } => *term,
        }
    }
}

impl Message for RaftMsg {
    fn kind(&self) -> &'static str {
        match self {
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
            RaftMsg::RequestVoteReply { .. } | RaftMsg::AppendEntriesReply { .. }
        )
    }

    fn outcome(&self) -> Option<bool> {
        match self {
            RaftMsg::RequestVoteReply { granted, .. } => Some(*granted),
            RaftMsg::AppendEntriesReply { success, .. } => Some(*success),
            _ => None,
        }
    }
}

impl fmt::Display for RaftMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => write!(f, "term={term} last={last_log_index}@{last_log_term}"),
            RaftMsg::RequestVoteReply { term, granted } => {
                write!(f, "term={term} {}", if *granted { "granted" } else { "refused" })
            }
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => write!(
                f,
                "term={term} prev={prev_log_index}@{prev_log_term} entries={} commit={leader_commit}",
                entries.len()
            ),
            RaftMsg::AppendEntriesReply {
                term,
                success,
                match_index,
                conflict_index,
                conflict_term,
            } => {
                if *success {
                    write!(f, "term={term} ok match={match_index}")
                } else if let Some(t) = conflict_term {
                    write!(f, "term={term} mismatch retry={conflict_index} conflict-term={t}")
                } else {
                    write!(f, "term={term} mismatch retry={conflict_index}")
                }
            }
        }
    }
}
