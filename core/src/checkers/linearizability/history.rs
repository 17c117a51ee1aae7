//! Histories: operations, results, events (invocation and return), the sequential
//! specification ([`apply`]), verdicts, and the validation of a history's shape.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

/// One operation on the key-value store. Every operation touches exactly one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Set `key` to `value`. Returns [`Outcome::Ok`].
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Read `key`. Returns [`Outcome::Value`] (`None` if the key is absent).
    Get {
        /// The key.
        key: String,
    },
    /// Compare-and-set: if `key` currently holds `expected` (`None` = absent), set it to `new`
    /// and return [`Outcome::CasOk`]; otherwise change nothing and return
    /// [`Outcome::CasFailed`] with the current value.
    Cas {
        /// The key.
        key: String,
        /// The value the key must hold for the swap to happen (`None` = absent).
        expected: Option<String>,
        /// The value to store if it does.
        new: String,
    },
    /// Remove `key` (a no-op if it is absent). Returns [`Outcome::Ok`].
    Delete {
        /// The key.
        key: String,
    },
}

impl Op {
    /// The key this operation touches.
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Get { key } | Op::Cas { key, .. } | Op::Delete { key } => key,
        }
    }

    /// The operation's short name: `"put"`, `"get"`, `"cas"` or `"delete"`.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Put { .. } => "put",
            Op::Get { .. } => "get",
            Op::Cas { .. } => "cas",
            Op::Delete { .. } => "delete",
        }
    }

    /// Whether `outcome` has the right shape for this operation (`put`/`delete` → `Ok`,
    /// `get` → `Value`, `cas` → `CasOk`/`CasFailed`). Says nothing about whether it is correct.
    pub fn fits(&self, outcome: &Outcome) -> bool {
        matches!(
            (self, outcome),
            (Op::Put { .. } | Op::Delete { .. }, Outcome::Ok)
                | (Op::Get { .. }, Outcome::Value(_))
                | (Op::Cas { .. }, Outcome::CasOk | Outcome::CasFailed { .. })
        )
    }
}

/// Writes an optional value the way reports show it: `"a"` or `none`.
fn show_value(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "none".to_string(),
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Put { key, value } => write!(f, "put({key:?}, {value:?})"),
            Op::Get { key } => write!(f, "get({key:?})"),
            Op::Cas { key, expected, new } => {
                write!(f, "cas({key:?}, {} → {new:?})", show_value(expected))
            }
            Op::Delete { key } => write!(f, "delete({key:?})"),
        }
    }
}

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A `put` or `delete` was applied.
    Ok,
    /// A `get` read this value (`None` = the key was absent).
    Value(Option<String>),
    /// A `cas` found the expected value and swapped in the new one.
    CasOk,
    /// A `cas` found a different value and changed nothing.
    CasFailed {
        /// The value it found (`None` = absent).
        current: Option<String>,
    },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok | Outcome::CasOk => write!(f, "ok"),
            Outcome::Value(value) => write!(f, "{}", show_value(value)),
            Outcome::CasFailed { current } => write!(f, "failed, found {}", show_value(current)),
        }
    }
}

/// One entry of a client history: an operation, when it was invoked and what came back.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// The client that issued the operation (for reports; the checker does not need it).
    pub client: u32,
    /// The operation.
    pub op: Op,
    /// When the client invoked it (virtual ms).
    pub invoked_at: u64,
    /// When the answer arrived and what it was; `None` if the client never heard back (the
    /// operation is *indeterminate*: it may take effect at any time after `invoked_at`, or never).
    pub returned: Option<(u64, Outcome)>,
    /// For an indeterminate operation: a time by which it took effect if it ever does (it may
    /// still never take effect). A protocol that serves each client's requests in order and at
    /// most once knows one — a later request of the same client completed then, so this one can
    /// no longer apply. `None`: it may take effect arbitrarily late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u64>,
}

impl Event {
    /// An operation that returned `outcome` at `returned_at`.
    pub fn completed(
        client: u32,
        op: Op,
        invoked_at: u64,
        returned_at: u64,
        outcome: Outcome,
    ) -> Event {
        Event {
            client,
            op,
            invoked_at,
            returned: Some((returned_at, outcome)),
            deadline: None,
        }
    }

    /// An operation whose client never heard back (timed out, or the history ended first).
    pub fn indeterminate(client: u32, op: Op, invoked_at: u64) -> Event {
        Event {
            client,
            op,
            invoked_at,
            returned: None,
            deadline: None,
        }
    }

    /// An indeterminate operation that, if it took effect at all, did so by `deadline`.
    pub fn indeterminate_until(client: u32, op: Op, invoked_at: u64, deadline: u64) -> Event {
        Event {
            deadline: Some(deadline),
            ..Event::indeterminate(client, op, invoked_at)
        }
    }

    /// Whether this operation precedes `other` in real time: it returned strictly before
    /// `other` was invoked. An indeterminate operation with a deadline precedes what was
    /// invoked after its deadline *if it takes effect at all*; without one it precedes nothing.
    pub fn precedes(&self, other: &Event) -> bool {
        match (&self.returned, self.deadline) {
            (Some((at, _)), _) => *at < other.invoked_at,
            (None, Some(deadline)) => deadline < other.invoked_at,
            (None, None) => false,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.returned {
            Some((at, outcome)) => write!(
                f,
                "client {}: {} → {} [{}, {}]",
                self.client, self.op, outcome, self.invoked_at, at
            ),
            None => match self.deadline {
                Some(deadline) => write!(
                    f,
                    "client {}: {} → ? [{}, ≤{deadline}]",
                    self.client, self.op, self.invoked_at
                ),
                None => write!(
                    f,
                    "client {}: {} → ? [{}, …)",
                    self.client, self.op, self.invoked_at
                ),
            },
        }
    }
}

/// The sequential specification: applies `op` to a plain map (absent key = no entry) and
/// returns what a single, non-replicated key-value store would answer.
///
/// The fast checker uses an equivalent, compiled form of this model; [`brute_force`](super::brute_force) uses this
/// one directly. A state machine under test can also be compared against it.
pub fn apply(store: &mut BTreeMap<String, String>, op: &Op) -> Outcome {
    match op {
        Op::Put { key, value } => {
            put(store, key, value);
            Outcome::Ok
        }
        Op::Get { key } => Outcome::Value(store.get(key).cloned()),
        Op::Cas { key, expected, new } => {
            let current = store.get(key).cloned();
            if current == *expected {
                put(store, key, new);
                Outcome::CasOk
            } else {
                Outcome::CasFailed { current }
            }
        }
        Op::Delete { key } => {
            store.remove(key);
            Outcome::Ok
        }
    }
}

/// Set `key` to `value`, overwriting an existing value in place (its buffer is reused, and the
/// key is not copied again): what a replica does for every applied write, so it stays cheap.
fn put(store: &mut BTreeMap<String, String>, key: &str, value: &str) {
    match store.get_mut(key) {
        Some(old) => {
            old.clear();
            old.push_str(value);
        }
        None => {
            store.insert(key.to_owned(), value.to_owned());
        }
    }
}

/// The answer of [`check`](super::check).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Some order of the operations, consistent with real time, explains every result.
    Linearizable,
    /// No such order exists for the operations on `key`.
    NotLinearizable {
        /// The first key (in sorted order) whose sub-history is not linearizable.
        key: String,
        /// Indices into the history (ascending) of an offending set of operations: every
        /// operation on `key` invoked up to the moment the sub-history became impossible
        /// (leaving out indeterminate operations that cannot matter). This set on its own is
        /// already not linearizable.
        ops: Vec<usize>,
        /// What went wrong, in plain words, naming the result that cannot be explained.
        reason: String,
    },
    /// Some key's search ran out of its step budget before reaching a verdict (and no other
    /// key was found to be non-linearizable).
    Unknown {
        /// Total steps spent, summed over all keys.
        steps: u64,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => write!(f, "linearizable"),
            Verdict::NotLinearizable { key, ops, reason } => {
                let list: Vec<String> = ops.iter().map(|i| i.to_string()).collect();
                write!(
                    f,
                    "not linearizable on key {key:?} (ops {}): {reason}",
                    list.join(", ")
                )
            }
            Verdict::Unknown { steps } => {
                write!(f, "unknown: the step budget ran out after {steps} steps")
            }
        }
    }
}

/// Why a history was refused before checking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryError {
    /// Index of the offending entry in the history.
    pub index: usize,
    /// What is wrong with it.
    pub problem: HistoryProblem,
}

/// The ways a history entry can be malformed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum HistoryProblem {
    /// The operation returned before it was invoked.
    ReturnedBeforeInvoked {
        /// Invocation time.
        invoked_at: u64,
        /// Return time (earlier).
        returned_at: u64,
    },
    /// The result does not have the shape of the operation (e.g. a `put` that returned a value).
    OutcomeDoesNotFit {
        /// The operation's name ([`Op::name`]).
        op: &'static str,
        /// The result, as text.
        outcome: String,
    },
    /// A completed operation was given a deadline (only indeterminate ones have one).
    DeadlineOnCompleted,
    /// An indeterminate operation's deadline comes before its invocation.
    DeadlineBeforeInvoked {
        /// Invocation time.
        invoked_at: u64,
        /// Deadline (earlier).
        deadline: u64,
    },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            HistoryProblem::ReturnedBeforeInvoked {
                invoked_at,
                returned_at,
            } => write!(
                f,
                "history entry {}: returned at t={returned_at}, before it was invoked at t={invoked_at}",
                self.index
            ),
            HistoryProblem::OutcomeDoesNotFit { op, outcome } => write!(
                f,
                "history entry {}: a {op} cannot return \"{outcome}\"",
                self.index
            ),
            HistoryProblem::DeadlineOnCompleted => write!(
                f,
                "history entry {}: a completed operation has a deadline",
                self.index
            ),
            HistoryProblem::DeadlineBeforeInvoked {
                invoked_at,
                deadline,
            } => write!(
                f,
                "history entry {}: its deadline t={deadline} comes before it was invoked at t={invoked_at}",
                self.index
            ),
        }
    }
}

impl std::error::Error for HistoryError {}

/// Checks every entry of `history` for [`HistoryProblem`]s; the first one found is returned.
pub(super) fn validate<E: Borrow<Event>>(history: &[E]) -> Result<(), HistoryError> {
    for (index, event) in history.iter().enumerate() {
        validate_one(index, event.borrow())?;
    }
    Ok(())
}

/// Checks entry `index` of a history, `event`, for [`HistoryProblem`]s.
pub(super) fn validate_one(index: usize, event: &Event) -> Result<(), HistoryError> {
    if let Some(deadline) = event.deadline {
        let problem = if event.returned.is_some() {
            Some(HistoryProblem::DeadlineOnCompleted)
        } else if deadline < event.invoked_at {
            Some(HistoryProblem::DeadlineBeforeInvoked {
                invoked_at: event.invoked_at,
                deadline,
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(HistoryError { index, problem });
        }
    }
    if let Some((returned_at, outcome)) = &event.returned {
        if *returned_at < event.invoked_at {
            return Err(HistoryError {
                index,
                problem: HistoryProblem::ReturnedBeforeInvoked {
                    invoked_at: event.invoked_at,
                    returned_at: *returned_at,
                },
            });
        }
        if !event.op.fits(outcome) {
            return Err(HistoryError {
                index,
                problem: HistoryProblem::OutcomeDoesNotFit {
                    op: event.op.name(),
                    outcome: outcome.to_string(),
                },
            });
        }
    }
    Ok(())
}
