//! The protocols, one folder each.

pub mod atomic_commit;
pub mod dynamo;
pub mod raft;
