//! Protocol-neutral titled lists from a node's view (a coordinator's log, a participant's
//! locks…), with durable rows marked ■ and volatile ones □ (never colour alone).

use netsplit_core::kernel::view::{ListView, Tone};
use yew::prelude::*;

fn tone(t: Tone) -> &'static str {
    match t {
        Tone::Plain => "plain",
        Tone::Good => "good",
        Tone::Bad => "bad",
        Tone::Warn => "warn",
    }
}

/// A titled list from a node's view, durable rows marked ■.
pub fn list(l: &ListView) -> Html {
    let rows: Html = l
        .rows
        .iter()
        .map(|r| {
            html! {
                <li class={classes!("row", format!("tone-{}", tone(r.tone)))}>
                    <span class="tag" title={if r.durable { "durable" } else { "volatile" }}>
                        {if r.durable { "■ " } else { "□ " }}
                    </span>
                    {r.text.clone()}
                </li>
            }
        })
        .collect();
    html! {
        <div class="list-view">
            <h3>{l.title.clone()}</h3>
            if l.rows.is_empty() {
                <p class="muted">{"(none)"}</p>
            } else {
                <ul class="rows">{rows}</ul>
            }
        </div>
    }
}
