//! The inspector's frame, the same for every protocol: the selected node's role and status,
//! durable versus volatile fields, its tables and lists, timers and links, and the actions
//! that make sense for it. The protocol's panel adds its own part ([`Panel::inspector_body`]).

use crate::components::graph::{pair_label, pair_state, Pair};
use crate::components::icons::{icon, Icon};
use crate::model::action::Action;
use crate::panels::{Panel, PanelCtx};
use netsplit_core::kernel::view::{NodeSnapshot, NodeStatus};
use netsplit_core::run::registry::Look;
use netsplit_core::Control;
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

/// A node's fields: durable ones marked ■, volatile ones □ (and "lost" while crashed).
fn fields(n: &NodeSnapshot) -> Html {
    let crashed = n.status == NodeStatus::Crashed;
    let rows: Html = n
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
    html! {
        <table class="fields">
            <caption>{"State"}</caption>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A simulated client.
fn client(ctx: &PanelCtx<'_>, panel: &dyn Panel, n: &NodeSnapshot) -> Html {
    html! {
        <div class="inspector-node" data-inspecting={n.id.to_string()}>
            <h2>
                <span class="node-title">{n.id.to_string()}</span>
                <span class="pill">{n.view.role.name()}</span>
            </h2>
            <p class="explain">{"A simulated client outside the cluster: it takes your commands and talks to the servers over the same network."}</p>
            { fields(n) }
            { crate::components::tables::view(&n.view.tables, false) }
            { n.view.lists.iter().map(crate::components::lists::list).collect::<Html>() }
            { panel.inspector_body(ctx, n.id) }
        </div>
    }
}

/// The links of server `n` to every other server, with cut/heal buttons.
fn links(ctx: &PanelCtx<'_>, n: &NodeSnapshot) -> Html {
    let dispatch = ctx.dispatch;
    ctx.snap
        .nodes
        .iter()
        .filter(|o| o.id != n.id && !o.id.is_client())
        .map(|o| {
            let (a, b) = (n.id, o.id);
            let pair = pair_state(ctx.snap, a, b);
            let up = pair == Pair::Up;
            let text = match pair {
                Pair::Up => "up",
                Pair::Cut => "cut",
                Pair::OnlyAtoB => "outgoing only",
                Pair::OnlyBtoA => "incoming only",
                Pair::Held => "held",
            };
            let cut = dispatch.reform(move |_| Action::Control(Control::Cut { a, b }));
            let cut_out =
                dispatch.reform(move |_| Action::Control(Control::CutOneWay { from: a, to: b }));
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
        .collect()
}

/// The inspector for the node at snapshot position `selected` (or the lead line and hints).
pub fn view(ctx: &PanelCtx<'_>, panel: &dyn Panel, look: &Look, selected: Option<usize>) -> Html {
    let dispatch = ctx.dispatch;
    let Some(n) = selected.and_then(|i| ctx.snap.nodes.get(i)) else {
        let actions = if look.timer_arc.is_some() {
            "crash, restart, pause, force a timeout"
        } else {
            "crash, restart, pause"
        };
        return html! {
            <div class="inspector-empty">
                <h2>{"Inspector"}</h2>
                <p class="lead-line">{panel.lead_line(ctx.pg)}</p>
                <p>{format!("Select a node (click it, or press 1–9) to see its state and act on it: {actions}.")}</p>
                <p>{"Click a link to cut or heal it; shift-click cuts one direction."}</p>
            </div>
        };
    };
    if n.id.is_client() {
        return client(ctx, panel, n);
    }
    let i = selected.unwrap_or_default();
    let crashed = n.status == NodeStatus::Crashed;
    let paused = n.status == NodeStatus::Paused;
    let status = match n.status {
        NodeStatus::Up => "running",
        NodeStatus::Crashed => "crashed",
        NodeStatus::Paused => "paused",
    };
    // Only protocols with a timeout to force offer it, and only while that timer is armed.
    let timeout = look.timer_arc.map(|arc| {
        let armed = n.timers.iter().any(|t| t.name == arc);
        button(
            &format!("Force {arc} timeout"),
            "t",
            Action::Timeout(i),
            dispatch,
            crashed || paused || !armed,
        )
    });
    let now = ctx.snap.now.0;
    let timers: Html = if crashed {
        // A list holds only items (axe: `list`).
        html! { <li class="muted">{"No timers: a crashed node's timers are gone."}</li> }
    } else {
        n.timers
            .iter()
            .map(|t| {
                let left = t.fires_at.0.saturating_sub(now);
                html! { <li>{format!("{} fires at t={} — in {left} ms (armed at t={}, {} ms in all)", t.name, t.fires_at, t.set_at, t.fires_at.0.saturating_sub(t.set_at.0))}</li> }
            })
            .collect::<Html>()
    };
    html! {
        <div class="inspector-node" data-inspecting={n.id.to_string()}>
            <h2>
                <span class="node-title">{n.id.to_string()}</span>
                <span class={classes!("pill", format!("status-{status}"))}>
                    if crashed { { icon(Icon::Cross) } }
                    if paused { { icon(Icon::Pause) } }
                    {status}
                </span>
                if crashed {
                    // A crashed node's view is the one a restart would produce.
                    <span class="pill role" data-role={n.view.role.name()}>{format!("restarts as {}", n.view.role.name())}</span>
                } else {
                    <span class="pill role" data-role={n.view.role.name()}>{n.view.role.name()}</span>
                }
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
                { timeout.unwrap_or_default() }
            </div>
            { fields(n) }
            if let Some(badge) = &n.view.badge {
                <p class="explain badge" role="status">
                    if !crate::components::graph::has_sign(badge) { { icon(Icon::Blocked) }{" "} }
                    {badge.clone()}
                </p>
            }
            { crate::components::tables::view(&n.view.tables, crashed) }
            { n.view.lists.iter().map(crate::components::lists::list).collect::<Html>() }
            { panel.inspector_body(ctx, n.id) }
            <h3>{"Timers"}</h3>
            <ul class="timers">{timers}</ul>
            <h3>{"Links"}</h3>
            <ul class="peers">{ links(ctx, n) }</ul>
        </div>
    }
}
