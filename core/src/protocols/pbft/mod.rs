//! PBFT — Practical Byzantine Fault Tolerance (Castro & Liskov, OSDI 1999; and "Practical
//! Byzantine Fault Tolerance and Proactive Recovery", ACM TOCS 20(4), 2002).
//!
//! `n = 3f + 1` replicas run a replicated key-value state machine (the `put/get/cas/delete`
//! commands Raft's clients use) while up to `f` of them are *Byzantine*: they may lie,
//! equivocate, forge, replay or stay silent. Section numbers below are the OSDI paper's unless
//! they say TOCS.
//!
//! - **Normal case (§4.2).** A client sends a request (client id + timestamp, §4.1) to the
//!   replica it believes is the primary of the current view (`v mod n`); the primary assigns a
//!   sequence number and multicasts PRE-PREPARE; backups that accept it multicast PREPARE; a
//!   replica is *prepared* with the pre-prepare and `2f` matching prepares from different
//!   backups, then multicasts COMMIT; it is *committed-local* once prepared with `2f + 1`
//!   matching commits, and executes requests in sequence order and replies. The client accepts
//!   a result once `f + 1` replicas sent matching replies (§4.1) and retransmits to every
//!   replica when it gets no answer in time.
//! - **Authentication (§2, §5.2).** Every message carries its sender's simulated signature;
//!   a message whose signature does not verify for the replica it claims to come from is
//!   rejected and counted (`forged_rejected`), never believed ([`auth`]).
//! - **Checkpoints and garbage collection (§4.3).** Every `checkpoint_interval` requests a
//!   replica multicasts CHECKPOINT with its state digest; `2f + 1` matching ones make it
//!   *stable*: the low water mark `h` moves up, the log below it is discarded and only
//!   sequence numbers in `(h, h + log_size]` are accepted. A replica that falls behind fetches
//!   the stable checkpoint's state from another replica and checks it against the certificate
//!   (state transfer, TOCS §6.3.2).
//! - **View changes (§4.4, liveness §4.5.2).** A backup that waits too long for a request to
//!   execute multicasts VIEW-CHANGE with its stable checkpoint proof and its prepared
//!   certificates; the new primary assembles NEW-VIEW from `2f + 1` of them and re-issues
//!   pre-prepares (the set O, null requests for gaps); backups recompute O before accepting.
//!   Timeouts double with every view change that does not make progress.
//!
//! Faulty replicas are configured per node ([`Behaviour`]); the checkers ([`check`]) judge the
//! correct ones. Modules: [`auth`] (digests and signatures), [`msg`] (messages, timers,
//! requests, replies), [`replica`] (the replica, one file per part of the paper), [`client`],
//! [`check`], [`chaos`], [`gallery`], [`entry`] (the registry entry).

pub mod auth;
pub mod chaos;
pub mod check;
pub mod client;
pub mod entry;
pub mod gallery;
pub mod msg;
pub mod replica;
mod view;

pub use check::PbftChecker;
pub use client::{PbftClient, PbftOp};
pub use entry::{ID, PROTOCOL};
pub use msg::{PbftMsg, PbftReply, PbftRequest, PbftTimer};
pub use replica::{Mode, PbftDurable, Phase, Replica, Slot, StableCheckpoint};

use crate::kernel::config::{check_range, ConfigError, MS_RANGE};
use crate::kernel::mutant::{self, Mutants};
use crate::kernel::node::Model;
use crate::kernel::types::NodeId;
use crate::kernel::view::{Outline, Role};
use crate::protocols::raft::kv;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// PBFT's types: the [`Model`] the simulator, the checkers and the handlers share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pbft;

impl Model for Pbft {
    type Msg = PbftMsg;
    type Timer = PbftTimer;
    type Request = PbftRequest;
    type Reply = PbftReply;
    type Config = PbftConfig;
    type Server = Replica;
    type Client = PbftClient;
    type Checker = PbftChecker;

    fn validate_config(config: &PbftConfig, path: &str) -> Result<(), ConfigError> {
        config.validate(path)
    }

    fn parse_request(node: NodeId, text: &str) -> Result<PbftRequest, String> {
        Ok(PbftRequest {
            target: node,
            op: kv::parse_op(text)?,
        })
    }
}

/// The primary of the current view: thick outline and a crown.
pub const PRIMARY: Role = Role {
    name: "primary",
    outline: Outline::Thick,
    leads: true,
    counter: Some("became_primary"),
};
/// A backup in normal operation: thin outline.
pub const BACKUP: Role = Role::plain("backup", Outline::Thin);
/// A replica that sent VIEW-CHANGE and waits for NEW-VIEW (§4.4): dashed outline.
pub const VIEW_CHANGING: Role = Role {
    name: "view-changing",
    outline: Outline::Dashed,
    leads: false,
    counter: Some("view_changes_started"),
};
/// A Byzantine (faulty) replica that is a backup: dotted outline, and a badge naming its
/// behaviour.
pub const BYZANTINE: Role = Role::plain("byzantine", Outline::Dotted);
/// A Byzantine replica that is the primary of its view: dotted outline and a crown.
pub const BYZANTINE_PRIMARY: Role = Role {
    name: "byzantine-primary",
    outline: Outline::Dotted,
    leads: true,
    counter: None,
};

/// What a faulty replica does (configured per node in `config.byzantine`). A crash is not a
/// behaviour: crash a replica with the kernel's crash control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    /// Drops every message and sends nothing (a crash that still looks alive).
    Silent,
    /// As primary, sends different requests for the same sequence number to different
    /// backups; as a backup, prepares and commits whatever any pre-prepare says. Faulty
    /// replicas with this behaviour collude.
    Equivocate,
    /// Follows the protocol but answers clients with made-up results (at once, before
    /// executing) and serves corrupted state to replicas that fetch it.
    WrongResults,
    /// Follows the protocol, and also sends prepares, commits, checkpoints and replies in
    /// other replicas' names and view changes with made-up prepared certificates — all
    /// signed with its own key, so the signature check catches them.
    ForgeVotes,
    /// Follows the protocol, and replays the messages of earlier views it received.
    StaleReplay,
    /// Follows the protocol, but as primary holds every request `slow_primary_ms` before
    /// pre-preparing it.
    SlowPrimary,
}

impl Behaviour {
    /// Every behaviour, in menu order.
    pub const ALL: [Behaviour; 6] = [
        Behaviour::Silent,
        Behaviour::Equivocate,
        Behaviour::WrongResults,
        Behaviour::ForgeVotes,
        Behaviour::StaleReplay,
        Behaviour::SlowPrimary,
    ];

    /// The name used in scenario files and badges.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Silent => "silent",
            Behaviour::Equivocate => "equivocate",
            Behaviour::WrongResults => "wrong-results",
            Behaviour::ForgeVotes => "forge-votes",
            Behaviour::StaleReplay => "stale-replay",
            Behaviour::SlowPrimary => "slow-primary",
        }
    }

    /// What the behaviour does, in one line (legends, pickers).
    pub fn summary(self) -> &'static str {
        match self {
            Behaviour::Silent => "drops everything and sends nothing",
            Behaviour::Equivocate => {
                "as primary: different requests for one sequence number; as backup: votes for everything"
            }
            Behaviour::WrongResults => "answers clients with made-up results; serves corrupt state",
            Behaviour::ForgeVotes => "sends votes in other replicas' names (bad signatures)",
            Behaviour::StaleReplay => "replays messages of earlier views",
            Behaviour::SlowPrimary => "as primary, delays every pre-prepare",
        }
    }

    /// The behaviour called `name`; the error lists the known ones.
    pub fn parse(name: &str) -> Result<Behaviour, String> {
        if let Some(b) = Behaviour::ALL.iter().find(|b| b.name() == name) {
            return Ok(*b);
        }
        let known: Vec<&str> = Behaviour::ALL.iter().map(|b| b.name()).collect();
        let hint = if name == "crash" {
            "crash is not a Byzantine behaviour here: crash the replica with a crash action \
             ({\"type\": \"crash\", \"node\": …}); "
        } else {
            ""
        };
        Err(format!(
            "unknown Byzantine behaviour {name:?}; {hint}known: {}",
            known.join(", ")
        ))
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Behaviour {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Behaviour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Behaviour, D::Error> {
        let name = String::deserialize(d)?;
        Behaviour::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Deliberately broken variants of PBFT, used only to prove that the checkers catch real bugs.
/// Compiled in only with the `mutants` cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutant {
    /// A replica counts itself prepared with `2f − 1` matching prepares instead of `2f`.
    PreparedWithFewer,
    /// The client accepts the first reply instead of waiting for `f + 1` matching ones.
    ClientAcceptsOne,
    /// The prepared certificates and checkpoint proofs inside VIEW-CHANGE messages are not
    /// checked (by the new primary, nor by backups checking NEW-VIEW).
    SkipViewChangeCheck,
    /// The new view's O replaces the highest prepared request with a null request.
    DropPrepared,
}

impl Mutants for Mutant {
    const ALL: &'static [(Mutant, &'static str, &'static str)] = &[
        (
            Mutant::PreparedWithFewer,
            "prepared-2f-minus-1",
            "a replica counts itself prepared with 2f − 1 matching prepares (not 2f)",
        ),
        (
            Mutant::ClientAcceptsOne,
            "client-accepts-one",
            "the client accepts the first reply instead of f + 1 matching replies",
        ),
        (
            Mutant::SkipViewChangeCheck,
            "skip-view-change-check",
            "the prepared certificates in VIEW-CHANGE messages are not checked when NEW-VIEW is built or accepted",
        ),
        (
            Mutant::DropPrepared,
            "drop-prepared",
            "the new primary puts a null request where the highest prepared request belongs in O",
        ),
    ];
}

/// PBFT settings shared by every replica and client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PbftConfig {
    /// K: a checkpoint every this many sequence numbers (§4.3; the paper's implementation
    /// uses 128, a small value keeps checkpoints visible).
    pub checkpoint_interval: u64,
    /// L: the water-mark window — only sequence numbers in `(h, h + L]` are accepted, where
    /// `h` is the stable checkpoint (§4.3; the paper suggests `L = 2K`).
    pub log_size: u64,
    /// T: how long a backup waits for a request to execute before it starts a view change,
    /// ms (§4.5.2). Doubled after every view change that does not make progress.
    pub view_change_timeout_ms: u64,
    /// The timeout doubles at most this many times in a row (`T · 2^k`, k ≤ this).
    pub view_change_backoff_max: u32,
    /// Retransmission: every this many ms a replica multicasts STATUS, and resends what a
    /// lagging replica is missing (TOCS §6.2).
    pub status_ms: u64,
    /// How long a client waits for `f + 1` matching replies before it retransmits its request
    /// to every replica, ms (§4.1).
    pub client_timeout_ms: u64,
    /// Client attempts before an operation is given up (it stays indeterminate).
    pub client_attempts: u32,
    /// A `slow-primary` replica holds each request this long before pre-preparing it, ms.
    pub slow_primary_ms: u64,
    /// Faulty replicas and what each does, e.g. `{"n2": "equivocate", "n4": "silent"}`.
    pub byzantine: BTreeMap<NodeId, Behaviour>,
    /// Allow more than `f` faulty replicas (the f + 1 demonstration: safety is then not
    /// guaranteed, and the checkers show it).
    pub allow_more_than_f: bool,
    /// A deliberately broken variant (needs the `mutants` feature).
    pub mutant: Option<Mutant>,
}

impl Default for PbftConfig {
    fn default() -> Self {
        PbftConfig {
            checkpoint_interval: 8,
            log_size: 16,
            view_change_timeout_ms: 600,
            view_change_backoff_max: 4,
            status_ms: 200,
            client_timeout_ms: 800,
            client_attempts: 20,
            slow_primary_ms: 1200,
            byzantine: BTreeMap::new(),
            allow_more_than_f: false,
            mutant: None,
        }
    }
}

/// The most faulty replicas a cluster of `n` tolerates: `f = ⌊(n − 1) / 3⌋`.
pub fn max_faulty(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

impl PbftConfig {
    /// Check every field that does not depend on the cluster; errors name the field under
    /// `path`.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        check_range(
            path,
            "checkpoint_interval",
            self.checkpoint_interval,
            (1, 1024),
            "",
        )?;
        if self.log_size < self.checkpoint_interval || self.log_size > 16 * 1024 {
            return Err(ConfigError::new(
                format!("{path}.log_size"),
                format!(
                    "must be between checkpoint_interval ({}) and 16384, got {}: the window must \
                     hold a whole checkpoint interval",
                    self.checkpoint_interval, self.log_size
                ),
            ));
        }
        check_range(
            path,
            "view_change_timeout_ms",
            self.view_change_timeout_ms,
            (10, 600_000),
            "ms",
        )?;
        let backoff = u64::from(self.view_change_backoff_max);
        check_range(path, "view_change_backoff_max", backoff, (0, 16), "")?;
        check_range(path, "status_ms", self.status_ms, (5, 600_000), "ms")?;
        check_range(
            path,
            "client_timeout_ms",
            self.client_timeout_ms,
            (10, 600_000),
            "ms",
        )?;
        let attempts = u64::from(self.client_attempts);
        check_range(path, "client_attempts", attempts, (1, 1000), "")?;
        check_range(
            path,
            "slow_primary_ms",
            self.slow_primary_ms,
            MS_RANGE,
            "ms",
        )?;
        mutant::check(&self.mutant, path)
    }

    /// Check the fields that depend on the cluster's `nodes` replicas: at least four replicas,
    /// Byzantine nodes that exist, and at most `f` of them unless `allow_more_than_f`.
    pub fn check_cluster(&self, nodes: usize, path: &str) -> Result<(), ConfigError> {
        if nodes < 4 {
            return Err(ConfigError::new(
                "cluster.nodes",
                format!(
                    "PBFT needs n = 3f + 1 ≥ 4 replicas to tolerate one faulty replica, got {nodes}"
                ),
            ));
        }
        for node in self.byzantine.keys() {
            if node.is_client() || node.index() >= nodes {
                return Err(ConfigError::new(
                    format!("{path}.byzantine.{node}"),
                    format!("{node} is not a replica of this {nodes}-replica cluster"),
                ));
            }
        }
        let f = max_faulty(nodes);
        if self.byzantine.len() > f && !self.allow_more_than_f {
            return Err(ConfigError::new(
                format!("{path}.byzantine"),
                format!(
                    "{} faulty replicas, but {nodes} replicas tolerate at most f = {f}; set \
                     \"allow_more_than_f\": true to watch safety break",
                    self.byzantine.len()
                ),
            ));
        }
        Ok(())
    }

    /// The behaviour configured for replica `id` (`None`: it is correct).
    pub fn behaviour(&self, id: NodeId) -> Option<Behaviour> {
        self.byzantine.get(&id).copied()
    }

    /// The active mutant, if this build has mutants.
    pub fn mutant(&self) -> Option<Mutant> {
        mutant::active(self.mutant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation_names_the_field() {
        PbftConfig::default().validate("config").unwrap();
        let bad = PbftConfig {
            log_size: 4,
            ..PbftConfig::default()
        };
        assert_eq!(bad.validate("config").unwrap_err().path, "config.log_size");
        let mut c = PbftConfig::default();
        c.byzantine.insert(NodeId(5), Behaviour::Silent);
        assert_eq!(
            c.check_cluster(4, "config").unwrap_err().path,
            "config.byzantine.n6"
        );
        c.byzantine.clear();
        c.byzantine.insert(NodeId(0), Behaviour::Silent);
        c.byzantine.insert(NodeId(1), Behaviour::Silent);
        let e = c.check_cluster(4, "config").unwrap_err();
        assert!(e.message.contains("allow_more_than_f"), "{e}");
        c.allow_more_than_f = true;
        c.check_cluster(4, "config").unwrap();
        assert!(c.check_cluster(3, "config").is_err());
    }

    #[test]
    fn behaviours_and_mutants_round_trip() {
        for b in Behaviour::ALL {
            assert_eq!(Behaviour::parse(b.name()), Ok(b));
        }
        assert!(Behaviour::parse("crash")
            .unwrap_err()
            .contains("crash action"));
        assert!(Behaviour::parse("evil").unwrap_err().contains("silent"));
        for (m, name, _) in Mutant::ALL {
            assert_eq!(mutant::by_name::<Mutant>(name), Some(*m));
        }
        let c: PbftConfig =
            serde_json::from_value(serde_json::json!({"byzantine": {"n2": "equivocate"}})).unwrap();
        assert_eq!(c.behaviour(NodeId(1)), Some(Behaviour::Equivocate));
        assert_eq!(
            serde_json::to_value(&c).unwrap()["byzantine"]["n2"],
            "equivocate"
        );
    }

    #[test]
    fn f_follows_n() {
        assert_eq!(max_faulty(4), 1);
        assert_eq!(max_faulty(6), 1);
        assert_eq!(max_faulty(7), 2);
        assert_eq!(max_faulty(9), 2);
    }
}
