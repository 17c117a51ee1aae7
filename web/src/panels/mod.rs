//! Protocol panels: one module per protocol behind one [`Panel`] trait, and one registry
//! ([`PANELS`], looked up with [`panel_for`]) keyed by the core registry's ids.
//!
//! A panel reads its protocol's **typed** state through the playground
//! (`pg.as_any().downcast_ref::<Session<Raft>>()`, see [`session`]) — never display strings or
//! `NodeView` labels. Everything protocol-neutral (the graph, the inspector's frame, the
//! legend) lives in `components/` and reads the protocol's `Look` from the core registry.
//!
//! Adding a protocol's panel: a module here, one line in [`PANELS`].

pub mod atomic_commit;
pub mod dynamo;
pub mod locks;
pub mod pbft;
pub mod raft;

use crate::model::action::Action;
use crate::model::analysis::history::ClientHistory;
use crate::model::analysis::index::Mark;
use crate::model::explain::{Explained, Explanation};
use crate::model::form::{Form, Forms, Invalid, WHOLE_FORM};
use netsplit_core::kernel::node::{Durable, Model};
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::run::playground::Session;
use netsplit_core::run::registry::Protocol;
use netsplit_core::{Control, NodeId, Playground, Time};
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use yew::{html, Callback, Html};

/// What a panel draws with.
pub struct PanelCtx<'a> {
    /// The running session (downcast it to the protocol's [`Session`]).
    pub pg: &'a dyn Playground,
    /// The current instant, protocol-neutral.
    pub snap: &'a Snapshot,
    /// Every form's state.
    pub forms: &'a Forms,
    /// Where actions go.
    pub dispatch: &'a Callback<Action>,
    /// What the panel explained about the run (newest first), from
    /// [`Panel::explanations`].
    pub explanations: &'a [Explanation],
    /// The panel's own memo between renders (e.g. an index over the trace); its type is the
    /// panel's business.
    pub memo: &'a RefCell<Option<Box<dyn Any>>>,
    /// Changes whenever the trace stops being an extension of the one memoized (a jump in
    /// time, another session): a memo keyed by it must start over.
    pub trace_epoch: u64,
}

/// The past states a panel may look up while explaining: the state at `t` (after every event
/// due at or before `t`), if the page already looked it up; else the panel lists `t` in
/// [`Explained::need`] and is asked again.
pub type Before<'a> = &'a dyn Fn(Time) -> Option<Rc<Snapshot>>;

/// What a valid form submission asks for.
#[derive(Clone)]
pub enum Submitted {
    /// Apply this user action (recorded in the scenario like any other).
    Apply(Control),
    /// Replay the run from the start with this protocol configuration (scenario `config`).
    Reconfigure(serde_json::Value),
    /// Keep this result with the form (for forms that compute rather than act).
    Output(Rc<dyn Any>),
}

impl std::fmt::Debug for Submitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Submitted::Apply(c) => f.debug_tuple("Apply").field(c).finish(),
            Submitted::Reconfigure(v) => f.debug_tuple("Reconfigure").field(v).finish(),
            Submitted::Output(_) => f.write_str("Output(..)"),
        }
    }
}

/// One protocol's part of the page.
pub trait Panel: Sync {
    /// The core registry entries this panel draws (one panel may serve several, as atomic
    /// commit serves 2PC and 3PC).
    fn entries(&self) -> &'static [&'static dyn Protocol];

    /// The inspector's first line when nothing is selected: who leads, or how the cluster is
    /// organised.
    fn lead_line(&self, pg: &dyn Playground) -> String;

    /// A few words on node `node` for its tooltip (e.g. a client's latest operation).
    fn node_note(&self, pg: &dyn Playground, node: NodeId) -> Option<String> {
        let _ = (pg, node);
        None
    }

    /// The protocol's part of the inspector for the selected node (after the generic frame).
    fn inspector_body(&self, ctx: &PanelCtx<'_>, node: NodeId) -> Html {
        let _ = (ctx, node);
        Html::default()
    }

    /// The label of the side panel's last tab, the protocol's own ("Elections", "Store"…).
    fn own_tab(&self) -> &'static str {
        "Protocol"
    }

    /// The Clients tab: send commands from the simulated clients, see what came back.
    fn clients_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let _ = ctx;
        html! { <p class="muted">{"This protocol has no simulated clients."}</p> }
    }

    /// The protocol's part of the Settings tab (under the network settings every protocol
    /// has).
    fn settings_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let _ = ctx;
        Html::default()
    }

    /// The protocol's own tab.
    fn protocol_tab(&self, ctx: &PanelCtx<'_>) -> Html {
        let _ = ctx;
        Html::default()
    }

    /// Sentences about the run worth showing where the eye is (over the graph): who won an
    /// election and why, a term that ended in a split vote… newest first, from the typed trace
    /// and state. Past states come from `before`; the ones it lacks go in
    /// [`Explained::need`]. Called when roles changed or time jumped, not every frame.
    fn explanations(&self, pg: &dyn Playground, before: Before<'_>) -> Explained {
        let _ = (pg, before);
        Explained::default()
    }

    /// Legend lines of its own (after the ones every protocol gets from its `Look`).
    fn legend_extras(&self) -> Html {
        Html::default()
    }

    /// The clients' operations (and, for transaction protocols, the transactions), from typed
    /// state, for the history pane; and what they are checked against.
    fn history(&self, pg: &dyn Playground) -> ClientHistory {
        let _ = pg;
        ClientHistory::default()
    }

    /// What trace entry `index` reports for the space-time diagram's ticks — a commit index
    /// announced, a transaction decided — read from the typed trace entry (never its text).
    fn trace_mark(&self, pg: &dyn Playground, index: usize) -> Option<Mark> {
        let _ = (pg, index);
        None
    }

    /// Its forms, with their initial values for this session.
    fn forms(&self, pg: &dyn Playground) -> Vec<(&'static str, Form)> {
        let _ = pg;
        Vec::new()
    }

    /// Check form `form` and say what it asks for, or what is wrong with it (per field).
    fn submit(&self, form: &str, values: &Form, pg: &dyn Playground) -> Result<Submitted, Invalid> {
        let _ = (values, pg);
        Err(Invalid::field(
            "cannot submit",
            WHOLE_FORM,
            format!("this protocol has no form {form:?}"),
        ))
    }
}

/// Every panel, one per protocol (a panel may serve several registry entries).
pub static PANELS: &[&dyn Panel] = &[
    &raft::RaftPanel,
    &dynamo::DynamoPanel,
    &atomic_commit::AtomicCommitPanel,
    &pbft::PbftPanel,
    &locks::LocksPanel,
];

/// The panel of a protocol the page has no panel for: the generic inspector and graph only.
pub struct PlainPanel;

impl Panel for PlainPanel {
    fn entries(&self) -> &'static [&'static dyn Protocol] {
        &[]
    }

    fn lead_line(&self, pg: &dyn Playground) -> String {
        let servers = pg.snapshot().servers();
        format!("{servers} servers")
    }
}

/// The panel of protocol `id` (a registry id or alias); [`PlainPanel`] if it has none.
pub fn panel_for(id: &str) -> &'static dyn Panel {
    PANELS
        .iter()
        .copied()
        .find(|p| {
            p.entries()
                .iter()
                .any(|e| e.id() == id || e.aliases().contains(&id))
        })
        .unwrap_or(&PlainPanel)
}

/// The client (field `client`) and the server (field `node`) a request form names, among
/// `clients` clients and `servers` servers; what is wrong goes to `wrong`.
pub fn sender(
    form: &Form,
    servers: usize,
    clients: usize,
    wrong: &mut Vec<(String, String)>,
) -> Option<(NodeId, NodeId)> {
    let client =
        NodeId::parse(form.get("client")).filter(|c| c.client_index().is_some_and(|k| k < clients));
    if client.is_none() {
        wrong.push(("client".into(), "choose a client".into()));
    }
    let node = NodeId::parse(form.get("node")).filter(|n| !n.is_client() && n.index() < servers);
    if node.is_none() {
        wrong.push(("node".into(), "choose a server".into()));
    }
    client.zip(node)
}

/// The request `op` from the client to the server in `to` (see [`sender`]), or every reason
/// in `wrong` it cannot be sent.
pub fn request(
    to: Option<(NodeId, NodeId)>,
    op: String,
    wrong: Vec<(String, String)>,
) -> Result<Control, Invalid> {
    match to {
        Some((client, node)) if wrong.is_empty() => Ok(Control::Submit { client, node, op }),
        _ => Err(Invalid::of("cannot send", wrong)),
    }
}

/// A read-only configuration as a two-column table: `(setting, value)` rows.
pub fn config_table(title: &str, rows: &[(&str, String)]) -> Html {
    let body: Html = rows
        .iter()
        .map(|(k, v)| html! { <tr><th scope="row">{*k}</th><td>{v.clone()}</td></tr> })
        .collect();
    html! {
        <table class="fields config">
            <caption>{title.to_string()}</caption>
            <tbody>{body}</tbody>
        </table>
    }
}

/// Nodes as `n2 n3`.
pub fn names(nodes: impl IntoIterator<Item = NodeId>) -> String {
    let names: Vec<String> = nodes.into_iter().map(|n| n.to_string()).collect();
    names.join(" ")
}

/// The typed session behind `pg`, if it runs protocol model `M`.
pub fn session<M: Model>(pg: &dyn Playground) -> Option<&Session<M>> {
    pg.as_any().downcast_ref::<Session<M>>()
}

/// A server as a panel sees it: running (its whole state) or crashed (only what is on disk).
pub enum ServerState<'a, M: Model> {
    /// Running or paused.
    Live(&'a M::Server),
    /// Crashed: the durable state it will restart from.
    Crashed(&'a Durable<M>),
}

/// Server `id` of the session, live or crashed (`None` for a client or an unknown id).
pub fn server<M: Model>(s: &Session<M>, id: NodeId) -> Option<ServerState<'_, M>> {
    let sim = s.sim();
    sim.server(id)
        .map(ServerState::Live)
        .or_else(|| sim.crashed_durable(id).map(ServerState::Crashed))
}

/// Every client of the session, in id order.
pub fn clients<M: Model>(s: &Session<M>) -> impl Iterator<Item = (NodeId, &M::Client)> {
    let sim = s.sim();
    (0..sim.cluster().clients)
        .map(NodeId::client)
        .filter_map(move |id| sim.client(id).map(|c| (id, c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::run::registry::Registry;

    #[test]
    fn every_registered_protocol_has_exactly_one_panel() {
        for p in Registry::builtin().iter() {
            let serving: Vec<_> = PANELS
                .iter()
                .filter(|panel| panel.entries().iter().any(|e| e.id() == p.id()))
                .collect();
            assert_eq!(serving.len(), 1, "{}", p.id());
            for alias in p.aliases() {
                assert!(std::ptr::eq(
                    panel_for(alias) as *const dyn Panel as *const u8,
                    panel_for(p.id()) as *const dyn Panel as *const u8
                ));
            }
        }
        let plain = panel_for("paxos");
        assert!(plain.entries().is_empty());
    }
}
