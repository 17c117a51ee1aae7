//! Linearizability checking for key-value histories.
//!
//! A *history* is what the clients of a replicated key-value store saw: for every operation,
//! who invoked it, when, and — if an answer ever came back — when and with what result. The
//! store is *linearizable* if every operation appears to take effect atomically at one instant
//! between its invocation and its return, so that the results are exactly those of a single,
//! sequential key-value map (the *sequential specification*, [`apply`]).
//!
//! Two details make real histories harder than textbook ones:
//!
//! * **Real-time order.** Operation A *precedes* B iff A returned strictly before B was invoked.
//!   A linearization must respect that order; operations that overlap in time may be ordered
//!   either way.
//! * **Indeterminate operations.** A client that timed out never learns whether its operation
//!   happened. Such an operation ([`Event::returned`] is `None`) may have taken effect at any
//!   instant after its invocation — even long after every other operation — or never. The
//!   checker treats it as optional: a history is linearizable if *some* subset of its
//!   indeterminate operations, together with all completed ones, can be ordered.
//!
//! ## How [`check`] works
//!
//! 1. **Validate** the history ([`HistoryError`]): no operation returns before it was invoked,
//!    and every result has the shape of its operation (a `get` returns a value, …).
//! 2. **Split per key.** Every operation touches exactly one key, and linearizability is
//!    *compositional* (Herlihy & Wing's locality; Horn & Kroening's P-compositionality): the
//!    whole history is linearizable iff each key's sub-history is. Small independent problems
//!    are exponentially cheaper than one big one.
//! 3. **Search each key** with Wing & Gong's backtracking algorithm plus Lowe's memoization —
//!    the algorithm behind Porcupine. The operations are laid out as a doubly linked list of
//!    call and return entries sorted by time. Any call that comes before the first remaining
//!    return is *minimal* in real-time order and may be linearized next if the model's output
//!    matches its recorded result; it is then unlinked together with its return ("lifted") and
//!    the search goes on. When no candidate fits, the last choice is undone. A cache of
//!    `(set of linearized operations, model state)` pairs already explored prunes the search:
//!    two paths that linearized the same operations and reached the same state have the same
//!    future. The search succeeds as soon as every *completed* operation is linearized
//!    (indeterminate ones left over are simply dropped).
//!
//!    Two sound reductions keep it fast on realistic histories, and the oracle tests check
//!    both: indeterminate operations that cannot explain anything (ones that never change the
//!    state, and writes of values nobody ever observes) are removed up front, since each one
//!    left in doubles the search space from its invocation on; and a completed read-only
//!    operation (a `get`, a failed `cas`) whose result matches the current state is linearized
//!    at once without branching, since reads commute with everything that keeps the state.
//! 4. **Report.** Checking linearizability is NP-complete, so each key gets a step *budget*;
//!    a key that exhausts it makes the verdict [`Verdict::Unknown`] rather than hanging. For a
//!    violation, the checker narrows the evidence to the shortest prefix (in time) of that
//!    key's history that is already impossible and names the result that breaks it.
//!
//! [`brute_force`] is the slow, obviously-correct oracle the fast checker is tested against.
//!
//! ```
//! use netsplit_core::checkers::linearizability::{check, Event, Op, Outcome, Verdict};
//!
//! let put = Op::Put { key: "x".into(), value: "a".into() };
//! let get = Op::Get { key: "x".into() };
//! // Client 1 writes "a" (0–10 ms); later, client 2 still reads nothing: a stale read.
//! let history = vec![
//!     Event::completed(1, put, 0, 10, Outcome::Ok),
//!     Event::completed(2, get, 20, 30, Outcome::Value(None)),
//! ];
//! match check(&history, 10_000) {
//!     Ok(Verdict::NotLinearizable { key, ops, .. }) => {
//!         assert_eq!(key, "x");
//!         assert_eq!(ops, vec![0, 1]);
//!     }
//!     other => panic!("expected a violation, got {other:?}"),
//! }
//! ```

use serde::{Deserialize, Serialize};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::hash::BuildHasherDefault;

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
        }
    }

    /// An operation whose client never heard back (timed out, or the history ended first).
    pub fn indeterminate(client: u32, op: Op, invoked_at: u64) -> Event {
        Event {
            client,
            op,
            invoked_at,
            returned: None,
        }
    }

    /// Whether this operation precedes `other` in real time: it returned strictly before
    /// `other` was invoked. Indeterminate operations precede nothing.
    pub fn precedes(&self, other: &Event) -> bool {
        matches!(self.returned, Some((at, _)) if at < other.invoked_at)
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
            None => write!(
                f,
                "client {}: {} → ? [{}, …)",
                self.client, self.op, self.invoked_at
            ),
        }
    }
}

/// The sequential specification: applies `op` to a plain map (absent key = no entry) and
/// returns what a single, non-replicated key-value store would answer.
///
/// The fast checker uses an equivalent, compiled form of this model; [`brute_force`] uses this
/// one directly. A state machine under test can also be compared against it.
pub fn apply(store: &mut BTreeMap<String, String>, op: &Op) -> Outcome {
    match op {
        Op::Put { key, value } => {
            store.insert(key.clone(), value.clone());
            Outcome::Ok
        }
        Op::Get { key } => Outcome::Value(store.get(key).cloned()),
        Op::Cas { key, expected, new } => {
            let current = store.get(key).cloned();
            if current == *expected {
                store.insert(key.clone(), new.clone());
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

/// The answer of [`check`].
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
        }
    }
}

impl std::error::Error for HistoryError {}

/// Checks every entry of `history` for [`HistoryProblem`]s; the first one found is returned.
fn validate(history: &[Event]) -> Result<(), HistoryError> {
    for (index, event) in history.iter().enumerate() {
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
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The fast checker.
// ---------------------------------------------------------------------------------------------

/// The model state of one key: `0` = absent, otherwise the id of an interned value.
type State = u32;

/// An operation on one key, with its values interned.
#[derive(Clone, Copy, Debug)]
enum Action {
    Put(State),
    Delete,
    Get,
    Cas { expected: State, new: State },
}

/// The result an operation must produce (`Any` for indeterminate operations).
#[derive(Clone, Copy, Debug)]
enum Expect {
    Any,
    Ok,
    Value(State),
    CasOk,
    CasFailed(State),
}

/// One operation of a key's sub-history, compiled for the search.
#[derive(Clone, Copy, Debug)]
struct KeyOp {
    /// Index in the full history.
    index: usize,
    invoked_at: u64,
    /// `None` for indeterminate operations.
    returned_at: Option<u64>,
    action: Action,
    expect: Expect,
}

/// Applies `action` in `state`; returns the next state if the output matches `expect`.
fn step(state: State, action: Action, expect: Expect) -> Option<State> {
    let ok = |next: State| match expect {
        Expect::Any | Expect::Ok => Some(next),
        _ => None,
    };
    match action {
        Action::Put(value) => ok(value),
        Action::Delete => ok(0),
        Action::Get => match expect {
            Expect::Any => Some(state),
            Expect::Value(seen) if seen == state => Some(state),
            _ => None,
        },
        Action::Cas { expected, new } if expected == state => match expect {
            Expect::Any | Expect::CasOk => Some(new),
            _ => None,
        },
        Action::Cas { .. } => match expect {
            Expect::Any => Some(state),
            Expect::CasFailed(found) if found == state => Some(state),
            _ => None,
        },
    }
}

/// Gives every distinct value of one key a small number (`0` is reserved for "absent").
#[derive(Default)]
struct Interner<'a> {
    ids: BTreeMap<&'a str, State>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, value: &'a str) -> State {
        let next = State::try_from(self.ids.len() + 1).unwrap_or(State::MAX);
        *self.ids.entry(value).or_insert(next)
    }

    fn optional(&mut self, value: &'a Option<String>) -> State {
        value.as_deref().map_or(0, |v| self.id(v))
    }
}

/// Compiles the operations `indices` (all on one key) of a validated history.
fn compile(history: &[Event], indices: &[usize]) -> Vec<KeyOp> {
    let mut values = Interner::default();
    let mut ops = Vec::with_capacity(indices.len());
    for &index in indices {
        let Some(event) = history.get(index) else {
            continue;
        };
        let action = match &event.op {
            Op::Put { value, .. } => Action::Put(values.id(value)),
            Op::Delete { .. } => Action::Delete,
            Op::Get { .. } => Action::Get,
            Op::Cas { expected, new, .. } => Action::Cas {
                expected: values.optional(expected),
                new: values.id(new),
            },
        };
        let expect = match &event.returned {
            None => Expect::Any,
            Some((_, Outcome::Ok)) => Expect::Ok,
            Some((_, Outcome::Value(value))) => Expect::Value(values.optional(value)),
            Some((_, Outcome::CasOk)) => Expect::CasOk,
            Some((_, Outcome::CasFailed { current })) => {
                Expect::CasFailed(values.optional(current))
            }
        };
        ops.push(KeyOp {
            index,
            invoked_at: event.invoked_at,
            returned_at: event.returned.as_ref().map(|(at, _)| *at),
            action,
            expect,
        });
    }
    drop_irrelevant(&mut ops);
    ops
}

/// Whether `op` leaves the state unchanged whatever the state is (a read, a failed cas, or a
/// cas that would swap a value for itself).
fn read_only(op: &KeyOp) -> bool {
    match (op.action, op.expect) {
        (Action::Get, _) | (Action::Cas { .. }, Expect::CasFailed(_)) => true,
        (Action::Cas { expected, new }, _) => expected == new,
        _ => false,
    }
}

/// Removes indeterminate operations that can never help explain a result, so that they do not
/// multiply the search space (every indeterminate operation stays a candidate forever):
///
/// * those that never change the state (an indeterminate `get`, a `cas` of a value for itself):
///   leaving one out of any linearization changes nothing;
/// * writes of an *unobservable* value — one that no operation reads, reports as found or
///   expects. From such a state only writes can follow with a matching result, so replacing
///   the write by "never happened" (and dropping the indeterminate no-ops that ran in that
///   state) turns any linearization into one without it. Clients writing unique values that
///   nobody reads before they time out is the common case this keeps cheap.
fn drop_irrelevant(ops: &mut Vec<KeyOp>) {
    let mut observable: BTreeSet<State> = BTreeSet::new();
    for op in ops.iter() {
        if let Action::Cas { expected, .. } = op.action {
            observable.insert(expected);
        }
        if let Expect::Value(seen) | Expect::CasFailed(seen) = op.expect {
            observable.insert(seen);
        }
    }
    ops.retain(|op| {
        if op.returned_at.is_some() {
            return true;
        }
        let writes = match op.action {
            Action::Put(value) | Action::Cas { new: value, .. } => Some(value),
            Action::Delete | Action::Get => None,
        };
        !read_only(op) && writes.is_none_or(|value| observable.contains(&value))
    });
}

/// Result of searching one key's sub-history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Search {
    Linearizable,
    NotLinearizable,
    OutOfBudget,
}

/// A deterministic hasher for the memo cache (no per-process random keys). The cache is only
/// ever queried, never iterated, so its order cannot leak into results.
type Memo = HashSet<Vec<u64>, BuildHasherDefault<DefaultHasher>>;

/// Wing & Gong's search with Lowe's memoization over one key's operations.
///
/// `steps` counts attempted linearizations (one per candidate tried against the model, forced
/// ones included) and is shared by every search of the same key; the search gives up once it
/// reaches `budget`.
fn search(ops: &[KeyOp], budget: u64, steps: &mut u64) -> Search {
    let n = ops.len();
    let mut remaining = ops.iter().filter(|o| o.returned_at.is_some()).count();
    if remaining == 0 {
        return Search::Linearizable;
    }

    // The entry list: calls and returns sorted by time, calls before returns at equal times
    // (operations that touch at one instant overlap), indeterminate returns at the very end.
    let mut order: Vec<(u128, u8, usize)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        order.push((u128::from(op.invoked_at), 0, i));
        order.push((op.returned_at.map_or(u128::MAX, u128::from), 1, i));
    }
    order.sort_unstable();

    // Entries are numbered 1..=2n; 0 is the head sentinel and 2n + 1 the tail sentinel.
    const HEAD: usize = 0;
    let tail = 2 * n + 1;
    let mut next: Vec<usize> = (1..=tail + 1).collect();
    let mut prev: Vec<usize> = (0..=tail).map(|e| e.saturating_sub(1)).collect();
    let mut op_of = vec![0usize; tail + 1];
    let mut is_call = vec![false; tail + 1];
    let mut call_entry = vec![0usize; n];
    let mut return_entry = vec![0usize; n];
    for (position, &(_, kind, i)) in order.iter().enumerate() {
        let entry = position + 1;
        op_of[entry] = i;
        if kind == 0 {
            is_call[entry] = true;
            call_entry[i] = entry;
        } else {
            return_entry[i] = entry;
        }
    }

    // Unlinks an operation's call and return entries; `unlift` undoes it (dancing links: the
    // removed entries keep their own pointers, so re-inserting in reverse order restores them).
    let lift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, i: usize| {
        for entry in [call_entry[i], return_entry[i]] {
            let (p, q) = (prev[entry], next[entry]);
            next[p] = q;
            prev[q] = p;
        }
    };
    let unlift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, i: usize| {
        for entry in [return_entry[i], call_entry[i]] {
            let (p, q) = (prev[entry], next[entry]);
            next[p] = entry;
            prev[q] = entry;
        }
    };

    // Completed operations that never change the state: see `forced` below.
    let forced_ok: Vec<bool> = ops
        .iter()
        .map(|op| op.returned_at.is_some() && read_only(op))
        .collect();

    // The linearized set as a bitset, followed by one scratch word holding a model state, so
    // that `bits` itself is the memo key `(linearized set, state)`.
    let words = n.div_ceil(64);
    let mut bits = vec![0u64; words + 1];
    let mut memo = Memo::default();
    // The choices made so far: (operation, state before it, forced).
    let mut stack: Vec<(usize, State, bool)> = Vec::new();
    let mut state: State = 0;
    // Set whenever a new configuration is reached.
    let mut arrived = true;
    let mut entry = next[HEAD];

    while remaining > 0 {
        if arrived {
            arrived = false;
            entry = next[HEAD];
            // Partial-order reduction: if a candidate never changes the state and its result
            // matches now, some successful continuation (if there is any) linearizes it next —
            // moving it to the front of any successful continuation changes no other result,
            // and nothing unlinearized precedes it. So take it without branching; if that
            // fails, this whole configuration fails.
            let mut candidate = next[HEAD];
            let mut forced = None;
            while candidate != tail && is_call[candidate] {
                let i = op_of[candidate];
                if forced_ok[i] && step(state, ops[i].action, ops[i].expect).is_some() {
                    forced = Some(i);
                    break;
                }
                candidate = next[candidate];
            }
            if let Some(i) = forced {
                if *steps >= budget {
                    return Search::OutOfBudget;
                }
                *steps += 1;
                bits[i / 64] |= 1u64 << (i % 64);
                bits[words] = u64::from(state);
                if memo.contains(bits.as_slice()) {
                    bits[i / 64] &= !(1u64 << (i % 64));
                    entry = tail; // known dead end: backtrack
                } else {
                    memo.insert(bits.clone());
                    stack.push((i, state, true));
                    remaining -= 1;
                    lift(&mut next, &mut prev, i);
                    arrived = true;
                    continue;
                }
            }
        }
        if entry != tail && is_call[entry] {
            // A minimal operation: try to linearize it now.
            if *steps >= budget {
                return Search::OutOfBudget;
            }
            *steps += 1;
            let i = op_of[entry];
            let op = &ops[i];
            let (word, mask) = (i / 64, 1u64 << (i % 64));
            if let Some(after) = step(state, op.action, op.expect) {
                bits[word] |= mask;
                bits[words] = u64::from(after);
                if memo.contains(bits.as_slice()) {
                    // Been here before, via another order: nothing new to find.
                    bits[word] &= !mask;
                    entry = next[entry];
                } else {
                    memo.insert(bits.clone());
                    stack.push((i, state, false));
                    state = after;
                    if op.returned_at.is_some() {
                        remaining -= 1;
                    }
                    lift(&mut next, &mut prev, i);
                    arrived = true;
                }
            } else {
                entry = next[entry];
            }
        } else {
            // Reached the first pending return: no remaining candidate fits. Backtrack.
            let Some((i, before, forced)) = stack.pop() else {
                return Search::NotLinearizable;
            };
            state = before;
            bits[i / 64] &= !(1u64 << (i % 64));
            if ops[i].returned_at.is_some() {
                remaining += 1;
            }
            unlift(&mut next, &mut prev, i);
            // A forced choice had no alternatives: keep backtracking.
            entry = if forced { tail } else { next[call_entry[i]] };
        }
    }
    Search::Linearizable
}

/// The sub-history as seen at time `t`: operations invoked by `t`, where those that had not
/// returned by `t` become indeterminate. If a history is linearizable, so is every such cut,
/// which makes "the cut at `t` is not linearizable" monotone in `t`.
fn cut_at(ops: &[KeyOp], t: u64) -> Vec<KeyOp> {
    ops.iter()
        .filter(|op| op.invoked_at <= t)
        .map(|op| match op.returned_at {
            Some(at) if at > t => KeyOp {
                returned_at: None,
                expect: Expect::Any,
                ..*op
            },
            _ => *op,
        })
        .collect()
}

/// For a key known not to be linearizable: binary-searches the earliest return time `t` whose
/// cut is already impossible and explains the violation. Spends from the same `budget`; if it
/// runs out, reports the smallest failing cut found so far.
fn explain(
    history: &[Event],
    key: &str,
    ops: &[KeyOp],
    budget: u64,
    steps: &mut u64,
) -> (Vec<usize>, String) {
    let mut times: Vec<u64> = ops.iter().filter_map(|op| op.returned_at).collect();
    times.sort_unstable();
    times.dedup();
    // The cut at the last return is as impossible as the whole sub-history: what it leaves
    // out is only indeterminate operations invoked after every completed one.
    let (mut lo, mut hi) = (0, times.len().saturating_sub(1));
    let mut exact = true;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match search(&cut_at(ops, times[mid]), budget, steps) {
            Search::NotLinearizable => hi = mid,
            Search::Linearizable => lo = mid + 1,
            Search::OutOfBudget => {
                exact = false;
                break;
            }
        }
    }
    let Some(&t) = times.get(hi) else {
        let all = ops.iter().map(|op| op.index).collect();
        return (
            all,
            format!("the operations on key {key:?} have no linearization"),
        );
    };
    let offending: Vec<usize> = ops
        .iter()
        .filter(|op| op.invoked_at <= t)
        .map(|op| op.index)
        .collect();
    let claim = format!(
        "no order of the {} operations on key {key:?} invoked by t={t} that respects real time \
         matches a sequential key-value store",
        offending.len()
    );
    let reason = if exact {
        let culprits: Vec<String> = ops
            .iter()
            .filter(|op| op.returned_at == Some(t))
            .filter_map(|op| {
                history
                    .get(op.index)
                    .map(|e| format!("op {} ({e})", op.index))
            })
            .collect();
        let subject = if culprits.len() == 1 {
            format!("the result of {} cannot be explained", culprits.join(""))
        } else {
            format!(
                "the results of {} cannot all be explained",
                culprits.join(" and ")
            )
        };
        match hi.checked_sub(1).and_then(|before| times.get(before)) {
            Some(earlier) => {
                format!("{subject}: {claim}, while the history up to t={earlier} still does")
            }
            None => format!("{subject}: {claim}"),
        }
    } else {
        format!("{claim} (the step budget ran out before the set could be narrowed further)")
    };
    (offending, reason)
}

/// Checks whether `history` is linearizable with respect to the key-value specification
/// ([`apply`]).
///
/// `budget` bounds the work **per key**: each key's search may attempt at most `budget`
/// linearizations (the model is asked whether a candidate operation fits the current state),
/// including the extra searches that narrow down a violation. A key that runs out does not stop
/// the others from being checked, so a violation elsewhere is still found; total work is at most
/// `budget` times the number of keys. The memo cache gains at most one entry per step (a
/// bitset of the key's operations plus a state word: about 100 bytes for a few hundred
/// operations), so the budget bounds memory too — 1,000,000 steps stay under about 100 MB.
///
/// The verdict is [`Verdict::NotLinearizable`] for the first key (in sorted order) that is not
/// linearizable, else [`Verdict::Unknown`] if any key ran out of budget, else
/// [`Verdict::Linearizable`]. Malformed histories are refused with a [`HistoryError`].
///
/// The history may list its entries in any order; verdicts refer to entries by their index.
pub fn check(history: &[Event], budget: u64) -> Result<Verdict, HistoryError> {
    validate(history)?;
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, event) in history.iter().enumerate() {
        by_key.entry(event.op.key()).or_default().push(index);
    }
    let mut total_steps: u64 = 0;
    let mut out_of_budget = false;
    for (key, indices) in &by_key {
        let ops = compile(history, indices);
        let mut steps = 0;
        match search(&ops, budget, &mut steps) {
            Search::Linearizable => {}
            Search::OutOfBudget => out_of_budget = true,
            Search::NotLinearizable => {
                let (ops, reason) = explain(history, key, &ops, budget, &mut steps);
                return Ok(Verdict::NotLinearizable {
                    key: (*key).to_string(),
                    ops,
                    reason,
                });
            }
        }
        total_steps = total_steps.saturating_add(steps);
    }
    Ok(if out_of_budget {
        Verdict::Unknown { steps: total_steps }
    } else {
        Verdict::Linearizable
    })
}

// ---------------------------------------------------------------------------------------------
// The oracle.
// ---------------------------------------------------------------------------------------------

/// Test oracle: decides linearizability by exhaustive enumeration, straight from the
/// definition. Exponential — use only on tiny histories (up to about 7 operations).
///
/// For every subset of the indeterminate operations, it tries every order of that subset plus
/// all completed operations in which no operation comes after one it precedes in real time,
/// running the whole (multi-key) history through [`apply`] and comparing each completed
/// operation's result. No per-key splitting, no memoization: it shares as little as possible
/// with [`check`], so that agreement between the two means something.
///
/// It expects a history that [`check`] would accept; for a malformed one the answer is
/// meaningless (but it does not panic).
pub fn brute_force(history: &[Event]) -> bool {
    let indeterminate: Vec<usize> = (0..history.len())
        .filter(|&i| history[i].returned.is_none())
        .collect();
    let mut chosen: Vec<usize> = (0..history.len())
        .filter(|&i| history[i].returned.is_some())
        .collect();
    with_subsets(history, &indeterminate, &mut chosen)
}

/// Tries every subset of `optional` added to `chosen`.
fn with_subsets(history: &[Event], optional: &[usize], chosen: &mut Vec<usize>) -> bool {
    let Some((&first, rest)) = optional.split_first() else {
        let mut remaining = chosen.clone();
        return some_order(history, &mut remaining, &BTreeMap::new());
    };
    chosen.push(first);
    let with = with_subsets(history, rest, chosen);
    chosen.pop();
    with || with_subsets(history, rest, chosen)
}

/// Whether the operations `remaining` can follow the state `store` in some real-time-respecting
/// order that reproduces every recorded result.
fn some_order(
    history: &[Event],
    remaining: &mut Vec<usize>,
    store: &BTreeMap<String, String>,
) -> bool {
    if remaining.is_empty() {
        return true;
    }
    for position in 0..remaining.len() {
        let candidate = remaining[position];
        let event = &history[candidate];
        // It can go next only if nothing still to be placed precedes it.
        if remaining
            .iter()
            .any(|&other| history[other].precedes(event))
        {
            continue;
        }
        let mut after = store.clone();
        let outcome = apply(&mut after, &event.op);
        if let Some((_, recorded)) = &event.returned {
            if *recorded != outcome {
                continue;
            }
        }
        remaining.remove(position);
        let found = some_order(history, remaining, &after);
        remaining.insert(position, candidate);
        if found {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: u64 = 100_000;

    fn put(client: u32, key: &str, value: &str, from: u64, to: u64) -> Event {
        let op = Op::Put {
            key: key.into(),
            value: value.into(),
        };
        Event::completed(client, op, from, to, Outcome::Ok)
    }

    fn put_lost(client: u32, key: &str, value: &str, from: u64) -> Event {
        let op = Op::Put {
            key: key.into(),
            value: value.into(),
        };
        Event::indeterminate(client, op, from)
    }

    fn get(client: u32, key: &str, seen: Option<&str>, from: u64, to: u64) -> Event {
        let op = Op::Get { key: key.into() };
        let outcome = Outcome::Value(seen.map(String::from));
        Event::completed(client, op, from, to, outcome)
    }

    fn cas(
        client: u32,
        key: &str,
        expected: Option<&str>,
        new: &str,
        result: Result<(), Option<&str>>,
        from: u64,
        to: u64,
    ) -> Event {
        let op = Op::Cas {
            key: key.into(),
            expected: expected.map(String::from),
            new: new.into(),
        };
        let outcome = match result {
            Ok(()) => Outcome::CasOk,
            Err(current) => Outcome::CasFailed {
                current: current.map(String::from),
            },
        };
        Event::completed(client, op, from, to, outcome)
    }

    fn delete(client: u32, key: &str, from: u64, to: u64) -> Event {
        Event::completed(
            client,
            Op::Delete { key: key.into() },
            from,
            to,
            Outcome::Ok,
        )
    }

    /// Asserts the fast checker and the oracle both accept `history`.
    fn good(history: &[Event]) {
        assert_eq!(check(history, BUDGET), Ok(Verdict::Linearizable));
        assert!(brute_force(history), "the oracle disagrees");
    }

    /// Asserts both reject `history`; returns the fast checker's report.
    fn bad(history: &[Event]) -> (String, Vec<usize>, String) {
        assert!(!brute_force(history), "the oracle disagrees");
        match check(history, BUDGET) {
            Ok(Verdict::NotLinearizable { key, ops, reason }) => {
                // The reported set is on its own already a violation.
                let subset: Vec<Event> = ops.iter().map(|&i| history[i].clone()).collect();
                assert!(
                    !brute_force(&subset),
                    "reported set {ops:?} is linearizable"
                );
                (key, ops, reason)
            }
            other => panic!("expected a violation, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_read_only_histories() {
        // Nothing happened: trivially linearizable.
        good(&[]);
        // Reading a key nobody wrote sees nothing.
        good(&[get(1, "x", None, 0, 5)]);
    }

    #[test]
    fn stale_read_after_a_completed_write_is_caught() {
        // The write of "b" finished at 30; a read starting at 40 must not see "a" any more.
        let (key, ops, reason) = bad(&[
            put(1, "x", "a", 0, 10),
            put(1, "x", "b", 20, 30),
            get(2, "x", Some("a"), 40, 50),
        ]);
        assert_eq!(key, "x");
        assert_eq!(ops, vec![0, 1, 2]);
        assert!(
            reason.contains("op 2 (client 2: get(\"x\") → \"a\" [40, 50])"),
            "{reason}"
        );
    }

    #[test]
    fn a_read_concurrent_with_a_write_may_see_either_value() {
        // The read overlaps the write of "b": it may be ordered before or after it.
        for seen in ["a", "b"] {
            good(&[
                put(1, "x", "a", 0, 10),
                put(1, "x", "b", 20, 40),
                get(2, "x", Some(seen), 25, 35),
            ]);
        }
        // Touching at one instant counts as overlapping: the read returned at 20, exactly when
        // the write was invoked, so the read may still come first.
        good(&[put(1, "x", "a", 20, 30), get(2, "x", None, 10, 20)]);
    }

    #[test]
    fn a_value_nobody_wrote_is_caught() {
        bad(&[put(1, "x", "a", 0, 10), get(2, "x", Some("z"), 5, 15)]);
    }

    #[test]
    fn a_read_cannot_go_back_in_time_to_before_a_write() {
        // After a completed write, "absent" is a stale read too.
        bad(&[put(1, "x", "a", 0, 10), get(2, "x", None, 11, 12)]);
        // And one client's later read cannot see less than an earlier one did.
        bad(&[
            put(1, "x", "a", 0, 100),
            get(2, "x", Some("a"), 10, 20),
            get(3, "x", None, 30, 40),
        ]);
    }

    #[test]
    fn compare_and_set_successes_and_failures() {
        // Create-if-absent then swap: the classic lock-free update.
        good(&[
            cas(1, "x", None, "a", Ok(()), 0, 10),
            cas(2, "x", Some("a"), "b", Ok(()), 20, 30),
            get(3, "x", Some("b"), 40, 50),
        ]);
        // Two concurrent creates: exactly one wins, the other sees the winner's value.
        good(&[
            cas(1, "x", None, "a", Ok(()), 0, 10),
            cas(2, "x", None, "b", Err(Some("a")), 5, 15),
        ]);
        // Both winning is impossible: the second must have found the first's value.
        bad(&[
            cas(1, "x", None, "a", Ok(()), 0, 10),
            cas(2, "x", None, "b", Ok(()), 5, 15),
        ]);
        // A failure must report the real current value: here nothing could be there but "a".
        bad(&[
            put(1, "x", "a", 0, 10),
            cas(2, "x", Some("b"), "c", Err(Some("z")), 20, 30),
        ]);
        // A failed cas must not have changed anything.
        bad(&[
            put(1, "x", "a", 0, 10),
            cas(2, "x", None, "c", Err(Some("a")), 20, 30),
            get(3, "x", Some("c"), 40, 50),
        ]);
    }

    #[test]
    fn delete_removes_the_key() {
        good(&[
            put(1, "x", "a", 0, 10),
            delete(2, "x", 20, 30),
            get(3, "x", None, 40, 50),
            cas(3, "x", None, "b", Ok(()), 60, 70),
        ]);
        // The value survived a completed delete: a lost delete.
        bad(&[
            put(1, "x", "a", 0, 10),
            delete(2, "x", 20, 30),
            get(3, "x", Some("a"), 40, 50),
        ]);
    }

    #[test]
    fn an_indeterminate_write_may_take_effect_late_or_never() {
        // The client gave up on the write; a much later read saw it, so it did happen.
        good(&[put_lost(1, "x", "a", 0), get(2, "x", Some("a"), 50, 60)]);
        // It may also still be in flight: first unseen, then seen.
        good(&[
            put_lost(1, "x", "a", 0),
            get(2, "x", None, 10, 20),
            get(2, "x", Some("a"), 30, 40),
        ]);
        // Or it never happened at all.
        good(&[put_lost(1, "x", "a", 0), get(2, "x", None, 100, 110)]);
        // But it cannot have happened before it was invoked.
        bad(&[get(2, "x", Some("a"), 0, 10), put_lost(1, "x", "a", 20)]);
    }

    #[test]
    fn an_indeterminate_write_seen_then_unseen_is_caught() {
        // Once a read saw "a", a later read cannot see the key absent again (nothing deletes it).
        bad(&[
            put_lost(1, "x", "a", 0),
            get(2, "x", Some("a"), 10, 20),
            get(3, "x", None, 30, 40),
        ]);
    }

    #[test]
    fn reads_that_order_two_writes_differently_are_caught() {
        // Two concurrent writes; client 3 sees a-then-b, client 4 sees b-then-a at the same
        // times. Each write happens once, so they cannot both be right.
        let history = [
            put(1, "x", "a", 0, 100),
            put(2, "x", "b", 0, 100),
            get(3, "x", Some("a"), 10, 20),
            get(3, "x", Some("b"), 30, 40),
            get(4, "x", Some("b"), 10, 20),
            get(4, "x", Some("a"), 30, 40),
        ];
        bad(&history);
        // Either client alone is fine.
        good(&history[..4]);
        good(&[
            history[0].clone(),
            history[1].clone(),
            history[4].clone(),
            history[5].clone(),
        ]);
    }

    #[test]
    fn only_the_broken_key_is_reported() {
        // Key "a" is fine, key "b" has a stale read, key "c" is fine again.
        let history = [
            put(1, "a", "1", 0, 10),
            put(1, "b", "1", 0, 10),
            get(2, "a", Some("1"), 20, 30),
            put(1, "b", "2", 20, 30),
            get(2, "b", Some("1"), 40, 50),
            put(3, "c", "1", 40, 50),
        ];
        let (key, ops, _) = bad(&history);
        assert_eq!(key, "b");
        assert_eq!(ops, vec![1, 3, 4]);
    }

    #[test]
    fn the_report_is_narrowed_to_the_first_impossible_prefix() {
        // The violation happens early; everything afterwards is irrelevant and left out.
        let mut history = vec![
            put(1, "x", "a", 0, 10),
            get(2, "x", None, 20, 30), // stale: the put finished at 10
        ];
        for i in 0..20u64 {
            history.push(put(1, "x", "b", 100 + 20 * i, 110 + 20 * i));
            history.push(get(2, "x", Some("b"), 105 + 20 * i, 115 + 20 * i));
        }
        let Ok(Verdict::NotLinearizable { ops, reason, .. }) = check(&history, BUDGET) else {
            panic!("expected a violation");
        };
        assert_eq!(ops, vec![0, 1]);
        assert!(
            reason.contains("op 1 (client 2: get(\"x\") → none [20, 30])"),
            "{reason}"
        );
        assert!(reason.contains("up to t=10 still does"), "{reason}");
    }

    #[test]
    fn a_tiny_budget_gives_unknown_instead_of_hanging() {
        // 30 concurrent writes of distinct values, then a read of the last one.
        let mut history: Vec<Event> = (0..30u64)
            .map(|i| put(i as u32, "x", &i.to_string(), 0, 100))
            .collect();
        history.push(get(99, "x", Some("29"), 200, 210));
        assert_eq!(check(&history, 1), Ok(Verdict::Unknown { steps: 1 }));
        assert_eq!(check(&history, 5), Ok(Verdict::Unknown { steps: 5 }));
        // With a real budget it is fine.
        assert_eq!(check(&history, BUDGET), Ok(Verdict::Linearizable));
        // The budget is per key: a key that runs out does not hide a violation on another key
        // (key "y" needs 2 steps to fail and 1 more to narrow the report down).
        history.push(put(1, "y", "a", 0, 10));
        history.push(get(2, "y", None, 20, 30));
        assert!(matches!(
            check(&history, 5),
            Ok(Verdict::NotLinearizable { key, .. }) if key == "y"
        ));
    }

    #[test]
    fn malformed_histories_are_refused() {
        let history = [put(1, "x", "a", 0, 10), get(2, "x", None, 30, 20)];
        let e = check(&history, BUDGET).unwrap_err();
        assert_eq!(e.index, 1);
        assert_eq!(
            e.to_string(),
            "history entry 1: returned at t=20, before it was invoked at t=30"
        );
        let wrong = Event::completed(1, Op::Delete { key: "x".into() }, 0, 1, Outcome::CasOk);
        let e = check(&[wrong], BUDGET).unwrap_err();
        assert_eq!(e.index, 0);
        assert_eq!(
            e.to_string(),
            "history entry 0: a delete cannot return \"ok\""
        );
        let wrong = Event::completed(1, Op::Get { key: "x".into() }, 0, 1, Outcome::Ok);
        assert!(matches!(
            check(&[wrong], BUDGET).unwrap_err().problem,
            HistoryProblem::OutcomeDoesNotFit { op: "get", .. }
        ));
    }

    #[test]
    fn entry_order_does_not_matter() {
        let mut history = vec![
            put(1, "x", "a", 0, 10),
            put(1, "x", "b", 20, 30),
            get(2, "x", Some("a"), 40, 50),
        ];
        history.reverse();
        let (_, ops, _) = bad(&history);
        assert_eq!(ops, vec![0, 1, 2]);
    }

    #[test]
    fn reports_read_well() {
        assert_eq!(
            put_lost(3, "k", "v", 7).to_string(),
            "client 3: put(\"k\", \"v\") → ? [7, …)"
        );
        assert_eq!(
            cas(1, "k", None, "v", Err(Some("w")), 1, 2).to_string(),
            "client 1: cas(\"k\", none → \"v\") → failed, found \"w\" [1, 2]"
        );
        assert_eq!(
            Verdict::Unknown { steps: 5 }.to_string(),
            "unknown: the step budget ran out after 5 steps"
        );
    }
}
