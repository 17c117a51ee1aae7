//! The state machine, checked on the state itself rather than on the log: exactly-once
//! application of client commands, equal applied states at equal `lastApplied`, and snapshots
//! that hold what the committed prefix produces.
//!
//! The checker keeps its own **reference state machine**: a correct [`KvState`] that applies
//! the committed entries, in order, as the committed prefix grows (the entries are taken from
//! the log of the server that extended it, before any compaction can drop them). It knows, for
//! every committed index, the hash of the state it produces, and for every client command the
//! index at which it took effect. Nothing a server says about its own state is trusted.

use super::RaftChecker;
use crate::kernel::check::Finding;
use crate::kernel::trace::Fnv64;
use crate::kernel::types::NodeId;
use crate::protocols::raft::kv::{Applied, Command, KvState};
use crate::protocols::raft::RaftServer;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Name of the exactly-once property.
pub const EXACTLY_ONCE: &str = "exactly-once";
/// Name of the applied-state agreement property.
pub const APPLIED_STATE: &str = "applied-state-agreement";
/// Name of the snapshot-matches-the-committed-prefix property.
pub const SNAPSHOT_STATE: &str = "snapshot-matches-log";

/// 64-bit FNV-1a over the key-value map and the client sessions (both are replicated state:
/// a snapshot without its sessions is a different state).
pub(super) fn state_hash(state: &KvState) -> u64 {
    let mut h = Fnv64::default();
    for (key, value) in &state.data {
        h.write(key.as_bytes());
        h.write(&[0]);
        h.write(value.as_bytes());
        h.write(&[0]);
    }
    h.write(&[1]);
    for (client, session) in &state.sessions {
        h.write(&[client.0]);
        h.write(&session.seq.to_le_bytes());
        let _ = write!(h, "{}", session.outcome);
        h.write(&[0]);
    }
    h.finish()
}

/// What the state checks remember.
#[derive(Clone, Debug, Default)]
pub(super) struct StateChecks {
    /// The reference state machine after the committed entries it has applied.
    reference: KvState,
    /// `reference_hash[i]`: the reference's hash after applying entries `1..=i+1`.
    reference_hash: Vec<u64>,
    /// (client, seq) → the committed index at which the command took effect.
    took_effect: BTreeMap<(NodeId, u64), u64>,
    /// The reference could not follow the committed prefix (its entries were not available,
    /// which only a snapshot holding uncommitted entries causes — reported elsewhere).
    stuck: bool,
    /// `applied[i]`: the hash of the first applied state seen at `lastApplied = i+1`, and the
    /// server it was seen on.
    applied: Vec<Option<(u64, NodeId)>>,
    /// Per node: (lastApplied, snapshot index) when its state was last checked.
    pub(super) checked: Vec<Option<(u64, u64)>>,
}

impl StateChecks {
    /// The committed prefix grew from `from` to `upto` entries, on `node`'s log: apply them to
    /// the reference.
    pub(super) fn extend(&mut self, from: usize, upto: usize, node: &RaftServer) {
        if self.stuck || self.reference_hash.len() != from {
            self.stuck = true;
            return;
        }
        for k in from..upto {
            let index = k as u64 + 1;
            let Some(entry) = node.state().entry(index) else {
                self.stuck = true;
                return;
            };
            let applied = self.reference.apply(&entry.command);
            if let (Applied::Fresh(_), Command::Client { client, seq, .. }) =
                (applied, &entry.command)
            {
                self.took_effect.entry((*client, *seq)).or_insert(index);
            }
            self.reference_hash.push(state_hash(&self.reference));
        }
    }
}

impl RaftChecker {
    /// Exactly-once, applied-state agreement and snapshot contents for server `id`, after the
    /// committed prefix was brought up to date.
    pub(super) fn check_state(
        &mut self,
        id: NodeId,
        node: &RaftServer,
        findings: &mut Vec<Finding>,
    ) {
        // Exactly once (§8): every command the state machine applied just now must be the one
        // occurrence at which it took effect in the committed log. Re-applying the same index
        // after a restart is not a duplicate; applying a retry's second copy is.
        for a in node.applied_now() {
            let first = self.state.took_effect.get(&(a.client, a.seq)).copied();
            let detail = match first {
                Some(j) if j == a.index => continue,
                Some(j) => format!(
                    "{id} applied {}#{} again at index {}: it took effect at index {j} already",
                    a.client, a.seq, a.index
                ),
                None if self.state.stuck || (self.state.reference_hash.len() as u64) < a.index => {
                    continue
                }
                None => format!(
                    "{id} applied {}#{} at index {}, where the committed log does not apply it",
                    a.client, a.seq, a.index
                ),
            };
            self.report(findings, EXACTLY_ONCE, id, a.index, detail);
        }

        let i = id.index();
        if self.state.checked.len() <= i {
            self.state.checked.resize(i + 1, None);
        }
        let now = (node.last_applied(), node.snapshot_index());
        let before = self.state.checked[i].replace(now);
        if before == Some(now) {
            return;
        }
        let (applied, snapshot) = now;

        // Equal lastApplied, equal state (§5.4.3): compared with the first server seen there.
        if applied > 0 {
            let k = usize::try_from(applied).unwrap_or(usize::MAX);
            if self.state.applied.len() < k {
                self.state.applied.resize(k, None);
            }
            let h = state_hash(node.kv());
            match self.state.applied[k - 1] {
                None => self.state.applied[k - 1] = Some((h, id)),
                Some((first, other)) if first != h => {
                    let detail = format!(
                        "{id}'s state machine at lastApplied {applied} differs from {other}'s at the same index"
                    );
                    self.report(findings, APPLIED_STATE, id, applied, detail);
                }
                Some(_) => {}
            }
        }

        // A snapshot is checked against the committed prefix it claims to replace (§7).
        if snapshot > 0 && before.is_none_or(|(_, s)| s != snapshot) {
            let want = usize::try_from(snapshot)
                .ok()
                .and_then(|s| self.state.reference_hash.get(s - 1).copied());
            let state = &node.state().snapshot.state;
            if want.is_some_and(|w| w != state_hash(state)) {
                let detail = format!(
                    "{id}'s snapshot up to index {snapshot} ({} keys, {} client sessions) is not the state the committed entries 1..{snapshot} produce",
                    state.data.len(),
                    state.sessions.len()
                );
                self.report(findings, SNAPSHOT_STATE, id, snapshot, detail);
            }
        }
    }
}
