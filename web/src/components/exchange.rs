//! Export and import: the session as a scenario file, and opening one (file or pasted text).

use crate::app::Action;
use netsplit_core::run::scenario::MAX_BYTES;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The export dialog: the scenario as JSON, to download or copy.
pub fn export(json: &str, url: &str, dispatch: &Callback<Action>) -> Html {
    let close = dispatch.reform(|_| Action::CloseDialogs);
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="export-title">
            <div class="dialog wide">
                <h2 id="export-title">{"Export this session"}</h2>
                <p class="muted">{"The scenario reproduces everything up to now. Open it here with Import, run it with `netsplit run --scenario FILE`, or add it to core/tests/scenarios as a regression test."}</p>
                <textarea class="scenario-json" readonly=true aria-label="Scenario JSON" value={json.to_string()} />
                <div class="dialog-actions">
                    <a class="btn primary" href={url.to_string()} download="netsplit-scenario.json">{"Download"}</a>
                    <button class="btn" onclick={close} autofocus=true>{"Close"}</button>
                </div>
            </div>
        </div>
    }
}

/// Keeps an in-progress file read alive until it completes.
pub type PendingRead = Rc<RefCell<Option<gloo::file::callbacks::FileReader>>>;

/// The import dialog: paste a scenario or pick a file; errors say which field is wrong.
pub fn import(error: Option<&str>, pending: &PendingRead, dispatch: &Callback<Action>) -> Html {
    let close = dispatch.reform(|_| Action::CloseDialogs);
    let text = NodeRef::default();
    let on_open = {
        let dispatch = dispatch.clone();
        let text = text.clone();
        Callback::from(move |_| {
            if let Some(area) = text.cast::<web_sys::HtmlTextAreaElement>() {
                dispatch.emit(Action::ImportText(area.value()));
            }
        })
    };
    let on_file = {
        let dispatch = dispatch.clone();
        let pending = pending.clone();
        Callback::from(move |e: Event| {
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
        })
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="import-title">
            <div class="dialog wide">
                <h2 id="import-title">{"Import a scenario"}</h2>
                <label class="file">{"Scenario file (JSON): "}
                    <input type="file" accept=".json,application/json" onchange={on_file} />
                </label>
                <p class="muted">{"…or paste one:"}</p>
                <textarea class="scenario-json" ref={text} aria-label="Scenario JSON to import"
                    placeholder="{ \"format\": \"netsplit-scenario\", \"version\": 1, … }" />
                if let Some(e) = error {
                    <p class="form-error" role="alert">{e.to_string()}</p>
                }
                <div class="dialog-actions">
                    <button class="btn primary" onclick={on_open}>{"Open"}</button>
                    <button class="btn" onclick={close}>{"Cancel"}</button>
                </div>
            </div>
        </div>
    }
}
