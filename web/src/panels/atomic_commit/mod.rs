//! Atomic commit's panel, one for both registry entries (2PC and 3PC): the transaction form,
//! every participant's state with a clear "blocked" mark, its locks and what it is in doubt
//! about, and the coordinator's durable log and transactions — from the typed state
//! (`Session<AtomicCommit>`).

pub mod forms;
pub mod history;

use super::{clients, names, server, session, Panel, PanelCtx, ServerState, Submitted};
use crate::components::form::{field, form};
use crate::components::icons::{self, Icon};
use crate::components::tables::grid;
use crate::model::analysis::history::ClientHistory;
use crate::model::analysis::index::Mark;
use crate::model::form::{Form, Invalid};
use netsplit_core::protocols::atomic_commit::msg::PState;
use netsplit_core::protocols::atomic_commit::node::{CommitDurable, LogRec, Phase2};
use netsplit_core::protocols::atomic_commit::{
    AtomicCommit, CommitServer, Outcome, THREE_PC, TWO_PC,
};
use netsplit_core::run::playground::Session;
use netsplit_core::run::registry::Protocol;
use netsplit_core::{Control, NodeId, Playground};
use yew::prelude::*;

/// The atomic commit panel.
pub struct AtomicCommitPanel;

static ENTRIES: &[&dyn Protocol] = &[&TWO_PC, &THREE_PC];

/// The coordinator and the participants, in id order.
fn cast(s: &Session<AtomicCommit>) -> (NodeId, Vec<NodeId>) {
    let sim = s.sim();
    let coordinator = sim.config().coordinator;
    let participants = sim
        .members()
        .iter()
        .copied()
        .filter(|m| *m != coordinator)
        .collect();
    (coordinator, participants)
}

/// "2PC" or "3PC", as the running configuration says.
fn variant(s: &Session<AtomicCommit>) -> String {
    s.sim().config().variant.name().to_uppercase()
}

/// A participant's state in a word, from what it holds (its disk while crashed).
pub fn participant_state(d: &CommitDurable) -> String {
    match d.prepared.values().last() {
        Some(rec) => rec.state.to_string(),
        None => match d.done.last_key_value() {
            Some((_, Outcome::Commit)) => PState::Committed.to_string(),
            Some((_, Outcome::Abort)) => PState::Aborted.to_string(),
            None => "working".to_string(),
        },
    }
}

/// What a participant is in doubt about: `t3 prepared since t=1200, asked 2×`.
pub fn in_doubt(d: &CommitDurable, live: Option<&CommitServer>) -> Vec<String> {
    d.prepared
        .iter()
        .map(|(txn, rec)| {
            let asks = live.and_then(|s| s.asks().get(txn)).copied().unwrap_or(0);
            let asked = if asks > 0 {
                format!(", asked {asks}×")
            } else {
                String::new()
            };
            format!("{txn} {} since t={}{asked}", rec.state, rec.since)
        })
        .collect()
}

/// One participant's row.
fn participant(
    s: &Session<AtomicCommit>,
    id: NodeId,
    client: Option<NodeId>,
    dispatch: &Callback<crate::model::action::Action>,
) -> Html {
    let (durable, live) = match server(s, id) {
        Some(ServerState::Live(p)) => (p.durable_state(), Some(p)),
        Some(ServerState::Crashed(d)) => (d, None),
        None => return html! {},
    };
    let blocked = live.is_some_and(|p| p.blocked());
    let refusing = live.is_some_and(|p| p.refusing());
    let locks: Vec<String> = live
        .map(|p| {
            p.locks()
                .into_iter()
                .map(|(key, (txn, write))| {
                    format!(
                        "{key}: {} lock, {txn}",
                        if write { "write" } else { "read" }
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let doubts = in_doubt(durable, live);
    let toggle = client.filter(|_| live.is_some()).map(|client| {
        let op = if refusing { "accept" } else { "refuse" };
        dispatch.reform(move |_| {
            crate::model::action::Action::Control(Control::Submit {
                client,
                node: id,
                op: op.to_string(),
            })
        })
    });
    html! {
        <tr class={classes!(blocked.then_some("blocked"))}>
            <th scope="row">{id.to_string()}</th>
            <td class="state">
                {if live.is_none() { "crashed".to_string() } else { participant_state(durable) }}
                if blocked {
                    <span class="pill blocked-pill" title="prepared, asked the coordinator, no answer yet: it holds its locks">
                        { icons::icon(Icon::Blocked) }{"BLOCKED"}
                    </span>
                }
                if refusing {
                    <span class="pill" title="told to vote no on every Prepare">{"votes no"}</span>
                }
            </td>
            <td class="holds">
                if locks.is_empty() && doubts.is_empty() {
                    {"—"}
                } else {
                    <ul>
                        { for locks.iter().map(|l| html! { <li>{l.clone()}</li> }) }
                        { for doubts.iter().map(|d| html! { <li class="muted">{format!("in doubt: {d}")}</li> }) }
                    </ul>
                }
            </td>
            <td class="vote">
                if let Some(onclick) = toggle {
                    <button class="btn small" {onclick} aria-label={format!("{} on {id}", if refusing { "accept" } else { "refuse" })}>
                        {if refusing { "accept" } else { "refuse" }}
                    </button>
                }
            </td>
        </tr>
    }
}

/// The coordinator's transactions as rows (txn, stage, detail): those collecting votes, those
/// in phase two, then the latest decisions, newest first.
pub fn transactions(c: &CommitServer) -> Vec<Vec<String>> {
    let voting = c.voting().iter().map(|(txn, v)| {
        let cast: Vec<String> = v
            .votes
            .iter()
            .map(|(p, vote)| format!("{p} {vote}"))
            .collect();
        let missing = names(
            v.spec
                .parts
                .keys()
                .copied()
                .filter(|p| !v.votes.contains_key(p)),
        );
        let detail = match (cast.is_empty(), missing.is_empty()) {
            (true, _) => format!("waiting for {missing}"),
            (false, true) => cast.join(", "),
            (false, false) => format!("{}; waiting for {missing}", cast.join(", ")),
        };
        vec![txn.to_string(), "collecting votes".into(), detail]
    });
    let finishing = c.finishing().iter().map(|(txn, f)| {
        let stage = match f.phase {
            Phase2::PreCommit => "pre-committing",
            Phase2::Commit => "committing",
        };
        let unacked = names(f.writers.iter().copied().filter(|w| !f.acked.contains(w)));
        vec![
            txn.to_string(),
            stage.into(),
            format!("acks missing from {unacked}"),
        ]
    });
    let decided = c.recent().iter().rev().map(|(txn, (outcome, why))| {
        let stage = match outcome {
            Outcome::Commit => "✓ committed",
            Outcome::Abort => "✗ aborted",
        };
        vec![txn.to_string(), stage.into(), why.clone()]
    });
    voting.chain(finishing).chain(decided).collect()
}

/// The coordinator's log (durable) and its transactions (volatile: gone while it is down).
fn coordinator(s: &Session<AtomicCommit>, id: NodeId) -> Html {
    let (durable, live) = match server(s, id) {
        Some(ServerState::Live(c)) => (c.durable_state(), Some(c)),
        Some(ServerState::Crashed(d)) => (d, None),
        None => return html! {},
    };
    let log: Vec<Vec<String>> = durable
        .log
        .iter()
        .rev()
        .map(|rec| match rec {
            LogRec::Commit { .. } => vec![format!("✓ {rec}")],
            LogRec::End { .. } => vec![rec.to_string()],
        })
        .collect();
    let txns = live.map(transactions).unwrap_or_default();
    html! {
        <div class={classes!("coordinator", live.is_none().then_some("crashed"))}>
            <p class="muted">{format!("Coordinator {id}{}",
                if live.is_none() { " — crashed: only its durable log remains" } else { "" })}</p>
            { grid("Coordinator log (aborts are never logged)", &["record, newest first"], &log, true, false) }
            { grid("Transactions", &["txn", "stage", "detail"], &txns, false, live.is_none()) }
        </div>
    }
}

/// The transaction form.
fn txn_form(ctx: &PanelCtx<'_>, participants: &[NodeId], coordinator: NodeId) -> Html {
    let (values, d) = (ctx.forms.get(forms::TXN), ctx.dispatch);
    let rows: Html = participants
        .iter()
        .map(|p| {
            let on = values.on(&forms::cell(*p, "on"));
            html! {
                <li class="txn-row">
                    { field(forms::TXN, values, &forms::cell(*p, "on"), &p.to_string()).checkbox().view(d) }
                    { field(forms::TXN, values, &forms::cell(*p, "key"), &format!("key on {p}"))
                        .size(5).quiet_label().disabled(!on).view(d) }
                    <span aria-hidden="true">{"="}</span>
                    { field(forms::TXN, values, &forms::cell(*p, "value"), &format!("value on {p} (empty: read)"))
                        .size(5).quiet_label().placeholder("read").disabled(!on).view(d) }
                </li>
            }
        })
        .collect();
    let body = html! {
        <>
            <h3>{"New transaction"}</h3>
            <ul>{rows}</ul>
            <p class="muted">{"Empty value = read only. A negative value breaks the participants' constraint (they vote no)."}</p>
            <button class="btn" type="submit">{format!("Submit to {coordinator}")}</button>
        </>
    };
    form(forms::TXN, values, "txn-form", "New transaction", body, d)
}

impl Panel for AtomicCommitPanel {
    fn entries(&self) -> &'static [&'static dyn Protocol] {
        ENTRIES
    }

    fn lead_line(&self, pg: &dyn Playground) -> String {
        let Some(s) = session::<AtomicCommit>(pg) else {
            return String::new();
        };
        let (coordinator, participants) = cast(s);
        format!(
            "{coordinator} coordinates {} participants ({})",
            participants.len(),
            variant(s)
        )
    }

    fn node_note(&self, pg: &dyn Playground, node: NodeId) -> Option<String> {
        let c = session::<AtomicCommit>(pg)?.sim().client(node)?;
        Some(match c.waiting() {
            0 => "idle".to_string(),
            n => format!("waiting for {}", crate::model::count(n, "answer")),
        })
    }

    fn own_tab(&self) -> &'static str {
        "Commit"
    }

    fn clients_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<AtomicCommit>(ctx.pg) else {
            return html! {};
        };
        let (coord, participants) = cast(s);
        html! {
            <section class="commit-panel" aria-label="Transactions">
                { txn_form(ctx, &participants, coord) }
            </section>
        }
    }

    fn settings_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<AtomicCommit>(ctx.pg) else {
            return html! {};
        };
        let c = s.sim().config();
        let rows = [
            ("protocol", variant(s)),
            ("coordinator", c.coordinator.to_string()),
            (
                "vote timeout",
                format!("{} ms, then the coordinator aborts", c.vote_timeout_ms),
            ),
            (
                "retry interval",
                format!(
                    "{} ms (decisions resent, prepared participants ask again)",
                    c.retry_ms
                ),
            ),
            (
                "client waits",
                format!(
                    "{} ms, then reports the outcome unknown",
                    c.client_timeout_ms
                ),
            ),
        ];
        crate::panels::config_table(
            "Atomic commit configuration (set in a scenario's config)",
            &rows,
        )
    }

    fn protocol_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<AtomicCommit>(ctx.pg) else {
            return html! {};
        };
        let (coord, participants) = cast(s);
        let client = clients(s).next().map(|(id, _)| id);
        let rows: Html = participants
            .iter()
            .map(|p| participant(s, *p, client, ctx.dispatch))
            .collect();
        html! {
            <section class="commit-panel" aria-label="Atomic commit">
                <h2>{format!("Atomic commit ({})", variant(s))}</h2>
                <table class="participants">
                    <caption>{"Participants"}</caption>
                    <thead><tr>
                        <th scope="col">{"node"}</th><th scope="col">{"state"}</th>
                        <th scope="col">{"holds"}</th>
                        <th scope="col"><span class="visually-hidden">{"vote"}</span></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                { coordinator(s, coord) }
            </section>
        }
    }

    fn legend_extras(&self) -> Html {
        html! {
            <li>{ icons::icon(Icon::Blocked) }{" blocked: a prepared participant that asked for the decision and heard nothing — it holds its locks"}</li>
        }
    }

    fn history(&self, pg: &dyn Playground) -> ClientHistory {
        session::<AtomicCommit>(pg)
            .map(history::history)
            .unwrap_or_default()
    }

    fn trace_mark(&self, pg: &dyn Playground, index: usize) -> Option<Mark> {
        history::mark(session::<AtomicCommit>(pg)?, index)
    }

    fn forms(&self, pg: &dyn Playground) -> Vec<(&'static str, Form)> {
        let participants = session::<AtomicCommit>(pg)
            .map(|s| cast(s).1)
            .unwrap_or_default();
        vec![(forms::TXN, forms::txn_form(&participants))]
    }

    fn submit(&self, form: &str, values: &Form, pg: &dyn Playground) -> Result<Submitted, Invalid> {
        let s = session::<AtomicCommit>(pg).ok_or_else(|| {
            Invalid::field("cannot submit", "", "this is not an atomic commit session")
        })?;
        if form != forms::TXN {
            return Err(Invalid::field(
                "cannot submit",
                "",
                format!("atomic commit has no form {form:?}"),
            ));
        }
        let (coordinator, participants) = cast(s);
        let client = clients(s).next().map(|(id, _)| id);
        forms::txn_control(values, &participants, client, coordinator).map(Submitted::Apply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::{build, Scenario, Time};

    #[test]
    fn a_committed_transaction_shows_in_the_log_and_the_participants() {
        let mut scenario = Scenario::new(THREE_PC.id(), 1);
        scenario.cluster.nodes = 4;
        scenario.cluster.clients = 1;
        let mut pg = build(&scenario).unwrap();
        let s = session::<AtomicCommit>(pg.as_ref()).unwrap();
        assert_eq!(variant(s), "3PC");
        let (coord, parts) = cast(s);
        let control = forms::txn_control(
            &forms::txn_form(&parts),
            &parts,
            Some(NodeId::client(0)),
            coord,
        )
        .unwrap();
        pg.apply(control).unwrap();
        pg.run_until(Time(3_000), u64::MAX);
        let s = session::<AtomicCommit>(pg.as_ref()).unwrap();
        let Some(ServerState::Live(c)) = server(s, coord) else {
            panic!("the coordinator runs");
        };
        assert!(c
            .durable_state()
            .log
            .iter()
            .any(|r| matches!(r, LogRec::End { .. })));
        let Some(ServerState::Live(p)) = server(s, parts[0]) else {
            panic!("the participant runs");
        };
        assert_eq!(participant_state(p.durable_state()), "committed");
        assert!(in_doubt(p.durable_state(), Some(p)).is_empty());
        assert!(!p.blocked() && !p.refusing());
        assert_eq!(
            AtomicCommitPanel.lead_line(pg.as_ref()),
            "n1 coordinates 3 participants (3PC)"
        );
    }
}
