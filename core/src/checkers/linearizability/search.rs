//! The fast checker: Wing & Gong's search with Lowe's memoization, per key, with the two sound
//! reductions described in the module documentation, and the narrowing of a violation to the
//! shortest impossible prefix.

use super::history::{Event, Op, Outcome};
use super::memo::Memo;
use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

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
pub(super) fn compile<E: Borrow<Event>>(history: &[E], indices: &[usize]) -> Vec<KeyOp> {
    let mut values = Interner::default();
    let mut ops = Vec::with_capacity(indices.len());
    for &index in indices {
        let Some(event) = history.get(index).map(Borrow::borrow) else {
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

/// Wing & Gong's search with Lowe's memoization over one key's operations.
///
/// `steps` counts attempted linearizations (one per candidate tried against the model, forced
/// ones included) and is shared by every search of the same key; the search gives up once it
/// reaches `budget`.
pub(super) fn search(ops: &[KeyOp], budget: u64, steps: &mut u64) -> Search {
    search_for(ops, budget, steps, None)
}

/// [`search`], and when it finds a linearization, the history indices of the operations that
/// took effect, in their linearized order, into `found` (indeterminate operations left out
/// did not take effect).
pub(super) fn search_for(
    ops: &[KeyOp],
    budget: u64,
    steps: &mut u64,
    mut found: Option<&mut Vec<usize>>,
) -> Search {
    // Two complete searches that differ only in the order candidates are tried, run as a
    // portfolio in alternating slices that double (1 Ki steps each, then 2 Ki, …) until one
    // decides or the budget is spent: each order has histories the other finds hard (see
    // `Order`), and this costs at most about four times the faster one's steps. Both reach
    // the same verdict whenever they reach one.
    //
    // The budget is charged as if every slice restarted its search from scratch (the
    // portfolio's definition, on which verdicts and `Unknown` depend), but the work is not
    // redone: a search is deterministic, so a restart would replay exactly the steps its
    // suspended run already took. Each order's run is kept and resumed instead, and charged
    // those replayed steps.
    // The second order's search is only built if the first does not decide in its first slice.
    let entries = entry_order(ops);
    let mut runs: [Option<Dfs>; 2] = [None, None];
    let mut slice: u64 = 1 << 10;
    loop {
        for (run, order) in runs.iter_mut().zip([Order::Time, Order::ReturnedFirst]) {
            let limit = steps.saturating_add(slice).min(budget);
            let run = run.get_or_insert_with(|| Dfs::new(ops, &entries, order));
            match run.resume(limit, steps) {
                Search::OutOfBudget if *steps >= budget => return Search::OutOfBudget,
                Search::OutOfBudget => {}
                Search::Linearizable => {
                    if let Some(found) = found.as_deref_mut() {
                        run.linearization(found);
                    }
                    return Search::Linearizable;
                }
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

/// Entry 0 of the entry list: the head sentinel.
const HEAD: usize = 0;
/// `entry == BACK`: backtrack now.
const BACK: usize = usize::MAX;

/// The entry list: calls and returns sorted by time, calls before returns at equal times
/// (operations that touch at one instant overlap); an indeterminate operation's "return" is its
/// deadline, or the very end if it has none. Each entry is (time, 0 = call / 1 = return, op).
fn entry_order(ops: &[KeyOp]) -> Vec<(u128, u8, usize)> {
    let mut order: Vec<(u128, u8, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, op) in ops.iter().enumerate() {
        order.push((u128::from(op.invoked_at), 0, i));
        let end = op.returned_at.or(op.deadline);
        order.push((end.map_or(u128::MAX, u128::from), 1, i));
    }
    order.sort_unstable();
    order
}

/// One order's search, suspended between slices of the portfolio (see `search`).
struct Dfs<'a> {
    ops: &'a [KeyOp],
    /// The tail sentinel of the entry list (`2n + 1`).
    tail: usize,
    /// The doubly linked entry list: calls and returns sorted by time.
    next: Vec<usize>,
    prev: Vec<usize>,
    op_of: Vec<usize>,
    is_call: Vec<bool>,
    call_entry: Vec<usize>,
    return_entry: Vec<usize>,
    /// Completed operations that never change the state: see `forced` in `resume`.
    forced_ok: Vec<bool>,
    /// The linearized set as a bitset, followed by one scratch word holding a model state, so
    /// that `bits` itself is the memo key `(linearized set, state)`.
    bits: Vec<u64>,
    words: usize,
    memo: Memo,
    /// Zobrist hash of the linearized set in `bits`.
    set_hash: u64,
    /// The choices made so far: (operation, state before it, forced).
    stack: Vec<(usize, State, bool)>,
    state: State,
    /// Completed operations not linearized yet.
    remaining: usize,
    /// Set whenever a new configuration is reached.
    arrived: bool,
    entry: usize,
    first_pass: Pass,
    pass: Pass,
    /// Steps taken so far: what a restart from scratch would replay.
    taken: u64,
    /// The verdict, once reached.
    decided: Option<Search>,
}

impl<'a> Dfs<'a> {
    /// A search of `ops`, whose entries sorted by time are `order` ([`entry_order`]).
    fn new(ops: &'a [KeyOp], order: &[(u128, u8, usize)], order_by: Order) -> Dfs<'a> {
        let n = ops.len();
        let remaining = ops.iter().filter(|o| o.returned_at.is_some()).count();

        // Entries are numbered 1..=2n; 0 is the head sentinel and 2n + 1 the tail sentinel.
        let tail = 2 * n + 1;
        let next: Vec<usize> = (1..=tail + 1).collect();
        let prev: Vec<usize> = (0..=tail).map(|e| e.saturating_sub(1)).collect();
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
        let forced_ok = ops
            .iter()
            .map(|op| op.returned_at.is_some() && read_only(op))
            .collect();
        let words = n.div_ceil(64);
        // With `Order::ReturnedFirst`, candidates are tried in two passes over the same window
        // (the calls before the first pending return): returned operations, then
        // indeterminate ones. Every candidate is still tried once, so the search stays
        // complete.
        let first_pass = match order_by {
            Order::Time => Pass::All,
            Order::ReturnedFirst => Pass::Returned,
        };
        Dfs {
            ops,
            tail,
            entry: next[HEAD],
            next,
            prev,
            op_of,
            is_call,
            call_entry,
            return_entry,
            forced_ok,
            bits: vec![0u64; words + 1],
            words,
            memo: Memo::new(n, words + 1),
            set_hash: 0,
            stack: Vec::new(),
            state: 0,
            remaining,
            arrived: true,
            first_pass,
            pass: first_pass,
            taken: 0,
            decided: (remaining == 0).then_some(Search::Linearizable),
        }
    }

    /// After a search that found a linearization: its operations that took effect, in order
    /// (as indices in the full history). A forced step of an indeterminate operation is the
    /// decision that it never took effect.
    fn linearization(&self, out: &mut Vec<usize>) {
        out.clear();
        out.extend(
            self.stack
                .iter()
                .filter(|(i, _, forced)| !(*forced && self.ops[*i].returned_at.is_none()))
                .map(|(i, _, _)| self.ops[*i].index),
        );
    }

    /// Unlinks an operation's call and return entries; `unlift` undoes it (dancing links: the
    /// removed entries keep their own pointers, so re-inserting in reverse order restores them).
    fn lift(&mut self, i: usize) {
        for entry in [self.call_entry[i], self.return_entry[i]] {
            let (p, q) = (self.prev[entry], self.next[entry]);
            self.next[p] = q;
            self.prev[q] = p;
        }
    }

    fn unlift(&mut self, i: usize) {
        for entry in [self.return_entry[i], self.call_entry[i]] {
            let (p, q) = (self.prev[entry], self.next[entry]);
            self.next[p] = entry;
            self.prev[q] = entry;
        }
    }

    /// Charges one step against `budget`; `false` if the budget is spent.
    fn charge(&mut self, budget: u64, steps: &mut u64) -> bool {
        if *steps >= budget {
            return false;
        }
        *steps += 1;
        self.taken += 1;
        true
    }

    /// Runs this search as a restart from scratch with the limit `budget` would: first charges
    /// the steps already taken (the replay, up to the limit), then goes on from where it was
    /// suspended until it decides or reaches the limit.
    fn resume(&mut self, budget: u64, steps: &mut u64) -> Search {
        let replay = budget.saturating_sub(*steps).min(self.taken);
        *steps += replay;
        if replay < self.taken {
            return Search::OutOfBudget;
        }
        if let Some(decided) = self.decided {
            return decided;
        }
        let verdict = self.run(budget, steps);
        if verdict != Search::OutOfBudget {
            self.decided = Some(verdict);
        }
        verdict
    }

    fn run(&mut self, budget: u64, steps: &mut u64) -> Search {
        let ops = self.ops;
        let tail = self.tail;
        let words = self.words;
        while self.remaining > 0 {
            if self.arrived {
                self.entry = self.next[HEAD];
                self.pass = self.first_pass;
                // Partial-order reduction: if a candidate never changes the state and its
                // result matches now, some successful continuation (if there is any)
                // linearizes it next — moving it to the front of any successful continuation
                // changes no other result, and nothing unlinearized precedes it. So take it
                // without branching; if that fails, this whole configuration fails.
                let mut candidate = self.next[HEAD];
                let mut forced = None;
                while candidate != tail && self.is_call[candidate] {
                    let i = self.op_of[candidate];
                    if self.forced_ok[i] && step(self.state, ops[i].action, ops[i].expect).is_some()
                    {
                        forced = Some(i);
                        break;
                    }
                    candidate = self.next[candidate];
                }
                if let Some(i) = forced {
                    // Suspended here, the search resumes by arriving again: the same forced
                    // candidate is found, as a restart would.
                    if !self.charge(budget, steps) {
                        return Search::OutOfBudget;
                    }
                    self.arrived = false;
                    self.bits[i / 64] |= 1u64 << (i % 64);
                    self.bits[words] = u64::from(self.state);
                    if !self
                        .memo
                        .insert(self.set_hash ^ self.memo.word(i), &self.bits)
                    {
                        self.bits[i / 64] &= !(1u64 << (i % 64));
                        self.entry = BACK; // known dead end
                    } else {
                        self.set_hash ^= self.memo.word(i);
                        self.stack.push((i, self.state, true));
                        self.remaining -= 1;
                        self.lift(i);
                        self.arrived = true;
                        continue;
                    }
                } else {
                    self.arrived = false;
                }
            }
            let entry = self.entry;
            if entry != BACK && entry != tail && self.is_call[entry] {
                if self.pass != Pass::All
                    && (ops[self.op_of[entry]].returned_at.is_none())
                        != (self.pass == Pass::Indeterminate)
                {
                    self.entry = self.next[entry]; // the other pass's candidate
                    continue;
                }
                // A minimal operation: try to linearize it now.
                if !self.charge(budget, steps) {
                    return Search::OutOfBudget;
                }
                let i = self.op_of[entry];
                let op = &ops[i];
                let (word, mask) = (i / 64, 1u64 << (i % 64));
                if let Some(after) = step(self.state, op.action, op.expect) {
                    self.bits[word] |= mask;
                    self.bits[words] = u64::from(after);
                    if !self
                        .memo
                        .insert(self.set_hash ^ self.memo.word(i), &self.bits)
                    {
                        // Been here before, via another order: nothing new to find.
                        self.bits[word] &= !mask;
                        self.entry = self.next[entry];
                    } else {
                        self.set_hash ^= self.memo.word(i);
                        self.stack.push((i, self.state, false));
                        self.state = after;
                        if op.returned_at.is_some() {
                            self.remaining -= 1;
                        }
                        self.lift(i);
                        self.arrived = true;
                    }
                } else {
                    self.entry = self.next[entry];
                }
            } else if entry != BACK && self.pass == Pass::Returned {
                // The returned candidates are exhausted: now the indeterminate ones.
                self.pass = Pass::Indeterminate;
                self.entry = self.next[HEAD];
            } else if entry != BACK && entry != tail && ops[self.op_of[entry]].returned_at.is_none()
            {
                // The first pending return is an indeterminate operation's deadline: had it
                // taken effect, it would have been linearized by now (every candidate before
                // this entry was tried), so here it did not. Drop it without changing the
                // state, as a forced step (backtracking past it keeps backtracking).
                if !self.charge(budget, steps) {
                    return Search::OutOfBudget;
                }
                let i = self.op_of[entry];
                self.bits[i / 64] |= 1u64 << (i % 64);
                self.bits[words] = u64::from(self.state);
                if self
                    .memo
                    .insert(self.set_hash ^ self.memo.word(i), &self.bits)
                {
                    self.set_hash ^= self.memo.word(i);
                    self.stack.push((i, self.state, true));
                    self.lift(i);
                    self.arrived = true;
                } else {
                    self.bits[i / 64] &= !(1u64 << (i % 64));
                    self.entry = BACK; // known dead end
                }
            } else {
                // Reached the first pending return: no remaining candidate fits. Backtrack.
                let Some((i, before, forced)) = self.stack.pop() else {
                    return Search::NotLinearizable;
                };
                self.state = before;
                self.bits[i / 64] &= !(1u64 << (i % 64));
                self.set_hash ^= self.memo.word(i);
                if ops[i].returned_at.is_some() {
                    self.remaining += 1;
                }
                self.unlift(i);
                // A forced choice had no alternatives: keep backtracking.
                if forced {
                    self.entry = BACK;
                } else {
                    self.entry = self.next[self.call_entry[i]];
                    self.pass = match (self.first_pass, ops[i].returned_at.is_some()) {
                        (Pass::All, _) => Pass::All,
                        (_, true) => Pass::Returned,
                        (_, false) => Pass::Indeterminate,
                    };
                }
            }
        }
        Search::Linearizable
    }
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
pub(super) fn explain<E: Borrow<Event>>(
    history: &[E],
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
                    .map(|e| format!("op {} ({})", op.index, e.borrow()))
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
