//! The inspector: the selected node in full, durable versus volatile state, and its actions.

use crate::app::Action;
use crate::components::graph::{pair_label, pair_state, Pair};
use netsplit_core::kernel::view::{LogView, NodeStatus, Snapshot};
use netsplit_core::{Control, NodeId};
use yew::prelude::*;

fn button(
    label: &str,
    key: &str,
    action: Action,
    dispatch: &Callback<Action>,
    disabled: bool,
) -> Html {
    let onclick = dispatch.reform(move |_| action.clone());
    html! {
        <button class="btn" {onclick} {disabled} aria-keyshortcuts={key.to_string()}>
            {label}<kbd>{key}</kbd>
        </button>
    }
}

/// A short label for a log entry's command (`x=1`, `get x`, `cas x`, `del x`, `·` for no-op).
fn short_label(label: &str) -> String {
    let words: Vec<&str> = label.split_whitespace().collect();
    match words.as_slice() {
        [_, "put", k, v] => format!("{k}={v}"),
        [_, "get", k] => format!("get {k}"),
        [_, "cas", k, ..] => format!("cas {k}"),
        [_, "delete", k] => format!("del {k}"),
        ["no-op"] => "·".to_string(),
        _ => label.chars().take(6).collect(),
    }
}

/// A node's log tail as a strip of cells: committed cells solid, uncommitted ones dashed and
/// hatched (never hue alone), each labelled with its term and command; the snapshot boundary
/// before them; on a leader, where each follower stands.
pub fn log_strip(log: &LogView) -> Html {
    let first_shown = log.tail.first().map_or(log.last_index + 1, |c| c.index);
    let earlier = first_shown
        .saturating_sub(1)
        .saturating_sub(log.snapshot_index);
    let cells: Html = log
        .tail
        .iter()
        .map(|c| {
            let committed = c.index <= log.commit_index;
            let title = format!(
                "index {} · term {} · {} · {}",
                c.index,
                c.term,
                c.label,
                if committed { "committed" } else { "not committed" }
            );
            let here: Vec<String> = log
                .followers
                .iter()
                .filter(|f| f.matched == c.index)
                .map(|f| f.node.to_string())
                .collect();
            html! {
                <li key={c.index} class={classes!("cell", if committed { "committed" } else { "uncommitted" })}
                    title={title.clone()} aria-label={title}>
                    <span class="t">{c.term}</span>
                    <span class="c">{short_label(&c.label)}</span>
                    if !here.is_empty() {
                        <span class="m" aria-hidden="true">{format!("▲{}", here.join(","))}</span>
                    }
                </li>
            }
        })
        .collect();
    let followers: Html = log
        .followers
        .iter()
        .map(|f| {
            html! {
                <li>
                    <span class="peer">{f.node.to_string()}</span>
                    <progress class="bar" max={log.last_index.max(1).to_string()} value={f.matched.to_string()}
                        aria-label={format!("{} holds {} of {} entries", f.node, f.matched, log.last_index)}></progress>
                    <span class="mono">{format!("match {} · next {}", f.matched, f.next)}</span>
                </li>
            }
        })
        .collect();
    html! {
        <div class="log-view">
            <ol class="log-strip" aria-label="Log tail">
                if log.snapshot_index > 0 {
                    <li class="cell snapshot" title={format!("entries 1–{} are folded into a snapshot", log.snapshot_index)}
                        aria-label={format!("snapshot of entries 1 to {}", log.snapshot_index)}>
                        <span class="t">{"snap"}</span><span class="c">{format!("≤{}", log.snapshot_index)}</span>
                    </li>
                }
                if earlier > 0 {
                    <li class="cell more" aria-label={format!("{earlier} earlier entries")}>{format!("+{earlier}")}</li>
                }
                {cells}
            </ol>
            <p class="muted">
                {format!("last {} · commitIndex {} · applied {} · solid = committed, dashed = not yet · ▲ = a follower's matchIndex", log.last_index, log.commit_index, log.applied_index)}
            </p>
            if !log.followers.is_empty() {
                <ul class="followers" aria-label="Where each follower stands">{followers}</ul>
            }
        </div>
    }
}

/// A simulated client in the inspector.
fn client_view(n: &netsplit_core::kernel::view::NodeSnapshot) -> Html {
    let fields: Html = n
        .view
        .fields
        .iter()
        .map(|f| html! { <tr><th scope="row">{f.name}</th><td class="value">{f.value.clone()}</td></tr> })
        .collect();
    html! {
        <div class="inspector-node" data-inspecting={n.id.to_string()}>
            <h2>
                <span class="node-title">{n.id.to_string()}</span>
                <span class="pill">{"client"}</span>
            </h2>
            <p class="explain">{"A simulated client outside the cluster. It sends each command to a server, follows redirects to the leader, backs off when nobody knows one, and retries after a timeout with the same sequence number — so the command takes effect exactly once."}</p>
            <table class="fields">
                <caption>{"State"}</caption>
                <tbody>{fields}</tbody>
            </table>
        </div>
    }
}

/// The inspector panel.
pub fn view(
    snap: &Snapshot,
    selected: Option<usize>,
    leader: Option<NodeId>,
    dispatch: &Callback<Action>,
) -> Html {
    let Some(n) = selected.and_then(|i| snap.nodes.get(i)) else {
        let lead = match (snap.protocol, leader) {
            ("raft", Some(l)) => format!("{l} leads"),
            ("raft", None) => "no leader yet".to_string(),
            ("kv", _) => "leaderless: every replica is a peer".to_string(),
            _ => format!("{} servers", snap.servers()),
        };
        return html! {
            <div class="inspector-empty">
                <h2>{"Inspector"}</h2>
                <p class="lead-line">{lead}</p>
                <p>{"Select a node (click it, or press 1–9) to see its state and act on it: crash, restart, pause, force an election."}</p>
                <p>{"Click a link to cut or heal it; shift-click cuts one direction."}</p>
            </div>
        };
    };
    if n.id.is_client() {
        return client_view(n);
    }
    let i = n.id.index();
    let crashed = n.status == NodeStatus::Crashed;
    let paused = n.status == NodeStatus::Paused;
    let status = match n.status {
        NodeStatus::Up => "running",
        NodeStatus::Crashed => "crashed",
        NodeStatus::Paused => "paused",
    };
    let fields: Html = n
        .view
        .fields
        .iter()
        .map(|f| {
            let lost = crashed && !f.durable;
            let kind = if f.durable { "durable" } else { "volatile" };
            let value = if lost { "lost".to_string() } else { f.value.clone() };
            html! {
                <tr class={classes!(kind, lost.then_some("lost"))}>
                    <th scope="row">{f.name}</th>
                    <td class="value">{value}</td>
                    <td class="kind">
                        <span class="tag" title={if f.durable { "survives a crash (on disk)" } else { "lost on crash (in memory)" }}>
                            {if f.durable { "■ durable" } else { "□ volatile" }}
                        </span>
                    </td>
                </tr>
            }
        })
        .collect();
    let timers: Html = if crashed {
        // A list holds only items (axe: `list`).
        html! { <li class="muted">{"No timers: a crashed node's timers are gone."}</li> }
    } else {
        n.timers
            .iter()
            .map(|t| html! { <li>{format!("{} fires at t={} (armed at t={})", t.name, t.fires_at, t.set_at)}</li> })
            .collect::<Html>()
    };
    let links: Html = snap
        .nodes
        .iter()
        .filter(|o| o.id != n.id && !o.id.is_client())
        .map(|o| {
            let (a, b) = (n.id, o.id);
            let pair = pair_state(snap, a, b);
            let up = pair == Pair::Up;
            let text = match pair {
                Pair::Up => "up",
                Pair::Cut => "cut",
                Pair::OnlyAtoB => "outgoing only",
                Pair::OnlyBtoA => "incoming only",
                Pair::Held => "held",
            };
            let cut = dispatch.reform(move |_| Action::Control(Control::Cut { a, b }));
            let cut_out = dispatch.reform(move |_| Action::Control(Control::CutOneWay { from: a, to: b }));
            let heal = dispatch.reform(move |_| Action::Control(Control::Heal { a, b }));
            html! {
                <li title={pair_label(a, b, pair)}>
                    <span class="peer">{format!("{a} ↔ {b}")}</span>
                    <span class={classes!("link-state", (!up).then_some("bad"))}>{text}</span>
                    if up {
                        <button class="btn small" onclick={cut} aria-label={format!("cut link {a} to {b}")}>{"cut"}</button>
                        <button class="btn small" onclick={cut_out} aria-label={format!("cut {a} → {b} only")}>{"cut →"}</button>
                    } else {
                        <button class="btn small" onclick={heal} aria-label={format!("heal link {a} to {b}")}>{"heal"}</button>
                    }
                </li>
            }
        })
        .collect();
    html! {
        <div class="inspector-node" data-inspecting={n.id.to_string()}>
            <h2>
                <span class="node-title">{n.id.to_string()}</span>
                <span class={classes!("pill", format!("status-{status}"))}>{status}</span>
                <span class="pill">{n.view.role.name()}</span>
            </h2>
            if crashed {
                <p class="explain">{"Crashed: memory (volatile state) and timers are lost. What is on disk (durable) is kept and used on restart."}</p>
            }
            if paused {
                <p class="explain">{"Paused: keeps its memory but processes nothing. Messages and timers wait and are handled, late, on resume."}</p>
            }
            <div class="actions" role="group" aria-label={format!("Actions for {}", n.id)}>
                { button(if crashed { "Restart" } else { "Crash" }, "c", Action::CrashOrRestart(i), dispatch, false) }
                { button(if paused { "Resume" } else { "Pause" }, "p", Action::PauseOrResume(i), dispatch, crashed) }
                { button("Force timeout", "t", Action::Timeout(i), dispatch, crashed || paused) }
            </div>
            <table class="fields">
                <caption>{"State"}</caption>
                <tbody>{fields}</tbody>
            </table>
            if let Some(badge) = &n.view.badge {
                <p class="explain badge" role="status">{format!("⛔ {badge}")}</p>
            }
            { crate::components::tables::view(&n.view.tables, crashed) }
            if let Some(log) = &n.view.log {
                <h3>{"Log"}</h3>
                { log_strip(log) }
            }
            { n.view.lists.iter().map(crate::components::lists::list).collect::<Html>() }
            <h3>{"Timers"}</h3>
            <ul class="timers">{timers}</ul>
            <h3>{"Links"}</h3>
            <ul class="peers">{links}</ul>
        </div>
    }
}
