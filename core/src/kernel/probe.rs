//! Questions a narration or a challenge may ask about one node's protocol-specific state,
//! answered by the protocol itself ([`crate::kernel::node::Server::probe`],
//! [`crate::kernel::node::Client::probe`]).
//!
//! The generic [`crate::kernel::view::Snapshot`] already says who leads, which terms the logs
//! hold and what is committed. What it cannot say without parsing display strings — the value
//! of a key, the state of a transaction at one participant, what a client last read — a
//! protocol answers here, in typed form. A protocol that has no such thing answers
//! [`Fact::Unsupported`] (the default).

use serde::{Deserialize, Serialize};

/// A question about one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe<'a> {
    /// A server: the value(s) its state machine / store holds for this key.
    Key(&'a str),
    /// A client: the value(s) its most recent completed read of this key returned.
    Read(&'a str),
    /// A server: the state of this transaction (by its trace name, `t1`) there.
    Txn(&'a str),
}

/// Where a transaction stands at one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxnState {
    /// The node has never heard of it (or forgot it under presumed abort).
    Unknown,
    /// Work in progress: not yet voted.
    Active,
    /// Voted yes and waiting for the outcome: it may neither commit nor abort on its own.
    InDoubt,
    /// 3PC: told the outcome will be commit (pre-committed), not yet committed.
    PreCommitted,
    /// Committed.
    Committed,
    /// Aborted.
    Aborted,
}

impl TxnState {
    /// Lower-case words (`in doubt`).
    pub fn words(self) -> &'static str {
        match self {
            TxnState::Unknown => "unknown",
            TxnState::Active => "active",
            TxnState::InDoubt => "in doubt",
            TxnState::PreCommitted => "pre-committed",
            TxnState::Committed => "committed",
            TxnState::Aborted => "aborted",
        }
    }
}

/// A protocol's answer to a [`Probe`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// This protocol (or this kind of node) has no such state.
    Unsupported,
    /// The values held or read, sorted (empty: absent or deleted; several: siblings).
    Values(Vec<String>),
    /// A transaction's state.
    Txn(TxnState),
}
