//! The store's client history for the history pane: every finished operation, marked with
//! the anomalies its consistency level allows — a stale read (it missed a write acknowledged
//! before it was sent), siblings (concurrent versions returned), a lost write (acknowledged,
//! and now neither held nor superseded on any server) — from typed state (`OpRecord`s and the
//! replicas' stores), the same rules as the store's `analyze`.

use super::views::store_of;
use crate::model::analysis::history::{Anomaly, Check, ClientHistory, HistoryOp, OpStatus};
use crate::panels::clients;
use netsplit_core::protocols::dynamo::clock::Dot;
use netsplit_core::protocols::dynamo::node::OpRecord;
use netsplit_core::protocols::dynamo::request::{KvOp, KvReply};
use netsplit_core::protocols::dynamo::Dynamo;
use netsplit_core::run::playground::Session;
use netsplit_core::NodeId;

fn result(reply: &KvReply) -> (OpStatus, String) {
    match reply {
        KvReply::Written { acked, .. } => (OpStatus::Ok, format!("ok ({} stored it)", acked.len())),
        KvReply::Read { values, .. } if values.is_empty() => (OpStatus::Ok, "not found".into()),
        KvReply::Read { values, .. } => {
            let v: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
            (OpStatus::Ok, v.join(" | "))
        }
        KvReply::Failed {
            reason,
            unknown: true,
            ..
        } => (OpStatus::Indeterminate, format!("unknown: {reason}")),
        KvReply::Failed { reason, .. } => (OpStatus::Failed, format!("failed: {reason}")),
    }
}

/// The anomaly of `rec` among `all` (finished operations), with `held(key, dot)` telling
/// whether some server still holds that write or something after it.
pub fn anomaly(
    rec: &OpRecord,
    all: &[OpRecord],
    held: &dyn Fn(&str, Dot) -> bool,
) -> Option<Anomaly> {
    let key = rec.op.key();
    match (&rec.op, &rec.reply) {
        (KvOp::Put { .. }, KvReply::Written { dot, .. }) => {
            (!held(key, *dot)).then_some(Anomaly::LostWrite)
        }
        (KvOp::Get { .. }, KvReply::Read { values, ctx, .. }) => {
            let missed = all.iter().find(|w| {
                w.op.key() == key
                    && w.completed < rec.sent
                    && matches!(&w.reply, KvReply::Written { dot, .. } if !ctx.covers(*dot))
            });
            match missed {
                Some(w) => Some(Anomaly::StaleRead(format!(
                    "{} (acknowledged at t={})",
                    short(&w.op),
                    w.completed
                ))),
                None if values.len() > 1 => Some(Anomaly::Siblings(values.len())),
                None => None,
            }
        }
        _ => None,
    }
}

/// `put x 1` / `get x` without the consistency options.
fn short(op: &KvOp) -> String {
    match op {
        KvOp::Get { key, .. } => format!("get {key}"),
        KvOp::Put { key, value, .. } => format!("put {key} {value}"),
    }
}

/// The history of session `s`.
pub fn history(s: &Session<Dynamo>) -> ClientHistory {
    let sim = s.sim();
    let all: Vec<(NodeId, OpRecord)> = clients(s)
        .flat_map(|(id, c)| c.history().iter().cloned().map(move |r| (id, r)))
        .collect();
    let records: Vec<OpRecord> = all.iter().map(|(_, r)| r.clone()).collect();
    let servers: Vec<NodeId> = (0..sim.cluster_size()).map(NodeId::from_index).collect();
    let held = |key: &str, dot: Dot| {
        servers.iter().any(|n| {
            store_of(s, *n)
                .and_then(|st| st.get(key))
                .is_some_and(|k| k.covers(dot))
        })
    };
    let mut ops: Vec<HistoryOp> = all
        .iter()
        .map(|(client, rec)| {
            let (status, result) = result(&rec.reply);
            HistoryOp {
                client: *client,
                key: rec.op.key().to_string(),
                label: rec.op.to_string(),
                result,
                invoked: rec.invoked.0,
                returned: Some(rec.completed.0),
                status,
                event: None,
                anomaly: anomaly(rec, &records, &held),
            }
        })
        .collect();
    ops.sort_by_key(|o| (o.invoked, o.client));
    ClientHistory {
        ops,
        check: Check::Anomalies,
        txns: Vec::new(),
    }
}
