//! Raft's client panel and settings: the client form, the latest operations with their hops
//! and latency (from each `RaftClient`'s typed history), and the protocol settings.

use super::forms::{CLIENT, FLAGS, MAX_SNAPSHOT_EVERY, OPS, SETTINGS};
use crate::components::form::{field, form};
use crate::panels::PanelCtx;
use netsplit_core::protocols::raft::{kv, ClientOp, RaftConfig, ReadMode};
use netsplit_core::NodeId;
use yew::prelude::*;

/// Operations listed in the panel at most.
const RECENT: usize = 10;

/// One operation in words: `c1 #1 put x 42 → ok in 84 ms (via n2→n1)`.
pub fn op_line(client: NodeId, op: &ClientOp) -> String {
    let hops: Vec<String> = op.hops.iter().map(|h| h.to_string()).collect();
    let result = match (&op.returned, op.gave_up) {
        (Some((at, outcome)), _) => format!(
            "{} in {} ms",
            kv::describe(&op.op, outcome),
            at.0.saturating_sub(op.invoked_at.0)
        ),
        (None, true) => "gave up: outcome unknown".to_string(),
        (None, false) => "waiting…".to_string(),
    };
    format!(
        "{client} #{} {} → {result} (via {})",
        op.seq,
        kv::short(&op.op),
        hops.join("→")
    )
}

/// A client's latest operation in a few words (its tooltip on the graph).
pub fn latest(op: &ClientOp) -> String {
    let status = match (&op.returned, op.gave_up) {
        (Some((_, outcome)), _) => kv::describe(&op.op, outcome),
        (None, true) => "gave up (outcome unknown)".to_string(),
        (None, false) => "waiting…".to_string(),
    };
    format!("#{} {}: {status}", op.seq, kv::short(&op.op))
}

/// Finished operations and their mean latency in ms (`None` before the first answer).
pub fn latency(histories: &[(NodeId, &[ClientOp])]) -> (u64, Option<u64>) {
    let done: Vec<u64> = histories
        .iter()
        .flat_map(|(_, h)| h.iter())
        .filter_map(|o| {
            o.returned
                .as_ref()
                .map(|(at, _)| at.0.saturating_sub(o.invoked_at.0))
        })
        .collect();
    let finished = done.len() as u64;
    (finished, done.iter().sum::<u64>().checked_div(finished))
}

/// The latest operations of every client, newest first, at most `limit`.
pub fn recent_ops<'a>(
    histories: &[(NodeId, &'a [ClientOp])],
    limit: usize,
) -> Vec<(NodeId, &'a ClientOp)> {
    let mut ops: Vec<(NodeId, &ClientOp)> = histories
        .iter()
        .flat_map(|(id, h)| h.iter().map(move |o| (*id, o)))
        .collect();
    ops.sort_by_key(|(id, o)| std::cmp::Reverse((o.invoked_at, o.seq, *id)));
    ops.truncate(limit);
    ops
}

/// The latest operations of every client in words, newest first, at most `limit`.
pub fn recent(histories: &[(NodeId, &[ClientOp])], limit: usize) -> Vec<String> {
    recent_ops(histories, limit)
        .into_iter()
        .map(|(id, o)| op_line(id, o))
        .collect()
}

/// One operation as a list item: what the client saw, then what became of it in the logs.
pub fn op_item(client: NodeId, op: &ClientOp, fate: &str) -> Html {
    html! {
        <li class="mono">
            {op_line(client, op)}
            if !fate.is_empty() {
                <span class="fate">{"log: "}{fate.to_string()}</span>
            }
        </li>
    }
}

/// The client panel; `fate` tells what became of an operation in the logs.
pub fn clients(
    ctx: &PanelCtx<'_>,
    histories: &[(NodeId, &[ClientOp])],
    servers: usize,
    fate: &dyn Fn(NodeId, &ClientOp) -> String,
) -> Html {
    if histories.is_empty() {
        return html! { <p class="muted">{"This scenario has no simulated clients (cluster.clients = 0)."}</p> };
    }
    let values = ctx.forms.get(CLIENT);
    let d = ctx.dispatch;
    let (finished, mean) = latency(histories);
    let mean = mean.map_or_else(|| "—".to_string(), |m| format!("{m} ms"));
    let messages = ctx.pg.counters().sent;
    let op = values.get("op");
    let clients = histories.iter().map(|(id, _)| id.to_string());
    let nodes = (0..servers).map(|i| NodeId::from_index(i).to_string());
    let body = html! {
        <>
            { field(CLIENT, values, "client", "client").choose(clients).view(d) }
            { field(CLIENT, values, "node", "to").choose(nodes).view(d) }
            { field(CLIENT, values, "op", "op").choose(OPS).view(d) }
            { field(CLIENT, values, "key", "key").view(d) }
            if op == "put" || op == "cas" {
                { field(CLIENT, values, "value", if op == "cas" { "new" } else { "value" }).view(d) }
            }
            if op == "cas" {
                { field(CLIENT, values, "expected", "expect").size(5)
                    .title("the value the key must hold now (empty = absent)").view(d) }
            }
            <button class="btn" type="submit">{"Send"}</button>
        </>
    };
    let lines: Html = recent_ops(histories, RECENT)
        .into_iter()
        .map(|(id, o)| op_item(id, o, &fate(id, o)))
        .collect();
    html! {
        <section class="panel raft-clients" aria-label="Clients">
            <h3>{"Send a command"}</h3>
            { form(CLIENT, values, "client-form", "Send a command", body, d) }
            <p class="muted">{format!("{} finished · mean latency {mean} · {messages} messages sent so far (heartbeats included)", crate::model::words::counted(finished, "operation"))}</p>
            <h3>{"Latest operations"}</h3>
            <ol class="client-log" aria-label="Latest client operations">{lines}</ol>
        </section>
    }
}

/// The settings, read from the running configuration. Every change replays the run from the
/// start with the new settings (same seed, same actions).
pub fn settings(ctx: &PanelCtx<'_>, config: &RaftConfig) -> Html {
    let values = ctx.forms.get(SETTINGS);
    let d = ctx.dispatch;
    let flags: Html = FLAGS
        .iter()
        .map(|(name, label, help)| {
            field(SETTINGS, values, name, label)
                .checkbox()
                .live()
                .title(help)
                .view(d)
        })
        .collect();
    let modes = [
        (ReadMode::ReadIndex, "ReadIndex"),
        (ReadMode::Lease, "lease (assumes bounded clock drift)"),
        (ReadMode::Log, "through the log"),
    ]
    .map(|(m, label)| (super::forms::read_mode_name(m), label.to_string()));
    let body = html! {
        <>
            <div class="toggles">{flags}</div>
            { field(SETTINGS, values, "snapshot_every", "snapshot every (entries, 0 = never)")
                .number(0, MAX_SNAPSHOT_EVERY).live().view(d) }
            { field(SETTINGS, values, "read_mode", "reads").select(modes).live().view(d) }
        </>
    };
    html! {
        <section class="panel raft-settings" aria-label="Raft settings">
            <h3>{"Raft"}</h3>
            <p class="muted">{"Each change replays this run from the start with the same seed and actions."}</p>
            { form(SETTINGS, values, "settings-form", "Raft settings", body, d) }
            if config.read_mode == ReadMode::Lease {
                <p class="muted">{format!(
                    "Lease reads are linearizable only if server clocks drift less than {} ms per {} ms; the simulator's clocks do not drift at all.",
                    config.lease_drift_ms, config.election_timeout_min_ms
                )}</p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::checkers::linearizability::{Op, Outcome};
    use netsplit_core::Time;

    fn op(seq: u64, at: u64, returned: Option<u64>, hops: &[usize]) -> ClientOp {
        ClientOp {
            seq,
            op: Op::Put {
                key: "x".into(),
                value: seq.to_string(),
            },
            invoked_at: Time(at),
            returned: returned.map(|r| (Time(r), Outcome::Ok)),
            gave_up: false,
            hops: hops.iter().map(|i| NodeId::from_index(*i)).collect(),
        }
    }

    #[test]
    fn operations_read_with_hops_and_latency() {
        let done = op(1, 100, Some(184), &[1, 0]);
        assert_eq!(
            op_line(NodeId::client(0), &done),
            "c1 #1 put x 1 → ok in 84 ms (via n2→n1)"
        );
        assert_eq!(latest(&done), "#1 put x 1: ok");
        let waiting = op(2, 300, None, &[0]);
        assert!(op_line(NodeId::client(0), &waiting).contains("→ waiting… (via n1)"));
        let gave_up = ClientOp {
            gave_up: true,
            ..op(3, 400, None, &[0])
        };
        assert!(latest(&gave_up).contains("gave up"));
    }

    #[test]
    fn latency_is_the_mean_over_finished_operations() {
        let a = [op(1, 0, Some(100), &[0]), op(2, 200, None, &[0])];
        let b = [op(1, 50, Some(350), &[1])];
        let histories = [(NodeId::client(0), &a[..]), (NodeId::client(1), &b[..])];
        assert_eq!(latency(&histories), (2, Some(200)));
        assert_eq!(latency(&[]), (0, None));
        let lines = recent(&histories, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("c1 #2"), "newest first: {lines:?}");
        assert!(lines[1].starts_with("c2 #1"));
    }
}
