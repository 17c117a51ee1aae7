//! Export and import: the session as a scenario file, and opening one (file or pasted text).

use crate::dom::effects::{read_scenario_file, PendingRead};
use crate::model::action::Action;
use yew::prelude::*;

/// The export dialog: the scenario as JSON, to download (from `url`, once the browser made
/// one) or copy.
pub fn export(json: &str, url: Option<String>, dispatch: &Callback<Action>) -> Html {
    let close = dispatch.reform(|_| Action::CloseDialogs);
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="export-title">
            <div class="dialog wide">
                <h2 id="export-title">{"Export this session"}</h2>
                <p class="muted">{"The scenario reproduces everything up to now. Open it here with Import, run it with `netsplit run --scenario FILE`, or add it to core/tests/scenarios as a regression test."}</p>
                <textarea class="scenario-json" readonly=true aria-label="Scenario JSON" value={json.to_string()} />
                <div class="dialog-actions">
                    if let Some(href) = url {
                        <a class="btn primary" {href} download="netsplit-scenario.json">{"Download"}</a>
                    }
                    <button class="btn" onclick={close} autofocus=true>{"Close"}</button>
                </div>
            </div>
        </div>
    }
}

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
        let (dispatch, pending) = (dispatch.clone(), pending.clone());
        Callback::from(move |e: Event| read_scenario_file(&e, &pending, &dispatch))
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
                    aria-invalid={error.map(|_| "true")} aria-describedby={error.map(|_| "import-error")}
                    placeholder="{ \"format\": \"netsplit-scenario\", \"version\": 1, … }" />
                if let Some(e) = error {
                    <p class="form-error" id="import-error" role="alert">{e.to_string()}</p>
                }
                <div class="dialog-actions">
                    <button class="btn primary" onclick={on_open}>{"Open"}</button>
                    <button class="btn" onclick={close}>{"Cancel"}</button>
                </div>
            </div>
        </div>
    }
}
