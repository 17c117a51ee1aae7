//! Top bar: product name, protocol, cluster size, seed, help.

use crate::app::{Action, Ui, PROTOCOLS};
use crate::components::menu;
use netsplit_core::kernel::config::{MAX_NODES, MIN_NODES};
use netsplit_core::run::registry::Registry;
use wasm_bindgen::JsCast;
use yew::prelude::*;

fn input_value(e: &Event) -> Option<String> {
    let target = e.target()?;
    if let Some(i) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        return Some(i.value());
    }
    target
        .dyn_ref::<web_sys::HtmlSelectElement>()
        .map(|s| s.value())
}

/// Parse the seed field: a whole number, or a clear error.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("seed must be a whole number from 0 to {}", u64::MAX))
}

/// The top bar.
pub fn view(ui: &Ui, dispatch: &Callback<Action>) -> Html {
    let nodes = ui.nodes;
    let seed = ui.seed;
    let protocol = ui.protocol.clone();
    let on_nodes = {
        let dispatch = dispatch.clone();
        let protocol = protocol.clone();
        Callback::from(move |e: Event| {
            if let Some(n) = input_value(&e).and_then(|v| v.parse::<usize>().ok()) {
                dispatch.emit(Action::Restart {
                    protocol: protocol.clone(),
                    nodes: n,
                    seed,
                });
            }
        })
    };
    let on_seed = {
        let dispatch = dispatch.clone();
        let protocol = protocol.clone();
        Callback::from(move |e: Event| {
            if let Some(text) = input_value(&e) {
                match parse_seed(&text) {
                    Ok(seed) => dispatch.emit(Action::Restart {
                        protocol: protocol.clone(),
                        nodes,
                        seed,
                    }),
                    Err(msg) => dispatch.emit(Action::Notice(msg)),
                }
            }
        })
    };
    let on_new_seed = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| {
            let seed = (js_sys::Math::random() * 1_000_000.0) as u64;
            dispatch.emit(Action::Restart {
                protocol: protocol.clone(),
                nodes,
                seed,
            });
        })
    };
    let on_protocol = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let picked = input_value(&e).and_then(|v| {
                PROTOCOLS
                    .iter()
                    .find(|(p, _, _)| *p == v)
                    .map(|(p, _, _)| *p)
            });
            if let Some(p) = picked {
                dispatch.emit(Action::SwitchProtocol(p));
            }
        })
    };
    let on_help = dispatch.reform(|_| Action::ToggleHelp);
    let on_gallery = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(g) = menu::picked(&e).and_then(|i| Registry::builtin().gallery().nth(i)) {
                dispatch.emit(Action::OpenGallery(g.id));
            }
        })
    };

    html! {
        <header class="topbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">{"⟂"}</span>
                <span class="name">{"netsplit"}</span>
                <span class="tagline">{"distributed protocols, under a microscope"}</span>
            </div>
            <div class="setup">
                <label>{"Protocol "}
                    <select aria-label="Protocol" onchange={on_protocol}>
                        { for PROTOCOLS.iter().map(|(p, label, _)| html! {
                            <option value={*p} selected={*p == ui.protocol}>{*label}</option>
                        }) }
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">{"Scenario gallery"}</span>
                    <select class="gallery" aria-label="Scenario gallery" onchange={on_gallery}>
                        <option selected=true>{"Scenarios…"}</option>
                        { for Registry::builtin().gallery().map(|g| html! { <option>{g.title}</option> }) }
                    </select>
                </label>
                <label>{"Nodes "}
                    <select aria-label="Number of nodes" onchange={on_nodes}>
                        { for (MIN_NODES..=MAX_NODES).map(|n| html! {
                            <option value={n.to_string()} selected={n == nodes}>{n}</option>
                        }) }
                    </select>
                </label>
                <label>{"Seed "}
                    <input class="seed" type="text" inputmode="numeric" aria-label="Seed"
                        value={seed.to_string()} onchange={on_seed} />
                </label>
                <button class="btn ghost" onclick={on_new_seed} title="Start over with a random seed">
                    {"New seed"}
                </button>
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::ShowImport)}
                    title="Open a scenario file or pasted scenario">{"Import"}</button>
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::Export)}
                    title="This session as a scenario file">{"Export"}</button>
                <button class="btn ghost share" onclick={dispatch.reform(|_| Action::Share)}
                    aria-keyshortcuts="s" title="Share a link to this exact moment (s)">{"Share"}</button>
                <button class="btn ghost round" onclick={on_help} aria-label="Keyboard shortcuts (?)"
                    title="Keyboard shortcuts (?)">{"?"}</button>
            </div>
        </header>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_seed;

    #[test]
    fn seeds_are_validated() {
        assert_eq!(parse_seed(" 42 "), Ok(42));
        assert!(parse_seed("-1").is_err());
        assert!(parse_seed("abc").is_err());
        assert!(parse_seed("").is_err());
        assert!(parse_seed("18446744073709551616").is_err());
    }
}
