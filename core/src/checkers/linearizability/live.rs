//! Checking histories that grow while a run goes on.
//!
//! A live checker asks "is this key's history still linearizable?" every time one of its
//! operations finishes. Checking the whole history each time costs more and more as the run
//! goes on: the work over a run grows with the square of its length. [`LiveHistories`] keeps
//! each check close to the cost of the operations since the last *quiet moment* instead.
//!
//! ## Settled prefixes
//!
//! A cut at time `t` splits a key's history into a prefix and a suffix when every operation of
//! the prefix is over by `t` (it returned, or it is indeterminate with a deadline: it took
//! effect by then or never) and every operation of the suffix was invoked after `t`. Real-time
//! order then puts the whole prefix before the whole suffix in every linearization, so the
//! history is linearizable when the prefix has a linearization ending in some state `s` from
//! which the suffix is linearizable. The prefix is summed up by the set of states its
//! linearizations can end in; it is computed once, when the cut is made ("settled"), with one
//! search per candidate state: the prefix followed by a read that returns the candidate.
//!
//! The candidates are few. If the prefix holds a completed write, a linearization ends in the
//! value of its last write, which cannot be a completed write that another completed write
//! follows in real time: the candidates are the values of the other completed writes and of
//! the indeterminate ones. Without a completed write, the state the prefix started in is a
//! candidate too.
//!
//! **Open operations.** A client that gave up on an operation never learns its fate: it may
//! take effect at any time after its invocation, or never, so it belongs to no prefix. Such an
//! operation does not stop a cut: the prefix's states are computed *without* it (as if it had
//! not taken effect yet), and it is carried into every later check, where it may still take
//! effect, or never. That leaves out the linearizations in which it took effect before the
//! cut, so a check after the cut may fail where the whole history is fine — then the whole
//! history is checked, as without a cut. A linearization the checks after the cut find is
//! always one of the whole history: the prefix's, then the suffix's.
//!
//! A later check searches only the suffix and the open operations, after a synthetic write of
//! each possible state, completed at `t`. A cut is made only strictly before the present
//! (operations invoked later come after it) and only when the prefix is long enough to pay for
//! its searches; an operation recorded later that would cross the cut, or a change to a
//! settled or open one, undoes the settling, so a verdict never rests on a stale summary.
//!
//! ## Kept linearizations
//!
//! Most checks find the history linearizable, and most of the time the linearization the last
//! search found still explains it once the operations that finished since are fitted in: a
//! read that returned goes where the store held what it saw, a write where real time allows.
//! The checker keeps that linearization (per key, valid until the cut moves) and first tries
//! to extend it: each place tried is one pass over the history, checking real-time order and
//! every answer against a single store, far cheaper than compiling the history and searching
//! it again. Only a linearization that passes is trusted, so a `Linearizable` from it is as
//! sound as the search's; when no place fits, the search runs as before (and keeps its new
//! linearization).
//!
//! Verdicts are those of [`check`] on the whole history, with one difference: a history whose
//! whole check would run out of budget may be decided here. A history found not linearizable
//! is checked whole once more, so a report names the same operations and reason as [`check`]
//! would. `core/tests/linearizability.rs` replays thousands of random histories as a live
//! checker sees them and compares every verdict with a whole check.

use super::history::{validate_one, Event, HistoryError, Op, Outcome, Verdict};
use super::{check, check_one_key};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Settle a key's history once this many of its operations lie after the last cut.
const SETTLE_AT: usize = 48;
/// After an attempt to settle, wait for this many more operations before the next one.
const SETTLE_EVERY: usize = 16;
/// The client number of the synthetic operations (never a real client's).
const SYNTHETIC: u32 = u32::MAX;

/// The growing histories of many keys, each operation known by an id of type `K` (a client
/// and its request number, say), checked key by key as operations finish.
#[derive(Clone, Debug)]
pub struct LiveHistories<K> {
    keys: BTreeMap<String, KeyHistory<K>>,
    settle_at: usize,
}

impl<K> Default for LiveHistories<K> {
    fn default() -> Self {
        LiveHistories {
            keys: BTreeMap::new(),
            settle_at: SETTLE_AT,
        }
    }
}

/// One recorded operation.
#[derive(Clone, Debug, PartialEq)]
struct Recorded {
    event: Event,
    /// Its client is done with it: the record will not change any more.
    done: bool,
}

impl Recorded {
    /// Done without an answer or a deadline: may take effect at any time, or never.
    fn open(&self) -> bool {
        self.done && self.event.returned.is_none() && self.event.deadline.is_none()
    }
}

/// One key's history.
#[derive(Clone, Debug)]
struct KeyHistory<K> {
    /// The operations after the cut (all of them if there is none), as last recorded.
    events: BTreeMap<K, Recorded>,
    /// The settled prefix, if a cut was made.
    base: Option<Base<K>>,
    /// Unsettled operations at which to try to settle next.
    next_try: usize,
    /// The linearization the last decided check found, if it still refers to this cut.
    witness: Option<Witness<K>>,
}

/// A linearization found by a search, kept for the next check. One more finished operation
/// usually fits into it where real time allows: checking that takes one pass over the history
/// per place tried, where a search compiles the history and explores it again.
#[derive(Clone, Debug)]
struct Witness<K> {
    /// The settled state the suffix started in (an index into `Base::states`); `None` for a
    /// linearization of the whole history, from the very beginning.
    start: Option<usize>,
    /// The operations that took effect, in linearized order.
    order: Vec<Ref<K>>,
}

/// An operation of a history that a check searches.
#[derive(Clone, Debug, PartialEq)]
enum Ref<K> {
    /// The synthetic write of the settled state.
    Start,
    /// An open operation of the settled prefix (an index into `Base::open`).
    Open(usize),
    /// A recorded operation after the cut.
    Op(K),
}

impl<K> Default for KeyHistory<K> {
    fn default() -> Self {
        KeyHistory {
            events: BTreeMap::new(),
            base: None,
            next_try: 0,
            witness: None,
        }
    }
}

/// A settled prefix.
#[derive(Clone, Debug)]
struct Base<K> {
    /// The operations it holds, open ones included.
    events: BTreeMap<K, Recorded>,
    /// The open operations among them, carried into every later check.
    open: Vec<Event>,
    /// Every other one of them was over by this time; every later operation was invoked after it.
    cut: u64,
    /// The states its linearizations (without the open operations) can end in (`None`: absent).
    states: Vec<Option<String>>,
}

impl<K: Ord + Clone> LiveHistories<K> {
    /// Empty histories that settle a key's prefix once `settle_at` operations lie after its
    /// last cut (tests use small numbers to settle often).
    pub fn settling_at(settle_at: usize) -> Self {
        LiveHistories {
            keys: BTreeMap::new(),
            settle_at: settle_at.max(1),
        }
    }

    /// Records (or updates) operation `id`, as its client sees it now; `done` once the client
    /// is finished with it (it returned, or the client gave up on it), so the record will not
    /// change again. Only finished operations are ever settled.
    pub fn record(&mut self, id: K, event: Event, done: bool) {
        let key = event.op.key();
        let history = match self.keys.get_mut(key) {
            Some(h) => h,
            None => self.keys.entry(key.to_string()).or_default(),
        };
        let recorded = Recorded { event, done };
        if let Some(base) = &mut history.base {
            let crosses = match base.events.get(&id) {
                Some(settled) if *settled == recorded => return,
                Some(_) => true,
                None => recorded.event.invoked_at <= base.cut,
            };
            if crosses {
                // Back to checking the whole history until a new cut is made.
                history.events.append(&mut base.events);
                history.base = None;
                history.next_try = 0;
                history.witness = None;
            }
        }
        history.events.insert(id, recorded);
    }

    /// The recorded operations on `key`, in id order.
    pub fn events(&self, key: &str) -> Vec<&Event> {
        self.keys.get(key).map_or_else(Vec::new, KeyHistory::whole)
    }

    /// How many of `key`'s operations lie in its settled prefix (open ones included).
    pub fn settled(&self, key: &str) -> usize {
        self.keys
            .get(key)
            .and_then(|h| h.base.as_ref())
            .map_or(0, |b| b.events.len())
    }

    /// Whether `key`'s history is linearizable, at virtual time `now` (no operation recorded
    /// later is invoked before it): [`check`] of the whole history, within `budget` steps per
    /// search, but settling prefixes as it goes (see the module documentation).
    pub fn check(&mut self, key: &str, now: u64, budget: u64) -> Result<Verdict, HistoryError> {
        let Some(history) = self.keys.get_mut(key) else {
            return Ok(Verdict::Linearizable);
        };
        history.settle(key, now, budget, self.settle_at);
        if history.extend_witness(key) {
            return Ok(Verdict::Linearizable);
        }
        if let Some(verdict) = history.check_suffix(key, budget) {
            return Ok(verdict);
        }
        if history.base.is_some() {
            return check(&history.whole(), budget);
        }
        let (refs, events): (Vec<Ref<K>>, Vec<&Event>) = history
            .events
            .iter()
            .map(|(id, r)| (Ref::Op(id.clone()), &r.event))
            .unzip();
        let (verdict, order) = check_one_key(&events, budget)?;
        history.witness = order.map(|order| Witness {
            start: None,
            order: order.into_iter().map(|i| refs[i].clone()).collect(),
        });
        Ok(verdict)
    }
}

impl<K: Ord + Clone> KeyHistory<K> {
    /// Every operation, settled or not, in id order.
    fn whole(&self) -> Vec<&Event> {
        match &self.base {
            None => self.events.values().map(|r| &r.event).collect(),
            Some(base) => {
                let mut all: Vec<(&K, &Recorded)> =
                    base.events.iter().chain(&self.events).collect();
                all.sort_by(|a, b| a.0.cmp(b.0));
                all.into_iter().map(|(_, r)| &r.event).collect()
            }
        }
    }

    /// The suffix's verdict from the settled states: `Linearizable` if one state explains it,
    /// else `Unknown` if a search ran out of budget; `None` when the whole history must be
    /// checked (no cut yet, every state fails, or a malformed entry).
    fn check_suffix(&mut self, key: &str, budget: u64) -> Option<Verdict> {
        let base = self.base.as_ref()?;
        let mut unknown = None;
        let refs: Vec<Ref<K>> = std::iter::once(Ref::Start)
            .chain((0..base.open.len()).map(Ref::Open))
            .chain(self.events.keys().map(|id| Ref::Op(id.clone())))
            .collect();
        for (index, state) in base.states.iter().enumerate() {
            let after = base
                .open
                .iter()
                .chain(self.events.values().map(|r| &r.event));
            let history = starting_in(key, Some(state), base.cut, after);
            match check_one_key(&history, budget) {
                Ok((Verdict::Linearizable, order)) => {
                    self.witness = order.map(|order| Witness {
                        start: Some(index),
                        order: order.into_iter().map(|i| refs[i].clone()).collect(),
                    });
                    return Some(Verdict::Linearizable);
                }
                Ok((Verdict::Unknown { steps }, _)) => unknown = Some(Verdict::Unknown { steps }),
                Ok((Verdict::NotLinearizable { .. }, _)) => {}
                Err(_) => return None,
            }
        }
        unknown
    }

    /// Moves the cut forward if enough operations lie after it and a quiet moment allows.
    fn settle(&mut self, key: &str, now: u64, budget: u64, settle_at: usize) {
        let unsettled = self.events.len();
        if unsettled < settle_at.max(self.next_try) {
            return;
        }
        self.next_try = unsettled + SETTLE_EVERY.min(settle_at);
        let mut order: Vec<(&K, &Recorded)> = self.events.iter().collect();
        order.sort_by_key(|(_, r)| r.event.invoked_at);
        // The longest prefix (by invocation) of finished operations that is over before the
        // next one starts, and before now (open operations need not be over).
        let (mut end, mut best) = (0u64, None);
        for (i, (_, r)) in order.iter().enumerate() {
            if !r.done {
                break;
            }
            let over = r
                .event
                .returned
                .as_ref()
                .map(|(at, _)| *at)
                .or(r.event.deadline);
            end = end.max(over.unwrap_or(0));
            let quiet = order
                .get(i + 1)
                .is_none_or(|(_, next)| end < next.event.invoked_at);
            if quiet && end < now {
                best = Some((i + 1, end));
            }
        }
        let Some((len, cut)) = best else { return };
        if len < settle_at / 2 {
            return;
        }
        let segment: Vec<&Event> = order[..len]
            .iter()
            .filter(|(_, r)| !r.open())
            .map(|(_, r)| &r.event)
            .collect();
        let start: Vec<Option<&Option<String>>> = match &self.base {
            Some(b) => b.states.iter().map(Some).collect(),
            None => vec![None], // from the very beginning: the key is absent, no synthetic write
        };
        let from_cut = self.base.as_ref().map_or(0, |b| b.cut);
        let mut states = Vec::new();
        for candidate in candidates(&segment, self.base.as_ref().map(|b| &b.states)) {
            let read = Event::completed(
                SYNTHETIC,
                Op::Get {
                    key: key.to_string(),
                },
                cut + 1,
                cut + 1,
                Outcome::Value(candidate.clone()),
            );
            let mut reachable = false;
            for s in &start {
                let mut history = starting_in(key, *s, from_cut, segment.iter().copied());
                history.push(Cow::Borrowed(&read));
                match check(&history, budget) {
                    Ok(Verdict::Linearizable) => {
                        reachable = true;
                        break;
                    }
                    Ok(Verdict::NotLinearizable { .. }) => {}
                    // Undecided or malformed: keep the cut where it was.
                    Ok(Verdict::Unknown { .. }) | Err(_) => return,
                }
            }
            if reachable {
                states.push(candidate);
            }
        }
        if states.is_empty() {
            // Not explained without the open operations (or not at all): whole checks.
            return;
        }
        let ids: Vec<K> = order[..len].iter().map(|(id, _)| (*id).clone()).collect();
        let (mut settled, mut open) = match self.base.take() {
            Some(b) => (b.events, b.open),
            None => (BTreeMap::new(), Vec::new()),
        };
        for id in ids {
            if let Some(r) = self.events.remove(&id) {
                if r.open() {
                    open.push(r.event.clone());
                }
                settled.insert(id, r);
            }
        }
        self.base = Some(Base {
            events: settled,
            open,
            cut,
            states,
        });
        self.next_try = 0;
        self.witness = None;
    }
}

impl<K: Ord + Clone> KeyHistory<K> {
    /// Whether the last linearization found, with every operation that finished since fitted
    /// in, explains the history as it is now. `false` means "search": the witness is gone,
    /// does not fit, or something is malformed (the search reports that).
    fn extend_witness(&mut self, key: &str) -> bool {
        let Some(witness) = self.witness.take() else {
            return false;
        };
        let start = match (witness.start, &self.base) {
            (None, None) => None,
            (Some(s), Some(base)) => match base.states.get(s) {
                Some(state) => Some(write(key, state, base.cut)),
                None => return false,
            },
            _ => return false,
        };
        let resolve = |r: &Ref<K>| -> Option<&Event> {
            match r {
                Ref::Start => start.as_ref(),
                Ref::Open(i) => self.base.as_ref()?.open.get(*i),
                Ref::Op(id) => self.events.get(id).map(|r| &r.event),
            }
        };
        let mut order: Vec<(Ref<K>, &Event)> = Vec::with_capacity(witness.order.len() + 4);
        for r in witness.order {
            match resolve(&r) {
                Some(event) => order.push((r, event)),
                None => return false,
            }
        }
        // Every finished operation must take effect: those the witness lacks are fitted in,
        // earliest invoked first.
        let mut placed: Vec<&K> = order
            .iter()
            .filter_map(|(r, _)| match r {
                Ref::Op(id) => Some(id),
                _ => None,
            })
            .collect();
        placed.sort_unstable();
        let mut missing: Vec<(&K, &Event)> = Vec::new();
        for (index, (id, r)) in self.events.iter().enumerate() {
            if validate_one(index, &r.event).is_err() {
                return false;
            }
            if r.event.returned.is_some() && placed.binary_search(&id).is_err() {
                missing.push((id, &r.event));
            }
        }
        // Without one to fit in, an answer may still have changed: check the order as it is.
        // Otherwise each fitting checks the whole order it makes.
        if missing.is_empty()
            && fit_from(Replay::default(), order.iter().map(|(_, e)| *e)).is_none()
        {
            return false;
        }
        missing.sort_by_key(|(_, e)| e.invoked_at);
        for (id, event) in missing {
            match fit(&order, event) {
                Some(at) => order.insert(at, (Ref::Op(id.clone()), event)),
                None => return false,
            }
        }
        self.witness = Some(Witness {
            start: witness.start,
            order: order.into_iter().map(|(r, _)| r).collect(),
        });
        true
    }
}

/// When `event` took effect, if it did: its return, else its deadline, else never known.
fn end(event: &Event) -> u64 {
    event
        .returned
        .as_ref()
        .map(|(at, _)| *at)
        .or(event.deadline)
        .unwrap_or(u64::MAX)
}

/// Where `event`, a finished operation, can go in the linearization `order` so that it still
/// respects real time and the key-value store's answers: the latest such place (the operation
/// that just finished usually goes last), or `None`.
fn fit<K>(order: &[(Ref<K>, &Event)], event: &Event) -> Option<usize> {
    // After everything that ended before it was invoked; before everything invoked after it
    // ended.
    let lo = order
        .iter()
        .rposition(|(_, e)| end(e) < event.invoked_at)
        .map_or(0, |j| j + 1);
    let ended = end(event);
    let hi = order
        .iter()
        .position(|(_, e)| e.invoked_at > ended)
        .unwrap_or(order.len());
    // Where the replay stands before each place (as far as the order replays at all).
    let mut before = Vec::with_capacity(hi + 1);
    let mut replay = Replay::default();
    before.push(replay);
    for (_, e) in &order[..hi] {
        match replay.then(e) {
            Some(next) => replay = next,
            None => break,
        }
        before.push(replay);
    }
    let last = hi.min(before.len() - 1);
    (lo..=last).rev().find(|&at| {
        let rest = std::iter::once(event).chain(order[at..].iter().map(|(_, e)| *e));
        fit_from(before[at], rest).is_some()
    })
}

/// Replays `order` from `replay`: where it ends, if every step respects real time and gets
/// its answer ([`Replay::then`]).
fn fit_from<'a>(replay: Replay<'a>, order: impl Iterator<Item = &'a Event>) -> Option<Replay<'a>> {
    order.into_iter().try_fold(replay, |r, e| r.then(e))
}

/// A linearization replayed so far: the latest invocation in it, and the state of a single
/// store that started with the key absent.
#[derive(Clone, Copy, Default)]
struct Replay<'a> {
    latest_invocation: u64,
    state: Option<&'a str>,
}

impl<'a> Replay<'a> {
    /// The replay with `event` next, if that respects real time (it did not end before
    /// something earlier in the order was invoked) and the store gives the answer it got
    /// (indeterminate operations fit any answer).
    fn then(self, event: &'a Event) -> Option<Replay<'a>> {
        if end(event) < self.latest_invocation {
            return None;
        }
        let state = self.state;
        let outcome = event.returned.as_ref().map(|(_, o)| o);
        let state = match (&event.op, outcome) {
            (Op::Put { value, .. }, None | Some(Outcome::Ok)) => Some(value.as_str()),
            (Op::Delete { .. }, None | Some(Outcome::Ok)) => None,
            (Op::Get { .. }, None) => state,
            (Op::Get { .. }, Some(Outcome::Value(seen))) if seen.as_deref() == state => state,
            (Op::Cas { expected, new, .. }, None | Some(Outcome::CasOk))
                if expected.as_deref() == state =>
            {
                Some(new.as_str())
            }
            (Op::Cas { expected, .. }, None) if expected.as_deref() != state => state,
            (Op::Cas { expected, .. }, Some(Outcome::CasFailed { current }))
                if expected.as_deref() != state && current.as_deref() == state =>
            {
                state
            }
            _ => return None,
        };
        Some(Replay {
            latest_invocation: self.latest_invocation.max(event.invoked_at),
            state,
        })
    }
}

/// A history for one search: a synthetic write that leaves `key` in `state` at `at` (none for
/// `None`: from the very beginning, the key absent), then `events`, borrowed.
fn starting_in<'a>(
    key: &str,
    state: Option<&Option<String>>,
    at: u64,
    events: impl Iterator<Item = &'a Event>,
) -> Vec<Cow<'a, Event>> {
    let start = state.map(|s| Cow::Owned(write(key, s, at)));
    start.into_iter().chain(events.map(Cow::Borrowed)).collect()
}

/// A completed write that leaves `key` in `state` at time `at`: `put`, or `delete` for absent.
fn write(key: &str, state: &Option<String>, at: u64) -> Event {
    let key = key.to_string();
    let op = match state {
        Some(value) => Op::Put {
            key,
            value: value.clone(),
        },
        None => Op::Delete { key },
    };
    Event::completed(SYNTHETIC, op, at, at, Outcome::Ok)
}

/// The value an operation may leave behind if it changes the state: `Some(new value)`.
fn written(e: &Event) -> Option<Option<String>> {
    let completed = e.returned.as_ref().map(|(_, outcome)| outcome);
    match (&e.op, completed) {
        (Op::Put { value, .. }, _) => Some(Some(value.clone())),
        (Op::Delete { .. }, _) => Some(None),
        (Op::Cas { new, .. }, None | Some(Outcome::CasOk)) => Some(Some(new.clone())),
        (Op::Cas { .. } | Op::Get { .. }, _) => None,
    }
}

/// The states a linearization of `segment` may end in (a superset; see the module
/// documentation), starting from `start` (`None`: from the very beginning, key absent).
fn candidates(segment: &[&Event], start: Option<&Vec<Option<String>>>) -> BTreeSet<Option<String>> {
    let completed_writes: Vec<&Event> = segment
        .iter()
        .copied()
        .filter(|e| e.returned.is_some() && written(e).is_some())
        .collect();
    let mut out = BTreeSet::new();
    for e in segment {
        let Some(value) = written(e) else { continue };
        let followed = e
            .returned
            .as_ref()
            .is_some_and(|(at, _)| completed_writes.iter().any(|w| *at < w.invoked_at));
        if !followed {
            out.insert(value);
        }
    }
    if completed_writes.is_empty() {
        match start {
            Some(states) => out.extend(states.iter().cloned()),
            None => {
                out.insert(None);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(value: &str, from: u64, to: Option<u64>) -> Event {
        let op = Op::Put {
            key: "x".into(),
            value: value.into(),
        };
        match to {
            Some(to) => Event::completed(1, op, from, to, Outcome::Ok),
            None => Event::indeterminate_until(1, op, from, from + 1),
        }
    }

    fn get(seen: Option<&str>, from: u64, to: u64) -> Event {
        let outcome = Outcome::Value(seen.map(String::from));
        Event::completed(2, Op::Get { key: "x".into() }, from, to, outcome)
    }

    fn some(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn candidates_are_the_last_writes_and_what_may_have_happened_instead() {
        // a then b in real time, c overlapping b, d lost: b, c and d may each be last.
        let (a, b, c, d) = (
            put("a", 0, Some(1)),
            put("b", 2, Some(4)),
            put("c", 3, Some(5)),
            put("d", 1, None),
        );
        let start = vec![some("z")];
        let got = candidates(&[&a, &b, &c, &d], Some(&start));
        assert_eq!(got, BTreeSet::from([some("b"), some("c"), some("d")]));
        // Without a completed write, the start state may survive the segment.
        let r = get(Some("z"), 0, 1);
        let got = candidates(&[&r, &d], Some(&start));
        assert_eq!(got, BTreeSet::from([some("d"), some("z")]));
        // From the very beginning: absent.
        assert_eq!(candidates(&[&r], None), BTreeSet::from([None]));
    }

    /// Two writes, a then b, settled by a check at t=10.
    fn two_settled_writes() -> LiveHistories<u32> {
        let mut live = LiveHistories::settling_at(2);
        live.record(0, put("a", 0, Some(1)), true);
        live.record(1, put("b", 2, Some(3)), true);
        assert_eq!(live.check("x", 10, 1_000), Ok(Verdict::Linearizable));
        assert_eq!(live.settled("x"), 2, "both writes lie before t=10");
        live
    }

    #[test]
    fn a_cut_settles_the_prefix_and_later_checks_search_the_rest() {
        let mut live = two_settled_writes();
        live.record(2, get(Some("b"), 11, 12), true);
        assert_eq!(live.check("x", 13, 1_000), Ok(Verdict::Linearizable));
        // A stale read after the cut is found, and reported on the whole history.
        live.record(3, get(Some("a"), 14, 15), true);
        match live.check("x", 16, 1_000) {
            Ok(Verdict::NotLinearizable { ops, .. }) => assert_eq!(ops.last(), Some(&3)),
            other => panic!("expected a violation, got {other:?}"),
        }
    }

    #[test]
    fn an_operation_that_crosses_the_cut_undoes_it() {
        let mut live = two_settled_writes();
        // Recorded late, but invoked before the cut: the prefix is no longer closed.
        live.record(2, put("c", 1, Some(9)), true);
        assert_eq!(live.settled("x"), 0);
        live.record(3, get(Some("b"), 11, 12), true);
        assert_eq!(live.check("x", 13, 1_000), Ok(Verdict::Linearizable));
    }

    #[test]
    fn an_operation_given_up_on_does_not_stop_a_cut_and_may_still_take_effect() {
        let mut live = LiveHistories::settling_at(2);
        let lost = Event::indeterminate(
            3,
            Op::Put {
                key: "x".into(),
                value: "late".into(),
            },
            1,
        );
        live.record(0, put("a", 0, Some(2)), true);
        live.record(9, lost.clone(), false);
        // In progress, it stops the cut at its invocation: only the first write settles… but
        // one operation is too short a prefix to be worth it.
        assert_eq!(live.check("x", 10, 1_000), Ok(Verdict::Linearizable));
        assert_eq!(live.settled("x"), 0);
        live.record(9, lost, true);
        live.record(1, put("b", 3, Some(4)), true);
        live.record(2, get(Some("b"), 5, 6), true);
        assert_eq!(live.check("x", 10, 1_000), Ok(Verdict::Linearizable));
        assert_eq!(
            live.settled("x"),
            4,
            "given up on, it no longer stops the cut"
        );
        // It may take effect long after the cut: a read sees it.
        live.record(5, get(Some("late"), 20, 21), true);
        assert_eq!(live.check("x", 22, 1_000), Ok(Verdict::Linearizable));
        // But only once: "b" again, then "late" again, is impossible.
        live.record(3, put("b", 23, Some(24)), true);
        live.record(4, get(Some("late"), 25, 26), true);
        assert!(matches!(
            live.check("x", 27, 1_000),
            Ok(Verdict::NotLinearizable { .. })
        ));
    }

    #[test]
    fn a_kept_linearization_is_rechecked_when_an_operation_learns_its_deadline() {
        // "late" was given up on; a read after "c" still sees it, so it took effect after "c".
        let late = |deadline: Option<u64>| Event {
            deadline,
            ..Event::indeterminate(
                3,
                Op::Put {
                    key: "x".into(),
                    value: "late".into(),
                },
                0,
            )
        };
        let mut live = LiveHistories::settling_at(100);
        live.record(0, late(None), true);
        live.record(1, put("b", 1, Some(2)), true);
        live.record(2, put("c", 4, Some(5)), true);
        live.record(3, get(Some("late"), 6, 7), true);
        assert_eq!(live.check("x", 8, 1_000), Ok(Verdict::Linearizable));
        assert!(
            live.keys["x"].witness.is_some(),
            "the search's order is kept"
        );
        // The same order, with nothing new to fit in, now breaks real time: "late" took
        // effect by t=3, before "c" was invoked, so the read cannot see it.
        live.record(0, late(Some(3)), true);
        let whole: Vec<Event> = live.events("x").into_iter().cloned().collect();
        assert!(matches!(
            check(&whole, 1_000),
            Ok(Verdict::NotLinearizable { .. })
        ));
        assert_eq!(live.check("x", 9, 1_000), check(&whole, 1_000));
    }

    #[test]
    fn a_kept_linearization_takes_a_new_operation_where_it_fits() {
        let mut live = LiveHistories::settling_at(100);
        live.record(0, put("a", 0, Some(1)), true);
        live.record(1, put("b", 2, Some(3)), true);
        assert_eq!(live.check("x", 4, 1_000), Ok(Verdict::Linearizable));
        // A read of "a" that overlapped "b" fits before it; one after "b" does not fit.
        live.record(2, get(Some("a"), 2, 5), true);
        assert_eq!(live.check("x", 6, 1_000), Ok(Verdict::Linearizable));
        let kept = &live.keys["x"].witness.as_ref().map(|w| w.order.clone());
        assert_eq!(kept, &Some(vec![Ref::Op(0), Ref::Op(2), Ref::Op(1)]));
        live.record(3, get(Some("a"), 7, 8), true);
        assert!(matches!(
            live.check("x", 9, 1_000),
            Ok(Verdict::NotLinearizable { .. })
        ));
        assert!(live.keys["x"].witness.is_none());
    }
}
