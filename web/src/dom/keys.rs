//! The document-wide keyboard listener: shortcuts become `Action::Key` (not while typing in a
//! field; Escape always).

use crate::model::action::Action;
use crate::model::keys::command_for;
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::Callback;

/// Whether a key event comes from a field the user types into (sliders take only arrows and
/// Home/End: shortcuts still work there).
fn typing(e: &web_sys::KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| match el.tag_name().as_str() {
            "INPUT" => el.get_attribute("type").as_deref() != Some("range"),
            "SELECT" | "TEXTAREA" => true,
            _ => false,
        })
        .unwrap_or(false)
}

/// Listen for shortcuts on the whole document until the listener is dropped.
pub fn listen(dispatch: Callback<Action>) -> EventListener {
    let document = gloo::utils::document();
    let options = EventListenerOptions::enable_prevent_default();
    EventListener::new_with_options(&document, "keydown", options, move |e| {
        let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        if typing(e) && e.key() != "Escape" {
            return;
        }
        if let Some(command) = command_for(&e.key()) {
            // Space would also scroll the page or press a focused button.
            e.prevent_default();
            dispatch.emit(Action::Key(command));
        }
    })
}
