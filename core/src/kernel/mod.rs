//! The protocol-neutral kernel: everything a simulation needs that is not a protocol.
//!
//! No protocol name, no quorum arithmetic and no role vocabulary lives here: roles are data a
//! protocol supplies ([`view::Role`]), and nodes receive the server set, not a quorum size.

pub mod check;
pub mod chunked;
pub mod config;
pub mod control;
pub mod harness;
pub mod inflight;
pub mod mutant;
pub mod net;
pub mod node;
pub mod probe;
pub mod rng;
pub mod sim;
pub mod trace;
pub mod types;
pub mod view;
