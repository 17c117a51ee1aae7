//! Reading form controls out of DOM events (the only DOM access the components need).

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The value of the `<input>`, `<select>` or `<textarea>` an event came from (`"true"` /
/// `"false"` for a checkbox).
pub fn value_of(e: &Event) -> String {
    let Some(target) = e.target() else {
        return String::new();
    };
    if let Some(i) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        if i.type_() == "checkbox" {
            return i.checked().to_string();
        }
        return i.value();
    }
    if let Some(s) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        return s.value();
    }
    target
        .dyn_ref::<web_sys::HtmlTextAreaElement>()
        .map(|t| t.value())
        .unwrap_or_default()
}

/// Whether the `<details>` a `toggle` event came from is now open.
pub fn opened(e: &Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| el.has_attribute("open"))
}

/// The entry chosen in an action menu's `change` event (0 = first entry after the title), with
/// the menu reset to its title: a `<select>` whose first option is a title ("Split network…")
/// acts once per choice.
pub fn picked(e: &Event) -> Option<usize> {
    let select = e.target()?.dyn_into::<web_sys::HtmlSelectElement>().ok()?;
    let index = select.selected_index();
    select.set_selected_index(0);
    usize::try_from(index).ok()?.checked_sub(1)
}

/// Move keyboard focus to the element with id `id`, if there is one.
pub fn focus_id(id: &str) {
    if let Some(el) = gloo::utils::document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// Take keyboard focus away from the control an event came from (a `<select>` after a change:
/// digits typed next select nodes, not options).
pub fn blur_target(e: &Event) {
    if let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.blur();
    }
}
