//! Narrated tours: captions in the scenario format, the expectations they claim, and the
//! machinery that checks each claim against the run.
//!
//! A [`Caption`] fires at a virtual time (`at`) or at the first event matching an
//! [`EventMatch`] after the previous caption (`after`). It carries a short text in a small,
//! safe markdown subset ([`markdown::parse`] turns it into typed [`markdown::Span`]s — the page
//! renders spans, never HTML), an optional [`Highlight`], an optional pause and a list of
//! [`Expectation`]s: typed predicates over the state at that step, evaluated by
//! [`evaluate`](eval::evaluate) against the protocol-neutral [`crate::kernel::view::Snapshot`],
//! the typed trace and protocol answers to [`crate::kernel::probe::Probe`]s.
//!
//! [`runner::TourRunner`] plays a scenario caption by caption; [`runner::check_captions`]
//! runs a whole scenario and reports, per caption, when it fired and whether each
//! expectation was met (with a reason). [`challenge`] holds chapters (ordered tours per
//! protocol) and challenges (goals checked by the same expectations, with a solution replay).

pub mod challenge;
pub mod eval;
pub mod markdown;
pub mod runner;
mod validate;

use crate::kernel::probe::TxnState;
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::NodeStatus;
use serde::{Deserialize, Serialize};

pub use validate::{
    validate_against, validate_captions, validate_expectations, validate_expectations_against,
    CONTROL_TYPES,
};

/// Most captions a scenario may carry.
pub const MAX_CAPTIONS: usize = 200;
/// Longest caption text, in bytes.
pub const MAX_TEXT: usize = 2000;
/// Most expectations one caption (or challenge) may claim.
pub const MAX_EXPECT: usize = 32;
/// Longest name (message kind, role, key, checker, counter, transaction), in bytes.
pub const MAX_NAME: usize = 64;
/// Most nodes one list may name.
pub const MAX_LIST: usize = 16;
/// Deepest nesting of `not` / `any` / `held`.
pub const MAX_DEPTH: usize = 4;

/// One step of a narrated tour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caption {
    /// Fire at this virtual time (after every event due at it). Exactly one of `at` and
    /// `after` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Time>,
    /// Fire just after the first event matching this, counted from the previous caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<EventMatch>,
    /// What to say, in the safe markdown subset (`*emphasis*`, `**strong**`, `` `code` ``,
    /// `[text](https://…)`); no HTML.
    pub text: String,
    /// What to point at while this caption shows.
    #[serde(default, skip_serializing_if = "Highlight::is_empty")]
    pub highlight: Highlight,
    /// Pause the animation when this caption fires.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pause: bool,
    /// The claims the text makes, checked against the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<Expectation>,
}

impl Caption {
    /// A caption at time `at` saying `text`, with nothing highlighted or claimed.
    pub fn at(at: Time, text: impl Into<String>) -> Caption {
        Caption {
            at: Some(at),
            after: None,
            text: text.into(),
            highlight: Highlight::default(),
            pause: false,
            expect: Vec::new(),
        }
    }

    /// The caption's text as typed spans.
    pub fn spans(&self) -> Vec<markdown::Span> {
        markdown::parse(&self.text)
    }
}

/// What a caption points at. Every part is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Highlight {
    /// Nodes to ring.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeId>,
    /// A link between two nodes (either direction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<[NodeId; 2]>,
    /// A message kind, as the protocol's legend names it (`"AppendEntries"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A log index (1-based) in the log matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// A key of the replicated store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Highlight {
    /// Whether nothing is highlighted.
    pub fn is_empty(&self) -> bool {
        self == &Highlight::default()
    }
}

/// A pattern over one typed trace event. Absent fields match anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventMatch {
    /// A message left its sender.
    Send {
        /// Message kind (`"RequestVote"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        /// Sender.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<NodeId>,
        /// Receiver.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<NodeId>,
    },
    /// A message was handed to its receiver.
    Deliver {
        /// Message kind.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        /// Sender.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<NodeId>,
        /// Receiver.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<NodeId>,
    },
    /// A message was dropped (for any reason).
    Drop {
        /// Message kind.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        /// Sender.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<NodeId>,
        /// Receiver.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<NodeId>,
    },
    /// A node's role or term changed.
    Role {
        /// The node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// Its new role (`"leader"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        /// Its new term.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<u64>,
    },
    /// A user action was applied.
    Control {
        /// The action's `type` as in the action log (`"crash"`, `"heal_all"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        control: Option<String>,
    },
    /// A node answered (at a client: an operation returned to the user).
    Reply {
        /// The node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// Text the reply's trace line contains (`"failed"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contains: Option<String>,
    },
    /// A node (re)started.
    Start {
        /// The node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
    },
    /// A checker found a violation.
    Violation {
        /// The property (`"atomicity"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checker: Option<String>,
    },
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

/// A claim about the state of the run at one step: a typed predicate that
/// [`eval::evaluate`] decides, with a reason in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    /// Each of `nodes` is up in role `role` (and, if given, in term `term`).
    Role {
        /// The nodes.
        nodes: Vec<NodeId>,
        /// The role's name (`"follower"`).
        role: String,
        /// The term they are in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<u64>,
    },
    /// `node` is up, leads (a role drawn with a crown) and is in term `term`.
    Leads {
        /// The node.
        node: NodeId,
        /// The term.
        term: u64,
    },
    /// Each of `nodes` holds an entry at log index `index` with term `term`.
    LogTerm {
        /// 1-based index.
        index: u64,
        /// The entry's term.
        term: u64,
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Each of `nodes` has no entry at log index `index` (its log is shorter).
    LogShorter {
        /// 1-based index.
        index: u64,
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Each of `nodes` knows index `index` committed (its commit index is at least it).
    Committed {
        /// 1-based index.
        index: u64,
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Each of `nodes` has commit index exactly `index`.
    CommitIndex {
        /// The commit index.
        index: u64,
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Each of `nodes` (servers) holds exactly `values` for `key` (sorted; `[]`: absent;
    /// several: siblings).
    Value {
        /// The key.
        key: String,
        /// The values.
        values: Vec<String>,
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Client `client`'s latest completed read of `key` returned exactly `values`.
    Read {
        /// The client (`c1`).
        client: NodeId,
        /// The key.
        key: String,
        /// The values.
        values: Vec<String>,
    },
    /// Transaction `txn` is in state `state` at each of `nodes`.
    Txn {
        /// The transaction as the trace names it (`t1`).
        txn: String,
        /// Its state there.
        state: TxnState,
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Each of `nodes` is up, crashed or paused.
    Status {
        /// The nodes.
        nodes: Vec<NodeId>,
        /// The status.
        status: NodeStatus,
    },
    /// A violation of `checker` (of any property if absent) has (`present: true`) or has not
    /// been found so far.
    Violation {
        /// The property's name (`"state-machine-safety"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checker: Option<String>,
        /// Whether it must be present (default) or absent.
        #[serde(default = "yes")]
        present: bool,
    },
    /// Between `min` and `max` messages of kind `kind` are in flight (on the wire or waiting).
    InFlight {
        /// The kind.
        kind: String,
        /// At least this many (default 1).
        #[serde(default = "one")]
        min: usize,
        /// At most this many.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<usize>,
    },
    /// The protocol's coverage counter `name` has reached `min`.
    Counter {
        /// The counter (`"truncations"`).
        name: String,
        /// At least this (default 1).
        #[serde(default = "one")]
        min: usize,
    },
    /// At least `min` events so far match `event`.
    Happened {
        /// The pattern.
        event: EventMatch,
        /// At least this many (default 1).
        #[serde(default = "one")]
        min: usize,
    },
    /// Some term saw at least `min` nodes take role `role` and none take role `winner` (a
    /// split vote: two candidates, no leader).
    SplitTerm {
        /// The contending role (`"candidate"`).
        role: String,
        /// The role nobody reached (`"leader"`).
        winner: String,
        /// How many contenders (default 2).
        #[serde(default = "two")]
        min: usize,
    },
    /// `expect` has held without a break for at least `ms` virtual milliseconds (checked
    /// after every step of the run).
    Held {
        /// How long.
        ms: u64,
        /// What.
        expect: Box<Expectation>,
    },
    /// `expect` does not hold.
    Not {
        /// What.
        expect: Box<Expectation>,
    },
    /// At least one of `of` holds.
    Any {
        /// The alternatives.
        of: Vec<Expectation>,
    },
}

fn two() -> usize {
    2
}

impl Expectation {
    /// Whether this claim (or a part of it) needs watching over time ([`Expectation::Held`]).
    pub fn needs_history(&self) -> bool {
        match self {
            Expectation::Held { .. } => true,
            Expectation::Not { expect } => expect.needs_history(),
            Expectation::Any { of } => of.iter().any(Expectation::needs_history),
            _ => false,
        }
    }
}
