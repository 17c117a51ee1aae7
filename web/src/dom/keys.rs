//! The document-wide keyboard listener: shortcuts become `Action::Key` (not while typing in a
//! field; Escape always).

use crate::model::action::Action;
use crate::model::keys::{command_for, Command};
use gloo::events::{EventListener, EventListenerOptions};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::Callback;

/// The element a key event went to (what has the focus).
fn target(e: &web_sys::KeyboardEvent) -> Option<web_sys::Element> {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
}

/// Whether what has the focus lies inside an element that `selector` matches.
fn focus_within(e: &web_sys::KeyboardEvent, selector: &str) -> bool {
    target(e).is_some_and(|el| el.closest(selector).ok().flatten().is_some())
}

/// Whether a key event comes from a field the user types into (sliders take only arrows and
/// Home/End: shortcuts still work there).
fn typing(e: &web_sys::KeyboardEvent) -> bool {
    target(e)
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
    focus_within(e, TAKEN)
}

/// Whether Space belongs to what has the focus: a button (tabs are buttons too), link or
/// disclosure that a keyboard user moved to presses itself on Space (the browser does it,
/// WAI-ARIA's keyboard interaction for buttons), so the play/pause shortcut must leave it
/// alone. Focus that a pointer put there (`by_pointer`: the last pointer press came after the
/// last Tab or arrow key) keeps Space for play/pause: whoever clicked a button and then
/// presses Space means the clock. Fields never get here (`typing`); sliders and the graph's
/// nodes (which select on Enter) take no Space, so it plays or pauses there.
fn space_taken(e: &web_sys::KeyboardEvent, by_pointer: bool) -> bool {
    const PRESSABLE: &str = "button, a[href], summary, [contenteditable]";
    !by_pointer && focus_within(e, PRESSABLE)
}

/// Keys that move the focus: after one, the focus is the keyboard's.
fn moves_focus(key: &str) -> bool {
    matches!(
        key,
        "Tab" | "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "Home" | "End"
    )
}

/// The document's keyboard and pointer listeners (dropping it removes them).
pub struct Listeners {
    _keys: EventListener,
    _pointer: EventListener,
}

/// Listen for shortcuts on the whole document until the listeners are dropped. `touring`
/// says whether a tour is showing (← → step it).
pub fn listen(dispatch: Callback<Action>, touring: Rc<Cell<bool>>) -> Listeners {
    let document = gloo::utils::document();
    // Whether the focus was last placed by a pointer (see `space_taken`).
    let by_pointer = Rc::new(Cell::new(false));
    let pointer = {
        let by_pointer = by_pointer.clone();
        let options = EventListenerOptions::run_in_capture_phase();
        EventListener::new_with_options(&document, "pointerdown", options, move |_| {
            by_pointer.set(true);
        })
    };
    let options = EventListenerOptions::enable_prevent_default();
    let keys = EventListener::new_with_options(&document, "keydown", options, move |e| {
        let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        if moves_focus(&e.key()) {
            by_pointer.set(false);
        }
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        if typing(e) && e.key() != "Escape" {
            return;
        }
        // What has the focus handled the key itself (a timeline mark selected by Space, a tab
        // moved by an arrow): it is not a shortcut as well.
        if e.default_prevented() {
            return;
        }
        let command = command_for(&e.key());
        if command == Some(Command::TogglePlay) && space_taken(e, by_pointer.get()) {
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
    });
    Listeners {
        _keys: keys,
        _pointer: pointer,
    }
}
