//! A Dynamo-style key-value store (DeCandia et al., "Dynamo: Amazon's Highly Available
//! Key-value Store", SOSP 2007; with Riak's dotted version vectors).
//!
//! - [`ring`]: consistent hashing, preference lists.
//! - [`clock`]: version vectors and dotted versions with a real partial order.
//! - [`store`]: a replica's versions per key, merge, digests for anti-entropy.
//! - [`request`]: the client operations (`put k v strong`, `get k n=3 r=2`) and their answers.
//! - [`msg`]: the messages.
//! - [`node`]: servers (coordinators and replicas: quorums, sloppy quorum with hinted handoff,
//!   read repair, anti-entropy, heartbeat failure detection) and client actors.
//! - [`check`]: the checkers (dot uniqueness, bounded siblings, exactly-once writes, no lost
//!   acknowledged write, convergence) and the history analysis (stale reads, session anomalies, LWW losses).
//! - [`compare`]: the CAP table — one seed, one fault schedule, three consistency levels.
//! - [`view`]: what the UI shows (keys with siblings and clocks, failure-detector views, hints,
//!   client results) as generic tables.
//! - [`chaos`]: settling and the client workload under random faults; [`gallery`]: the named
//!   scenarios; [`entry`]: the registry entry (id `dynamo`, formerly `kv`).
//!
//! Quorum modes are labelled "quorum", never "linearizable": there is no read write-back.

pub mod chaos;
pub mod check;
pub mod clock;
pub mod compare;
mod digest;
pub mod entry;
pub mod gallery;
pub mod msg;
pub mod node;
pub mod request;
pub mod ring;
pub mod store;
pub mod view;

pub use check::KvChecker;
pub use entry::{ALIASES, ID, PROTOCOL};
pub use msg::KvMsg;
pub use node::{KvClient, KvDurable, KvServer, KvTimer};
pub use request::{KvOp, KvReply, KvRequest, Level};

use crate::kernel::config::{check_range, ConfigError, MS_RANGE};
use crate::kernel::mutant::{self, Mutants};
use crate::kernel::node::Model;
use crate::kernel::types::NodeId;
use crate::kernel::view::{Outline, Role};
use serde::{Deserialize, Serialize};

/// The store's types: the [`Model`] its servers, clients, checkers and handlers share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dynamo;

impl Model for Dynamo {
    type Msg = KvMsg;
    type Timer = KvTimer;
    type Request = KvRequest;
    type Reply = KvReply;
    type Config = KvConfig;
    type Server = KvServer;
    type Client = KvClient;
    type Checker = KvChecker;

    fn validate_config(config: &KvConfig, path: &str) -> Result<(), ConfigError> {
        config.validate(path)
    }

    fn parse_request(node: NodeId, text: &str) -> Result<KvRequest, String> {
        Ok(KvRequest {
            node,
            op: KvOp::parse(text)?,
        })
    }
}

/// Every server of the store: a peer replica (and a coordinator of what it is sent).
pub const REPLICA: Role = Role::plain("replica", Outline::Thin);

/// How concurrent writes to one key are reconciled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictMode {
    /// Keep every concurrent version; reads return them all plus a causal context.
    #[default]
    Siblings,
    /// Last writer wins by the coordinators' own (skewed) clocks: concurrent writes are lost.
    Lww,
    /// Values are sets (`a,b,c`); reads return the union of the siblings.
    Set,
}

impl ConflictMode {
    /// Name as written in configs.
    pub fn name(self) -> &'static str {
        match self {
            ConflictMode::Siblings => "siblings",
            ConflictMode::Lww => "lww",
            ConflictMode::Set => "set",
        }
    }
}

/// Deliberately broken variants of the store, used only to prove that the checkers catch real
/// bugs. Compiled in only with the `mutants` cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutant {
    /// Anti-entropy never exchanges with the highest-numbered node.
    AntiEntropySkipsReplica,
    /// Replicas resolve conflicts by last-writer-wins although the mode keeps siblings.
    LwwInSiblingsMode,
    /// A replica acknowledges a write without storing it.
    AckWithoutStore,
    /// The coordinator's de-duplication table is volatile: after a restart a duplicated or
    /// late client request runs again.
    VolatileStoreDedup,
}

impl Mutants for Mutant {
    const ALL: &'static [(Mutant, &'static str, &'static str)] = &[
        (
            Mutant::AntiEntropySkipsReplica,
            "anti-entropy-skips-replica",
            "anti-entropy never syncs with the highest-numbered node, so it may never converge",
        ),
        (
            Mutant::LwwInSiblingsMode,
            "lww-in-siblings-mode",
            "replicas silently resolve siblings by last-writer-wins, losing acknowledged writes",
        ),
        (
            Mutant::AckWithoutStore,
            "ack-without-store",
            "a replica acknowledges a write it did not store",
        ),
        (
            Mutant::VolatileStoreDedup,
            "volatile-store-dedup",
            "the de-duplication table is lost on restart, so a late duplicate runs again",
        ),
    ];
}

/// Largest value accepted, in bytes.
pub const MAX_VALUE_LEN: usize = 64;
/// Largest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 32;

/// Store settings shared by all nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KvConfig {
    /// Replicas per key (N), unless a request says otherwise.
    pub replicas: usize,
    /// Ring positions per node.
    pub vnodes: usize,
    /// How concurrent writes are reconciled.
    pub conflict: ConflictMode,
    /// Each node's clock offset in ms (index = node; missing entries are 0). Used only for LWW
    /// timestamps: a node's clock reads virtual time plus its skew.
    pub clock_skew_ms: Vec<i64>,
    /// Accept writes on fallback nodes when replicas are unavailable (sloppy quorum), with
    /// hints delivered once the replica is back. A request can override it.
    pub sloppy_quorum: bool,
    /// Heartbeat interval, ms.
    pub heartbeat_ms: u64,
    /// Silence after which a peer is suspected, ms.
    pub suspect_after_ms: u64,
    /// Silence after which a peer is unavailable (coordinators stop counting on it), ms.
    pub unavailable_after_ms: u64,
    /// How long a coordinator waits for R or W answers, ms.
    pub request_timeout_ms: u64,
    /// How long a client waits for its coordinator, ms.
    pub client_timeout_ms: u64,
    /// How many times a client resends a request that got no answer within
    /// `client_timeout_ms` — to the same server, with the same request number — before it
    /// reports the outcome unknown (0: it gives up at once).
    pub client_retries: u32,
    /// Interval between anti-entropy rounds of each node, ms.
    pub anti_entropy_ms: u64,
    /// Interval between hinted-handoff attempts, ms.
    pub handoff_ms: u64,
    /// Whether reads repair stale replicas.
    pub read_repair: bool,
    /// A deliberately broken variant (needs the `mutants` feature).
    pub mutant: Option<Mutant>,
}

impl Default for KvConfig {
    fn default() -> Self {
        KvConfig {
            replicas: 3,
            vnodes: 8,
            conflict: ConflictMode::Siblings,
            clock_skew_ms: Vec::new(),
            sloppy_quorum: false,
            heartbeat_ms: 150,
            suspect_after_ms: 400,
            unavailable_after_ms: 1000,
            request_timeout_ms: 500,
            client_timeout_ms: 2000,
            client_retries: 0,
            anti_entropy_ms: 1000,
            handoff_ms: 400,
            read_repair: true,
            mutant: None,
        }
    }
}

impl KvConfig {
    /// Check every field; errors name the field under `path`.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        let err = |field: &str, msg: String| Err(ConfigError::new(format!("{path}.{field}"), msg));
        if self.replicas == 0 || self.replicas > crate::kernel::config::MAX_NODES {
            return err(
                "replicas",
                format!(
                    "must be between 1 and the cluster size, got {}",
                    self.replicas
                ),
            );
        }
        check_range(path, "vnodes", self.vnodes as u64, (1, 64), "")?;
        check_range(
            path,
            "client_retries",
            u64::from(self.client_retries),
            (0, 10),
            "",
        )?;
        if self
            .clock_skew_ms
            .iter()
            .any(|s| s.unsigned_abs() > 3_600_000)
        {
            return err("clock_skew_ms", "each skew must be within ±1 hour".into());
        }
        for (name, v) in [
            ("heartbeat_ms", self.heartbeat_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("client_timeout_ms", self.client_timeout_ms),
            ("anti_entropy_ms", self.anti_entropy_ms),
            ("handoff_ms", self.handoff_ms),
        ] {
            check_range(path, name, v, MS_RANGE, "ms")?;
        }
        if self.suspect_after_ms <= self.heartbeat_ms {
            return err(
                "suspect_after_ms",
                format!(
                    "must exceed heartbeat_ms ({} ≤ {})",
                    self.suspect_after_ms, self.heartbeat_ms
                ),
            );
        }
        if self.unavailable_after_ms < self.suspect_after_ms || self.unavailable_after_ms > 600_000
        {
            return err(
                "unavailable_after_ms",
                "must be at least suspect_after_ms and at most 600000".into(),
            );
        }
        mutant::check(&self.mutant, path)
    }

    /// Node `i`'s clock skew in ms.
    pub fn skew(&self, i: usize) -> i64 {
        self.clock_skew_ms.get(i).copied().unwrap_or(0)
    }

    /// Whether mutant `m` is active.
    pub fn has(&self, m: Mutant) -> bool {
        mutant::active(self.mutant) == Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation_names_the_field() {
        KvConfig::default().validate("config").unwrap();
        let bad = KvConfig {
            replicas: 0,
            ..KvConfig::default()
        };
        assert_eq!(bad.validate("config").unwrap_err().path, "config.replicas");
        let bad = KvConfig {
            suspect_after_ms: 10,
            ..KvConfig::default()
        };
        assert_eq!(
            bad.validate("config").unwrap_err().path,
            "config.suspect_after_ms"
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

#[cfg(test)]
mod node_tests;
