//! Top bar: product name, the Protocol menu and the gallery (both read from the core
//! registry), cluster size (the protocol's range), seed (with its error under it),
//! import/export, share, going back to a session put aside, presentation mode, help.
//!
//! Every menu lets go of the keyboard focus once it changed something, so digits typed next
//! select nodes instead of choosing another option (a digit once turned a 5-node cluster into
//! a 1-node one).

use crate::components::form::{field, form};
use crate::components::icons::{icon, Icon};
use crate::dom::events::{blur_target, picked, value_of};
use crate::model::action::Action;
use crate::model::challenge::ChallengeAction;
use crate::model::setup;
use crate::model::state::Ui;
use crate::model::touring::TourAction;
use netsplit_core::run::registry::Registry;
use yew::prelude::*;

/// The Tours menu's value for a chapter.
const CHAPTER_PREFIX: &str = "chapter:";
/// The Tours menu's value for a challenge.
const CHALLENGE_PREFIX: &str = "challenge:";
/// The Tours menu's value for the caption editor.
const WRITE: &str = "write";

/// The top bar; `kept` are the labels of the sessions put aside (most recent last); `solved`
/// says whether a challenge is solved.
pub fn view(
    ui: &Ui,
    kept: &[String],
    solved: &dyn Fn(&str) -> bool,
    dispatch: &Callback<Action>,
) -> Html {
    let registry = Registry::builtin();
    let (nodes, seed, protocol) = (ui.nodes, ui.seed, ui.protocol);
    let range = registry.get(protocol).map(|p| p.servers());
    let on_nodes = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            blur_target(&e);
            dispatch.emit(match value_of(&e).parse::<usize>() {
                Ok(nodes) => Action::Restart {
                    protocol: protocol.to_string(),
                    nodes,
                    seed,
                },
                Err(_) => Action::Notice("choose a number of nodes".into()),
            })
        })
    };
    let on_protocol = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            blur_target(&e);
            dispatch.emit(Action::SwitchProtocol(value_of(&e)));
        })
    };
    let on_gallery = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let chosen = picked(&e);
            blur_target(&e);
            if let Some(g) = chosen.and_then(|i| Registry::builtin().gallery().nth(i)) {
                dispatch.emit(Action::OpenGallery(g.id.to_string()));
            }
        })
    };
    let on_tour = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let value = value_of(&e);
            // Back to "Tours…": the menu is a list of things to open, not a setting.
            let _ = picked(&e);
            blur_target(&e);
            if let Some(id) = value.strip_prefix(CHAPTER_PREFIX) {
                dispatch.emit(Action::OpenChapter(id.to_string()));
            } else if let Some(id) = value.strip_prefix(CHALLENGE_PREFIX) {
                dispatch.emit(Action::Challenge(ChallengeAction::Open(id.to_string())));
            } else if value == WRITE {
                dispatch.emit(Action::Tour(TourAction::Write));
            }
        })
    };
    let chapters: Html = registry
        .iter()
        .filter(|p| !p.chapters().is_empty())
        .map(|p| html! {
            <optgroup label={format!("Tours: {}", p.label())}>
                { for p.chapters().iter().map(|c| html! {
                    <option value={format!("{CHAPTER_PREFIX}{}", c.id)} title={c.summary}>{c.title}</option>
                }) }
            </optgroup>
        })
        .collect();
    let challenges: Html = registry
        .challenges()
        .map(|c| {
            let done = solved(c.id);
            let label = if done {
                format!("✓ {} (done)", c.title)
            } else {
                c.title.to_string()
            };
            html! { <option value={format!("{CHALLENGE_PREFIX}{}", c.id)}>{label}</option> }
        })
        .collect();
    let on_kept = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let chosen = picked(&e);
            blur_target(&e);
            if let Some(i) = chosen {
                dispatch.emit(Action::GoBack(i));
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
    let seed_values = ui.forms.get(setup::SEED);
    let seed_body = field(setup::SEED, seed_values, "seed", "Seed")
        .size(8)
        .live()
        .title("Same seed, same run. Enter or leave the box to start over with it.")
        .view(dispatch);
    let back = kept.last().map(|label| {
        let index = kept.len() - 1;
        let onclick = dispatch.reform(move |_| Action::GoBack(index));
        html! {
            <button class="btn ghost back" {onclick} aria-keyshortcuts="u"
                aria-label={format!("Back to the previous session: {label} (u)")}
                title={format!("Back to {label} (u)")}>
                { icon(Icon::Back) }<span class="btn-word">{"Back"}</span>
            </button>
        }
    });
    let present = ui.panes.present;
    html! {
        <header class="topbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">{"⟂"}</span>
                <span class="name">{"netsplit"}</span>
                <span class="tagline">{"distributed protocols, under a microscope"}</span>
            </div>
            <div class="setup">
                <label><span class="setup-word">{"Protocol "}</span>
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
                <label>
                    <span class="visually-hidden">{"Tours and challenges"}</span>
                    <select class="tours" aria-label="Tours and challenges" onchange={on_tour}>
                        <option selected=true value="">{"Tours…"}</option>
                        {chapters}
                        <optgroup label="Challenges">{challenges}</optgroup>
                        <optgroup label="Author">
                            <option value={WRITE}>{"Write captions for this session…"}</option>
                        </optgroup>
                    </select>
                </label>
                <label><span class="setup-word">{"Nodes "}</span>
                    <select aria-label="Number of nodes" onchange={on_nodes}>
                        { for range.map_or(nodes..=nodes, |r| r.min..=r.max).map(|n| html! {
                            <option value={n.to_string()} selected={n == nodes}>{n}</option>
                        }) }
                    </select>
                </label>
                { form(setup::SEED, seed_values, "seed-form", "Seed", seed_body, dispatch) }
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::NewSeed)} title="Start over with a random seed">
                    {"New seed"}
                </button>
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::ShowImport)}
                    title="Open a scenario file or pasted scenario">{"Import"}</button>
                <button class="btn ghost" onclick={dispatch.reform(|_| Action::Export)}
                    title="This session as a scenario file">{"Export"}</button>
                <button class="btn ghost share" onclick={dispatch.reform(|_| Action::Share)}
                    aria-keyshortcuts="s" title="Share a link to this exact moment (s)">{"Share"}</button>
                { back.unwrap_or_default() }
                if kept.len() > 1 {
                    <label>
                        <span class="visually-hidden">{"Earlier sessions"}</span>
                        <select class="kept" aria-label="Earlier sessions" onchange={on_kept}>
                            <option selected=true>{format!("Earlier ({})…", kept.len())}</option>
                            { for kept.iter().map(|l| html! { <option>{l.clone()}</option> }) }
                        </select>
                    </label>
                }
                <button class={classes!("btn", "ghost", "present", present.then_some("on"))}
                    onclick={dispatch.reform(|_| Action::TogglePresent)} aria-pressed={present.to_string()}
                    aria-keyshortcuts="f" title="Presentation mode: a large graph for a projector (f)">
                    { icon(Icon::Present) }{"Present"}
                </button>
                <button class="btn ghost round" onclick={dispatch.reform(|_| Action::ToggleHelp)} aria-label="Keyboard shortcuts (?)"
                    title="Keyboard shortcuts (?)">{"?"}</button>
            </div>
        </header>
    }
}
