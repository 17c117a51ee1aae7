//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014).
//!
//! Everything a production Raft does, as a sans-I/O state machine: leader election (§5.2)
//! with PreVote (§9.6) and CheckQuorum (§6.2), log replication with fast backtracking (§5.3),
//! the current-term commit rule (§5.4.2, Figure 8), batching and pipelining, a key-value state
//! machine with client sessions for exactly-once commands (§8), linearizable reads through the
//! log, ReadIndex or a leader lease (§6.4), and log compaction with InstallSnapshot (§7,
//! Figure 13). Durable state is explicit: term, vote, log and snapshot survive a crash.
//!
//! - [`kv`]: the replicated state machine and client sessions.
//! - [`msg`]: the RPCs, the client protocol, timers, requests and replies.
//! - [`storage`]: what survives a crash (term, vote, log, snapshot).
//! - [`server`]: the server state machine, one file per part of the paper.
//! - [`client`]: the client actor (redirects, backoff, retries with the same sequence number).
//! - [`check`]: the safety properties of Figure 3 plus client-history linearizability.
//! - [`chaos`]: what "settled" means under random faults, the client workload, the stability
//!   probe; [`gallery`]: the named scenarios; [`entry`]: the registry entry (id, look).

pub mod chaos;
pub mod check;
pub mod client;
pub mod entry;
pub mod gallery;
pub mod kv;
pub mod machine;
pub mod msg;
pub mod server;
pub mod storage;
mod view;

pub use check::RaftChecker;
pub use client::{ClientOp, RaftClient};
pub use entry::{ID, PROTOCOL};
pub use kv::KvState;
pub use machine::{Command, RaftHost, StateMachine};
pub use msg::{ClientResult, Entry, RaftMsg, RaftReply, RaftRequest, RaftTimer};
pub use server::{RaftRole, RaftServer};
pub use storage::{Durable, SnapshotData};

use crate::kernel::config::{check_range, ConfigError};
use crate::kernel::mutant::{self, Mutants};
use crate::kernel::node::{ClientId, Ctx, Model};
use crate::kernel::types::NodeId;
use crate::kernel::view::{Outline, Role};
use serde::{Deserialize, Serialize};

/// Raft's types: the [`Model`] that the simulator, the checkers and the handlers share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Raft;

impl Model for Raft {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Request = RaftRequest;
    type Reply = RaftReply;
    type Config = RaftConfig;
    type Server = RaftServer;
    type Client = RaftClient;
    type Checker = RaftChecker;

    fn validate_config(config: &RaftConfig, path: &str) -> Result<(), ConfigError> {
        config.validate(path)
    }

    fn parse_request(node: NodeId, text: &str) -> Result<RaftRequest, String> {
        Ok(RaftRequest::Op {
            target: node,
            op: kv::parse_op(text)?,
        })
    }
}

impl RaftHost for Raft {
    type Sm = KvState;

    fn raft(config: &RaftConfig) -> &RaftConfig {
        config
    }

    fn server_request(
        server: &RaftServer,
        ctx: &mut Ctx<'_, Raft>,
        client: ClientId,
        request: RaftRequest,
    ) {
        match request {
            RaftRequest::WhoLeads => {
                let reply = match (server.raft_role(), server.leader()) {
                    (RaftRole::Leader, _) => RaftReply::IAmLeader {
                        term: server.current_term(),
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
}

/// A follower: thin outline.
pub const FOLLOWER: Role = Role::plain("follower", Outline::Thin);
/// A pre-candidate (PreVote, §9.6): dotted outline, pre-vote count.
pub const PRE_CANDIDATE: Role = Role {
    name: "pre-candidate",
    outline: Outline::Dotted,
    leads: false,
    counter: Some("became_pre_candidate"),
};
/// A candidate: dashed outline, vote count.
pub const CANDIDATE: Role = Role {
    name: "candidate",
    outline: Outline::Dashed,
    leads: false,
    counter: Some("became_candidate"),
};
/// The leader of a term: thick outline and a crown.
pub const LEADER: Role = Role {
    name: "leader",
    outline: Outline::Thick,
    leads: true,
    counter: Some("became_leader"),
};

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
    /// A leader commits an entry of an earlier term by counting replicas (Figure 8).
    CommitOldTerm,
    /// Neither PreVote nor CheckQuorum: a partitioned node's inflated term disrupts a healthy
    /// leader when it rejoins, and followers vote while the leader's lease still runs.
    NoPrevoteNoCheckquorum,
    /// A follower acknowledges AppendEntries before the entries reach stable storage.
    AckBeforePersist,
    /// The leader answers reads from its local state without confirming its leadership.
    StaleLeaderRead,
    /// The vote promise behind leader leases is forgotten on a restart and on the server's own
    /// timeout (issue 11): voters that acknowledged the leader's round help elect a new leader
    /// while the old one still serves lease reads.
    LeaseVoteAfterRestart,
    /// No client sessions: the leader appends every retry and network duplicate of a command,
    /// and the state machine applies each copy.
    NoClientSessions,
    /// Snapshots hold the key-value map but not the client sessions, so a server restarted (or
    /// caught up) from a snapshot applies a retried command again.
    SnapshotForgetsSessions,
    /// A follower installing a snapshot takes its index but keeps its old state machine.
    FollowerIgnoresSnapshotState,
    /// ReadIndex reads are answered without the heartbeat round that confirms leadership.
    ReadIndexWithoutHeartbeat,
    /// ReadIndex reads use the commit index before the leader's no-op of its term is applied,
    /// so a new leader may not yet know everything committed.
    ReadIndexBeforeNoop,
}

impl Mutants for Mutant {
    const ALL: &'static [(Mutant, &'static str, &'static str)] = &[
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
        (
            Mutant::CommitOldTerm,
            "commit-old-term",
            "a leader commits a previous-term entry by counting replicas (Raft paper Figure 8)",
        ),
        (
            Mutant::NoPrevoteNoCheckquorum,
            "no-prevote-no-checkquorum",
            "neither PreVote nor CheckQuorum: rejoining nodes disrupt leaders and leases break",
        ),
        (
            Mutant::AckBeforePersist,
            "ack-before-persist",
            "a follower acknowledges entries before persisting them, so a crash loses them",
        ),
        (
            Mutant::StaleLeaderRead,
            "stale-leader-read",
            "the leader serves reads from local state without confirming its leadership",
        ),
        (
            Mutant::LeaseVoteAfterRestart,
            "lease-vote-after-restart",
            "a voter that acknowledged the leader's round votes at once after a restart or its \
             own timeout, so a new leader commits while the old lease still serves reads",
        ),
        (
            Mutant::NoClientSessions,
            "no-client-sessions",
            "no client sessions: retries and network duplicates of a command are applied again",
        ),
        (
            Mutant::SnapshotForgetsSessions,
            "snapshot-forgets-sessions",
            "snapshots leave out the client sessions, so a restarted or caught-up server applies \
             a retried command again",
        ),
        (
            Mutant::FollowerIgnoresSnapshotState,
            "follower-ignores-snapshot-state",
            "a follower installing a snapshot takes its index but keeps its old state machine",
        ),
        (
            Mutant::ReadIndexWithoutHeartbeat,
            "read-index-without-heartbeat",
            "ReadIndex reads are served without the heartbeat round that confirms leadership",
        ),
        (
            Mutant::ReadIndexBeforeNoop,
            "read-index-before-noop",
            "ReadIndex reads are served before the leader's no-op of its term is applied, from a \
             commit index that may be stale",
        ),
    ];
}

/// How the leader serves reads (§6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// Reads go through the log like writes: simple, slow, linearizable.
    Log,
    /// ReadIndex: the leader notes its commit index, confirms it still leads with one
    /// heartbeat round acknowledged by a majority, waits until it has applied that index and
    /// answers from its state machine. Linearizable, no log write.
    ReadIndex,
    /// Lease: the leader answers at once while its lease runs (election_timeout_min minus the
    /// assumed clock drift after a heartbeat round a majority acknowledged). Linearizable only
    /// if clocks drift less than assumed — the simulator's clocks do not drift at all.
    Lease,
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
    /// PreVote (§9.6): a node first asks whether it could win before starting an election.
    pub pre_vote: bool,
    /// CheckQuorum (§6.2): a leader that has not heard from a majority for an election
    /// timeout steps down, and followers that heard from a leader within the minimum election
    /// timeout ignore vote requests (so a rejoining node cannot depose a healthy leader).
    pub check_quorum: bool,
    /// Batching: the leader waits `batch_delay_ms` after a new command before sending, so
    /// commands arriving together travel in one AppendEntries (at most `max_batch`). Off: every
    /// command is sent at once, one entry per AppendEntries.
    pub batching: bool,
    /// How long the leader collects commands before sending a batch, ms.
    pub batch_delay_ms: u64,
    /// Pipelining: the leader sends further AppendEntries before earlier ones are acknowledged
    /// (at most `max_inflight` per follower). Off: one AppendEntries with entries at a time.
    pub pipelining: bool,
    /// Most unacknowledged AppendEntries with entries per follower when pipelining.
    pub max_inflight: usize,
    /// Take a snapshot (and compact the log) every this many applied entries; 0 = never.
    pub snapshot_every: u64,
    /// How reads are served.
    pub read_mode: ReadMode,
    /// Lease reads: the clock drift assumed between servers, ms (the lease is shortened by it).
    pub lease_drift_ms: u64,
    /// Client actors: how long a client waits for an answer before retrying elsewhere, ms.
    pub client_timeout_ms: u64,
    /// Client actors: attempts before an operation is given up (it stays indeterminate).
    pub client_attempts: u32,
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
            pre_vote: true,
            check_quorum: true,
            batching: true,
            batch_delay_ms: 5,
            pipelining: true,
            max_inflight: 4,
            snapshot_every: 32,
            read_mode: ReadMode::ReadIndex,
            lease_drift_ms: 20,
            client_timeout_ms: 400,
            client_attempts: 12,
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
        check_range(path, "batch_delay_ms", self.batch_delay_ms, (0, 1000), "ms")?;
        check_range(path, "max_inflight", self.max_inflight as u64, (1, 64), "")?;
        check_range(
            path,
            "snapshot_every",
            self.snapshot_every,
            (0, 1_000_000),
            "",
        )?;
        check_range(
            path,
            "client_timeout_ms",
            self.client_timeout_ms,
            (10, 600_000),
            "ms",
        )?;
        let attempts = u64::from(self.client_attempts);
        check_range(path, "client_attempts", attempts, (1, 1000), "")?;
        if self.read_mode == ReadMode::Lease {
            if !self.check_quorum {
                return Err(ConfigError::new(
                    format!("{path}.read_mode"),
                    "lease reads need check_quorum: without it followers may elect a new leader \
                     while the old leader's lease still runs",
                ));
            }
            if self.lease_drift_ms >= self.election_timeout_min_ms {
                return Err(ConfigError::new(
                    format!("{path}.lease_drift_ms"),
                    format!(
                        "must be below election_timeout_min_ms ({}), or the lease is empty",
                        self.election_timeout_min_ms
                    ),
                ));
            }
        }
        mutant::check(&self.mutant, path)
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
            assert_eq!(mutant::by_name::<Mutant>(name), Some(*m));
        }
        assert_eq!(mutant::by_name::<Mutant>("nope"), None);
    }
}
