//! The legend under the graph, complete for the protocol running: its roles (outline, crown),
//! its message kinds with their meaning (shape, label and colour family), what the timer arc
//! shows, clients, crashes and pauses, and link states — all from the protocol's `Look`.

use crate::components::icons::{icon, Icon};
use crate::dom::events::opened;
use crate::model::action::Action;
use crate::model::look::{message_lines, role_words};
use netsplit_core::run::registry::Look;
use yew::prelude::*;

/// The legend, closed or `open`. `terms` says whether the protocol numbers terms (shown
/// inside nodes); `extras` are the panel's own lines. Its lines are drawn only while open.
pub fn view(
    look: &Look,
    open: bool,
    terms: bool,
    extras: Html,
    dispatch: &Callback<Action>,
) -> Html {
    let ontoggle = dispatch.reform(|e: Event| Action::Legend(opened(&e)));
    if !open {
        return html! {
            <details class="legend" {ontoggle}><summary>{"Legend"}</summary></details>
        };
    }
    let roles: Html = look
        .roles
        .iter()
        .map(|r| {
            html! {
                <li>
                    <span class={classes!("lg", format!("outline-{}", r.outline.name()))} aria-hidden="true"></span>
                    if r.leads { <span class="lg-crown">{ icon(Icon::Crown) }</span> }
                    <b>{r.name}</b>{": "}{role_words(r)}
                </li>
            }
        })
        .collect();
    let messages: Html = message_lines(look)
        .into_iter()
        .map(|m| {
            html! {
                <li>
                    <span class={classes!("msg-glyph", format!("msg-{}", m.color))} aria-hidden="true">{m.glyph}</span>
                    <b class="mono">{m.label}</b>{" "}{m.meaning}
                </li>
            }
        })
        .collect();
    html! {
        <details class="legend" open=true {ontoggle}>
            <summary>{"Legend"}</summary>
            <ul>
                {roles}
                <li><span class="lg lg-client" aria-hidden="true"></span><b>{"client"}</b>{": small square inside the ring"}</li>
                <li>
                    <span class="lg-badge crash">{ icon(Icon::Cross) }</span>{"crashed (grey, dashed) · "}
                    <span class="lg-badge">{ icon(Icon::Pause) }</span>{"paused · votes 2/3 under a node: votes it holds / votes it needs"}
                    if terms { {" · T3 = term 3 (fill tint changes with the term)"} }
                </li>
                {messages}
                <li>{"hollow = reply, ✓ granted / ✗ refused · faded with × = its link was cut, dropped on arrival · "}
                    { icon(Icon::Pause) }{" beside a message = waiting at a held link or a paused node · a fading × marks where a message died"}</li>
                if let Some(arc) = look.timer_arc {
                    <li>{format!("grey arc: {} (the {arc} timer); while time is paused, ", look.timer_arc_meaning)}
                        { icon(Icon::Clock) }{" 187 ms under a node says how long it has left"}</li>
                }
                <li>{"link: solid = up · dashed with "}{ icon(Icon::Cut) }{" = cut · arrow = the one direction that still works · "}
                    { icon(Icon::Pause) }{" = held"}</li>
                <li><span class="lg-island" aria-hidden="true"></span>{"hatched island = one side of a split network, labelled “2 of 5 · minority”"}</li>
                {extras}
            </ul>
        </details>
    }
}
