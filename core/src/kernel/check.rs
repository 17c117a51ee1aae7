//! Invariant checking: god's-eye observers that run after every simulated event.
//!
//! A checker sees the node that just handled an event (with state no other node can see) and
//! keeps whatever history it needs — across crashes and restarts — to decide whether a safety
//! property still holds. It never panics: it reports a typed [`Violation`] that the simulator
//! records in the trace, and the run goes on so the UI can show what happened next.

use crate::kernel::node::{Actor, Model};
use crate::kernel::types::{NodeId, Time};
use serde::Serialize;
use std::fmt;

/// Static description of one property a checker enforces (for badges and reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CheckerInfo {
    /// Stable kebab-case name, e.g. `"election-safety"`.
    pub name: &'static str,
    /// Where the property comes from (paper, section, figure).
    pub source: &'static str,
    /// One sentence saying what must hold.
    pub summary: &'static str,
}

/// A property that stopped holding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Virtual time at which it was detected.
    pub at: Time,
    /// Index (0-based) of the event after which it was detected.
    pub event: u64,
    /// Name of the violated property ([`CheckerInfo::name`]).
    pub checker: &'static str,
    /// The node whose state exposed it, if one did.
    pub node: Option<NodeId>,
    /// What exactly went wrong, in plain words.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.checker, self.detail)
    }
}

/// A finding of a checker before the simulator stamps it with time and event index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Violated property.
    pub checker: &'static str,
    /// Node concerned.
    pub node: Option<NodeId>,
    /// Explanation.
    pub detail: String,
}

/// The bundle of invariant checkers of one protocol.
pub trait Checker<M: Model>: Clone + fmt::Debug + Default {
    /// The properties this bundle checks.
    fn properties() -> &'static [CheckerInfo];

    /// Called after node `id` (a server or a client) handled an event (including its start or
    /// restart), with its state. Push a [`Finding`] for every property that no longer holds.
    fn observe(&mut self, now: Time, id: NodeId, node: &Actor<M>, findings: &mut Vec<Finding>);

    /// Checks that could not decide (a search that ran out of its budget), per property: the
    /// property is neither confirmed nor refused there, and the page says so instead of a ✓.
    fn undecided(&self) -> Vec<Undecided> {
        Vec::new()
    }
}

/// A property some of whose checks could not decide (see [`Checker::undecided`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Undecided {
    /// The property's checker name.
    pub checker: &'static str,
    /// How many checks ran out of budget so far.
    pub checks: u64,
}
