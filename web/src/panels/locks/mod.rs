//! The lock service's panel: the replicated lock table as the leader has applied it (holders
//! with modes and fencing tokens, queues in order, each session's lease time left), the
//! protected resource's accepted and rejected writes, and the wait-for graph drawn as SVG
//! with any cycle marked by a dashed outline and the word "cycle" (never by colour alone).
//! All from the typed state (`Session<Locks>`), never from display text.

use super::{session, Panel, PanelCtx};
use netsplit_core::protocols::locks::deadlock::{find_cycle, wait_for, Edge};
use netsplit_core::protocols::locks::{LockTable, Locks, PROTOCOL};
use netsplit_core::protocols::raft::RaftServer;
use netsplit_core::run::playground::Session;
use netsplit_core::run::registry::Protocol;
use netsplit_core::{NodeId, Playground};
use std::collections::BTreeSet;
use yew::prelude::*;

/// The lock service panel.
pub struct LocksPanel;

static ENTRIES: &[&dyn Protocol] = &[&PROTOCOL];

/// The server whose table the panel shows: the leader if there is one, else the first
/// running server, with its id.
fn table_server(s: &Session<Locks>) -> Option<(NodeId, &RaftServer<Locks>)> {
    let sim = s.sim();
    let servers: Vec<(NodeId, &RaftServer<Locks>)> = sim
        .members()
        .iter()
        .filter_map(|id| sim.server(*id).map(|srv| (*id, srv)))
        .collect();
    servers
        .iter()
        .find(|(id, srv)| srv.leader() == Some(*id))
        .or_else(|| servers.first())
        .copied()
}

fn lock_table(table: &LockTable, now: u64) -> Html {
    let busy: Vec<_> = table
        .locks
        .iter()
        .filter(|(_, l)| !l.holders.is_empty() || !l.queue.is_empty())
        .collect();
    if busy.is_empty() {
        return html! { <p class="muted">{"No lock is held or waited for."}</p> };
    }
    let lease = |c: &NodeId| {
        table.sessions.get(c).map_or("—".to_string(), |s| {
            format!("{} ms", s.until.as_millis().saturating_sub(now))
        })
    };
    html! {
        <table class="lock-table">
            <caption>{"Lock table"}</caption>
            <thead><tr>
                <th scope="col">{"lock"}</th>
                <th scope="col">{"holders (mode, token, lease left)"}</th>
                <th scope="col">{"queue, in order"}</th>
            </tr></thead>
            <tbody>
            { for busy.iter().map(|(name, l)| html! {
                <tr>
                    <th scope="row">{name.to_string()}</th>
                    <td><ul>{ for l.holders.iter().map(|(c, (m, t))| html! {
                        <li>{format!("{c} {m} token {t}, lease {}", lease(c))}</li>
                    }) }</ul></td>
                    <td><ol>{ for l.queue.iter().map(|w| html! {
                        <li>{format!("{} {} (since index {})", w.client, w.mode, w.since)}</li>
                    }) }</ol></td>
                </tr>
            }) }
            </tbody>
        </table>
    }
}

fn writes(s: &Session<Locks>) -> Html {
    let Some(resource) = s.sim().client(NodeId::client(0)) else {
        return Html::default();
    };
    let all = resource.writes();
    if all.is_empty() {
        return html! { <p class="muted">{"The resource has received no write yet."}</p> };
    }
    html! {
        <ul class="resource-writes" aria-label="the resource's writes">
        { for all.iter().rev().take(12).map(|w| html! {
            <li class={if w.accepted { "accepted" } else { "rejected" }}>
                {format!(
                    "t={} {} wrote under {} with token {}: {}",
                    w.at, w.from, w.lock, w.token,
                    if w.accepted { "✓ accepted".to_string() } else {
                        format!("✗ rejected (seen {})", w.highest_before)
                    }
                )}
            </li>
        }) }
        </ul>
    }
}

/// The wait-for graph: clients on a circle, an arrow from each waiter to each client it waits
/// for; the edges of a cycle dashed and labelled.
fn wait_for_graph(table: &LockTable) -> Html {
    let graph = wait_for(&table.locks);
    let edges: Vec<&Edge> = graph.values().flatten().collect();
    if edges.is_empty() {
        return html! { <p class="muted">{"Nobody waits for anybody: no wait-for edges."}</p> };
    }
    let cycle: BTreeSet<(NodeId, NodeId)> = find_cycle(&graph)
        .map(|c| c.iter().map(|e| (e.waiter, e.blocker)).collect())
        .unwrap_or_default();
    let nodes: Vec<NodeId> = edges
        .iter()
        .flat_map(|e| [e.waiter, e.blocker])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let n = nodes.len() as f64;
    let pos = |c: NodeId| {
        let i = nodes.iter().position(|x| *x == c).unwrap_or(0) as f64;
        let a = std::f64::consts::TAU * i / n - std::f64::consts::FRAC_PI_2;
        (100.0 + 70.0 * a.cos(), 100.0 + 70.0 * a.sin())
    };
    html! {
        <figure class="wait-for">
            <svg viewBox="0 0 200 200" width="200" height="200" role="img"
                aria-label={if cycle.is_empty() { "wait-for graph, no cycle" } else { "wait-for graph with a deadlock cycle" }}>
                <defs><marker id="wf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" /></marker></defs>
                { for edges.iter().map(|e| {
                    let (x1, y1) = pos(e.waiter);
                    let (x2, y2) = pos(e.blocker);
                    let (dx, dy) = (x2 - x1, y2 - y1);
                    let len = (dx * dx + dy * dy).sqrt().max(1.0);
                    let (ex, ey) = (x2 - dx / len * 16.0, y2 - dy / len * 16.0);
                    let in_cycle = cycle.contains(&(e.waiter, e.blocker));
                    html! {
                        <line x1={format!("{:.1}", x1)} y1={format!("{:.1}", y1)}
                            x2={format!("{:.1}", ex)} y2={format!("{:.1}", ey)}
                            class={if in_cycle { "wf-edge cycle" } else { "wf-edge" }}
                            stroke="currentColor"
                            stroke-width={if in_cycle { "3" } else { "1.5" }}
                            stroke-dasharray={if in_cycle { "6 3" } else { "none" }}
                            marker-end="url(#wf-arrow)">
                            <title>{format!("{} waits for {} on {}", e.waiter, e.blocker, e.lock)}</title>
                        </line>
                    }
                }) }
                { for nodes.iter().map(|c| {
                    let (x, y) = pos(*c);
                    html! {
                        <g class="wf-node">
                            <circle cx={format!("{:.1}", x)} cy={format!("{:.1}", y)} r="14" fill="var(--bg, white)" stroke="currentColor" />
                            <text x={format!("{:.1}", x)} y={format!("{:.1}", y + 4.0)} text-anchor="middle" font-size="11">{c.to_string()}</text>
                        </g>
                    }
                }) }
            </svg>
            <figcaption>
                if cycle.is_empty() {
                    {"Wait-for graph: no cycle."}
                } else {
                    {format!("Wait-for graph: cycle (dashed) {}", cycle.iter().map(|(w, b)| format!("{w}→{b}")).collect::<Vec<_>>().join(", "))}
                }
            </figcaption>
        </figure>
    }
}

fn deadlocks(table: &LockTable) -> Html {
    if table.recent_deadlocks.is_empty() {
        return Html::default();
    }
    html! {
        <ul class="deadlocks" aria-label="deadlocks broken">
        { for table.recent_deadlocks.iter().rev().map(|d| html! {
            <li>{format!(
                "deadlock {} at index {}: cycle {}, victim {} (youngest wait, since index {})",
                d.number,
                d.index,
                d.members().iter().map(|c| c.to_string()).collect::<Vec<_>>().join("→"),
                d.victim,
                d.victim_since
            )}</li>
        }) }
        </ul>
    }
}

impl Panel for LocksPanel {
    fn entries(&self) -> &'static [&'static dyn Protocol] {
        ENTRIES
    }

    fn lead_line(&self, pg: &dyn Playground) -> String {
        let Some(s) = session::<Locks>(pg) else {
            return String::new();
        };
        match table_server(s) {
            Some((id, srv)) if srv.leader() == Some(id) => {
                let held = srv
                    .kv()
                    .locks
                    .values()
                    .filter(|l| !l.holders.is_empty())
                    .count();
                format!("{id} leads; {held} locks held")
            }
            _ => "no leader: the lock service waits for an election".to_string(),
        }
    }

    fn own_tab(&self) -> &'static str {
        "Locks"
    }

    fn protocol_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Locks>(ctx.pg) else {
            return html! {};
        };
        let Some((id, srv)) = table_server(s) else {
            return html! { <p class="muted">{"No server is running."}</p> };
        };
        let table = srv.kv();
        let now = s.sim().now().as_millis();
        html! {
            <section class="panel locks-panel" aria-label="Lock service">
                <h3>{"Lock service"}</h3>
                <p class="muted">{format!("The table as {id} has applied it (index {}).", srv.last_applied())}</p>
                { lock_table(table, now) }
                { wait_for_graph(table) }
                { deadlocks(table) }
                <h4>{"The resource's writes"}</h4>
                { writes(s) }
            </section>
        }
    }
}
