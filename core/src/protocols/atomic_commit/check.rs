//! Atomic commit's safety properties as history-based checkers.
//!
//! The checker reads the audit trail a node leaves for the event it just handled (begin, vote,
//! prepare, decide, apply, recover) and keeps the whole history — across crashes and restarts —
//! so it can compare what every node ever did. After a restart it re-reads the node's durable
//! state whole, so an outcome forgotten or altered across a crash is caught too.
//!
//! Sources: Gray & Lamport, "Consensus on Transaction Commit" (ACM TODS 31(1), 2006), the TLA+
//! specifications `TCommit`/`TwoPhase`; Bernstein, Hadzilacos & Goodman, "Concurrency Control
//! and Recovery in Database Systems" (1987), §7.2, conditions AC1–AC5.

use super::msg::{Outcome, TxnId, Vote};
use super::node::{Audit, CommitServer, Kind, LogRec, Via};
use super::{AtomicCommit, Variant};
use crate::kernel::check::{Checker, CheckerInfo, Finding};
use crate::kernel::node::Actor;
use crate::kernel::types::{NodeId, Time};
use std::collections::{BTreeMap, BTreeSet};

/// Name of the atomicity property.
pub const ATOMICITY: &str = "atomicity";
/// Name of the validity property.
pub const VALIDITY: &str = "validity";
/// Name of the irrevocability property.
pub const IRREVOCABILITY: &str = "irrevocability";
/// Name of the no-unilateral-abort property.
pub const NO_UNILATERAL_ABORT: &str = "prepared-never-aborts-unilaterally";
/// Name of the recovery liveness property (checked by chaos runs after the heal).
pub const RECOVERY: &str = "recovery-liveness";
/// Name of the exactly-once property: a client request commits at most once.
pub const EXACTLY_ONCE: &str = "exactly-once";

const PROPERTIES: &[CheckerInfo] = &[
    CheckerInfo {
        name: ATOMICITY,
        source: "Gray & Lamport 2006, TLA+ TCommit invariant TCConsistent; BHG 1987 §7.2 AC1",
        summary: "No transaction is committed at one participant and aborted at another.",
    },
    CheckerInfo {
        name: VALIDITY,
        source: "BHG 1987 §7.2 AC3; Gray & Lamport 2006 §2 (commit only if all RMs prepared)",
        summary: "A transaction commits only if every participant that writes voted yes.",
    },
    CheckerInfo {
        name: IRREVOCABILITY,
        source: "BHG 1987 §7.2 AC2 (a process cannot reverse its decision)",
        summary: "A decision, once made or applied, never changes — not even across crashes.",
    },
    CheckerInfo {
        name: NO_UNILATERAL_ABORT,
        source: "Gray & Lamport 2006 TCommit: RMChooseToAbort only in state \"working\"",
        summary: "A prepared participant aborts only when told (2PC: by the coordinator; 3PC: \
                  by the coordinator or its termination protocol).",
    },
    CheckerInfo {
        name: EXACTLY_ONCE,
        source: "correctness guide (exactly-once); Lee et al., RIFL, SOSP 2015 (a completion \
                 record made durable with the operation answers every retry)",
        summary: "Each client request commits at most once — a duplicated or late Begin never \
                  runs it again, not even after the coordinator restarts — and never commits \
                  after it was aborted.",
    },
    CheckerInfo {
        name: RECOVERY,
        source: "BHG 1987 §7.2 AC5; checked by chaos runs after the network heals",
        summary: "Once failures are repaired, every in-doubt transaction resolves within a bound.",
    },
];

/// Everything the checker has learnt about one transaction, across every node and restart.
#[derive(Clone, Debug, Default)]
struct TxnFacts {
    /// Writers and readers, once the coordinator began it.
    begun: Option<(Vec<NodeId>, Vec<NodeId>)>,
    /// First vote of each participant, in the order they were seen.
    votes: Vec<(NodeId, Vote)>,
    /// Participants that ever prepared it.
    prepared: Vec<NodeId>,
    /// The coordinator's decision.
    decision: Option<Outcome>,
    /// Outcome each participant applied, ordered by node.
    applied: Vec<(NodeId, Outcome)>,
    /// The client request it runs, `(client actor, request number)`.
    request: Option<(NodeId, u64)>,
    /// Known committed (decided by the coordinator or applied somewhere).
    committed: bool,
    /// Properties already reported for it (bit `i` = `PROPERTIES[i]`): each violation is
    /// reported once.
    reported: u8,
}

impl TxnFacts {
    fn vote_of(&self, node: NodeId) -> Option<Vote> {
        self.votes.iter().find(|(n, _)| *n == node).map(|(_, v)| *v)
    }

    fn applied_at(&self, node: NodeId) -> Option<Outcome> {
        self.applied
            .binary_search_by_key(&node, |(n, _)| *n)
            .ok()
            .map(|i| self.applied[i].1)
    }
}

/// The transactions' facts by id. The coordinator numbers transactions 1, 2, 3, … (ids are
/// never reused), so they live in a vector indexed by id; an id far beyond the others (which
/// no correct coordinator hands out) goes to a map instead of growing the vector.
#[derive(Clone, Debug, Default)]
struct TxnTable {
    dense: Vec<TxnFacts>,
    sparse: BTreeMap<TxnId, TxnFacts>,
}

/// How far past the highest id so far a new id may be and still be stored densely.
const DENSE_SLACK: usize = 1 << 12;

/// Facts of a transaction never seen.
static NOTHING_KNOWN: TxnFacts = TxnFacts {
    begun: None,
    votes: Vec::new(),
    prepared: Vec::new(),
    decision: None,
    applied: Vec::new(),
    request: None,
    committed: false,
    reported: 0,
};

impl TxnTable {
    fn get(&self, txn: TxnId) -> &TxnFacts {
        match usize::try_from(txn.0) {
            Ok(i) if i < self.dense.len() => &self.dense[i],
            _ => self.sparse.get(&txn).unwrap_or(&NOTHING_KNOWN),
        }
    }

    fn get_mut(&mut self, txn: TxnId) -> &mut TxnFacts {
        match usize::try_from(txn.0) {
            Ok(i) if i < self.dense.len() + DENSE_SLACK => {
                if i >= self.dense.len() {
                    self.dense.resize_with(i + 1, TxnFacts::default);
                }
                &mut self.dense[i]
            }
            _ => self.sparse.entry(txn).or_default(),
        }
    }
}

/// The history-based checker bundle of atomic commit.
#[derive(Clone, Debug, Default)]
pub struct CommitChecker {
    /// What is known of each transaction.
    txns: TxnTable,
    /// Every transaction begun for each client request.
    txns_of: BTreeMap<(NodeId, u64), BTreeSet<TxnId>>,
}

impl CommitChecker {
    fn report(
        &mut self,
        findings: &mut Vec<Finding>,
        checker: &'static str,
        txn: TxnId,
        node: NodeId,
        detail: String,
    ) {
        let bit = PROPERTIES
            .iter()
            .position(|p| p.name == checker)
            .map_or(0, |i| 1u8 << i);
        let facts = self.txns.get_mut(txn);
        if facts.reported & bit == 0 {
            facts.reported |= bit;
            findings.push(Finding {
                checker,
                node: Some(node),
                detail,
            });
        }
    }

    fn check_validity(&mut self, txn: TxnId, node: NodeId, findings: &mut Vec<Finding>) {
        // Readers are outside the commit (read-only optimization): they hold nothing to
        // commit or abort, so validity constrains the writers' votes.
        let facts = self.txns.get(txn);
        let Some((writers, _readers)) = &facts.begun else {
            return;
        };
        let bad: Vec<String> = writers
            .iter()
            .filter(|w| facts.vote_of(**w) != Some(Vote::Yes))
            .map(|p| match facts.vote_of(*p) {
                Some(v) => format!("{p} voted {v}"),
                None => format!("{p} had not voted"),
            })
            .collect();
        if !bad.is_empty() {
            let detail = format!("{txn} committed at {node} although {}", bad.join(", "));
            self.report(findings, VALIDITY, txn, node, detail);
        }
    }

    fn decided(&mut self, txn: TxnId, outcome: Outcome, node: NodeId, f: &mut Vec<Finding>) {
        // A commit seen again (a restarted coordinator's log replays every one): validity and
        // exactly-once were judged the first time — votes are first-seen and reports are
        // once per transaction — so nothing new can be found.
        let facts = self.txns.get_mut(txn);
        if outcome == Outcome::Commit && facts.decision == Some(Outcome::Commit) {
            return;
        }
        match facts.decision {
            Some(prev) if prev != outcome => {
                let detail = format!(
                    "the coordinator decided {txn} {prev}, later {outcome} (decisions are final)"
                );
                self.report(f, IRREVOCABILITY, txn, node, detail);
            }
            Some(_) => {}
            None => facts.decision = Some(outcome),
        }
        if outcome == Outcome::Commit {
            self.check_validity(txn, node, f);
            self.committed_now(txn, node, f);
        }
    }

    /// `txn` is known committed: no other transaction of the same client request may have
    /// committed, or have been aborted (its client was told so).
    fn committed_now(&mut self, txn: TxnId, node: NodeId, f: &mut Vec<Finding>) {
        let facts = self.txns.get_mut(txn);
        if facts.committed {
            return;
        }
        facts.committed = true;
        let Some((client, req)) = facts.request else {
            return;
        };
        let others: Vec<TxnId> = self
            .txns_of
            .get(&(client, req))
            .into_iter()
            .flatten()
            .copied()
            .filter(|t| *t != txn)
            .collect();
        for other in others {
            let other_facts = self.txns.get(other);
            let detail = if other_facts.committed {
                format!(
                    "{client}'s request #{req} committed twice: as {other} and as {txn} (a \
                     duplicate Begin ran it again)"
                )
            } else if other_facts.decision == Some(Outcome::Abort) {
                format!(
                    "{client}'s request #{req} committed as {txn} after it had aborted as {other} \
                     (a duplicate Begin ran it again)"
                )
            } else {
                continue;
            };
            self.report(f, EXACTLY_ONCE, txn, node, detail);
            return;
        }
    }

    fn applied(
        &mut self,
        txn: TxnId,
        outcome: Outcome,
        via: Via,
        node: NodeId,
        variant: Variant,
        f: &mut Vec<Finding>,
    ) {
        let facts = self.txns.get_mut(txn);
        match facts.applied.binary_search_by_key(&node, |(n, _)| *n) {
            Ok(i) => {
                let prev = facts.applied[i].1;
                if prev != outcome {
                    let detail = format!("{node} applied {txn} {prev}, later {outcome}");
                    self.report(f, IRREVOCABILITY, txn, node, detail);
                }
                return;
            }
            Err(i) => facts.applied.insert(i, (node, outcome)),
        }
        if let Some((other, _)) = facts.applied.iter().find(|(_, o)| *o != outcome) {
            let (c, a) = if outcome == Outcome::Commit {
                (node, *other)
            } else {
                (*other, node)
            };
            let detail = format!("{txn} committed at {c} but aborted at {a}");
            self.report(f, ATOMICITY, txn, node, detail);
        }
        if outcome == Outcome::Commit {
            self.check_validity(txn, node, f);
            self.committed_now(txn, node, f);
        }
        let facts = self.txns.get(txn);
        let was_prepared = facts.prepared.contains(&node);
        let told = facts.decision == Some(Outcome::Abort)
            || (variant == Variant::ThreePhase && via == Via::Peers);
        if outcome == Outcome::Abort && was_prepared && !told {
            let coord = match facts.decision {
                Some(o) => format!("the coordinator had decided {o}"),
                None => "the coordinator had not decided".to_string(),
            };
            let detail = format!("{node} aborted {txn} while prepared, but {coord}");
            self.report(f, NO_UNILATERAL_ABORT, txn, node, detail);
        }
    }

    fn recovered(&mut self, id: NodeId, node: &CommitServer, f: &mut Vec<Finding>) {
        let d = node.durable_state();
        match node.kind() {
            Kind::Coordinator => {
                for rec in &d.log {
                    if let LogRec::Commit { txn, .. } = rec {
                        self.decided(*txn, Outcome::Commit, id, f);
                    }
                }
            }
            Kind::Participant => {
                for (txn, outcome) in &d.done {
                    if let Some(prev) = self.txns.get(*txn).applied_at(id) {
                        if prev != *outcome {
                            let detail = format!(
                                "{id} restarted believing {txn} {outcome}, but had applied {prev}"
                            );
                            self.report(f, IRREVOCABILITY, *txn, id, detail);
                        }
                    }
                }
                for txn in d.prepared.keys() {
                    if let Some(prev) = self.txns.get(*txn).applied_at(id) {
                        let detail = format!(
                            "{id} restarted in doubt about {txn}, but had already applied {prev}"
                        );
                        self.report(f, IRREVOCABILITY, *txn, id, detail);
                    }
                }
            }
        }
    }
}

impl Checker<AtomicCommit> for CommitChecker {
    fn properties() -> &'static [CheckerInfo] {
        PROPERTIES
    }

    fn observe(
        &mut self,
        _now: Time,
        id: NodeId,
        node: &Actor<AtomicCommit>,
        findings: &mut Vec<Finding>,
    ) {
        let Some(node) = node.server() else {
            return;
        };
        let variant = node.config().variant;
        for a in node.audit() {
            match a {
                Audit::Begin {
                    txn,
                    writers,
                    readers,
                    request,
                } => {
                    let facts = self.txns.get_mut(*txn);
                    facts.begun = Some((writers.clone(), readers.clone()));
                    if let Some(r) = request {
                        facts.request = Some(*r);
                        self.txns_of.entry(*r).or_default().insert(*txn);
                    }
                }
                Audit::Voted { txn, vote } => {
                    let facts = self.txns.get_mut(*txn);
                    if facts.vote_of(id).is_none() {
                        facts.votes.push((id, *vote));
                    }
                }
                Audit::Prepared { txn } => {
                    let facts = self.txns.get_mut(*txn);
                    if !facts.prepared.contains(&id) {
                        facts.prepared.push(id);
                    }
                }
                Audit::Decided { txn, outcome } => self.decided(*txn, *outcome, id, findings),
                Audit::Applied { txn, outcome, via } => {
                    self.applied(*txn, *outcome, *via, id, variant, findings);
                }
                Audit::Recovered => self.recovered(id, node, findings),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::atomic_commit::CommitConfig;

    fn node(id: u8, kind_coord: bool) -> CommitServer {
        let config = CommitConfig::default();
        let id = if kind_coord { NodeId(0) } else { NodeId(id) };
        let servers: Vec<NodeId> = (0..4).map(NodeId::from_index).collect();
        <CommitServer as crate::kernel::node::Server<AtomicCommit>>::new(
            id, &servers, &config, None,
        )
    }

    fn feed(c: &mut CommitChecker, n: &mut CommitServer, audit: Vec<Audit>) -> Vec<Finding> {
        n.audit = audit;
        let mut f = Vec::new();
        let actor = Actor::Server(n.clone());
        c.observe(Time(0), n.id, &actor, &mut f);
        f
    }

    #[test]
    fn one_commit_and_one_abort_break_atomicity_once() {
        let mut c = CommitChecker::default();
        let (mut n2, mut n3) = (node(1, false), node(2, false));
        let t = TxnId(1);
        let mut coord = node(0, true);
        let begin = Audit::Begin {
            txn: t,
            writers: vec![NodeId(1), NodeId(2)],
            readers: vec![],
            request: None,
        };
        assert!(feed(&mut c, &mut coord, vec![begin]).is_empty());
        for n in [&mut n2, &mut n3] {
            let v = vec![
                Audit::Voted {
                    txn: t,
                    vote: Vote::Yes,
                },
                Audit::Prepared { txn: t },
            ];
            assert!(feed(&mut c, n, v).is_empty());
        }
        let commit = |o| Audit::Applied {
            txn: t,
            outcome: o,
            via: Via::Coordinator,
        };
        let decide = Audit::Decided {
            txn: t,
            outcome: Outcome::Commit,
        };
        assert!(feed(&mut c, &mut coord, vec![decide]).is_empty());
        assert!(feed(&mut c, &mut n2, vec![commit(Outcome::Commit)]).is_empty());
        let f = feed(&mut c, &mut n3, vec![commit(Outcome::Abort)]);
        let names: Vec<&str> = f.iter().map(|x| x.checker).collect();
        assert_eq!(names, vec![ATOMICITY, NO_UNILATERAL_ABORT], "{f:?}");
        assert_eq!(f[0].detail, "t1 committed at n2 but aborted at n3");
        // Reported once.
        let again = Audit::Applied {
            txn: t,
            outcome: Outcome::Commit,
            via: Via::Coordinator,
        };
        let f = feed(&mut c, &mut n3, vec![again]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].checker, IRREVOCABILITY);
    }

    #[test]
    fn commit_without_every_yes_breaks_validity() {
        let mut c = CommitChecker::default();
        let mut coord = node(0, true);
        let t = TxnId(7);
        let mut n2 = node(1, false);
        let begin = Audit::Begin {
            txn: t,
            writers: vec![NodeId(1), NodeId(2)],
            readers: vec![],
            request: None,
        };
        feed(&mut c, &mut coord, vec![begin]);
        feed(
            &mut c,
            &mut n2,
            vec![Audit::Voted {
                txn: t,
                vote: Vote::Yes,
            }],
        );
        let f = feed(
            &mut c,
            &mut coord,
            vec![Audit::Decided {
                txn: t,
                outcome: Outcome::Commit,
            }],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].checker, VALIDITY);
        assert!(f[0].detail.contains("n3 had not voted"), "{}", f[0].detail);
    }

    #[test]
    fn a_forgotten_outcome_after_restart_breaks_irrevocability() {
        let mut c = CommitChecker::default();
        let mut n2 = node(1, false);
        let t = TxnId(3);
        feed(
            &mut c,
            &mut n2,
            vec![Audit::Applied {
                txn: t,
                outcome: Outcome::Commit,
                via: Via::Coordinator,
            }],
        );
        n2.d.done.insert(t, Outcome::Abort);
        let f = feed(&mut c, &mut n2, vec![Audit::Recovered]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].checker, IRREVOCABILITY);
    }

    #[test]
    fn one_request_committing_twice_or_after_its_abort_breaks_exactly_once() {
        let mut c = CommitChecker::default();
        let mut coord = node(0, true);
        let c1 = NodeId::client(0);
        let begin = |t: u64, req: u64| Audit::Begin {
            txn: TxnId(t),
            writers: vec![],
            readers: vec![NodeId(1)],
            request: Some((c1, req)),
        };
        let decide = |t: u64, outcome| Audit::Decided {
            txn: TxnId(t),
            outcome,
        };
        // Request #1 runs as t1 and, again, as t3: the second commit is the violation.
        let f = feed(&mut c, &mut coord, vec![begin(1, 1), begin(2, 2)]);
        assert!(f.is_empty(), "{f:?}");
        let f = feed(&mut c, &mut coord, vec![decide(1, Outcome::Commit)]);
        assert!(f.is_empty(), "{f:?}");
        let f = feed(
            &mut c,
            &mut coord,
            vec![begin(3, 1), decide(3, Outcome::Commit)],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].checker, EXACTLY_ONCE);
        assert_eq!(
            f[0].detail,
            "c1's request #1 committed twice: as t1 and as t3 (a duplicate Begin ran it again)"
        );
        // Request #2 aborted as t2; a copy that commits as t4 contradicts the answer.
        let f = feed(
            &mut c,
            &mut coord,
            vec![
                decide(2, Outcome::Abort),
                begin(4, 2),
                decide(4, Outcome::Commit),
            ],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0]
            .detail
            .contains("committed as t4 after it had aborted as t2"));
        // Reported once; a duplicate that aborts is harmless.
        let f = feed(
            &mut c,
            &mut coord,
            vec![
                decide(3, Outcome::Commit),
                begin(5, 1),
                decide(5, Outcome::Abort),
            ],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn voting_no_before_preparing_is_allowed() {
        let mut c = CommitChecker::default();
        let mut n2 = node(1, false);
        let t = TxnId(2);
        let f = feed(
            &mut c,
            &mut n2,
            vec![
                Audit::Voted {
                    txn: t,
                    vote: Vote::No,
                },
                Audit::Applied {
                    txn: t,
                    outcome: Outcome::Abort,
                    via: Via::Alone,
                },
            ],
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
