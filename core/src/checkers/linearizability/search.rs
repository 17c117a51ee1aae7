//! The fast checker: Wing & Gong's search with Lowe's memoization, per key, with the two sound
//! reductions described in the module documentation, and the narrowing of a violation to the
//! shortest impossible prefix.

use super::history::{Event, Op, Outcome};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

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
pub(super) struct KeyOp {
    /// Index in the full history.
    index: usize,
    invoked_at: u64,
    /// `None` for indeterminate operations.
    returned_at: Option<u64>,
    /// Indeterminate operations only: took effect by then, if ever.
    deadline: Option<u64>,
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
pub(super) fn compile(history: &[Event], indices: &[usize]) -> Vec<KeyOp> {
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
            deadline: event.deadline.filter(|_| event.returned.is_none()),
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
pub(super) enum Search {
    Linearizable,
    NotLinearizable,
    OutOfBudget,
}

/// A hasher that passes a `u64` key through: the memo's keys are already well-mixed hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// SplitMix64's finalizer: a cheap, well-mixed, deterministic hash of one word.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Lowe's cache of `(linearized set, state)` configurations already explored. The set is kept
/// as a bitset (plus the state in its last word) and hashed Zobrist-style — one fixed random
/// word per operation, XORed in and out as operations are linearized and undone, so hashing
/// costs O(1) per step instead of O(operations). Bitsets are stored in one arena and compared
/// word for word on a hash hit: a hash collision costs a comparison, never a wrong verdict.
/// Deterministic (no per-process random keys), and only ever queried, never iterated.
struct Memo {
    /// The Zobrist word of each operation.
    words_of: Vec<u64>,
    /// Hash → positions in `arena` of the bitsets with that hash.
    index: HashMap<u64, Vec<u32>, BuildHasherDefault<PassThrough>>,
    /// Stored bitsets, `width` words each.
    arena: Vec<u64>,
    width: usize,
}

impl Memo {
    fn new(ops: usize, width: usize) -> Memo {
        Memo {
            words_of: (0..ops as u64).map(mix).collect(),
            index: HashMap::default(),
            arena: Vec::new(),
            width,
        }
    }

    /// The Zobrist word of operation `i` (XOR it into the set's hash to add or remove `i`).
    fn word(&self, i: usize) -> u64 {
        self.words_of[i]
    }

    /// Remember `bits` (whose set hashes to `set_hash`) unless it is known; `true` if it was new.
    fn insert(&mut self, set_hash: u64, bits: &[u64]) -> bool {
        let hash = set_hash ^ mix(bits[self.width - 1] ^ 0xA5A5_A5A5);
        let slots = self.index.entry(hash).or_default();
        for &at in slots.iter() {
            let at = at as usize;
            if &self.arena[at..at + self.width] == bits {
                return false;
            }
        }
        slots.push(self.arena.len() as u32);
        self.arena.extend_from_slice(bits);
        true
    }
}

/// Wing & Gong's search with Lowe's memoization over one key's operations.
///
/// `steps` counts attempted linearizations (one per candidate tried against the model, forced
/// ones included) and is shared by every search of the same key; the search gives up once it
/// reaches `budget`.
pub(super) fn search(ops: &[KeyOp], budget: u64, steps: &mut u64) -> Search {
    // Two complete searches that differ only in the order candidates are tried, run as a
    // portfolio in alternating slices that double (1 Ki steps each, then 2 Ki, …) until one
    // decides or the budget is spent: each order has histories the other finds hard (see
    // `Order`), and this costs at most about four times the faster one's steps. Both reach
    // the same verdict whenever they reach one.
    let mut slice: u64 = 1 << 10;
    loop {
        for order in [Order::Time, Order::ReturnedFirst] {
            let limit = steps.saturating_add(slice).min(budget);
            match search_in(ops, limit, steps, order) {
                Search::OutOfBudget if *steps >= budget => return Search::OutOfBudget,
                Search::OutOfBudget => {}
                decided => return decided,
            }
        }
        slice = slice.saturating_mul(2);
    }
}

/// The order in which a configuration's candidates are tried.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// By invocation time. Fast when the abandoned operations matter (a read saw one); slow
    /// when an outage left dozens of them overlapping a completed operation that needs none:
    /// their subsets are explored first.
    Time,
    /// Operations that returned first, then indeterminate ones. Fast in the outage case
    /// (swarm chaos found keys of 70 operations the time order could not decide in 20 M
    /// steps, decided in 30 this way); slow when a read needs an abandoned write.
    ReturnedFirst,
}

fn search_in(ops: &[KeyOp], budget: u64, steps: &mut u64, order_by: Order) -> Search {
    let n = ops.len();
    let mut remaining = ops.iter().filter(|o| o.returned_at.is_some()).count();
    if remaining == 0 {
        return Search::Linearizable;
    }

    // The entry list: calls and returns sorted by time, calls before returns at equal times
    // (operations that touch at one instant overlap); an indeterminate operation's "return" is
    // its deadline, or the very end if it has none.
    let mut order: Vec<(u128, u8, usize)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        order.push((u128::from(op.invoked_at), 0, i));
        let end = op.returned_at.or(op.deadline);
        order.push((end.map_or(u128::MAX, u128::from), 1, i));
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
    let mut memo = Memo::new(n, words + 1);
    // Zobrist hash of the linearized set in `bits`.
    let mut set_hash = 0u64;
    // The choices made so far: (operation, state before it, forced).
    let mut stack: Vec<(usize, State, bool)> = Vec::new();
    let mut state: State = 0;
    // Set whenever a new configuration is reached.
    let mut arrived = true;
    let mut entry = next[HEAD];
    // With `Order::ReturnedFirst`, candidates are tried in two passes over the same window
    // (the calls before the first pending return): returned operations, then indeterminate
    // ones. Every candidate is still tried once, so the search stays complete.
    let first_pass = match order_by {
        Order::Time => Pass::All,
        Order::ReturnedFirst => Pass::Returned,
    };
    let mut pass = first_pass;
    // `entry == BACK`: backtrack now.
    const BACK: usize = usize::MAX;

    while remaining > 0 {
        if arrived {
            arrived = false;
            entry = next[HEAD];
            pass = first_pass;
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
                if !memo.insert(set_hash ^ memo.word(i), &bits) {
                    bits[i / 64] &= !(1u64 << (i % 64));
                    entry = BACK; // known dead end
                } else {
                    set_hash ^= memo.word(i);
                    stack.push((i, state, true));
                    remaining -= 1;
                    lift(&mut next, &mut prev, i);
                    arrived = true;
                    continue;
                }
            }
        }
        if entry != BACK && entry != tail && is_call[entry] {
            if pass != Pass::All
                && (ops[op_of[entry]].returned_at.is_none()) != (pass == Pass::Indeterminate)
            {
                entry = next[entry]; // the other pass's candidate
                continue;
            }
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
                if !memo.insert(set_hash ^ memo.word(i), &bits) {
                    // Been here before, via another order: nothing new to find.
                    bits[word] &= !mask;
                    entry = next[entry];
                } else {
                    set_hash ^= memo.word(i);
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
        } else if entry != BACK && pass == Pass::Returned {
            // The returned candidates are exhausted: now the indeterminate ones.
            pass = Pass::Indeterminate;
            entry = next[HEAD];
        } else if entry != BACK && entry != tail && ops[op_of[entry]].returned_at.is_none() {
            // The first pending return is an indeterminate operation's deadline: had it taken
            // effect, it would have been linearized by now (every candidate before this entry
            // was tried), so here it did not. Drop it without changing the state, as a forced
            // step (backtracking past it keeps backtracking).
            if *steps >= budget {
                return Search::OutOfBudget;
            }
            *steps += 1;
            let i = op_of[entry];
            bits[i / 64] |= 1u64 << (i % 64);
            bits[words] = u64::from(state);
            if memo.insert(set_hash ^ memo.word(i), &bits) {
                set_hash ^= memo.word(i);
                stack.push((i, state, true));
                lift(&mut next, &mut prev, i);
                arrived = true;
            } else {
                bits[i / 64] &= !(1u64 << (i % 64));
                entry = BACK; // known dead end
            }
        } else {
            // Reached the first pending return: no remaining candidate fits. Backtrack.
            let Some((i, before, forced)) = stack.pop() else {
                return Search::NotLinearizable;
            };
            state = before;
            bits[i / 64] &= !(1u64 << (i % 64));
            set_hash ^= memo.word(i);
            if ops[i].returned_at.is_some() {
                remaining += 1;
            }
            unlift(&mut next, &mut prev, i);
            // A forced choice had no alternatives: keep backtracking.
            if forced {
                entry = BACK;
            } else {
                entry = next[call_entry[i]];
                pass = match (first_pass, ops[i].returned_at.is_some()) {
                    (Pass::All, _) => Pass::All,
                    (_, true) => Pass::Returned,
                    (_, false) => Pass::Indeterminate,
                };
            }
        }
    }
    Search::Linearizable
}

/// Which candidates a scan of the window tries (see `search`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Every candidate, by time (`Order::Time`).
    All,
    /// Operations that returned.
    Returned,
    /// Operations that never returned (they may or may not have taken effect).
    Indeterminate,
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
                deadline: None,
                expect: Expect::Any,
                ..*op
            },
            None if op.deadline.is_some_and(|d| d > t) => KeyOp {
                deadline: None,
                ..*op
            },
            _ => *op,
        })
        .collect()
}

/// For a key known not to be linearizable: binary-searches the earliest return time `t` whose
/// cut is already impossible and explains the violation. Spends from the same `budget`; if it
/// runs out, reports the smallest failing cut found so far.
pub(super) fn explain(
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
