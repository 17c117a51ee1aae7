//! The oracle: linearizability straight from the definition, by exhaustive enumeration.

use super::history::{apply, Event};
use std::collections::BTreeMap;

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
/// with [`check`](super::check), so that agreement between the two means something.
///
/// It expects a history that [`check`](super::check) would accept; for a malformed one the answer is
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
