//! The document-wide keyboard listener: shortcuts become `Action::Key` (not while typing in a
//! field; Escape always).

use crate::model::action::Action;
use crate::model::keys::{command_for, Command};
use gloo::events::{EventListener, EventListenerOptions};
use std::cell::Cell;
use std::rc::Rc;
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

/// Whether the arrow keys belong to what has the focus (fields, sliders, tabs, the timeline,
/// scrolling panes): then they do not step a tour.
fn arrows_taken(e: &web_sys::KeyboardEvent) -> bool {
    const TAKEN: &str = "input, select, textarea, [contenteditable], [role=slider], [role=tab], \
        [role=tablist], .time, .analysis, .lm-scroll, .log-scroll, .tab-body";
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| el.closest(TAKEN).ok().flatten().is_some())
}

/// Whether Space belongs to what has the focus: a button, link, tab or any other control
/// presses or toggles itself on Space (WAI-ARIA's keyboard interaction for buttons), so the
/// play/pause shortcut must leave it alone. Fields never get here (`typing`); sliders take
/// no Space, so it plays or pauses there, as from anywhere else.
fn space_taken(e: &web_sys::KeyboardEvent) -> bool {
    const PRESSABLE: &str = "button, a[href], summary, [contenteditable], [role=button], \
        [role=tab], [role=checkbox], [role=switch], [role=radio], [role=option], \
        [role=menuitem], [role=link]";
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| el.closest(PRESSABLE).ok().flatten().is_some())
}

/// Listen for shortcuts on the whole document until the listener is dropped. `touring`
/// says whether a tour is showing (← → step it).
pub fn listen(dispatch: Callback<Action>, touring: Rc<Cell<bool>>) -> EventListener {
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
        // What has the focus handled the key itself (a node selected by Enter or Space, a
        // timeline mark, a tab moved by an arrow): it is not a shortcut as well.
        if e.default_prevented() {
            return;
        }
        let command = command_for(&e.key());
        if command == Some(Command::TogglePlay) && space_taken(e) {
            return;
        }
        if matches!(command, Some(Command::TourPrev | Command::TourNext))
            && (!touring.get() || arrows_taken(e))
        {
            return;
        }
        if let Some(command) = command {
            // Space would also scroll the page.
            e.prevent_default();
            dispatch.emit(Action::Key(command));
        }
    })
}
