//! Top bar: product name, the Protocol menu and the gallery (both read from the core
//! registry), cluster size (the protocol's range), seed, import/export, share, help.

use crate::dom::events::{picked, value_of};
use crate::model::action::Action;
use crate::model::state::{parse_seed, Ui};
use netsplit_core::run::registry::Registry;
use yew::prelude::*;

/// The top bar.
pub fn view(ui: &Ui, dispatch: &Callback<Action>) -> Html {
    let registry = Registry::builtin();
    let (nodes, seed, protocol) = (ui.nodes, ui.seed, ui.protocol);
    let range = registry.get(protocol).map(|p| p.servers());
    let on_nodes = dispatch.reform(move |e: Event| match value_of(&e).parse::<usize>() {
        Ok(nodes) => Action::Restart {
            protocol: protocol.to_string(),
            nodes,
            seed,
        },
        Err(_) => Action::Notice("choose a number of nodes".into()),
    });
    let on_seed = dispatch.reform(move |e: Event| match parse_seed(&value_of(&e)) {
        Ok(seed) => Action::Restart {
            protocol: protocol.to_string(),
            nodes,
            seed,
        },
        Err(msg) => Action::Notice(msg),
    });
    let on_protocol = dispatch.reform(|e: Event| Action::SwitchProtocol(value_of(&e)));
    let on_gallery = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(g) = picked(&e).and_then(|i| Registry::builtin().gallery().nth(i)) {
                dispatch.emit(Action::OpenGallery(g.id.to_string()));
            }
        })
    };
    let gallery: Html = registry
        .iter()
        .filter(|p| !p.gallery().is_empty())
        .map(|p| {
            html! {
                <optgroup label={p.label()}>
                    { for p.gallery().iter().map(|g| html! { <option>{g.title}</option> }) }
                </optgroup>
            }
        })
        .collect();
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
                        { for registry.iter().map(|p| html! {
                            <option value={p.id()} selected={p.id() == protocol} title={p.summary()}>{p.label()}</option>
                        }) }
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">{"Scenario gallery"}</span>
                    <select class="gallery" aria-label="Scenario gallery" onchange={on_gallery}>
                        <option selected=true>{"Scenarios…"}</option>
                        {gallery}
                    </select>
                </label>
                <label>{"Nodes "}
                    <select aria-label="Number of nodes" onchange={on_nodes}>
                        { for range.map_or(nodes..=nodes, |r| r.min..=r.max).map(|n| html! {
                            <option value={n.to_string()} selected={n == nodes}>{n}</option>
                        }) }
                    </select>
                </label>
                <label>{"Seed "}
                    <input class="seed" type="text" inputmode="numeric" aria-label="Seed"
                        value={seed.to_string()} onchange={on_seed} />
                </label>
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::NewSeed)} title="Start over with a random seed">
                    {"New seed"}
                </button>
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::ShowImport)}
                    title="Open a scenario file or pasted scenario">{"Import"}</button>
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::Export)}
                    title="This session as a scenario file">{"Export"}</button>
                <button class="btn ghost share" onclick={dispatch.reform(|_| Action::Share)}
                    aria-keyshortcuts="s" title="Share a link to this exact moment (s)">{"Share"}</button>
                <button class="btn ghost round" onclick={dispatch.reform(|_| Action::ToggleHelp)} aria-label="Keyboard shortcuts (?)"
                    title="Keyboard shortcuts (?)">{"?"}</button>
            </div>
        </header>
    }
}
