//! Raft's election-time safety properties (Figure 3 and §5.2), checked after every event.
//!
//! All three are *history-based*: they remember what every node did across crashes and
//! restarts, so a node that forgets its vote after a restart is still caught.

use super::node::RaftNode;
use crate::check::{Checker, CheckerInfo, Finding};
use crate::node::Node;
use crate::types::{NodeId, Time};
use crate::view::Role;
use std::collections::{BTreeMap, BTreeSet};

/// Name of the Election Safety property.
pub const ELECTION_SAFETY: &str = "election-safety";
/// Name of the vote safety property.
pub const VOTE_SAFETY: &str = "vote-safety";
/// Name of the term monotonicity property.
pub const TERM_MONOTONIC: &str = "term-monotonic";

const PROPERTIES: &[CheckerInfo] = &[
    CheckerInfo {
        name: ELECTION_SAFETY,
        source: "Raft paper, Figure 3 (Election Safety), §5.2",
        summary: "at most one leader can be elected in a given term",
    },
    CheckerInfo {
        name: VOTE_SAFETY,
        source: "Raft paper, Figure 2 (votedFor is persistent), §5.2",
        summary: "each server grants at most one vote per term, even across restarts",
    },
    CheckerInfo {
        name: TERM_MONOTONIC,
        source: "Raft paper, Figure 2 (currentTerm is persistent, increases monotonically)",
        summary: "a server's currentTerm never decreases, even across restarts",
    },
];

/// History kept by Raft's checkers.
#[derive(Clone, Debug, Default)]
pub struct RaftChecker {
    /// Term → the node that became leader in it (first one seen).
    leaders: BTreeMap<u64, NodeId>,
    /// (voter, term) → candidate voted for (first vote seen).
    votes: BTreeMap<(NodeId, u64), NodeId>,
    /// Highest term each node has been seen in (by node index).
    terms: Vec<u64>,
    /// Last (term, candidate) vote and last term led, per node: unchanged state needs no
    /// history lookup (this runs after every event).
    last_vote: Vec<Option<(u64, NodeId)>>,
    last_led: Vec<Option<u64>>,
    /// Violations already reported (each is reported once, not after every later event).
    reported: BTreeSet<(&'static str, NodeId, u64)>,
}

impl RaftChecker {
    fn report(
        &mut self,
        findings: &mut Vec<Finding>,
        checker: &'static str,
        id: NodeId,
        term: u64,
        detail: String,
    ) {
        if self.reported.insert((checker, id, term)) {
            findings.push(Finding {
                checker,
                node: Some(id),
                detail,
            });
        }
    }
}

impl Checker<RaftNode> for RaftChecker {
    fn properties() -> &'static [CheckerInfo] {
        PROPERTIES
    }

    fn observe(&mut self, _now: Time, id: NodeId, node: &RaftNode, findings: &mut Vec<Finding>) {
        let term = node.current_term();
        let i = id.index();
        if self.terms.len() <= i {
            self.terms.resize(i + 1, 0);
            self.last_vote.resize(i + 1, None);
            self.last_led.resize(i + 1, None);
        }

        let seen = self.terms[i];
        if term < seen {
            let detail = format!("{id}'s currentTerm went back from {seen} to {term}");
            self.report(findings, TERM_MONOTONIC, id, term, detail);
        }
        self.terms[i] = seen.max(term);

        if node.role() == Role::Leader && self.last_led[i] != Some(term) {
            self.last_led[i] = Some(term);
            match self.leaders.get(&term).copied() {
                Some(other) if other != id => {
                    let detail = format!("{id} and {other} both became leader in term {term}");
                    self.report(findings, ELECTION_SAFETY, id, term, detail);
                }
                Some(_) => {}
                None => {
                    self.leaders.insert(term, id);
                }
            }
        }

        let vote = node.voted_for().map(|c| (term, c));
        if let Some((_, candidate)) = vote.filter(|v| self.last_vote[i] != Some(*v)) {
            self.last_vote[i] = vote;
            match self.votes.get(&(id, term)).copied() {
                Some(earlier) if earlier != candidate => {
                    let detail =
                        format!("{id} voted for {earlier} and then for {candidate} in term {term}");
                    self.report(findings, VOTE_SAFETY, id, term, detail);
                }
                Some(_) => {}
                None => {
                    self.votes.insert((id, term), candidate);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::{Durable, RaftConfig};

    fn follower(id: u8, term: u64, voted_for: Option<u8>) -> RaftNode {
        RaftNode::new(
            NodeId(id),
            3,
            &RaftConfig::default(),
            Some(Durable {
                current_term: term,
                voted_for: voted_for.map(NodeId),
                log: vec![],
            }),
        )
    }

    #[test]
    fn double_vote_across_restart_is_caught() {
        let mut c = RaftChecker::default();
        let mut f = Vec::new();
        c.observe(Time(1), NodeId(0), &follower(0, 3, Some(1)), &mut f);
        assert!(f.is_empty());
        // After a "restart" that forgot the vote, the node votes again in term 3.
        c.observe(Time(2), NodeId(0), &follower(0, 3, None), &mut f);
        assert!(f.is_empty(), "forgetting alone is not a violation");
        c.observe(Time(3), NodeId(0), &follower(0, 3, Some(2)), &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].checker, VOTE_SAFETY);
        assert_eq!(f[0].detail, "n1 voted for n2 and then for n3 in term 3");
        // Reported once, not again after every later event.
        c.observe(Time(4), NodeId(0), &follower(0, 3, Some(2)), &mut f);
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn term_going_back_is_caught() {
        let mut c = RaftChecker::default();
        let mut f = Vec::new();
        c.observe(Time(1), NodeId(1), &follower(1, 5, None), &mut f);
        c.observe(Time(2), NodeId(1), &follower(1, 4, None), &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].checker, TERM_MONOTONIC);
    }
}
