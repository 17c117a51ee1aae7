//! The one place where user intents change the page: [`State::handle`] takes an [`Action`],
//! changes the state and returns what the browser should do ([`DomEffect`]s) — it never
//! touches the DOM itself, so every branch is tested natively (`model/tests.rs`).

use crate::model::action::{Action, DomEffect, Notice};
use crate::model::analysis::history::{HistoryOp, KeyStatus};
use crate::model::analysis::metrics::{csv, marked_stale, metrics, Metrics};
use crate::model::analysis::{AnalysisAction, HistoryView};
use crate::model::engine::{speed_for_step, step_for_speed, Engine, SPEED_STEPS};
use crate::model::form::WHOLE_FORM;
use crate::model::keys::Command;
use crate::model::panes::Tab;
use crate::model::setup;
use crate::model::state::State;
use crate::model::timebar::TimeAction;
use crate::model::touring::TourAction;
use crate::panels::Submitted;
use netsplit_core::kernel::trace::{Category, Fnv64};
use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::run::registry::Registry;
use netsplit_core::run::timeline::Edited;
use netsplit_core::{Control, NodeId, Scenario};

/// New seeds are drawn below this (short enough to read out loud).
const NEW_SEED_BELOW: u64 = 1_000_000;

impl State {
    /// Carry out `action` at wall time `wall_now`; returns what the browser must do.
    pub fn handle(&mut self, action: Action, wall_now: f64) -> Vec<DomEffect> {
        let mut effects = Vec::new();
        match action {
            Action::TogglePlay => {
                let playing = !self.engine.playing();
                self.engine.set_playing(playing);
            }
            Action::Step => {
                if !self.engine.step() {
                    self.ui.notice = Some(Notice::info("nothing left to happen"));
                }
            }
            Action::Time(t) => match self.engine.time(t) {
                Ok(Some(text)) => self.ui.notice = Some(Notice::info(text)),
                Ok(None) => {}
                Err(e) => self.ui.notice = Some(Notice::error(e)),
            },
            Action::SpeedStep(step) => self.engine.set_speed(speed_for_step(step)),
            Action::SpeedNudge(delta) => {
                let step = step_for_speed(self.engine.speed()) as i32 + delta;
                self.engine
                    .set_speed(speed_for_step(step.clamp(0, SPEED_STEPS as i32) as u32));
            }
            Action::Select(sel) => {
                self.ui.selected = sel.filter(|i| *i < self.snapshot.nodes.len());
                if self.ui.selected.is_some() {
                    // Choosing a node is asking to see it.
                    self.ui.panes.tab = Tab::Node;
                }
            }
            Action::Key(command) => match self.key(command) {
                Some(action) => return self.handle(action, wall_now),
                None if matches!(command, Command::TourPrev | Command::TourNext) => {}
                None if command == Command::Back => {
                    self.ui.notice = Some(Notice::error(
                        "no earlier session to go back to: changing the protocol, nodes, seed or scenario keeps the one you leave here",
                    ))
                }
                None => {
                    self.ui.notice = Some(Notice::error(
                        "select a node first (click it, or press 1–9)",
                    ))
                }
            },
            Action::Control(c) => self.control(c),
            Action::CrashOrRestart(i) => self.crash_or_restart(i),
            Action::PauseOrResume(i) => self.pause_or_resume(i),
            Action::Timeout(i) => self.timeout(i),
            Action::LinkClicked { a, b, one_way } => self.link_clicked(a, b, one_way),
            Action::ToggleHelp => self.ui.help = !self.ui.help,
            Action::Legend(open) => self.ui.legend = open,
            Action::Escape => self.escape(),
            Action::ToggleCategory(c) => {
                if !self.ui.hidden.remove(&c) {
                    self.ui.hidden.insert(c);
                }
            }
            Action::SwitchProtocol(id) => match Registry::builtin().get(&id) {
                Some(p) => {
                    let action = Action::Restart {
                        protocol: p.id().to_string(),
                        nodes: p.servers().default,
                        seed: self.ui.seed,
                    };
                    return self.handle(action, wall_now);
                }
                None => {
                    self.ui.notice = Some(Notice::error(format!("there is no protocol {id:?}")))
                }
            },
            Action::Restart {
                protocol,
                nodes,
                seed,
            } => self.restart(&protocol, nodes, seed),
            Action::NewSeed => {
                let mut h = Fnv64::default();
                h.write(&self.ui.seed.to_le_bytes());
                h.write(&wall_now.to_bits().to_le_bytes());
                let seed = h.finish() % NEW_SEED_BELOW;
                let protocol = self.ui.protocol.to_string();
                self.restart(&protocol, self.ui.nodes, seed);
            }
            Action::Notice(text) => self.ui.notice = Some(Notice::error(text)),
            Action::Tab(tab) => self.ui.panes.tab = tab,
            Action::TogglePresent => {
                self.ui.panes.present = !self.ui.panes.present;
                self.ui.notice = Some(Notice::info(if self.ui.panes.present {
                    "presentation mode: press f (or the Present button) to leave"
                } else {
                    "presentation mode off"
                }));
            }
            Action::ToggleLog => self.ui.panes.log_open = !self.ui.panes.log_open,
            Action::GoBack(index) => {
                if !self.go_back(index) {
                    self.ui.notice = Some(Notice::error(
                        "no earlier session to go back to: changing the protocol, nodes, seed or scenario keeps the one you leave here",
                    ));
                }
            }
            Action::Dismiss => {
                self.ui.link_error = None;
                self.ui.switched_from = None;
            }
            Action::Share => {
                self.engine.pause_at_clock();
                let scenario = match self.scenario_to_share() {
                    Ok(s) => s,
                    Err(e) => {
                        self.ui.notice = Some(Notice::error(format!("cannot share: {e}")));
                        self.refresh(wall_now);
                        return effects;
                    }
                };
                match netsplit_core::run::link::url(&self.base_url, &scenario) {
                    Ok(link) => {
                        if let Some((_, fragment)) = link.split_once('#') {
                            effects.push(DomEffect::SetFragment(fragment.to_string()));
                        }
                        self.ui.share = Some(link);
                    }
                    Err(e) => {
                        self.ui.notice = Some(Notice::error(format!(
                            "cannot share: {}",
                            crate::model::state::plain_error("the link", &e)
                        )))
                    }
                }
            }
            Action::CopyShareLink => {
                if let Some(link) = &self.ui.share {
                    effects.push(DomEffect::CopyToClipboard(link.clone()));
                    self.ui.notice = Some(Notice::info("copied the link"));
                }
            }
            Action::CopyEmbedSnippet => {
                if let Some(link) = &self.ui.share {
                    let snippet = crate::model::embed::iframe_snippet(
                        link,
                        self.ui.scenario_name.as_deref(),
                    );
                    effects.push(DomEffect::CopyToClipboard(snippet));
                    self.ui.notice = Some(Notice::info("copied the embed code"));
                }
            }
            Action::Embed(call) => self.embed_call(call),
            Action::Tour(t) => self.tour_action(t),
            Action::Challenge(c) => self.challenge_action(c),
            Action::OpenChapter(id) => self.open_chapter(&id, 0),
            Action::CloseShare => self.ui.share = None,
            Action::OpenGallery(id) => self.open_gallery(&id),
            Action::Export => {
                self.engine.pause_at_clock();
                match self.scenario_to_share() {
                    Ok(scenario) => {
                        let json = scenario.to_json();
                        effects.push(DomEffect::OfferDownload { json: json.clone() });
                        self.ui.export = Some(json);
                    }
                    Err(e) => self.ui.notice = Some(Notice::error(format!("cannot export: {e}"))),
                }
            }
            Action::ShowImport => self.ui.import = Some(None),
            Action::ImportFailed(e) => self.ui.import = Some(Some(e)),
            Action::ImportText(text) => self.import(&text),
            Action::CloseDialogs => {
                self.ui.export = None;
                self.ui.import = None;
            }
            Action::OpenFragment(fragment) => {
                // The fragment this page just wrote (Share) is not a new link.
                let ours = self
                    .ui
                    .share
                    .as_ref()
                    .is_some_and(|l| l.ends_with(&format!("#{fragment}")));
                if !fragment.is_empty() && !ours {
                    let fresh = State::from_fragment(&fragment);
                    let notice = fresh.ui.notice.clone().unwrap_or(Notice::info(""));
                    let link_error = fresh.ui.link_error.clone();
                    self.switch_to(fresh, notice);
                    self.ui.link_error = link_error;
                }
            }
            Action::JumpToViolation => self.jump_to_violation(),
            Action::Field {
                form,
                field,
                value,
                choice,
            } => {
                if let Some(f) = self.ui.forms.get_mut(form) {
                    if choice {
                        f.choose(&field, value);
                    } else {
                        f.set(&field, value);
                    }
                }
            }
            Action::Submit(form) => self.submit(form),
            Action::Analysis(a) => {
                if let Some(effect) = self.analysis_action(a) {
                    effects.push(effect);
                }
            }
        }
        self.refresh(wall_now);
        effects
    }

    /// Carry out an analysis action; a CSV export becomes a download.
    fn analysis_action(&mut self, action: AnalysisAction) -> Option<DomEffect> {
        match action {
            AnalysisAction::ExportCsv => {
                let panel = self.panel();
                let view = self.analysis.history(&self.engine, panel);
                let now = self.engine.playground().now().0;
                let m = self.metrics(&view, now);
                Some(DomEffect::Download {
                    name: format!(
                        "netsplit-metrics-{}-seed{}.csv",
                        self.ui.protocol, self.ui.seed
                    ),
                    mime: "text/csv",
                    text: csv(&m),
                })
            }
            AnalysisAction::Hover(m) => {
                self.ui.hover_msg = m;
                self.analysis.handle(AnalysisAction::Hover(m));
                None
            }
            other => {
                self.analysis.handle(other);
                None
            }
        }
    }

    /// The metrics up to `now` (stale reads: the store's marks, or the reads among a
    /// non-linearizable key's offending operations).
    pub fn metrics(&self, view: &HistoryView, now: u64) -> Metrics {
        let offending: std::collections::BTreeSet<usize> = view
            .keys
            .iter()
            .flat_map(|k| match &k.status {
                KeyStatus::NotLinearizable { offending, .. } => offending.clone(),
                _ => Default::default(),
            })
            .collect();
        let ops = &view.history.ops;
        let stale = |i: usize, op: &HistoryOp| {
            marked_stale(op) || (offending.contains(&i) && op.label.starts_with("get "))
        };
        metrics(&self.analysis.index, ops, &stale, now)
    }

    /// What a shortcut does with the current selection (`None`: it needs one).
    fn key(&self, command: Command) -> Option<Action> {
        let selected = self.ui.selected;
        Some(match command {
            Command::TogglePlay => Action::TogglePlay,
            Command::Step => Action::Step,
            Command::StepBack => Action::Time(TimeAction::StepBack),
            Command::Slower => Action::SpeedNudge(-5),
            Command::Faster => Action::SpeedNudge(5),
            Command::Select(i) => Action::Select(Some(i)),
            Command::CrashOrRestart => Action::CrashOrRestart(selected?),
            Command::PauseOrResume => Action::PauseOrResume(selected?),
            Command::Timeout => Action::Timeout(selected?),
            Command::HealAll => Action::Control(Control::HealAll),
            Command::Help => Action::ToggleHelp,
            Command::Present => Action::TogglePresent,
            Command::Back => Action::GoBack(self.previous.len().checked_sub(1)?),
            Command::Share => Action::Share,
            Command::Escape => Action::Escape,
            Command::TourPrev if self.tour.is_some() => Action::Tour(TourAction::Prev),
            Command::TourNext if self.tour.is_some() => Action::Tour(TourAction::Next),
            Command::TourPrev | Command::TourNext => return None,
        })
    }

    /// Apply a user action now; say what happened.
    fn control(&mut self, control: Control) {
        let label = control.to_string();
        self.ui.notice = Some(match self.engine.apply(control) {
            Ok(Edited::Forked) => Notice::info(format!("applied: {label} (new branch)")),
            Ok(_) => Notice::info(format!("applied: {label}")),
            Err(e) => Notice::error(format!("cannot {label}: {e}")),
        });
    }

    /// The server at snapshot position `i` and its status, or a notice saying why not.
    fn server_at(&mut self, i: usize, what: &str) -> Option<(NodeId, NodeStatus)> {
        let node = self.snapshot.nodes.get(i)?;
        if node.id.is_client() {
            self.ui.notice = Some(Notice::error(format!(
                "clients cannot {what}: they stand outside the cluster"
            )));
            return None;
        }
        Some((node.id, node.status))
    }

    fn crash_or_restart(&mut self, i: usize) {
        if let Some((node, status)) = self.server_at(i, "crash") {
            self.control(match status {
                NodeStatus::Crashed => Control::Restart { node },
                _ => Control::Crash { node },
            });
        }
    }

    fn pause_or_resume(&mut self, i: usize) {
        if let Some((node, status)) = self.server_at(i, "be paused") {
            self.control(match status {
                NodeStatus::Paused => Control::Resume { node },
                _ => Control::Pause { node },
            });
        }
    }

    fn timeout(&mut self, i: usize) {
        let Some((node, _)) = self.server_at(i, "time out") else {
            return;
        };
        if self.look().timer_arc.is_none() {
            let label = Registry::builtin()
                .get(self.ui.protocol)
                .map_or(self.ui.protocol, |p| p.label());
            self.ui.notice = Some(Notice::error(format!("{label} has no timeout to force")));
            return;
        }
        self.control(Control::Timeout { node });
    }

    fn link_clicked(&mut self, a: usize, b: usize, one_way: bool) {
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

    /// Close the topmost overlay; with none open, clear the selection.
    fn escape(&mut self) {
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

    fn restart(&mut self, protocol: &str, nodes: usize, seed: u64) {
        match State::fresh(protocol, nodes, seed) {
            Ok(fresh) => {
                let nodes = fresh.ui.nodes;
                self.switch_to(
                    fresh,
                    Notice::info(format!("started a {nodes}-node cluster with seed {seed}")),
                );
            }
            Err(e) => self.ui.notice = Some(Notice::error(e)),
        }
    }

    /// Open gallery scenario `id` (its tour, if it is narrated), putting this session aside.
    pub(crate) fn handle_open_gallery(&mut self, id: &str) {
        self.open_gallery(id);
    }

    fn open_gallery(&mut self, id: &str) {
        let opened = Registry::builtin()
            .load_gallery(id)
            .and_then(|s| Engine::new(&s, true).map(|e| (s, e)));
        match opened {
            Ok((scenario, engine)) => {
                let mut fresh = State::with_engine(engine);
                fresh.ui.scenario_name = Some(scenario.name.clone());
                fresh.attach_tour(&scenario);
                self.switch_to(fresh, Notice::info(scenario.description.clone()));
            }
            Err(e) => self.ui.notice = Some(Notice::error(e.to_string())),
        }
    }

    fn import(&mut self, text: &str) {
        let opened = Scenario::from_json(text).and_then(|s| Engine::open(&s).map(|e| (s, e)));
        match opened {
            Ok((scenario, engine)) => {
                let at = scenario.until.map_or(0, |t| t.0);
                let mut fresh = State::with_engine(engine);
                if !scenario.captions.is_empty() && !scenario.name.is_empty() {
                    fresh.ui.scenario_name = Some(scenario.name.clone());
                }
                fresh.attach_tour(&scenario);
                self.switch_to(
                    fresh,
                    Notice::info(format!("imported “{}” at t={at} ms", scenario.name)),
                );
            }
            Err(e) => {
                self.ui.import = Some(Some(format!(
                    "Cannot open this scenario: {}.",
                    crate::model::state::plain_error("it", &e)
                )))
            }
        }
    }

    fn jump_to_violation(&mut self) {
        if let Some(v) = self.snapshot.violations.first().cloned() {
            self.engine.set_playing(false);
            self.ui.selected = v
                .node
                .and_then(|n| self.snapshot.nodes.iter().position(|s| s.id == n));
            self.ui.hidden.remove(&Category::Violation);
            self.ui.highlight = self
                .log
                .iter()
                .find(|l| l.category == Category::Violation)
                .map(|l| l.index);
            self.ui.notice = Some(Notice::error(format!("first violation at t={}: {v}", v.at)));
        }
    }

    /// Check form `form` (a page form, or else the protocol panel's) and do what it asks for.
    fn submit(&mut self, form: &'static str) {
        if form == setup::SEED {
            let values = self.ui.forms.get(form).clone();
            match setup::seed_of(&values) {
                // Enter both changes the box and submits its form: one restart, not two.
                Ok(seed) if seed == self.ui.seed => {
                    if let Some(f) = self.ui.forms.get_mut(form) {
                        f.set_errors(Vec::new());
                    }
                }
                Ok(seed) => {
                    let protocol = self.ui.protocol.to_string();
                    self.restart(&protocol, self.ui.nodes, seed);
                }
                Err(invalid) => self.refuse(form, invalid),
            }
            return;
        }
        if form == setup::NET {
            let values = self.ui.forms.get(form).clone();
            match setup::net_control(&values) {
                Ok(control) => self.apply_from(form, control),
                Err(invalid) => self.refuse(form, invalid),
            }
            return;
        }
        let panel = self.panel();
        let values = self.ui.forms.get(form).clone();
        match panel.submit(form, &values, self.engine.playground()) {
            Ok(Submitted::Apply(control)) => self.apply_from(form, control),
            Ok(Submitted::Reconfigure(config)) => self.reconfigure(config, form),
            Ok(Submitted::Output(output)) => {
                if let Some(f) = self.ui.forms.get_mut(form) {
                    f.set_errors(Vec::new());
                    f.set_output(output);
                }
            }
            Err(invalid) => self.refuse(form, invalid),
        }
    }

    /// Apply what form `form` asked for; a refusal is shown under the form.
    fn apply_from(&mut self, form: &'static str, control: Control) {
        self.control(control);
        let refused = self.ui.notice.as_ref().filter(|n| n.error).cloned();
        if let Some(f) = self.ui.forms.get_mut(form) {
            f.set_errors(
                refused
                    .map(|n| vec![(WHOLE_FORM.to_string(), n.text)])
                    .unwrap_or_default(),
            );
        }
    }

    /// A submission that did not pass: every reason next to its field, a short line in the
    /// status strip.
    fn refuse(&mut self, form: &'static str, invalid: crate::model::form::Invalid) {
        self.ui.notice = Some(Notice::error(invalid.notice));
        if let Some(f) = self.ui.forms.get_mut(form) {
            f.set_errors(invalid.fields);
        }
    }

    /// Replay the run from the start with protocol configuration `config` (same seed, same
    /// actions). A refused configuration changes nothing and says why next to its field.
    fn reconfigure(&mut self, config: serde_json::Value, form: &'static str) {
        let mut scenario = self.engine.share();
        scenario.config = config;
        let playing = self.engine.playing();
        match Engine::open(&scenario) {
            Ok(mut engine) => {
                engine.set_playing(playing);
                let mut fresh = State::with_engine(engine);
                fresh.ui.selected = self.ui.selected;
                fresh.ui.scenario_name = self.ui.scenario_name.take();
                fresh.ui.forms = std::mem::take(&mut self.ui.forms);
                let tab = self.ui.panes.tab;
                let at = scenario.until.map_or(0, |t| t.0);
                self.replace(
                    fresh,
                    Notice::info(format!(
                        "replayed to t={at} ms with the new settings (same seed, same actions)"
                    )),
                );
                self.ui.panes.tab = tab;
            }
            Err(e) => {
                // The refused value stays in its field, with the reason next to it.
                if let Some(f) = self.ui.forms.get_mut(form) {
                    let named = e.path.rsplit('.').next().unwrap_or(WHOLE_FORM);
                    let field = if f.has(named) { named } else { WHOLE_FORM };
                    f.set_errors(vec![(field.to_string(), e.message.clone())]);
                }
                self.ui.notice = Some(Notice::error(format!("cannot apply the settings: {e}")));
            }
        }
    }
}
