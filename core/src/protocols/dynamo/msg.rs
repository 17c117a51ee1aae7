//! The store's messages: client traffic, replica reads and writes, read repair, hinted
//! handoff, anti-entropy and heartbeats.

use super::request::{KvOp, KvReply};
use super::store::KeyState;
use crate::kernel::node::Message;
use crate::kernel::types::NodeId;
use std::fmt;

/// Every message of the store.
#[derive(Clone, Debug, PartialEq)]
pub enum KvMsg {
    /// Client → coordinator: run this operation.
    ClientOp {
        /// Client's request number.
        req: u64,
        /// The operation (boxed, like the reply: every message is as large as the largest
        /// variant, and messages are moved several times on their way).
        op: Box<KvOp>,
    },
    /// Coordinator → client: the answer.
    ClientReply {
        /// Request number it answers.
        req: u64,
        /// The answer (boxed: see `ClientOp`).
        reply: Box<KvReply>,
    },
    /// Failure detector: "I am alive".
    Heartbeat,
    /// Coordinator → replica: store this key state (the coordinator's whole merged state).
    Put {
        /// Coordinator's operation number.
        op: u64,
        /// The key.
        key: String,
        /// The state to merge.
        state: KeyState,
        /// Sloppy quorum: the replica this fallback holds the write for.
        hint_for: Option<NodeId>,
    },
    /// Replica → coordinator: stored.
    PutAck {
        /// Operation number.
        op: u64,
    },
    /// Coordinator → replica: send me your state of `key`.
    Get {
        /// Operation number.
        op: u64,
        /// The key.
        key: String,
    },
    /// Replica → coordinator: my state of the key.
    GetReply {
        /// Operation number.
        op: u64,
        /// The replica's state (default = not found).
        state: KeyState,
    },
    /// Coordinator → stale replica after a read: the merged state.
    ReadRepair {
        /// The key.
        key: String,
        /// The merged state.
        state: KeyState,
    },
    /// Holder of a hint → the replica it is for: here is what you missed.
    Handoff {
        /// The key.
        key: String,
        /// The state.
        state: KeyState,
    },
    /// Replica → hint holder: merged; the hint for this state can go.
    HandoffAck {
        /// The key.
        key: String,
        /// Digest of the state handed off.
        digest: u64,
    },
    /// Anti-entropy round, step 1: my bucket digests of the keys we both replicate.
    AeDigest {
        /// One hash per bucket.
        buckets: Vec<u64>,
    },
    /// Step 2: the buckets that differ, key by key (key, digest) on my side.
    AeKeys {
        /// Differing bucket numbers.
        buckets: Vec<usize>,
        /// My keys in those buckets with their digests.
        keys: Vec<(String, u64)>,
    },
    /// Step 3 (and 4): states you lack or that differ, and the keys I want from you.
    AeSync {
        /// States to merge.
        states: Vec<(String, KeyState)>,
        /// Keys the receiver should send back.
        want: Vec<String>,
    },
}

impl Message for KvMsg {
    fn kind(&self) -> &'static str {
        match self {
            KvMsg::ClientOp { op, .. } => {
                if op.is_write() {
                    "ClientPut"
                } else {
                    "ClientGet"
                }
            }
            KvMsg::ClientReply { .. } => "ClientReply",
            KvMsg::Heartbeat => "Heartbeat",
            KvMsg::Put { hint_for: None, .. } => "Put",
            KvMsg::Put { .. } => "HintedPut",
            KvMsg::PutAck { .. } => "PutAck",
            KvMsg::Get { .. } => "Get",
            KvMsg::GetReply { .. } => "GetReply",
            KvMsg::ReadRepair { .. } => "ReadRepair",
            KvMsg::Handoff { .. } => "Handoff",
            KvMsg::HandoffAck { .. } => "HandoffAck",
            KvMsg::AeDigest { .. } => "AeDigest",
            KvMsg::AeKeys { .. } => "AeKeys",
            KvMsg::AeSync { .. } => "AeSync",
        }
    }

    fn is_reply(&self) -> bool {
        matches!(
            self,
            KvMsg::ClientReply { .. }
                | KvMsg::PutAck { .. }
                | KvMsg::GetReply { .. }
                | KvMsg::HandoffAck { .. }
                | KvMsg::AeKeys { .. }
        )
    }

    fn outcome(&self) -> Option<bool> {
        match self {
            KvMsg::ClientReply { reply, .. } => Some(reply.ok()),
            _ => None,
        }
    }
}

impl fmt::Display for KvMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvMsg::ClientOp { req, op } => write!(f, "#{req} {op}"),
            KvMsg::ClientReply { req, reply } => write!(f, "#{req} {reply}"),
            KvMsg::Heartbeat => f.write_str("heartbeat"),
            KvMsg::Put {
                op,
                key,
                state,
                hint_for,
            } => {
                write!(f, "op={op} {key}={}", state.compact())?;
                if let Some(h) = hint_for {
                    write!(f, " hint for {h}")?;
                }
                Ok(())
            }
            KvMsg::PutAck { op } => write!(f, "op={op}"),
            KvMsg::Get { op, key } => write!(f, "op={op} {key}"),
            KvMsg::GetReply { op, state } => write!(f, "op={op} {}", state.compact()),
            KvMsg::ReadRepair { key, state } | KvMsg::Handoff { key, state } => {
                write!(f, "{key}={}", state.compact())
            }
            KvMsg::HandoffAck { key, digest } => write!(f, "{key} digest={digest:016x}"),
            KvMsg::AeDigest { buckets } => {
                let mut h = crate::kernel::trace::Fnv64::default();
                for b in buckets {
                    h.write(&b.to_le_bytes());
                }
                write!(f, "root={:016x} ({} buckets)", h.finish(), buckets.len())
            }
            KvMsg::AeKeys { buckets, keys } => {
                write!(f, "differing buckets {buckets:?}: ")?;
                let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
                write!(f, "keys [{}]", names.join(","))
            }
            KvMsg::AeSync { states, want } => {
                let names: Vec<&str> = states.iter().map(|(k, _)| k.as_str()).collect();
                write!(f, "push [{}] want [{}]", names.join(","), want.join(","))
            }
        }
    }
}
