//! The log matrix pane: one row per server, one column per log index, each cell with its
//! term as a number (the tint repeats it), committed entries solid and uncommitted ones
//! hatched, the snapshot boundary, the leader's matchIndex (▲) and nextIndex (▷) for each
//! follower, and conflicting entries (same index, different terms) outlined with "≠".

use crate::model::analysis::matrix::{matrix, Cell, Matrix};
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::run::registry::Epoch;
use yew::prelude::*;

fn cell(m: &Matrix, epoch: Epoch, row: usize, col: usize, index: u64) -> Html {
    let r = &m.rows[row];
    let mut marks = Vec::new();
    if r.matched == Some(index) {
        marks.push("▲");
    }
    if r.next == Some(index) {
        marks.push("▷");
    }
    let marks = (!marks.is_empty())
        .then(|| html! { <span class="lm-mark" aria-hidden="true">{marks.join("")}</span> });
    let mut words = Vec::new();
    if r.matched == Some(index) {
        words.push("matchIndex".to_string());
    }
    if r.next == Some(index) {
        words.push("nextIndex".to_string());
    }
    let marked = if words.is_empty() {
        String::new()
    } else {
        let leader = m
            .leader
            .and_then(|l| m.rows.iter().find(|r| r.node == l))
            .map_or("leader", |l| l.role);
        format!("; the {leader}'s {} for {}", words.join(" and "), r.node)
    };
    match &r.cells[col] {
        Cell::Entry {
            term,
            label,
            committed,
            conflict,
        } => {
            let state = match committed {
                Some(true) => "committed",
                Some(false) => "not committed",
                None => "commit unknown (crashed)",
            };
            let title = format!(
                "{} index {index}: {} {term}, {label}, {state}{}{marked}",
                r.node,
                epoch.word,
                if *conflict {
                    format!(
                        "; CONFLICT: another server holds a different {} here",
                        epoch.word
                    )
                } else {
                    String::new()
                }
            );
            html! {
                <td class={classes!("lm-cell", format!("term-{}", term % 6),
                        if *committed == Some(true) { "committed" } else { "uncommitted" },
                        conflict.then_some("conflict"))}
                    title={title.clone()} aria-label={title}>
                    <span class="lm-term">{term}</span>
                    if *conflict { <span class="lm-conflict" aria-hidden="true">{"≠"}</span> }
                    { marks.unwrap_or_default() }
                </td>
            }
        }
        Cell::Snapshot => {
            let title = format!(
                "{} index {index}: in the snapshot (compacted){marked}",
                r.node
            );
            html! { <td class="lm-cell snap" title={title.clone()} aria-label={title}>{"▤"}{marks.unwrap_or_default()}</td> }
        }
        Cell::Unknown => {
            html! { <td class="lm-cell unknown" title="not in the part of the log shown">{"…"}</td> }
        }
        Cell::Empty => {
            if marks.is_some() {
                let title = format!("{} index {index}: empty{marked}", r.node);
                html! { <td class="lm-cell empty" title={title.clone()} aria-label={title}>{marks.unwrap_or_default()}</td> }
            } else {
                html! { <td class="lm-cell empty"></td> }
            }
        }
    }
}

/// The pane's body for the snapshot, in the protocol's words for its `epoch` (term, view);
/// `spot` is the log index a tour's caption points at (its column is marked ◆).
pub fn body(snap: &Snapshot, epoch: Epoch, spot: Option<u64>) -> Html {
    let Some(m) = matrix(snap) else {
        return html! { <p class="muted">{"This protocol keeps no replicated log: there is no matrix to show."}</p> };
    };
    if m.last == 0 {
        return html! { <p class="muted">{"Every log is empty so far. Send a client request (or wait for a leader's first entry)."}</p> };
    }
    let head: Html = m
        .columns()
        .map(|i| {
            let spotted = spot == Some(i);
            html! {
                <th scope="col" class={classes!(m.conflicts.contains(&i).then_some("conflict"), spotted.then_some("spot"))}>
                    {i}
                    if spotted {
                        <span class="lm-spot" aria-hidden="true">{"◆"}</span>
                        <span class="visually-hidden">{" (pointed at by the tour)"}</span>
                    }
                </th>
            }
        })
        .collect();
    let rows: Html = (0..m.rows.len())
        .map(|row| {
            let r = &m.rows[row];
            let cells: Html = m
                .columns()
                .enumerate()
                .map(|(col, i)| cell(&m, epoch, row, col, i))
                .collect();
            let role = if r.crashed {
                "✗ crashed".to_string()
            } else if r.leads {
                format!("♛ {}", r.role)
            } else {
                String::new()
            };
            let commit = r
                .commit
                .map_or("commit ?".to_string(), |c| format!("commit {c}"));
            html! {
                <tr class={classes!(r.crashed.then_some("crashed"), r.leads.then_some("leads"))} data-node={r.node.to_string()}>
                    <th scope="row">
                        <span class="lm-node">{r.node.to_string()}</span>
                        <span class="lm-role">{role}</span>
                        <span class="lm-commit">{commit}</span>
                    </th>
                    {cells}
                </tr>
            }
        })
        .collect();
    let conflicts = if m.conflicts.is_empty() {
        html! { <p class="lm-summary">{format!("No conflicts: where two servers hold an entry at the same index, it has the same {}.", epoch.word)}</p> }
    } else {
        let list: Vec<String> = m.conflicts.iter().map(|i| i.to_string()).collect();
        html! {
            <p class="lm-summary bad" role="status">
                {format!("≠ Conflicting entries at index {}: servers hold different {}s there. ", list.join(", "), epoch.word)}
                {"The uncommitted one will be overwritten."}
            </p>
        }
    };
    let hidden = (m.hidden_before > 0).then(|| {
        html! { <p class="muted">{format!("Indexes 1–{} are not shown.", m.hidden_before)}</p> }
    });
    html! {
        <>
            {conflicts}
            <div class="lm-scroll" tabindex="0" role="region" aria-label="Log matrix table">
                <table class="log-matrix">
                    <caption class="visually-hidden">{format!("Every server's log: one row per server, one column per index; each cell shows the entry's {}.", epoch.word)}</caption>
                    <thead><tr><th scope="col">{"index"}</th>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            { hidden.unwrap_or_default() }
            <p class="lm-legend">
                <span class="lm-key committed">{"3"}</span>{" committed "}
                <span class="lm-key uncommitted">{"3"}</span>{" not committed "}
                <span class="lm-key conflict">{"3≠"}</span>{" conflict "}
                <span class="lm-key snap">{"▤"}</span>{" snapshot "}
                if m.rows.iter().any(|r| r.matched.is_some() || r.next.is_some()) {
                    {"▲ matchIndex ▷ nextIndex (the leader's, per follower)"}
                }
            </p>
        </>
    }
}
