//! Atomic commit's history for the history pane, read from the typed trace: each client's
//! commands from invocation to answer (committed, aborted, unknown), and each transaction's
//! timeline — the coordinator's Prepare, every participant's vote, the decision and when each
//! participant learned it.

use crate::model::analysis::history::{Check, ClientHistory, HistoryOp, OpStatus, Txn, TxnVote};
use crate::model::analysis::index::Mark;
use netsplit_core::kernel::trace::{TraceEntry, TraceEvent};
use netsplit_core::protocols::atomic_commit::msg::{CommitMsg, CommitReply, CommitRequest, Vote};
use netsplit_core::protocols::atomic_commit::AtomicCommit;
use netsplit_core::run::playground::Session;
use std::collections::BTreeMap;

/// The group transactions are drawn in (every transaction touches several keys).
pub const TXN_KEY: &str = "transactions";
/// The group of `refuse`/`accept` commands.
pub const CONTROL_KEY: &str = "vote settings";

fn answer(reply: &CommitReply) -> OpStatus {
    match reply {
        CommitReply::Committed(_) | CommitReply::Done(_) => OpStatus::Ok,
        CommitReply::Aborted(..) | CommitReply::Rejected(_) => OpStatus::Failed,
        CommitReply::Unknown => OpStatus::Indeterminate,
    }
}

/// The client operations and transactions in `trace`.
pub fn from_trace<'a>(trace: impl Iterator<Item = &'a TraceEntry<AtomicCommit>>) -> ClientHistory {
    let mut ops: Vec<HistoryOp> = Vec::new();
    let mut txns: BTreeMap<u64, Txn> = BTreeMap::new();
    for entry in trace {
        let at = entry.at.0;
        match &entry.event {
            TraceEvent::Request { node, request, .. } if node.is_client() => {
                let key = match request {
                    CommitRequest::Txn(_) => TXN_KEY,
                    CommitRequest::Refuse { .. } => CONTROL_KEY,
                };
                ops.push(HistoryOp {
                    client: *node,
                    key: key.to_string(),
                    label: request.to_string(),
                    result: "…".to_string(),
                    invoked: at,
                    returned: None,
                    status: OpStatus::Pending,
                    event: None,
                    anomaly: None,
                });
            }
            TraceEvent::Reply { node, reply, .. } if node.is_client() => {
                // Answers pair with the client's oldest open command.
                if let Some(op) = ops
                    .iter_mut()
                    .find(|o| o.client == *node && o.status == OpStatus::Pending)
                {
                    op.status = answer(reply);
                    op.result = reply.to_string();
                    if op.status != OpStatus::Indeterminate {
                        op.returned = Some(at);
                    }
                }
            }
            TraceEvent::Send { from, to, msg, .. } => match msg {
                CommitMsg::Prepare { txn, .. } => {
                    let t = txns.entry(txn.0).or_insert_with(|| Txn {
                        name: txn.to_string(),
                        begun: at,
                        participants: Vec::new(),
                        votes: Vec::new(),
                        decision: None,
                        applied: Vec::new(),
                    });
                    if !t.participants.contains(to) {
                        t.participants.push(*to);
                    }
                }
                CommitMsg::Vote { txn, vote } => {
                    if let Some(t) = txns.get_mut(&txn.0) {
                        if !t.votes.iter().any(|v| v.node == *from) {
                            t.votes.push(TxnVote {
                                node: *from,
                                at,
                                vote: vote.to_string(),
                                yes: *vote != Vote::No,
                            });
                        }
                    }
                }
                CommitMsg::Commit { txn } | CommitMsg::Abort { txn } => {
                    if let Some(t) = txns.get_mut(&txn.0) {
                        if t.decision.is_none() {
                            t.decision = Some((at, matches!(msg, CommitMsg::Commit { .. })));
                        }
                    }
                }
                _ => {}
            },
            TraceEvent::Deliver {
                to,
                msg: CommitMsg::Commit { txn } | CommitMsg::Abort { txn },
                ..
            } => {
                if let Some(t) = txns.get_mut(&txn.0) {
                    if !t.applied.iter().any(|(n, _)| n == to) {
                        t.applied.push((*to, at));
                    }
                }
            }
            _ => {}
        }
    }
    ClientHistory {
        ops,
        check: Check::None,
        txns: txns.into_values().collect(),
    }
}

/// The history of session `s`.
pub fn history(s: &Session<AtomicCommit>) -> ClientHistory {
    let trace = s.sim().trace();
    from_trace(trace.iter())
}

/// A transaction's decision, marked once on the coordinator's lane.
pub fn mark(s: &Session<AtomicCommit>, index: usize) -> Option<Mark> {
    let entry = s.sim().trace().get(index)?;
    match &entry.event {
        TraceEvent::Send {
            from,
            msg: msg @ (CommitMsg::Commit { .. } | CommitMsg::Abort { .. }),
            ..
        } => {
            let (txn, what) = match msg {
                CommitMsg::Commit { txn } => (txn, "commit"),
                CommitMsg::Abort { txn } => (txn, "abort"),
                _ => return None,
            };
            Some(Mark {
                node: *from,
                family: "decision",
                key: txn.0,
                label: format!("{txn} {what}"),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panels::session;
    use netsplit_core::run::scenario::TimedAction;
    use netsplit_core::{build, Control, NodeId, Scenario, Time};

    #[test]
    fn transactions_show_votes_and_decisions() {
        let mut s = Scenario::new(netsplit_core::protocols::atomic_commit::TWO_PC_ID, 1);
        s.cluster.clients = 1;
        let submit = |at, node: u8, op: &str| TimedAction {
            at: Time(at),
            control: Control::Submit {
                client: NodeId::client(0),
                node: NodeId(node),
                op: op.into(),
            },
        };
        s.actions = vec![
            submit(100, 0, "txn n2:x=1 n3:y=2"),
            submit(600, 2, "refuse"),
            submit(900, 0, "txn n2:x=3 n3:y=4"),
        ];
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(3000), u64::MAX);
        let sess = session::<AtomicCommit>(pg.as_ref()).unwrap();
        let h = history(sess);
        assert_eq!(h.txns.len(), 2);
        let (t1, t2) = (&h.txns[0], &h.txns[1]);
        assert_eq!(t1.participants.len(), 2);
        assert!(t1.votes.iter().all(|v| v.yes));
        assert!(matches!(t1.decision, Some((_, true))));
        assert!(t2.votes.iter().any(|v| !v.yes && v.vote == "no"));
        assert!(matches!(t2.decision, Some((_, false))));
        assert!(t1.applied.len() == 2 && t1.applied.iter().all(|(_, at)| *at >= t1.begun));
        let statuses: Vec<OpStatus> = h.ops.iter().map(|o| o.status).collect();
        assert_eq!(statuses, vec![OpStatus::Ok, OpStatus::Ok, OpStatus::Failed]);
        assert_eq!(h.ops[0].key, TXN_KEY);
        assert_eq!(h.ops[1].key, CONTROL_KEY);
        // The decisions are marked once each.
        let marks: Vec<String> = (0..pg.trace_len())
            .filter_map(|i| mark(sess, i))
            .map(|m| m.label)
            .collect();
        assert!(marks.contains(&"t1 commit".to_string()));
        assert!(marks.contains(&"t2 abort".to_string()));
    }
}
