//! The Dynamo-style store's panel: a client request form, each client's results, each
//! replica's keys, the ring, the failure detectors and the CAP comparison — all from the
//! store's typed state (`Session<Dynamo>`).

pub mod forms;
pub mod history;
pub mod views;

use super::{clients, session, Panel, PanelCtx, Submitted};
use crate::components::form::{field, form};
use crate::model::analysis::history::ClientHistory;
use crate::model::form::{Form, Invalid};
use netsplit_core::protocols::dynamo::compare::CompareTable;
use netsplit_core::protocols::dynamo::{Dynamo, PROTOCOL};
use netsplit_core::run::registry::Protocol;
use netsplit_core::{NodeId, Playground};
use std::rc::Rc;
use yew::prelude::*;

/// The store's panel.
pub struct DynamoPanel;

static ENTRIES: &[&dyn Protocol] = &[&PROTOCOL];

/// The request form.
fn request(ctx: &PanelCtx<'_>, servers: usize, client_ids: Vec<NodeId>) -> Html {
    let (values, d) = (ctx.forms.get(forms::REQUEST), ctx.dispatch);
    if client_ids.is_empty() {
        return html! { <p class="muted">{"This scenario has no simulated clients (cluster.clients = 0)."}</p> };
    }
    let put = values.get("kind") == "put";
    let f = |name: &str, label: &str| field(forms::REQUEST, values, name, label);
    let body = html! {
        <>
            { f("client", "client").choose(client_ids).view(d) }
            { f("node", "via").choose((0..servers).map(NodeId::from_index)).view(d) }
            { f("kind", "op").choose(["put", "get"]).view(d) }
            { f("key", "key").size(8).view(d) }
            if put {
                { f("value", "value").size(8).view(d) }
            }
            { f("level", "level").choose(forms::LEVELS).view(d) }
            { f("sloppy", "sloppy quorum").checkbox().view(d) }
            if put {
                { f("ctx_last", "ctx=last").checkbox()
                    .title("supersede what this client last read of the key").view(d) }
            }
            <code class="kv-cmd">{forms::command(values)}</code>
            <button class="btn" type="submit">{"Submit"}</button>
        </>
    };
    form(forms::REQUEST, values, "kv-form", "Client request", body, d)
}

/// The CAP comparison: its form and, once run, its table.
fn cap(ctx: &PanelCtx<'_>) -> Html {
    let (values, d) = (ctx.forms.get(forms::CAP), ctx.dispatch);
    let body = html! {
        <>
            { field(forms::CAP, values, "seed", "seed").size(6).view(d) }
            { field(forms::CAP, values, "conflict", "conflicts")
                .choose(forms::MODES.map(|m| m.name())).view(d) }
            <button class="btn" type="submit">{"Compare LOCAL · EVENTUAL · STRONG"}</button>
        </>
    };
    html! {
        <>
            { form(forms::CAP, values, "cap-form", "CAP comparison", body, d) }
            {
                match values.output::<CompareTable>() {
                    Some(t) => views::cap_table(t),
                    None => html! { <p class="muted">{"Runs the same seed and fault schedule under each level (a 5-node cluster, 3 clients, a minority partition then an isolated node)."}</p> },
                }
            }
        </>
    }
}

impl Panel for DynamoPanel {
    fn entries(&self) -> &'static [&'static dyn Protocol] {
        ENTRIES
    }

    fn lead_line(&self, pg: &dyn Playground) -> String {
        let Some(s) = session::<Dynamo>(pg) else {
            return String::new();
        };
        let sim = s.sim();
        let n = sim.config().replicas.min(sim.cluster_size());
        format!("leaderless: every replica is a peer ({n} replicas per key)")
    }

    fn node_note(&self, pg: &dyn Playground, node: NodeId) -> Option<String> {
        let c = session::<Dynamo>(pg)?.sim().client(node)?;
        let last = c.history().last();
        Some(match (c.idle(), last) {
            (false, _) => "busy".to_string(),
            (true, Some(r)) => format!("{}: {}", r.op, if r.reply.ok() { "ok" } else { "failed" }),
            (true, None) => "idle".to_string(),
        })
    }

    fn own_tab(&self) -> &'static str {
        "Store"
    }

    fn clients_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Dynamo>(ctx.pg) else {
            return html! {};
        };
        let client_ids: Vec<NodeId> = clients(s).map(|(id, _)| id).collect();
        html! {
            <section class="kv-panel" aria-label="Key-value store clients">
                <h3>{"Client request"}</h3>
                { request(ctx, s.sim().cluster_size(), client_ids) }
                <h3>{"Results"}</h3>
                { views::results(s) }
            </section>
        }
    }

    fn settings_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Dynamo>(ctx.pg) else {
            return html! {};
        };
        views::config(s.sim().config())
    }

    fn protocol_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Dynamo>(ctx.pg) else {
            return html! {};
        };
        html! {
            <section class="kv-panel" aria-label="Key-value store">
                <h3>{"Replicas"}</h3>
                { views::replicas(s) }
                <h3>{"Ring"}</h3>
                { views::ring_view(s) }
                <h3>{"Failure detection"}</h3>
                { views::detectors(s) }
                <h3>{"CAP side by side"}</h3>
                { cap(ctx) }
            </section>
        }
    }

    fn history(&self, pg: &dyn Playground) -> ClientHistory {
        session::<Dynamo>(pg)
            .map(history::history)
            .unwrap_or_default()
    }

    fn forms(&self, _pg: &dyn Playground) -> Vec<(&'static str, Form)> {
        vec![
            (forms::REQUEST, forms::request_form()),
            (forms::CAP, forms::cap_form()),
        ]
    }

    fn submit(&self, form: &str, values: &Form, pg: &dyn Playground) -> Result<Submitted, Invalid> {
        let s = session::<Dynamo>(pg).ok_or_else(|| {
            Invalid::field("cannot submit", "", "this is not a Dynamo-style session")
        })?;
        let sim = s.sim();
        match form {
            forms::REQUEST => {
                forms::request_control(values, sim.cluster_size(), sim.cluster().clients)
                    .map(Submitted::Apply)
            }
            forms::CAP => forms::cap_table(values).map(|t| Submitted::Output(Rc::new(t))),
            other => Err(Invalid::field(
                "cannot submit",
                "",
                format!("the store has no form {other:?}"),
            )),
        }
    }
}
