//! The keyboard shortcuts overlay (`?`) and the share dialog.

use crate::model::action::Action;
use crate::model::keys::SHORTCUTS;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The share dialog: the link to this exact moment, ready to copy, and the `<iframe>` that
/// embeds it.
pub fn share(link: &str, snippet: &str, dispatch: &Callback<Action>) -> Html {
    let close = dispatch.reform(|_| Action::CloseShare);
    let on_copy = dispatch.reform(|_| Action::CopyShareLink);
    let on_copy_embed = dispatch.reform(|_| Action::CopyEmbedSnippet);
    let select = Callback::from(|e: FocusEvent| {
        let target = e.target();
        if let Some(input) = target
            .clone()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        } else if let Some(area) =
            target.and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        {
            area.select();
        }
    });
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="share-title">
            <div class="dialog">
                <h2 id="share-title">{"Share this moment"}</h2>
                <p class="muted">{"The link holds the whole scenario — seed, cluster, network and every action so far. Opening it replays to this exact time and pauses there."}</p>
                <input class="share-link" type="text" readonly=true value={link.to_string()}
                    aria-label="Share link" onfocus={select.clone()} autofocus=true />
                <div class="dialog-actions">
                    <button class="btn primary" onclick={on_copy}>{"Copy link"}</button>
                    <button class="btn" onclick={close}>{"Close"}</button>
                </div>
                <h3 class="share-sub" id="embed-title">{"Embed in a course page or slides"}</h3>
                <p class="muted" id="embed-help">{"The same scenario without the top bar, sized by its frame; a page on the same site can drive it with the JavaScript API (docs/embed.md)."}</p>
                <textarea class="embed-snippet" readonly=true rows="3" value={snippet.to_string()}
                    aria-labelledby="embed-title" aria-describedby="embed-help" onfocus={select} />
                <div class="dialog-actions">
                    <button class="btn" onclick={on_copy_embed}>{"Copy embed code"}</button>
                </div>
            </div>
        </div>
    }
}

/// The overlay, for a protocol drawn as `look` (no `t` where there is no timeout to force).
pub fn view(look: &netsplit_core::run::registry::Look, dispatch: &Callback<Action>) -> Html {
    let close = dispatch.reform(|_| Action::ToggleHelp);
    let shortcuts = SHORTCUTS
        .iter()
        .filter(|(k, _)| *k != "t" || look.timer_arc.is_some());
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="dialog">
                <h2 id="help-title">{"Keyboard shortcuts"}</h2>
                <table class="shortcuts">
                    <tbody>
                        { for shortcuts.map(|(k, what)| html! {
                            <tr><th scope="row"><kbd>{*k}</kbd></th><td>{*what}</td></tr>
                        }) }
                    </tbody>
                </table>
                <p class="muted">{"Everything also works by mouse or touch: tap a node to select it, tap a link to cut or heal it."}</p>
                <button class="btn primary" onclick={close} autofocus=true>{"Close"}</button>
            </div>
        </div>
    }
}
