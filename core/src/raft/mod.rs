//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014).
//!
//! This module implements leader election (§5.2) with the log up-to-date check of §5.4.1, the
//! heartbeat form of AppendEntries, term adoption, and durable `currentTerm`/`votedFor`/`log`
//! (Figure 2). Log replication, client sessions, snapshots and PreVote build on it later.
//!
//! - [`msg`]: the RPCs as messages.
//! - [`node`]: the server state machine.
//! - [`check`]: the safety properties of Figure 3, as checkers.

pub mod check;
pub mod msg;
pub mod node;

pub use check::RaftChecker;
pub use msg::{Entry, RaftMsg};
pub use node::{Durable, RaftNode, RaftTimer};

use crate::config::ConfigError;
use serde::{Deserialize, Serialize};

/// Deliberately broken variants of Raft, used only to prove that the checkers catch real bugs.
/// Compiled in only with the `mutants` cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutant {
    /// `votedFor` is not persisted: after a crash a node may vote twice in one term.
    ForgetVote,
    /// A follower clears `votedFor` on an AppendEntries of its current term.
    ClearVoteOnAppend,
    /// A follower truncates its log even where a (stale) AppendEntries matches it.
    TruncateOnMatch,
    /// A follower sets `commitIndex = leaderCommit` without the `min(…, last new index)`.
    CommitBeyondNew,
}

impl Mutant {
    /// Every mutant, with its name and the bug it re-introduces.
    pub const ALL: &'static [(Mutant, &'static str, &'static str)] = &[
        (
            Mutant::ForgetVote,
            "forget-vote",
            "votedFor is not persisted, so a restarted node can vote twice in one term",
        ),
        (
            Mutant::ClearVoteOnAppend,
            "clear-vote-on-append",
            "votedFor is cleared on a same-term AppendEntries, so a node can vote twice",
        ),
        (
            Mutant::TruncateOnMatch,
            "truncate-on-match",
            "the log is truncated at a matching (non-conflicting) stale AppendEntries",
        ),
        (
            Mutant::CommitBeyondNew,
            "commit-beyond-new",
            "commitIndex = leaderCommit without min(…, index of last new entry)",
        ),
    ];

    /// Look a mutant up by name.
    pub fn by_name(name: &str) -> Option<Mutant> {
        Mutant::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(m, _, _)| *m)
    }
}

/// Raft settings shared by all servers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftConfig {
    /// Lower bound of the randomized election timeout, ms.
    pub election_timeout_min_ms: u64,
    /// Upper bound of the randomized election timeout, ms (re-drawn every time it is armed).
    pub election_timeout_max_ms: u64,
    /// Interval between leader heartbeats, ms.
    pub heartbeat_ms: u64,
    /// Most entries in one AppendEntries.
    pub max_batch: usize,
    /// A deliberately broken variant (needs the `mutants` feature).
    pub mutant: Option<Mutant>,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            election_timeout_min_ms: 150,
            election_timeout_max_ms: 300,
            heartbeat_ms: 50,
            max_batch: 16,
            mutant: None,
        }
    }
}

impl RaftConfig {
    /// Check every field; errors name the field under `path`.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        if self.election_timeout_min_ms == 0 {
            return Err(ConfigError::new(
                format!("{path}.election_timeout_min_ms"),
                "must be at least 1 ms",
            ));
        }
        if self.election_timeout_min_ms > self.election_timeout_max_ms {
            return Err(ConfigError::new(
                format!("{path}.election_timeout_min_ms"),
                format!(
                    "must be at most election_timeout_max_ms ({} > {})",
                    self.election_timeout_min_ms, self.election_timeout_max_ms
                ),
            ));
        }
        if self.election_timeout_max_ms > 600_000 {
            return Err(ConfigError::new(
                format!("{path}.election_timeout_max_ms"),
                "must be at most 600000 ms (10 minutes)",
            ));
        }
        if self.heartbeat_ms == 0 || self.heartbeat_ms >= self.election_timeout_min_ms {
            return Err(ConfigError::new(
                format!("{path}.heartbeat_ms"),
                format!(
                    "must be between 1 and election_timeout_min_ms - 1 (got {}); a leader must \
                     beat faster than followers time out",
                    self.heartbeat_ms
                ),
            ));
        }
        if self.max_batch == 0 || self.max_batch > 1024 {
            return Err(ConfigError::new(
                format!("{path}.max_batch"),
                format!("must be between 1 and 1024, got {}", self.max_batch),
            ));
        }
        if self.mutant.is_some() && !cfg!(feature = "mutants") {
            return Err(ConfigError::new(
                format!("{path}.mutant"),
                "mutants are only available in builds with the `mutants` feature",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation() {
        RaftConfig::default().validate("raft").unwrap();
        let bad = RaftConfig {
            heartbeat_ms: 200,
            ..RaftConfig::default()
        };
        assert_eq!(bad.validate("raft").unwrap_err().path, "raft.heartbeat_ms");
        let bad = RaftConfig {
            election_timeout_min_ms: 400,
            ..RaftConfig::default()
        };
        assert_eq!(
            bad.validate("raft").unwrap_err().path,
            "raft.election_timeout_min_ms"
        );
    }

    #[test]
    fn mutant_names_round_trip() {
        for (m, name, _) in Mutant::ALL {
            assert_eq!(Mutant::by_name(name), Some(*m));
        }
        assert_eq!(Mutant::by_name("nope"), None);
    }
}
