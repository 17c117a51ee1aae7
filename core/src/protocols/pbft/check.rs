//! PBFT's safety properties, checked after every event over the **correct** replicas (those
//! with no configured [`super::Behaviour`]) — a faulty replica may do anything.
//!
//! History-based: the checker remembers, across views, crashes and restarts, what every
//! correct replica decided and executed at every sequence number, which checkpoints it took,
//! and what every client issued and got back. Replicas report what each input made them do
//! ([`super::replica::Records`]), so each observation costs only what changed.

use super::client::PbftClient;
use super::msg::NULL;
use super::replica::Records;
use super::Pbft;
use crate::checkers::linearizability::{LiveHistories, Op, Verdict};
use crate::kernel::check::{Checker, CheckerInfo, Finding};
use crate::kernel::node::Actor;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::pbft::auth::Digest;
use std::collections::{BTreeMap, BTreeSet};

/// No two correct replicas commit or execute different requests at one sequence number.
pub const AGREEMENT: &str = "agreement";
/// Only requests clients issued execute.
pub const VALIDITY: &str = "validity";
/// Each (client, timestamp) changes the state at most once, at one sequence number.
pub const EXACTLY_ONCE: &str = "exactly-once";
/// Checkpoints of correct replicas at one sequence number have one digest.
pub const CHECKPOINT_CONSISTENCY: &str = "checkpoint-consistency";
/// The clients' accepted results are linearizable.
pub const LINEARIZABLE: &str = "linearizable";

const PROPERTIES: &[CheckerInfo] = &[
    CheckerInfo {
        name: AGREEMENT,
        source: "Castro & Liskov, OSDI 1999, §4.2 and §4.5.1 (safety: correct replicas agree on the sequence numbers of requests that commit locally, even in different views)",
        summary: "no two correct replicas commit or execute different requests at the same sequence number, across view changes",
    },
    CheckerInfo {
        name: VALIDITY,
        source: "OSDI 1999 §3 (service properties) and §4.1 (requests are signed by their clients)",
        summary: "only requests a client issued execute, exactly as issued",
    },
    CheckerInfo {
        name: EXACTLY_ONCE,
        source: "OSDI 1999 §4.1 (timestamps give exactly-once semantics)",
        summary: "each (client, timestamp) changes the state at most once, at a single sequence number",
    },
    CheckerInfo {
        name: CHECKPOINT_CONSISTENCY,
        source: "OSDI 1999 §4.3 (checkpoints and their proofs)",
        summary: "the checkpoints (taken and stable) of correct replicas at the same sequence number have the same state digest",
    },
    CheckerInfo {
        name: LINEARIZABLE,
        source: "Herlihy & Wing 1990; OSDI 1999 §3 (the service is linearizable)",
        summary: "the results clients accepted (f + 1 matching replies; timeouts indeterminate) are linearizable, per key",
    },
];

/// Search budget per live linearizability check (steps); past it the verdict is "unknown".
const LIN_BUDGET: u64 = 200_000;

/// What the checker saw at one sequence number first: digest, replica, label.
type First = (Digest, NodeId, String);

/// History kept by PBFT's checkers.
#[derive(Clone, Debug, Default)]
pub struct PbftChecker {
    /// Sequence number → the first decision seen there.
    decided: BTreeMap<u64, First>,
    /// Sequence number → the first execution seen there.
    executed: BTreeMap<u64, First>,
    /// (client, timestamp) → the sequence number where it changed the state.
    fresh: BTreeMap<(NodeId, u64), (u64, NodeId)>,
    /// (client, timestamp) → the operation the client issued.
    issued: BTreeMap<(NodeId, u64), Op>,
    /// Sequence number → the first checkpoint digest seen there.
    checkpoints: BTreeMap<u64, (Digest, NodeId)>,
    /// Client histories as last observed, per key: (client, timestamp) → event.
    histories: LiveHistories<(NodeId, u64)>,
    /// Per client: how many of its first operations are final (returned or given up).
    settled_ops: BTreeMap<NodeId, usize>,
    /// Violations already reported: (checker, sequence number or 0).
    reported: BTreeSet<(&'static str, u64)>,
    /// Linearizability checks that ran out of budget.
    unknown: u64,
}

impl PbftChecker {
    fn report(
        &mut self,
        findings: &mut Vec<Finding>,
        checker: &'static str,
        id: NodeId,
        key: u64,
        detail: String,
    ) {
        if self.reported.insert((checker, key)) {
            findings.push(Finding {
                checker,
                node: Some(id),
                detail,
            });
        }
    }

    /// Linearizability checks that ran out of their step budget so far.
    pub fn unknown_checks(&self) -> u64 {
        self.unknown
    }

    /// Judge what correct replica `id` did while handling its latest input ([`super::replica::Replica::records`];
    /// public so tests can feed records directly).
    pub fn observe_records(&mut self, id: NodeId, records: &Records, findings: &mut Vec<Finding>) {
        for d in &records.decided {
            self.agree(findings, id, d.seq, d.digest, &d.label, "committed");
        }
        for e in &records.executed {
            let label = e
                .request
                .as_ref()
                .map_or_else(|| "null".to_string(), ToString::to_string);
            self.agree(findings, id, e.seq, e.digest, &label, "executed");
            let Some(req) = &e.request else {
                continue;
            };
            let key = req.key();
            if self.issued.get(&key) != Some(&req.op) {
                let detail = format!(
                    "{id} executed {req} at n={}, which {} never issued",
                    e.seq, req.client
                );
                self.report(findings, VALIDITY, id, e.seq, detail);
            }
            if e.fresh {
                match self.fresh.get(&key).copied() {
                    Some((seq, other)) if seq != e.seq => {
                        let detail = format!(
                            "{req} changed {id}'s state at n={} after it changed {other}'s at n={seq}",
                            e.seq
                        );
                        self.report(findings, EXACTLY_ONCE, id, e.seq, detail);
                    }
                    Some(_) => {}
                    None => {
                        self.fresh.insert(key, (e.seq, id));
                    }
                }
            }
        }
        for (seq, digest) in records.checkpoints.iter().chain(&records.stable) {
            match self.checkpoints.get(seq).copied() {
                Some((d, other)) if d != *digest => {
                    let detail = format!(
                        "{id}'s checkpoint at n={seq} has state {digest}, {other}'s has {d}"
                    );
                    self.report(findings, CHECKPOINT_CONSISTENCY, id, *seq, detail);
                }
                Some(_) => {}
                None => {
                    self.checkpoints.insert(*seq, (*digest, id));
                }
            }
        }
    }

    /// Agreement at `seq`: the first digest seen there (decided or executed) is the only one.
    fn agree(
        &mut self,
        findings: &mut Vec<Finding>,
        id: NodeId,
        seq: u64,
        digest: Digest,
        label: &str,
        what: &str,
    ) {
        let map = if what == "executed" {
            &mut self.executed
        } else {
            &mut self.decided
        };
        match map.get(&seq) {
            Some((d, other, first)) if *d != digest => {
                let detail = format!(
                    "{id} {what} {} at n={seq}, but {other} {what} {first} there",
                    if digest == NULL {
                        "a null request"
                    } else {
                        label
                    },
                );
                self.report(findings, AGREEMENT, id, seq, detail);
            }
            Some(_) => {}
            None => {
                map.insert(seq, (digest, id, label.to_string()));
            }
        }
    }

    /// Follow a client's history: what it issued, and on every newly finished operation a
    /// linearizability check of its key.
    fn observe_client(
        &mut self,
        now: Time,
        id: NodeId,
        client: &PbftClient,
        findings: &mut Vec<Finding>,
    ) {
        let number = id.client_index().map_or(0, |k| k as u32 + 1);
        let history = client.history();
        let from = self.settled_ops.get(&id).copied().unwrap_or(0);
        let mut keys = BTreeSet::new();
        for op in history.iter().skip(from) {
            self.issued.insert((id, op.timestamp), op.op.clone());
            let done = op.returned.is_some() || op.gave_up;
            self.histories
                .record((id, op.timestamp), op.event(number), done);
            if op.returned.is_some() {
                keys.insert(op.op.key().to_string());
            }
        }
        let settled = history
            .iter()
            .position(|o| o.returned.is_none() && !o.gave_up)
            .unwrap_or(history.len());
        self.settled_ops.insert(id, settled.max(from));
        for key in keys {
            match self.histories.check(&key, now.0, LIN_BUDGET) {
                Ok(Verdict::NotLinearizable { reason, .. }) => {
                    let detail =
                        format!("the history of key {key:?} is not linearizable: {reason}");
                    self.report(findings, LINEARIZABLE, id, 0, detail);
                }
                Ok(Verdict::Unknown { .. }) => self.unknown += 1,
                Ok(Verdict::Linearizable) | Err(_) => {}
            }
        }
    }
}

impl Checker<Pbft> for PbftChecker {
    fn properties() -> &'static [CheckerInfo] {
        PROPERTIES
    }

    fn observe(&mut self, now: Time, id: NodeId, node: &Actor<Pbft>, findings: &mut Vec<Finding>) {
        match node {
            Actor::Client(c) => self.observe_client(now, id, c, findings),
            Actor::Server(r) if r.behaviour().is_none() => {
                self.observe_records(id, r.records(), findings)
            }
            Actor::Server(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::pbft::auth::Signer;
    use crate::protocols::pbft::msg::ClientRequest;
    use crate::protocols::pbft::replica::{Decision, Execution};

    fn put(ts: u64, value: &str) -> ClientRequest {
        let op = Op::Put {
            key: "x".into(),
            value: value.into(),
        };
        ClientRequest::new(&Signer::new(NodeId::client(0)), ts, op)
    }

    fn issue(c: &mut PbftChecker, r: &ClientRequest) {
        c.issued.insert(r.key(), r.op.clone());
    }

    fn executed(seq: u64, r: Option<&ClientRequest>, fresh: bool) -> Records {
        Records {
            executed: vec![Execution {
                seq,
                view: 0,
                digest: r.map_or(NULL, ClientRequest::digest),
                request: r.cloned(),
                fresh,
            }],
            ..Records::default()
        }
    }

    #[test]
    fn agreement_fires_once_for_two_requests_at_one_sequence_number() {
        let mut c = PbftChecker::default();
        let (a, b) = (put(1, "a"), put(2, "b"));
        issue(&mut c, &a);
        issue(&mut c, &b);
        let decided = |r: &ClientRequest, view| Records {
            decided: vec![Decision {
                seq: 3,
                view,
                digest: r.digest(),
                label: r.to_string(),
                local: true,
            }],
            ..Records::default()
        };
        let mut f = Vec::new();
        c.observe_records(NodeId(0), &decided(&a, 0), &mut f);
        c.observe_records(NodeId(1), &decided(&a, 1), &mut f);
        assert!(
            f.is_empty(),
            "the same request again in a later view is fine"
        );
        c.observe_records(NodeId(2), &decided(&b, 1), &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].checker, AGREEMENT);
        assert_eq!(
            f[0].detail,
            "n3 committed c1#2 put x b at n=3, but n1 committed c1#1 put x a there"
        );
        c.observe_records(NodeId(3), &decided(&b, 2), &mut f);
        assert_eq!(f.len(), 1, "reported once");
    }

    #[test]
    fn validity_fires_for_a_request_no_client_issued() {
        let mut c = PbftChecker::default();
        let issued = put(1, "a");
        issue(&mut c, &issued);
        let mut f = Vec::new();
        c.observe_records(NodeId(0), &executed(1, Some(&issued), true), &mut f);
        assert!(f.is_empty());
        // The same client and timestamp with another operation: not what c1 issued.
        let made_up = put(1, "evil");
        c.observe_records(NodeId(1), &executed(2, Some(&made_up), true), &mut f);
        assert!(f.iter().any(|x| x.checker == VALIDITY), "{f:?}");
    }

    #[test]
    fn exactly_once_fires_when_a_timestamp_changes_the_state_twice() {
        let mut c = PbftChecker::default();
        let r = put(1, "a");
        issue(&mut c, &r);
        let mut f = Vec::new();
        c.observe_records(NodeId(0), &executed(4, Some(&r), true), &mut f);
        c.observe_records(NodeId(0), &executed(4, Some(&r), true), &mut f);
        assert!(
            f.is_empty(),
            "re-executing the same slot after a restart is not a second time"
        );
        c.observe_records(NodeId(0), &executed(6, Some(&r), false), &mut f);
        assert!(f.is_empty(), "a duplicate that changed nothing is fine");
        c.observe_records(NodeId(1), &executed(7, Some(&r), true), &mut f);
        assert!(f.iter().any(|x| x.checker == EXACTLY_ONCE), "{f:?}");
    }

    #[test]
    fn checkpoint_consistency_compares_digests_at_one_sequence_number() {
        let mut c = PbftChecker::default();
        let mut f = Vec::new();
        let cp = |d: u64| Records {
            checkpoints: vec![(8, Digest(d))],
            ..Records::default()
        };
        c.observe_records(NodeId(0), &cp(1), &mut f);
        c.observe_records(NodeId(1), &cp(1), &mut f);
        assert!(f.is_empty());
        c.observe_records(NodeId(2), &cp(2), &mut f);
        assert_eq!(f[0].checker, CHECKPOINT_CONSISTENCY);
    }
}
