//! The lock service's forms as pure functions (natively tested; the panel only draws them).
//!
//! - **The job form** (`locks.job`): a worker's scripted job — up to [`ROWS`] locks with their
//!   modes, taken in order, held for a while, then a write to the resource under the last
//!   lock's token, then released — with its priority and an optional GC-pause stall. It
//!   becomes the job text of the scenario format (`acquire a x b s 300 priority 2`), checked
//!   by the core's own parser, and is applied as a `submit` action: recorded in the scenario,
//!   shared by links, replayed exactly.
//! - **The settings form** (`locks.settings`): deadlock handling (detection or timeout-only),
//!   the wait timeout, the lease and keep-alive, aging, fencing — written into the scenario's
//!   `config` and replayed from the start like any other setting.
//!
//! Every refusal names its field: which row's lock or mode is wrong, and why.

use crate::model::form::{Form, Invalid, WHOLE_FORM};
use netsplit_core::protocols::locks::hierarchy::check_job_order;
use netsplit_core::protocols::locks::queue::MAX_PRIORITY;
use netsplit_core::protocols::locks::table::check_name;
use netsplit_core::protocols::locks::{parse_job, DeadlockMode, LockConfig, Mode};
use netsplit_core::{Control, NodeId};

/// The job form's id.
pub const JOB: &str = "locks.job";
/// The settings form's id.
pub const SETTINGS: &str = "locks.settings";
/// Lock rows in the job form.
pub const ROWS: usize = 4;
/// The modes a row may ask for: (value, label).
pub const MODES: &[(&str, &str)] = &[
    ("x", "x"),
    ("s", "s"),
    ("is", "is"),
    ("ix", "ix"),
    ("six", "six"),
];
/// What the modes mean, under the rows.
pub const MODES_HELP: &str =
    "x exclusive · s shared · is/ix intention shared/exclusive · six shared + ix";
/// The deadlock modes: (value, label).
pub const DEADLOCK_MODES: &[(&str, &str)] = &[
    ("detect", "detect (wait-for graph, youngest wait aborted)"),
    ("timeout", "timeout only (no detection)"),
];

/// The field of row `row` (1-based): `lock1`, `mode1`, …
pub fn row_field(what: &str, row: usize) -> String {
    format!("{what}{row}")
}

/// The job form as a fresh page shows it: worker `c2` takes `L` exclusively through `n1`,
/// holds it 300 ms, priority 0.
pub fn job_form() -> Form {
    let mut values = vec![
        ("client".to_string(), NodeId::client(1).to_string()),
        ("node".to_string(), NodeId(0).to_string()),
        ("hold_ms".to_string(), "300".to_string()),
        ("priority".to_string(), "0".to_string()),
        ("stall".to_string(), "false".to_string()),
    ];
    for row in 1..=ROWS {
        let (lock, mode) = if row == 1 { ("L", "x") } else { ("", "x") };
        values.push((row_field("lock", row), lock.to_string()));
        values.push((row_field("mode", row), mode.to_string()));
    }
    Form::with(values)
}

/// The job text the form asks for (the scenario format's `acquire …`), or every field that is
/// wrong: the worker and server, each row's lock name and mode, a lock twice, a lock whose
/// ancestors are not taken before it in an intention mode, the hold time and the priority.
pub fn job_text(
    form: &Form,
    servers: usize,
    clients: usize,
) -> Result<(NodeId, NodeId, String), Invalid> {
    let mut wrong: Vec<(String, String)> = Vec::new();
    let client = NodeId::parse(form.get("client"));
    let client = match client.and_then(|c| c.client_index().map(|k| (c, k))) {
        Some((_, 0)) => {
            wrong.push((
                "client".into(),
                "c1 is the protected resource, not a worker: choose c2 or later".into(),
            ));
            None
        }
        Some((c, k)) if k < clients => Some(c),
        _ => {
            wrong.push(("client".into(), "choose a worker (c2 or later)".into()));
            None
        }
    };
    let node = NodeId::parse(form.get("node")).filter(|n| !n.is_client() && n.index() < servers);
    if node.is_none() {
        wrong.push(("node".into(), "choose a server".into()));
    }
    let mut locks: Vec<(String, Mode)> = Vec::new();
    let mut rows: Vec<usize> = Vec::new();
    for row in 1..=ROWS {
        let lock_field = row_field("lock", row);
        let name = form.get(&lock_field).trim();
        if name.is_empty() {
            if row == 1 {
                wrong.push((lock_field, "lock 1: the lock name is empty".into()));
            }
            continue;
        }
        let name = match check_name(name) {
            Ok(n) => n,
            Err(why) => {
                wrong.push((lock_field, format!("lock {row}: {why}")));
                continue;
            }
        };
        let mode_field = row_field("mode", row);
        let mode = match Mode::parse(form.get(&mode_field).trim()) {
            Ok(m) => m,
            Err(why) => {
                wrong.push((mode_field, format!("lock {row} ({name}): {why}")));
                continue;
            }
        };
        if locks.iter().any(|(l, _)| *l == name) {
            wrong.push((
                lock_field,
                format!("lock {row}: {name} is already in the job"),
            ));
            continue;
        }
        locks.push((name, mode));
        rows.push(row);
        // The intention rule, row by row: the first row whose ancestors are missing is named.
        if let Err(why) = check_job_order(&locks) {
            wrong.push((row_field("lock", row), format!("lock {row}: {why}")));
            locks.pop();
            rows.pop();
        }
    }
    let hold = form.get("hold_ms").trim();
    let hold_ok = hold.parse::<u64>().ok().filter(|h| *h <= 600_000);
    if hold_ok.is_none() {
        wrong.push((
            "hold_ms".into(),
            format!("hold must be a whole number of ms from 0 to 600000, got {hold:?}"),
        ));
    }
    let priority = form.get("priority").trim();
    let priority_ok = priority.parse::<u8>().ok().filter(|p| *p <= MAX_PRIORITY);
    if priority_ok.is_none() {
        wrong.push((
            "priority".into(),
            format!("priority must be a whole number from 0 to {MAX_PRIORITY}, got {priority:?}"),
        ));
    }
    let (Some(client), Some(node), Some(hold), Some(priority)) =
        (client, node, hold_ok, priority_ok)
    else {
        return Err(Invalid::of("cannot submit the job", wrong));
    };
    if !wrong.is_empty() {
        return Err(Invalid::of("cannot submit the job", wrong));
    }
    let pairs: Vec<String> = locks.iter().map(|(l, m)| format!("{l} {m}")).collect();
    let mut text = format!("acquire {} {hold}", pairs.join(" "));
    if form.on("stall") {
        text.push_str(" stall");
    }
    if priority > 0 {
        text.push_str(&format!(" priority {priority}"));
    }
    // The one scenario format: the core's parser has the last word.
    parse_job(client, &text)
        .map_err(|why| Invalid::field("cannot submit the job", WHOLE_FORM, why))?;
    Ok((client, node, text))
}

/// What the job form asks for: a `submit` action (recorded in the scenario).
pub fn job_control(form: &Form, servers: usize, clients: usize) -> Result<Control, Invalid> {
    job_text(form, servers, clients).map(|(client, node, op)| Control::Submit { client, node, op })
}

/// The settings form showing `config`.
pub fn settings_form(config: &LockConfig) -> Form {
    let deadlock = match config.deadlock {
        DeadlockMode::Detect => "detect",
        DeadlockMode::Timeout => "timeout",
    };
    Form::with([
        ("deadlock", deadlock.to_string()),
        ("wait_timeout_ms", config.wait_timeout_ms.to_string()),
        ("lease_ms", config.lease_ms.to_string()),
        ("keepalive_ms", config.keepalive_ms.to_string()),
        ("aging_entries", config.aging_entries.to_string()),
        ("fencing", config.fencing.to_string()),
    ])
}

/// The numeric settings: (field, what it is in an error message).
const NUMBERS: &[(&str, &str)] = &[
    ("wait_timeout_ms", "the wait timeout"),
    ("lease_ms", "the lease"),
    ("keepalive_ms", "the keep-alive interval"),
    ("aging_entries", "aging"),
];

/// The scenario configuration the settings form asks for: `base` (the scenario's `config`
/// object) with every setting written in, checked by the core's own validation (an error goes
/// to the field it names).
pub fn settings_config(
    form: &Form,
    base: &serde_json::Value,
) -> Result<serde_json::Value, Invalid> {
    let mut next = base.as_object().cloned().unwrap_or_default();
    let mut wrong = Vec::new();
    match form.get("deadlock") {
        mode @ ("detect" | "timeout") => {
            next.insert("deadlock".into(), mode.into());
        }
        other => wrong.push((
            "deadlock".to_string(),
            format!("unknown deadlock mode {other:?}: detect or timeout"),
        )),
    }
    for (name, what) in NUMBERS {
        let text = form.get(name).trim();
        match text.parse::<u64>() {
            Ok(n) => {
                next.insert(name.to_string(), n.into());
            }
            Err(_) => wrong.push((
                name.to_string(),
                format!("{what} must be a whole number, got {text:?}"),
            )),
        }
    }
    next.insert("fencing".into(), form.on("fencing").into());
    if !wrong.is_empty() {
        return Err(Invalid::of("cannot apply the settings", wrong));
    }
    let value = serde_json::Value::Object(next);
    let config: LockConfig = serde_json::from_value(value.clone())
        .map_err(|e| Invalid::field("cannot apply the settings", WHOLE_FORM, e.to_string()))?;
    if let Err(e) = config.validate("config") {
        let name = e.path.rsplit('.').next().unwrap_or_default().to_string();
        let field = if form.has(&name) {
            name.as_str()
        } else {
            WHOLE_FORM
        };
        return Err(Invalid::field(
            "cannot apply the settings",
            field,
            format!("{name} {}", e.message),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(rows: &[(&str, &str)]) -> Form {
        let mut f = job_form();
        for (i, (lock, mode)) in rows.iter().enumerate() {
            f.set(&row_field("lock", i + 1), *lock);
            f.set(&row_field("mode", i + 1), *mode);
        }
        f
    }

    #[test]
    fn a_job_becomes_the_scenario_formats_text() {
        let mut f = job(&[("db", "ix"), ("db/t1", "ix"), ("db/t1/r1", "x")]);
        f.set("priority", "2");
        f.set("hold_ms", "150");
        let c = job_control(&f, 3, 4).unwrap();
        assert_eq!(
            c,
            Control::Submit {
                client: NodeId::client(1),
                node: NodeId(0),
                op: "acquire db ix db/t1 ix db/t1/r1 x 150 priority 2".into(),
            }
        );
        f.set("stall", "true");
        f.set("priority", "0");
        let (_, _, text) = job_text(&f, 3, 4).unwrap();
        assert_eq!(text, "acquire db ix db/t1 ix db/t1/r1 x 150 stall");
        // The core parses it back into the same job.
        let parsed = parse_job(NodeId(0), &text).unwrap();
        assert_eq!(
            (parsed.locks.len(), parsed.hold_ms, parsed.stall),
            (3, 150, true)
        );
    }

    #[test]
    fn bad_jobs_say_what_is_wrong_and_where() {
        // An empty lock name in row 1.
        let f = job(&[("", "x")]);
        let e = job_control(&f, 3, 4).unwrap_err();
        assert_eq!(
            e.fields[0],
            ("lock1".into(), "lock 1: the lock name is empty".into())
        );
        // An unknown mode in row 2.
        let f = job(&[("a", "x"), ("b", "q")]);
        let e = job_control(&f, 3, 4).unwrap_err();
        assert_eq!(e.fields[0].0, "mode2");
        assert!(e.fields[0].1.contains("unknown mode"), "{}", e.fields[0].1);
        // A malformed name.
        let f = job(&[("db//r", "x")]);
        let e = job_control(&f, 3, 4).unwrap_err();
        assert_eq!(e.fields[0].0, "lock1");
        // The lock tree: a row before its ancestor, or under it in the wrong mode.
        let f = job(&[("db/t1", "x"), ("db", "ix")]);
        let e = job_control(&f, 3, 4).unwrap_err();
        assert_eq!(e.fields[0].0, "lock1");
        assert!(
            e.fields[0].1.contains("needs db in ix or six earlier"),
            "{}",
            e.fields[0].1
        );
        let f = job(&[("db", "is"), ("db/t1", "x")]);
        let e = job_control(&f, 3, 4).unwrap_err();
        assert_eq!(e.fields[0].0, "lock2");
        // A lock twice.
        let f = job(&[("a", "x"), ("a", "s")]);
        let e = job_control(&f, 3, 4).unwrap_err();
        assert_eq!(
            e.fields[0],
            ("lock2".into(), "lock 2: a is already in the job".into())
        );
        // The resource is not a worker; priority and hold in range.
        let mut f = job(&[("a", "x")]);
        f.set("client", "c1");
        f.set("priority", "7");
        f.set("hold_ms", "soon");
        let e = job_control(&f, 3, 4).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["client", "hold_ms", "priority"]);
        assert!(e.notice.contains("protected resource"), "{}", e.notice);
    }

    #[test]
    fn settings_go_into_the_scenario_config_and_bad_ones_name_their_field() {
        let mut f = settings_form(&LockConfig::default());
        assert_eq!(f.get("deadlock"), "detect");
        f.set("deadlock", "timeout");
        f.set("wait_timeout_ms", "400");
        let base = serde_json::json!({ "lease_ms": 600 });
        let next = settings_config(&f, &base).unwrap();
        let c: LockConfig = serde_json::from_value(next).unwrap();
        assert_eq!(
            (c.deadlock, c.wait_timeout_ms),
            (DeadlockMode::Timeout, 400)
        );
        assert_eq!(settings_form(&c).get("deadlock"), "timeout");
        f.set("keepalive_ms", "900");
        let e = settings_config(&f, &base).unwrap_err();
        assert_eq!(e.fields[0].0, "keepalive_ms");
        assert!(e.notice.contains("below lease_ms"), "{}", e.notice);
        f.set("keepalive_ms", "often");
        let e = settings_config(&f, &base).unwrap_err();
        assert_eq!(e.fields[0].0, "keepalive_ms");
        f.set("keepalive_ms", "150");
        f.set("deadlock", "pray");
        let e = settings_config(&f, &base).unwrap_err();
        assert_eq!(e.fields[0].0, "deadlock");
    }
}
