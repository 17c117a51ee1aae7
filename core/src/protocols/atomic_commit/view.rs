//! What the inspector and the atomic commit panel show: protocol-neutral fields, titled lists
//! (the coordinator's log and transactions; a participant's prepared records, locks, store and
//! outcomes) and the "blocked" badge.

use super::msg::{Outcome, PState, TxnId};
use super::node::{CommitServer, Kind, LogRec, Phase2, RECENT};
use crate::kernel::probe::{Fact, Probe, TxnState};
use crate::kernel::view::{Field, ListRow, ListView, NodeView, Tone};

impl CommitServer {
    pub(crate) fn coordinator_view(&self) -> NodeView {
        let mut log = ListView::new("coordinator log (durable)");
        let start = self
            .d
            .log
            .len()
            .saturating_sub(crate::kernel::view::LogView::TAIL);
        for rec in &self.d.log[start..] {
            let tone = match rec {
                LogRec::Commit { .. } => Tone::Good,
                LogRec::End { .. } => Tone::Plain,
            };
            log.rows.push(ListRow::new(rec.to_string(), tone, true));
        }
        if self.d.log.is_empty() {
            log.rows.push(ListRow::new(
                "(empty: aborts are never logged)",
                Tone::Plain,
                true,
            ));
        }
        let mut txns = ListView::new("transactions");
        for (txn, v) in &self.voting {
            let votes: Vec<String> = v
                .spec
                .parts
                .keys()
                .map(|p| match v.votes.get(p) {
                    Some(vote) => format!("{p} {vote}"),
                    None => format!("{p} ?"),
                })
                .collect();
            txns.rows.push(ListRow::new(
                format!("{txn} collecting votes: {}", votes.join(", ")),
                Tone::Warn,
                false,
            ));
        }
        for (txn, f) in &self.finishing {
            let waiting: Vec<String> = f
                .writers
                .iter()
                .filter(|w| !f.acked.contains(w))
                .map(|w| w.to_string())
                .collect();
            let what = match f.phase {
                Phase2::PreCommit => "pre-committing",
                Phase2::Commit => "committing",
            };
            txns.rows.push(ListRow::new(
                format!("{txn} {what}, waiting for {}", waiting.join(" ")),
                Tone::Good,
                false,
            ));
        }
        for (txn, (outcome, why)) in self.recent.iter().rev() {
            let tone = match outcome {
                Outcome::Commit => Tone::Good,
                Outcome::Abort => Tone::Bad,
            };
            txns.rows
                .push(ListRow::new(format!("{txn} {outcome}: {why}"), tone, false));
        }
        let mut clients = ListView::new("client requests begun (durable)");
        for (client, table) in &self.d.clients {
            let begun: Vec<String> = table
                .begun
                .iter()
                .map(|(req, txn)| format!("#{req} → {txn}"))
                .collect();
            let older = if table.floor > 1 {
                format!(" (before #{}: finished)", table.floor)
            } else {
                String::new()
            };
            clients.rows.push(ListRow::new(
                format!("{client}: {}{older}", begun.join(", ")),
                Tone::Plain,
                true,
            ));
        }
        let mut view = NodeView::plain(super::COORDINATOR);
        view.fields = vec![
            Field::volatile("protocol", self.config.variant.name()),
            Field::durable("next txn", format!("t{}", self.d.next_txn + 1)),
            Field::durable("log records", self.d.log.len()),
            Field::volatile("unfinished", self.unfinished()),
        ];
        view.lists = vec![log, txns, clients];
        view
    }

    pub(crate) fn participant_view(&self) -> NodeView {
        let mut prepared = ListView::new("prepared records (durable)");
        for (txn, rec) in &self.d.prepared {
            let asks = self.asks.get(txn).copied().unwrap_or(0);
            let blocked = if asks > 0 {
                format!(", blocked: asked {asks}×")
            } else {
                String::new()
            };
            prepared.rows.push(ListRow::new(
                format!(
                    "{txn} {} since t={}: {}{blocked}",
                    rec.state, rec.since, rec.work
                ),
                Tone::Warn,
                true,
            ));
        }
        let mut locks = ListView::new("locks held");
        for (key, (txn, write)) in self.locks() {
            let mode = if write { "write" } else { "read" };
            locks.rows.push(ListRow::new(
                format!("{key}: {mode} lock, {txn}"),
                Tone::Warn,
                false,
            ));
        }
        let mut store = ListView::new("store (durable)");
        for (k, v) in &self.d.store {
            store
                .rows
                .push(ListRow::new(format!("{k} = {v}"), Tone::Plain, true));
        }
        let mut outcomes = ListView::new("outcomes applied");
        for (txn, o) in self.d.done.iter().rev().take(RECENT) {
            let tone = match o {
                Outcome::Commit => Tone::Good,
                Outcome::Abort => Tone::Bad,
            };
            outcomes
                .rows
                .push(ListRow::new(format!("{txn} {o}"), tone, true));
        }
        let state = if !self.d.prepared.is_empty() {
            "prepared"
        } else {
            match self.d.done.last_key_value() {
                Some((_, Outcome::Commit)) => "committed",
                Some((_, Outcome::Abort)) => "aborted",
                None => "working",
            }
        };
        let mut view = NodeView::plain(super::PARTICIPANT);
        view.fields = vec![
            Field::volatile("state", state),
            Field::volatile("votes", if self.refuse { "refusing" } else { "normally" }),
            Field::volatile("lock conflicts", self.conflicts),
            Field::durable("in doubt", self.d.prepared.len()),
        ];
        if self.blocked() {
            let txns: Vec<String> = self
                .asks
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(t, _)| t.to_string())
                .collect();
            view.badge = Some(format!("blocked: in doubt about {}", txns.join(" ")));
        }
        view.lists = vec![prepared, locks, store, outcomes];
        view
    }
}

impl CommitServer {
    /// The typed answer to a narration's question about this node (a transaction's state,
    /// a key's committed value).
    pub(crate) fn probe_state(&self, probe: &Probe<'_>) -> Fact {
        match probe {
            Probe::Key(key) => Fact::Values(
                self.d
                    .store
                    .get(*key)
                    .map(|v| v.to_string())
                    .into_iter()
                    .collect(),
            ),
            Probe::Txn(name) => {
                let Some(txn) = name
                    .strip_prefix('t')
                    .and_then(|n| n.parse::<u64>().ok())
                    .map(TxnId)
                else {
                    return Fact::Unsupported;
                };
                Fact::Txn(self.txn_state(txn))
            }
            Probe::Read(_) => Fact::Unsupported,
        }
    }

    fn txn_state(&self, txn: TxnId) -> TxnState {
        let outcome = |o: Outcome| match o {
            Outcome::Commit => TxnState::Committed,
            Outcome::Abort => TxnState::Aborted,
        };
        match self.kind {
            Kind::Coordinator => {
                if self.voting.contains_key(&txn) {
                    TxnState::Active
                } else if let Some(f) = self.finishing.get(&txn) {
                    match f.phase {
                        Phase2::PreCommit => TxnState::PreCommitted,
                        Phase2::Commit => TxnState::Committed,
                    }
                } else if self.logged.contains_key(&txn) {
                    TxnState::Committed
                } else if let Some((o, _)) = self.recent.get(&txn) {
                    outcome(*o)
                } else {
                    TxnState::Unknown
                }
            }
            Kind::Participant => {
                if let Some(rec) = self.d.prepared.get(&txn) {
                    match rec.state {
                        PState::PreCommitted => TxnState::PreCommitted,
                        PState::Committed => TxnState::Committed,
                        PState::Aborted => TxnState::Aborted,
                        PState::Prepared | PState::Unknown => TxnState::InDoubt,
                    }
                } else if let Some(o) = self.d.done.get(&txn) {
                    outcome(*o)
                } else {
                    TxnState::Unknown
                }
            }
        }
    }
}
