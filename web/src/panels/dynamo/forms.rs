//! The store's forms as pure functions: a client request (put/get at a consistency level,
//! optionally with a sloppy quorum and the client's last-read context) and the CAP comparison.

use crate::model::form::{Form, Invalid, WHOLE_FORM};
use crate::panels::{request, sender};
use netsplit_core::protocols::dynamo::compare::{compare, CompareOptions, CompareTable};
use netsplit_core::protocols::dynamo::request::KvOp;
use netsplit_core::protocols::dynamo::ConflictMode;
use netsplit_core::Control;

/// The request form's id.
pub const REQUEST: &str = "dynamo.request";
/// The CAP comparison form's id.
pub const CAP: &str = "dynamo.cap";

/// The consistency levels the request form offers.
pub const LEVELS: [&str; 7] = [
    "local", "eventual", "strong", "n=3 r=1", "n=3 r=3", "n=3 w=1", "n=3 w=3",
];
/// The conflict modes the comparison offers.
pub const MODES: [ConflictMode; 3] = [ConflictMode::Siblings, ConflictMode::Lww, ConflictMode::Set];
/// Clock skews the comparison gives the nodes under last-writer-wins (ms).
const LWW_SKEW_MS: [i64; 5] = [0, -400, 300, 0, -150];

/// The request form as a fresh page shows it: `c1` puts `cart = book`, strongly, via `n1`.
pub fn request_form() -> Form {
    Form::with([
        ("client", "c1".to_string()),
        ("node", "n1".to_string()),
        ("kind", "put".to_string()),
        ("key", "cart".to_string()),
        ("value", "book".to_string()),
        ("level", "strong".to_string()),
        ("sloppy", "false".to_string()),
        ("ctx_last", "true".to_string()),
    ])
}

/// The command the request form describes (`put cart book strong ctx=last`).
pub fn command(form: &Form) -> String {
    let (key, level) = (form.get("key").trim(), form.get("level"));
    let put = form.get("kind") == "put";
    let mut op = if put {
        format!("put {key} {} {level}", form.get("value").trim())
    } else {
        format!("get {key} {level}")
    };
    if form.on("sloppy") {
        op.push_str(" sloppy");
    }
    if put && form.on("ctx_last") {
        op.push_str(" ctx=last");
    }
    op
}

/// What the request form asks for (`servers` servers, `clients` clients), or every field that
/// is wrong.
pub fn request_control(form: &Form, servers: usize, clients: usize) -> Result<Control, Invalid> {
    let mut wrong: Vec<(String, String)> = Vec::new();
    let to = sender(form, servers, clients, &mut wrong);
    for name in ["key", "value"] {
        let text = form.get(name).trim();
        if name == "value" && form.get("kind") != "put" {
            continue;
        }
        if text.is_empty() {
            wrong.push((name.into(), format!("the {name} is empty")));
        } else if text.contains(char::is_whitespace) {
            wrong.push((name.into(), format!("the {name} cannot contain spaces")));
        }
    }
    let text = command(form);
    if wrong.is_empty() {
        if let Err(why) = KvOp::parse(&text) {
            wrong.push((WHOLE_FORM.into(), why));
        }
    }
    request(to, text, wrong)
}

/// The comparison form: seed 1, siblings.
pub fn cap_form() -> Form {
    Form::with([
        ("seed", "1".to_string()),
        ("conflict", ConflictMode::Siblings.name().to_string()),
    ])
}

/// What the comparison form asks for.
pub fn cap_options(form: &Form) -> Result<CompareOptions, Invalid> {
    let seed = form.get("seed").trim().parse::<u64>().map_err(|_| {
        Invalid::field(
            "cannot compare",
            "seed",
            format!("seed {:?} must be a whole number", form.get("seed")),
        )
    })?;
    let conflict = MODES
        .into_iter()
        .find(|m| m.name() == form.get("conflict"))
        .ok_or_else(|| Invalid::field("cannot compare", "conflict", "choose a conflict mode"))?;
    Ok(CompareOptions {
        seed,
        conflict,
        clock_skew_ms: if conflict == ConflictMode::Lww {
            LWW_SKEW_MS.to_vec()
        } else {
            Vec::new()
        },
        ..CompareOptions::default()
    })
}

/// Run the comparison the form asks for.
pub fn cap_table(form: &Form) -> Result<CompareTable, Invalid> {
    let options = cap_options(form)?;
    compare(&options).map_err(|e| Invalid::field("cannot compare", WHOLE_FORM, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_form_builds_commands_the_store_parses() {
        let mut f = request_form();
        assert_eq!(command(&f), "put cart book strong ctx=last");
        let c = request_control(&f, 5, 2).unwrap();
        assert_eq!(
            c.to_string(),
            "c1 submits \"put cart book strong ctx=last\" to n1"
        );
        f.set("kind", "get");
        f.set("level", "n=3 r=1");
        f.set("sloppy", "true");
        assert_eq!(command(&f), "get cart n=3 r=1 sloppy");
        for level in LEVELS {
            f.set("level", level);
            let parses = ["put", "get"].into_iter().any(|kind| {
                f.set("kind", kind);
                request_control(&f, 5, 2).is_ok()
            });
            assert!(parses, "{level}");
        }
    }

    #[test]
    fn a_bad_request_names_its_fields() {
        let mut f = request_form();
        f.set("key", "");
        f.set("value", "two words");
        f.set("client", "c3");
        let e = request_control(&f, 5, 2).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["client", "key", "value"]);
        assert_eq!(e.notice, "cannot send: choose a client");
        let mut f = request_form();
        f.set("level", "n=9 r=q");
        let e = request_control(&f, 5, 2).unwrap_err();
        assert_eq!(e.fields[0].0, WHOLE_FORM);
    }

    #[test]
    fn the_comparison_form_is_checked() {
        let mut f = cap_form();
        let o = cap_options(&f).unwrap();
        assert_eq!((o.seed, o.conflict), (1, ConflictMode::Siblings));
        assert!(o.clock_skew_ms.is_empty());
        f.set("conflict", "lww");
        assert_eq!(cap_options(&f).unwrap().clock_skew_ms.len(), 5);
        f.set("seed", "x");
        assert_eq!(cap_options(&f).unwrap_err().fields[0].0, "seed");
        f.set("seed", "2");
        f.set("conflict", "chaos");
        assert_eq!(cap_options(&f).unwrap_err().fields[0].0, "conflict");
    }
}
