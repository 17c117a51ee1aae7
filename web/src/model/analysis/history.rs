//! The client history as the page draws it: each operation from invocation to return
//! ([`HistoryOp`], supplied by the protocol's panel from typed state), split per key with one
//! lane per client ([`by_key`], [`key_views`]); the live linearizability verdict of each key
//! (with the shared checker, `check_keys`) and, for a key that is not linearizable, the
//! offending operations and one sentence saying what went wrong ([`explain`]). Protocols that
//! promise less (the Dynamo-style store) mark the anomalies their level allows instead, and
//! atomic commit adds its transactions' timelines ([`Txn`]).

use netsplit_core::checkers::linearizability::{check_keys, Event, Op, Outcome, Verdict};
use netsplit_core::NodeId;
use std::collections::{BTreeMap, BTreeSet};

/// Search budget per key for the page's live check (steps).
pub const BUDGET: u64 = 100_000;

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OpStatus {
    /// Answered: it took effect (a failed `cas` is an answer too).
    Ok,
    /// Answered with a failure: it did not take effect.
    Failed,
    /// Never answered: it may or may not have taken effect.
    Indeterminate,
    /// Still in progress.
    Pending,
}

impl OpStatus {
    /// A word for it.
    pub fn word(self) -> &'static str {
        match self {
            OpStatus::Ok => "ok",
            OpStatus::Failed => "failed",
            OpStatus::Indeterminate => "indeterminate",
            OpStatus::Pending => "in progress",
        }
    }
}

/// What a level that promises less than linearizability lets happen to an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anomaly {
    /// A read that missed a write acknowledged before it was sent (which one, in words).
    StaleRead(String),
    /// A read that returned concurrent versions.
    Siblings(usize),
    /// An acknowledged write that no server holds any more (nor anything after it).
    LostWrite,
}

impl Anomaly {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Anomaly::StaleRead(missed) => format!("stale read: missed {missed}"),
            Anomaly::Siblings(n) => format!("{n} siblings (concurrent versions)"),
            Anomaly::LostWrite => "lost write: acknowledged, then gone from every server".into(),
        }
    }

    /// A short tag for a bar.
    pub fn tag(&self) -> &'static str {
        match self {
            Anomaly::StaleRead(_) => "stale",
            Anomaly::Siblings(_) => "siblings",
            Anomaly::LostWrite => "lost",
        }
    }
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryOp {
    /// The client.
    pub client: NodeId,
    /// The key it touches.
    pub key: String,
    /// The operation in words (`put x 1`).
    pub label: String,
    /// Its result in words (`ok`, `1`, `not found`, `failed: …`).
    pub result: String,
    /// Invoked at (ms).
    pub invoked: u64,
    /// Returned at (ms), if it did.
    pub returned: Option<u64>,
    /// How it ended.
    pub status: OpStatus,
    /// For a linearizability check: the operation as the checker sees it.
    pub event: Option<Event>,
    /// What the protocol's level let happen to it.
    pub anomaly: Option<Anomaly>,
}

/// One participant's vote in a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnVote {
    /// The participant.
    pub node: NodeId,
    /// When it voted.
    pub at: u64,
    /// The vote in words (`yes`, `no`, `read-only`).
    pub vote: String,
    /// Whether it lets the transaction commit.
    pub yes: bool,
}

/// One transaction of an atomic commit protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn {
    /// Its name (`t3`).
    pub name: String,
    /// Started at (the coordinator's first Prepare).
    pub begun: u64,
    /// The participants asked.
    pub participants: Vec<NodeId>,
    /// Votes, in the order they were sent.
    pub votes: Vec<TxnVote>,
    /// The decision: when, and commit (`true`) or abort.
    pub decision: Option<(u64, bool)>,
    /// When each participant learned the outcome.
    pub applied: Vec<(NodeId, u64)>,
}

/// What the history is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Nothing (only drawn).
    None,
    /// Linearizability, per key.
    Linearizability,
    /// The anomalies of a weaker level (marked per operation).
    Anomalies,
}

/// A protocol's client history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHistory {
    /// Every operation, oldest invocation first.
    pub ops: Vec<HistoryOp>,
    /// What it is checked against.
    pub check: Check,
    /// Transactions (atomic commit).
    pub txns: Vec<Txn>,
}

impl Default for ClientHistory {
    fn default() -> ClientHistory {
        ClientHistory {
            ops: Vec::new(),
            check: Check::None,
            txns: Vec::new(),
        }
    }
}

impl ClientHistory {
    /// A cheap fingerprint of what the verdicts depend on (recheck only when it changes).
    pub fn fingerprint(&self) -> (usize, usize, usize, u64) {
        let returned = self.ops.iter().filter(|o| o.returned.is_some()).count();
        let given_up = self
            .ops
            .iter()
            .filter(|o| o.status == OpStatus::Indeterminate)
            .count();
        let last = self.ops.last().map_or(0, |o| o.invoked);
        (self.ops.len(), returned, given_up, last)
    }
}

/// A key's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// Some order explains every result.
    Linearizable,
    /// No order does; the offending operations and one sentence why.
    NotLinearizable {
        /// Indices into the history's operations.
        offending: BTreeSet<usize>,
        /// One sentence.
        sentence: String,
        /// The checker's own, longer reason.
        reason: String,
    },
    /// The search ran out of its budget.
    Unknown,
    /// Not checked (no linearizability promise): how many anomalies were marked.
    Anomalies(usize),
    /// Nothing to check yet, or nothing promised.
    Unchecked,
}

/// One key's part of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyView {
    /// The key.
    pub key: String,
    /// Its operations (indices into the history), invocation order.
    pub ops: Vec<usize>,
    /// Its lanes: the clients that touched it, in id order.
    pub clients: Vec<NodeId>,
    /// The verdict.
    pub status: KeyStatus,
}

/// Operations per key (indices into `ops`), keys sorted.
pub fn by_key(ops: &[HistoryOp]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        out.entry(op.key.clone()).or_default().push(i);
    }
    out
}

fn written(op: &Op, outcome: &Outcome) -> Option<Option<String>> {
    match (op, outcome) {
        (Op::Put { value, .. }, _) => Some(Some(value.clone())),
        (Op::Delete { .. }, _) => Some(None),
        (Op::Cas { new, .. }, Outcome::CasOk) => Some(Some(new.clone())),
        _ => None,
    }
}

fn read(outcome: &Outcome) -> Option<Option<String>> {
    match outcome {
        Outcome::Value(v) => Some(v.clone()),
        Outcome::CasFailed { current } => Some(current.clone()),
        _ => None,
    }
}

fn show(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "nothing".to_string())
}

/// One sentence on why the operations `offending` of `ops` (all on one key) cannot be
/// linearized: the last result that breaks it, and the write it contradicts
/// ("get x returned 1 after put x 2 completed").
pub fn explain(ops: &[HistoryOp], offending: &BTreeSet<usize>) -> String {
    let completed = |i: &&usize| {
        ops[**i].returned.is_some()
            && ops[**i]
                .event
                .as_ref()
                .is_some_and(|e| e.returned.is_some())
    };
    let Some(&culprit) = offending
        .iter()
        .filter(completed)
        .max_by_key(|i| (ops[**i].returned, **i))
    else {
        return "no order of these operations matches a single copy of the data".to_string();
    };
    let c = &ops[culprit];
    let Some(Event {
        op,
        returned: Some((_, outcome)),
        ..
    }) = &c.event
    else {
        return String::new();
    };
    // Writes that finished before the culprit started, latest first.
    let mut before: Vec<(u64, usize, Option<String>)> = offending
        .iter()
        .filter(|i| **i != culprit)
        .filter_map(|i| {
            let e = ops[*i].event.as_ref()?;
            let (at, out) = e.returned.as_ref()?;
            (*at < c.invoked).then_some(())?;
            written(&e.op, out).map(|v| (*at, *i, v))
        })
        .collect();
    before.sort_by_key(|(at, i, _)| std::cmp::Reverse((*at, *i)));
    let seen = read(outcome);
    let verb = match op {
        Op::Get { .. } => "returned",
        _ => "found",
    };
    match seen {
        Some(v) => {
            let wrote_v = offending.iter().any(|i| {
                ops[*i].event.as_ref().and_then(|e| match &e.returned {
                    Some((_, o)) => written(&e.op, o),
                    // An indeterminate write may have written it.
                    None => written(&e.op, &Outcome::Ok),
                }) == Some(v.clone())
            });
            if v.is_some() && !wrote_v {
                format!(
                    "{} {verb} {}, a value no operation wrote",
                    c.label,
                    show(&v)
                )
            } else if let Some((_, w, _)) = before.iter().find(|(_, _, wv)| *wv != v) {
                format!(
                    "{} {verb} {} after {} completed",
                    c.label,
                    show(&v),
                    ops[*w].label
                )
            } else {
                format!(
                    "{} {verb} {}, which no order of the {} operations on {} explains",
                    c.label,
                    show(&v),
                    offending.len(),
                    c.key
                )
            }
        }
        None => format!(
            "{} returned {}, which no order of the {} operations on {} explains",
            c.label,
            c.result,
            offending.len(),
            c.key
        ),
    }
}

/// Every key's lanes and verdict.
pub fn key_views(h: &ClientHistory) -> Vec<KeyView> {
    let keys = by_key(&h.ops);
    // The checker sees the operations that carry an event; map its indices back.
    let mut events = Vec::new();
    let mut back = Vec::new();
    if h.check == Check::Linearizability {
        for (i, op) in h.ops.iter().enumerate() {
            if let Some(e) = &op.event {
                events.push(e.clone());
                back.push(i);
            }
        }
    }
    let verdicts: BTreeMap<String, Verdict> = if events.is_empty() {
        BTreeMap::new()
    } else {
        check_keys(&events, BUDGET, false)
            .map(|v| v.into_iter().map(|k| (k.key, k.verdict)).collect())
            .unwrap_or_default()
    };
    keys.into_iter()
        .map(|(key, ops)| {
            let clients: BTreeSet<NodeId> = ops.iter().map(|i| h.ops[*i].client).collect();
            let status = match h.check {
                Check::Linearizability => match verdicts.get(&key) {
                    Some(Verdict::Linearizable) => KeyStatus::Linearizable,
                    Some(Verdict::NotLinearizable { ops, reason, .. }) => {
                        let offending: BTreeSet<usize> =
                            ops.iter().filter_map(|e| back.get(*e).copied()).collect();
                        KeyStatus::NotLinearizable {
                            sentence: explain(&h.ops, &offending),
                            offending,
                            reason: reason.clone(),
                        }
                    }
                    Some(Verdict::Unknown { .. }) => KeyStatus::Unknown,
                    None => KeyStatus::Unchecked,
                },
                Check::Anomalies => KeyStatus::Anomalies(
                    ops.iter().filter(|i| h.ops[**i].anomaly.is_some()).count(),
                ),
                Check::None => KeyStatus::Unchecked,
            };
            KeyView {
                key,
                ops,
                clients: clients.into_iter().collect(),
                status,
            }
        })
        .collect()
}

/// The history of a protocol whose clients' operations are checked for linearizability: each
/// client's operations (`event(op, n)` is an operation as client number `n`'s history event —
/// c1 is 1, as the checkers number them — and whether the client gave up on it), oldest
/// invocation first.
pub fn linearizable_history<'a, O: 'a>(
    clients: impl IntoIterator<Item = (NodeId, &'a [O])>,
    event: impl Fn(&O, u32) -> (Event, bool),
) -> ClientHistory {
    let mut ops: Vec<HistoryOp> = clients
        .into_iter()
        .flat_map(|(id, ops)| {
            let number = id.client_index().map_or(0, |k| k as u32 + 1);
            ops.iter().map(move |o| (id, o, number))
        })
        .map(|(id, o, number)| {
            let (e, gave_up) = event(o, number);
            op_of_event(id, e, gave_up)
        })
        .collect();
    ops.sort_by_key(|o| (o.invoked, o.client));
    ClientHistory {
        ops,
        check: Check::Linearizability,
        txns: Vec::new(),
    }
}

/// A history operation from a linearizability event of client `client` (used by panels and
/// tests): labels from the operation and outcome.
pub fn op_of_event(client: NodeId, event: Event, gave_up: bool) -> HistoryOp {
    let (status, result) = match (&event.returned, gave_up) {
        (Some((_, outcome)), _) => (OpStatus::Ok, outcome_words(&event.op, outcome)),
        (None, true) => (OpStatus::Indeterminate, "no answer: gave up".to_string()),
        (None, false) => (OpStatus::Pending, "…".to_string()),
    };
    HistoryOp {
        client,
        key: event.op.key().to_string(),
        label: op_words(&event.op),
        result,
        invoked: event.invoked_at,
        returned: event.returned.as_ref().map(|(t, _)| *t),
        status,
        event: Some(event),
        anomaly: None,
    }
}

/// An operation in words: `put x 1`, `get x`, `cas x 1 2`, `delete x`.
pub fn op_words(op: &Op) -> String {
    match op {
        Op::Put { key, value } => format!("put {key} {value}"),
        Op::Get { key } => format!("get {key}"),
        Op::Cas { key, expected, new } => format!("cas {key} {} {new}", show(expected)),
        Op::Delete { key } => format!("delete {key}"),
    }
}

/// A result in words: `ok`, `1`, `nothing`, `cas failed (found 2)`.
pub fn outcome_words(op: &Op, outcome: &Outcome) -> String {
    match (op, outcome) {
        (_, Outcome::Value(v)) => show(v),
        (_, Outcome::CasFailed { current }) => format!("cas failed (found {})", show(current)),
        _ => "ok".to_string(),
    }
}

/// Histories shared by the tests of this module and of the metrics.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    fn put(key: &str, value: &str) -> Op {
        Op::Put {
            key: key.into(),
            value: value.into(),
        }
    }

    fn get(key: &str) -> Op {
        Op::Get { key: key.into() }
    }

    fn c(k: usize) -> NodeId {
        NodeId::client(k)
    }

    /// A history that is not linearizable on `x` (a read of an overwritten value after the
    /// overwrite completed) and fine on `y`.
    pub fn stale_history() -> ClientHistory {
        let ops = vec![
            op_of_event(
                c(0),
                Event::completed(1, put("x", "1"), 0, 10, Outcome::Ok),
                false,
            ),
            op_of_event(
                c(1),
                Event::completed(2, put("y", "5"), 5, 12, Outcome::Ok),
                false,
            ),
            op_of_event(
                c(0),
                Event::completed(1, put("x", "2"), 20, 30, Outcome::Ok),
                false,
            ),
            op_of_event(
                c(1),
                Event::completed(2, get("x"), 40, 50, Outcome::Value(Some("1".into()))),
                false,
            ),
            op_of_event(
                c(1),
                Event::completed(2, get("y"), 60, 70, Outcome::Value(Some("5".into()))),
                false,
            ),
            op_of_event(c(0), Event::indeterminate(1, put("y", "6"), 80), true),
        ];
        ClientHistory {
            ops,
            check: Check::Linearizability,
            txns: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::stale_history;
    use super::*;

    fn put(key: &str, value: &str) -> Op {
        Op::Put {
            key: key.into(),
            value: value.into(),
        }
    }

    fn get(key: &str) -> Op {
        Op::Get { key: key.into() }
    }

    fn c(k: usize) -> NodeId {
        NodeId::client(k)
    }

    #[test]
    fn the_history_splits_per_key_with_a_lane_per_client() {
        let h = stale_history();
        let keys = by_key(&h.ops);
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(keys["x"], vec![0, 2, 3]);
        assert_eq!(keys["y"], vec![1, 4, 5]);
        let views = key_views(&h);
        assert_eq!(views[0].clients, vec![c(0), c(1)]);
        assert_eq!(views[1].clients, vec![c(0), c(1)]);
        assert_eq!(h.ops[5].status, OpStatus::Indeterminate);
        assert_eq!(h.ops[3].result, "1");
    }

    #[test]
    fn a_non_linearizable_key_names_its_offending_operations_in_one_sentence() {
        let h = stale_history();
        let views = key_views(&h);
        match &views[0].status {
            KeyStatus::NotLinearizable {
                offending,
                sentence,
                reason,
            } => {
                assert_eq!(offending, &BTreeSet::from([0, 2, 3]));
                assert_eq!(sentence, "get x returned 1 after put x 2 completed");
                assert!(reason.contains("cannot be explained"), "{reason}");
            }
            other => panic!("x: {other:?}"),
        }
        assert_eq!(views[1].status, KeyStatus::Linearizable);
    }

    #[test]
    fn sentences_for_values_nobody_wrote_and_missing_values() {
        let ops = vec![
            op_of_event(
                c(0),
                Event::completed(1, put("x", "1"), 0, 10, Outcome::Ok),
                false,
            ),
            op_of_event(
                c(1),
                Event::completed(2, get("x"), 20, 30, Outcome::Value(Some("9".into()))),
                false,
            ),
        ];
        let all = BTreeSet::from([0, 1]);
        assert_eq!(
            explain(&ops, &all),
            "get x returned 9, a value no operation wrote"
        );
        let ops = vec![
            ops[0].clone(),
            op_of_event(
                c(1),
                Event::completed(2, get("x"), 20, 30, Outcome::Value(None)),
                false,
            ),
        ];
        assert_eq!(
            explain(&ops, &all),
            "get x returned nothing after put x 1 completed"
        );
        let h = ClientHistory {
            ops,
            check: Check::Linearizability,
            txns: Vec::new(),
        };
        assert!(matches!(
            key_views(&h)[0].status,
            KeyStatus::NotLinearizable { .. }
        ));
    }

    #[test]
    fn anomalies_are_counted_instead_of_a_verdict() {
        let mut h = stale_history();
        h.check = Check::Anomalies;
        h.ops[3].anomaly = Some(Anomaly::StaleRead("put x 2".into()));
        let views = key_views(&h);
        assert_eq!(views[0].status, KeyStatus::Anomalies(1));
        assert_eq!(views[1].status, KeyStatus::Anomalies(0));
        assert_eq!(
            h.ops[3].anomaly.as_ref().unwrap().describe(),
            "stale read: missed put x 2"
        );
        let before = h.fingerprint();
        h.ops[5].status = OpStatus::Ok;
        h.ops[5].returned = Some(90);
        assert_ne!(h.fingerprint(), before);
    }
}
