//! Raft's safety properties (Figure 3 of the paper), checked after every event.
//!
//! All are *history-based*: they remember what every node did across crashes and restarts, so
//! a node that forgets its vote after a restart is still caught.
//!
//! The log properties rest on a **hash chain**: for every node the checker keeps
//! `chain[i] = H(chain[i-1], term_i, command_i)` of its log as last observed. Equal chains at an
//! index mean identical prefixes, so "same index and term ⇒ identical prefix" (Log Matching),
//! "the committed prefix is in every new leader's log" (Leader Completeness) and "every applied
//! sequence is a prefix of one canonical sequence" (State Machine Safety) are O(1) comparisons.
//! Chains are extended incrementally; a node's truncation counter tells when to rebuild one.

use super::machine::Command;
use super::{Raft, RaftClient, RaftRole, RaftServer};
use crate::checkers::linearizability::{LiveHistories, Verdict};
use crate::kernel::check::{Checker, CheckerInfo, Finding};
use crate::kernel::node::Actor;
use crate::kernel::trace::Fnv64;
use crate::kernel::types::{NodeId, Time};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;

mod state;

pub use state::{APPLIED_STATE, EXACTLY_ONCE, SNAPSHOT_STATE};

/// Name of the Election Safety property.
pub const ELECTION_SAFETY: &str = "election-safety";
/// Name of the vote safety property.
pub const VOTE_SAFETY: &str = "vote-safety";
/// Name of the term monotonicity property.
pub const TERM_MONOTONIC: &str = "term-monotonic";
/// Name of the Leader Append-Only property.
pub const LEADER_APPEND_ONLY: &str = "leader-append-only";
/// Name of the Log Matching property.
pub const LOG_MATCHING: &str = "log-matching";
/// Name of the Leader Completeness property.
pub const LEADER_COMPLETENESS: &str = "leader-completeness";
/// Name of the State Machine Safety property.
pub const STATE_MACHINE_SAFETY: &str = "state-machine-safety";
/// Name of the committed-is-durable property.
pub const COMMITTED_DURABLE: &str = "committed-durable";
/// Name of the client-history linearizability property.
pub const LINEARIZABLE: &str = "linearizable";

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
    CheckerInfo {
        name: LEADER_APPEND_ONLY,
        source: "Raft paper, Figure 3 (Leader Append-Only), §5.3",
        summary: "a leader never overwrites or deletes entries in its log; it only appends",
    },
    CheckerInfo {
        name: LOG_MATCHING,
        source: "Raft paper, Figure 3 (Log Matching), §5.3",
        summary: "if two logs hold an entry with the same index and term, the logs are identical up to it",
    },
    CheckerInfo {
        name: LEADER_COMPLETENESS,
        source: "Raft paper, Figure 3 (Leader Completeness), §5.4",
        summary: "a committed entry is in the log of every leader of a later term",
    },
    CheckerInfo {
        name: STATE_MACHINE_SAFETY,
        source: "Raft paper, Figure 3 (State Machine Safety), §5.4.3",
        summary: "no two servers commit or apply different entries at the same index; lastApplied ≤ commitIndex",
    },
    CheckerInfo {
        name: COMMITTED_DURABLE,
        source: "Raft paper, §5.4 (an entry is committed once stored on a majority)",
        summary: "the committed prefix only grows and stays durably stored on a majority",
    },
    CheckerInfo {
        name: EXACTLY_ONCE,
        source: "Raft paper §8 (clients' serial numbers: a command already executed is not executed again); thesis §6.3",
        summary: "each (client, sequence number) takes effect at most once on every server: only at the committed index where it first appears, re-applied there after a restart",
    },
    CheckerInfo {
        name: APPLIED_STATE,
        source: "Raft paper Figure 3 (State Machine Safety), §5.4.3 — checked on the applied state, not the log",
        summary: "servers that applied the same number of entries hold the same state (key-value map and client sessions)",
    },
    CheckerInfo {
        name: SNAPSHOT_STATE,
        source: "Raft paper §7, Figure 12 (a snapshot replaces the committed entries it covers)",
        summary: "a snapshot up to index i holds exactly the state that applying the committed entries 1..i produces",
    },
    CheckerInfo {
        name: LINEARIZABLE,
        source: "Herlihy & Wing 1990; Raft paper §8 and §6.4 (linearizable reads)",
        summary: "the clients' key-value history (timeouts indeterminate) is linearizable, per key",
    },
];

/// Search budget per linearizability check (steps); past it the verdict is "unknown".
const LIN_BUDGET: u64 = 200_000;

/// One link of a hash chain (64-bit FNV-1a over the previous link, the term and the command's
/// `Hash` form: every field, so two entries link alike only if they are equal).
fn link(prev: u64, term: u64, command: &Command) -> u64 {
    let mut h = Fnv64::default();
    h.write(&prev.to_le_bytes());
    h.write(&term.to_le_bytes());
    command.hash(&mut h);
    h.finish()
}

/// What the checker knows of one node's log.
#[derive(Clone, Debug, Default)]
struct LogTrack {
    /// `chain[i]` covers entries `1..=i+1`.
    chain: Vec<u64>,
    /// The node's truncation counter when `chain` was last brought up to date.
    truncations: Option<u64>,
    /// While leading: (term, log length, chain at that length) at the last observation.
    leading: Option<(u64, usize, u64)>,
    /// How many entries of `chain` were on stable storage at the last observation — all of
    /// them but for the `ack-before-persist` mutant. A crashed server keeps exactly these.
    durable: usize,
}

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
    /// Per node: the log as a hash chain.
    logs: Vec<LogTrack>,
    /// (index, term) → chain first seen there (Log Matching).
    seen: BTreeMap<(u64, u64), u64>,
    /// The canonical committed prefix, as a hash chain (`committed[i]` covers 1..=i+1).
    committed: Vec<u64>,
    /// The term in which each committed index was first seen committed (by its leader, which
    /// always learns first). Non-decreasing.
    committed_in: Vec<u64>,
    /// Client histories as last observed, per key: (client, seq) → event.
    histories: LiveHistories<(NodeId, u64)>,
    /// Per client: how many of its first operations are final (returned or given up).
    settled_ops: BTreeMap<NodeId, usize>,
    /// Linearizability checks that ran out of budget.
    unknown: u64,
    /// The reference state machine and what the state checks remember.
    state: state::StateChecks,
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

impl RaftChecker {
    /// Bring node `i`'s chain up to date and check Log Matching on the new links. Returns
    /// whether entries the checker had seen were removed or replaced.
    fn track_log(&mut self, id: NodeId, node: &RaftServer, findings: &mut Vec<Finding>) -> bool {
        let i = id.index();
        if self.logs.len() <= i {
            self.logs.resize_with(i + 1, LogTrack::default);
        }
        // The logical log: the snapshot's entries (committed, so they are the canonical
        // committed chain) followed by the entries still in the log.
        let snap = usize::try_from(node.snapshot_index()).unwrap_or(usize::MAX);
        let log = node.log();
        let len = snap + log.len();
        let track = &mut self.logs[i];
        let valid = if track.truncations == Some(node.truncations()) {
            track.chain.len().min(len)
        } else {
            0
        };
        // Only after a truncation can known links change: keep the old ones to compare.
        let before = if valid < track.chain.len() {
            track.chain.split_off(valid)
        } else {
            Vec::new()
        };
        track.truncations = Some(node.truncations());
        track.durable = usize::try_from(node.durable_last_index()).unwrap_or(usize::MAX);
        let mut fresh = Vec::new();
        let mut beyond_commit = None;
        for k in valid..len {
            let h = if k < snap {
                match self.committed.get(k) {
                    Some(h) => *h,
                    None => {
                        beyond_commit.get_or_insert(k as u64 + 1);
                        0
                    }
                }
            } else {
                let e = &log[k - snap];
                let prev = if k == 0 { 0 } else { track.chain[k - 1] };
                let h = link(prev, e.term, &e.command);
                fresh.push((k as u64 + 1, e.term, h));
                h
            };
            track.chain.push(h);
        }
        if let Some(index) = beyond_commit {
            let detail = format!(
                "{id} holds a snapshot up to index {snap}, but index {index} was never committed"
            );
            self.report(findings, STATE_MACHINE_SAFETY, id, index, detail);
        }
        let track = &self.logs[i];
        let replaced = before
            .iter()
            .zip(track.chain.iter().skip(valid))
            .any(|(a, b)| a != b);
        let shrunk = replaced || track.chain.len() < valid + before.len();
        for (index, term, h) in fresh {
            match self.seen.get(&(index, term)).copied() {
                Some(other) if other != h => {
                    let detail = format!(
                        "{id}'s log differs from another log before index {index}, although both hold an entry of term {term} there"
                    );
                    self.report(findings, LOG_MATCHING, id, index, detail);
                }
                Some(_) => {}
                None => {
                    self.seen.insert((index, term), h);
                }
            }
        }
        shrunk
    }

    /// Follow a client's history; on every newly finished operation, check its key.
    fn observe_client(
        &mut self,
        now: Time,
        id: NodeId,
        client: &RaftClient,
        findings: &mut Vec<Finding>,
    ) {
        let number = id.client_index().map_or(0, |k| k as u32 + 1);
        let history = client.history();
        let from = self.settled_ops.get(&id).copied().unwrap_or(0);
        let mut keys = BTreeSet::new();
        for op in history.iter().skip(from) {
            let done = op.returned.is_some() || op.gave_up;
            self.histories.record((id, op.seq), op.event(number), done);
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
                Ok(Verdict::NotLinearizable { reason, ops, .. }) => {
                    let detail = format!(
                        "the history of key {key:?} is not linearizable ({} operations): {reason}",
                        ops.len()
                    );
                    self.report(findings, LINEARIZABLE, id, 0, detail);
                }
                Ok(Verdict::Unknown { .. }) => self.unknown += 1,
                Ok(Verdict::Linearizable) | Err(_) => {}
            }
        }
    }

    /// Linearizability checks that ran out of their step budget so far.
    pub fn unknown_checks(&self) -> u64 {
        self.unknown
    }

    fn check_log(
        &mut self,
        id: NodeId,
        node: &RaftServer,
        shrunk: bool,
        findings: &mut Vec<Finding>,
    ) {
        let i = id.index();
        // Borrow the chain out (O(1)) so the rest of the checker can be updated meanwhile.
        let chain = std::mem::take(&mut self.logs[i].chain);
        self.check_chain(id, node, &chain, shrunk, findings);
        self.logs[i].chain = chain;
    }

    fn check_chain(
        &mut self,
        id: NodeId,
        node: &RaftServer,
        chain: &[u64],
        shrunk: bool,
        findings: &mut Vec<Finding>,
    ) {
        let i = id.index();
        let term = node.current_term();
        let at = |k: usize| {
            if k == 0 {
                Some(0)
            } else {
                chain.get(k - 1).copied()
            }
        };

        // Leader Append-Only, and Leader Completeness when a leadership begins.
        let leading = (node.raft_role() == RaftRole::Leader).then_some(term);
        match (self.logs[i].leading, leading) {
            (Some((t, len, h)), Some(now)) if t == now && at(len) != Some(h) => {
                let detail = format!(
                    "{id}, leader of term {t}, removed or changed entries at or before index {len}"
                );
                self.report(findings, LEADER_APPEND_ONLY, id, t, detail);
            }
            (Some((t, _, _)), Some(now)) if t == now => {}
            (_, Some(now)) => {
                // Only entries committed in *earlier* terms must be there (a stale candidate
                // may still win an old term after later terms committed more).
                let k = self.committed_in.partition_point(|t| *t < now);
                if k > 0 && at(k) != Some(self.committed[k - 1]) {
                    let detail = format!(
                        "{id} became leader of term {now} without the committed entry at index {k}"
                    );
                    self.report(findings, LEADER_COMPLETENESS, id, now, detail);
                }
            }
            _ => {}
        }
        self.logs[i].leading = leading.map(|t| (t, chain.len(), at(chain.len()).unwrap_or(0)));

        // State Machine Safety: what this node committed and applied agrees with everyone.
        let commit = usize::try_from(node.commit_index()).unwrap_or(usize::MAX);
        let applied = usize::try_from(node.last_applied()).unwrap_or(usize::MAX);
        if applied > commit {
            let detail = format!("{id} applied index {applied} beyond its commitIndex {commit}");
            self.report(findings, STATE_MACHINE_SAFETY, id, applied as u64, detail);
        }
        let upto = commit.min(chain.len());
        let shared = upto.min(self.committed.len());
        if shared > 0 && chain[shared - 1] != self.committed[shared - 1] {
            let detail = format!(
                "{id} committed a different entry than another server at or before index {shared}"
            );
            self.report(findings, STATE_MACHINE_SAFETY, id, shared as u64, detail);
            return;
        }
        if commit > chain.len() {
            let detail = format!(
                "{id}'s commitIndex {commit} is beyond its log ({} entries): it would apply entries it does not hold",
                chain.len()
            );
            self.report(findings, STATE_MACHINE_SAFETY, id, commit as u64, detail);
        }
        let grew = upto > self.committed.len();
        if grew {
            let from = self.committed.len();
            self.committed.extend_from_slice(&chain[from..upto]);
            self.committed_in.resize(upto, term);
            self.state.extend(from, upto, node);
        }
        // Committed is durable: the committed prefix stays on a majority of logs — counting
        // only what each server has on stable storage, so neither a running server's
        // unpersisted entries nor a crashed server's pre-crash memory count (a crashed server's
        // track holds its last observation, whose durable part is exactly what it kept).
        if grew || shrunk {
            let k = self.committed.len();
            if k > 0 {
                let want = self.committed[k - 1];
                let holds =
                    |chain: &[u64], durable: usize| durable >= k && chain.get(k - 1) == Some(&want);
                let others = self
                    .logs
                    .iter()
                    .enumerate()
                    .filter(|(j, t)| *j != i && holds(&t.chain, t.durable))
                    .count();
                let own = self.logs[i].durable;
                let holders = others + usize::from(holds(chain, own));
                let majority = node.cluster_size() / 2 + 1;
                if holders < majority {
                    let detail = format!(
                        "committed index {k} is stored on {holders} servers, fewer than a majority ({majority})"
                    );
                    self.report(findings, COMMITTED_DURABLE, id, k as u64, detail);
                }
            }
        }
    }
}

impl Checker<Raft> for RaftChecker {
    fn properties() -> &'static [CheckerInfo] {
        PROPERTIES
    }

    fn undecided(&self) -> Vec<crate::kernel::check::Undecided> {
        (self.unknown > 0)
            .then_some(crate::kernel::check::Undecided {
                checker: LINEARIZABLE,
                checks: self.unknown,
            })
            .into_iter()
            .collect()
    }

    fn observe(&mut self, now: Time, id: NodeId, node: &Actor<Raft>, findings: &mut Vec<Finding>) {
        let node = match node {
            Actor::Client(client) => {
                self.observe_client(now, id, client, findings);
                return;
            }
            Actor::Server(server) => server,
        };
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

        if node.raft_role() == RaftRole::Leader && self.last_led[i] != Some(term) {
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

        let shrunk = self.track_log(id, node, findings);
        self.check_log(id, node, shrunk, findings);
        self.check_state(id, node, findings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::raft::{Durable, RaftConfig};

    fn follower(id: u8, term: u64, voted_for: Option<u8>) -> Actor<Raft> {
        let servers: Vec<NodeId> = (0..3).map(NodeId::from_index).collect();
        Actor::new(
            NodeId(id),
            &servers,
            &RaftConfig::default(),
            Some(Durable {
                current_term: term,
                voted_for: voted_for.map(NodeId),
                ..Durable::default()
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

    use crate::checkers::linearizability::Op;
    use crate::protocols::raft::kv::{AppliedCommand, Command, KvState};
    use crate::protocols::raft::msg::Entry;
    use crate::protocols::raft::storage::SnapshotData;

    fn put(seq: u64, value: &str) -> Entry {
        Entry {
            term: 1,
            command: Command::Client {
                client: NodeId::client(0),
                seq,
                op: Op::Put {
                    key: "x".into(),
                    value: value.into(),
                },
            },
        }
    }

    /// Server `id` of 3 in term 1 holding `log` (after a snapshot `snapshot`), committed and
    /// applied up to `commit` with state machine `state`.
    fn server(
        id: u8,
        log: Vec<Entry>,
        snapshot: SnapshotData,
        commit: u64,
        state: KvState,
    ) -> RaftServer {
        let servers: Vec<NodeId> = (0..3).map(NodeId::from_index).collect();
        let durable = Durable {
            current_term: 1,
            log,
            snapshot,
            ..Durable::default()
        };
        let mut s = <RaftServer as crate::kernel::node::Server<Raft>>::new(
            NodeId(id),
            &servers,
            &RaftConfig::default(),
            Some(durable),
        );
        s.set_applied(commit, commit, state);
        s
    }

    fn state_after(entries: &[Entry]) -> KvState {
        let mut s = KvState::default();
        for e in entries {
            s.apply(&e.command);
        }
        s
    }

    fn observe(c: &mut RaftChecker, s: RaftServer) -> Vec<Finding> {
        let mut f = Vec::new();
        let id = s.id();
        c.observe(Time(1), id, &Actor::Server(s), &mut f);
        f
    }

    /// A checker that saw n1 lead and commit `log` after n2 and n3 stored it.
    fn committed(log: &[Entry]) -> RaftChecker {
        let mut c = RaftChecker::default();
        for id in [1, 2] {
            let n = server(
                id,
                log.to_vec(),
                SnapshotData::default(),
                0,
                KvState::default(),
            );
            let f = observe(&mut c, n);
            assert!(f.is_empty(), "{f:?}");
        }
        let commit = log.len() as u64;
        let mut n1 = server(
            0,
            log.to_vec(),
            SnapshotData::default(),
            commit,
            state_after(log),
        );
        n1.set_leading();
        let f = observe(&mut c, n1);
        assert!(f.is_empty(), "{f:?}");
        c
    }

    #[test]
    fn committed_durable_counts_only_stable_storage() {
        // n2 acknowledged entry 1 but has not persisted it (what a crash would lose); n3 has
        // nothing. The leader n1 commits it: only one durable copy — not a majority of 3.
        for (synced, caught) in [(false, true), (true, false)] {
            let mut c = RaftChecker::default();
            let mut n2 = server(
                1,
                vec![put(1, "a")],
                SnapshotData::default(),
                0,
                KvState::default(),
            );
            if !synced {
                n2.set_unsynced_from(Some(1));
            }
            assert!(observe(&mut c, n2).is_empty());
            assert!(observe(
                &mut c,
                server(2, vec![], SnapshotData::default(), 0, KvState::default())
            )
            .is_empty());
            let mut n1 = server(
                0,
                vec![put(1, "a")],
                SnapshotData::default(),
                1,
                state_after(&[put(1, "a")]),
            );
            n1.set_leading();
            let f = observe(&mut c, n1);
            assert_eq!(
                f.iter().any(|f| f.checker == COMMITTED_DURABLE),
                caught,
                "{f:?}"
            );
        }
    }

    #[test]
    fn a_command_applied_twice_is_caught_but_a_restart_reapplying_it_is_not() {
        // The log holds c1#1 twice (a retry appended again); the second copy is a duplicate.
        let log = vec![put(1, "a"), put(2, "b"), put(1, "a")];
        let mut c = committed(&log);
        let applied = |index, seq| AppliedCommand {
            index,
            client: NodeId::client(0),
            seq,
        };
        // A restarted n2 re-applies index 1 and 2: the same indexes, not duplicates.
        let mut n2 = server(
            1,
            log.clone(),
            SnapshotData::default(),
            2,
            state_after(&log[..2]),
        );
        n2.set_applied_now(vec![applied(1, 1), applied(2, 2)]);
        assert!(observe(&mut c, n2.clone()).is_empty());
        // Applying the retry's second copy at index 3 is.
        n2.set_applied(3, 3, state_after(&log));
        n2.set_applied_now(vec![applied(3, 1)]);
        let f = observe(&mut c, n2);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].checker, EXACTLY_ONCE);
        assert_eq!(
            f[0].detail,
            "n2 applied c1#1 again at index 3: it took effect at index 1 already"
        );
    }

    #[test]
    fn applied_states_and_snapshots_are_checked_against_each_other_and_the_log() {
        let log = vec![put(1, "a"), put(2, "b")];
        let mut c = committed(&log);
        // n2 reached lastApplied 2 with a different map.
        let mut wrong = state_after(&log);
        wrong.data.insert("x".into(), "a".into());
        let f = observe(
            &mut c,
            server(1, log.clone(), SnapshotData::default(), 2, wrong),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].checker, APPLIED_STATE);
        // n3 holds a snapshot of index 2 without the client sessions.
        let mut forgot = state_after(&log);
        forgot.sessions.clear();
        let snapshot = SnapshotData {
            last_index: 2,
            last_term: 1,
            state: forgot,
        };
        let f = observe(
            &mut c,
            server(2, vec![], snapshot.clone(), 2, state_after(&log)),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].checker, SNAPSHOT_STATE);
        assert_eq!(
            f[0].detail,
            "n3's snapshot up to index 2 (1 keys, 0 client sessions) is not the state the committed entries 1..2 produce"
        );
        // The right snapshot passes.
        let mut c2 = c.clone();
        let good = SnapshotData {
            state: state_after(&log),
            ..snapshot
        };
        let n3 = server(2, vec![], good, 2, state_after(&log));
        let mut f = Vec::new();
        c2.state.checked.clear();
        c2.observe(Time(2), NodeId(2), &Actor::Server(n3), &mut f);
        assert!(f.is_empty(), "{f:?}");
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
