//! Raft's forms as pure functions: the client form (a command from a simulated client to a
//! server) and the settings (PreVote, CheckQuorum, batching, pipelining, snapshot interval,
//! read mode), each checked field by field.

use crate::model::form::{Form, Invalid, WHOLE_FORM};
use crate::panels::{request, sender};
use netsplit_core::protocols::raft::{kv, RaftConfig, ReadMode};
use netsplit_core::Control;

/// The client form's id.
pub const CLIENT: &str = "raft.client";
/// The settings form's id.
pub const SETTINGS: &str = "raft.settings";

/// The operations the client form offers.
pub const OPS: [&str; 4] = ["put", "get", "cas", "delete"];
/// Largest snapshot interval the settings accept.
pub const MAX_SNAPSHOT_EVERY: u64 = 1_000_000;
/// The settings' switches: (field, label, help).
pub const FLAGS: [(&str, &str, &str); 4] = [
    (
        "pre_vote",
        "PreVote",
        "ask whether you could win before starting an election (§9.6)",
    ),
    (
        "check_quorum",
        "CheckQuorum",
        "a leader that hears from no majority steps down; followers ignore vote requests while they hear a leader",
    ),
    (
        "batching",
        "Batching",
        "collect commands for a few ms and send them in one AppendEntries",
    ),
    (
        "pipelining",
        "Pipelining",
        "send further AppendEntries before earlier ones are acknowledged",
    ),
];

/// The client form as a fresh page shows it: `c1` puts `x = 1` through `n1`.
pub fn client_form() -> Form {
    Form::with([
        ("client", "c1".to_string()),
        ("node", "n1".to_string()),
        ("op", "put".to_string()),
        ("key", "x".to_string()),
        ("value", "1".to_string()),
        ("expected", String::new()),
    ])
}

/// What the client form asks for (`servers` servers, `clients` clients), or every field that
/// is wrong.
pub fn client_control(form: &Form, servers: usize, clients: usize) -> Result<Control, Invalid> {
    let mut wrong: Vec<(String, String)> = Vec::new();
    let to = sender(form, servers, clients, &mut wrong);
    let mut fail = |field: &str, why: String| wrong.push((field.to_string(), why));
    let op = form.get("op");
    let (key, value, expected) = (
        form.get("key").trim(),
        form.get("value").trim(),
        form.get("expected").trim(),
    );
    if key.is_empty() {
        fail("key", "the key is empty".into());
    } else if key.contains(char::is_whitespace) {
        fail("key", "the key cannot contain spaces".into());
    }
    let takes_value = op == "put" || op == "cas";
    if takes_value && value.contains(char::is_whitespace) {
        fail("value", "values cannot contain spaces".into());
    } else if takes_value && value.is_empty() {
        fail(
            "value",
            format!(
                "{op} needs a {}value",
                if op == "cas" { "new " } else { "" }
            ),
        );
    }
    if op == "cas" && expected.contains(char::is_whitespace) {
        fail("expected", "values cannot contain spaces".into());
    }
    let text = match op {
        "put" => format!("put {key} {value}"),
        "get" => format!("get {key}"),
        "cas" => format!(
            "cas {key} {} {value}",
            if expected.is_empty() { "-" } else { expected }
        ),
        "delete" => format!("delete {key}"),
        other => {
            fail("op", format!("unknown operation {other:?}"));
            String::new()
        }
    };
    if wrong.is_empty() {
        // The simulator's own parser has the last word (sizes and the like).
        if let Err(why) = kv::parse_op(&text) {
            let field = if key.len() > kv::MAX_KEY {
                "key"
            } else if value.len() > kv::MAX_VALUE {
                "value"
            } else if expected.len() > kv::MAX_VALUE {
                "expected"
            } else {
                WHOLE_FORM
            };
            wrong.push((field.to_string(), why));
        }
    }
    request(to, text, wrong)
}

/// `ReadMode` as the settings form writes it (its scenario-file name).
pub fn read_mode_name(mode: ReadMode) -> String {
    serde_json::to_value(mode)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The settings form showing `config`.
pub fn settings_form(config: &RaftConfig) -> Form {
    let flags = [
        config.pre_vote,
        config.check_quorum,
        config.batching,
        config.pipelining,
    ];
    let mut values: Vec<(&str, String)> = FLAGS
        .iter()
        .zip(flags)
        .map(|((name, _, _), on)| (*name, on.to_string()))
        .collect();
    values.push(("snapshot_every", config.snapshot_every.to_string()));
    values.push(("read_mode", read_mode_name(config.read_mode)));
    Form::with(values)
}

/// The scenario configuration the settings form asks for: `base` (the scenario's `config`
/// object) with every setting that differs from the running `current` one written in.
pub fn settings_config(
    form: &Form,
    current: &RaftConfig,
    base: &serde_json::Value,
) -> Result<serde_json::Value, Invalid> {
    let snapshot_every = form
        .get("snapshot_every")
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= MAX_SNAPSHOT_EVERY)
        .ok_or_else(|| {
            Invalid::field(
                "snapshot interval",
                "snapshot_every",
                format!(
                    "{:?} must be a whole number from 0 (never) to {MAX_SNAPSHOT_EVERY}",
                    form.get("snapshot_every")
                ),
            )
        })?;
    let read_mode: ReadMode =
        serde_json::from_value(form.get("read_mode").into()).map_err(|_| {
            Invalid::field(
                "reads",
                "read_mode",
                format!("unknown read mode {:?}", form.get("read_mode")),
            )
        })?;
    let mut next = base.as_object().cloned().unwrap_or_default();
    let flags = [
        current.pre_vote,
        current.check_quorum,
        current.batching,
        current.pipelining,
    ];
    for ((name, _, _), was) in FLAGS.iter().zip(flags) {
        let on = form.on(name);
        if on != was {
            next.insert(name.to_string(), on.into());
        }
    }
    if snapshot_every != current.snapshot_every {
        next.insert("snapshot_every".into(), snapshot_every.into());
    }
    if read_mode != current.read_mode {
        next.insert("read_mode".into(), read_mode_name(read_mode).into());
    }
    Ok(serde_json::Value::Object(next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::NodeId;

    fn with(changes: &[(&str, &str)]) -> Form {
        let mut f = client_form();
        for (k, v) in changes {
            f.set(k, *v);
        }
        f
    }

    #[test]
    fn the_client_form_names_client_server_and_command() {
        let f = with(&[("client", "c2"), ("node", "n3"), ("value", "7")]);
        assert_eq!(
            client_control(&f, 5, 2),
            Ok(Control::Submit {
                client: NodeId::client(1),
                node: NodeId(2),
                op: "put x 7".into()
            })
        );
        let cas = with(&[("op", "cas"), ("value", "2")]);
        assert_eq!(
            client_control(&cas, 5, 2).map(|c| c.to_string()),
            Ok("c1 submits \"cas x - 2\" to n1".into())
        );
        let cas = with(&[("op", "cas"), ("value", "2"), ("expected", "1")]);
        assert!(client_control(&cas, 5, 2)
            .unwrap()
            .to_string()
            .contains("cas x 1 2"));
        let get = with(&[("op", "get"), ("value", "ignored words")]);
        assert!(client_control(&get, 5, 2)
            .unwrap()
            .to_string()
            .contains("\"get x\""));
    }

    #[test]
    fn every_wrong_field_gets_its_own_reason() {
        let bad = client_control(
            &with(&[("client", "n1"), ("node", "n9"), ("key", "")]),
            5,
            2,
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["client", "node", "key"]);
        assert_eq!(bad.notice, "cannot send: choose a client");
        let key = client_control(&with(&[("key", "")]), 5, 2).unwrap_err();
        assert_eq!(key.notice, "cannot send: the key is empty");
        let spaces = client_control(&with(&[("key", "a b")]), 5, 2).unwrap_err();
        assert_eq!(spaces.fields[0].0, "key");
        let put = client_control(&with(&[("value", " ")]), 5, 2).unwrap_err();
        assert_eq!(put.fields, [("value".into(), "put needs a value".into())]);
        let cas = client_control(&with(&[("op", "cas"), ("value", "")]), 5, 2).unwrap_err();
        assert_eq!(cas.fields[0].1, "cas needs a new value");
        let big = client_control(&with(&[("value", &"v".repeat(300))]), 5, 2).unwrap_err();
        assert_eq!(big.fields[0].0, "value");
        assert!(big.notice.contains("at most 256 allowed"), "{}", big.notice);
        let long_key = client_control(&with(&[("key", &"k".repeat(65))]), 5, 2).unwrap_err();
        assert_eq!(long_key.fields[0].0, "key");
        let op = client_control(&with(&[("op", "frob")]), 5, 2).unwrap_err();
        assert_eq!(op.fields[0].0, "op");
        let no_clients = client_control(&client_form(), 5, 0).unwrap_err();
        assert_eq!(no_clients.fields[0].0, "client");
    }

    #[test]
    fn settings_write_only_what_changed() {
        let running = RaftConfig::default();
        let mut f = settings_form(&running);
        let base = serde_json::json!({ "heartbeat_ms": 40 });
        assert_eq!(settings_config(&f, &running, &base).unwrap(), base);
        f.set("pre_vote", "false");
        f.set("read_mode", "lease");
        f.set("snapshot_every", " 0 ");
        assert_eq!(
            settings_config(&f, &running, &base).unwrap(),
            serde_json::json!({
                "heartbeat_ms": 40, "pre_vote": false, "read_mode": "lease", "snapshot_every": 0
            })
        );
        // The result parses back into the configuration the form showed.
        let c: RaftConfig =
            serde_json::from_value(settings_config(&f, &running, &base).unwrap()).unwrap();
        assert!(!c.pre_vote && c.read_mode == ReadMode::Lease && c.snapshot_every == 0);
        assert_eq!(settings_form(&c).get("read_mode"), "lease");
    }

    #[test]
    fn bad_settings_are_refused_at_their_field() {
        let running = RaftConfig::default();
        let mut f = settings_form(&running);
        for bad in ["-1", "abc", "1000001", ""] {
            f.set("snapshot_every", bad);
            let e = settings_config(&f, &running, &serde_json::json!({})).unwrap_err();
            assert_eq!(e.fields[0].0, "snapshot_every", "{bad}");
            assert!(e.notice.starts_with("snapshot interval: "), "{}", e.notice);
        }
        f.set("snapshot_every", "5");
        f.set("read_mode", "psychic");
        let e = settings_config(&f, &running, &serde_json::json!({})).unwrap_err();
        assert_eq!(e.fields[0].0, "read_mode");
    }
}
