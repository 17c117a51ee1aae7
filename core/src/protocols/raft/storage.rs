//! What a Raft server keeps on stable storage (Figure 2, "Persistent state on all servers",
//! plus the snapshot of §7): the term, the vote, the log after the snapshot, and the snapshot.
//! Everything else a server holds is volatile and is rebuilt after a restart.

use super::kv::KvState;
use super::machine::StateMachine;
use super::msg::Entry;
use crate::kernel::types::NodeId;

/// A snapshot of the state machine (Figure 13, §7): everything up to `last_index` is folded
/// into `state`, and those log entries are discarded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotData<S: StateMachine = KvState> {
    /// Index of the last entry the snapshot replaces (0: no snapshot yet).
    pub last_index: u64,
    /// Term of that entry.
    pub last_term: u64,
    /// The state machine (for the key-value store: the map and client sessions) as of
    /// `last_index`.
    pub state: S,
}

/// State Raft keeps on stable storage (Figure 2, "Persistent state on all servers", plus the
/// snapshot of §7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable<S: StateMachine = KvState> {
    /// Latest term this server has seen.
    pub current_term: u64,
    /// Candidate that received this server's vote in the current term.
    pub voted_for: Option<NodeId>,
    /// Log entries after the snapshot: `log[0]` has index `snapshot.last_index + 1`.
    pub log: Vec<Entry<S>>,
    /// The latest snapshot.
    pub snapshot: SnapshotData<S>,
}

impl<S: StateMachine> Durable<S> {
    /// Index of the first entry still in the log.
    pub fn first_index(&self) -> u64 {
        self.snapshot.last_index + 1
    }

    /// Index of the last log entry (the snapshot's last index if the log is empty).
    pub fn last_log_index(&self) -> u64 {
        self.snapshot.last_index + self.log.len() as u64
    }

    /// Term of the last log entry.
    pub fn last_log_term(&self) -> u64 {
        self.log.last().map_or(self.snapshot.last_term, |e| e.term)
    }

    /// Term of the entry at `index`: the snapshot's last term at its last index (0 at 0);
    /// `None` past the end or inside the snapshot (compacted).
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.snapshot.last_index {
            return Some(self.snapshot.last_term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// The entry at `index`, if it is still in the log.
    pub fn entry(&self, index: u64) -> Option<&Entry<S>> {
        let k = index.checked_sub(self.first_index())?;
        self.log.get(usize::try_from(k).ok()?)
    }

    /// The entries from index `from` on, at most `max` of them, that are still in the log.
    pub fn entries(&self, from: u64, max: usize) -> &[Entry<S>] {
        let first = self.first_index();
        let lo = from.max(first);
        let end = from
            .saturating_add(max as u64)
            .min(self.last_log_index() + 1);
        if lo >= end {
            return &[];
        }
        let start = usize::try_from(lo - first).unwrap_or(usize::MAX);
        let stop = usize::try_from(end - first).unwrap_or(usize::MAX);
        &self.log[start..stop]
    }

    /// Drop every entry from `index` on.
    pub(crate) fn truncate_from(&mut self, index: u64) {
        let k = index.saturating_sub(self.first_index());
        self.log.truncate(usize::try_from(k).unwrap_or(usize::MAX));
    }

    /// §5.4.1: is a log ending at `(last_index, last_term)` at least as up to date as ours?
    /// Later last term wins; with equal last terms, the longer log wins.
    pub fn is_up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        let (my_term, my_index) = (self.last_log_term(), self.last_log_index());
        last_term > my_term || (last_term == my_term && last_index >= my_index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::raft::machine::Command;

    #[test]
    fn entries_is_the_slice_still_in_the_log() {
        let log: Vec<Entry> = (1..=5)
            .map(|term| Entry {
                term,
                command: Command::Noop,
            })
            .collect();
        // Entries 3..=7 after a snapshot up to index 2.
        let d = Durable {
            log,
            snapshot: SnapshotData {
                last_index: 2,
                last_term: 1,
                state: KvState::default(),
            },
            ..Durable::default()
        };
        let terms =
            |from, max| -> Vec<u64> { d.entries(from, max).iter().map(|e| e.term).collect() };
        assert_eq!(terms(3, 2), [1, 2]);
        assert_eq!(terms(6, 16), [4, 5]);
        assert_eq!(terms(1, 3), [1]); // 1 and 2 are compacted: only 3 is left of 1..=3
        assert_eq!(terms(8, 4), Vec::<u64>::new());
        assert_eq!(terms(4, 0), Vec::<u64>::new());
        // The same as asking entry by entry.
        for from in 0..9 {
            for max in 0..8 {
                let one_by_one: Vec<u64> = (from..from + max as u64)
                    .filter_map(|i| d.entry(i).map(|e| e.term))
                    .collect();
                assert_eq!(terms(from, max), one_by_one, "from {from}, max {max}");
            }
        }
    }
}
