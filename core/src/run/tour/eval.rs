//! Deciding expectations: each [`Expectation`] is checked against a running
//! [`Playground`] — its [`crate::kernel::view::Snapshot`], its typed trace (kept as a
//! [`History`]) and the protocol's answers to [`Probe`]s — and yields a [`Verdict`] with a
//! reason in words.

use super::{EventMatch, Expectation};
use crate::kernel::probe::{Fact, Probe};
use crate::kernel::trace::TraceItem;
use crate::kernel::types::{MsgId, NodeId, Time};
use crate::kernel::view::{NodeSnapshot, NodeStatus, Snapshot};
use crate::run::playground::Playground;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Whether one expectation holds, and why (or why not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// It holds.
    pub met: bool,
    /// What was found, in words ("n4 leads term 3").
    pub reason: String,
}

impl Verdict {
    fn new(met: bool, reason: impl Into<String>) -> Verdict {
        Verdict {
            met,
            reason: reason.into(),
        }
    }
}

/// One trace entry as the matchers need it.
#[derive(Clone, Debug)]
struct Seen {
    item: TraceItem,
    /// The message kind of a send / deliver / drop.
    kind: Option<&'static str>,
    /// The text form, kept for replies only (`contains` matches it).
    text: Option<String>,
}

/// The typed trace read so far, kept incrementally (a playground's trace only grows).
#[derive(Clone, Debug, Default)]
pub struct History {
    seen: Vec<Seen>,
    kinds: BTreeMap<MsgId, &'static str>,
}

impl History {
    /// Read every trace entry `p` has added since the last call.
    pub fn update(&mut self, p: &dyn Playground) {
        for i in self.seen.len()..p.trace_len() {
            let Some((_, item)) = p.trace_item(i) else {
                break;
            };
            let kind = match &item {
                TraceItem::Send { id, kind, .. } => {
                    self.kinds.insert(*id, kind);
                    Some(*kind)
                }
                TraceItem::Deliver { id, .. } | TraceItem::Wait { id, .. } => {
                    self.kinds.get(id).copied()
                }
                TraceItem::Drop { kind, .. } => Some(*kind),
                _ => None,
            };
            let text = match &item {
                TraceItem::Reply { .. } => p.trace_line(i).map(|l| l.text),
                _ => None,
            };
            self.seen.push(Seen { item, kind, text });
        }
    }

    /// Entries read so far.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing was read yet.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Whether entry `index` matches `m`.
    pub fn matches(&self, index: usize, m: &EventMatch) -> bool {
        self.seen.get(index).is_some_and(|s| matches(s, m))
    }

    fn count(&self, m: &EventMatch) -> usize {
        self.seen.iter().filter(|s| matches(s, m)).count()
    }
}

fn opt_eq<T: PartialEq>(want: &Option<T>, got: T) -> bool {
    want.as_ref().is_none_or(|w| *w == got)
}

fn matches(s: &Seen, m: &EventMatch) -> bool {
    let kind_ok = |want: &Option<String>| match (want, s.kind) {
        (None, _) => true,
        (Some(w), Some(k)) => w == k,
        (Some(_), None) => false,
    };
    match (m, &s.item) {
        (EventMatch::Send { kind, from, to }, TraceItem::Send { from: f, to: t, .. })
        | (EventMatch::Deliver { kind, from, to }, TraceItem::Deliver { from: f, to: t, .. })
        | (EventMatch::Drop { kind, from, to }, TraceItem::Drop { from: f, to: t, .. }) => {
            kind_ok(kind) && opt_eq(from, *f) && opt_eq(to, *t)
        }
        (
            EventMatch::Role { node, role, term },
            TraceItem::Role {
                node: n,
                role: r,
                term: t,
            },
        ) => {
            opt_eq(node, *n)
                && role.as_deref().is_none_or(|w| w == r.name)
                && term.is_none_or(|w| *t == Some(w))
        }
        (EventMatch::Control { control }, TraceItem::Control(c)) => {
            control.as_deref().is_none_or(|w| w == control_type(c))
        }
        (EventMatch::Reply { node, contains }, TraceItem::Reply { node: n }) => {
            opt_eq(node, *n)
                && contains
                    .as_deref()
                    .is_none_or(|w| s.text.as_deref().is_some_and(|t| t.contains(w)))
        }
        (EventMatch::Start { node }, TraceItem::Start { node: n, .. }) => opt_eq(node, *n),
        (EventMatch::Violation { checker }, TraceItem::Violation { checker: c, .. }) => {
            checker.as_deref().is_none_or(|w| w == *c)
        }
        _ => false,
    }
}

/// The `type` a control is written with in the action log (`"heal_all"`).
pub fn control_type(c: &crate::kernel::control::Control) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// Watches a list of expectations over a run: keeps the trace [`History`] and, for each
/// [`Expectation::Held`] inside, since when its inner claim has held. Call
/// [`Watcher::observe`] after every step (only needed when [`Expectation::needs_history`]),
/// and [`Watcher::check`] whenever a verdict is wanted.
#[derive(Clone, Debug, Default)]
pub struct Watcher {
    history: History,
    /// Per `held` node, in pre-order over the list: since when its inner claim holds.
    since: Vec<Option<Time>>,
}

impl Watcher {
    /// A watcher for nothing yet (its `held` timers are sized on first use).
    pub fn new() -> Watcher {
        Watcher::default()
    }

    /// The trace read so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Read the trace's new entries and update `held` timers of `list`.
    pub fn observe(&mut self, p: &dyn Playground, list: &[Expectation]) {
        self.history.update(p);
        if !list.iter().any(Expectation::needs_history) {
            return;
        }
        let snap = p.snapshot();
        let mut at = 0;
        let mut updates = Vec::new();
        for e in list {
            collect_held(e, &mut |inner| {
                let ok = Ctx {
                    p,
                    snap: &snap,
                    w: self,
                    held: &mut 0,
                }
                .eval(inner)
                .met;
                updates.push(ok);
            });
        }
        for ok in updates {
            if self.since.len() <= at {
                self.since.push(None);
            }
            self.since[at] = if ok {
                self.since[at].or(Some(snap.now))
            } else {
                None
            };
            at += 1;
        }
    }

    /// Decide every expectation of `list` now.
    pub fn check(&mut self, p: &dyn Playground, list: &[Expectation]) -> Vec<Verdict> {
        self.history.update(p);
        let snap = p.snapshot();
        let mut held = 0;
        let mut ctx = Ctx {
            p,
            snap: &snap,
            w: self,
            held: &mut held,
        };
        list.iter().map(|e| ctx.eval(e)).collect()
    }
}

/// Call `f` with the inner claim of every `held` node, in pre-order.
fn collect_held(e: &Expectation, f: &mut dyn FnMut(&Expectation)) {
    match e {
        Expectation::Held { expect, .. } => {
            f(expect);
            collect_held(expect, f);
        }
        Expectation::Not { expect } => collect_held(expect, f),
        Expectation::Any { of } => of.iter().for_each(|x| collect_held(x, f)),
        _ => {}
    }
}

/// Decide `e` once against `p` (a `held` claim counts as met only with a [`Watcher`] that
/// observed the run; this one-shot form has none and says so).
pub fn evaluate(p: &dyn Playground, e: &Expectation) -> Verdict {
    let mut w = Watcher::new();
    w.check(p, std::slice::from_ref(e)).remove(0)
}

struct Ctx<'a> {
    p: &'a dyn Playground,
    snap: &'a Snapshot,
    w: &'a Watcher,
    /// Index of the next `held` node in pre-order.
    held: &'a mut usize,
}

/// Join per-node findings into a verdict: met if no node failed.
fn per_node(nodes: &[NodeId], mut each: impl FnMut(NodeId) -> Result<String, String>) -> Verdict {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for &n in nodes {
        match each(n) {
            Ok(s) => good.push(s),
            Err(s) => bad.push(s),
        }
    }
    if bad.is_empty() {
        Verdict::new(true, good.join("; "))
    } else {
        Verdict::new(false, bad.join("; "))
    }
}

fn values_text(v: &[String]) -> String {
    match v {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        many => format!("siblings [{}]", many.join(", ")),
    }
}

impl Ctx<'_> {
    fn node(&self, n: NodeId) -> Result<&NodeSnapshot, String> {
        self.snap
            .nodes
            .iter()
            .find(|x| x.id == n)
            .ok_or_else(|| format!("there is no {n}"))
    }

    fn up(&self, n: NodeId) -> Result<&NodeSnapshot, String> {
        let node = self.node(n)?;
        match node.status {
            NodeStatus::Up => Ok(node),
            NodeStatus::Crashed => Err(format!("{n} is crashed")),
            NodeStatus::Paused => Ok(node),
        }
    }

    fn log_entry(&self, n: NodeId, index: u64) -> Result<Option<u64>, String> {
        let node = self.node(n)?;
        let log = node
            .view
            .log
            .as_ref()
            .ok_or_else(|| format!("{n} keeps no log"))?;
        if index > log.last_index {
            return Ok(None);
        }
        if let Some(cell) = log.tail.iter().find(|c| c.index == index) {
            return Ok(Some(cell.term));
        }
        if index <= log.snapshot_index {
            return Err(format!("{n} folded index {index} into its snapshot"));
        }
        Err(format!("index {index} is outside {n}'s log tail on view"))
    }

    fn eval(&mut self, e: &Expectation) -> Verdict {
        match e {
            Expectation::Role { nodes, role, term } => per_node(nodes, |n| {
                let v = &self.up(n)?.view;
                let t = v.term.map(|t| format!(" in term {t}")).unwrap_or_default();
                let got = format!("{n} is {}{t}", v.role.name);
                if v.role.name == role && term.is_none_or(|w| v.term == Some(w)) {
                    Ok(got)
                } else {
                    let want_t = term.map(|t| format!(" in term {t}")).unwrap_or_default();
                    Err(format!("{got}, not {role}{want_t}"))
                }
            }),
            Expectation::Leads { node, term } => per_node(&[*node], |n| {
                let v = &self.up(n)?.view;
                let t = v.term.unwrap_or(0);
                if v.role.leads && v.term == Some(*term) {
                    Ok(format!("{n} leads term {t}"))
                } else {
                    Err(format!(
                        "{n} is {} in term {t}, not leader of term {term}",
                        v.role.name
                    ))
                }
            }),
            Expectation::LogTerm { index, term, nodes } => {
                per_node(nodes, |n| match self.log_entry(n, *index)? {
                    Some(t) if t == *term => Ok(format!("{n} has {index}@{t}")),
                    Some(t) => Err(format!("{n} has index {index} from term {t}, not {term}")),
                    None => Err(format!("{n}'s log ends before index {index}")),
                })
            }
            Expectation::LogShorter { index, nodes } => {
                per_node(nodes, |n| match self.log_entry(n, *index)? {
                    Some(t) => Err(format!("{n} has index {index} (term {t})")),
                    None => Ok(format!("{n} has no index {index}")),
                })
            }
            Expectation::Committed { index, nodes } => per_node(nodes, |n| {
                let node = self.node(n)?;
                let c = node
                    .view
                    .log
                    .as_ref()
                    .ok_or_else(|| format!("{n} keeps no log"))?
                    .commit_index;
                if c >= *index {
                    Ok(format!("{n} has committed up to {c}"))
                } else {
                    Err(format!("{n}'s commit index is {c}, below {index}"))
                }
            }),
            Expectation::CommitIndex { index, nodes } => per_node(nodes, |n| {
                let node = self.node(n)?;
                let c = node
                    .view
                    .log
                    .as_ref()
                    .ok_or_else(|| format!("{n} keeps no log"))?
                    .commit_index;
                if c == *index {
                    Ok(format!("{n}'s commit index is {c}"))
                } else {
                    Err(format!("{n}'s commit index is {c}, not {index}"))
                }
            }),
            Expectation::Value { key, values, nodes } => per_node(nodes, |n| {
                self.up(n)?;
                match self.p.probe(n, &Probe::Key(key)) {
                    Fact::Values(mut got) => {
                        got.sort();
                        let mut want = values.clone();
                        want.sort();
                        let said = format!("{n} holds {key} = {}", values_text(&got));
                        if got == want {
                            Ok(said)
                        } else {
                            Err(format!("{said}, not {}", values_text(&want)))
                        }
                    }
                    _ => Err(format!("{n} keeps no key-value state")),
                }
            }),
            Expectation::Read {
                client,
                key,
                values,
            } => match self.p.probe(*client, &Probe::Read(key)) {
                Fact::Values(mut got) => {
                    got.sort();
                    let mut want = values.clone();
                    want.sort();
                    let said = format!("{client} last read {key} = {}", values_text(&got));
                    if got == want {
                        Verdict::new(true, said)
                    } else {
                        Verdict::new(false, format!("{said}, not {}", values_text(&want)))
                    }
                }
                _ => Verdict::new(false, format!("{client} has no completed read of {key}")),
            },
            Expectation::Txn { txn, state, nodes } => per_node(nodes, |n| {
                self.up(n)?;
                match self.p.probe(n, &Probe::Txn(txn)) {
                    Fact::Txn(got) if got == *state => {
                        Ok(format!("{txn} is {} at {n}", got.words()))
                    }
                    Fact::Txn(got) => Err(format!(
                        "{txn} is {} at {n}, not {}",
                        got.words(),
                        state.words()
                    )),
                    _ => Err(format!("{n} keeps no transactions")),
                }
            }),
            Expectation::Status { nodes, status } => per_node(nodes, |n| {
                let got = self.node(n)?.status;
                let word = |s: NodeStatus| match s {
                    NodeStatus::Up => "up",
                    NodeStatus::Crashed => "crashed",
                    NodeStatus::Paused => "paused",
                };
                if got == *status {
                    Ok(format!("{n} is {}", word(got)))
                } else {
                    Err(format!("{n} is {}, not {}", word(got), word(*status)))
                }
            }),
            Expectation::Violation { checker, present } => {
                let found: Vec<_> = self
                    .p
                    .violations()
                    .iter()
                    .filter(|v| checker.as_deref().is_none_or(|c| c == v.checker))
                    .collect();
                let what = checker.as_deref().unwrap_or("any property");
                let reason = match found.first() {
                    Some(v) => format!("{what} violated at t={}: {}", v.at, v.detail),
                    None => format!("no violation of {what}"),
                };
                Verdict::new(found.is_empty() != *present, reason)
            }
            Expectation::InFlight { kind, min, max } => {
                let n = self
                    .snap
                    .in_flight
                    .iter()
                    .filter(|m| m.kind == kind)
                    .count();
                let ok = n >= *min && max.is_none_or(|m| n <= m);
                Verdict::new(ok, format!("{n} {kind} in flight"))
            }
            Expectation::Counter { name, min } => {
                let got = self
                    .p
                    .counters()
                    .named()
                    .into_iter()
                    .find(|(k, _)| k == name)
                    .map_or(0, |(_, v)| v);
                let need = if got >= *min as u64 {
                    String::new()
                } else {
                    format!(" (needs {min})")
                };
                Verdict::new(got >= *min as u64, format!("{name}: {got}{need}"))
            }
            Expectation::Happened { event, min } => {
                let got = self.w.history.count(event);
                Verdict::new(got >= *min, happened_text(event, got, *min))
            }
            Expectation::SplitTerm { role, winner, min } => self.split_term(role, winner, *min),
            Expectation::Held { ms, expect } => {
                let slot = *self.held;
                *self.held += 1;
                let now = self.snap.now;
                let inner = self.eval(expect);
                match self.w.since.get(slot).copied().flatten() {
                    Some(since) if inner.met => {
                        let lasted = now.0.saturating_sub(since.0);
                        let so_far = if lasted >= *ms {
                            format!("for {lasted} ms")
                        } else {
                            format!("for {lasted} of the {ms} ms needed")
                        };
                        Verdict::new(
                            lasted >= *ms,
                            format!("{} {so_far}, since t={since} ms", inner.reason),
                        )
                    }
                    _ => Verdict::new(false, format!("{} (must hold for {ms} ms)", inner.reason)),
                }
            }
            Expectation::Not { expect } => {
                let inner = self.eval(expect);
                Verdict::new(!inner.met, inner.reason)
            }
            Expectation::Any { of } => {
                let all: Vec<Verdict> = of.iter().map(|e| self.eval(e)).collect();
                match all.iter().find(|v| v.met) {
                    Some(v) => Verdict::new(true, v.reason.clone()),
                    None => Verdict::new(
                        false,
                        all.iter()
                            .map(|v| v.reason.as_str())
                            .collect::<Vec<_>>()
                            .join(" / "),
                    ),
                }
            }
        }
    }

    fn split_term(&self, role: &str, winner: &str, min: usize) -> Verdict {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let mut contenders: BTreeMap<u64, BTreeSet<NodeId>> = BTreeMap::new();
        let mut won: BTreeSet<u64> = BTreeSet::new();
        for s in &self.w.history.seen {
            if let TraceItem::Role {
                node,
                role: r,
                term: Some(t),
            } = &s.item
            {
                if r.name == role {
                    contenders.entry(*t).or_default().insert(*node);
                }
                if r.name == winner {
                    won.insert(*t);
                }
            }
        }
        // A term still being contested now is not (yet) split.
        let current = self
            .snap
            .nodes
            .iter()
            .filter_map(|n| n.view.term)
            .max()
            .unwrap_or(0);
        let split = contenders
            .iter()
            .find(|(t, who)| who.len() >= min && !won.contains(t) && **t < current);
        match split {
            Some((t, who)) => Verdict::new(
                true,
                format!(
                    "term {t}: {} became {role}, nobody became {winner}",
                    who.iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None => Verdict::new(
                false,
                format!(
                    "no finished term yet with {} and no {winner}",
                    plural(min, role)
                ),
            ),
        }
    }
}

/// What an event pattern matches, in words: `RequestVote sent by n1`, `n3 becoming leader in
/// term 2`, `a message to n2 dropped`, `a crash action`.
pub fn describe_event(m: &EventMatch) -> String {
    let end =
        |word: &str, n: &Option<NodeId>| n.map(|n| format!(" {word} {n}")).unwrap_or_default();
    let kind = |k: &Option<String>| k.clone().unwrap_or_else(|| "a message".into());
    match m {
        EventMatch::Send { kind: k, from, to } => {
            format!("{} sent{}{}", kind(k), end("by", from), end("to", to))
        }
        EventMatch::Deliver { kind: k, from, to } => {
            format!(
                "{}{} delivered{}",
                kind(k),
                end("from", from),
                end("to", to)
            )
        }
        EventMatch::Drop { kind: k, from, to } => {
            format!("{}{}{} dropped", kind(k), end("from", from), end("to", to))
        }
        EventMatch::Role { node, role, term } => {
            let who = node.map_or("a node".to_string(), |n| n.to_string());
            let what = role.clone().unwrap_or_else(|| "a new role".into());
            let when = term.map(|t| format!(" in term {t}")).unwrap_or_default();
            format!("{who} becoming {what}{when}")
        }
        EventMatch::Control { control } => match control {
            Some(c) => format!("a {c} action"),
            None => "a user action".into(),
        },
        EventMatch::Reply { node, contains } => {
            let at = node.map(|n| format!(" at {n}")).unwrap_or_default();
            let says = contains
                .as_ref()
                .map(|c| format!(" saying {c:?}"))
                .unwrap_or_default();
            format!("a reply{at}{says}")
        }
        EventMatch::Start { node } => match node {
            Some(n) => format!("{n} starting"),
            None => "a node starting".into(),
        },
        EventMatch::Violation { checker } => match checker {
            Some(c) => format!("a violation of {c}"),
            None => "a violation".into(),
        },
    }
}

/// The reason of a `happened` verdict: `RequestVote sent by n1: none yet`,
/// `n3 becoming leader: 2 so far (needs 3)`.
fn happened_text(m: &EventMatch, got: usize, min: usize) -> String {
    let count = match got {
        0 => "none yet".to_string(),
        n => format!("{n} so far"),
    };
    // "none yet" already says what one more would change (and reads right under `not`).
    let need = if got < min && min > 1 {
        format!(" (needs {min})")
    } else {
        String::new()
    };
    format!("{}: {count}{need}", describe_event(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_patterns_and_counts_read_as_words() {
        let sent = EventMatch::Send {
            kind: Some("RequestVote".into()),
            from: Some(NodeId(0)),
            to: None,
        };
        assert_eq!(describe_event(&sent), "RequestVote sent by n1");
        assert_eq!(
            happened_text(&sent, 0, 1),
            "RequestVote sent by n1: none yet"
        );
        assert_eq!(
            happened_text(&sent, 1, 1),
            "RequestVote sent by n1: 1 so far"
        );
        assert_eq!(
            happened_text(&sent, 0, 3),
            "RequestVote sent by n1: none yet (needs 3)"
        );
        assert_eq!(
            happened_text(&sent, 2, 3),
            "RequestVote sent by n1: 2 so far (needs 3)"
        );
        let role = EventMatch::Role {
            node: Some(NodeId(2)),
            role: Some("leader".into()),
            term: Some(4),
        };
        assert_eq!(describe_event(&role), "n3 becoming leader in term 4");
        let crash = EventMatch::Control {
            control: Some("crash".into()),
        };
        assert_eq!(describe_event(&crash), "a crash action");
        let reply = EventMatch::Reply {
            node: None,
            contains: Some("failed".into()),
        };
        assert_eq!(describe_event(&reply), "a reply saying \"failed\"");
        let any = EventMatch::Drop {
            kind: None,
            from: None,
            to: Some(NodeId(1)),
        };
        assert_eq!(describe_event(&any), "a message to n2 dropped");
    }
}
