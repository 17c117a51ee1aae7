//! The store as the UI draws it: generic [`ViewTable`]s per node.
//!
//! A server shows its keys (replicas on the ring, siblings with their dots, the key's clock),
//! its failure detector's view of every peer, its pending hints and its work counters; a client
//! shows its operations with the replicas that answered and any siblings.

use super::node::{KvClient, KvServer};
use super::request::KvReply;
use crate::kernel::types::NodeId;
use crate::kernel::view::{Field, NodeView, ViewTable};

fn table(title: &str, columns: &[&str], rows: Vec<Vec<String>>, durable: bool) -> ViewTable {
    ViewTable {
        title: title.to_string(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        durable,
    }
}

fn list(nodes: &[NodeId]) -> String {
    nodes
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A server's view: its keys, its failure detector, its hints and its work.
pub fn server_view(node: &KvServer) -> NodeView {
    let mut fields = Vec::new();
    let mut tables = Vec::new();
    let store = node.store();
    let cluster = node.ring().tokens().len() / node.config().vnodes.max(1);
    let n = node.config().replicas.min(cluster);
    let me = node.id();
    let keys = store
        .iter()
        .map(|(k, st)| {
            let reps = node.ring().replicas(k, n);
            let role = if reps.contains(&me) {
                list(&reps)
            } else {
                format!("{} (copy held here)", list(&reps))
            };
            let values = st
                .versions
                .iter()
                .map(|v| format!("{}@{}", v.value, v.clock.dot))
                .collect::<Vec<_>>()
                .join(" | ");
            vec![
                k.clone(),
                role,
                st.versions.len().to_string(),
                values,
                st.context.to_string(),
            ]
        })
        .collect();
    tables.push(table(
        "Keys",
        &["key", "replicas", "siblings", "value@dot", "clock"],
        keys,
        true,
    ));
    let now = node.last_event();
    let fd = node
        .health_view(now, cluster)
        .into_iter()
        .map(|(p, h)| vec![p.to_string(), h.name().to_string()])
        .collect();
    tables.push(table(
        &format!("Failure detector (as of t={now})"),
        &["peer", "view"],
        fd,
        false,
    ));
    let hints = node
        .hints()
        .iter()
        .map(|(r, k)| vec![k.clone(), r.to_string()])
        .collect();
    tables.push(table("Hints to hand off", &["key", "for"], hints, true));
    let seen = node
        .client_seen()
        .iter()
        .map(|(c, req)| vec![c.to_string(), format!("#{req}")])
        .collect();
    tables.push(table(
        "Client requests seen (de-duplication)",
        &["client", "last request"],
        seen,
        true,
    ));
    {
        let s = node.stats();
        fields.push(Field::volatile("coordinated", s.coordinated));
        fields.push(Field::volatile("read repairs", s.read_repairs));
        fields.push(Field::volatile(
            "hints recorded / delivered",
            format!("{} / {}", s.hints_recorded, s.hints_delivered),
        ));
        fields.push(Field::volatile(
            "anti-entropy rounds / keys sent",
            format!("{} / {}", s.ae_rounds, s.ae_keys_sent),
        ));
    }
    fields.push(Field::volatile("ops in progress", node.pending_ops().len()));
    fields.push(Field::durable("conflict mode", node.mode().name()));
    fields.push(Field::durable(
        "ring positions per node",
        node.config().vnodes,
    ));
    NodeView {
        role: super::REPLICA,
        term: None,
        leader: None,
        votes: None,
        fields,
        log: None,
        lists: Vec::new(),
        badge: None,
        tables,
    }
}

/// A client's view: its operations with the replicas that answered.
pub fn client_view(node: &KvClient) -> NodeView {
    let mut fields = Vec::new();
    let mut tables = Vec::new();
    let rows = node
        .history()
        .iter()
        .rev()
        .take(40)
        .map(|r| {
            let (result, from) = match &r.reply {
                KvReply::Written { dot, acked, .. } => (format!("ok dot={dot}"), list(acked)),
                KvReply::Read {
                    values,
                    ctx,
                    answered,
                    ..
                } => {
                    let vals = if values.is_empty() {
                        "(not found)".to_string()
                    } else {
                        values
                            .iter()
                            .map(|(d, v)| format!("{v}@{d}"))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    };
                    let sib = if values.len() > 1 {
                        format!(" ({} siblings)", values.len())
                    } else {
                        String::new()
                    };
                    (format!("{vals}{sib} ctx={ctx}"), list(answered))
                }
                KvReply::Failed {
                    reason, unknown, ..
                } => (
                    format!(
                        "failed: {reason}{}",
                        if *unknown { " (outcome unknown)" } else { "" }
                    ),
                    String::new(),
                ),
            };
            vec![
                format!("t={}", r.invoked),
                r.op.to_string(),
                r.node.to_string(),
                result,
                from,
                format!("{} ms", r.completed.0.saturating_sub(r.sent.0)),
            ]
        })
        .collect();
    tables.push(table(
        "Operations (newest first)",
        &["at", "operation", "via", "result", "answered by", "latency"],
        rows,
        false,
    ));
    fields.push(Field::volatile(
        "in progress",
        node.pending_ops().join("; "),
    ));
    NodeView {
        role: crate::kernel::view::Role::CLIENT,
        term: None,
        leader: None,
        votes: None,
        fields,
        log: None,
        lists: Vec::new(),
        badge: None,
        tables,
    }
}
