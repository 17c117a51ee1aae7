//! The page's state: the running engine, the latest snapshot, the event log and the UI-only
//! state ([`Ui`]), plus when the DOM should render. [`crate::model::reducer`] changes it.

use crate::model::action::Notice;
use crate::model::analysis::Analysis;
use crate::model::engine::Engine;
use crate::model::explain::{Explained, Explanation, Lookups};
use crate::model::form::Forms;
use crate::model::panes::{Panes, Tab};
use crate::model::setup;
use crate::panels::{panel_for, Panel};
use netsplit_core::kernel::net::NetConfig;
use netsplit_core::kernel::trace::Category;
use netsplit_core::kernel::types::NodeId;
use netsplit_core::kernel::view::{NodeStatus, Role, Snapshot};
use netsplit_core::run::playground::TraceLine;
use netsplit_core::run::registry::{Epoch, Look, Protocol, Registry};
use netsplit_core::Scenario;
use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

pub use crate::model::setup::parse_seed;

/// Trace lines kept for the event log.
pub const LOG_KEEP: usize = 400;
/// Routine changes (messages, timers) re-render the DOM at most this often (wall ms); the canvas
/// still moves every frame. Role, status, link and violation changes render at once.
pub const RENDER_INTERVAL_MS: f64 = 100.0;
/// How long a drop mark stays visible (wall ms).
pub const DROP_FADE_MS: f64 = 1500.0;
/// The seed a fresh page starts with.
pub const DEFAULT_SEED: u64 = 7;

/// A configuration error in plain words, without the internal `(link)`-style path: about
/// `subject` ("it", "the link") when the error is about the whole thing, else naming the field
/// (`the scenario's cluster.nodes: must be …`).
pub fn plain_error(subject: &str, e: &netsplit_core::kernel::config::ConfigError) -> String {
    if e.path.starts_with('(') || e.path.is_empty() {
        format!("{subject} {}", e.message)
    } else {
        format!("the scenario's {}: {}", e.path, e.message)
    }
}

/// Sessions kept for going back to, at most (each holds its whole timeline).
pub const KEEP_SESSIONS: usize = 4;

/// A recently dropped message, drawn as a fading "×" where it died.
#[derive(Clone, Debug, PartialEq)]
pub struct DropMark {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Died at the sender's end (never left) rather than on arrival.
    pub at_send: bool,
    /// Wall time of the drop (ms, `performance.now()`).
    pub wall: f64,
}

/// UI-only state (not part of the simulation).
#[derive(Clone, Debug, Default)]
pub struct Ui {
    /// Selected node (its position in the snapshot).
    pub selected: Option<usize>,
    /// Help overlay open.
    pub help: bool,
    /// Legend open (its lines are drawn only then).
    pub legend: bool,
    /// Log categories hidden.
    pub hidden: BTreeSet<Category>,
    /// Last message for the user.
    pub notice: Option<Notice>,
    /// Highlighted trace line.
    pub highlight: Option<usize>,
    /// The message under the pointer (space-time diagram or log): its lines are highlighted.
    pub hover_msg: Option<netsplit_core::MsgId>,
    /// The share link on display, if the share dialog is open.
    pub share: Option<String>,
    /// Name of the gallery scenario running, if one is.
    pub scenario_name: Option<String>,
    /// The export dialog is open with this scenario JSON.
    pub export: Option<String>,
    /// The import dialog is open (with the last error, if any).
    pub import: Option<Option<String>>,
    /// Current seed.
    pub seed: u64,
    /// Current number of servers.
    pub nodes: usize,
    /// Current protocol (its registry id).
    pub protocol: &'static str,
    /// Every form: the page's own (seed, network) and the panel's.
    pub forms: Forms,
    /// The side panel's tab, presentation mode, the log's state.
    pub panes: Panes,
    /// A share link that could not be opened, with the reason (shown in a banner under the top
    /// bar until dismissed).
    pub link_error: Option<String>,
    /// The network the session started with (the Settings tab shows the current one).
    pub net0: NetConfig,
    /// The session this one replaced, in words, while the banner saying it is kept shows.
    pub switched_from: Option<String>,
}

/// The at-a-glance state: when it changes, the DOM renders at once. Terms count only for
/// leaders: an isolated node bumping its term every election timeout is routine.
#[derive(Clone, Debug, Default, PartialEq)]
struct Signature {
    nodes: Vec<(NodeStatus, Role, Option<u64>)>,
    links: usize,
    violations: usize,
}

impl Signature {
    fn of(snap: &Snapshot) -> Signature {
        Signature {
            nodes: snap
                .nodes
                .iter()
                .map(|n| {
                    let term = n.view.role.leads.then_some(n.view.term).flatten();
                    (n.status, n.view.role, term)
                })
                .collect(),
            links: snap.links.len(),
            violations: snap.violations.len(),
        }
    }
}

/// A fresh page's scenario for `protocol`: `nodes` servers (kept within the protocol's range),
/// its default clients, seed `seed`.
pub fn default_scenario(protocol: &dyn Protocol, nodes: usize, seed: u64) -> Scenario {
    let mut s = Scenario::new(protocol.id(), seed);
    let range = protocol.servers();
    s.name = protocol.label().into();
    s.cluster.nodes = nodes.clamp(range.min, range.max);
    s.cluster.clients = protocol.default_clients();
    s
}

/// The protocol a fresh page shows.
pub fn default_protocol() -> &'static dyn Protocol {
    Registry::builtin()
        .default_protocol()
        .expect("the build registers at least one protocol")
}

/// A session put aside when another one replaced it (a protocol, node count, seed, scenario,
/// import or link change): the whole state, timeline and branches included, to go back to.
pub struct Kept {
    /// What it was, in words: `Raft · 5 nodes · seed 7 · 2 actions · t=4.2 s`.
    pub label: String,
    /// The session, paused where it was left.
    pub state: Box<State>,
}

/// `Raft · 5 nodes · seed 7 · 2 actions · t=4.2 s` (with the scenario's name, if one).
pub fn session_label(
    protocol: &str,
    nodes: usize,
    seed: u64,
    actions: usize,
    at_ms: u64,
    scenario: Option<&str>,
) -> String {
    let what = scenario.map_or_else(
        || {
            let nodes = super::words::counted(nodes as u64, "node");
            format!("{protocol} · {nodes} · seed {seed}")
        },
        |name| format!("“{name}”"),
    );
    let acts = match actions {
        0 => "no actions".to_string(),
        1 => "1 action".to_string(),
        n => format!("{n} actions"),
    };
    format!("{what} · {acts} · t={:.1} s", at_ms as f64 / 1000.0)
}

/// Everything behind the page.
pub struct State {
    /// The simulation and its timeline.
    pub engine: Engine,
    /// The current instant.
    pub snapshot: Rc<Snapshot>,
    /// The latest trace lines.
    pub log: Vec<TraceLine>,
    /// Recent drops, fading.
    pub drops: Vec<DropMark>,
    /// UI-only state.
    pub ui: Ui,
    /// The analysis section: the trace indexed for the space-time diagram, its filters, panes.
    pub analysis: Analysis,
    /// The page's address (without fragment), for share links.
    pub(crate) base_url: String,
    /// Sessions put aside, the most recent last.
    pub previous: Vec<Kept>,
    /// The narrated tour of this session, if it has one.
    pub tour: Option<crate::model::touring::Tour>,
    /// The challenge being played in this session, if one is.
    pub challenge: Option<crate::model::challenge::ChallengeRun>,
    /// The solved challenges (shared by every session of the page).
    pub book: crate::model::challenge::BookRef,
    /// What the panel explains about the run (newest first).
    pub explanations: Vec<Explanation>,
    /// The explanations must be asked for again (new roles, a jump in time).
    explain_due: bool,
    /// Past states looked up for the explanations.
    lookups: Lookups,
    /// Bumped whenever the trace on screen stops being an extension of the last one (a jump
    /// in time, a new session): panel memos keyed by it rebuild.
    pub trace_epoch: u64,
    /// A panel's own memo of the run (e.g. an index over the trace), kept between renders;
    /// the panel owns its type and checks `trace_epoch` itself.
    pub memo: RefCell<Option<Box<dyn Any>>>,
    signature: Signature,
    /// The DOM is behind the simulation.
    dirty: bool,
    /// Wall time of the last DOM render.
    rendered_at: f64,
}

impl State {
    /// The page as it opens at `base_url`: the shared scenario in `fragment` (if any, else the
    /// default cluster; a bad link opens the default cluster and says why).
    pub fn start(fragment: &str, base_url: &str) -> State {
        let mut state = if fragment.is_empty() {
            let p = default_protocol();
            State::fresh(p.id(), p.servers().default, DEFAULT_SEED)
                .expect("the default scenario is valid")
        } else {
            State::from_fragment(fragment)
        };
        state.base_url = base_url.split('#').next().unwrap_or_default().to_string();
        state
    }

    /// A fresh cluster of `protocol` (id or alias).
    pub fn fresh(protocol: &str, nodes: usize, seed: u64) -> Result<State, String> {
        let p = Registry::builtin()
            .resolve(protocol, "protocol")
            .map_err(|e| e.message)?;
        let engine =
            Engine::new(&default_scenario(p, nodes, seed), true).map_err(|e| e.to_string())?;
        Ok(State::with_engine(engine))
    }

    /// Open a share link's fragment, or the default cluster (with the reason, in full, in a
    /// banner) if it is bad. A gallery scenario named in the fragment (`#gallery:raft-figure-8`, handy in an
    /// embed's address) plays from the start, as from the gallery menu.
    pub(crate) fn from_fragment(fragment: &str) -> State {
        let opened = match fragment.strip_prefix(crate::model::embed::GALLERY_PREFIX) {
            Some(id) => Registry::builtin()
                .load_gallery(id)
                .and_then(|s| Engine::new(&s, true).map(|e| (s, e)))
                .map(|(scenario, engine)| {
                    let mut state = State::with_engine(engine);
                    state.ui.scenario_name = Some(scenario.name.clone());
                    state.attach_tour(&scenario);
                    state.ui.notice = Some(Notice::info(scenario.description));
                    state
                })
                .map_err(|e| format!("This link cannot be opened: {}.", e.message)),
            None => netsplit_core::run::link::decode(fragment)
                .and_then(|s| Engine::open(&s).map(|e| (s, e)))
                .map(|(scenario, engine)| {
                    let mut state = State::with_engine(engine);
                    if !scenario.name.is_empty() && !scenario.captions.is_empty() {
                        state.ui.scenario_name = Some(scenario.name.clone());
                    }
                    state.attach_tour(&scenario);
                    let at = scenario.until.map_or(0, |t| t.0);
                    state.ui.notice = Some(Notice::info(format!(
                        "opened a shared scenario at t={at} ms (paused)"
                    )));
                    state
                })
                .map_err(|e| format!("This link cannot be opened: {}.", plain_error("it", &e))),
        };
        match opened {
            Ok(state) => state,
            Err(e) => {
                let p = default_protocol();
                let mut state = State::fresh(p.id(), p.servers().default, DEFAULT_SEED)
                    .expect("the default scenario is valid");
                state.ui.notice = Some(Notice::error(
                    "the link could not be opened: the default cluster runs instead",
                ));
                state.ui.link_error = Some(e);
                state
            }
        }
    }

    /// The page for a running engine.
    pub(crate) fn with_engine(mut engine: Engine) -> State {
        let scenario = engine.scenario();
        let protocol = engine.playground().protocol();
        let mut log = engine.take_new_lines();
        if log.len() > LOG_KEEP {
            log.drain(..log.len() - LOG_KEEP);
        }
        let snapshot = Rc::new(engine.snapshot());
        let net0 = scenario.cluster.net.clone();
        let net = setup::current_net(&net0, engine.marks(), engine.playground().now());
        let mut forms = setup::forms(scenario.seed, &net);
        forms.extend(panel_for(protocol).forms(engine.playground()));
        let mut analysis = Analysis::new(&engine);
        analysis.sync(&engine, panel_for(protocol));
        let mut state = State {
            analysis,
            signature: Signature::of(&snapshot),
            snapshot,
            dirty: false,
            rendered_at: 0.0,
            base_url: String::new(),
            previous: Vec::new(),
            tour: None,
            challenge: None,
            book: Default::default(),
            explanations: Vec::new(),
            explain_due: true,
            lookups: Lookups::default(),
            trace_epoch: 0,
            memo: RefCell::new(None),
            log,
            drops: Vec::new(),
            ui: Ui {
                seed: scenario.seed,
                nodes: scenario.cluster.nodes,
                protocol,
                forms: Forms::new(forms),
                net0,
                ..Ui::default()
            },
            engine,
        };
        state.explain();
        state
    }

    /// Move what outlives a session from this page into `fresh`: log filters, the legend,
    /// presentation mode, the log's state, the analysis region's layout, the address. The side
    /// panel goes back to its Node tab.
    fn carry_over(&mut self, fresh: &mut State) {
        fresh.ui.hidden = std::mem::take(&mut self.ui.hidden);
        fresh.ui.legend = self.ui.legend;
        fresh.ui.panes = Panes {
            tab: Tab::Node,
            ..self.ui.panes.clone()
        };
        fresh.analysis.keep_layout(&self.analysis);
        fresh.base_url = self.base_url.clone();
        fresh.trace_epoch = self.trace_epoch + 1;
        fresh.book = self.book.clone();
    }

    /// Replace this page by `fresh` (a replay of the same session: new settings), keeping what
    /// outlives a session and the sessions put aside.
    pub(crate) fn replace(&mut self, mut fresh: State, notice: Notice) {
        self.carry_over(&mut fresh);
        fresh.previous = std::mem::take(&mut self.previous);
        fresh.ui.notice = Some(notice);
        *self = fresh;
    }

    /// This session in words, for the list of sessions put aside.
    pub fn label(&self) -> String {
        let protocol = Registry::builtin()
            .get(self.ui.protocol)
            .map_or(self.ui.protocol, |p| p.label());
        let label = session_label(
            protocol,
            self.ui.nodes,
            self.ui.seed,
            self.engine.marks().len(),
            self.engine.playground().now().0,
            self.ui.scenario_name.as_deref(),
        );
        match &self.tour {
            Some(t) if !t.nav.is_empty() => format!("tour {label} · {}", t.nav.progress()),
            _ => label,
        }
    }

    /// Replace this session by another one (a protocol, node count, seed, scenario, import or
    /// link change), putting this one aside — paused where it is — so the user can go back to
    /// it: no work is lost silently.
    pub(crate) fn switch_to(&mut self, mut fresh: State, notice: Notice) {
        self.engine.pause_at_clock();
        let label = self.label();
        self.carry_over(&mut fresh);
        fresh.previous = std::mem::take(&mut self.previous);
        fresh.ui.notice = Some(notice);
        fresh.ui.switched_from = Some(label.clone());
        let mut old = std::mem::replace(self, fresh);
        old.ui.notice = None;
        old.ui.switched_from = None;
        self.previous.push(Kept {
            label,
            state: Box::new(old),
        });
        if self.previous.len() > KEEP_SESSIONS {
            self.previous.remove(0);
        }
    }

    /// Go back to the session put aside at `index` of [`State::previous`]; the current one is
    /// put aside in its place (so going back can itself be undone).
    pub(crate) fn go_back(&mut self, index: usize) -> bool {
        if index >= self.previous.len() {
            return false;
        }
        let kept = self.previous.remove(index);
        let mut back = *kept.state;
        back.ui.link_error = None;
        self.switch_to(back, Notice::info(format!("back to {}", kept.label)));
        true
    }

    /// The protocol's panel.
    pub fn panel(&self) -> &'static dyn Panel {
        panel_for(self.ui.protocol)
    }

    /// How the protocol is drawn.
    pub fn look(&self) -> &'static Look {
        let empty: &'static Look = &EMPTY_LOOK;
        Registry::builtin()
            .get(self.ui.protocol)
            .map_or(empty, |p| p.look())
    }

    /// The running server whose role leads, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.snapshot
            .nodes
            .iter()
            .find(|n| n.status != NodeStatus::Crashed && n.view.role.leads)
            .map(|n| n.id)
    }

    /// Whether the DOM should render now: at once for at-a-glance changes, else throttled.
    pub fn should_render(&mut self, wall_now: f64) -> bool {
        let signature = Signature::of(&self.snapshot);
        let urgent = signature != self.signature;
        let due = self.dirty && wall_now - self.rendered_at >= RENDER_INTERVAL_MS;
        if urgent || due {
            self.signature = signature;
            self.dirty = false;
            self.rendered_at = wall_now;
            true
        } else {
            false
        }
    }

    /// After a user action: render now.
    pub fn rendered(&mut self, wall_now: f64) {
        self.should_render(wall_now);
        self.dirty = false;
    }

    /// One animation frame `wall_dt` ms after the previous one: run the simulation, let drop
    /// marks fade. Returns whether the DOM should render.
    pub fn frame(&mut self, wall_dt: f64, wall_now: f64) -> bool {
        // However playing started, a tour's next stop is set before time moves.
        self.tour_arm();
        if self.engine.tick(wall_dt) {
            self.refresh(wall_now);
        }
        self.drops.retain(|d| wall_now - d.wall < DROP_FADE_MS);
        self.should_render(wall_now)
    }

    /// Pull what changed out of the engine (new trace lines, a fresh snapshot).
    pub(crate) fn refresh(&mut self, wall_now: f64) {
        self.dirty = true;
        if self.engine.take_jumped() {
            self.log.clear();
            self.drops.clear();
            self.ui.highlight = None;
            self.trace_epoch += 1;
            self.explain_due = true;
        }
        let lines = self.engine.take_new_lines();
        if lines
            .iter()
            .any(|l| matches!(l.category, Category::Role | Category::Start))
        {
            self.explain_due = true;
        }
        for l in &lines {
            if let (Some(reason), Some((from, to))) = (l.dropped, l.link) {
                self.drops.push(DropMark {
                    from,
                    to,
                    at_send: reason.at_send(),
                    wall: wall_now,
                });
            }
        }
        self.log.extend(lines);
        if self.log.len() > LOG_KEEP {
            let cut = self.log.len() - LOG_KEEP;
            self.log.drain(..cut);
        }
        self.snapshot = Rc::new(self.engine.snapshot());
        self.tour_follow();
        self.challenge_follow();
        let panel = self.panel();
        self.analysis.sync(&self.engine, panel);
        if self.explain_due {
            self.explain();
        }
    }

    /// Ask the panel for its explanations, looking up the past moments it needs on the
    /// timeline (remembered while the history does not change).
    pub(crate) fn explain(&mut self) {
        self.explain_due = false;
        let panel = self.panel();
        self.lookups.follow(self.engine.epoch());
        let mut answer = Explained::default();
        // Twice at most: once to learn which moments it needs, once with them.
        for _ in 0..2 {
            let lookups = &self.lookups;
            answer = panel.explanations(self.engine.playground(), &|t| lookups.get(t));
            if answer.need.is_empty() {
                break;
            }
            for t in std::mem::take(&mut answer.need) {
                if self.lookups.get(t).is_none() {
                    if let Some(snap) = self.engine.snapshot_at(t) {
                        self.lookups.put(t, snap);
                    }
                }
            }
        }
        self.explanations = answer.items;
    }
}

/// The look of a protocol the registry does not know (never drawn in practice).
static EMPTY_LOOK: Look = Look {
    roles: &[],
    messages: &[],
    timer_arc: None,
    timer_arc_meaning: "",
    epoch: Epoch::TERM,
};
