//! The Dynamo-style store's panel: client read/write form, every replica's keys (siblings,
//! dots, clocks), the ring with each key's replicas, the failure detectors' views, and the CAP
//! comparison.

use crate::app::Action;
use crate::components::tables;
use netsplit_core::kernel::view::{NodeStatus, Role, Snapshot};
use netsplit_core::protocols::dynamo::compare::{compare, CompareOptions, CompareTable};
use netsplit_core::protocols::dynamo::request::KvOp;
use netsplit_core::protocols::dynamo::ring::{hash, Ring};
use netsplit_core::protocols::dynamo::ConflictMode;
use netsplit_core::{Control, NodeId};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Properties of [`KvPanel`].
#[derive(Properties, PartialEq)]
pub struct KvProps {
    /// The current instant.
    pub snap: Rc<Snapshot>,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

fn value_of(e: &Event) -> String {
    let Some(t) = e.target() else {
        return String::new();
    };
    if let Some(i) = t.dyn_ref::<web_sys::HtmlInputElement>() {
        if i.type_() == "checkbox" {
            return i.checked().to_string();
        }
        return i.value();
    }
    t.dyn_ref::<web_sys::HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

fn setter(state: &UseStateHandle<String>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| state.set(value_of(&e)))
}

/// The command text the form describes.
pub fn command(
    kind: &str,
    key: &str,
    value: &str,
    level: &str,
    sloppy: bool,
    ctx_last: bool,
) -> String {
    let mut op = if kind == "put" {
        format!("put {key} {value} {level}")
    } else {
        format!("get {key} {level}")
    };
    if sloppy {
        op.push_str(" sloppy");
    }
    if ctx_last && kind == "put" {
        op.push_str(" ctx=last");
    }
    op
}

fn servers(snap: &Snapshot) -> Vec<NodeId> {
    snap.nodes
        .iter()
        .filter(|n| !n.id.is_client())
        .map(|n| n.id)
        .collect()
}

fn clients(snap: &Snapshot) -> Vec<NodeId> {
    snap.nodes
        .iter()
        .filter(|n| n.view.role == Role::CLIENT)
        .map(|n| n.id)
        .collect()
}

/// The ring as SVG: each node's positions as ticks, each stored key as a dot with its replicas.
fn ring(snap: &Snapshot) -> Html {
    let servers = servers(snap);
    let vnodes = snap
        .nodes
        .iter()
        .flat_map(|n| n.view.fields.iter())
        .find(|f| f.name == "ring positions per node")
        .and_then(|f| f.value.parse::<usize>().ok())
        .unwrap_or(8);
    let ring = Ring::new(servers.len(), vnodes);
    let angle = |at: u64| (at as f64 / u64::MAX as f64) * std::f64::consts::TAU;
    let (cx, cy, r) = (110.0, 110.0, 80.0);
    let ticks: Html = ring
        .tokens()
        .iter()
        .map(|t| {
            let a = angle(t.at);
            let (x1, y1) = (cx + (r - 6.0) * a.sin(), cy - (r - 6.0) * a.cos());
            let (x2, y2) = (cx + (r + 6.0) * a.sin(), cy - (r + 6.0) * a.cos());
            let (lx, ly) = (cx + (r + 16.0) * a.sin(), cy - (r + 16.0) * a.cos());
            html! {
                <g class={format!("tok n{}", t.node.index() % 9)}>
                    <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} />
                    <text x={lx.to_string()} y={ly.to_string()} text-anchor="middle" dominant-baseline="middle">{t.node.to_string()}</text>
                </g>
            }
        })
        .collect();
    let mut keys: Vec<(String, String)> = snap
        .nodes
        .iter()
        .flat_map(|n| n.view.tables.iter())
        .filter(|t| t.title == "Keys")
        .flat_map(|t| t.rows.iter())
        .filter_map(|row| {
            Some((
                row.first()?.clone(),
                row.get(1)?.split(" (").next()?.to_string(),
            ))
        })
        .collect();
    keys.sort();
    keys.dedup();
    let dots: Html = keys
        .iter()
        .map(|(k, reps)| {
            let a = angle(hash(k));
            let (x, y) = (cx + (r - 22.0) * a.sin(), cy - (r - 22.0) * a.cos());
            html! {
                <g class="key">
                    <circle cx={x.to_string()} cy={y.to_string()} r="3"><title>{format!("{k} → {reps}")}</title></circle>
                    <text x={x.to_string()} y={(y - 7.0).to_string()} text-anchor="middle">{k}</text>
                </g>
            }
        })
        .collect();
    let list: Html = keys
        .iter()
        .map(|(k, reps)| html! { <li><b>{k}</b>{" → "}{reps}</li> })
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

/// Failure detectors as a matrix: row = observer, column = peer.
fn detectors(snap: &Snapshot) -> Html {
    let servers = servers(snap);
    let head: Html = servers
        .iter()
        .map(|s| html! { <th scope="col">{s.to_string()}</th> })
        .collect();
    let rows: Html = snap
        .nodes
        .iter()
        .filter(|n| !n.id.is_client())
        .map(|n| {
            let fd = n
                .view
                .tables
                .iter()
                .find(|t| t.title.starts_with("Failure detector"));
            let cells: Html = servers
                .iter()
                .map(|p| {
                    if *p == n.id {
                        return html! { <td class="self">{"·"}</td> };
                    }
                    if n.status == NodeStatus::Crashed {
                        return html! { <td class="muted">{"—"}</td> };
                    }
                    let view = fd
                        .and_then(|t| t.rows.iter().find(|r| r.first() == Some(&p.to_string())))
                        .and_then(|r| r.get(1).cloned())
                        .unwrap_or_default();
                    let glyph = match view.as_str() {
                        "alive" => "✓ alive",
                        "suspected" => "? suspected",
                        "unavailable" => "✗ unavailable",
                        _ => "",
                    };
                    html! { <td class={format!("fd-{view}")}>{glyph}</td> }
                })
                .collect();
            html! { <tr><th scope="row">{n.id.to_string()}</th>{cells}</tr> }
        })
        .collect();
    html! {
        <table class="ptable fd">
            <caption>{"Failure detectors (row sees column)"}</caption>
            <thead><tr><th></th>{head}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn cap_table(t: &CompareTable) -> Html {
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
    html! {
        <div class="cap">
            <table class="ptable">
                <caption>{format!("Seed {}, {} ops per level, conflict mode {}", t.options.seed, t.rows.first().map_or(0, |r| r.ops), t.options.conflict.name())}</caption>
                <thead><tr>
                    <th scope="col">{"level"}</th><th scope="col">{"available"}</th>
                    <th scope="col">{"stale reads"}</th><th scope="col">{"lost writes"}</th>
                    <th scope="col" title="read-your-writes / monotonic-read anomalies">{"RYW / mono"}</th>
                    <th scope="col">{"p50 / p99 ms"}</th><th scope="col">{"msgs/op"}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted">{"Same seed, same faults, same workload; only the level differs. Stale reads and session anomalies are what a level allows, not bugs. \"strong\" is a majority quorum: not linearizable (no read write-back)."}</p>
            <ul class="muted">{faults}</ul>
        </div>
    }
}

/// The store's panel.
#[function_component(KvPanel)]
pub fn kv_panel(props: &KvProps) -> Html {
    let snap = &props.snap;
    let client = use_state(|| "c1".to_string());
    let node = use_state(|| "n1".to_string());
    let kind = use_state(|| "put".to_string());
    let key = use_state(|| "cart".to_string());
    let value = use_state(|| "book".to_string());
    let level = use_state(|| "strong".to_string());
    let sloppy = use_state(|| "false".to_string());
    let ctx_last = use_state(|| "true".to_string());
    let cap = use_state(|| None::<Result<CompareTable, String>>);
    let cap_seed = use_state(|| "1".to_string());
    let cap_mode = use_state(|| "siblings".to_string());

    let text = command(
        &kind,
        &key,
        &value,
        &level,
        *sloppy == "true",
        *ctx_last == "true",
    );
    let on_submit = {
        let dispatch = props.dispatch.clone();
        let (client, node, text) = ((*client).clone(), (*node).clone(), text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Err(err) = KvOp::parse(&text) {
                dispatch.emit(Action::Notice(err));
                return;
            }
            match (NodeId::parse(&client), NodeId::parse(&node)) {
                (Some(client), Some(node)) => dispatch.emit(Action::Control(Control::Submit {
                    client,
                    node,
                    op: text.clone(),
                })),
                _ => dispatch.emit(Action::Notice("choose a client and a node".into())),
            }
        })
    };
    let on_cap = {
        let (cap, seed, mode) = (cap.clone(), (*cap_seed).clone(), (*cap_mode).clone());
        Callback::from(move |_| {
            let conflict = match mode.as_str() {
                "lww" => ConflictMode::Lww,
                "set" => ConflictMode::Set,
                _ => ConflictMode::Siblings,
            };
            let result = seed
                .trim()
                .parse::<u64>()
                .map_err(|_| "seed must be a whole number".to_string())
                .and_then(|seed| {
                    compare(&CompareOptions {
                        seed,
                        conflict,
                        clock_skew_ms: if conflict == ConflictMode::Lww {
                            vec![0, -400, 300, 0, -150]
                        } else {
                            Vec::new()
                        },
                        ..CompareOptions::default()
                    })
                    .map_err(|e| e.to_string())
                });
            cap.set(Some(result));
        })
    };
    let opts = |ids: Vec<NodeId>, current: &str| -> Html {
        ids.into_iter()
            .map(|id| {
                let s = id.to_string();
                html! { <option value={s.clone()} selected={s == current}>{s.clone()}</option> }
            })
            .collect()
    };
    let choice = |values: &[&str], current: &str| -> Html {
        values
            .iter()
            .map(|v| html! { <option value={v.to_string()} selected={*v == current}>{v.to_string()}</option> })
            .collect()
    };
    let no_clients = clients(snap).is_empty();
    let replicas: Html = snap
        .nodes
        .iter()
        .filter(|n| !n.id.is_client())
        .map(|n| {
            let keys = n.view.tables.iter().find(|t| t.title == "Keys");
            html! {
                <div class="kv-replica">
                    <h4>{format!("{} · {}", n.id, match n.status { NodeStatus::Up => "up", NodeStatus::Crashed => "crashed (disk shown)", NodeStatus::Paused => "paused" })}</h4>
                    { keys.map(|t| tables::table(t, false)).unwrap_or_default() }
                </div>
            }
        })
        .collect();
    let results: Html = snap
        .nodes
        .iter()
        .filter(|n| n.view.role == Role::CLIENT)
        .map(|n| {
            html! {
                <div class="kv-client">
                    <h4>{n.id.to_string()}</h4>
                    { tables::view(&n.view.tables, false) }
                </div>
            }
        })
        .collect();
    html! {
        <section class="kv-panel" aria-label="Key-value store">
            <h3>{"Client request"}</h3>
            if no_clients {
                <p class="muted">{"This scenario has no simulated clients (cluster.clients = 0)."}</p>
            } else {
                <form class="kv-form" onsubmit={on_submit}>
                    <label>{"client"}<select onchange={setter(&client)}>{opts(clients(snap), &client)}</select></label>
                    <label>{"via"}<select onchange={setter(&node)}>{opts(servers(snap), &node)}</select></label>
                    <label>{"op"}<select onchange={setter(&kind)}>{choice(&["put", "get"], &kind)}</select></label>
                    <label>{"key"}<input value={(*key).clone()} onchange={setter(&key)} size="8" /></label>
                    if *kind == "put" {
                        <label>{"value"}<input value={(*value).clone()} onchange={setter(&value)} size="8" /></label>
                    }
                    <label>{"level"}<select onchange={setter(&level)}>{choice(&["local", "eventual", "strong", "n=3 r=1", "n=3 r=3", "n=3 w=1", "n=3 w=3"], &level)}</select></label>
                    <label><input type="checkbox" checked={*sloppy == "true"} onchange={setter(&sloppy)} />{"sloppy quorum"}</label>
                    if *kind == "put" {
                        <label title="supersede what this client last read of the key"><input type="checkbox" checked={*ctx_last == "true"} onchange={setter(&ctx_last)} />{"ctx=last"}</label>
                    }
                    <code class="kv-cmd">{text.clone()}</code>
                    <button class="btn" type="submit">{"Submit"}</button>
                </form>
            }
            <h3>{"Results"}</h3>
            {results}
            <h3>{"Replicas"}</h3>
            <div class="kv-replicas">{replicas}</div>
            <h3>{"Ring"}</h3>
            { ring(snap) }
            <h3>{"Failure detection"}</h3>
            { detectors(snap) }
            <h3>{"CAP side by side"}</h3>
            <div class="kv-form">
                <label>{"seed"}<input value={(*cap_seed).clone()} onchange={setter(&cap_seed)} size="6" /></label>
                <label>{"conflicts"}<select onchange={setter(&cap_mode)}>{choice(&["siblings", "lww", "set"], &cap_mode)}</select></label>
                <button class="btn" onclick={on_cap}>{"Compare LOCAL · EVENTUAL · STRONG"}</button>
            </div>
            {
                match &*cap {
                    None => html! { <p class="muted">{"Runs the same seed and fault schedule under each level (a 5-node cluster, 3 clients, a minority partition then an isolated node)."}</p> },
                    Some(Ok(t)) => cap_table(t),
                    Some(Err(e)) => html! { <p class="error">{e.clone()}</p> },
                }
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::command;

    #[test]
    fn the_form_builds_commands_the_store_parses() {
        for (kind, level, sloppy, last) in [
            ("put", "strong", false, true),
            ("get", "n=3 r=1", true, false),
        ] {
            let text = command(kind, "cart", "book", level, sloppy, last);
            netsplit_core::protocols::dynamo::request::KvOp::parse(&text).unwrap();
        }
        assert_eq!(
            command("get", "k", "", "eventual", false, true),
            "get k eventual"
        );
    }
}
