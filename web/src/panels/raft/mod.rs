//! Raft's panel: who leads, a server's log strip, the clients (form, latest operations with
//! latency and each command's fate in the logs), the settings, and the elections explained —
//! all from Raft's typed state and trace (`Session<Raft>`).

pub mod clients;
pub mod elections;
pub mod fate;
pub mod forms;
pub mod log_strip;

use super::{clients as client_actors, server, session, Before, Panel, PanelCtx, Submitted};
use crate::model::analysis::history::{linearizable_history, ClientHistory};
use crate::model::analysis::index::Mark;
use crate::model::explain::Explained;
use crate::model::form::{Form, Invalid};
use fate::{FateIndex, Holder};
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

/// Every server's log as the fate of a command reads it (a crashed server's disk included).
fn holders(s: &Session<Raft>) -> Vec<Holder<'_>> {
    s.sim()
        .members()
        .iter()
        .filter_map(|id| server(s, *id).map(|st| (*id, st)))
        .map(|(id, st)| Holder::of(id, &st))
        .collect()
}

/// What became of each command in the logs, with the panel's memo (an index of the trace,
/// read incrementally) brought up to date first.
fn with_fates<R>(
    ctx: &PanelCtx<'_>,
    s: &Session<Raft>,
    f: impl FnOnce(&dyn Fn(NodeId, &ClientOp) -> String) -> R,
) -> R {
    let mut memo = ctx.memo.borrow_mut();
    if !memo.as_ref().is_some_and(|m| m.is::<FateIndex>()) {
        *memo = Some(Box::new(FateIndex::default()));
    }
    let index = memo
        .as_mut()
        .and_then(|m| m.downcast_mut::<FateIndex>())
        .expect("just made sure");
    index.update(s.sim().trace(), ctx.trace_epoch);
    let holders = holders(s);
    let index: &FateIndex = index;
    f(&|client, op| fate::describe(&fate::placements(index, client, op.seq, &holders), &holders))
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
            let lines: Html = with_fates(ctx, s, |fate| {
                c.history()
                    .iter()
                    .rev()
                    .map(|o| clients::op_item(node, o, &fate(node, o)))
                    .collect()
            });
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

    fn own_tab(&self) -> &'static str {
        "Elections"
    }

    fn clients_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Raft>(ctx.pg) else {
            return html! {};
        };
        let servers = s.sim().cluster_size();
        with_fates(ctx, s, |fate| {
            clients::clients(ctx, &histories(s), servers, fate)
        })
    }

    fn settings_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Raft>(ctx.pg) else {
            return html! {};
        };
        clients::settings(ctx, s.sim().config())
    }

    fn protocol_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let Some(s) = session::<Raft>(ctx.pg) else {
            return html! {};
        };
        let sim = s.sim();
        let items: Html = ctx
            .explanations
            .iter()
            .map(|e| {
                html! {
                    <li class={classes!("explanation", e.kind.name())} data-kind={e.kind.name()}>
                        <span class="when mono">{format!("t={}", e.at)}</span>
                        <span class="what">{e.text.clone()}</span>
                    </li>
                }
            })
            .collect();
        let leader = sim
            .members()
            .iter()
            .filter_map(|id| sim.server(*id).map(|r| (*id, r)))
            .filter(|(_, r)| r.role().leads)
            .max_by_key(|(_, r)| r.current_term())
            .map(|(id, _)| id);
        let c = sim.config();
        html! {
            <section class="panel raft-elections" aria-label="Elections">
                <h3>{"Latest elections, newest first"}</h3>
                if ctx.explanations.is_empty() {
                    <p class="muted">{"No election has finished yet."}</p>
                } else {
                    <ol class="explanations">{items}</ol>
                }
                <p class="muted">{format!(
                    "Each server waits a random election timeout between {} and {} ms, drawn anew every time it is reset (by a heartbeat from the leader, or by granting a vote). The first to expire asks for votes; a majority makes it leader. Two candidates at once can split the vote: then nobody wins and the next timeout starts a new term.",
                    c.election_timeout_min_ms, c.election_timeout_max_ms
                )}</p>
                if let Some(id) = leader {
                    if let Some(st) = server(s, id) {
                        <h3>{format!("The leader's log ({id})")}</h3>
                        { log_strip::strip(id, &st).view() }
                    }
                }
            </section>
        }
    }

    fn explanations(&self, pg: &dyn Playground, before: Before<'_>) -> Explained {
        let Some(s) = session::<Raft>(pg) else {
            return Explained::default();
        };
        let sim = s.sim();
        let trace = sim.trace();
        // Room before the first campaign for the timeouts that started it (and a pre-vote).
        let lead = 3 * sim.config().election_timeout_max_ms;
        let start = elections::window_start(trace, lead);
        let (stories, fires) = elections::stories(trace.iter_from(start));
        elections::explain(&stories, &fires, sim.cluster_size(), before)
    }

    fn history(&self, pg: &dyn Playground) -> ClientHistory {
        let Some(s) = session::<Raft>(pg) else {
            return ClientHistory::default();
        };
        linearizable_history(histories(s), |o, n| (o.event(n), o.gave_up))
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

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::run::registry::Registry;
    use netsplit_core::Time;

    #[test]
    fn the_minority_write_scenario_tells_each_commands_fate() {
        let scenario = Registry::builtin()
            .load_gallery("raft-minority-write")
            .unwrap();
        let mut pg = netsplit_core::build(&scenario).unwrap();
        let fate_at = |pg: &dyn Playground, client: usize| {
            let s = session::<Raft>(pg).unwrap();
            let mut index = FateIndex::default();
            index.update(s.sim().trace(), 0);
            let holders = holders(s);
            fate::describe(
                &fate::placements(&index, NodeId::client(client), 1, &holders),
                &holders,
            )
        };
        pg.run_until(Time(2_999), u64::MAX);
        assert_eq!(
            fate_at(pg.as_ref(), 0),
            "appended at 2@T2 by n3, not committed (yet)"
        );
        pg.run_until(scenario.until.unwrap(), u64::MAX);
        assert_eq!(
            fate_at(pg.as_ref(), 0),
            "appended at 2@T2 by n3, later discarded"
        );
        assert_eq!(fate_at(pg.as_ref(), 1), "appended at 3@T6 by n2, committed");
        // The explanations of the same run: the majority's split votes, then n2's win.
        let answer = RaftPanel.explanations(pg.as_ref(), &|_| None);
        assert!(!answer.need.is_empty(), "the winner's timer is looked up");
        let kinds: Vec<&str> = answer.items.iter().map(|e| e.kind.name()).collect();
        assert!(kinds.contains(&"split-vote"), "{:?}", answer.items);
    }
}
