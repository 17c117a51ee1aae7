//! Seeing a whole run (issue 13): the space-time diagram, the log matrix, the client history
//! with its verdict, and metrics over time — as pure data, tested natively.
//!
//! - [`index`]: the trace, indexed by time, built incrementally (trace → index).
//! - [`scene`]: what the diagram shows in a viewport (index → scene), hit testing, zoom/pan.
//! - [`svg`]: the palette and the SVG export (scene → SVG); `dom::diagram` paints a scene on
//!   a canvas (scene → canvas).
//! - [`net`]: partitions and crashed/paused periods, from the user actions in the trace.
//! - [`matrix`]: every server's log side by side, with conflicts.
//! - [`history`]: client operations per key, verdicts, offending operations in one sentence.
//! - [`metrics`]: latency, availability, messages per operation, leader changes, stale reads
//!   over time, and CSV.
//!
//! [`Analysis`] is the part of the page state that holds them; `State::refresh` keeps its
//! index in step with the engine's trace.

pub mod history;
pub mod index;
pub mod matrix;
pub mod metrics;
pub mod net;
pub mod scene;
pub mod svg;

use crate::model::engine::Engine;
use crate::panels::Panel;
use history::{key_views, op_of_event, Check, ClientHistory, KeyView};
use index::TraceIndex;
use netsplit_core::checkers::linearizability::Event;
use netsplit_core::{MsgId, NodeId};
use scene::Filters;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// The panes of the analysis section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pane {
    /// The space-time diagram.
    Diagram,
    /// The log matrix.
    Matrix,
    /// The client history.
    History,
    /// Metrics over time.
    Metrics,
}

impl Pane {
    /// Every pane, in page order.
    pub const ALL: [Pane; 4] = [Pane::Diagram, Pane::Matrix, Pane::History, Pane::Metrics];

    /// Its title (and accessible name).
    pub fn title(self) -> &'static str {
        match self {
            Pane::Diagram => "Space-time diagram",
            Pane::Matrix => "Log matrix",
            Pane::History => "Client history",
            Pane::Metrics => "Metrics over time",
        }
    }

    /// Its id suffix (`pane-diagram`).
    pub fn slug(self) -> &'static str {
        match self {
            Pane::Diagram => "diagram",
            Pane::Matrix => "matrix",
            Pane::History => "history",
            Pane::Metrics => "metrics",
        }
    }
}

/// What the analysis section can be asked.
#[derive(Clone, Debug, PartialEq)]
pub enum AnalysisAction {
    /// Open or close the region (its frame is `components::region`).
    SetOpen(bool),
    /// Collapse or expand a pane.
    TogglePane(Pane),
    /// Show or hide a node's lane.
    ToggleNode(NodeId),
    /// Show or hide a message kind.
    ToggleKind(&'static str),
    /// Show every lane and kind again.
    ShowAll,
    /// The pointer is on this message (or on none): highlight it on the graph and in the log.
    Hover(Option<MsgId>),
    /// Make the section taller (positive) or shorter, in px.
    Resize(i32),
    /// Set the section's height, in px.
    SetHeight(u32),
    /// Download the metrics as CSV.
    ExportCsv,
    /// Show this history (checker events, clients numbered from 1) instead of the protocol's,
    /// until the session changes: the debug build's `window.__netsplitDebugHistory` hook, for
    /// tests of the verdict view with histories a correct protocol never produces.
    InjectHistory(Vec<Event>),
}

/// Smallest height of the open region's body (px).
pub const MIN_HEIGHT: u32 = 160;
/// Largest height of the open region's body (px; the page may draw it smaller when the
/// window is short).
pub const MAX_HEIGHT: u32 = 1200;
/// Height of the open region's body on a fresh page (px).
pub const DEFAULT_HEIGHT: u32 = 260;
/// One keyboard step of the resize handle (px).
pub const STEP: u32 = 24;

/// The history with its per-key verdicts, computed when the history changes.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryView {
    /// The operations.
    pub history: ClientHistory,
    /// Per key: lanes and verdict.
    pub keys: Vec<KeyView>,
}

/// A history read at (trace length, rewrites), its fingerprint, and its verdicts.
type CachedHistory = ((usize, u64), (usize, usize, usize, u64), Rc<HistoryView>);

/// The analysis section's state.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The trace, indexed.
    pub index: TraceIndex,
    /// Hidden lanes and kinds.
    pub filters: Filters,
    /// The region is open (its body is drawn). Closed, it is one header line.
    pub open: bool,
    /// Collapsed panes.
    pub collapsed: BTreeSet<Pane>,
    /// The section's height (px).
    pub height: u32,
    /// The message under the pointer (diagram or log).
    pub hover: Option<MsgId>,
    /// A history shown instead of the protocol's (see [`AnalysisAction::InjectHistory`]).
    pub injected: Option<ClientHistory>,
    /// The engine's trace rewrites seen (a new branch or an edited schedule).
    rewrites: u64,
    /// Cached history: (trace length, rewrites) it was read at, its fingerprint, the view.
    history: RefCell<Option<CachedHistory>>,
}

impl Default for Analysis {
    fn default() -> Analysis {
        Analysis {
            index: TraceIndex::default(),
            filters: Filters::default(),
            open: false,
            collapsed: BTreeSet::new(),
            height: DEFAULT_HEIGHT,
            hover: None,
            injected: None,
            rewrites: 0,
            history: RefCell::new(None),
        }
    }
}

impl Analysis {
    /// A fresh analysis of `engine`'s session.
    pub fn new(engine: &Engine) -> Analysis {
        let snap = engine.playground().snapshot();
        let servers = snap.servers();
        Analysis {
            index: TraceIndex::new(servers, snap.nodes.len() - servers),
            rewrites: engine.rewrites(),
            ..Analysis::default()
        }
    }

    /// Keep what outlives a session (layout, not filters: the nodes may differ).
    pub fn keep_layout(&mut self, old: &Analysis) {
        self.open = old.open;
        self.collapsed = old.collapsed.clone();
        self.height = old.height;
    }

    /// Read what the trace gained (or cut back what it lost) since the last call.
    pub fn sync(&mut self, engine: &Engine, panel: &dyn Panel) {
        let pg = engine.playground();
        if engine.rewrites() != self.rewrites {
            // Another branch, or an edited schedule: the trace may differ anywhere.
            self.index = TraceIndex::new(
                self.index.servers(),
                self.index.slots() - self.index.servers(),
            );
            self.rewrites = engine.rewrites();
        }
        self.index.extend(pg, &|i| panel.trace_mark(pg, i));
    }

    /// The history and its verdicts, rechecked only when an operation changed.
    pub fn history(&self, engine: &Engine, panel: &dyn Panel) -> Rc<HistoryView> {
        let pg = engine.playground();
        let at = (pg.trace_len(), self.rewrites);
        let mut cache = self.history.borrow_mut();
        if let Some((seen, _, view)) = cache.as_ref() {
            if *seen == at {
                return view.clone();
            }
        }
        let history = match &self.injected {
            Some(h) => h.clone(),
            None => panel.history(pg),
        };
        let print = history.fingerprint();
        if let Some((seen, old, view)) = cache.as_mut() {
            if *old == print && view.history == history {
                *seen = at;
                return view.clone();
            }
        }
        let keys = key_views(&history);
        let view = Rc::new(HistoryView { history, keys });
        *cache = Some((at, print, view.clone()));
        view
    }

    /// Carry out `action`; `Some(csv)` asks for a download.
    pub fn handle(&mut self, action: AnalysisAction) {
        match action {
            AnalysisAction::SetOpen(open) => self.open = open,
            AnalysisAction::TogglePane(p) => {
                if !self.collapsed.remove(&p) {
                    self.collapsed.insert(p);
                }
            }
            AnalysisAction::ToggleNode(n) => {
                if !self.filters.nodes.remove(&n) {
                    self.filters.nodes.insert(n);
                }
            }
            AnalysisAction::ToggleKind(k) => {
                if !self.filters.kinds.remove(k) {
                    self.filters.kinds.insert(k);
                }
            }
            AnalysisAction::ShowAll => self.filters = Filters::default(),
            AnalysisAction::Hover(m) => self.hover = m,
            AnalysisAction::Resize(delta) => {
                self.height = (i64::from(self.height) + i64::from(delta))
                    .clamp(i64::from(MIN_HEIGHT), i64::from(MAX_HEIGHT))
                    as u32;
            }
            AnalysisAction::SetHeight(h) => self.height = h.clamp(MIN_HEIGHT, MAX_HEIGHT),
            AnalysisAction::ExportCsv => {}
            AnalysisAction::InjectHistory(events) => {
                let mut ops: Vec<_> = events
                    .into_iter()
                    .map(|e| {
                        let client = NodeId::client(e.client.saturating_sub(1) as usize);
                        let gave_up = e.returned.is_none();
                        op_of_event(client, e, gave_up)
                    })
                    .collect();
                ops.sort_by_key(|o| (o.invoked, o.client));
                self.injected = Some(ClientHistory {
                    ops,
                    check: Check::Linearizability,
                    txns: Vec::new(),
                });
                *self.history.borrow_mut() = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::timebar::TimeAction;
    use crate::panels::panel_for;
    use netsplit_core::Scenario;

    #[test]
    fn the_index_follows_seeks_and_branch_switches_exactly() {
        let id = netsplit_core::protocols::raft::ID;
        let mut e = Engine::new(&Scenario::new(id, 7), true).unwrap();
        let panel = panel_for(id);
        e.set_speed(1.0);
        for _ in 0..200 {
            e.tick(16.0);
        }
        let mut a = Analysis::new(&e);
        a.sync(&e, panel);
        let fresh = |e: &Engine| {
            let mut b = Analysis::new(e);
            b.sync(e, panel);
            b.index
        };
        assert_eq!(a.index, fresh(&e));
        // Seek back, then forward again: equal to an index built from scratch each time.
        e.time(TimeAction::Seek(1_000)).unwrap();
        a.sync(&e, panel);
        assert_eq!(a.index, fresh(&e));
        let end = e.end().0;
        e.time(TimeAction::Seek(end)).unwrap();
        a.sync(&e, panel);
        assert_eq!(a.index, fresh(&e));
        // A live action in the past forks; switching back rewrites the trace.
        e.time(TimeAction::Seek(1_500)).unwrap();
        a.sync(&e, panel);
        e.apply(netsplit_core::Control::Crash { node: NodeId(0) })
            .unwrap();
        for _ in 0..50 {
            e.tick(16.0);
        }
        a.sync(&e, panel);
        assert_eq!(a.index, fresh(&e));
        e.time(TimeAction::Switch(0)).unwrap();
        a.sync(&e, panel);
        assert_eq!(a.index, fresh(&e));
        assert!(a
            .index
            .ticks()
            .iter()
            .all(|t| t.kind != index::TickKind::Crash));
    }

    /// The JSON the debug hook (and the e2e test) hands in: the checker's own event format.
    pub(crate) const STALE_READ: &str = r#"[
        {"client":1,"op":{"put":{"key":"x","value":"1"}},"invoked_at":100,"returned":[140,"ok"]},
        {"client":1,"op":{"put":{"key":"x","value":"2"}},"invoked_at":200,"returned":[260,"ok"]},
        {"client":2,"op":{"get":{"key":"x"}},"invoked_at":300,"returned":[340,{"value":"1"}]},
        {"client":2,"op":{"put":{"key":"y","value":"7"}},"invoked_at":400,"returned":[430,"ok"]}
    ]"#;

    #[test]
    fn an_injected_history_is_checked_and_explained() {
        let id = netsplit_core::protocols::raft::ID;
        let e = Engine::new(&Scenario::new(id, 7), false).unwrap();
        let mut a = Analysis::new(&e);
        let events: Vec<Event> = serde_json::from_str(STALE_READ).unwrap();
        a.handle(AnalysisAction::InjectHistory(events));
        let view = a.history(&e, panel_for(id));
        assert_eq!(view.history.ops.len(), 4);
        assert_eq!(view.history.ops[2].client, NodeId::client(1));
        match &view.keys[0].status {
            history::KeyStatus::NotLinearizable {
                offending,
                sentence,
                ..
            } => {
                assert_eq!(offending, &BTreeSet::from([0, 1, 2]));
                assert_eq!(sentence, "get x returned 1 after put x 2 completed");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(view.keys[1].status, history::KeyStatus::Linearizable);
    }

    #[test]
    fn panes_filters_and_height() {
        let mut a = Analysis::default();
        a.handle(AnalysisAction::TogglePane(Pane::Metrics));
        assert!(a.collapsed.contains(&Pane::Metrics));
        a.handle(AnalysisAction::TogglePane(Pane::Metrics));
        assert!(a.collapsed.is_empty());
        a.handle(AnalysisAction::ToggleNode(NodeId(1)));
        a.handle(AnalysisAction::ToggleKind("Heartbeat"));
        assert!(a.filters.nodes.contains(&NodeId(1)) && a.filters.kinds.contains("Heartbeat"));
        a.handle(AnalysisAction::ShowAll);
        assert_eq!(a.filters, Filters::default());
        a.handle(AnalysisAction::Resize(-10_000));
        assert_eq!(a.height, MIN_HEIGHT);
        a.handle(AnalysisAction::SetHeight(50_000));
        assert_eq!(a.height, MAX_HEIGHT);
        assert!(!a.open, "closed on a fresh page");
        a.handle(AnalysisAction::SetOpen(true));
        assert!(a.open);
    }
}
