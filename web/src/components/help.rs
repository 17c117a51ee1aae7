//! The keyboard shortcuts overlay (`?`).

use crate::app::Action;
use crate::keys::SHORTCUTS;
use yew::prelude::*;

/// The overlay.
pub fn view(dispatch: &Callback<Action>) -> Html {
    let close = dispatch.reform(|_| Action::ToggleHelp);
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="dialog">
                <h2 id="help-title">{"Keyboard shortcuts"}</h2>
                <table class="shortcuts">
                    <tbody>
                        { for SHORTCUTS.iter().map(|(k, what)| html! {
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
