//! Raft's panel: who leads, a server's log strip, the clients (form, latest operations with
//! latency) and the settings — all from Raft's typed state (`Session<Raft>`).

pub mod clients;
pub mod forms;
pub mod log_strip;

use super::{clients as client_actors, server, session, Panel, PanelCtx, Submitted};
use crate::model::analysis::history::{op_of_event, Check, ClientHistory};
use crate::model::analysis::index::Mark;
use crate::model::form::{Form, Invalid};
use netsplit_core::kernel::node::Server as _;
use netsplit_core::kernel::trace::TraceEvent;
use netsplit_core::protocols::raft::{ClientOp, Raft, RaftMsg, PROTOCOL};
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

    fn history(&self, pg: &dyn Playground) -> ClientHistory {
        let Some(s) = session::<Raft>(pg) else {
            return ClientHistory::default();
        };
        let mut ops: Vec<_> = histories(s)
            .into_iter()
            .flat_map(|(id, ops)| {
                // The checker's client numbers: c1 is 1.
                let number = id.client_index().map_or(0, |k| k as u32 + 1);
                ops.iter()
                    .map(move |o| op_of_event(id, o.event(number), o.gave_up))
            })
            .collect();
        ops.sort_by_key(|o| (o.invoked, o.client));
        ClientHistory {
            ops,
            check: Check::Linearizability,
            txns: Vec::new(),
        }
    }

    fn trace_mark(&self, pg: &dyn Playground, index: usize) -> Option<Mark> {
        // A leader announces its commit index in every AppendEntries: the first time a higher
        // one is announced anywhere, entries up to it just became committed.
        let entry = session::<Raft>(pg)?.sim().trace().get(index)?;
        match &entry.event {
            TraceEvent::Send {
                from,
                msg: RaftMsg::AppendEntries { leader_commit, .. },
                duplicate: false,
                ..
            } if *leader_commit > 0 => Some(Mark {
                node: *from,
                family: "commit",
                key: *leader_commit,
                label: format!("commit {leader_commit}"),
            }),
            _ => None,
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
