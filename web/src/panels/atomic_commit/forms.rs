//! The transaction form as pure functions: a row per participant (take part, a key, a value
//! to write or none to read), checked row by row.

use crate::model::form::{Form, Invalid, WHOLE_FORM};
use netsplit_core::protocols::atomic_commit::msg::parse_request;
use netsplit_core::{Control, NodeId};

/// The transaction form's id.
pub const TXN: &str = "commit.txn";

/// Keys the form suggests, one per participant.
const KEYS: [&str; 8] = ["x", "y", "z", "w", "v", "u", "t", "s"];

/// The field of participant `node`'s row: `on`, `key` or `value`.
pub fn cell(node: NodeId, what: &str) -> String {
    format!("{node}.{what}")
}

/// The form as a fresh session shows it: the first two participants write `x=1`, `y=2`.
pub fn txn_form(participants: &[NodeId]) -> Form {
    Form::with(participants.iter().enumerate().flat_map(|(i, p)| {
        [
            (cell(*p, "on"), (i < 2).to_string()),
            (cell(*p, "key"), KEYS[i % KEYS.len()].to_string()),
            (cell(*p, "value"), (i + 1).to_string()),
        ]
    }))
}

/// The command text of the form (`txn n2:x=1 n3:y`), or every row that is wrong.
pub fn txn_text(form: &Form, participants: &[NodeId]) -> Result<String, Invalid> {
    let mut op = String::from("txn");
    let mut wrong = Vec::new();
    for p in participants.iter().filter(|p| form.on(&cell(**p, "on"))) {
        let key = form.get(&cell(*p, "key")).trim();
        let value = form.get(&cell(*p, "value")).trim();
        if key.is_empty() {
            wrong.push((cell(*p, "key"), format!("{p}: give a key to write or read")));
        } else if value.is_empty() {
            op.push_str(&format!(" {p}:{key}"));
        } else if value.parse::<i64>().is_err() {
            wrong.push((
                cell(*p, "value"),
                format!("{p}: {value:?} is not a whole number"),
            ));
        } else {
            op.push_str(&format!(" {p}:{key}={value}"));
        }
    }
    if wrong.is_empty() && op == "txn" {
        wrong.push((WHOLE_FORM.into(), "choose at least one participant".into()));
    }
    if wrong.is_empty() {
        Ok(op)
    } else {
        Err(Invalid::of("cannot submit", wrong))
    }
}

/// What the form asks for: `client` submits the transaction to `coordinator`.
pub fn txn_control(
    form: &Form,
    participants: &[NodeId],
    client: Option<NodeId>,
    coordinator: NodeId,
) -> Result<Control, Invalid> {
    let op = txn_text(form, participants)?;
    // The protocol's parser has the last word (key names, sizes).
    parse_request(coordinator, &op)
        .map_err(|why| Invalid::field("cannot submit", WHOLE_FORM, why))?;
    let client = client.ok_or_else(|| {
        Invalid::field(
            "cannot submit",
            WHOLE_FORM,
            "this scenario has no simulated client (set cluster.clients)",
        )
    })?;
    Ok(Control::Submit {
        client,
        node: coordinator,
        op,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Vec<NodeId> {
        vec![NodeId(1), NodeId(2), NodeId(3)]
    }

    #[test]
    fn the_form_builds_the_command_text() {
        let mut f = txn_form(&parts());
        assert_eq!(txn_text(&f, &parts()).unwrap(), "txn n2:x=1 n3:y=2");
        f.set(&cell(NodeId(2), "on"), "false");
        f.set(&cell(NodeId(3), "on"), "true");
        f.set(&cell(NodeId(3), "key"), " z ");
        f.set(&cell(NodeId(3), "value"), "");
        assert_eq!(txn_text(&f, &parts()).unwrap(), "txn n2:x=1 n4:z");
        let c = txn_control(&f, &parts(), Some(NodeId::client(0)), NodeId(0)).unwrap();
        assert_eq!(c.to_string(), "c1 submits \"txn n2:x=1 n4:z\" to n1");
    }

    #[test]
    fn bad_rows_are_named() {
        let mut f = txn_form(&parts());
        f.set(&cell(NodeId(1), "key"), "");
        f.set(&cell(NodeId(2), "value"), "two");
        let e = txn_text(&f, &parts()).unwrap_err();
        assert_eq!(
            e.fields.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
            ["n2.key", "n3.value"]
        );
        assert_eq!(e.notice, "cannot submit: n2: give a key to write or read");
        let mut none = txn_form(&parts());
        for p in parts() {
            none.set(&cell(p, "on"), "false");
        }
        assert!(txn_text(&none, &parts())
            .unwrap_err()
            .notice
            .contains("at least one"));
        let mut bad_key = txn_form(&parts());
        bad_key.set(&cell(NodeId(1), "key"), "no-dashes");
        let e = txn_control(&bad_key, &parts(), Some(NodeId::client(0)), NodeId(0)).unwrap_err();
        assert_eq!(e.fields[0].0, WHOLE_FORM);
        let e = txn_control(&txn_form(&parts()), &parts(), None, NodeId(0)).unwrap_err();
        assert!(e.notice.contains("no simulated client"));
    }
}
