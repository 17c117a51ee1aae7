//! PBFT's panel: who is primary of which view, a replica's standing (view, primary or backup,
//! faulty behaviour, water marks, stable checkpoint, view change, what it rejected), the log
//! matrix (replicas × sequence numbers, each cell a phase with its certificate counts), a
//! Byzantine-behaviour picker per replica, and the clients (form, operations with the `f + 1`
//! replicas whose matching replies were accepted) — all from the typed state
//! (`Session<Pbft>`).

pub mod forms;
pub mod views;

use super::{clients as client_actors, server, session, Panel, PanelCtx, ServerState, Submitted};
use crate::components::form::{field, form};
use crate::components::tables::grid;
use crate::model::analysis::history::{linearizable_history, ClientHistory};
use crate::model::analysis::index::Mark;
use crate::model::form::{Form, Invalid};
use netsplit_core::kernel::trace::TraceEvent;
use netsplit_core::protocols::pbft::{
    max_faulty, Behaviour, Pbft, PbftMsg, PbftOp, Replica, PROTOCOL,
};
use netsplit_core::run::playground::Session;
use netsplit_core::run::registry::Protocol;
use netsplit_core::{NodeId, Playground};
use yew::prelude::*;

/// The PBFT panel.
pub struct PbftPanel;

static ENTRIES: &[&dyn Protocol] = &[&PROTOCOL];

/// Every running replica, in id order.
fn replicas(s: &Session<Pbft>) -> Vec<&Replica> {
    let sim = s.sim();
    sim.members()
        .iter()
        .filter_map(|id| sim.server(*id))
        .collect()
}

/// Every client's history, in client order.
fn histories(s: &Session<Pbft>) -> Vec<(NodeId, &[PbftOp])> {
    client_actors(s).map(|(id, c)| (id, c.history())).collect()
}

/// The primary most correct replicas follow: (view, primary), the highest view a running
/// replica operates in normally.
pub fn current_primary(replicas: &[&Replica]) -> Option<(u64, NodeId)> {
    replicas
        .iter()
        .filter(|r| r.mode() == netsplit_core::protocols::pbft::Mode::Normal)
        .map(|r| (r.current_view(), r.primary()))
        .max()
}

/// Label-value lines as a definition list.
fn lines(items: Vec<(String, String)>) -> Html {
    let items: Html = items
        .into_iter()
        .map(|(k, v)| html! { <><dt>{k}</dt><dd>{v}</dd></> })
        .collect();
    html! { <dl class="pbft-lines">{items}</dl> }
}

/// The log matrix: a row per replica, a column per recent sequence number.
fn matrix(s: &Session<Pbft>) -> Html {
    let live = replicas(s);
    let columns = views::matrix_columns(&live);
    let mut head = vec!["replica".to_string()];
    head.extend(columns.iter().map(|n| format!("n={n}")));
    let rows: Vec<Vec<String>> = s
        .sim()
        .members()
        .iter()
        .map(|id| {
            let mut row = vec![id.to_string()];
            match s.sim().server(*id) {
                Some(r) => {
                    if let Some(b) = r.behaviour() {
                        row[0] = format!("{id} ☠ {b}");
                    }
                    row.extend(views::matrix_row(r, &columns));
                }
                None => row.extend(columns.iter().map(|_| "✗".to_string())),
            }
            row
        })
        .collect();
    html! {
        <div class="pbft-matrix">
            { grid("Log matrix (phase · matching prepares p · commits c)", &head, &rows, true, false) }
            <p class="muted">{"· empty · PP pre-prepared · P prepared (pre-prepare + 2f prepares) · C committed (2f + 1 commits) · E executed · ✗ crashed"}</p>
        </div>
    }
}

/// The replicas' table with a Byzantine-behaviour picker per replica.
fn faults(ctx: &PanelCtx<'_>, s: &Session<Pbft>) -> Html {
    let values = ctx.forms.get(forms::FAULTS);
    let d = ctx.dispatch;
    let sim = s.sim();
    let n = sim.cluster_size();
    let rows: Html = sim
        .members()
        .iter()
        .map(|id| {
            let (view, standing, title) = match server(s, *id) {
                Some(ServerState::Live(r)) => (
                    r.current_view().to_string(),
                    views::role_word(r),
                    views::standing(r),
                ),
                Some(ServerState::Crashed(dur)) => (
                    dur.view.to_string(),
                    "✗ crashed".to_string(),
                    "crashed: only its disk remains".to_string(),
                ),
                None => return html! {},
            };
            let picker = field(
                forms::FAULTS,
                values,
                &forms::fault_field(*id),
                &format!("behaviour of {id}"),
            )
            .select(forms::fault_choices())
            .quiet_label()
            .live()
            .view(d);
            html! {
                <tr data-replica={id.to_string()}>
                    <th scope="row">{id.to_string()}</th>
                    <td>{view}</td>
                    <td {title}>{standing}</td>
                    <td>{picker}</td>
                </tr>
            }
        })
        .collect();
    let f = max_faulty(n);
    let more = field(
        forms::FAULTS,
        values,
        forms::MORE_THAN_F,
        "more than f (safety not guaranteed)",
    )
    .checkbox()
    .live()
    .title("allow more faulty replicas than the cluster tolerates: the f + 1 demonstration")
    .view(d);
    let help: Html = Behaviour::ALL
        .iter()
        .map(|b| html! { <li><b>{format!("☠ {b}")}</b>{": "}{b.summary()}</li> })
        .collect();
    let body = html! {
        <>
            <table class="pbft-replicas">
                <caption>{format!("Replicas: n = {n}, f = {f}, quorum 2f + 1 = {}", n - f)}</caption>
                <thead><tr>
                    <th scope="col">{"replica"}</th><th scope="col">{"view"}</th>
                    <th scope="col">{"role"}</th>
                    <th scope="col">{"behaviour"}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <div class="toggles">{more}</div>
            <details class="pbft-behaviours">
                <summary>{"What the faulty behaviours do"}</summary>
                <ul>{help}</ul>
                <p class="muted">{"To crash a replica, select it and press Crash. A change of behaviour replays this run from the start with the same seed and actions."}</p>
            </details>
        </>
    };
    form(
        forms::FAULTS,
        values,
        "faults-form",
        "Faulty replicas",
        body,
        d,
    )
}

/// The client form and the latest operations.
fn clients(ctx: &PanelCtx<'_>, s: &Session<Pbft>) -> Html {
    let histories = histories(s);
    if histories.is_empty() {
        return html! {};
    }
    let values = ctx.forms.get(forms::CLIENT);
    let d = ctx.dispatch;
    let op = values.get("op");
    let names = histories.iter().map(|(id, _)| id.to_string());
    let nodes = (0..s.sim().cluster_size()).map(|i| NodeId::from_index(i).to_string());
    let body = html! {
        <>
            { field(forms::CLIENT, values, "client", "client").choose(names).view(d) }
            { field(forms::CLIENT, values, "node", "to").choose(nodes).view(d) }
            { field(forms::CLIENT, values, "op", "op").choose(crate::panels::raft::forms::OPS).view(d) }
            { field(forms::CLIENT, values, "key", "key").view(d) }
            if op == "put" || op == "cas" {
                { field(forms::CLIENT, values, "value", if op == "cas" { "new" } else { "value" }).view(d) }
            }
            if op == "cas" {
                { field(forms::CLIENT, values, "expected", "expect").size(5)
                    .title("the value the key must hold now (empty = absent)").view(d) }
            }
            <button class="btn" type="submit">{"Send"}</button>
        </>
    };
    let mut ops: Vec<(NodeId, &PbftOp)> = histories
        .iter()
        .flat_map(|(id, h)| h.iter().map(move |o| (*id, o)))
        .collect();
    ops.sort_by_key(|(id, o)| std::cmp::Reverse((o.invoked_at, o.timestamp, *id)));
    let list: Html = ops
        .into_iter()
        .take(10)
        .map(|(id, o)| html! { <li class="mono">{views::op_line(id, o)}</li> })
        .collect();
    let waiting: Html = client_actors(s)
        .filter_map(|(id, c)| views::pending_replies(c).map(|p| (id, p)))
        .map(|(id, p)| html! { <li>{format!("{id}: {p}")}</li> })
        .collect();
    let f = max_faulty(s.sim().cluster_size());
    html! {
        <section class="panel pbft-clients" aria-label="Clients">
            <h3>{"Clients"}</h3>
            { form(forms::CLIENT, values, "client-form", "Send a command", body, d) }
            <p class="muted">{format!("A client accepts a result once f + 1 = {} replicas sent matching replies: at least one of them is correct.", f + 1)}</p>
            <ul class="pbft-waiting">{waiting}</ul>
            <ol class="client-log" aria-label="Latest client operations">{list}</ol>
        </section>
    }
}

impl Panel for PbftPanel {
    fn entries(&self) -> &'static [&'static dyn Protocol] {
        ENTRIES
    }

    fn lead_line(&self, pg: &dyn Playground) -> String {
        let Some(s) = session::<Pbft>(pg) else {
            return String::new();
        };
        let n = s.sim().cluster_size();
        let faulty = s.sim().config().byzantine.len();
        let faults = match faulty {
            0 => "no faulty replicas".to_string(),
            k => format!("{k} faulty"),
        };
        match current_primary(&replicas(s)) {
            Some((view, primary)) => {
                format!(
                    "{primary} is primary of view {view} · n = {n}, f = {} · {faults}",
                    max_faulty(n)
                )
            }
            None => format!("view change under way · n = {n} · {faults}"),
        }
    }

    fn node_note(&self, pg: &dyn Playground, node: NodeId) -> Option<String> {
        let c = session::<Pbft>(pg)?.sim().client(node)?;
        Some(
            c.history()
                .last()
                .map_or_else(|| "idle".to_string(), views::latest),
        )
    }

    fn inspector_body(&self, ctx: &PanelCtx<'_>, node: NodeId) -> Html {
        let Some(s) = session::<Pbft>(ctx.pg) else {
            return html! {};
        };
        if let Some(c) = s.sim().client(node) {
            let ops: Html = c
                .history()
                .iter()
                .rev()
                .map(|o| html! { <li class="mono">{views::op_line(node, o)}</li> })
                .collect();
            return html! {
                <>
                    <p class="explain">{format!(
                        "It signs each request with its id and a timestamp, sends it to one replica (a backup relays it to the primary), and accepts a result once {} replicas sent matching replies. With no answer in time it resends the request to every replica.",
                        c.replies_needed()
                    )}</p>
                    if let Some(p) = views::pending_replies(c) {
                        <p class="explain">{p}</p>
                    }
                    <h3>{"Operations"}</h3>
                    <ol class="client-log" aria-label={format!("Operations of {node}")}>{ops}</ol>
                </>
            };
        }
        let items = match server(s, node) {
            Some(ServerState::Live(r)) => views::replica_lines(r),
            Some(ServerState::Crashed(d)) => views::crashed_lines(d),
            None => return html! {},
        };
        html! {
            <>
                <h3>{"Replica"}</h3>
                { lines(items) }
            </>
        }
    }

    fn own_tab(&self) -> &'static str {
        "Replicas"
    }

    fn clients_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Pbft>(ctx.pg) else {
            return html! {};
        };
        clients(ctx, s)
    }

    fn protocol_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Pbft>(ctx.pg) else {
            return html! {};
        };
        html! {
            <section class="panel pbft-panel" aria-label="PBFT">
                <h3>{"PBFT"}</h3>
                { faults(ctx, s) }
                { matrix(s) }
            </section>
        }
    }

    fn history(&self, pg: &dyn Playground) -> ClientHistory {
        let Some(s) = session::<Pbft>(pg) else {
            return ClientHistory::default();
        };
        linearizable_history(histories(s), |o, n| (o.event(n), o.gave_up))
    }

    fn trace_mark(&self, pg: &dyn Playground, index: usize) -> Option<Mark> {
        // A replica announces each checkpoint it takes: the first announcement of a sequence
        // number marks it on the sender's lane.
        let entry = session::<Pbft>(pg)?.sim().trace().get(index)?;
        match &entry.event {
            TraceEvent::Send {
                from,
                msg: PbftMsg::Checkpoint(c),
                duplicate: false,
                ..
            } => Some(Mark {
                node: *from,
                family: "checkpoint",
                key: c.seq,
                label: format!("checkpoint {}", c.seq),
            }),
            _ => None,
        }
    }

    fn legend_extras(&self) -> Html {
        html! {
            <>
                <li>{"☠ + dotted outline: a faulty (Byzantine) replica, its behaviour named under it · ⟳ a view change under way · ⇣ fetching a checkpoint's state"}</li>
                <li>{"the three phases: PP ▲ pre-prepare → P ● prepare → C ◆ commit · T1 inside a replica = its view 1"}</li>
            </>
        }
    }

    fn forms(&self, pg: &dyn Playground) -> Vec<(&'static str, Form)> {
        let faults = session::<Pbft>(pg)
            .map(|s| forms::faults_form(s.sim().config(), s.sim().cluster_size()))
            .unwrap_or_default();
        vec![
            (forms::CLIENT, forms::client_form()),
            (forms::FAULTS, faults),
        ]
    }

    fn submit(&self, form: &str, values: &Form, pg: &dyn Playground) -> Result<Submitted, Invalid> {
        let s = session::<Pbft>(pg)
            .ok_or_else(|| Invalid::field("cannot submit", "", "this is not a PBFT session"))?;
        let sim = s.sim();
        match form {
            forms::CLIENT => {
                forms::client_control(values, sim.cluster_size(), sim.cluster().clients)
                    .map(Submitted::Apply)
            }
            forms::FAULTS => {
                forms::faults_config(values, sim.cluster_size(), &pg.to_scenario().config)
                    .map(Submitted::Reconfigure)
            }
            other => Err(Invalid::field(
                "cannot submit",
                "",
                format!("PBFT has no form {other:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::history::Check;
    use netsplit_core::protocols::pbft::Phase;
    use netsplit_core::{build, Control, Scenario, Time};

    fn scenario(config: serde_json::Value) -> Scenario {
        let mut scenario = Scenario::new(PROTOCOL.id(), 1);
        scenario.cluster.nodes = 4;
        scenario.cluster.clients = 1;
        scenario.config = config;
        scenario
    }

    #[test]
    fn a_write_executes_everywhere_and_the_client_sees_f_plus_one_replies() {
        let mut pg = build(&scenario(serde_json::json!({}))).unwrap();
        let form = forms::client_form();
        let control = PbftPanel.submit(forms::CLIENT, &form, pg.as_ref()).unwrap();
        let Submitted::Apply(control) = control else {
            panic!("the client form applies a control");
        };
        pg.apply(control).unwrap();
        pg.run_until(Time(3_000), u64::MAX);
        let s = session::<Pbft>(pg.as_ref()).unwrap();
        let live = replicas(s);
        assert_eq!(current_primary(&live), Some((0, NodeId(0))));
        let columns = views::matrix_columns(&live);
        assert_eq!(columns, [1]);
        for r in &live {
            assert_eq!(r.phase(1), Phase::Executed, "{}", r.id());
            assert_eq!(views::matrix_row(r, &columns), ["E"]);
        }
        assert_eq!(views::standing(live[0]), "primary of view 0");
        assert_eq!(views::standing(live[1]), "backup in view 0 (primary n1)");
        let (c, h) = histories(s)[0];
        let line = views::op_line(c, &h[0]);
        assert!(line.starts_with("c1 #1 put x 1 → ok in "), "{line}");
        assert!(h[0].agreeing.len() >= 2, "f + 1 = 2 matching replies");
        // The analysis region's client history: the same operation, answered, checked for
        // linearizability; the checkpoint announcements (if any) are ticks on the diagram.
        let history = PbftPanel.history(pg.as_ref());
        assert_eq!(history.check, Check::Linearizability);
        assert_eq!(history.ops.len(), 1);
        let op = &history.ops[0];
        assert_eq!((op.client, op.label.as_str()), (c, "put x 1"));
        assert_eq!(op.status, crate::model::analysis::history::OpStatus::Ok);
        assert!(op.returned.is_some_and(|r| r >= op.invoked));
        assert!((0..pg.trace_len()).all(|i| PbftPanel
            .trace_mark(pg.as_ref(), i)
            .is_none_or(|m| m.family == "checkpoint")));
        assert_eq!(
            PbftPanel.lead_line(pg.as_ref()),
            "n1 is primary of view 0 · n = 4, f = 1 · no faulty replicas"
        );
    }

    #[test]
    fn the_faults_form_replays_with_a_faulty_primary_that_is_replaced() {
        let pg = build(&scenario(serde_json::json!({}))).unwrap();
        let mut form = PbftPanel
            .forms(pg.as_ref())
            .into_iter()
            .find(|(id, _)| *id == forms::FAULTS)
            .unwrap()
            .1;
        form.set("n1", "silent");
        let Ok(Submitted::Reconfigure(config)) =
            PbftPanel.submit(forms::FAULTS, &form, pg.as_ref())
        else {
            panic!("the faults form reconfigures");
        };
        assert_eq!(
            config,
            serde_json::json!({ "byzantine": { "n1": "silent" } })
        );
        let mut pg = build(&scenario(config)).unwrap();
        pg.apply(Control::Submit {
            client: NodeId::client(0),
            node: NodeId(1),
            op: "put x 1".into(),
        })
        .unwrap();
        pg.run_until(Time(8_000), u64::MAX);
        let s = session::<Pbft>(pg.as_ref()).unwrap();
        let live = replicas(s);
        let (view, primary) = current_primary(&live).unwrap();
        assert!(
            view >= 1 && primary != NodeId(0),
            "view {view}, primary {primary}"
        );
        assert!(views::replica_lines(live[0])
            .iter()
            .any(|(k, v)| k == "faulty" && v.starts_with("☠ silent")));
        for r in live.iter().filter(|r| r.behaviour().is_none()) {
            assert_eq!(r.phase(1), Phase::Executed, "{}", r.id());
        }
        assert!(PbftPanel.lead_line(pg.as_ref()).ends_with("1 faulty"));
    }
}
