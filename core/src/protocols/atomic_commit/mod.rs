//! Atomic commit: two-phase commit (Gray 1978; Mohan, Lindsay & Obermarck's *presumed abort*,
//! 1986) and three-phase commit (Skeen 1981), checked against Gray & Lamport's `TCConsistent`.
//!
//! One node (n1 by default) coordinates; every other node is a participant (a resource manager)
//! that owns keys and locks them. A transaction writes keys on several participants:
//!
//! 1. the coordinator sends each participant its work in **Prepare**;
//! 2. a participant votes **no** on a lock conflict (no-wait locking: never waits, so never
//!    deadlocks), on a failed constraint (values must be ≥ 0) or when told to refuse; **read-only**
//!    if it only reads (it releases at once and leaves phase two); otherwise it forces a
//!    *prepared record* (its writes) to its durable log, keeps the locks and votes **yes**;
//! 3. the coordinator decides: commit only if every writer voted yes. A commit decision is
//!    forced to the coordinator's durable log *before* any Commit is sent; an abort is not
//!    logged at all (presumed abort: no record means abort) and needs no acknowledgements;
//! 4. participants apply the decision and acknowledge commits; when every writer has acked, the
//!    coordinator writes an end record.
//!
//! Client requests run exactly once: the coordinator's durable client table maps each client
//! request to the transaction that runs it, so a duplicated, late or retried Begin is answered,
//! never run again — across coordinator restarts too.
//!
//! A prepared participant never decides alone: it is *blocked*, holding its locks, and asks the
//! coordinator again and again. A restarted coordinator finishes phase two from its log; a
//! restarted participant re-takes its locks from its prepared records and asks.
//!
//! The 3PC variant adds a pre-commit round and lets a participant that times out run a
//! termination protocol with its peers instead of blocking — safe with crashes only, unsafe
//! under partitions (see the `2pc-vs-3pc-partition` scenario).
//!
//! - [`msg`]: transactions, votes and messages; the client command grammar.
//! - [`node`]: the node (coordinator, participant or client actor); [`coord`] and [`part`] hold
//!   the two server roles' handlers.
//! - [`check`]: atomicity, validity, irrevocability, no unilateral abort, exactly-once client
//!   requests; [`chaos`]: random
//!   transactions and recovery liveness under chaos; [`view`]: what the UI shows.

pub mod chaos;
pub mod check;
pub mod coord;
pub mod entry;
pub mod gallery;
pub mod msg;
pub mod node;
pub mod part;
#[cfg(test)]
mod sim_tests;
pub mod view;

pub use check::CommitChecker;
pub use entry::{THREE_PC, TWO_PC};
pub use msg::{CommitMsg, CommitReply, CommitRequest, Outcome, TxnId, TxnSpec, Vote, Work};
pub use node::{ClientTable, CommitClient, CommitDurable, CommitServer, CommitTimer, LogRec};

use crate::kernel::config::{check_range, ConfigError, MS_RANGE};
use crate::kernel::mutant::{self, Mutants};
use crate::kernel::node::Model;
use crate::kernel::types::NodeId;
use crate::kernel::view::{Outline, Role};
use serde::{Deserialize, Serialize};

/// Atomic commit's types: the [`Model`] 2PC and 3PC share (the variant is configuration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtomicCommit;

impl Model for AtomicCommit {
    type Msg = CommitMsg;
    type Timer = CommitTimer;
    type Request = CommitRequest;
    type Reply = CommitReply;
    type Config = CommitConfig;
    type Server = CommitServer;
    type Client = CommitClient;
    type Checker = CommitChecker;

    fn validate_config(config: &CommitConfig, path: &str) -> Result<(), ConfigError> {
        config.validate(path)
    }

    fn parse_request(node: NodeId, text: &str) -> Result<CommitRequest, String> {
        msg::parse_request(node, text)
    }
}

/// The coordinator (transaction manager): thick outline.
pub const COORDINATOR: Role = Role::plain("coordinator", Outline::Thick);
/// A participant (resource manager): thin outline.
pub const PARTICIPANT: Role = Role::plain("participant", Outline::Thin);

/// Which atomic commit protocol runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Variant {
    /// Two-phase commit with presumed abort: blocking, but safe under any crash or partition.
    #[default]
    #[serde(rename = "2pc")]
    TwoPhase,
    /// Three-phase commit: CanCommit, PreCommit, DoCommit, and a termination protocol among
    /// participants. Non-blocking with crashes only; unsafe under partitions.
    #[serde(rename = "3pc")]
    ThreePhase,
}

/// Two-phase commit's id in scenario files, share links and the CLI.
pub const TWO_PC_ID: &str = "2pc";
/// Three-phase commit's id.
pub const THREE_PC_ID: &str = "3pc";

impl Variant {
    /// The registry id of this variant ([`TWO_PC_ID`] or [`THREE_PC_ID`]).
    pub fn name(self) -> &'static str {
        match self {
            Variant::TwoPhase => TWO_PC_ID,
            Variant::ThreePhase => THREE_PC_ID,
        }
    }
}

/// Deliberately broken variants, used only to prove the checkers catch real bugs.
/// Compiled in only with the `mutants` cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutant {
    /// The coordinator sends Commit before its commit record is on the durable log (the record
    /// is written lazily, on the first acknowledgement or retry): a crash in between forgets a
    /// decision that participants already applied.
    CommitBeforeLog,
    /// A prepared participant that hears nothing aborts on its in-doubt timeout instead of
    /// blocking.
    PreparedAbortsOnTimeout,
    /// The coordinator counts a read-only vote as enough: commits although some writer has
    /// not voted yes.
    CommitWithoutAllVotes,
    /// The coordinator ignores its client table: every Begin that arrives — a duplicate, a
    /// late copy, a copy after a restart — starts a new transaction.
    DuplicateBeginReruns,
}

impl Mutants for Mutant {
    const ALL: &'static [(Mutant, &'static str, &'static str)] = &[
        (
            Mutant::CommitBeforeLog,
            "commit-before-log",
            "the coordinator sends Commit before forcing the commit record to its log",
        ),
        (
            Mutant::PreparedAbortsOnTimeout,
            "prepared-aborts-on-timeout",
            "a prepared participant aborts on its own when the decision does not come in time",
        ),
        (
            Mutant::CommitWithoutAllVotes,
            "commit-without-all-votes",
            "the coordinator commits once a majority of writers voted yes",
        ),
        (
            Mutant::DuplicateBeginReruns,
            "duplicate-begin-reruns",
            "the coordinator starts a new transaction for every Begin, duplicates included",
        ),
    ];
}

/// Atomic commit settings shared by all nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommitConfig {
    /// 2PC or 3PC.
    pub variant: Variant,
    /// The coordinator (every other server is a participant).
    pub coordinator: NodeId,
    /// How long the coordinator waits for votes before aborting, ms.
    pub vote_timeout_ms: u64,
    /// Retry interval: the coordinator resends decisions, a prepared participant asks again
    /// (3PC: starts its termination protocol), ms.
    pub retry_ms: u64,
    /// How long a client actor waits for an answer before reporting the outcome unknown, ms.
    pub client_timeout_ms: u64,
    /// A deliberately broken variant (needs the `mutants` feature).
    pub mutant: Option<Mutant>,
}

impl Default for CommitConfig {
    fn default() -> Self {
        CommitConfig {
            variant: Variant::TwoPhase,
            coordinator: NodeId(0),
            vote_timeout_ms: 300,
            retry_ms: 200,
            client_timeout_ms: 3000,
            mutant: None,
        }
    }
}

impl CommitConfig {
    /// Check every field; errors name the field under `path`.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        for (name, v) in [
            ("vote_timeout_ms", self.vote_timeout_ms),
            ("retry_ms", self.retry_ms),
            ("client_timeout_ms", self.client_timeout_ms),
        ] {
            check_range(path, name, v, MS_RANGE, "ms")?;
        }
        if self.coordinator.index() >= crate::kernel::config::MAX_NODES {
            return Err(ConfigError::new(
                format!("{path}.coordinator"),
                format!("must be one of n1…n{}", crate::kernel::config::MAX_NODES),
            ));
        }
        mutant::check(&self.mutant, path)
    }

    /// Whether mutant `m` is on (always false without the `mutants` feature).
    pub fn mutant_is(&self, m: Mutant) -> bool {
        mutant::active(self.mutant) == Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation_names_the_field() {
        CommitConfig::default().validate("config").unwrap();
        let bad = CommitConfig {
            retry_ms: 0,
            ..CommitConfig::default()
        };
        assert_eq!(bad.validate("config").unwrap_err().path, "config.retry_ms");
        let bad = CommitConfig {
            coordinator: NodeId(20),
            ..CommitConfig::default()
        };
        assert_eq!(
            bad.validate("config").unwrap_err().path,
            "config.coordinator"
        );
        let json = serde_json::json!({ "variant": "3pc", "coordinator": "n2" });
        let c: CommitConfig = serde_json::from_value(json).unwrap();
        assert_eq!((c.variant, c.coordinator), (Variant::ThreePhase, NodeId(1)));
    }

    #[test]
    fn mutant_names_round_trip() {
        for (m, name, _) in Mutant::ALL {
            assert_eq!(mutant::by_name::<Mutant>(name), Some(*m));
            let json = serde_json::to_value(m).unwrap();
            assert_eq!(json, serde_json::json!(name));
        }
        assert_eq!(mutant::by_name::<Mutant>("nope"), None);
    }
}
