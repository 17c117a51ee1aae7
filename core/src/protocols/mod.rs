//! The protocols, one folder each. A folder holds the protocol's model (its server and client
//! actors, messages, durable state), its checkers and mutants, its view, its chaos hooks, its
//! gallery and its registry entry (`entry.rs`).

pub mod atomic_commit;
pub mod dynamo;
pub mod locks;
pub mod pbft;
pub mod raft;

use crate::run::registry::Protocol;

/// Every protocol this build ships, in menu order. Adding a protocol is one line here.
pub static BUILTIN: &[&dyn Protocol] = &[
    &raft::PROTOCOL,
    &dynamo::PROTOCOL,
    &atomic_commit::TWO_PC,
    &atomic_commit::THREE_PC,
    &locks::PROTOCOL,
    &pbft::PROTOCOL,
];
