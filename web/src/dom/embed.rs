//! The embed's JavaScript API, `window.netsplit` (on `embed.html`, and on `index.html` too):
//!
//! ```js
//! const api = frame.contentWindow.netsplit;
//! api.load('gallery:raft-leader-crash');   // or a scenario document / its JSON, or a share link
//! api.play(); api.pause(); api.seek(1500);  // seek returns the snapshot at t=1500 ms
//! api.snapshot();                           // { t, playing, nodes, leader, violations, … }
//! const off = api.on('violation', (v) => console.log(v.property, v.at, v.detail));
//! ```
//!
//! Values cross the boundary with `serde-wasm-bindgen` (plain objects, numbers, strings);
//! mistakes are thrown as JavaScript `Error`s whose message says what is wrong and where. When
//! the API is ready the page fires `netsplit-ready` on its window and posts
//! `{ type: 'netsplit:ready' }` to its parent frame. The logic is in [`crate::model::embed`].
//!
//! A page of **another origin** cannot reach `window.netsplit`; it talks to the embed with
//! `postMessage` instead (the bridge, [`install`] listens for it):
//!
//! ```js
//! frame.contentWindow.postMessage({ netsplit: 1, id: 1, call: 'seek', args: [1500] }, '*');
//! // → posted back to the sender: { netsplit: 1, id: 1, ok: { t: 1500, … } }
//! //   or, for a bad request:     { netsplit: 1, id: 1, error: "message.args[0]: seek(t): …" }
//! // After { call: 'on', args: ['violation'] }: { netsplit: 1, event: 'violation', violation }
//! ```

use crate::model::action::Action;
use crate::model::embed::{
    parse_request, parse_scenario, reply_error, reply_ok, violation_message, ApiSnapshot,
    ApiViolation, BridgeCall, BridgeError, EmbedCall, Mode, ViolationFeed, BRIDGE_VERSION,
};
use crate::model::state::State;
use js_sys::{Error, Function, Object, Reflect};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

/// The one event the embed emits.
const VIOLATION: &str = "violation";

/// The page's mode, from `<body data-mode="…">`.
pub fn mode() -> Mode {
    let body = gloo::utils::document().body();
    Mode::from_attr(body.and_then(|b| b.get_attribute("data-mode")).as_deref())
}

/// The `on('violation', cb)` listeners and what they were told.
#[derive(Default)]
pub struct Hub {
    listeners: Vec<(u32, Function)>,
    next: u32,
    feed: ViolationFeed,
    /// Windows that asked over the bridge to hear of violations, with their origin (where
    /// the messages may go).
    subscribers: Vec<(web_sys::Window, String)>,
}

/// The hub, shared by the API's functions and the frame loop.
pub type HubRef = Rc<RefCell<Hub>>;

/// Tell the listeners about violations found since the last call (called after every frame
/// and every action). The state is borrowed only to read them: a listener may call the API.
pub fn notify(hub: &HubRef, state: &RefCell<State>) {
    let fresh: Vec<ApiViolation> = {
        let s = state.borrow();
        let mut h = hub.borrow_mut();
        if h.listeners.is_empty() && h.subscribers.is_empty() {
            // Nobody listens: remember what exists, so a late listener hears only news.
            h.feed.fresh(&s.snapshot.violations);
            return;
        }
        h.feed
            .fresh(&s.snapshot.violations)
            .iter()
            .map(ApiViolation::from)
            .collect()
    };
    if fresh.is_empty() {
        return;
    }
    let listeners: Vec<Function> = hub
        .borrow()
        .listeners
        .iter()
        .map(|(_, f)| f.clone())
        .collect();
    let subscribers = hub.borrow().subscribers.clone();
    for v in &fresh {
        for (window, origin) in &subscribers {
            post(window, origin, &violation_message(v));
        }
        let Ok(value) = to_js(v) else { continue };
        for f in &listeners {
            if let Err(e) = f.call1(&JsValue::NULL, &value) {
                web_sys::console::error_2(
                    &"netsplit: an on('violation') listener threw".into(),
                    &e,
                );
            }
        }
    }
}

/// A Rust value as a plain JavaScript value (objects, not `Map`s; numbers, not `BigInt`s).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            Error::new(&format!("netsplit: cannot pass a value to JavaScript: {e}")).into()
        })
}

/// Post `message` (JSON) to `window` at `origin` (`*` for an opaque origin: a sandboxed frame
/// or a `file:` page, which no other origin can match).
fn post(window: &web_sys::Window, origin: &str, message: &serde_json::Value) {
    let Ok(value) = to_js(message) else { return };
    let target = if origin == "null" || origin.is_empty() {
        "*"
    } else {
        origin
    };
    if let Err(e) = window.post_message(&value, target) {
        web_sys::console::error_2(&"netsplit: cannot answer a bridge message".into(), &e);
    }
}

/// Carry out one bridge request; its answer.
fn answer(
    call: BridgeCall,
    source: (&web_sys::Window, &str),
    state: &RefCell<State>,
    hub: &HubRef,
    dispatch: &Callback<Action>,
) -> serde_json::Value {
    let snapshot = || serde_json::to_value(ApiSnapshot::of(&state.borrow())).unwrap_or_default();
    match call {
        BridgeCall::Load(scenario) => {
            hub.borrow_mut().feed.reset();
            dispatch.emit(Action::Embed(EmbedCall::Load(scenario)));
            snapshot()
        }
        BridgeCall::Play => {
            dispatch.emit(Action::Embed(EmbedCall::Play));
            serde_json::Value::Null
        }
        BridgeCall::Pause => {
            dispatch.emit(Action::Embed(EmbedCall::Pause));
            serde_json::Value::Null
        }
        BridgeCall::Seek(t) => {
            dispatch.emit(Action::Embed(EmbedCall::Seek(t)));
            snapshot()
        }
        BridgeCall::Advance(ms) => {
            dispatch.emit(Action::Embed(EmbedCall::Advance(ms)));
            snapshot()
        }
        BridgeCall::Snapshot => snapshot(),
        BridgeCall::On | BridgeCall::Off => {
            let (window, origin) = source;
            let mut h = hub.borrow_mut();
            h.subscribers
                .retain(|(w, o)| !(Object::is(w, window) && o == origin));
            if call == BridgeCall::On {
                h.subscribers.push((window.clone(), origin.to_string()));
            }
            serde_json::Value::Bool(true)
        }
    }
}

/// Answer `postMessage` requests from other windows (any origin: the embed holds nothing
/// secret, and a page of another origin can only ask what `window.netsplit` answers).
fn install_bridge(
    window: &web_sys::Window,
    state: Rc<RefCell<State>>,
    hub: HubRef,
    dispatch: Callback<Action>,
) {
    let listener = gloo::events::EventListener::new(window, "message", move |event| {
        let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else {
            return;
        };
        // Only a window can be answered (not a worker or a port).
        let Some(source) = event.source() else { return };
        if source.is_null() || source.is_undefined() {
            return;
        }
        let source: web_sys::Window = source.unchecked_into();
        let origin = event.origin();
        let data = event.data();
        let request = match serde_wasm_bindgen::from_value::<serde_json::Value>(data.clone()) {
            Ok(value) => parse_request(&value),
            // Not plain data (a Date, a Blob, …): answer only if it claims to be for us.
            Err(e) => Reflect::has(&data, &"netsplit".into())
                .unwrap_or(false)
                .then(|| {
                    Err(BridgeError {
                        id: None,
                        error: format!("message: cannot be read as plain data: {e}"),
                    })
                }),
        };
        let Some(request) = request else { return };
        let reply = match request {
            Ok((id, call)) => {
                let value = answer(call, (&source, &origin), &state, &hub, &dispatch);
                reply_ok(id, value)
            }
            Err(e) => reply_error(&e),
        };
        debug_assert_eq!(reply["netsplit"], BRIDGE_VERSION);
        post(&source, &origin, &reply);
    });
    listener.forget();
}

/// A thrown JavaScript `Error`.
fn error(message: impl AsRef<str>) -> JsValue {
    Error::new(message.as_ref()).into()
}

/// The scenario text `load()` was given: a string as is; an object as its JSON.
fn scenario_text(arg: &JsValue) -> Result<String, JsValue> {
    if let Some(text) = arg.as_string() {
        return Ok(text);
    }
    if arg.is_object() {
        let value: serde_json::Value = serde_wasm_bindgen::from_value(arg.clone())
            .map_err(|e| error(format!("load(): the scenario object cannot be read: {e}")))?;
        return Ok(value.to_string());
    }
    Err(error(
        "load(): give a scenario: its JSON document (object or text), a share link, or \"gallery:ID\"",
    ))
}

fn set(target: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(target, &name.into(), value);
}

/// Define `window.netsplit` and announce it.
pub fn install(state: Rc<RefCell<State>>, hub: HubRef, dispatch: Callback<Action>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = Object::new();
    let snapshot = {
        let state = state.clone();
        move || to_js(&ApiSnapshot::of(&state.borrow()))
    };

    let load = {
        let (hub, dispatch, snapshot) = (hub.clone(), dispatch.clone(), snapshot.clone());
        Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(move |arg: JsValue| {
            let scenario = parse_scenario(&scenario_text(&arg)?).map_err(error)?;
            hub.borrow_mut().feed.reset();
            dispatch.emit(Action::Embed(EmbedCall::Load(Box::new(scenario))));
            snapshot()
        })
    };
    let play = {
        let dispatch = dispatch.clone();
        Closure::<dyn Fn()>::new(move || dispatch.emit(Action::Embed(EmbedCall::Play)))
    };
    let pause = {
        let dispatch = dispatch.clone();
        Closure::<dyn Fn()>::new(move || dispatch.emit(Action::Embed(EmbedCall::Pause)))
    };
    let timed = |call: fn(u64) -> EmbedCall| {
        let (dispatch, snapshot) = (dispatch.clone(), snapshot.clone());
        Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(move |t: JsValue| {
            let ms = t
                .as_f64()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .ok_or_else(|| {
                    let what = match call(0) {
                        EmbedCall::Advance(_) => "advance(ms): ms",
                        _ => "seek(t): t",
                    };
                    error(format!(
                        "{what} must be a number of milliseconds, 0 or more (got {})",
                        js_sys::JSON::stringify(&t)
                            .ok()
                            .and_then(|s| s.as_string())
                            .unwrap_or_else(|| "undefined".into())
                    ))
                })?;
            dispatch.emit(Action::Embed(call(ms.round() as u64)));
            snapshot()
        })
    };
    let seek = timed(EmbedCall::Seek);
    let advance = timed(EmbedCall::Advance);
    let snap = Closure::<dyn Fn() -> Result<JsValue, JsValue>>::new(snapshot);
    let on = {
        let hub = hub.clone();
        Closure::<dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>>::new(
            move |name: JsValue, cb: JsValue| {
                let name = name.as_string().unwrap_or_default();
                if name != VIOLATION {
                    return Err(error(format!(
                        "on(event, callback): unknown event {name:?}; the embed emits \"{VIOLATION}\""
                    )));
                }
                let cb: Function = cb
                    .dyn_into()
                    .map_err(|_| error("on(event, callback): callback must be a function"))?;
                let id = {
                    let mut h = hub.borrow_mut();
                    h.next += 1;
                    let id = h.next;
                    h.listeners.push((id, cb));
                    id
                };
                let hub = hub.clone();
                let off = Closure::<dyn Fn()>::new(move || {
                    hub.borrow_mut().listeners.retain(|(i, _)| *i != id);
                });
                Ok(off.into_js_value())
            },
        )
    };

    set(&api, "version", &JsValue::from(1));
    set(&api, "load", &load.into_js_value());
    set(&api, "play", &play.into_js_value());
    set(&api, "pause", &pause.into_js_value());
    set(&api, "seek", &seek.into_js_value());
    set(&api, "advance", &advance.into_js_value());
    set(&api, "snapshot", &snap.into_js_value());
    set(&api, "on", &on.into_js_value());
    set(&window, "netsplit", &api);
    install_bridge(&window, state, hub, dispatch);

    if let Ok(event) = web_sys::Event::new("netsplit-ready") {
        let _ = window.dispatch_event(&event);
    }
    if let Ok(Some(parent)) = window.parent() {
        if !Object::is(&parent, &window) {
            let message = Object::new();
            set(&message, "type", &"netsplit:ready".into());
            // Nothing secret: any page may frame the embed and learn that it is ready.
            let _ = parent.post_message(&message, "*");
        }
    }
}
