//! The embed (`embed.html#<scenario>`): the page without its top bar, for an `<iframe>` in a
//! course page or slides, driven by a small JavaScript API (`dom::embed`). This module holds
//! the API's logic, pure and tested natively: what `load()` accepts and the errors it gives,
//! the values `snapshot()` and `on('violation', …)` hand out, the `<iframe>` snippet of the
//! Share dialog, and the reducer's part of the calls.

use crate::model::action::Notice;
use crate::model::engine::Engine;
use crate::model::state::{plain_error, State};
use netsplit_core::kernel::check::Violation;
use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::run::registry::Registry;
use netsplit_core::Scenario;
use serde::Serialize;

/// Which page this is: the full playground or the embed. Chosen by the `data-mode` attribute
/// of the page's `<body>` (`embed.html` is `index.html` with `data-mode="embed"`, written by
/// `cargo xtask post-build`), so it does not depend on where the page is hosted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `index.html`: everything.
    #[default]
    Page,
    /// `embed.html`: no top bar, sized by its container.
    Embed,
}

impl Mode {
    /// The mode named by `<body data-mode="…">` (anything else is the full page).
    pub fn from_attr(value: Option<&str>) -> Mode {
        match value.map(str::trim) {
            Some("embed") => Mode::Embed,
            _ => Mode::Page,
        }
    }
}

/// What the embed's API asks of the page (dispatched as `Action::Embed`).
#[derive(Clone, Debug, PartialEq)]
pub enum EmbedCall {
    /// Replace the session by this (validated) scenario, paused at t=0.
    Load(Box<Scenario>),
    /// Run.
    Play,
    /// Stop (exactly at the simulator's clock).
    Pause,
    /// Show virtual time `t` ms, running forward if it lies ahead; pauses.
    Seek(u64),
    /// Run forward by this many ms of virtual time as fast as possible, past the hour a seek
    /// is limited to (long-session measurements); pauses.
    Advance(u64),
}

/// The prefix of a gallery scenario given by name (`gallery:raft-figure-8`).
pub const GALLERY_PREFIX: &str = "gallery:";

/// The scenario `load()` was given: a scenario document (as JSON text or already parsed), a
/// share link or its fragment (`s1.…`), or a gallery scenario (`gallery:ID`). Errors are
/// sentences naming what is wrong and where (`load(): the scenario is not valid JSON: expected
/// `,` or `}` at line 3 column 5`).
pub fn parse_scenario(text: &str) -> Result<Scenario, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(
            "load(): give a scenario: its JSON document, a share link, or \"gallery:ID\"".into(),
        );
    }
    if let Some(id) = trimmed.strip_prefix(GALLERY_PREFIX) {
        return Registry::builtin()
            .load_gallery(id.trim())
            .map_err(|e| format!("load(): {}", e.message));
    }
    if trimmed.starts_with('{') {
        return Scenario::from_json(trimmed).map_err(|e| {
            let why = plain_error("the scenario", &e);
            format!("load(): {why}")
        });
    }
    // A share link (`https://…/#s1.…`) or only its fragment.
    let fragment = trimmed.rsplit_once('#').map_or(trimmed, |(_, f)| f);
    netsplit_core::run::link::decode(fragment).map_err(|e| {
        format!(
            "load(): {} (give a scenario document, a share link, or \"gallery:ID\")",
            plain_error("the link", &e)
        )
    })
}

/// The version of the `postMessage` bridge: every message to and from it carries
/// `netsplit: 1`.
pub const BRIDGE_VERSION: u64 = 1;
/// Longest `id` a bridge request may carry (characters of a string id).
pub const MAX_ID: usize = 200;
/// Longest scenario text `load` accepts over the bridge (bytes; a share link of an hour-long
/// session is far shorter).
pub const MAX_LOAD: usize = 4 << 20;
/// The calls the bridge answers, in the order its errors list them.
pub const BRIDGE_CALLS: &[&str] = &[
    "load", "play", "pause", "seek", "advance", "snapshot", "on", "off",
];

/// A call another window posted to the embed (`{netsplit: 1, id, call, args}`), validated.
#[derive(Clone, Debug, PartialEq)]
pub enum BridgeCall {
    /// `load(scenario)`: the scenario already parsed (boxed: it is large).
    Load(Box<Scenario>),
    /// `play()`.
    Play,
    /// `pause()`.
    Pause,
    /// `seek(t)`, in whole milliseconds.
    Seek(u64),
    /// `advance(ms)`, in whole milliseconds.
    Advance(u64),
    /// `snapshot()`.
    Snapshot,
    /// `on('violation')`: post every violation found from now on to the sender.
    On,
    /// `off('violation')`: stop.
    Off,
}

/// A request that could not be carried out: the error to post back, with the request's `id`
/// when it had a usable one (`null` otherwise).
#[derive(Clone, Debug, PartialEq)]
pub struct BridgeError {
    /// The request's id, if it had a valid one.
    pub id: Option<serde_json::Value>,
    /// What is wrong and where (`message.args[0]: seek(t): t must be …`).
    pub error: String,
}

/// The message `data` another window posted, read as a bridge request: `None` if it is not
/// addressed to netsplit (no `netsplit` field: other scripts' messages pass by untouched) or
/// is itself an answer or an event (`ok`, `error` or `event` field),
/// else the request's id and call, or the error to answer with. Never panics: every field is
/// checked, and errors name the field (`message.call`, `message.args[0]`).
pub fn parse_request(
    data: &serde_json::Value,
) -> Option<Result<(serde_json::Value, BridgeCall), BridgeError>> {
    let obj = data.as_object()?;
    let version = obj.get("netsplit")?;
    if ["ok", "error", "event"]
        .iter()
        .any(|k| obj.contains_key(*k))
    {
        // An answer or an event (another netsplit window's): never answered, or two windows
        // would answer each other for ever.
        return None;
    }
    let id = obj.get("id").cloned();
    let fail = |id: Option<serde_json::Value>, error: String| Some(Err(BridgeError { id, error }));
    if version.as_u64() != Some(BRIDGE_VERSION) {
        return fail(
            None,
            format!("message.netsplit: this embed speaks version {BRIDGE_VERSION} of the bridge, got {version}"),
        );
    }
    let id = match id {
        Some(serde_json::Value::Number(n)) => serde_json::Value::Number(n),
        Some(serde_json::Value::String(s)) if s.chars().count() <= MAX_ID => {
            serde_json::Value::String(s)
        }
        Some(serde_json::Value::String(_)) => {
            return fail(None, format!("message.id: at most {MAX_ID} characters"));
        }
        Some(other) => {
            return fail(
                None,
                format!(
                    "message.id: must be a number or a string, got {}",
                    kind_of(&other)
                ),
            )
        }
        None => {
            return fail(
                None,
                "message.id: missing (a number or string the answer will carry)".into(),
            )
        }
    };
    let known = BRIDGE_CALLS.join(", ");
    let call = match obj.get("call") {
        Some(serde_json::Value::String(c)) => c.as_str(),
        Some(other) => {
            return fail(
                Some(id),
                format!(
                    "message.call: must be the name of a call ({known}), got {}",
                    kind_of(other)
                ),
            )
        }
        None => return fail(Some(id), format!("message.call: missing (one of {known})")),
    };
    let args: &[serde_json::Value] = match obj.get("args") {
        None | Some(serde_json::Value::Null) => &[],
        Some(serde_json::Value::Array(a)) => a,
        Some(other) => {
            return fail(
                Some(id),
                format!("message.args: must be an array, got {}", kind_of(other)),
            )
        }
    };
    let takes = |n: usize, sig: &str| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "message.args: {sig} takes {}, got {}",
                super::words::counted(n as u64, "argument"),
                args.len()
            ))
        }
    };
    let parsed = match call {
        "load" => takes(1, "load(scenario)").and_then(|()| {
            let text = match &args[0] {
                serde_json::Value::String(s) => s.clone(),
                v @ serde_json::Value::Object(_) => v.to_string(),
                other => {
                    return Err(format!(
                        "message.args[0]: load(scenario): give a scenario document (object or JSON text), a share link, or \"gallery:ID\", got {}",
                        kind_of(other)
                    ))
                }
            };
            if text.len() > MAX_LOAD {
                return Err(format!(
                    "message.args[0]: load(scenario): at most {} MB of scenario, got {} bytes",
                    MAX_LOAD >> 20,
                    text.len()
                ));
            }
            parse_scenario(&text)
                .map(|s| BridgeCall::Load(Box::new(s)))
                .map_err(|e| format!("message.args[0]: {e}"))
        }),
        "play" => takes(0, "play()").map(|()| BridgeCall::Play),
        "pause" => takes(0, "pause()").map(|()| BridgeCall::Pause),
        "snapshot" => takes(0, "snapshot()").map(|()| BridgeCall::Snapshot),
        "seek" | "advance" => {
            let (signature, arg) = if call == "seek" {
                ("seek(t)", "t")
            } else {
                ("advance(ms)", "ms")
            };
            takes(1, signature).and_then(|()| {
                let ms = args[0]
                    .as_f64()
                    .filter(|ms| ms.is_finite() && *ms >= 0.0)
                    .map(|ms| ms.round().min(u64::MAX as f64) as u64)
                    .ok_or_else(|| {
                        format!(
                            "message.args[0]: {signature}: {arg} must be a number of milliseconds, 0 or more (got {})",
                            args[0]
                        )
                    })?;
                Ok(if call == "seek" {
                    BridgeCall::Seek(ms)
                } else {
                    BridgeCall::Advance(ms)
                })
            })
        }
        "on" | "off" => takes(1, &format!("{call}(event)")).and_then(|()| {
            match args[0].as_str() {
                Some(VIOLATION_EVENT) if call == "on" => Ok(BridgeCall::On),
                Some(VIOLATION_EVENT) => Ok(BridgeCall::Off),
                _ => Err(format!(
                    "message.args[0]: {call}(event): unknown event {}; the embed emits \"{VIOLATION_EVENT}\"",
                    args[0]
                )),
            }
        }),
        other => Err(format!(
            "message.call: unknown call {:?}; the embed answers {known}",
            other.chars().take(64).collect::<String>()
        )),
    };
    Some(
        parsed
            .map(|c| (id.clone(), c))
            .map_err(|error| BridgeError {
                id: Some(id),
                error,
            }),
    )
}

/// The one event the embed emits (`on('violation', …)`, and the bridge's `on`).
pub const VIOLATION_EVENT: &str = "violation";

/// A JSON value's kind, for error messages (`a number`, `an array`).
fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The answer to a request: `{netsplit: 1, id, ok: value}`.
pub fn reply_ok(id: serde_json::Value, value: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "netsplit": BRIDGE_VERSION, "id": id, "ok": value })
}

/// The answer to a request that failed: `{netsplit: 1, id, error}` (`id` null if the request
/// had no usable one).
pub fn reply_error(e: &BridgeError) -> serde_json::Value {
    serde_json::json!({
        "netsplit": BRIDGE_VERSION,
        "id": e.id.clone().unwrap_or(serde_json::Value::Null),
        "error": e.error,
    })
}

/// A violation posted to a window that asked with `on`:
/// `{netsplit: 1, event: 'violation', violation}`.
pub fn violation_message(v: &ApiViolation) -> serde_json::Value {
    serde_json::json!({
        "netsplit": BRIDGE_VERSION,
        "event": VIOLATION_EVENT,
        "violation": v,
    })
}

/// A node as `snapshot()` reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiNode {
    /// `n1`, … (servers), then `c1`, … (clients).
    pub id: String,
    /// The protocol's role name (`leader`, `follower`, …).
    pub role: &'static str,
    /// `up`, `crashed` or `paused`.
    pub status: NodeStatus,
    /// The node's term (or view, or epoch), where the protocol has one.
    pub term: Option<u64>,
}

/// A violation as `snapshot()` and `on('violation', cb)` report it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiViolation {
    /// The violated property's name.
    pub property: &'static str,
    /// Virtual time (ms) at which it was detected.
    pub at: u64,
    /// The node whose state exposed it, if one did.
    pub node: Option<String>,
    /// What exactly went wrong, in plain words.
    pub detail: String,
}

impl From<&Violation> for ApiViolation {
    fn from(v: &Violation) -> ApiViolation {
        ApiViolation {
            property: v.checker,
            at: v.at.0,
            node: v.node.map(|n| n.to_string()),
            detail: v.detail.clone(),
        }
    }
}

/// What `snapshot()` returns: the moment on screen, in plain values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiSnapshot {
    /// The protocol's registry id.
    pub protocol: &'static str,
    /// The scenario's name, if it has one.
    pub scenario: Option<String>,
    /// The seed.
    pub seed: u64,
    /// Virtual time shown (ms).
    pub t: u64,
    /// Events processed so far.
    pub events: u64,
    /// Whether time is running.
    pub playing: bool,
    /// Servers and clients.
    pub nodes: Vec<ApiNode>,
    /// The running server whose role leads, if any.
    pub leader: Option<String>,
    /// Messages on the wire.
    pub in_flight: usize,
    /// Every violation found so far (empty while every property holds).
    pub violations: Vec<ApiViolation>,
}

impl ApiSnapshot {
    /// The state's current moment.
    pub fn of(state: &State) -> ApiSnapshot {
        let snap = &state.snapshot;
        ApiSnapshot {
            protocol: state.ui.protocol,
            scenario: state.ui.scenario_name.clone(),
            seed: state.ui.seed,
            t: snap.now.0,
            events: snap.events,
            playing: state.engine.playing(),
            nodes: snap
                .nodes
                .iter()
                .map(|n| ApiNode {
                    id: n.id.to_string(),
                    role: n.view.role.name(),
                    status: n.status,
                    term: n.view.term,
                })
                .collect(),
            leader: state.leader().map(|n| n.to_string()),
            in_flight: snap.in_flight.len(),
            violations: snap.violations.iter().map(ApiViolation::from).collect(),
        }
    }
}

/// Which violations the `on('violation', cb)` listeners have been told about: each new one
/// once. Going back in time forgets those no longer found (replaying forward reports them
/// again, as they happen again); loading a scenario starts over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViolationFeed {
    seen: usize,
}

impl ViolationFeed {
    /// The violations found since the last call.
    pub fn fresh<'a>(&mut self, violations: &'a [Violation]) -> &'a [Violation] {
        let from = self.seen.min(violations.len());
        self.seen = violations.len();
        &violations[from..]
    }

    /// Start over (a scenario was loaded).
    pub fn reset(&mut self) {
        self.seen = 0;
    }
}

/// The address of the embed next to the page at `link` (a share link or the page's own
/// address), showing `link`'s fragment: `https://host/sub/embed.html#s1.…`.
pub fn embed_url(link: &str) -> String {
    let (page, fragment) = link.split_once('#').unwrap_or((link, ""));
    let page = page.split('?').next().unwrap_or(page);
    let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
    let mut url = format!("{dir}/embed.html");
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// The full page next to the embed at `url` (its share links open there): the embed's
/// folder, where static hosts serve `index.html`.
pub fn page_url(url: &str) -> String {
    let page = url.split(['#', '?']).next().unwrap_or(url);
    match page.strip_suffix("embed.html") {
        Some(dir) => dir.to_string(),
        None => page.to_string(),
    }
}

/// The `<iframe>` to paste into a course page for a share link, titled for screen readers.
pub fn iframe_snippet(link: &str, title: Option<&str>) -> String {
    let title = title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or("a netsplit scenario");
    format!(
        "<iframe src=\"{}\" title=\"netsplit: {}\" width=\"100%\" height=\"520\" loading=\"lazy\"></iframe>",
        attr_escape(&embed_url(link)),
        attr_escape(title)
    )
}

/// Text made safe inside a double-quoted HTML attribute.
fn attr_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl State {
    /// Carry out a call of the embed's API (already validated by [`parse_scenario`]).
    pub(crate) fn embed_call(&mut self, call: EmbedCall) {
        match call {
            EmbedCall::Load(scenario) => match Engine::new(&scenario, false) {
                Ok(engine) => {
                    let mut fresh = State::with_engine(engine);
                    fresh.ui.scenario_name =
                        (!scenario.name.is_empty()).then(|| scenario.name.clone());
                    fresh.attach_tour(&scenario);
                    let text = if scenario.description.is_empty() {
                        format!("loaded “{}” (paused at t=0)", scenario.name)
                    } else {
                        scenario.description.clone()
                    };
                    self.replace(fresh, Notice::info(text));
                }
                Err(e) => {
                    self.ui.notice = Some(Notice::error(format!(
                        "cannot load: {}",
                        plain_error("the scenario", &e)
                    )))
                }
            },
            EmbedCall::Play => self.engine.set_playing(true),
            EmbedCall::Pause => self.engine.pause_at_clock(),
            EmbedCall::Seek(t) => self.engine.seek_to(t),
            EmbedCall::Advance(ms) => self.engine.advance(ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::action::Action;

    const BASE: &str = "https://example.test/course/netsplit/";

    #[test]
    fn the_mode_comes_from_the_body_attribute() {
        assert_eq!(Mode::from_attr(Some("embed")), Mode::Embed);
        assert_eq!(Mode::from_attr(Some(" embed ")), Mode::Embed);
        assert_eq!(Mode::from_attr(Some("page")), Mode::Page);
        assert_eq!(Mode::from_attr(None), Mode::Page);
    }

    #[test]
    fn load_accepts_documents_links_and_gallery_names() {
        let doc = Scenario::new(netsplit_core::protocols::raft::ID, 3).to_json();
        assert_eq!(parse_scenario(&doc).unwrap().seed, 3);
        let link = netsplit_core::run::link::url(BASE, &parse_scenario(&doc).unwrap()).unwrap();
        assert_eq!(parse_scenario(&link).unwrap().seed, 3);
        let fragment = link.split_once('#').unwrap().1;
        assert_eq!(parse_scenario(fragment).unwrap().seed, 3);
        let g = parse_scenario("gallery:raft-leader-crash").unwrap();
        assert!(!g.name.is_empty() && g.until.is_some());
    }

    #[test]
    fn load_errors_say_what_and_where() {
        let e =
            parse_scenario("{\"format\": \"netsplit-scenario\",\n \"version\": 1,,}").unwrap_err();
        assert!(
            e.starts_with("load(): the scenario is not valid JSON"),
            "{e}"
        );
        assert!(e.contains("line 2 column"), "{e}");
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, 3);
        s.cluster.nodes = 99;
        let e = parse_scenario(&s.to_json()).unwrap_err();
        assert!(
            e.starts_with("load(): the scenario's cluster.nodes: "),
            "{e}"
        );
        let e = parse_scenario("gallery:nope").unwrap_err();
        assert!(e.contains("raft-leader-crash"), "names the known ones: {e}");
        let e = parse_scenario("hello").unwrap_err();
        assert!(e.contains("not a netsplit scenario link"), "{e}");
        assert!(parse_scenario("  ")
            .unwrap_err()
            .contains("give a scenario"));
    }

    #[test]
    fn embed_url_sits_next_to_the_page() {
        assert_eq!(
            embed_url("https://h.test/a/b/#s1.xyz"),
            "https://h.test/a/b/embed.html#s1.xyz"
        );
        assert_eq!(
            embed_url("https://h.test/a/index.html?x=1#s1.xyz"),
            "https://h.test/a/embed.html#s1.xyz"
        );
        assert_eq!(embed_url("https://h.test/"), "https://h.test/embed.html");
        assert_eq!(
            page_url("https://h.test/a/embed.html#s1.x"),
            "https://h.test/a/"
        );
        assert_eq!(page_url("https://h.test/a/"), "https://h.test/a/");
        let snippet = iframe_snippet("https://h.test/a/#s1.x", Some("Raft: \"crash\""));
        assert_eq!(
            snippet,
            "<iframe src=\"https://h.test/a/embed.html#s1.x\" title=\"netsplit: Raft: &quot;crash&quot;\" width=\"100%\" height=\"520\" loading=\"lazy\"></iframe>"
        );
        assert!(iframe_snippet("https://h.test/", None)
            .contains("title=\"netsplit: a netsplit scenario\""));
    }

    #[test]
    fn each_violation_is_reported_once() {
        let v = |at| Violation {
            at: netsplit_core::Time(at),
            event: at,
            checker: "election safety",
            node: None,
            detail: "two leaders".into(),
        };
        let mut feed = ViolationFeed::default();
        assert!(feed.fresh(&[]).is_empty());
        assert_eq!(feed.fresh(&[v(1)]).len(), 1);
        assert!(feed.fresh(&[v(1)]).is_empty());
        assert_eq!(feed.fresh(&[v(1), v(2)]), &[v(2)]);
        // Back in time: forgotten, and reported again when found again.
        assert!(feed.fresh(&[]).is_empty());
        assert_eq!(feed.fresh(&[v(1)]).len(), 1);
        feed.reset();
        assert_eq!(feed.fresh(&[v(1)]).len(), 1);
    }

    fn req(v: serde_json::Value) -> Result<(serde_json::Value, BridgeCall), BridgeError> {
        parse_request(&v).expect("addressed to netsplit")
    }

    fn err(v: serde_json::Value) -> BridgeError {
        req(v).expect_err("refused")
    }

    #[test]
    fn the_bridge_reads_requests_and_ignores_other_messages() {
        use serde_json::json;
        assert_eq!(parse_request(&json!("hello")), None);
        assert_eq!(parse_request(&json!({ "type": "netsplit:ready" })), None);
        assert_eq!(parse_request(&json!(null)), None);
        assert_eq!(
            parse_request(&json!({ "netsplit": 1, "id": 1, "ok": null })),
            None,
            "an answer is not a request"
        );
        assert_eq!(
            parse_request(&json!({ "netsplit": 1, "event": "violation" })),
            None
        );
        let (id, call) = req(json!({ "netsplit": 1, "id": 7, "call": "play" })).unwrap();
        assert_eq!((id, call), (json!(7), BridgeCall::Play));
        let (id, call) =
            req(json!({ "netsplit": 1, "id": "a", "call": "seek", "args": [1500.4] })).unwrap();
        assert_eq!((id, call), (json!("a"), BridgeCall::Seek(1500)));
        let (_, call) =
            req(json!({ "netsplit": 1, "id": 1, "call": "snapshot", "args": [] })).unwrap();
        assert_eq!(call, BridgeCall::Snapshot);
        let (_, call) = req(json!({
            "netsplit": 1, "id": 2, "call": "load", "args": ["gallery:raft-leader-crash"]
        }))
        .unwrap();
        assert!(matches!(call, BridgeCall::Load(s) if s.until.is_some()));
        let doc: serde_json::Value =
            serde_json::from_str(&Scenario::new(netsplit_core::protocols::raft::ID, 4).to_json())
                .unwrap();
        let (_, call) =
            req(json!({ "netsplit": 1, "id": 3, "call": "load", "args": [doc] })).unwrap();
        assert!(
            matches!(call, BridgeCall::Load(s) if s.seed == 4),
            "a document as an object"
        );
        assert_eq!(
            req(json!({ "netsplit": 1, "id": 4, "call": "on", "args": ["violation"] }))
                .unwrap()
                .1,
            BridgeCall::On
        );
        assert_eq!(
            req(json!({ "netsplit": 1, "id": 4, "call": "off", "args": ["violation"] }))
                .unwrap()
                .1,
            BridgeCall::Off
        );
    }

    #[test]
    fn bad_requests_are_answered_with_what_and_where() {
        use serde_json::json;
        let e = err(json!({ "netsplit": 1, "id": 9, "call": "explode" }));
        assert_eq!(e.id, Some(json!(9)));
        assert!(
            e.error
                .starts_with("message.call: unknown call \"explode\""),
            "{}",
            e.error
        );
        assert!(
            e.error
                .contains("load, play, pause, seek, advance, snapshot"),
            "{}",
            e.error
        );
        let e = err(json!({ "netsplit": 1, "id": 9, "call": "seek", "args": [-5] }));
        assert_eq!(
            e.error,
            "message.args[0]: seek(t): t must be a number of milliseconds, 0 or more (got -5)"
        );
        let e = err(json!({ "netsplit": 1, "id": 9, "call": "seek", "args": ["soon"] }));
        assert!(e.error.contains("(got \"soon\")"), "{}", e.error);
        let e = err(json!({ "netsplit": 1, "id": 9, "call": "advance", "args": [-1] }));
        assert!(e.error.contains("advance(ms): ms must be"), "{}", e.error);
        assert_eq!(
            req(json!({ "netsplit": 1, "id": 2, "call": "advance", "args": [60000] }))
                .unwrap()
                .1,
            BridgeCall::Advance(60000)
        );
        let e = err(json!({ "netsplit": 1, "id": 9, "call": "seek" }));
        assert_eq!(e.error, "message.args: seek(t) takes 1 argument, got 0");
        let e = err(json!({ "netsplit": 1, "id": 9, "call": "play", "args": [1] }));
        assert_eq!(e.error, "message.args: play() takes 0 arguments, got 1");
        let e = err(json!({ "netsplit": 1, "id": 9, "call": "play", "args": 1 }));
        assert_eq!(e.error, "message.args: must be an array, got a number");
        let e = err(json!({ "netsplit": 1, "id": 9, "call": 3 }));
        assert!(
            e.error
                .starts_with("message.call: must be the name of a call"),
            "{}",
            e.error
        );
        let e = err(json!({ "netsplit": 1, "id": 9 }));
        assert!(e.error.starts_with("message.call: missing"), "{}", e.error);
        let e = err(json!({ "netsplit": 1, "call": "play" }));
        assert_eq!(
            (e.id, e.error.starts_with("message.id: missing")),
            (None, true)
        );
        let e = err(json!({ "netsplit": 1, "id": [1], "call": "play" }));
        assert_eq!(
            e.error,
            "message.id: must be a number or a string, got an array"
        );
        let e = err(json!({ "netsplit": 1, "id": "x".repeat(MAX_ID + 1), "call": "play" }));
        assert!(e.error.starts_with("message.id: at most"), "{}", e.error);
        let e = err(json!({ "netsplit": 2, "id": 1, "call": "play" }));
        assert!(e.error.contains("version 1"), "{}", e.error);
        let e = err(json!({ "netsplit": 1, "id": 1, "call": "load", "args": ["gallery:nope"] }));
        assert!(
            e.error.starts_with("message.args[0]: load(): "),
            "{}",
            e.error
        );
        let e = err(json!({ "netsplit": 1, "id": 1, "call": "load", "args": [5] }));
        assert!(e.error.ends_with("got a number"), "{}", e.error);
        let e = err(json!({ "netsplit": 1, "id": 1, "call": "on", "args": ["click"] }));
        assert!(e.error.contains("unknown event \"click\""), "{}", e.error);
        // The answers.
        assert_eq!(
            reply_error(&e),
            json!({ "netsplit": 1, "id": 1, "error": e.error })
        );
        assert_eq!(
            reply_ok(json!("a"), json!(null)),
            json!({ "netsplit": 1, "id": "a", "ok": null })
        );
    }

    #[test]
    fn the_api_drives_the_page() {
        let mut s = State::start("", BASE);
        let g = parse_scenario("gallery:pbft-f-plus-one").unwrap();
        s.handle(Action::Embed(EmbedCall::Load(Box::new(g.clone()))), 0.0);
        let snap = ApiSnapshot::of(&s);
        assert_eq!((snap.t, snap.playing), (0, false));
        assert_eq!(snap.scenario.as_deref(), Some(g.name.as_str()));
        assert!(s.previous.is_empty(), "loading replaces, keeps no session");
        s.handle(Action::Embed(EmbedCall::Seek(1000)), 0.0);
        let snap = ApiSnapshot::of(&s);
        assert_eq!(snap.t, 1000, "seeking ahead runs forward");
        assert!(
            !snap.violations.is_empty(),
            "the f + 1 scenario breaks agreement"
        );
        assert!(snap.events > 0 && snap.nodes.len() >= 4);
        s.handle(Action::Embed(EmbedCall::Seek(50)), 0.0);
        assert_eq!(ApiSnapshot::of(&s).t, 50);
        assert!(ApiSnapshot::of(&s).violations.is_empty());
        // Advancing runs forward by the given time.
        s.handle(Action::Embed(EmbedCall::Advance(1_500)), 0.0);
        s.handle(Action::Embed(EmbedCall::Advance(500)), 0.0);
        assert_eq!(ApiSnapshot::of(&s).t, 2_050);
        s.handle(Action::Embed(EmbedCall::Play), 0.0);
        assert!(ApiSnapshot::of(&s).playing);
        s.handle(Action::Embed(EmbedCall::Pause), 0.0);
        assert!(!ApiSnapshot::of(&s).playing);
        let json = serde_json::to_value(ApiSnapshot::of(&s)).unwrap();
        assert_eq!(json["nodes"][0]["id"], "n1");
        assert_eq!(json["nodes"][0]["status"], "up");
    }
}
