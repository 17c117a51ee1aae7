//! # netsplit-core
//!
//! The deterministic heart of netsplit: a sans-I/O simulator of distributed protocols, the
//! protocols themselves, their checkers, and the drivers that run them (scenarios, time travel,
//! chaos, share links).
//!
//! Read it in this order:
//! 1. [`kernel`] — protocol-neutral machinery. Start with [`kernel::types`] (node ids, virtual
//!    time), then [`kernel::node`]: the contract every protocol implements — a [`kernel::node::Model`]
//!    naming its types, a [`kernel::node::Server`] and a [`kernel::node::Client`] actor that turn
//!    one input into a list of [`kernel::node::Effect`]s, joined by the [`kernel::node::Actor`]
//!    wrapper. Then [`kernel::net`] (links, latency, loss, duplication, reordering),
//!    [`kernel::sim`] (virtual time, the `(time, seq)` queue, crash / pause / restart with
//!    explicit durable state, checkers after every event), [`kernel::trace`],
//!    [`kernel::check`] and [`kernel::mutant`], [`kernel::view`] (what the page draws; roles are
//!    data) and [`kernel::harness`] (testing handlers by their exact effects).
//! 2. [`protocols`] — one folder per protocol and the one registry list
//!    ([`protocols::BUILTIN`]): [`protocols::raft`] (consensus), [`protocols::dynamo`]
//!    (leaderless replication with vector clocks), [`protocols::atomic_commit`] (2PC and 3PC).
//! 3. [`checkers`] — checkers shared by protocols: [`checkers::linearizability`].
//! 4. [`run`] — drivers for any registered protocol: [`run::registry`] (what a protocol tells
//!    the drivers), [`run::scenario`] (the one versioned scenario format),
//!    [`run::playground`] (the object-safe facade the page and the CLI use),
//!    [`run::timeline`], [`run::chaos`], [`run::gallery`], [`run::link`].
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
