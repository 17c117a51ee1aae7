//! The lock service's panel: the replicated lock table as the leader has applied it (holders
//! with modes and fencing tokens, queues in order, each session's lease time left), the
//! protected resource's accepted and rejected writes, and the wait-for graph drawn as SVG
//! with any cycle marked by a dashed outline and the word "cycle" (never by colour alone).
//! Each queue is listed in the order it is served, with each waiter's priority and effective
//! priority (aged). The Clients tab submits workers' jobs and the Settings tab changes the
//! service's settings, both through the scenario format ([`forms`]).
//! All from the typed state (`Session<Locks>`), never from display text.

pub mod forms;

use super::{clients, session, Panel, PanelCtx, Submitted};
use crate::components::form::{field, form};
use crate::model::form::{Form, Invalid};
use netsplit_core::protocols::locks::client::Phase;
use netsplit_core::protocols::locks::deadlock::{find_cycle, wait_for, Edge};
use netsplit_core::protocols::locks::queue::MAX_PRIORITY;
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
                <th scope="col">{"queue, in the order served (priority → effective)"}</th>
            </tr></thead>
            <tbody>
            { for busy.iter().map(|(name, l)| html! {
                <tr>
                    <th scope="row">{name.to_string()}</th>
                    <td><ul>{ for l.holders.iter().map(|(c, (m, t))| html! {
                        <li>{format!("{c} {m} token {t}, lease {}", lease(c))}</li>
                    }) }</ul></td>
                    <td><ol class="lock-queue">{ for table.served_order(name).iter().map(|(w, eff)| html! {
                        <li title={format!(
                            "{} asked for priority {}; after {} entries of waiting it counts as {}",
                            w.client, w.priority, table.applied.saturating_sub(w.since), eff
                        )}>
                            {format!("{} {} since index {}, priority {} → {}", w.client, w.mode, w.since, w.priority, eff)}
                            if *eff > w.priority { {" (aged)"} }
                        </li>
                    }) }</ol></td>
                </tr>
            }) }
            </tbody>
        </table>
    }
}

/// The aging rule in plain words, as the queue view applies it.
fn aging_rule(table: &LockTable) -> Html {
    let a = table.rule.aging();
    html! {
        <p class="muted aging-rule">{format!(
            "Queues are served by effective priority, then arrival (first come first served among equals). \
             A waiter's effective priority = its priority (0–{MAX_PRIORITY}) + 1 for every {a} log entries it has waited, \
             up to {MAX_PRIORITY}: after {} entries nobody who arrives later goes first.",
            u64::from(MAX_PRIORITY) * a
        )}</p>
    }
}

/// A worker's state in a few words.
fn phase_words(phase: &Phase) -> String {
    match phase {
        Phase::Idle => "idle".into(),
        Phase::Acquiring => "asking for a lock".into(),
        Phase::Waiting { since } => format!("queued since t={since}"),
        Phase::Holding { token, until } => format!("holding (token {token}) until t={until}"),
        Phase::Writing { token, .. } => format!("writing with token {token}"),
        Phase::Releasing => "releasing".into(),
    }
}

/// The Clients tab: the job form and each worker's state.
fn clients_view(ctx: &PanelCtx<'_>, s: &Session<Locks>) -> Html {
    let values = ctx.forms.get(forms::JOB);
    let d = ctx.dispatch;
    let workers: Vec<NodeId> = clients(s)
        .filter(|(_, c)| !c.is_resource())
        .map(|(id, _)| id)
        .collect();
    if workers.is_empty() {
        return html! {
            <section class="panel locks-clients" aria-label="Clients">
                <h3>{"Workers"}</h3>
                <p class="muted">{"This cluster has only the protected resource c1: add clients in the setup to run jobs."}</p>
            </section>
        };
    }
    let nodes = (0..s.sim().cluster_size()).map(|i| NodeId::from_index(i).to_string());
    let modes = || {
        forms::MODES
            .iter()
            .map(|(v, l)| (v.to_string(), l.to_string()))
    };
    let rows: Html = (1..=forms::ROWS)
        .map(|row| {
            html! {
                <tr>
                    <th scope="row">{row}</th>
                    <td>{ field(forms::JOB, values, &forms::row_field("lock", row), &format!("lock {row}"))
                        .size(10).quiet_label()
                        .placeholder(if row == 1 { "L or db/t1" } else { "(none)" })
                        .title("a lock name; a path such as db/t1/r3 is a node of a lock tree").view(d) }</td>
                    <td>{ field(forms::JOB, values, &forms::row_field("mode", row), &format!("mode of lock {row}"))
                        .select(modes()).quiet_label().view(d) }</td>
                </tr>
            }
        })
        .collect();
    let priorities = (0..=MAX_PRIORITY).map(|p| {
        (
            p.to_string(),
            if p == 0 {
                "0 (default)".to_string()
            } else {
                p.to_string()
            },
        )
    });
    let body = html! {
        <>
            { field(forms::JOB, values, "client", "worker").choose(workers.iter().map(|w| w.to_string())).view(d) }
            { field(forms::JOB, values, "node", "via").choose(nodes).view(d) }
            <table class="job-locks">
                <caption>{"Locks, in the order taken"}</caption>
                <thead><tr><th scope="col">{"#"}</th><th scope="col">{"lock"}</th><th scope="col">{"mode"}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted">{forms::MODES_HELP}{" — on a tree (db/t1/r3) ancestors come first."}</p>
            { field(forms::JOB, values, "hold_ms", "hold (ms)").number(0, 600_000)
                .title("how long it holds the locks before writing to the resource c1").view(d) }
            { field(forms::JOB, values, "priority", "priority").select(priorities)
                .title("higher is served first; waiters age, so nobody starves").view(d) }
            { field(forms::JOB, values, "stall", "stall while holding (GC pause)").checkbox()
                .title("no keep-alives while it holds, and it writes without looking at its lease").view(d) }
            <button class="btn" type="submit">{"Submit job"}</button>
        </>
    };
    let list: Html = clients(s)
        .filter(|(_, c)| !c.is_resource())
        .map(|(id, c)| {
            let held: Vec<String> = c
                .held()
                .iter()
                .map(|(l, (m, t))| format!("{l} {m} @{t}"))
                .collect();
            html! {
                <li class="mono">{format!(
                    "{id}: {}{}",
                    phase_words(c.phase()),
                    if held.is_empty() { String::new() } else { format!("; believes it holds {}", held.join(", ")) }
                )}</li>
            }
        })
        .collect();
    html! {
        <section class="panel locks-clients" aria-label="Clients">
            <h3>{"Workers"}</h3>
            { form(forms::JOB, values, "job-form", "Submit a job", body, d) }
            <p class="muted">{"A job takes its locks one after another, holds them, writes to the resource c1 with the last lock's fencing token, then releases them. It is recorded in the scenario (and the share link) like any action."}</p>
            <ul class="locks-workers" aria-label="Workers">{list}</ul>
        </section>
    }
}

/// The Settings tab's lock-service part.
fn settings_view(ctx: &PanelCtx<'_>) -> Html {
    let values = ctx.forms.get(forms::SETTINGS);
    let d = ctx.dispatch;
    let modes = forms::DEADLOCK_MODES
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()));
    let body = html! {
        <>
            { field(forms::SETTINGS, values, "deadlock", "deadlocks").select(modes).live().view(d) }
            { field(forms::SETTINGS, values, "wait_timeout_ms", "wait timeout (ms, timeout-only)").number(10, 600_000).live().view(d) }
            { field(forms::SETTINGS, values, "lease_ms", "lease (ms)").number(50, 600_000).live().view(d) }
            { field(forms::SETTINGS, values, "keepalive_ms", "keep-alive every (ms)").number(10, 600_000).live().view(d) }
            { field(forms::SETTINGS, values, "aging_entries", "aging: +1 priority per (log entries)").number(1, 100_000).live().view(d) }
            <div class="toggles">{ field(forms::SETTINGS, values, "fencing", "the resource checks fencing tokens").checkbox().live().view(d) }</div>
        </>
    };
    html! {
        <section class="panel locks-settings" aria-label="Lock service settings">
            <h3>{"Lock service"}</h3>
            <p class="muted">{"Each change replays this run from the start with the same seed and actions."}</p>
            { form(forms::SETTINGS, values, "settings-form", "Lock service settings", body, d) }
        </section>
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
    let graph = wait_for(table);
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

    fn clients_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Locks>(ctx.pg) else {
            return html! {};
        };
        clients_view(ctx, s)
    }

    fn settings_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        settings_view(ctx)
    }

    fn forms(&self, pg: &dyn Playground) -> Vec<(&'static str, Form)> {
        let settings = session::<Locks>(pg)
            .map(|s| forms::settings_form(s.sim().config()))
            .unwrap_or_default();
        vec![(forms::JOB, forms::job_form()), (forms::SETTINGS, settings)]
    }

    fn submit(&self, form: &str, values: &Form, pg: &dyn Playground) -> Result<Submitted, Invalid> {
        let s = session::<Locks>(pg).ok_or_else(|| {
            Invalid::field("cannot submit", "", "this is not a lock-service session")
        })?;
        let sim = s.sim();
        match form {
            forms::JOB => forms::job_control(values, sim.cluster_size(), sim.cluster().clients)
                .map(Submitted::Apply),
            forms::SETTINGS => {
                forms::settings_config(values, &pg.to_scenario().config).map(Submitted::Reconfigure)
            }
            other => Err(Invalid::field(
                "cannot submit",
                "",
                format!("the lock service has no form {other:?}"),
            )),
        }
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
                { aging_rule(table) }
                { wait_for_graph(table) }
                { deadlocks(table) }
                <h4>{"The resource's writes"}</h4>
                { writes(s) }
            </section>
        }
    }
}
