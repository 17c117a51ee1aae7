//! The page: layout, the animation loop, and the one place where user intents become actions.
//!
//! The simulator lives outside Yew's state (in an `Rc<RefCell<Engine>>`); Yew re-renders only
//! when something happened in the simulation or the UI, never merely because a frame passed.
//! Per-frame motion (messages, timer arcs) is drawn on a canvas by [`crate::canvas`].

use crate::canvas::{CanvasPainter, DropMark};
use crate::components::{
    commit, controls, exchange, graph, help, inspector, log, raft_panel, status, timeline, topbar,
};
use crate::engine::{speed_for_step, step_for_speed, Engine, SPEED_STEPS};
use crate::frame_loop::FrameLoop;
use crate::keys::{command_for, Command};
use crate::panic;
use crate::timebar::TimeAction;
use netsplit_core::kernel::trace::Category;
use netsplit_core::kernel::view::{NodeStatus, Role, Snapshot};
use netsplit_core::run::playground::TraceLine;
use netsplit_core::{Control, NodeId, Scenario};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Trace lines kept for the event log.
const LOG_KEEP: usize = 400;
/// Routine changes (messages, timers) re-render the DOM at most this often (wall ms); the canvas
/// still moves every frame. Role, status, link and violation changes render at once.
const RENDER_INTERVAL_MS: f64 = 100.0;

/// Everything the user can ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Play or pause.
    TogglePlay,
    /// Process one event.
    Step,
    /// Time travel: seek, step back, branches, schedule edits, manual mode.
    Time(TimeAction),
    /// Set the speed slider position.
    SpeedStep(u32),
    /// Nudge the speed slider.
    SpeedNudge(i32),
    /// Select a node (or none).
    Select(Option<usize>),
    /// Apply a fault or repair.
    Control(Control),
    /// Crash or restart node `i`.
    CrashOrRestart(usize),
    /// Pause or resume node `i`.
    PauseOrResume(usize),
    /// Force node `i`'s timeout.
    Timeout(usize),
    /// Show or hide the shortcut help.
    ToggleHelp,
    /// Close overlays.
    Escape,
    /// Show or hide a category in the event log.
    ToggleCategory(Category),
    /// Start over with the default scenario of another protocol.
    SwitchProtocol(&'static str),
    /// Start over with this protocol, cluster size and seed.
    Restart {
        /// Protocol.
        protocol: String,
        /// Nodes.
        nodes: usize,
        /// Seed.
        seed: u64,
    },
    /// Tell the user something (e.g. a form error).
    Notice(String),
    /// Make a share link of the current moment (pauses) and show it.
    Share,
    /// Load a scenario from the built-in gallery.
    OpenGallery(&'static str),
    /// Close the share dialog.
    CloseShare,
    /// Show the session as a scenario file.
    Export,
    /// Show the import dialog.
    ShowImport,
    /// Open this scenario text (pasted or read from a file).
    ImportText(String),
    /// Importing failed before parsing (file too big or unreadable).
    ImportFailed(String),
    /// Close the export/import dialogs.
    CloseDialogs,
    /// The URL fragment changed (a link was pasted into this tab).
    OpenFragment(String),
    /// Jump to the first violation: pause, select its node, highlight its log line.
    JumpToViolation,
    /// A field of the client form changed.
    ClientField(&'static str, String),
    /// Replay the run from the start with this protocol configuration.
    Reconfigure(serde_json::Value),
    /// A link was clicked (shift = one-way).
    LinkClicked {
        /// One end.
        a: usize,
        /// Other end.
        b: usize,
        /// One direction only.
        one_way: bool,
    },
}

/// UI-only state (not part of the simulation).
#[derive(Clone, Debug, Default)]
pub struct Ui {
    /// Selected node.
    pub selected: Option<usize>,
    /// Help overlay open.
    pub help: bool,
    /// Log categories hidden.
    pub hidden: BTreeSet<Category>,
    /// Last message for the user (text, is_error).
    pub notice: Option<(String, bool)>,
    /// Highlighted trace line.
    pub highlight: Option<usize>,
    /// The share link on display, if the share dialog is open.
    pub share: Option<String>,
    /// Name of the gallery scenario running, if one is.
    pub scenario_name: Option<String>,
    /// The export dialog: scenario JSON and its download URL.
    pub export: Option<(String, String)>,
    /// The import dialog is open (with the last error, if any).
    pub import: Option<Option<String>>,
    /// Current seed.
    pub seed: u64,
    /// Current cluster size.
    pub nodes: usize,
    /// Current protocol.
    pub protocol: String,
    /// The client panel's form.
    pub client_form: raft_panel::ClientForm,
}

/// The scenario the page opens with: a 5-node Raft cluster.
pub fn default_scenario(protocol: &str, nodes: usize, seed: u64) -> Scenario {
    let mut s = Scenario::new(protocol, seed);
    let (name, min_nodes) = match protocol {
        "kv" => ("Dynamo-style store", 3),
        "2pc" => ("Two-phase commit", 3),
        "3pc" => ("Three-phase commit", 3),
        _ => ("Raft", 1),
    };
    s.name = name.into();
    s.cluster.nodes = nodes.max(min_nodes);
    s.cluster.clients = 2;
    s
}

/// The protocols the page offers: (scenario name, label, default cluster size).
pub const PROTOCOLS: &[(&str, &str, usize)] = &[
    ("raft", "Raft", 5),
    ("kv", "Dynamo-style store", 5),
    ("2pc", "Two-phase commit", 4),
    ("3pc", "Three-phase commit", 4),
];

/// Shared, mutable state behind the page.
struct Shared {
    engine: Engine,
    snapshot: Rc<Snapshot>,
    log: Vec<TraceLine>,
    drops: Vec<DropMark>,
    ui: Ui,
    /// What the DOM shows that matters at a glance (roles, terms, statuses, links, violations).
    signature: Signature,
    /// The DOM is behind the simulation.
    dirty: bool,
    /// Wall time of the last DOM render.
    rendered_at: f64,
    /// Keeps the export download URL alive (revoked when replaced or dropped).
    export_url: Option<gloo::file::ObjectUrl>,
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

impl Shared {
    fn new(protocol: &str, nodes: usize, seed: u64) -> Result<Shared, String> {
        Shared::with_engine(Engine::new(&default_scenario(protocol, nodes, seed), true)?)
    }

    /// Open a share link's fragment, or the default cluster (with the reason) if it is bad.
    fn from_fragment(fragment: &str) -> Shared {
        let opened = netsplit_core::run::link::decode(fragment)
            .map_err(|e| format!("cannot open this link: {e}"))
            .and_then(|s| Engine::open(&s).map(|e| (s, e)));
        let (shared, notice) = match opened {
            Ok((scenario, engine)) => match Shared::with_engine(engine) {
                Ok(shared) => {
                    let at = scenario.until.map_or(0, |t| t.0);
                    (
                        Ok(shared),
                        (
                            format!("opened a shared scenario at t={at} ms (paused)"),
                            false,
                        ),
                    )
                }
                Err(e) => (Err(()), (e, true)),
            },
            Err(e) => (Err(()), (e, true)),
        };
        let mut shared = shared
            .unwrap_or_else(|()| Shared::new("raft", 5, 7).expect("the default scenario is valid"));
        shared.ui.notice = Some(notice);
        shared
    }

    fn with_engine(engine: Engine) -> Result<Shared, String> {
        let scenario = engine.scenario();
        let (nodes, seed) = (scenario.cluster.nodes, scenario.seed);
        let protocol = scenario.protocol.clone();
        let mut log = Vec::new();
        let mut engine = engine;
        log.extend(engine.take_new_lines());
        if log.len() > LOG_KEEP {
            log.drain(..log.len() - LOG_KEEP);
        }
        let snapshot = Rc::new(engine.snapshot());
        Ok(Shared {
            engine,
            signature: Signature::of(&snapshot),
            snapshot,
            dirty: false,
            rendered_at: 0.0,
            export_url: None,
            log,
            drops: Vec::new(),
            ui: Ui {
                seed,
                nodes,
                protocol,
                ..Ui::default()
            },
        })
    }

    /// Whether the DOM should render now: at once for at-a-glance changes, else throttled.
    fn should_render(&mut self, wall_now: f64) -> bool {
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

    /// Pull what changed out of the engine (new trace lines, a fresh snapshot).
    fn refresh(&mut self, wall_now: f64) {
        self.dirty = true;
        if self.engine.take_jumped() {
            self.log.clear();
            self.drops.clear();
            self.ui.highlight = None;
        }
        let lines = self.engine.take_new_lines();
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
    }

    fn control(&mut self, control: Control) {
        let label = control.to_string();
        match self.engine.apply(control) {
            Ok(netsplit_core::run::timeline::Edited::Forked) => {
                self.ui.notice = Some((format!("applied: {label} (new branch)"), false))
            }
            Ok(_) => self.ui.notice = Some((format!("applied: {label}"), false)),
            Err(e) => self.ui.notice = Some((format!("cannot {label}: {e}"), true)),
        }
    }

    fn node_status(&self, i: usize) -> Option<NodeStatus> {
        self.snapshot.nodes.get(i).map(|n| n.status)
    }

    fn handle(&mut self, action: Action, wall_now: f64) {
        match action {
            Action::TogglePlay => {
                let playing = !self.engine.playing();
                self.engine.set_playing(playing);
            }
            Action::Step => {
                if !self.engine.step() {
                    self.ui.notice = Some(("nothing left to happen".into(), false));
                }
            }
            Action::Time(t) => match self.engine.time(t) {
                Ok(Some(text)) => self.ui.notice = Some((text, false)),
                Ok(None) => {}
                Err(e) => self.ui.notice = Some((e, true)),
            },
            Action::SpeedStep(step) => self.engine.set_speed(speed_for_step(step)),
            Action::SpeedNudge(delta) => {
                let step = step_for_speed(self.engine.speed()) as i32 + delta;
                self.engine
                    .set_speed(speed_for_step(step.clamp(0, SPEED_STEPS as i32) as u32));
            }
            Action::Select(sel) => {
                self.ui.selected = sel.filter(|i| *i < self.snapshot.nodes.len());
            }
            Action::Control(c) => self.control(c),
            Action::CrashOrRestart(i) if i >= self.snapshot.servers() => {
                self.ui.notice = Some((
                    "clients cannot crash: they stand outside the cluster".into(),
                    true,
                ));
            }
            Action::PauseOrResume(i) | Action::Timeout(i) if i >= self.snapshot.servers() => {
                self.ui.notice = Some(("that acts on servers, not on clients".into(), true));
            }
            Action::CrashOrRestart(i) => {
                let node = NodeId::from_index(i);
                match self.node_status(i) {
                    Some(NodeStatus::Crashed) => self.control(Control::Restart { node }),
                    Some(_) => self.control(Control::Crash { node }),
                    None => {}
                }
            }
            Action::PauseOrResume(i) => {
                let node = NodeId::from_index(i);
                match self.node_status(i) {
                    Some(NodeStatus::Paused) => self.control(Control::Resume { node }),
                    Some(_) => self.control(Control::Pause { node }),
                    None => {}
                }
            }
            Action::Timeout(i) => self.control(Control::Timeout {
                node: NodeId::from_index(i),
            }),
            Action::ToggleHelp => self.ui.help = !self.ui.help,
            Action::Share => {
                self.engine.pause_at_clock();
                let base = web_sys::window()
                    .and_then(|w| w.location().href().ok())
                    .unwrap_or_default();
                match netsplit_core::run::link::url(&base, &self.engine.share()) {
                    Ok(link) => {
                        if let Some(fragment) = link.split('#').nth(1) {
                            set_fragment(fragment);
                        }
                        self.ui.share = Some(link);
                    }
                    Err(e) => self.ui.notice = Some((format!("cannot share: {e}"), true)),
                }
            }
            Action::CloseShare => self.ui.share = None,
            Action::Export => {
                self.engine.pause_at_clock();
                let json = self.engine.share().to_json();
                let blob =
                    gloo::file::Blob::new_with_options(json.as_str(), Some("application/json"));
                let url = gloo::file::ObjectUrl::from(blob);
                self.ui.export = Some((json, url.to_string()));
                self.export_url = Some(url);
            }
            Action::ShowImport => self.ui.import = Some(None),
            Action::ImportFailed(e) => self.ui.import = Some(Some(e)),
            Action::ImportText(text) => {
                let opened = netsplit_core::Scenario::from_json(&text)
                    .map_err(|e| e.to_string())
                    .and_then(|s| Engine::open(&s).map(|e| (s, e)))
                    .and_then(|(s, e)| Shared::with_engine(e).map(|sh| (s, sh)));
                match opened {
                    Ok((scenario, mut fresh)) => {
                        fresh.ui.hidden = std::mem::take(&mut self.ui.hidden);
                        let at = scenario.until.map_or(0, |t| t.0);
                        fresh.ui.notice =
                            Some((format!("imported “{}” at t={at} ms", scenario.name), false));
                        *self = fresh;
                    }
                    Err(e) => self.ui.import = Some(Some(format!("cannot open it: {e}"))),
                }
            }
            Action::CloseDialogs => {
                self.ui.export = None;
                self.ui.import = None;
            }
            Action::OpenGallery(id) => {
                let opened = netsplit_core::run::gallery::load(id)
                    .map_err(|e| e.to_string())
                    .and_then(|s| Engine::new(&s, true).map(|e| (s, e)))
                    .and_then(|(s, e)| Shared::with_engine(e).map(|sh| (s, sh)));
                match opened {
                    Ok((scenario, mut fresh)) => {
                        fresh.ui.hidden = std::mem::take(&mut self.ui.hidden);
                        fresh.ui.notice = Some((scenario.description.clone(), false));
                        fresh.ui.scenario_name = Some(scenario.name.clone());
                        *self = fresh;
                    }
                    Err(e) => self.ui.notice = Some((e, true)),
                }
            }
            Action::OpenFragment(fragment) => {
                let hidden = std::mem::take(&mut self.ui.hidden);
                *self = Shared::from_fragment(&fragment);
                self.ui.hidden = hidden;
            }
            Action::Notice(text) => self.ui.notice = Some((text, true)),
            Action::Escape => {
                if self.ui.export.is_some() || self.ui.import.is_some() {
                    self.ui.export = None;
                    self.ui.import = None;
                } else if self.ui.share.is_some() {
                    self.ui.share = None;
                } else if self.ui.help {
                    self.ui.help = false;
                } else {
                    self.ui.selected = None;
                }
            }
            Action::ToggleCategory(c) => {
                if !self.ui.hidden.remove(&c) {
                    self.ui.hidden.insert(c);
                }
            }
            Action::SwitchProtocol(protocol) => {
                let nodes = PROTOCOLS
                    .iter()
                    .find(|(p, _, _)| *p == protocol)
                    .map_or(5, |(_, _, n)| *n);
                self.handle(
                    Action::Restart {
                        protocol: protocol.to_string(),
                        nodes,
                        seed: self.ui.seed,
                    },
                    wall_now,
                );
                return;
            }
            Action::Restart {
                protocol,
                nodes,
                seed,
            } => match Shared::new(&protocol, nodes, seed) {
                Ok(mut fresh) => {
                    fresh.ui.hidden = std::mem::take(&mut self.ui.hidden);
                    fresh.ui.notice = Some((
                        format!("started a {nodes}-node cluster with seed {seed}"),
                        false,
                    ));
                    *self = fresh;
                }
                Err(e) => self.ui.notice = Some((e, true)),
            },
            Action::JumpToViolation => {
                if let Some(v) = self.snapshot.violations.first().cloned() {
                    self.engine.set_playing(false);
                    self.ui.selected = v.node.map(|n| n.index());
                    self.ui.hidden.remove(&Category::Violation);
                    self.ui.highlight = self
                        .log
                        .iter()
                        .find(|l| l.category == Category::Violation)
                        .map(|l| l.index);
                    self.ui.notice = Some((format!("first violation at t={}: {v}", v.at), true));
                }
            }
            Action::ClientField(name, value) => self.ui.client_form.set(name, value),
            Action::Reconfigure(config) => {
                let mut scenario = self.engine.share();
                scenario.config = config;
                let playing = self.engine.playing();
                let opened = Engine::open(&scenario).and_then(Shared::with_engine);
                match opened {
                    Ok(mut fresh) => {
                        fresh.engine.set_playing(playing);
                        fresh.ui.hidden = std::mem::take(&mut self.ui.hidden);
                        fresh.ui.selected = self.ui.selected;
                        fresh.ui.scenario_name = self.ui.scenario_name.take();
                        fresh.ui.client_form = std::mem::take(&mut self.ui.client_form);
                        fresh.ui.notice = Some((
                            format!(
                                "replayed to t={} ms with the new settings (same seed, same actions)",
                                scenario.until.map_or(0, |t| t.0)
                            ),
                            false,
                        ));
                        *self = fresh;
                    }
                    Err(e) => {
                        self.ui.notice = Some((format!("cannot apply the settings: {e}"), true))
                    }
                }
            }
            Action::LinkClicked { a, b, one_way } => {
                let (na, nb) = (NodeId::from_index(a), NodeId::from_index(b));
                let broken = self
                    .snapshot
                    .links
                    .iter()
                    .any(|l| (l.from == na && l.to == nb) || (l.from == nb && l.to == na));
                let control = if broken {
                    Control::Heal { a: na, b: nb }
                } else if one_way {
                    // Cut the direction leaving the selected node if it is an end, else a → b.
                    let (from, to) = if self.ui.selected == Some(b) {
                        (nb, na)
                    } else {
                        (na, nb)
                    };
                    Control::CutOneWay { from, to }
                } else {
                    Control::Cut { a: na, b: nb }
                };
                self.control(control);
            }
        }
        self.refresh(wall_now);
        panic::remember_scenario(&self.engine.share());
    }
}

/// Put `fragment` in the address bar without reloading or adding a history entry.
fn set_fragment(fragment: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("#{fragment}")),
        );
    }
}

/// The current URL fragment, without `#` (empty if none).
fn current_fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
        .trim_start_matches('#')
        .to_string()
}

fn wall_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The whole page.
#[function_component(App)]
pub fn app() -> Html {
    let shared = use_mut_ref(|| {
        let fragment = current_fragment();
        if fragment.is_empty() {
            Shared::new("raft", 5, 7).expect("the default scenario is valid")
        } else {
            Shared::from_fragment(&fragment)
        }
    });
    let update = use_force_update();
    let canvas_ref = use_node_ref();
    let pending_read: exchange::PendingRead = use_mut_ref(|| None);

    let dispatch = {
        let shared = shared.clone();
        let update = update.clone();
        Callback::from(move |action: Action| {
            let now = wall_now();
            let mut s = shared.borrow_mut();
            s.handle(action, now);
            // User actions always render at once.
            s.should_render(now);
            s.dirty = false;
            drop(s);
            update.force_update();
        })
    };

    // The animation loop: tick the engine, re-render only on change, paint the canvas.
    {
        let shared = shared.clone();
        let update = update.clone();
        let canvas_ref = canvas_ref.clone();
        use_effect_with((), move |_| {
            let painter = RefCell::new(CanvasPainter::default());
            let last = RefCell::new(None::<f64>);
            let frames = FrameLoop::start(move |t: f64| {
                let dt = last.borrow().map_or(0.0, |l| t - l);
                *last.borrow_mut() = Some(t);
                let render = {
                    let mut s = shared.borrow_mut();
                    if s.engine.tick(dt) {
                        s.refresh(t);
                    }
                    s.drops.retain(|d| t - d.wall < crate::canvas::DROP_FADE_MS);
                    s.should_render(t)
                };
                if render {
                    update.force_update();
                }
                if let Some(canvas) = canvas_ref.cast::<web_sys::HtmlCanvasElement>() {
                    let s = shared.borrow();
                    painter
                        .borrow_mut()
                        .paint(&canvas, &s.snapshot, s.engine.vt(), &s.drops, t);
                }
            });
            move || drop(frames)
        });
    }

    // A link pasted into this tab's address bar opens like a fresh page would.
    {
        let dispatch = dispatch.clone();
        let shared = shared.clone();
        use_effect_with((), move |_| {
            let window = gloo::utils::window();
            let listener = gloo::events::EventListener::new(&window, "hashchange", move |_| {
                let fragment = current_fragment();
                let ours = shared
                    .borrow()
                    .ui
                    .share
                    .as_ref()
                    .is_some_and(|l| l.ends_with(&fragment));
                if !fragment.is_empty() && !ours {
                    dispatch.emit(Action::OpenFragment(fragment));
                }
            });
            move || drop(listener)
        });
    }

    // Keyboard shortcuts on the whole document (not while typing in a field).
    {
        let dispatch = dispatch.clone();
        let shared = shared.clone();
        use_effect_with((), move |_| {
            let document = gloo::utils::document();
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            let listener = gloo::events::EventListener::new_with_options(
                &document,
                "keydown",
                options,
                move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() {
                        return;
                    }
                    let typing = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .map(|el| match el.tag_name().as_str() {
                            // Sliders take arrows and Home/End only: shortcuts still work there.
                            "INPUT" => el.get_attribute("type").as_deref() != Some("range"),
                            "SELECT" | "TEXTAREA" => true,
                            _ => false,
                        })
                        .unwrap_or(false);
                    if typing && e.key() != "Escape" {
                        return;
                    }
                    let Some(cmd) = command_for(&e.key()) else {
                        return;
                    };
                    let selected = shared.borrow().ui.selected;
                    let action = match cmd {
                        Command::TogglePlay => Some(Action::TogglePlay),
                        Command::Step => Some(Action::Step),
                        Command::StepBack => Some(Action::Time(TimeAction::StepBack)),
                        Command::Slower => Some(Action::SpeedNudge(-5)),
                        Command::Faster => Some(Action::SpeedNudge(5)),
                        Command::Select(i) => Some(Action::Select(Some(i))),
                        Command::CrashOrRestart => selected.map(Action::CrashOrRestart),
                        Command::PauseOrResume => selected.map(Action::PauseOrResume),
                        Command::Timeout => selected.map(Action::Timeout),
                        Command::HealAll => Some(Action::Control(Control::HealAll)),
                        Command::Help => Some(Action::ToggleHelp),
                        Command::Share => Some(Action::Share),
                        Command::Escape => Some(Action::Escape),
                    };
                    if let Some(action) = action {
                        // Space would also scroll the page or press a focused button.
                        e.prevent_default();
                        dispatch.emit(action);
                    }
                },
            );
            move || drop(listener)
        });
    }

    let s = shared.borrow();
    let snap = s.snapshot.clone();
    let leader = snap
        .nodes
        .iter()
        .find(|n| n.status != NodeStatus::Crashed && n.view.role.leads)
        .map(|n| n.id);
    html! {
        <div class="app">
            { topbar::view(&s.ui, &dispatch) }
            <main class="stage" aria-label="Cluster">
                { graph::view(&snap, s.ui.selected, &dispatch, &canvas_ref) }
                { status::legend() }
            </main>
            <aside class="inspector" aria-label="Inspector">
                { inspector::view(&snap, s.ui.selected, leader, &dispatch) }
                if snap.protocol == "raft" {
                    { raft_panel::clients(&snap, &s.ui.client_form, s.engine.playground().counters().sent, &dispatch) }
                    { raft_panel::settings(&s.engine.scenario().config, &dispatch) }
                }
                { commit::panel(&snap, &dispatch) }
                if snap.protocol == "kv" {
                    <crate::components::kv::KvPanel snap={snap.clone()} dispatch={dispatch.clone()} />
                }
            </aside>
            <section class="time" aria-label="Time and events">
                { controls::view(&s.engine, &snap, leader, s.ui.scenario_name.as_deref(), &dispatch) }
                { timeline::view(&s.engine, &dispatch) }
                { log::view(&s.log, &s.ui, &dispatch) }
            </section>
            <footer class="status" aria-label="Status">
                { status::view(&snap, s.engine.playground().properties(), &s.ui, &s.log, &dispatch) }
            </footer>
            { if s.ui.help { help::view(&dispatch) } else { html!{} } }
            { s.ui.share.as_ref().map(|link| help::share(link, &dispatch)).unwrap_or_default() }
            { s.ui.export.as_ref().map(|(json, url)| exchange::export(json, url, &dispatch)).unwrap_or_default() }
            { s.ui.import.as_ref().map(|e| exchange::import(e.as_deref(), &pending_read, &dispatch)).unwrap_or_default() }
        </div>
    }
}

/// Number of speed slider steps (re-exported for components).
pub const SPEED_MAX_STEP: u32 = SPEED_STEPS;
