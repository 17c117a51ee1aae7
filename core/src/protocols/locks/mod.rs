//! A lock service on Raft (Burrows, "The Chubby lock service for loosely-coupled distributed
//! systems", OSDI 2006; Kleppmann, "How to do distributed locking", 2016).
//!
//! The servers are Raft servers ([`crate::protocols::raft::RaftServer`], reused unchanged)
//! replicating a [`LockTable`] instead of a key-value map: the lock table is the state
//! machine, so it survives the loss of a minority and every replica agrees on every grant.
//!
//! - [`table`]: the replicated lock table — shared/exclusive modes, fair queues with
//!   priorities and aging ([`queue`]), fencing tokens (the log index of the grant), sessions
//!   with leases that expire through the log.
//! - [`client`]: scripted workers (acquire, hold, write to the resource, release) and the
//!   protected resource `c1`, which checks fencing tokens.
//! - [`check`]: mutual exclusion, fencing-token monotonicity, no stale write accepted, FIFO
//!   modulo priorities, no lock leaked past its holder's lease, deadlock checks.
//! - [`chaos`], [`gallery`], [`entry`]: chaos hooks, named scenarios, the registry entry.

pub mod chaos;
pub mod check;
pub mod client;
pub mod deadlock;
pub mod entry;
pub mod gallery;
pub mod hierarchy;
pub mod queue;
pub mod resource;
pub mod table;

pub use check::LockChecker;
pub use client::{Job, LockClient};
pub use entry::{ID, PROTOCOL};
pub use table::{LockOp, LockOutcome, LockTable, Mode};

use crate::kernel::config::{check_range, ConfigError};
use crate::kernel::mutant::{self, Mutants};
use crate::kernel::node::{ClientId, Ctx, Model};
use crate::kernel::types::NodeId;
use crate::kernel::view::{Outline, Role};
use crate::protocols::raft::machine::RaftHost;
use crate::protocols::raft::msg::{RaftMsg, RaftTimer};
use crate::protocols::raft::{RaftConfig, RaftServer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The lock service's types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Locks;

/// The protected resource's role: a square outline, no crown.
pub const RESOURCE: Role = Role {
    name: "resource",
    outline: Outline::Thick,
    leads: false,
    counter: None,
};

/// What a user (or chaos) hands a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockRequest {
    /// Run a job.
    Job(Job),
}

impl fmt::Display for LockRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LockRequest::Job(job) = self;
        write!(
            f,
            "acquire {} hold {} ms{}{} via {}",
            job.locks
                .iter()
                .map(|(l, m)| format!("{l} {m}"))
                .collect::<Vec<_>>()
                .join(", "),
            job.hold_ms,
            if job.stall { " stalled" } else { "" },
            if job.priority > 0 {
                format!(" priority {}", job.priority)
            } else {
                String::new()
            },
            job.target
        )
    }
}

/// What a worker reports as its job goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockReply {
    /// The lock was granted with this fencing token.
    Granted {
        /// The lock.
        lock: String,
        /// Its token.
        token: u64,
    },
    /// The lock is busy; the worker waits in its queue.
    Queued {
        /// The lock.
        lock: String,
        /// Its place in the queue.
        position: usize,
    },
    /// The worker wrote to the resource.
    Wrote {
        /// The lock.
        lock: String,
        /// The token it wrote with.
        token: u64,
        /// Whether the resource accepted it.
        accepted: bool,
    },
    /// The worker released the lock.
    Released {
        /// The lock.
        lock: String,
    },
    /// The worker's session had expired: the lock was lost.
    Lost {
        /// The lock.
        lock: String,
    },
    /// The worker gave up reaching the service.
    GaveUp {
        /// The lock.
        lock: String,
    },
    /// The service aborted the worker's wait for `lock`: it was the deadlock victim of this
    /// wait-for cycle (first member repeated at the end).
    Aborted {
        /// The lock it waited for.
        lock: String,
        /// The cycle, `c2 → c3 → c2`.
        cycle: Vec<NodeId>,
    },
    /// The service refused the acquire (the intention rule); the worker gives the job up.
    Refused {
        /// The lock.
        lock: String,
        /// Why.
        reason: String,
    },
    /// Timeout-only mode: the worker waited `waited_ms` for `lock` and gave the job up.
    TimedOut {
        /// The lock it waited for.
        lock: String,
        /// How long it waited, ms.
        waited_ms: u64,
    },
}

impl fmt::Display for LockReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockReply::Granted { lock, token } => write!(f, "granted {lock} token={token}"),
            LockReply::Queued { lock, position } => write!(f, "queued for {lock} at #{position}"),
            LockReply::Wrote {
                lock,
                token,
                accepted,
            } => write!(
                f,
                "wrote under {lock} token={token}: {}",
                if *accepted { "accepted" } else { "rejected" }
            ),
            LockReply::Released { lock } => write!(f, "released {lock}"),
            LockReply::Lost { lock } => write!(f, "lost {lock}: session expired"),
            LockReply::GaveUp { lock } => write!(f, "gave up on {lock}"),
            LockReply::Aborted { lock, cycle } => write!(
                f,
                "aborted waiting for {lock}: deadlock victim, cycle {}",
                deadlock::cycle_text(cycle)
            ),
            LockReply::Refused { lock, reason } => write!(f, "refused {lock}: {reason}"),
            LockReply::TimedOut { lock, waited_ms } => write!(
                f,
                "timed out waiting for {lock} after {waited_ms} ms: gave the job up"
            ),
        }
    }
}

/// Deliberately broken variants of the lock service (the `mutants` feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockMutant {
    /// The resource accepts every write even with fencing on.
    NoFencingCheck,
    /// A worker trusts its lease for twice as long as the service grants it.
    LeaseOverrun,
    /// Tokens come from a per-lock counter that is forgotten when the lock is free, instead
    /// of the log index of the grant.
    TokenCounter,
    /// A request for a lock in the other mode than the one held or waited for is answered
    /// from the old hold or wait (granted with the old token, or queued in the old mode).
    StaleConversion,
    /// Deadlock detection only looks for 2-cycles (two clients waiting for each other): a
    /// cycle of three or more survives.
    MissesThreeCycle,
    /// A follower answers an acquire from its own, possibly stale, table instead of
    /// redirecting to the leader: it grants a lock it sees free without a log entry.
    FollowerGrant,
    /// Priorities without aging: a waiter is served by the priority it asked for, forever, so
    /// a low-priority waiter starves behind later high-priority arrivals.
    NoAging,
    /// The queue serves the newest waiter first among equal priorities (a stack, not a queue).
    LifoQueue,
    /// An expiry entry ends the session but forgets to release its locks and waits.
    ExpiryKeepsLocks,
}

impl Mutants for LockMutant {
    const ALL: &'static [(LockMutant, &'static str, &'static str)] = &[
        (
            LockMutant::NoFencingCheck,
            "no-fencing-check",
            "the resource accepts writes without comparing their fencing token",
        ),
        (
            LockMutant::LeaseOverrun,
            "lease-overrun",
            "a worker trusts its lease for twice as long as the service grants it",
        ),
        (
            LockMutant::TokenCounter,
            "token-counter",
            "fencing tokens come from a per-lock counter forgotten when the lock is free, not \
             from the log index",
        ),
        (
            LockMutant::StaleConversion,
            "stale-conversion",
            "a request in the other mode than the one held or waited for is answered from the \
             old hold or wait (a shared grant passes for the exclusive one asked for)",
        ),
        (
            LockMutant::MissesThreeCycle,
            "misses-3-cycle",
            "deadlock detection only finds 2-cycles; a wait-for cycle of three clients survives",
        ),
        (
            LockMutant::FollowerGrant,
            "follower-grant",
            "a follower grants an acquire from its own stale table instead of redirecting to \
             the leader (no log entry, no quorum)",
        ),
        (
            LockMutant::NoAging,
            "no-aging",
            "priorities without aging: a low-priority waiter starves behind later \
             high-priority arrivals",
        ),
        (
            LockMutant::LifoQueue,
            "lifo-queue",
            "the queue serves the newest waiter first among equal priorities",
        ),
        (
            LockMutant::ExpiryKeepsLocks,
            "expiry-keeps-locks",
            "an expired session ends but its locks stay held in the table",
        ),
    ];
}

/// How the service breaks deadlocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlockMode {
    /// A wait-for graph over the replicated table, checked for a cycle on every new wait; the
    /// youngest waiter in a cycle (the highest log index of its wait) is aborted.
    #[default]
    Detect,
    /// No detection: a worker gives up after waiting `wait_timeout_ms` (to compare).
    Timeout,
}

/// The lock service's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockConfig {
    /// The Raft replication layer's settings.
    pub raft: RaftConfig,
    /// A session's lease, ms: how long after its last command a silent client keeps its locks.
    pub lease_ms: u64,
    /// How often a holding or waiting worker sends a keep-alive, ms.
    pub keepalive_ms: u64,
    /// Whether the resource checks fencing tokens.
    pub fencing: bool,
    /// How deadlocks are broken: `detect` (a wait-for graph checked on every new wait, the
    /// youngest waiter aborted) or `timeout` (no detection: a worker that waited
    /// `wait_timeout_ms` gives its job up).
    pub deadlock: DeadlockMode,
    /// Timeout-only mode: how long a worker waits for a lock before giving its job up, ms.
    pub wait_timeout_ms: u64,
    /// Aging: a waiter's effective priority rises by one per this many log entries waited
    /// (up to the highest priority), so no waiter starves.
    pub aging_entries: u64,
    /// A deliberately broken variant (needs the `mutants` feature).
    pub mutant: Option<LockMutant>,
}

impl Default for LockConfig {
    fn default() -> Self {
        LockConfig {
            raft: RaftConfig {
                read_mode: crate::protocols::raft::ReadMode::Log,
                ..RaftConfig::default()
            },
            lease_ms: 600,
            keepalive_ms: 150,
            fencing: true,
            deadlock: DeadlockMode::Detect,
            wait_timeout_ms: 1000,
            aging_entries: queue::DEFAULT_AGING_ENTRIES,
            mutant: None,
        }
    }
}

impl LockConfig {
    /// Check every field; errors name the field under `path`.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        self.raft.validate(&format!("{path}.raft"))?;
        check_range(path, "lease_ms", self.lease_ms, (50, 600_000), "ms")?;
        check_range(path, "keepalive_ms", self.keepalive_ms, (10, 600_000), "ms")?;
        check_range(
            path,
            "wait_timeout_ms",
            self.wait_timeout_ms,
            (10, 600_000),
            "ms",
        )?;
        check_range(
            path,
            "aging_entries",
            self.aging_entries,
            (1, 100_000),
            "entries",
        )?;
        if self.keepalive_ms >= self.lease_ms {
            return Err(ConfigError::new(
                format!("{path}.keepalive_ms"),
                format!(
                    "must be below lease_ms ({}), or a live client loses its lease between \
                     keep-alives",
                    self.lease_ms
                ),
            ));
        }
        mutant::check(&self.mutant, path)
    }
}

/// Parse a job: `acquire LOCK MODE [LOCK MODE …] HOLD_MS [stall] [priority N]` (mode `s`,
/// `x`, or an intention mode on a lock tree; the locks are taken one after another in the order
/// given; `stall`: the worker stalls while it holds, like a GC pause, and sends no
/// keep-alives; `priority N`: its requests' priority in the queues, 0 to
/// [`queue::MAX_PRIORITY`], default 0).
pub fn parse_job(node: NodeId, text: &str) -> Result<Job, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let usage = "jobs are: acquire LOCK MODE [LOCK MODE ...] HOLD_MS [stall] [priority N] (MODE \
                 s = shared, x = exclusive, is/ix/six = intention modes on a lock tree such as \
                 db/t1/r3, ancestors first; stall = a GC pause while holding; N = 0 to 3, \
                 higher served first, waiters age)";
    match words.as_slice() {
        [] => Err(format!("the command is empty; {usage}")),
        [verb, rest @ ..] if verb.eq_ignore_ascii_case("acquire") => {
            // Trailing options, in either order: `stall`, `priority N`.
            let mut args = rest;
            let mut stall = false;
            let mut priority: Option<u8> = None;
            loop {
                match args {
                    [a @ .., last] if last.eq_ignore_ascii_case("stall") && !stall => {
                        stall = true;
                        args = a;
                    }
                    [a @ .., word, n]
                        if word.eq_ignore_ascii_case("priority") && priority.is_none() =>
                    {
                        priority = Some(parse_priority(n)?);
                        args = a;
                    }
                    _ => break,
                }
            }
            let Some((hold, pairs)) = args.split_last() else {
                return Err(format!("acquire needs LOCK MODE and HOLD_MS; {usage}"));
            };
            if pairs.is_empty() || pairs.len() % 2 != 0 {
                return Err(format!(
                    "acquire takes LOCK MODE pairs then HOLD_MS and an optional stall (at least \
                     3 arguments), got {}",
                    rest.len()
                ));
            }
            if pairs.len() / 2 > MAX_JOB_LOCKS {
                return Err(format!(
                    "a job takes at most {MAX_JOB_LOCKS} locks, got {}",
                    pairs.len() / 2
                ));
            }
            let mut locks: Vec<(String, Mode)> = Vec::new();
            for pair in pairs.chunks(2) {
                let [lock, mode] = pair else {
                    continue;
                };
                let lock = table::check_name(lock)?;
                let mode = Mode::parse(mode)?;
                if locks.iter().any(|(l, _)| *l == lock) {
                    return Err(format!("lock {lock} appears twice in the job"));
                }
                locks.push((lock, mode));
            }
            hierarchy::check_job_order(&locks)?;
            let hold_ms: u64 = hold
                .parse()
                .map_err(|_| format!("HOLD_MS must be a whole number of ms, got {hold:?}"))?;
            if hold_ms > 600_000 {
                return Err(format!("HOLD_MS must be at most 600000, got {hold_ms}"));
            }
            Ok(Job {
                target: node,
                locks,
                hold_ms,
                stall,
                priority: priority.unwrap_or(0),
            })
        }
        [other, ..] => Err(format!("unknown command {other:?}; {usage}")),
    }
}

/// A request priority, `0` to [`queue::MAX_PRIORITY`].
pub fn parse_priority(text: &str) -> Result<u8, String> {
    text.parse::<u8>()
        .ok()
        .filter(|p| *p <= queue::MAX_PRIORITY)
        .ok_or_else(|| {
            format!(
                "priority must be a whole number from 0 to {}, got {text:?}",
                queue::MAX_PRIORITY
            )
        })
}

/// Most locks one job takes.
pub const MAX_JOB_LOCKS: usize = 8;

impl Model for Locks {
    type Msg = RaftMsg<LockTable>;
    type Timer = RaftTimer;
    type Request = LockRequest;
    type Reply = LockReply;
    type Config = LockConfig;
    type Server = RaftServer<Locks>;
    type Client = LockClient;
    type Checker = LockChecker;

    fn validate_config(config: &LockConfig, path: &str) -> Result<(), ConfigError> {
        config.validate(path)
    }

    fn parse_request(node: NodeId, text: &str) -> Result<LockRequest, String> {
        parse_job(node, text).map(LockRequest::Job)
    }
}

impl RaftHost for Locks {
    type Sm = LockTable;

    fn raft(config: &LockConfig) -> &RaftConfig {
        &config.raft
    }

    fn prepare(config: &LockConfig, table: &mut LockTable) {
        let active = mutant::active(config.mutant);
        table.counter_tokens = active == Some(LockMutant::TokenCounter);
        table.stale_conversion = active == Some(LockMutant::StaleConversion);
        table.timeout_only = config.deadlock == DeadlockMode::Timeout;
        table.two_cycles_only = active == Some(LockMutant::MissesThreeCycle);
        table.follower_grants = active == Some(LockMutant::FollowerGrant);
        table.expiry_keeps_locks = active == Some(LockMutant::ExpiryKeepsLocks);
        table.rule = queue::Rule {
            aging_entries: config.aging_entries,
            no_aging: active == Some(LockMutant::NoAging),
            lifo: active == Some(LockMutant::LifoQueue),
        };
    }

    fn server_request(
        _server: &RaftServer<Locks>,
        ctx: &mut Ctx<'_, Locks>,
        _client: ClientId,
        _request: LockRequest,
    ) {
        ctx.note("servers take commands from client actors over the network");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_parse_and_bad_input_is_refused_clearly() {
        let job = parse_job(NodeId(1), "acquire L x 300").unwrap();
        assert_eq!(
            (job.locks.clone(), job.hold_ms),
            (vec![("L".to_string(), Mode::Exclusive)], 300)
        );
        let job = parse_job(NodeId(1), "acquire a x b s 10 stall").unwrap();
        assert_eq!(
            (job.locks.len(), job.locks[1].1, job.stall),
            (2, Mode::Shared, true)
        );
        assert!(parse_job(NodeId(0), "acquire a x a s 3")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_job(NodeId(0), "acquire a x b 3")
            .unwrap_err()
            .contains("pairs"));
        assert!(parse_job(NodeId(0), "acquire L q 3")
            .unwrap_err()
            .contains("unknown mode"));
        assert!(parse_job(NodeId(0), "acquire  x 3")
            .unwrap_err()
            .contains("at least 3 arguments"));
        let job = parse_job(NodeId(1), "acquire L x 30 priority 2 stall").unwrap();
        assert_eq!((job.priority, job.stall), (2, true));
        let job = parse_job(NodeId(1), "acquire L x 30 stall priority 3").unwrap();
        assert_eq!((job.priority, job.stall), (3, true));
        assert!(parse_job(NodeId(0), "acquire L x 30 priority 4")
            .unwrap_err()
            .contains("priority must be a whole number from 0 to 3"));
        assert!(parse_job(NodeId(0), "grab L x 3")
            .unwrap_err()
            .contains("unknown command"));
        let bad = LockConfig {
            keepalive_ms: 900,
            ..LockConfig::default()
        };
        assert_eq!(
            bad.validate("locks").unwrap_err().path,
            "locks.keepalive_ms"
        );
        LockConfig::default().validate("locks").unwrap();
    }

    #[test]
    fn mutant_names_round_trip() {
        for (m, name, _) in LockMutant::ALL {
            assert_eq!(mutant::by_name::<LockMutant>(name), Some(*m));
        }
    }
}
