//! Action menus: a `<select>` whose first option is a title ("Split network…"); choosing an
//! entry acts once and the menu returns to its title.

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The entry chosen in an action menu's `change` event (0 = first entry after the title), with
/// the menu reset to its title.
pub fn picked(e: &Event) -> Option<usize> {
    let select = e.target()?.dyn_into::<web_sys::HtmlSelectElement>().ok()?;
    let index = select.selected_index();
    select.set_selected_index(0);
    usize::try_from(index).ok()?.checked_sub(1)
}
