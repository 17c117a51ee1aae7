//! Banners under the top bar, each next to what caused it: a share link that could not be
//! opened (the whole reason, in plain words), and a session put aside by a protocol, seed,
//! node or scenario change (with the button that goes back to it).

use crate::components::icons::{icon, Icon};
use crate::model::action::Action;
use crate::model::state::Ui;
use yew::prelude::*;

/// The banners (nothing when there is nothing to say).
pub fn view(ui: &Ui, kept: usize, dispatch: &Callback<Action>) -> Html {
    let dismiss = dispatch.reform(|_| Action::Dismiss);
    let link = ui.link_error.as_ref().map(|e| {
        html! {
            <div class="banner error link-error" role="alert">
                <p>{e.clone()}</p>
                <button class="btn small" onclick={dismiss.clone()}>{"Dismiss"}</button>
            </div>
        }
    });
    let switched = ui.switched_from.as_ref().filter(|_| kept > 0).map(|from| {
        let back = dispatch.reform(move |_| Action::GoBack(kept - 1));
        html! {
            <div class="banner kept" role="status">
                <p>{"The session you left is kept: "}<b>{from.clone()}</b>{"."}</p>
                <button class="btn small primary go-back" onclick={back}>{ icon(Icon::Back) }{"Back to it"}</button>
                <button class="btn small" onclick={dismiss}>{"Dismiss"}</button>
            </div>
        }
    });
    html! {
        <>
            { link.unwrap_or_default() }
            { switched.unwrap_or_default() }
        </>
    }
}
