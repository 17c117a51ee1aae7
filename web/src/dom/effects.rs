//! Carrying out the reducer's [`DomEffect`]s, and reading what the reducer needs to know about
//! the page (its address, the wall clock).

use crate::model::action::{Action, DomEffect};
use netsplit_core::run::scenario::MAX_BYTES;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::Callback;

/// Browser objects that must outlive one effect: the export's download URL.
#[derive(Default)]
pub struct Downloads {
    /// Revoked when replaced or dropped.
    url: Option<gloo::file::ObjectUrl>,
    /// The last file downloaded directly (SVG, CSV), kept until the next one.
    file: Option<gloo::file::ObjectUrl>,
}

impl Downloads {
    /// The current download URL (`blob:…`), if an export is on offer.
    pub fn href(&self) -> Option<String> {
        self.url.as_ref().map(|u| u.to_string())
    }
}

/// Do what the reducer asked.
pub fn perform(effects: Vec<DomEffect>, downloads: &mut Downloads) {
    for effect in effects {
        match effect {
            DomEffect::SetFragment(fragment) => set_fragment(&fragment),
            DomEffect::OfferDownload { json } => {
                let blob =
                    gloo::file::Blob::new_with_options(json.as_str(), Some("application/json"));
                downloads.url = Some(gloo::file::ObjectUrl::from(blob));
            }
            DomEffect::CopyToClipboard(text) => copy(&text),
            DomEffect::Download { name, mime, text } => {
                downloads.file = download(&name, mime, &text);
            }
        }
    }
}

/// Offer `text` as a file named `name` (a click on a temporary download link). The returned
/// URL must outlive the click; keep it until the next download.
pub fn download(name: &str, mime: &str, text: &str) -> Option<gloo::file::ObjectUrl> {
    let blob = gloo::file::Blob::new_with_options(text, Some(mime));
    let url = gloo::file::ObjectUrl::from(blob);
    let document = web_sys::window()?.document()?;
    let link = document.create_element("a").ok()?;
    link.set_attribute("href", &url).ok()?;
    link.set_attribute("download", name).ok()?;
    link.set_attribute("hidden", "").ok()?;
    let body = document.body()?;
    body.append_child(&link).ok()?;
    if let Ok(el) = link.clone().dyn_into::<web_sys::HtmlElement>() {
        el.click();
    }
    body.remove_child(&link).ok()?;
    Some(url)
}

/// Put `fragment` in the address bar without reloading or adding a history entry.
fn set_fragment(fragment: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("#{fragment}")),
        );
    }
}

/// Copy `text` to the clipboard (best effort: the link is also selected in its field).
fn copy(text: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).ok();
    let write = clipboard
        .as_ref()
        .and_then(|c| js_sys::Reflect::get(c, &"writeText".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let (Some(clipboard), Some(write)) = (clipboard, write) {
        let _ = write.call1(&clipboard, &text.into());
    }
}

/// The current URL fragment, without `#` (empty if none).
pub fn current_fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
        .trim_start_matches('#')
        .to_string()
}

/// The page's address.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// Wall-clock milliseconds (`performance.now()`).
pub fn wall_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Keeps an in-progress file read alive until it completes.
pub type PendingRead = Rc<RefCell<Option<gloo::file::callbacks::FileReader>>>;

/// Read the scenario file chosen in a file input's `change` event: its text arrives as
/// `Action::ImportText` (or the reason it cannot as `Action::ImportFailed`).
pub fn read_scenario_file(e: &web_sys::Event, pending: &PendingRead, dispatch: &Callback<Action>) {
    let Some(file) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|i| i.files())
        .and_then(|f| f.get(0))
    else {
        return;
    };
    if file.size() > MAX_BYTES as f64 {
        dispatch.emit(Action::ImportFailed(format!(
            "{} is {} bytes; scenario files are limited to {MAX_BYTES} bytes",
            file.name(),
            file.size()
        )));
        return;
    }
    let blob = gloo::file::Blob::from(file);
    let dispatch = dispatch.clone();
    let reader = gloo::file::callbacks::read_as_text(&blob, move |result| match result {
        Ok(text) => dispatch.emit(Action::ImportText(text)),
        Err(e) => dispatch.emit(Action::ImportFailed(format!("cannot read the file: {e}"))),
    });
    *pending.borrow_mut() = Some(reader);
}
