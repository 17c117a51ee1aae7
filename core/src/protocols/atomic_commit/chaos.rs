//! Atomic commit under chaos: random transactions from client actors throughout the run,
//! settling = every in-doubt transaction resolved after the heal (recovery liveness).

use super::check::RECOVERY;
use super::msg::{Outcome, TxnId};
use super::node::{CommitServer, Kind, LogRec};
use super::{AtomicCommit, CommitConfig, Mutant};
use crate::kernel::check::Violation;
use crate::kernel::control::Control;
use crate::kernel::mutant;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::Simulator;
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::NodeStatus;
use crate::run::chaos::{ChaosOptions, ChaosProtocol, Verdicts, Workload};
use std::fmt::Write as _;

/// Keys the random transactions use: few, so transactions conflict often.
const KEYS: &[&str] = &["a", "b", "c", "d"];

fn servers(sim: &Simulator<AtomicCommit>) -> impl Iterator<Item = (NodeId, Option<&CommitServer>)> {
    (0..sim.cluster_size()).map(move |i| {
        let id = NodeId::from_index(i);
        (id, sim.server(id))
    })
}

/// A random transaction over 1–3 participants, sometimes with a read-only participant, rarely
/// with a value that breaks the constraint.
fn random_txn(rng: &mut SimRng, participants: &[NodeId], keys: Option<usize>) -> String {
    let keys = &KEYS[..keys.unwrap_or(KEYS.len()).clamp(1, KEYS.len())];
    let mut op = String::from("txn");
    let want = rng.range_inclusive(1, participants.len().min(3) as u64) as usize;
    let mut chosen: Vec<NodeId> = participants.to_vec();
    for i in 0..want {
        let j = i + rng.range_inclusive(0, (chosen.len() - 1 - i) as u64) as usize;
        chosen.swap(i, j);
    }
    chosen.truncate(want);
    chosen.sort();
    for p in chosen {
        let key = keys[rng.range_inclusive(0, keys.len() as u64 - 1) as usize];
        if want > 1 && rng.chance(0.15) {
            let _ = write!(op, " {p}:{key}");
        } else {
            let value = if rng.chance(0.03) {
                -1
            } else {
                rng.range_inclusive(0, 9) as i64
            };
            let _ = write!(op, " {p}:{key}={value}");
        }
    }
    op
}

/// Recovery liveness on a settled cluster: every commit on the log must have its end record
/// and have been applied by every writer (`applied(writer, txn)`). One line per failure.
fn unfinished_commits(log: &[LogRec], applied: impl Fn(NodeId, TxnId) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for rec in log {
        let LogRec::Commit { txn, writers } = rec else {
            continue;
        };
        let ended = log
            .iter()
            .any(|r| matches!(r, LogRec::End { txn: t } if t == txn));
        let missing: Vec<String> = writers
            .iter()
            .filter(|w| !applied(**w, *txn))
            .map(|w| w.to_string())
            .collect();
        if !ended || !missing.is_empty() {
            out.push(format!(
                "{txn} is committed on the log but {}",
                if missing.is_empty() {
                    "has no end record".to_string()
                } else {
                    format!("never applied at {}", missing.join(" "))
                }
            ));
        }
    }
    out
}

impl ChaosProtocol for AtomicCommit {
    fn chaos_config(options: &ChaosOptions) -> CommitConfig {
        CommitConfig {
            mutant: options
                .mutant
                .as_deref()
                .and_then(mutant::by_name::<Mutant>),
            ..CommitConfig::default()
        }
    }

    /// Swarm: which server coordinates, and the vote timeout, retry interval and client
    /// timeout, drawn per seed (the variant and the base's mutant are kept).
    fn swarm_config(rng: &mut SimRng, base: CommitConfig, nodes: usize) -> CommitConfig {
        let vote_timeout_ms = rng.range_inclusive(100, 1000);
        CommitConfig {
            coordinator: NodeId::from_index(rng.index(nodes.max(1))),
            vote_timeout_ms,
            retry_ms: rng.range_inclusive(50, 500),
            client_timeout_ms: vote_timeout_ms * rng.range_inclusive(2, 10),
            ..base
        }
    }

    fn config_json(config: &CommitConfig) -> serde_json::Value {
        serde_json::to_value(config).unwrap_or_default()
    }

    /// 25 retry intervals (a healed, calm network answers an in-doubt participant within one
    /// or two) plus four vote timeouts (transactions caught mid-vote by the heal time out and
    /// abort first; swarm draws retry intervals as short as 50 ms, where 25 of them alone are
    /// shorter than one vote timeout).
    fn settle_bound_ms(config: &CommitConfig) -> u64 {
        25 * config.retry_ms + 4 * config.vote_timeout_ms
    }

    /// Every server runs, the coordinator has no unfinished transaction and no participant is
    /// in doubt.
    fn settled(sim: &Simulator<AtomicCommit>, _healed_at: Time) -> bool {
        servers(sim).all(|(id, node)| {
            sim.status(id) == NodeStatus::Up
                && node.is_some_and(|n| n.unfinished() == 0 && n.in_doubt().next().is_none())
        })
    }

    /// About one turn in three submits (with a swarm workload, `writes_pct` of the turns): a
    /// transaction to the coordinator (mostly) or a refuse/accept command to a participant
    /// (rarely).
    fn client_op(
        rng: &mut SimRng,
        sim: &Simulator<AtomicCommit>,
        workload: &Workload,
    ) -> Option<Control> {
        let clients = sim.cluster().clients;
        let busy = workload.writes_pct.map_or(0.35, |pct| pct as f64 / 100.0);
        if clients == 0 || !rng.chance(busy) {
            return None;
        }
        let client = NodeId::client(rng.range_inclusive(0, clients as u64 - 1) as usize);
        let coordinator = sim.config().coordinator;
        let participants: Vec<NodeId> = (0..sim.cluster_size())
            .map(NodeId::from_index)
            .filter(|id| *id != coordinator)
            .collect();
        if participants.is_empty() {
            return None;
        }
        if rng.chance(0.03) {
            let p = participants[rng.range_inclusive(0, participants.len() as u64 - 1) as usize];
            let op = if rng.chance(0.5) { "refuse" } else { "accept" };
            return Some(Control::Submit {
                client,
                node: p,
                op: op.to_string(),
            });
        }
        Some(Control::Submit {
            client,
            node: coordinator,
            op: random_txn(rng, &participants, workload.keys),
        })
    }

    /// Once settled, every commit on the coordinator's log has its end record and was applied
    /// by every writer.
    fn final_check(sim: &Simulator<AtomicCommit>) -> Verdicts {
        Verdicts {
            ops: sim.counters().requests,
            ..Verdicts::of(end_records_and_applied(sim))
        }
    }

    fn unsettled(sim: &Simulator<AtomicCommit>) -> String {
        let mut parts = Vec::new();
        for (id, node) in servers(sim) {
            let Some(n) = node else {
                parts.push(format!("{id} is down"));
                continue;
            };
            let doubt: Vec<String> = n.in_doubt().map(|t| t.to_string()).collect();
            if !doubt.is_empty() {
                parts.push(format!("{id} still in doubt about {}", doubt.join(" ")));
            }
            if n.unfinished() > 0 {
                parts.push(format!(
                    "{id} has {} unfinished transaction(s)",
                    n.unfinished()
                ));
            }
        }
        format!(
            "not every in-doubt transaction resolved ({})",
            parts.join("; ")
        )
    }
}

/// Once settled, every commit on the coordinator's log has its end record and was applied by
/// every writer.
fn end_records_and_applied(sim: &Simulator<AtomicCommit>) -> Vec<Violation> {
    if !AtomicCommit::settled(sim, Time::ZERO) {
        return Vec::new();
    }
    let coordinator = sim.config().coordinator;
    let Some(coord) = sim.server(coordinator) else {
        return Vec::new();
    };
    let applied = |w: NodeId, txn: TxnId| {
        sim.server(w).is_some_and(|n| {
            n.kind() == Kind::Participant
                && n.durable_state().done.get(&txn) == Some(&Outcome::Commit)
        })
    };
    unfinished_commits(&coord.durable_state().log, applied)
        .into_iter()
        .map(|detail| Violation {
            at: sim.now(),
            event: sim.events().saturating_sub(1),
            checker: RECOVERY,
            node: Some(coordinator),
            detail,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_liveness_names_a_commit_never_applied_or_never_ended() {
        let (n2, n3) = (NodeId(1), NodeId(2));
        let log = vec![
            LogRec::Commit {
                txn: TxnId(1),
                writers: vec![n2, n3],
            },
            LogRec::End { txn: TxnId(1) },
            LogRec::Commit {
                txn: TxnId(2),
                writers: vec![n2, n3],
            },
            LogRec::Commit {
                txn: TxnId(3),
                writers: vec![n2],
            },
        ];
        let applied = |w: NodeId, t: TxnId| t == TxnId(1) || t == TxnId(3) || w == n2;
        assert_eq!(
            unfinished_commits(&log, applied),
            [
                "t2 is committed on the log but never applied at n3",
                "t3 is committed on the log but has no end record"
            ]
        );
        assert!(unfinished_commits(&log[..2], applied).is_empty());
    }
}
