//! Atomic commit panel (2PC/3PC scenarios): a transaction form, the coordinator's durable log,
//! every participant's state with a clear "blocked" mark, and the outcome of each transaction.
//!
//! Everything shown comes from the protocol-neutral [`NodeView`] (fields, titled lists, badge);
//! the form submits `Control::Submit` through a simulated client, like any user action.

use crate::app::Action;
use crate::components::lists::list;
use netsplit_core::kernel::view::{NodeSnapshot, NodeStatus, NodeView, Role, Snapshot};
use netsplit_core::protocols::atomic_commit::{COORDINATOR, PARTICIPANT, THREE_PC, TWO_PC};
use netsplit_core::run::registry::Protocol;
use netsplit_core::{Control, NodeId};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// One participant's line of the transaction form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// Take part in the transaction.
    pub on: bool,
    /// The key.
    pub key: String,
    /// The value to write; empty means "read the key".
    pub value: String,
}

/// Build the command text (`txn n2:x=1 n3:y`) from the form, or say what is missing. The
/// protocol's parser has the last word; this only catches what the form can see.
pub fn build_op(rows: &[(NodeId, Row)]) -> Result<String, String> {
    let mut op = String::from("txn");
    for (node, row) in rows.iter().filter(|(_, r)| r.on) {
        let key = row.key.trim();
        if key.is_empty() {
            return Err(format!("{node}: give a key to write or read"));
        }
        let value = row.value.trim();
        if value.is_empty() {
            op.push_str(&format!(" {node}:{key}"));
        } else {
            op.push_str(&format!(" {node}:{key}={value}"));
        }
    }
    if op == "txn" {
        return Err("choose at least one participant".into());
    }
    Ok(op)
}

fn find(snap: &Snapshot, role: Role) -> impl Iterator<Item = &NodeSnapshot> {
    snap.nodes.iter().filter(move |n| n.view.role == role)
}

fn field<'a>(view: &'a NodeView, name: &str) -> Option<&'a str> {
    view.fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.as_str())
}

/// Properties of the transaction form.
#[derive(Properties, PartialEq)]
pub struct FormProps {
    /// Participants, in id order.
    pub participants: Vec<NodeId>,
    /// The coordinator the client sends to.
    pub coordinator: NodeId,
    /// The simulated client that submits (none: the scenario has no clients).
    pub client: Option<NodeId>,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

fn text_of(e: &InputEvent) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}

/// The transaction form: pick participants, a key each, and a value (or none, to read).
#[function_component(TxnForm)]
pub fn txn_form(props: &FormProps) -> Html {
    let rows = use_state(|| {
        props
            .participants
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let key = ["x", "y", "z", "w", "v", "u", "t", "s"][i % 8];
                (
                    *p,
                    Row {
                        on: i < 2,
                        key: key.to_string(),
                        value: (i + 1).to_string(),
                    },
                )
            })
            .collect::<Vec<_>>()
    });
    let edit = |i: usize, f: fn(&mut Row, String)| {
        let rows = rows.clone();
        Callback::from(move |text: String| {
            let mut next = (*rows).clone();
            if let Some((_, r)) = next.get_mut(i) {
                f(r, text);
            }
            rows.set(next);
        })
    };
    let lines: Html = rows
        .iter()
        .enumerate()
        .map(|(i, (node, r))| {
            let toggle = edit(i, |r, _| r.on = !r.on).reform(|_: MouseEvent| String::new());
            let key = edit(i, |r, t| r.key = t).reform(|e: InputEvent| text_of(&e));
            let value = edit(i, |r, t| r.value = t).reform(|e: InputEvent| text_of(&e));
            html! {
                <li class="txn-row">
                    <label>
                        <input type="checkbox" checked={r.on} onclick={toggle} />
                        {node.to_string()}
                    </label>
                    <input class="key" aria-label={format!("key on {node}")} value={r.key.clone()}
                        oninput={key} disabled={!r.on} />
                    {"="}
                    <input class="value" aria-label={format!("value on {node} (empty: read)")}
                        placeholder="read" value={r.value.clone()} oninput={value} disabled={!r.on} />
                </li>
            }
        })
        .collect();
    let submit = {
        let rows = rows.clone();
        let dispatch = props.dispatch.clone();
        let (client, coordinator) = (props.client, props.coordinator);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(client) = client else {
                dispatch.emit(Action::Notice(
                    "this scenario has no simulated client (set cluster.clients)".into(),
                ));
                return;
            };
            match build_op(&rows) {
                Ok(op) => dispatch.emit(Action::Control(Control::Submit {
                    client,
                    node: coordinator,
                    op,
                })),
                Err(msg) => dispatch.emit(Action::Notice(msg)),
            }
        })
    };
    html! {
        <form class="txn-form" onsubmit={submit} aria-label="New transaction">
            <h3>{"New transaction"}</h3>
            <ul>{lines}</ul>
            <p class="muted">{"Empty value = read only. A negative value breaks the participants' constraint (they vote no)."}</p>
            <button class="btn" type="submit">{format!("Submit to {}", props.coordinator)}</button>
        </form>
    }
}

/// One participant's line: state, blocked mark, locks, and a refuse/accept switch.
fn participant(n: &NodeSnapshot, client: Option<NodeId>, dispatch: &Callback<Action>) -> Html {
    let crashed = n.status == NodeStatus::Crashed;
    let state = field(&n.view, "state").unwrap_or("?");
    let refusing = field(&n.view, "votes") == Some("refusing");
    let locks = n
        .view
        .lists
        .iter()
        .find(|l| l.title == "locks held")
        .map(|l| {
            l.rows
                .iter()
                .map(|r| r.text.clone())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let in_doubt: Vec<String> = n
        .timers
        .iter()
        .filter(|t| t.name.starts_with("in-doubt"))
        .map(|t| format!("{} at t={}", t.name, t.fires_at))
        .collect();
    let toggle = client.map(|client| {
        let node = n.id;
        let op = if refusing { "accept" } else { "refuse" };
        dispatch.reform(move |_| {
            Action::Control(Control::Submit {
                client,
                node,
                op: op.to_string(),
            })
        })
    });
    html! {
        <tr class={classes!(n.view.badge.is_some().then_some("blocked"))}>
            <th scope="row">{n.id.to_string()}</th>
            <td>{if crashed { "crashed".to_string() } else { state.to_string() }}</td>
            <td>
                if let Some(b) = &n.view.badge {
                    <span class="pill blocked-pill" title={b.clone()}>{"⛔ BLOCKED"}</span>
                }
            </td>
            <td class="locks">{if locks.is_empty() { "—".to_string() } else { locks }}</td>
            <td class="muted">{in_doubt.join(", ")}</td>
            <td>
                if let Some(onclick) = toggle {
                    <button class="btn small" {onclick} disabled={crashed}>
                        {if refusing { "accept" } else { "refuse" }}
                    </button>
                }
            </td>
        </tr>
    }
}

/// The whole panel, for 2PC/3PC sessions (nothing for other protocols).
pub fn panel(snap: &Snapshot, dispatch: &Callback<Action>) -> Html {
    if ![TWO_PC.id(), THREE_PC.id()].contains(&snap.protocol) {
        return html! {};
    }
    let Some(coord) = find(snap, COORDINATOR).next() else {
        return html! {};
    };
    let parts: Vec<&NodeSnapshot> = find(snap, PARTICIPANT).collect();
    let client = find(snap, Role::CLIENT).next().map(|c| c.id);
    let rows: Html = parts
        .iter()
        .map(|n| participant(n, client, dispatch))
        .collect();
    let lists: Html = coord.view.lists.iter().map(list).collect();
    let variant = field(&coord.view, "protocol")
        .unwrap_or("2pc")
        .to_uppercase();
    html! {
        <section class="commit-panel" aria-label="Atomic commit">
            <h2>{format!("Atomic commit ({variant})")}</h2>
            // Keyed by the participants: another scenario gets a fresh form.
            <TxnForm key={parts.iter().map(|n| n.id.to_string()).collect::<Vec<_>>().join(",")}
                participants={parts.iter().map(|n| n.id).collect::<Vec<_>>()}
                coordinator={coord.id} {client} dispatch={dispatch.clone()} />
            <table class="participants">
                <caption>{"Participants"}</caption>
                <thead><tr>
                    <th>{"node"}</th><th>{"state"}</th><th>{""}</th>
                    <th>{"locks held"}</th><th>{"in-doubt timer"}</th><th>{""}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <div class={classes!("coordinator", (coord.status == NodeStatus::Crashed).then_some("crashed"))}>
                <p class="muted">{format!("Coordinator {}{}", coord.id,
                    if coord.status == NodeStatus::Crashed { " — crashed: only its durable log remains" } else { "" })}</p>
                {lists}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(on: bool, key: &str, value: &str) -> Row {
        Row {
            on,
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn the_form_builds_the_command_text() {
        let rows = vec![
            (NodeId(1), row(true, "x", "1")),
            (NodeId(2), row(false, "y", "2")),
            (NodeId(3), row(true, " z ", "")),
        ];
        assert_eq!(build_op(&rows).unwrap(), "txn n2:x=1 n4:z");
        let none = vec![(NodeId(1), row(false, "x", "1"))];
        assert!(build_op(&none).unwrap_err().contains("at least one"));
        let nokey = vec![(NodeId(1), row(true, "", "1"))];
        assert!(build_op(&nokey).unwrap_err().contains("n2: give a key"));
    }
}
