//! What became of a client's command in the servers' logs: where each attempt was appended
//! (index and term, by which leader) and whether that entry was committed, is still waiting,
//! or was later discarded — "appended at 2@T2 by n3, later discarded; retried → 2@T4,
//! committed".
//!
//! The placements come from Raft's typed trace (every AppendEntries a leader sent, with its
//! entries, indexed once, incrementally) and from the servers' logs as they are now (for an
//! entry a cut-off leader never managed to send); the verdict on each comes from the servers'
//! typed state (live logs and commit indexes, crashed servers' disks).

use crate::panels::ServerState;
use netsplit_core::kernel::chunked::ChunkedLog;
use netsplit_core::kernel::trace::{TraceEntry, TraceEvent};
use netsplit_core::protocols::raft::{Command, Entry, Raft, RaftMsg};
use netsplit_core::{NodeId, Time};
use std::collections::BTreeMap;

/// One log position a command was placed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placement {
    /// When it was first seen there.
    pub at: Time,
    /// Log index.
    pub index: u64,
    /// Term of the entry (the leader's term).
    pub term: u64,
    /// The leader that appended it, if known.
    pub by: Option<NodeId>,
}

/// Every placement of every client command seen in a trace, built incrementally.
#[derive(Clone, Debug, Default)]
pub struct FateIndex {
    /// The trace epoch it was built for.
    pub epoch: u64,
    /// Trace entries read so far.
    pub read: usize,
    /// By (client, sequence number).
    pub placed: BTreeMap<(NodeId, u64), Vec<Placement>>,
}

impl FateIndex {
    /// Read what was added to `trace` since the last call (or start over for a new `epoch`,
    /// or a trace that is shorter than what was read).
    pub fn update(&mut self, trace: &ChunkedLog<TraceEntry<Raft>>, epoch: u64) {
        if epoch != self.epoch || trace.len() < self.read {
            *self = FateIndex {
                epoch,
                ..FateIndex::default()
            };
        }
        for e in trace.iter_from(self.read) {
            if let TraceEvent::Send {
                from,
                msg:
                    RaftMsg::AppendEntries {
                        prev_log_index,
                        entries,
                        ..
                    },
                ..
            } = &e.event
            {
                for (k, entry) in entries.iter().enumerate() {
                    self.note(entry, prev_log_index + 1 + k as u64, Some(*from), e.at);
                }
            }
        }
        self.read = trace.len();
    }

    fn note(&mut self, entry: &Entry, index: u64, by: Option<NodeId>, at: Time) {
        let Command::Client { client, seq, .. } = &entry.command else {
            return;
        };
        let list = self.placed.entry((*client, *seq)).or_default();
        if !list
            .iter()
            .any(|p| p.index == index && p.term == entry.term)
        {
            list.push(Placement {
                at,
                index,
                term: entry.term,
                by,
            });
        }
    }
}

/// What one server holds: its log after the snapshot, where the log starts, what it knows to
/// be committed (`None` while crashed).
pub struct Holder<'a> {
    /// The server.
    pub id: NodeId,
    /// Entries after the snapshot.
    pub log: &'a [Entry],
    /// Index of `log[0]`.
    pub first: u64,
    /// Highest index known committed (`None`: crashed, unknown).
    pub commit: Option<u64>,
}

impl<'a> Holder<'a> {
    /// Server `id` as the panel sees it.
    pub fn of(id: NodeId, st: &ServerState<'a, Raft>) -> Holder<'a> {
        match st {
            ServerState::Live(s) => Holder {
                id,
                log: s.log(),
                first: s.snapshot_index() + 1,
                commit: Some(s.commit_index()),
            },
            ServerState::Crashed(d) => Holder {
                id,
                log: &d.log,
                first: d.first_index(),
                commit: None,
            },
        }
    }

    fn at(&self, index: u64) -> Option<&Entry> {
        index
            .checked_sub(self.first)
            .and_then(|i| self.log.get(usize::try_from(i).ok()?))
    }
}

/// What happened to one placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Committed: a server that holds it knows it committed.
    Committed,
    /// Still in some log, not known committed.
    Waiting,
    /// No server holds it any more where it was: it was overwritten or cut off.
    Discarded,
    /// Every server folded that index into a snapshot.
    Compacted,
}

impl Verdict {
    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Committed => "committed",
            Verdict::Waiting => "not committed (yet)",
            Verdict::Discarded => "later discarded",
            Verdict::Compacted => "now folded into a snapshot",
        }
    }
}

/// The verdict on `p` given every server's state.
pub fn verdict(p: &Placement, holders: &[Holder<'_>]) -> Verdict {
    let mut held = false;
    let mut visible = false;
    for h in holders {
        if let Some(e) = h.at(p.index) {
            visible = true;
            if e.term == p.term {
                held = true;
                if h.commit.is_some_and(|c| c >= p.index) {
                    return Verdict::Committed;
                }
            }
        } else if p.index < h.first {
            // Compacted on this server: it is committed there, whatever it was.
        } else {
            visible = true;
        }
    }
    match (held, visible) {
        (true, _) => Verdict::Waiting,
        (false, true) => Verdict::Discarded,
        (false, false) => Verdict::Compacted,
    }
}

/// Placements of `(client, seq)` still in a log but never sent (a cut-off leader's), added to
/// those of the index.
pub fn placements(
    index: &FateIndex,
    client: NodeId,
    seq: u64,
    holders: &[Holder<'_>],
) -> Vec<Placement> {
    let mut out = index
        .placed
        .get(&(client, seq))
        .cloned()
        .unwrap_or_default();
    for h in holders {
        for (i, e) in h.log.iter().enumerate() {
            if let Command::Client {
                client: c, seq: s, ..
            } = &e.command
            {
                let at = h.first + i as u64;
                if *c == client
                    && *s == seq
                    && !out.iter().any(|p| p.index == at && p.term == e.term)
                {
                    out.push(Placement {
                        at: Time(u64::MAX),
                        index: at,
                        term: e.term,
                        by: Some(h.id),
                    });
                }
            }
        }
    }
    out.sort();
    out
}

/// The fate of a command in words: `appended at 2@T2 by n3, later discarded; retried →
/// 2@T4, committed` (empty if it never reached a log).
pub fn describe(placements: &[Placement], holders: &[Holder<'_>]) -> String {
    placements
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let by = p.by.map(|n| format!(" by {n}")).unwrap_or_default();
            let verdict = verdict(p, holders).words();
            if k == 0 {
                format!("appended at {}@T{}{by}, {verdict}", p.index, p.term)
            } else {
                format!("retried → {}@T{}{by}, {verdict}", p.index, p.term)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::checkers::linearizability::Op;

    fn put(client: usize, seq: u64, term: u64) -> Entry {
        Entry {
            term,
            command: Command::Client {
                client: NodeId::client(client),
                seq,
                op: Op::Put {
                    key: "x".into(),
                    value: "1".into(),
                },
            },
        }
    }

    fn noop(term: u64) -> Entry {
        Entry {
            term,
            command: Command::Noop,
        }
    }

    #[test]
    fn an_entry_overwritten_by_a_later_leader_is_discarded_and_its_retry_committed() {
        // n3 led term 2 and appended c1#1 at index 2; n4 won term 4 and its log has the
        // retry at index 2 of term 4, committed.
        let old = vec![noop(1), put(0, 1, 2)];
        let new = vec![noop(1), put(0, 1, 4)];
        let placed = [
            Placement {
                at: Time(100),
                index: 2,
                term: 2,
                by: Some(NodeId(2)),
            },
            Placement {
                at: Time(900),
                index: 2,
                term: 4,
                by: Some(NodeId(3)),
            },
        ];
        let holders = [
            Holder {
                id: NodeId(2),
                log: &new,
                first: 1,
                commit: Some(2),
            },
            Holder {
                id: NodeId(3),
                log: &new,
                first: 1,
                commit: Some(2),
            },
        ];
        assert_eq!(
            describe(&placed, &holders),
            "appended at 2@T2 by n3, later discarded; retried → 2@T4 by n4, committed"
        );
        // Before the heal, the old leader still holds it, uncommitted.
        let before = [Holder {
            id: NodeId(2),
            log: &old,
            first: 1,
            commit: Some(1),
        }];
        assert_eq!(verdict(&placed[0], &before), Verdict::Waiting);
        // A crashed server's disk counts as holding it, but not as knowing it committed.
        let crashed = [Holder {
            id: NodeId(2),
            log: &old,
            first: 1,
            commit: None,
        }];
        assert_eq!(verdict(&placed[0], &crashed), Verdict::Waiting);
        // Compacted everywhere: folded into a snapshot.
        let compacted = [Holder {
            id: NodeId(0),
            log: &[],
            first: 5,
            commit: Some(4),
        }];
        assert_eq!(verdict(&placed[0], &compacted), Verdict::Compacted);
        // An entry only in a log (never sent) is found there.
        let index = FateIndex::default();
        let found = placements(&index, NodeId::client(0), 1, &before);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].index, found[0].term, found[0].by),
            (2, 2, Some(NodeId(2)))
        );
    }
}
