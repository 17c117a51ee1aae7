//! Checkers that serve more than one protocol.

pub mod linearizability;
