//! Debug builds only (`cfg(debug_assertions)`, never in `trunk build --release`): hooks for the
//! end-to-end tests that need states a correct protocol never reaches.
//!
//! `window.__netsplitDebugHistory(json)` shows a client history — a JSON array of the
//! linearizability checker's events (`{"client":1,"op":{"put":{"key":"x","value":"1"}},
//! "invoked_at":0,"returned":[10,"ok"]}`, clients numbered from 1) — in the history pane
//! instead of the protocol's, so the verdict view can be tested on a non-linearizable history
//! (the page is built without the deliberately broken protocol variants that would make one).

use crate::model::action::Action;
use crate::model::analysis::AnalysisAction;
use netsplit_core::checkers::linearizability::Event;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::Callback;

/// Define `window.__netsplitDebugHistory`; it returns `"ok"` or why the JSON was refused.
pub fn install_history_hook(dispatch: Callback<Action>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hook = Closure::<dyn Fn(String) -> String>::new(move |json: String| {
        match serde_json::from_str::<Vec<Event>>(&json) {
            Ok(events) => {
                dispatch.emit(Action::Analysis(AnalysisAction::InjectHistory(events)));
                "ok".to_string()
            }
            Err(e) => format!("not a history: {e}"),
        }
    });
    let _ = js_sys::Reflect::set(
        &window,
        &"__netsplitDebugHistory".into(),
        hook.as_ref().unchecked_ref(),
    );
    // Lives as long as the page.
    hook.forget();
}
