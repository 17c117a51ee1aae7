//! The store's panel pieces, drawn from typed state: each client's results, each replica's
//! keys (siblings, dots, clocks), the ring with each key's replicas, the failure detectors'
//! matrix, and the CAP comparison table.

use crate::components::tables::grid;
use crate::panels::{names, server, ServerState};
use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::protocols::dynamo::compare::CompareTable;
use netsplit_core::protocols::dynamo::node::{Health, OpRecord};
use netsplit_core::protocols::dynamo::ring::{hash, Ring};
use netsplit_core::protocols::dynamo::store::Store;
use netsplit_core::protocols::dynamo::Dynamo;
use netsplit_core::run::playground::Session;
use netsplit_core::NodeId;
use std::collections::BTreeSet;
use yew::prelude::*;

/// Results listed per client at most.
const RESULTS: usize = 40;

/// The store of server `id` (its disk while crashed).
pub(crate) fn store_of(s: &Session<Dynamo>, id: NodeId) -> Option<&Store> {
    match server(s, id)? {
        ServerState::Live(k) => Some(k.store()),
        ServerState::Crashed(d) => Some(&d.store),
    }
}

/// The ring of this session, and how many replicas each key has.
fn ring(s: &Session<Dynamo>) -> (Ring, usize) {
    let sim = s.sim();
    let servers = sim.cluster_size();
    let config = sim.config();
    (
        Ring::new(servers, config.vnodes),
        config.replicas.min(servers),
    )
}

/// One client's finished operations as table rows, newest first.
pub fn result_rows(history: &[OpRecord]) -> Vec<Vec<String>> {
    history
        .iter()
        .rev()
        .take(RESULTS)
        .map(|r| {
            vec![
                format!("t={}", r.invoked),
                r.op.to_string(),
                r.node.to_string(),
                r.reply.to_string(),
                format!("{} ms", r.completed.0.saturating_sub(r.sent.0)),
            ]
        })
        .collect()
}

/// Every client's results.
pub fn results(s: &Session<Dynamo>) -> Html {
    crate::panels::clients(s)
        .map(|(id, c)| {
            html! {
                <div class="kv-client">
                    <h4>{id.to_string()}</h4>
                    { grid("Operations (newest first)", &["at", "operation", "via", "result", "latency"],
                        &result_rows(c.history()), false, false) }
                </div>
            }
        })
        .collect()
}

/// Every key across every replica: one row per key, one column per server, each cell the
/// versions that server holds (`value@dot`, siblings joined by `|`; `—` for none; `(copy)`
/// where a server that is not one of the key's replicas holds it, as a fallback does).
pub fn key_matrix(s: &Session<Dynamo>) -> (Vec<String>, Vec<Vec<String>>) {
    let sim = s.sim();
    let members = sim.members();
    let mut columns = vec!["key".to_string()];
    columns.extend(members.iter().map(|id| match sim.status(*id) {
        NodeStatus::Up => id.to_string(),
        NodeStatus::Crashed => format!("{id} (crashed: disk)"),
        NodeStatus::Paused => format!("{id} (paused)"),
    }));
    let rows = placement(s)
        .into_iter()
        .map(|(key, replicas)| {
            let mut row = vec![key.clone()];
            row.extend(members.iter().map(|id| {
                let Some(state) = store_of(s, *id).and_then(|st| st.get(&key)) else {
                    return "—".to_string();
                };
                let values = state
                    .versions
                    .iter()
                    .map(|v| format!("{}@{}", v.value, v.clock.dot))
                    .collect::<Vec<_>>()
                    .join(" | ");
                if replicas.contains(id) {
                    values
                } else {
                    format!("{values} (copy)")
                }
            }));
            row
        })
        .collect();
    (columns, rows)
}

/// Every replica's keys, side by side.
pub fn replicas(s: &Session<Dynamo>) -> Html {
    let (columns, rows) = key_matrix(s);
    grid(
        "Keys on each replica (value@dot; siblings |)",
        &columns,
        &rows,
        true,
        false,
    )
}

/// Every key any replica holds, with its replicas in preference-list order.
pub fn placement(s: &Session<Dynamo>) -> Vec<(String, Vec<NodeId>)> {
    let (ring, n) = ring(s);
    let keys: BTreeSet<&String> = s
        .sim()
        .members()
        .iter()
        .filter_map(|id| store_of(s, *id))
        .flat_map(|st| st.keys())
        .collect();
    keys.into_iter()
        .map(|k| (k.clone(), ring.replicas(k, n)))
        .collect()
}

/// The ring as SVG: each node's positions as ticks, each stored key as a dot, and the list of
/// each key's replicas.
pub fn ring_view(s: &Session<Dynamo>) -> Html {
    let (ring, _) = ring(s);
    let angle = |at: u64| (at as f64 / u64::MAX as f64) * std::f64::consts::TAU;
    let (cx, cy, r) = (110.0, 110.0, 80.0);
    let at = |a: f64, d: f64| (cx + d * a.sin(), cy - d * a.cos());
    let ticks: Html = ring
        .tokens()
        .iter()
        .map(|t| {
            let a = angle(t.at);
            let ((x1, y1), (x2, y2), (lx, ly)) = (at(a, r - 6.0), at(a, r + 6.0), at(a, r + 16.0));
            html! {
                <g class={format!("tok n{}", t.node.index() % 9)}>
                    <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} />
                    <text x={lx.to_string()} y={ly.to_string()} text-anchor="middle" dominant-baseline="middle">{t.node.to_string()}</text>
                </g>
            }
        })
        .collect();
    let keys = placement(s);
    let dots: Html = keys
        .iter()
        .map(|(k, reps)| {
            let (x, y) = at(angle(hash(k)), r - 22.0);
            html! {
                <g class="key">
                    <circle cx={x.to_string()} cy={y.to_string()} r="3"><title>{format!("{k} → {}", names(reps.iter().copied()))}</title></circle>
                    <text x={x.to_string()} y={(y - 7.0).to_string()} text-anchor="middle">{k}</text>
                </g>
            }
        })
        .collect();
    let list: Html = keys
        .iter()
        .map(|(k, reps)| html! { <li><b>{k}</b>{" → "}{names(reps.iter().copied())}</li> })
        .collect();
    html! {
        <div class="kv-ring">
            <svg viewBox="0 0 220 220" role="img" aria-label="Consistent-hash ring: node positions and keys">
                <circle cx={cx.to_string()} cy={cy.to_string()} r={r.to_string()} class="ring" />
                {ticks}
                {dots}
            </svg>
            <ul class="kv-placement" aria-label="Each key's replicas (preference list order)">{list}</ul>
        </div>
    }
}

/// A failure detector's verdict with a glyph (never hue alone).
pub fn verdict(h: Health) -> &'static str {
    match h {
        Health::Alive => "✓ alive",
        Health::Suspected => "? suspected",
        Health::Unavailable => "✗ unavailable",
    }
}

/// The failure detectors as a matrix: row = observer, column = peer (as of each observer's
/// last event; a crashed observer sees nothing).
pub fn detectors(s: &Session<Dynamo>) -> Html {
    let sim = s.sim();
    let members = sim.members();
    let head: Html = members
        .iter()
        .map(|p| html! { <th scope="col">{p.to_string()}</th> })
        .collect();
    let rows: Html = members
        .iter()
        .map(|id| {
            let observer = sim.server(*id);
            let cells: Html = members
                .iter()
                .map(|p| match observer {
                    _ if p == id => html! { <td class="self">{"·"}</td> },
                    None => html! { <td class="muted">{"—"}</td> },
                    Some(o) => {
                        let h = o.health(*p, o.last_event());
                        html! { <td class={format!("fd-{}", h.name())}>{verdict(h)}</td> }
                    }
                })
                .collect();
            html! { <tr><th scope="row">{id.to_string()}</th>{cells}</tr> }
        })
        .collect();
    html! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Failure detectors">
            <table class="ptable fd">
                <caption>{"Failure detectors (row sees column)"}</caption>
                <thead><tr><td></td>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The store's configuration, read-only (it is set in scenario files, `config`).
pub fn config(c: &netsplit_core::protocols::dynamo::KvConfig) -> Html {
    let on = |b: bool| if b { "on" } else { "off" }.to_string();
    let rows = [
        ("replicas per key (N)", c.replicas.to_string()),
        ("ring positions per node", c.vnodes.to_string()),
        ("concurrent writes", c.conflict.name().to_string()),
        ("sloppy quorum", on(c.sloppy_quorum)),
        ("read repair", on(c.read_repair)),
        ("heartbeat", format!("every {} ms", c.heartbeat_ms)),
        (
            "suspected after",
            format!("{} ms of silence", c.suspect_after_ms),
        ),
        (
            "unavailable after",
            format!("{} ms of silence", c.unavailable_after_ms),
        ),
        (
            "coordinator waits",
            format!("{} ms for R or W answers", c.request_timeout_ms),
        ),
        ("client waits", format!("{} ms", c.client_timeout_ms)),
        ("anti-entropy", format!("every {} ms", c.anti_entropy_ms)),
        ("hinted handoff", format!("every {} ms", c.handoff_ms)),
    ];
    crate::panels::config_table("Store configuration (set in a scenario's config)", &rows)
}

/// Each CAP column: (heading, unit, definition).
pub const CAP_COLUMNS: [(&str, &str, &str); 7] = [
    ("level", "", "the consistency level every operation of the run used"),
    ("available", "% of ops", "operations answered successfully, as a share of all the level's operations"),
    ("stale reads", "count", "reads that missed a write acknowledged before the read began"),
    ("lost writes", "count", "acknowledged writes neither present nor superseded at the end"),
    ("RYW / mono", "count / count", "reads missing the same client's own acknowledged write (read-your-writes) / reads that went back in time for the same client (monotonic reads)"),
    ("latency p50 / p99", "ms", "median / 99th percentile time from a client's request to its answer, successful operations only"),
    ("messages", "per op", "request-path messages per operation: client request and reply, replica reads and writes, acks, read repairs, handoffs (not heartbeats or anti-entropy)"),
];

/// The CAP comparison's table.
pub fn cap_table(t: &CompareTable) -> Html {
    let rows: Html = t
        .rows
        .iter()
        .map(|r| {
            html! {
                <tr>
                    <th scope="row" title={r.label}>{r.level.name()}</th>
                    <td>{format!("{:.1}%", r.availability_pct)}</td>
                    <td>{r.stale_reads}</td>
                    <td>{r.lost_writes}</td>
                    <td>{format!("{} / {}", r.read_your_writes_anomalies, r.monotonic_read_anomalies)}</td>
                    <td>{format!("{} / {}", r.latency_p50_ms, r.latency_p99_ms)}</td>
                    <td>{format!("{:.1}", r.messages_per_op)}</td>
                </tr>
            }
        })
        .collect();
    let faults: Html = t.faults.iter().map(|f| html! { <li>{f}</li> }).collect();
    let head: Html = CAP_COLUMNS
        .iter()
        .map(|(name, unit, what)| {
            html! {
                <th scope="col" title={*what}>
                    <span class="col-name">{*name}</span>
                    if !unit.is_empty() { <span class="col-unit">{*unit}</span> }
                </th>
            }
        })
        .collect();
    let defs: Html = CAP_COLUMNS
        .iter()
        .skip(1)
        .map(|(name, unit, what)| {
            html! { <li><b>{*name}</b>{format!(" ({unit}): {what}")}</li> }
        })
        .collect();
    html! {
        <div class="cap">
            <div class="table-scroll" tabindex="0" role="region" aria-label="CAP comparison table">
                <table class="ptable cap-table">
                    <caption>{format!("Seed {}, {} ops per level, conflict mode {}", t.options.seed, t.rows.first().map_or(0, |r| r.ops), t.options.conflict.name())}</caption>
                    <thead><tr>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                    <tfoot><tr><td colspan="7"><ul class="col-defs">{defs}</ul></td></tr></tfoot>
                </table>
            </div>
            <p class="muted">{"Same seed, same faults, same workload; only the level differs. Stale reads and session anomalies are what a level allows, not bugs. \"strong\" is a majority quorum: not linearizable (no read write-back)."}</p>
            <ul class="muted">{faults}</ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panels::session;
    use netsplit_core::protocols::dynamo::ID;
    use netsplit_core::{build, Control, Scenario, Time};

    #[test]
    fn keys_and_results_come_from_typed_state() {
        let mut scenario = Scenario::new(ID, 3);
        scenario.cluster.clients = 1;
        let mut pg = build(&scenario).unwrap();
        pg.apply(Control::Submit {
            client: NodeId::client(0),
            node: NodeId(0),
            op: "put cart book strong".into(),
        })
        .unwrap();
        pg.run_until(Time(3_000), u64::MAX);
        let s = session::<Dynamo>(pg.as_ref()).unwrap();
        let keys = placement(s);
        assert_eq!(keys.len(), 1);
        assert_eq!((keys[0].0.as_str(), keys[0].1.len()), ("cart", 3));
        let holder = keys[0].1[0];
        let (columns, rows) = key_matrix(s);
        assert_eq!(columns.len(), 6, "the key and five servers");
        assert_eq!(rows[0][0], "cart");
        let cell = &rows[0][holder.index() + 1];
        assert!(
            cell.starts_with("book@") && !cell.contains("copy"),
            "{cell}"
        );
        let (_, client) = crate::panels::clients(s).next().unwrap();
        let results = result_rows(client.history());
        assert!(results[0][3].starts_with("ok put cart"), "{:?}", results[0]);
        // A crashed replica still shows its disk.
        pg.apply(Control::Crash { node: holder }).unwrap();
        let s = session::<Dynamo>(pg.as_ref()).unwrap();
        assert!(store_of(s, holder).is_some_and(|st| st.contains_key("cart")));
        let (columns, rows) = key_matrix(s);
        assert!(columns[holder.index() + 1].contains("disk"));
        assert!(rows[0][holder.index() + 1].starts_with("book@"));
    }
}
