//! The log matrix: every server's replicated log side by side, one row per server and one
//! column per log index, from the protocol-neutral `NodeView.log` of the snapshot (Raft now;
//! any log-based protocol that fills it later). Each cell carries its term as a number (the
//! colour only repeats it), whether that server knows it committed, whether it lies in the
//! snapshot, and whether another server holds a *different* term at the same index — a
//! conflict, the lesson of the Raft paper's Figures 7 and 8.

use netsplit_core::kernel::view::{NodeStatus, Snapshot};
use netsplit_core::NodeId;
use std::collections::{BTreeMap, BTreeSet};

/// At most this many index columns (the latest ones).
pub const MAX_COLUMNS: usize = 32;

/// One cell of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// An entry.
    Entry {
        /// Its term.
        term: u64,
        /// Its command, short.
        label: String,
        /// The server knows it committed (`None`: crashed, not known).
        committed: Option<bool>,
        /// Another server holds a different term at this index.
        conflict: bool,
    },
    /// Folded into the server's snapshot (compacted away).
    Snapshot,
    /// Before the part of the log the view carries.
    Unknown,
    /// Past the end of this server's log.
    Empty,
}

/// One server's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The server.
    pub node: NodeId,
    /// Crashed (its row is its disk).
    pub crashed: bool,
    /// It leads.
    pub leads: bool,
    /// Its term.
    pub term: Option<u64>,
    /// Last index.
    pub last: u64,
    /// Commit index (`None` while crashed).
    pub commit: Option<u64>,
    /// Snapshot boundary.
    pub snapshot: u64,
    /// The leader's matchIndex for this server.
    pub matched: Option<u64>,
    /// The leader's nextIndex for this server.
    pub next: Option<u64>,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

/// The whole matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    /// Index of the first column.
    pub first: u64,
    /// Index of the last column.
    pub last: u64,
    /// Rows, servers in id order.
    pub rows: Vec<Row>,
    /// Indexes where servers disagree on the term.
    pub conflicts: BTreeSet<u64>,
    /// The leader whose next/match marks are shown.
    pub leader: Option<NodeId>,
    /// Entries before the first column (not shown).
    pub hidden_before: u64,
}

impl Matrix {
    /// Column indexes.
    pub fn columns(&self) -> impl Iterator<Item = u64> {
        self.first..=self.last
    }
}

/// Indexes where two servers' logs hold different terms.
pub fn conflicts(logs: &[BTreeMap<u64, u64>]) -> BTreeSet<u64> {
    let mut terms: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for log in logs {
        for (index, term) in log {
            terms.entry(*index).or_default().insert(*term);
        }
    }
    terms
        .into_iter()
        .filter(|(_, t)| t.len() > 1)
        .map(|(i, _)| i)
        .collect()
}

/// The matrix of `snap`, or `None` if no server has a log.
pub fn matrix(snap: &Snapshot) -> Option<Matrix> {
    let servers: Vec<_> = snap
        .nodes
        .iter()
        .filter(|n| !n.id.is_client())
        .filter_map(|n| n.view.log.as_ref().map(|l| (n, l)))
        .collect();
    if servers.is_empty() {
        return None;
    }
    let logs: Vec<BTreeMap<u64, u64>> = servers
        .iter()
        .map(|(_, l)| l.tail.iter().map(|c| (c.index, c.term)).collect())
        .collect();
    let conflicts = conflicts(&logs);
    // The leader shown: the running one with the highest term.
    let leader = servers
        .iter()
        .filter(|(n, _)| n.status != NodeStatus::Crashed && n.view.role.leads)
        .max_by_key(|(n, _)| n.view.term)
        .map(|(n, l)| (n.id, l.followers.clone()));
    let last = servers.iter().map(|(_, l)| l.last_index).max().unwrap_or(0);
    let lowest_known = servers
        .iter()
        .map(|(_, l)| l.tail.first().map_or(l.last_index + 1, |c| c.index))
        .min()
        .unwrap_or(1);
    let first = lowest_known
        .max(last.saturating_sub(MAX_COLUMNS as u64 - 1))
        .max(1)
        .min(last.max(1));
    let rows = servers
        .iter()
        .zip(&logs)
        .map(|((n, l), log)| {
            let crashed = n.status == NodeStatus::Crashed;
            let commit = (!crashed).then_some(l.commit_index);
            let labels: BTreeMap<u64, &str> =
                l.tail.iter().map(|c| (c.index, c.label.as_str())).collect();
            let cells = (first..=last)
                .map(|i| match log.get(&i) {
                    Some(term) => Cell::Entry {
                        term: *term,
                        label: labels.get(&i).copied().unwrap_or_default().to_string(),
                        committed: commit.map(|c| i <= c),
                        conflict: conflicts.contains(&i),
                    },
                    None if i <= l.snapshot_index => Cell::Snapshot,
                    None if i > l.last_index => Cell::Empty,
                    None => Cell::Unknown,
                })
                .collect();
            let mark = leader
                .as_ref()
                .and_then(|(_, f)| f.iter().find(|m| m.node == n.id));
            Row {
                node: n.id,
                crashed,
                leads: !crashed && n.view.role.leads,
                term: n.view.term,
                last: l.last_index,
                commit,
                snapshot: l.snapshot_index,
                matched: mark.map(|m| m.matched),
                next: mark.map(|m| m.next),
                cells,
            }
        })
        .collect();
    Some(Matrix {
        first,
        last,
        rows,
        conflicts: conflicts.into_iter().filter(|i| *i >= first).collect(),
        leader: leader.map(|(id, _)| id),
        hidden_before: first.saturating_sub(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::run::registry::Registry;
    use netsplit_core::{build, Playground, Time};

    #[test]
    fn conflicts_are_indexes_with_two_terms() {
        let logs = vec![
            BTreeMap::from([(1, 1), (2, 1), (3, 2)]),
            BTreeMap::from([(1, 1), (2, 3)]),
            BTreeMap::from([(1, 1), (2, 1), (3, 2), (4, 2)]),
        ];
        assert_eq!(conflicts(&logs), BTreeSet::from([2]));
        assert!(conflicts(&logs[..1]).is_empty());
    }

    fn figure_8(until: u64) -> Box<dyn Playground> {
        let s = Registry::builtin().load_gallery("raft-figure-8").unwrap();
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(until), u64::MAX);
        pg
    }

    #[test]
    fn figure_8_shows_conflicting_entries_at_index_2() {
        // Find a moment of the run where two servers hold different terms at one index.
        let mut found = None;
        for t in (500..8000).step_by(100) {
            let pg = figure_8(t);
            let m = matrix(&pg.snapshot()).unwrap();
            if !m.conflicts.is_empty() {
                found = Some((t, m));
                break;
            }
        }
        let (t, m) = found.expect("Figure 8 has conflicting entries at some moment");
        assert!(m.conflicts.contains(&2), "at t={t}: {:?}", m.conflicts);
        let col = (2 - m.first) as usize;
        let terms: BTreeSet<u64> = m
            .rows
            .iter()
            .filter_map(|r| match &r.cells[col] {
                Cell::Entry { term, conflict, .. } => {
                    assert!(conflict);
                    Some(*term)
                }
                _ => None,
            })
            .collect();
        assert!(terms.len() >= 2, "{terms:?}");
        assert_eq!(m.rows.len(), 5);
    }

    #[test]
    fn rows_carry_commit_snapshot_and_follower_marks() {
        let mut s = netsplit_core::Scenario::new(netsplit_core::protocols::raft::ID, 7);
        s.cluster.clients = 1;
        s.config = serde_json::json!({ "snapshot_every": 3 });
        for (k, at) in [600u64, 800, 1000, 1200, 1400, 1600, 1800]
            .iter()
            .enumerate()
        {
            s.actions.push(netsplit_core::run::scenario::TimedAction {
                at: Time(*at),
                control: netsplit_core::Control::Submit {
                    client: NodeId::client(0),
                    node: NodeId(0),
                    op: format!("put x {k}"),
                },
            });
        }
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(4000), u64::MAX);
        let m = matrix(&pg.snapshot()).unwrap();
        let leader = m.leader.expect("a leader");
        assert!(m.conflicts.is_empty());
        for r in &m.rows {
            assert_eq!(r.cells.len() as u64, m.last - m.first + 1);
            if r.node != leader {
                assert!(r.matched.is_some() && r.next.is_some(), "{:?}", r.node);
            } else {
                assert!(r.leads && r.matched.is_none());
            }
            assert!(r.snapshot > 0, "snapshots every 3 entries");
            for (i, c) in m.columns().zip(&r.cells) {
                match c {
                    Cell::Entry { committed, .. } => {
                        assert_eq!(*committed, Some(i <= r.commit.unwrap()))
                    }
                    Cell::Snapshot => assert!(i <= r.snapshot),
                    Cell::Empty => assert!(i > r.last),
                    Cell::Unknown => {}
                }
            }
        }
        // Every protocol without a log has no matrix.
        let kv = build(&netsplit_core::Scenario::new(
            netsplit_core::protocols::dynamo::ID,
            1,
        ))
        .unwrap();
        assert!(matrix(&kv.snapshot()).is_none());
    }
}
