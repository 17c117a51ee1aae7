//! # netsplit-core
//!
//! The deterministic heart of netsplit: a sans-I/O simulator of distributed protocols.
//!
//! Read it in this order:
//! 1. [`types`] — node ids and virtual time.
//! 2. [`node`] — the [`node::Node`] trait: a protocol node is a synchronous state machine that
//!    turns one input into a list of [`node::Effect`]s.
//! 3. [`net`] — the network model: directed links, latency, loss, duplication, reordering.
//! 4. [`sim`] — the [`sim::Simulator`]: virtual time, a `(time, seq)`-ordered event queue, crash
//!    / pause / restart with explicit durable state, and checkers after every event.
//! 5. [`trace`] — what happened, as typed events with a stable text form.
//! 6. [`check`] — invariant checkers; [`raft::check`] for Raft's.
//! 7. [`raft`] — the first protocol.
//! 8. [`scenario`] and [`playground`] — the replayable scenario format and the protocol-agnostic
//!    facade the UI and the CLI use; [`chaos`] — randomized fault injection.
//!
//! Everything is deterministic: one `u64` seed and the user's timed actions reproduce a run
//! exactly, natively and in WebAssembly. No clocks, no OS randomness, no threads, no I/O.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod checkers;
pub mod kernel;
pub mod protocols;
pub mod run;

pub use kernel::control::Control;
pub use kernel::types::{MsgId, NodeId, Time};
pub use run::playground::{build, Playground};
pub use run::scenario::Scenario;
