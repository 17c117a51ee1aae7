//! Raft's own panels: the client panel (send put/get/cas/delete from a simulated client to any
//! server and watch it hop and return) and the protocol settings (PreVote, CheckQuorum,
//! batching, pipelining, snapshot interval, read mode), applied by replaying the run.

use crate::app::Action;
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::protocols::raft::{kv, RaftConfig, ReadMode};
use netsplit_core::{Control, NodeId};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The operations the form offers.
const OPS: [&str; 4] = ["put", "get", "cas", "delete"];

/// The command text a form submission describes, or what is wrong with it.
pub fn command_text(op: &str, key: &str, value: &str, expected: &str) -> Result<String, String> {
    let key = key.trim();
    let value = value.trim();
    let expected = expected.trim();
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    if key.contains(char::is_whitespace) {
        return Err("the key cannot contain spaces".into());
    }
    if value.contains(char::is_whitespace) || expected.contains(char::is_whitespace) {
        return Err("values cannot contain spaces".into());
    }
    let text = match op {
        "put" => {
            if value.is_empty() {
                return Err("put needs a value".into());
            }
            format!("put {key} {value}")
        }
        "get" => format!("get {key}"),
        "cas" => {
            if value.is_empty() {
                return Err("cas needs a new value".into());
            }
            let expected = if expected.is_empty() { "-" } else { expected };
            format!("cas {key} {expected} {value}")
        }
        "delete" => format!("delete {key}"),
        other => return Err(format!("unknown operation {other:?}")),
    };
    // The same parser the simulator uses: empty keys, oversize values…
    kv::parse_op(&text).map(|_| text)
}

/// What the client form holds (kept in the UI state, so re-renders never lose typing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientForm {
    /// The client (`c1`…).
    pub client: String,
    /// The server to contact first (`n1`…).
    pub node: String,
    /// `put`, `get`, `cas` or `delete`.
    pub op: String,
    /// The key.
    pub key: String,
    /// The value (put) or new value (cas).
    pub value: String,
    /// cas: the expected current value (empty = absent).
    pub expected: String,
}

impl Default for ClientForm {
    fn default() -> Self {
        ClientForm {
            client: "c1".into(),
            node: "n1".into(),
            op: "put".into(),
            key: "x".into(),
            value: "1".into(),
            expected: String::new(),
        }
    }
}

impl ClientForm {
    /// Set one field by name.
    pub fn set(&mut self, name: &str, value: String) {
        match name {
            "client" => self.client = value,
            "node" => self.node = value,
            "op" => self.op = value,
            "key" => self.key = value,
            "value" => self.value = value,
            "expected" => self.expected = value,
            _ => {}
        }
    }

    /// The action the form describes, or what is wrong with it.
    pub fn control(&self) -> Result<Control, String> {
        let client = NodeId::parse(&self.client)
            .filter(|c| c.is_client())
            .ok_or("choose a client")?;
        let node = NodeId::parse(&self.node)
            .filter(|n| !n.is_client())
            .ok_or("choose a server")?;
        let op = command_text(&self.op, &self.key, &self.value, &self.expected)?;
        Ok(Control::Submit { client, node, op })
    }
}

fn text_input(
    name: &'static str,
    value: &str,
    size: &'static str,
    dispatch: &Callback<Action>,
) -> Html {
    let oninput = dispatch.reform(move |e: InputEvent| {
        let v = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_default();
        Action::ClientField(name, v)
    });
    html! { <input name={name} value={value.to_string()} size={size} autocomplete="off" spellcheck="false" {oninput} /> }
}

fn select(
    name: &'static str,
    value: &str,
    options: Vec<String>,
    dispatch: &Callback<Action>,
) -> Html {
    let onchange = dispatch.reform(move |e: Event| {
        let v = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .map(|s| s.value())
            .unwrap_or_default();
        Action::ClientField(name, v)
    });
    html! {
        <select name={name} {onchange}>
            { for options.into_iter().map(|o| { let sel = o == value; html! { <option value={o.clone()} selected={sel}>{o}</option> } }) }
        </select>
    }
}

/// The client panel.
pub fn clients(
    snap: &Snapshot,
    form: &ClientForm,
    messages: u64,
    dispatch: &Callback<Action>,
) -> Html {
    let servers = snap.servers();
    let clients: Vec<String> = snap
        .nodes
        .iter()
        .map(|n| n.id)
        .filter(|id| id.is_client())
        .map(|id| id.to_string())
        .collect();
    if clients.is_empty() {
        return html! {};
    }
    let onsubmit = {
        let dispatch = dispatch.clone();
        let form = form.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match form.control() {
                Ok(c) => dispatch.emit(Action::Control(c)),
                Err(e) => dispatch.emit(Action::Notice(format!("cannot send: {e}"))),
            }
        })
    };
    let mut finished = 0u64;
    let mut latency_sum = 0u64;
    for n in snap.nodes.iter().filter(|n| n.id.is_client()) {
        for f in &n.view.fields {
            match f.name {
                "finished" => finished += f.value.parse::<u64>().unwrap_or(0),
                "latency" => {
                    // "mean M ms · …": weight each client's mean by its count below.
                    let mean = f
                        .value
                        .split_whitespace()
                        .nth(1)
                        .and_then(|m| m.parse::<u64>().ok())
                        .unwrap_or(0);
                    let count = n
                        .view
                        .fields
                        .iter()
                        .find(|g| g.name == "finished")
                        .and_then(|g| g.value.parse::<u64>().ok())
                        .unwrap_or(0);
                    latency_sum += mean * count;
                }
                _ => {}
            }
        }
    }
    let mean = latency_sum
        .checked_div(finished)
        .map_or_else(|| "—".to_string(), |m| format!("{m} ms"));
    let recent: Html = snap
        .nodes
        .iter()
        .filter(|n| n.id.is_client())
        .flat_map(|n| {
            let id = n.id;
            n.view
                .fields
                .iter()
                .filter(|f| f.name == "recent")
                .flat_map(move |f| {
                    f.value
                        .lines()
                        .map(move |l| format!("{id} {l}"))
                        .collect::<Vec<_>>()
                })
        })
        .map(|l| html! { <li class="mono">{l}</li> })
        .collect();

    let nodes: Vec<String> = (0..servers)
        .map(|i| NodeId::from_index(i).to_string())
        .collect();
    let ops: Vec<String> = OPS.iter().map(|o| o.to_string()).collect();
    html! {
        <section class="panel raft-clients" aria-label="Clients">
            <h3>{"Clients"}</h3>
            <form class="client-form" {onsubmit} aria-label="Send a command">
                <label>{"client"}{ select("client", &form.client, clients, dispatch) }</label>
                <label>{"to"}{ select("node", &form.node, nodes, dispatch) }</label>
                <label>{"op"}{ select("op", &form.op, ops, dispatch) }</label>
                <label>{"key"}{ text_input("key", &form.key, "6", dispatch) }</label>
                if form.op == "put" || form.op == "cas" {
                    <label>{if form.op == "cas" { "new" } else { "value" }}{ text_input("value", &form.value, "6", dispatch) }</label>
                }
                if form.op == "cas" {
                    <label title="the value the key must hold now (empty = absent)">{"expect"}{ text_input("expected", &form.expected, "5", dispatch) }</label>
                }
                <button class="btn" type="submit">{"Send"}</button>
            </form>
            <p class="muted">{format!("{finished} operations finished · mean latency {mean} · {messages} messages sent so far (heartbeats included)")}</p>
            <ol class="client-log" aria-label="Latest client events">{recent}</ol>
        </section>
    }
}

/// The protocol settings, read from the scenario's configuration. Every change replays the
/// run from the start with the new settings (same seed, same actions).
pub fn settings(config: &serde_json::Value, dispatch: &Callback<Action>) -> Html {
    let c: RaftConfig = serde_json::from_value(config.clone()).unwrap_or_default();
    let with = {
        let base = config.clone();
        move |name: &'static str, value: serde_json::Value| {
            let mut next = base.as_object().cloned().unwrap_or_default();
            next.insert(name.into(), value);
            Action::Reconfigure(serde_json::Value::Object(next))
        }
    };
    let flag = |name: &'static str, label: &'static str, on: bool, help: &'static str| {
        let with = with.clone();
        let onchange = dispatch.reform(move |_: Event| with(name, (!on).into()));
        html! {
            <label class="toggle" title={help}>
                <input type="checkbox" name={name} checked={on} {onchange} />{label}
            </label>
        }
    };
    let snapshot_change = {
        let with = with.clone();
        dispatch.reform(move |e: Event| {
            let text = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .map(|i| i.value())
                .unwrap_or_default();
            match text.trim().parse::<u64>() {
                Ok(n) if n <= 1_000_000 => with("snapshot_every", n.into()),
                _ => Action::Notice(format!(
                    "snapshot interval: {text:?} must be a whole number from 0 (never) to 1000000"
                )),
            }
        })
    };
    let mode_change = {
        let with = with.clone();
        dispatch.reform(move |e: Event| {
            let v = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                .map(|s| s.value())
                .unwrap_or_default();
            with("read_mode", v.into())
        })
    };
    let mode = |m: ReadMode, value: &'static str, label: &'static str| {
        html! { <option value={value} selected={c.read_mode == m}>{label}</option> }
    };
    html! {
        <section class="panel raft-settings" aria-label="Raft settings">
            <h3>{"Raft settings"}</h3>
            <p class="muted">{"Each change replays this run from the start with the same seed and actions."}</p>
            <div class="settings-form">
                { flag("pre_vote", "PreVote", c.pre_vote, "ask whether you could win before starting an election (§9.6)") }
                { flag("check_quorum", "CheckQuorum", c.check_quorum, "a leader that hears from no majority steps down; followers ignore vote requests while they hear a leader") }
                { flag("batching", "Batching", c.batching, "collect commands for a few ms and send them in one AppendEntries") }
                { flag("pipelining", "Pipelining", c.pipelining, "send further AppendEntries before earlier ones are acknowledged") }
                <label>{"snapshot every (entries, 0 = never)"}
                    <input name="snapshot_every" type="number" min="0" max="1000000" value={c.snapshot_every.to_string()} onchange={snapshot_change} />
                </label>
                <label>{"reads"}
                    <select name="read_mode" onchange={mode_change}>
                        { mode(ReadMode::ReadIndex, "read-index", "ReadIndex") }
                        { mode(ReadMode::Lease, "lease", "lease (assumes bounded clock drift)") }
                        { mode(ReadMode::Log, "log", "through the log") }
                    </select>
                </label>
            </div>
            if c.read_mode == ReadMode::Lease {
                <p class="muted">{format!(
                    "Lease reads are linearizable only if server clocks drift less than {} ms per {} ms; the simulator's clocks do not drift at all.",
                    c.lease_drift_ms, c.election_timeout_min_ms
                )}</p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_names_client_server_and_command() {
        let mut f = ClientForm::default();
        f.set("client", "c2".into());
        f.set("node", "n3".into());
        f.set("value", "7".into());
        assert_eq!(
            f.control(),
            Ok(Control::Submit {
                client: NodeId::client(1),
                node: NodeId(2),
                op: "put x 7".into()
            })
        );
        f.set("client", "n1".into());
        assert_eq!(f.control().unwrap_err(), "choose a client");
    }

    #[test]
    fn form_input_becomes_a_command_or_a_clear_error() {
        assert_eq!(command_text("put", " x ", "1", ""), Ok("put x 1".into()));
        assert_eq!(command_text("cas", "x", "2", ""), Ok("cas x - 2".into()));
        assert_eq!(command_text("cas", "x", "2", "1"), Ok("cas x 1 2".into()));
        assert_eq!(command_text("get", "x", "ignored", ""), Ok("get x".into()));
        assert!(command_text("get", "", "", "")
            .unwrap_err()
            .contains("key is empty"));
        assert!(command_text("put", "x", "", "")
            .unwrap_err()
            .contains("needs a value"));
        assert!(command_text("put", "a b", "1", "")
            .unwrap_err()
            .contains("spaces"));
        let big = "v".repeat(300);
        assert!(command_text("put", "x", &big, "")
            .unwrap_err()
            .contains("at most 256"));
    }
}
