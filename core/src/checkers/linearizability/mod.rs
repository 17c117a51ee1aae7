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
//! A live checker, which asks again every time an operation finishes, keeps its histories in
//! [`LiveHistories`]: the same verdicts, but each check searches only what happened since the
//! last quiet moment of the key.
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

mod history;
mod live;
mod memo;
mod oracle;
mod search;
#[cfg(test)]
mod tests;

pub use history::{apply, Event, HistoryError, HistoryProblem, Op, Outcome, Verdict};
pub use live::LiveHistories;
pub use oracle::brute_force;

use history::validate;
use search::{compile, explain, search, search_for, Search};
use std::borrow::Borrow;
use std::collections::BTreeMap;

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
/// It may hold the events or references to them (a live checker need not copy them).
pub fn check<E: Borrow<Event>>(history: &[E], budget: u64) -> Result<Verdict, HistoryError> {
    let mut total_steps: u64 = 0;
    let mut out_of_budget = false;
    for key in check_keys(history, budget, true)? {
        match key.verdict {
            Verdict::NotLinearizable { .. } => return Ok(key.verdict),
            Verdict::Unknown { .. } => out_of_budget = true,
            Verdict::Linearizable => {}
        }
        total_steps = total_steps.saturating_add(key.steps);
    }
    Ok(if out_of_budget {
        Verdict::Unknown { steps: total_steps }
    } else {
        Verdict::Linearizable
    })
}

/// [`check`] of a history whose operations are all on one key, with the linearization it found
/// when it is linearizable: the indices of the entries that took effect, in linearized order
/// (entries left out are indeterminate ones that did not take effect). A live checker keeps it
/// to explain the next, slightly longer history without a search.
pub(super) fn check_one_key<E: Borrow<Event>>(
    history: &[E],
    budget: u64,
) -> Result<(Verdict, Option<Vec<usize>>), HistoryError> {
    validate(history)?;
    let Some(first) = history.first() else {
        return Ok((Verdict::Linearizable, Some(Vec::new())));
    };
    let key = first.borrow().op.key();
    if history.iter().any(|e| e.borrow().op.key() != key) {
        return Ok((check(history, budget)?, None));
    }
    let indices: Vec<usize> = (0..history.len()).collect();
    let ops = compile(history, &indices);
    let (mut steps, mut order) = (0, Vec::new());
    Ok(
        match search_for(&ops, budget, &mut steps, Some(&mut order)) {
            Search::Linearizable => (Verdict::Linearizable, Some(order)),
            Search::OutOfBudget => (Verdict::Unknown { steps }, None),
            // Rare: the whole check again, for the same report `check` makes.
            Search::NotLinearizable => (check(history, budget)?, None),
        },
    )
}

/// One key's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVerdict {
    /// The key.
    pub key: String,
    /// Its operations in the history.
    pub ops: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// Search steps spent on it.
    pub steps: u64,
}

/// Every key's own verdict, keys in sorted order (what a gate counts: keys decided, keys left
/// `Unknown`). With `stop_at_violation`, the list ends at the first key that is not
/// linearizable. Malformed histories are refused with a [`HistoryError`].
pub fn check_keys<E: Borrow<Event>>(
    history: &[E],
    budget: u64,
    stop_at_violation: bool,
) -> Result<Vec<KeyVerdict>, HistoryError> {
    validate(history)?;
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, event) in history.iter().enumerate() {
        by_key
            .entry(event.borrow().op.key())
            .or_default()
            .push(index);
    }
    let mut out = Vec::with_capacity(by_key.len());
    for (key, indices) in &by_key {
        let ops = compile(history, indices);
        let mut steps = 0;
        let verdict = match search(&ops, budget, &mut steps) {
            Search::Linearizable => Verdict::Linearizable,
            Search::OutOfBudget => Verdict::Unknown { steps },
            Search::NotLinearizable => {
                let (ops, reason) = explain(history, key, &ops, budget, &mut steps);
                Verdict::NotLinearizable {
                    key: (*key).to_string(),
                    ops,
                    reason,
                }
            }
        };
        let stop = stop_at_violation && matches!(verdict, Verdict::NotLinearizable { .. });
        out.push(KeyVerdict {
            key: (*key).to_string(),
            ops: indices.len(),
            verdict,
            steps,
        });
        if stop {
            break;
        }
    }
    Ok(out)
}
