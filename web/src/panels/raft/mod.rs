//! Raft's panel: who leads, a server's log strip, the clients (form, latest operations with
//! latency) and the settings — all from Raft's typed state (`Session<Raft>`).

pub mod clients;
pub mod forms;
pub mod log_strip;

use super::{clients as client_actors, server, session, Panel, PanelCtx, Submitted};
use crate::model::form::{Form, Invalid};
use netsplit_core::kernel::node::Server as _;
use netsplit_core::protocols::raft::{ClientOp, Raft, PROTOCOL};
use netsplit_core::run::playground::Session;
use netsplit_core::run::registry::Protocol;
use netsplit_core::{NodeId, Playground};
use yew::prelude::*;

/// The Raft panel.
pub struct RaftPanel;

static ENTRIES: &[&dyn Protocol] = &[&PROTOCOL];

/// Every client's history, in client order.
fn histories(s: &Session<Raft>) -> Vec<(NodeId, &[ClientOp])> {
    client_actors(s).map(|(id, c)| (id, c.history())).collect()
}

impl Panel for RaftPanel {
    fn entries(&self) -> &'static [&'static dyn Protocol] {
        ENTRIES
    }

    fn lead_line(&self, pg: &dyn Playground) -> String {
        let Some(s) = session::<Raft>(pg) else {
            return String::new();
        };
        let sim = s.sim();
        let leader = sim
            .members()
            .iter()
            .filter_map(|id| sim.server(*id).map(|r| (*id, r)))
            .filter(|(_, r)| r.role().leads)
            .max_by_key(|(_, r)| r.current_term());
        match leader {
            Some((id, r)) => format!("{id} leads (term {})", r.current_term()),
            None => "no leader yet".to_string(),
        }
    }

    fn node_note(&self, pg: &dyn Playground, node: NodeId) -> Option<String> {
        let c = session::<Raft>(pg)?.sim().client(node)?;
        Some(
            c.history()
                .last()
                .map_or_else(|| "idle".to_string(), clients::latest),
        )
    }

    fn inspector_body(&self, ctx: &PanelCtx<'_>, node: NodeId) -> Html {
        let Some(s) = session::<Raft>(ctx.pg) else {
            return html! {};
        };
        if let Some(c) = s.sim().client(node) {
            let lines: Html = c
                .history()
                .iter()
                .rev()
                .map(|o| html! { <li class="mono">{clients::op_line(node, o)}</li> })
                .collect();
            return html! {
                <>
                    <p class="explain">{"It sends each command to a server, follows redirects to the leader, backs off when nobody knows one, and retries after a timeout with the same sequence number — so the command takes effect exactly once."}</p>
                    <h3>{"Operations"}</h3>
                    <ol class="client-log" aria-label={format!("Operations of {node}")}>{lines}</ol>
                </>
            };
        }
        match server(s, node) {
            Some(st) => html! {
                <>
                    <h3>{"Log"}</h3>
                    { log_strip::strip(node, &st).view() }
                </>
            },
            None => html! {},
        }
    }

    fn side_panel(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Raft>(ctx.pg) else {
            return html! {};
        };
        let sim = s.sim();
        html! {
            <>
                { clients::clients(ctx, &histories(s), sim.cluster_size()) }
                { clients::settings(ctx, sim.config()) }
            </>
        }
    }

    fn forms(&self, pg: &dyn Playground) -> Vec<(&'static str, Form)> {
        let settings = session::<Raft>(pg)
            .map(|s| forms::settings_form(s.sim().config()))
            .unwrap_or_default();
        vec![
            (forms::CLIENT, forms::client_form()),
            (forms::SETTINGS, settings),
        ]
    }

    fn submit(&self, form: &str, values: &Form, pg: &dyn Playground) -> Result<Submitted, Invalid> {
        let s = session::<Raft>(pg)
            .ok_or_else(|| Invalid::field("cannot submit", "", "this is not a Raft session"))?;
        let sim = s.sim();
        match form {
            forms::CLIENT => {
                forms::client_control(values, sim.cluster_size(), sim.cluster().clients)
                    .map(Submitted::Apply)
            }
            forms::SETTINGS => {
                forms::settings_config(values, sim.config(), &pg.to_scenario().config)
                    .map(Submitted::Reconfigure)
            }
            other => Err(Invalid::field(
                "cannot submit",
                "",
                format!("Raft has no form {other:?}"),
            )),
        }
    }
}
