//! A narrated tour on the page: the scenario's captions, each one's verdicts (core's
//! `run::tour::check_captions`), the step showing ([`Nav`]), the caption editor, and the
//! reducer's part: Prev / Next / Replay, "Try it yourself" (the live state handed to the
//! sandbox, the tour kept to go back to), editing captions.

use crate::model::action::Notice;
use crate::model::engine::Engine;
use crate::model::state::{plain_error, State};
use crate::model::tour::{Moment, Nav, Spot};
use netsplit_core::run::registry::Registry;
use netsplit_core::run::tour::markdown::Span;
use netsplit_core::run::tour::runner::{check_captions, TourReport};
use netsplit_core::run::tour::{validate_captions, Caption};
use netsplit_core::{Scenario, Time};

/// Text of a caption added by the editor, until the author writes their own.
pub const NEW_CAPTION: &str = "Say what happens here.";

/// What the tour buttons and keys ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TourAction {
    /// The previous step.
    Prev,
    /// The next step.
    Next,
    /// Play the showing step again.
    Replay,
    /// Hand the live state to the sandbox (the tour is kept: Back returns to this step).
    TryIt,
    /// Leave the tour (the run stays).
    Close,
    /// In a chapter: the chapter's next scenario.
    NextScenario,
    /// Open the caption editor, starting a tour of this session if there is none.
    Write,
    /// Open or close the caption editor.
    ToggleEditor,
    /// Add a caption at the moment on screen.
    Add,
    /// Change caption `index`'s text.
    Text {
        /// Which caption.
        index: usize,
        /// Its new text.
        text: String,
    },
    /// Swap caption `index` with the one before it (texts and highlights trade moments).
    MoveUp(usize),
    /// Swap caption `index` with the one after it.
    MoveDown(usize),
    /// Delete caption `index`.
    Delete(usize),
}

/// One expectation's verdict, as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckView {
    /// Whether it holds.
    pub met: bool,
    /// What was found, in words.
    pub reason: String,
}

/// The step showing, as the caption panel draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepView {
    /// 0-based.
    pub index: usize,
    /// The caption's text as typed spans (rendered as text nodes, never HTML).
    pub spans: Vec<Span>,
    /// What it points at.
    pub spot: Spot,
    /// When it fired (`None`: it never did in this run).
    pub at: Option<u64>,
    /// Its claims, decided at that moment.
    pub checks: Vec<CheckView>,
}

/// A narrated tour of the session.
#[derive(Clone, Debug)]
pub struct Tour {
    /// The scenario's name.
    pub title: String,
    /// The captions, in order.
    pub captions: Vec<Caption>,
    /// The scenario's end, kept for the share link and the checks.
    pub until: Option<Time>,
    /// Every caption's verdicts in a run of the session's scenario.
    pub report: Option<TourReport>,
    /// Why the captions could not be checked (or are invalid), if so.
    pub problem: Option<String>,
    /// The step showing.
    pub nav: Nav,
    /// The caption editor is open.
    pub editing: bool,
    /// The chapter this tour is part of, if any.
    pub chapter: Option<ChapterPos>,
}

/// Where a tour sits in its chapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChapterPos {
    /// The chapter's registry id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// This scenario's position (0-based).
    pub index: usize,
    /// How many scenarios the chapter plays.
    pub len: usize,
}

impl ChapterPos {
    /// Whether another scenario follows.
    pub fn has_next(&self) -> bool {
        self.index + 1 < self.len
    }
}

/// How many of a step's claims hold, in words: `the claim holds`, `2 of 3 claims hold`,
/// `1 of 2 claims holds`, `all 4 claims hold`.
pub fn claims_summary(met: usize, total: usize) -> String {
    match (met, total) {
        (_, 1) if met == 1 => "the claim holds".into(),
        (_, 1) => "the claim does not hold".into(),
        (m, t) if m == t => format!("all {t} claims hold"),
        (1, t) => format!("1 of {t} claims holds"),
        (m, t) => format!("{m} of {t} claims hold"),
    }
}

/// The spot of a caption's highlight.
pub fn spot_of(c: &Caption) -> Spot {
    let h = &c.highlight;
    Spot {
        nodes: h.nodes.clone(),
        link: h.link.map(|[a, b]| (a, b)),
        message: h.message.clone(),
        log_index: h.log_index,
        key: h.key.clone(),
    }
}

impl Tour {
    /// The tour of `scenario`'s captions (`None` without captions), with the run at `now`.
    pub fn of(scenario: &Scenario, now: Moment) -> Option<Tour> {
        if scenario.captions.is_empty() {
            return None;
        }
        let mut tour = Tour {
            title: scenario.name.clone(),
            captions: scenario.captions.clone(),
            until: scenario.until,
            report: None,
            problem: None,
            nav: Nav::default(),
            editing: false,
            chapter: None,
        };
        tour.check(scenario, now);
        Some(tour)
    }

    /// An empty tour to write captions for (the editor on a session without any).
    pub fn blank(title: &str, until: Option<Time>) -> Tour {
        Tour {
            title: title.to_string(),
            captions: Vec::new(),
            until,
            report: None,
            problem: None,
            nav: Nav::default(),
            editing: true,
            chapter: None,
        }
    }

    /// Decide every caption's claims on a run of `base` (the session's scenario) with these
    /// captions, and place the steps at the exact states they fired at (time and step count).
    pub fn check(&mut self, base: &Scenario, now: Moment) {
        let mut scenario = base.clone();
        scenario.captions = self.captions.clone();
        // Run at least to the last caption: a link shared mid-tour ends (`until`) at the moment
        // it was made, and the captions after it must still fire.
        let last_at = self.captions.iter().filter_map(|c| c.at).max();
        let ends_on_event = self.captions.last().is_some_and(|c| c.after.is_some());
        scenario.until = self
            .until
            .filter(|u| !ends_on_event && last_at.is_none_or(|l| *u >= l));
        let current = self.nav.current();
        let checked = validate_captions(
            &self.captions,
            scenario.cluster.nodes,
            scenario.cluster.clients,
            "captions",
        )
        .and_then(|()| check_captions(&Registry::builtin(), &scenario));
        match checked {
            Ok(report) => {
                let moments = report
                    .steps
                    .iter()
                    .map(|s| {
                        s.fired_at
                            .zip(s.fired_step)
                            .map(|(t, steps)| Moment::new(t.0, steps))
                    })
                    .collect();
                let pauses = self.captions.iter().map(|c| c.pause).collect();
                self.nav = Nav::new(moments, pauses, now);
                if let Some(k) = current.filter(|k| *k < self.nav.len()) {
                    self.nav.keep(k);
                }
                self.report = Some(report);
                self.problem = None;
            }
            Err(e) => {
                self.problem = Some(plain_error("the captions", &e));
                self.report = None;
            }
        }
    }

    /// The step showing.
    pub fn step(&self) -> Option<StepView> {
        let k = self.nav.current()?;
        let caption = self.captions.get(k)?;
        let checks = self
            .report
            .as_ref()
            .and_then(|r| r.steps.get(k))
            .map(|s| {
                s.checks
                    .iter()
                    .map(|c| CheckView {
                        met: c.verdict.met,
                        reason: c.verdict.reason.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(StepView {
            index: k,
            spans: caption.spans(),
            spot: spot_of(caption),
            at: self.nav.time(k),
            checks,
        })
    }

    /// What the step showing points at (cheap: no text parsed; the diagram asks every frame).
    pub fn spot(&self) -> Option<Spot> {
        let k = self.nav.current()?;
        self.captions.get(k).map(spot_of)
    }

    /// The captions to put in a shared or exported scenario (`Err`: why they cannot be).
    pub fn shareable(&self) -> Result<Vec<Caption>, String> {
        match &self.problem {
            Some(p) => Err(format!("fix the captions first: {p}")),
            None => Ok(self.captions.clone()),
        }
    }
}

impl State {
    /// Open scenario `index` of chapter `id` as a tour (putting this session aside).
    pub(crate) fn open_chapter(&mut self, id: &str, index: usize) {
        let registry = Registry::builtin();
        let Some((_, chapter)) = registry.chapters().find(|(_, c)| c.id == id) else {
            self.ui.notice = Some(Notice::error(format!("there is no chapter {id:?}")));
            return;
        };
        let Some(scenario) = chapter.scenarios.get(index) else {
            return;
        };
        self.handle_open_gallery(scenario);
        if let Some(t) = &mut self.tour {
            t.chapter = Some(ChapterPos {
                id: chapter.id.to_string(),
                title: chapter.title.to_string(),
                index,
                len: chapter.scenarios.len(),
            });
        }
    }

    /// The session as a scenario for a share link or a file: the engine's, plus the tour's
    /// captions when they are valid.
    pub(crate) fn scenario_to_share(&self) -> Result<Scenario, String> {
        let mut s = self.engine.share();
        if let Some(tour) = &self.tour {
            s.captions = tour.shareable()?;
        }
        Ok(s)
    }

    /// Start the tour of `scenario` if it has captions (a scenario opened from the gallery, a
    /// file, a link or the embed's API).
    pub(crate) fn attach_tour(&mut self, scenario: &Scenario) {
        let now = self.engine_moment();
        self.tour = Tour::of(scenario, now);
        if let Some(t) = &mut self.tour {
            if scenario.until.is_none() || self.engine.playing() {
                // Played from the start: pause at the first pausing caption or the last.
                self.engine.set_stop(t.nav.next_stop(now));
            }
            t.nav.follow(now);
        }
    }

    /// The exact state on screen: its time and step count.
    pub(crate) fn engine_moment(&self) -> Moment {
        let pg = self.engine.playground();
        Moment::new(pg.now().0, pg.steps())
    }

    /// After the clock moved: the caption follows, and playing pauses where the tour says.
    pub(crate) fn tour_follow(&mut self) {
        let now = self.engine_moment();
        if let Some(t) = &mut self.tour {
            t.nav.follow(now);
        }
        self.tour_arm();
    }

    /// While playing a tour: pause at its next pausing caption (or its last), at the exact
    /// step, unless a stop is already set.
    pub(crate) fn tour_arm(&mut self) {
        if !self.engine.playing() || self.engine.stop_at().is_some() {
            return;
        }
        let now = self.engine_moment();
        if let Some(t) = &self.tour {
            self.engine.set_stop(t.nav.next_stop(now));
        }
    }

    /// Carry out a tour action.
    pub(crate) fn tour_action(&mut self, action: TourAction) {
        let base = self.engine.scenario();
        let now = self.engine_moment();
        let Some(tour) = &mut self.tour else {
            if matches!(action, TourAction::Write | TourAction::ToggleEditor) {
                let title = self.ui.scenario_name.clone().unwrap_or_default();
                self.tour = Some(Tour::blank(&title, None));
                self.ui.notice = Some(Notice::info(
                    "caption editor: add a caption at the moment on screen",
                ));
            }
            return;
        };
        let go = match action {
            TourAction::Prev => tour.nav.back(),
            TourAction::Next => tour.nav.forward(),
            TourAction::Replay => tour.nav.replay(),
            TourAction::TryIt => {
                self.try_it();
                return;
            }
            TourAction::Close => {
                self.tour = None;
                self.engine.set_stop_at(None);
                self.ui.notice = Some(Notice::info("left the tour: the run stays as it is"));
                return;
            }
            TourAction::ToggleEditor => {
                tour.editing = !tour.editing;
                return;
            }
            TourAction::NextScenario => {
                if let Some(c) = tour.chapter.clone().filter(ChapterPos::has_next) {
                    self.open_chapter(&c.id, c.index + 1);
                }
                return;
            }
            TourAction::Write => {
                tour.editing = true;
                return;
            }
            TourAction::Add => {
                let at = Time(now.at);
                let index = tour
                    .captions
                    .iter()
                    .enumerate()
                    .filter(|(k, c)| {
                        c.at.or(tour.nav.time(*k).map(Time))
                            .is_some_and(|t| t <= at)
                    })
                    .map(|(k, _)| k + 1)
                    .max()
                    .unwrap_or(0);
                tour.captions.insert(index, Caption::at(at, NEW_CAPTION));
                tour.check(&base, now);
                tour.nav.keep(index);
                None
            }
            TourAction::Text { index, text } => {
                if let Some(c) = tour.captions.get_mut(index) {
                    c.text = text;
                    if tour.report.is_some() {
                        // A text changes no verdict: validate only (no re-run per keystroke).
                        tour.problem = validate_captions(
                            &tour.captions,
                            base.cluster.nodes,
                            base.cluster.clients,
                            "captions",
                        )
                        .err()
                        .map(|e| plain_error("the captions", &e));
                    } else {
                        tour.check(&base, now);
                    }
                }
                None
            }
            TourAction::MoveUp(i) | TourAction::MoveDown(i) => {
                let j = if matches!(action, TourAction::MoveUp(_)) {
                    i.checked_sub(1)
                } else {
                    Some(i + 1)
                };
                if let Some(j) = j.filter(|j| *j < tour.captions.len() && i < tour.captions.len()) {
                    swap_content(&mut tour.captions, i, j);
                    tour.check(&base, now);
                }
                None
            }
            TourAction::Delete(i) => {
                if i < tour.captions.len() {
                    tour.captions.remove(i);
                    tour.check(&base, now);
                }
                None
            }
        };
        if let Some(go) = go {
            if let Some(m) = go.seek {
                self.engine.seek_to_moment(m);
            }
            self.engine.set_stop(go.play_until);
            if go.play_until.is_some() {
                self.engine.set_playing(true);
            }
        }
    }

    /// "Try it yourself": the moment on screen becomes a sandbox session (every control works
    /// there); the tour is put aside, paused at this step, for Back to return to.
    fn try_it(&mut self) {
        // A caption may have fired in the middle of an instant: both the sandbox and the tour
        // kept for Back show exactly that state (a scenario's `until` names only the end of
        // an instant, so the sandbox replays to it and steps back).
        let exact = self.engine_moment();
        self.engine.pause_at_clock();
        let mut scenario = self.engine.share();
        scenario.captions.clear();
        match Engine::open(&scenario) {
            Ok(mut engine) => {
                engine.seek_to_moment(exact);
                let mut sandbox = State::with_engine(engine);
                sandbox.ui.scenario_name = None;
                let from = self
                    .tour
                    .as_ref()
                    .map(|t| sandbox_from(&t.nav))
                    .unwrap_or_default();
                self.switch_to(
                    sandbox,
                    Notice::info(format!(
                        "your sandbox, {from}: everything works here; Back (u) returns to the tour"
                    )),
                );
                if let Some(kept) = self.previous.last_mut() {
                    kept.state.engine.seek_to_moment(exact);
                }
            }
            Err(e) => {
                self.ui.notice = Some(Notice::error(format!(
                    "cannot start the sandbox: {}",
                    plain_error("it", &e)
                )))
            }
        }
    }
}

/// Where a sandbox started, in words: `from step 3 of 8 of the tour`, `from the start of the
/// tour`.
pub fn sandbox_from(nav: &Nav) -> String {
    match nav.current() {
        Some(k) => format!("from step {} of {} of the tour", k + 1, nav.len()),
        None => "from the start of the tour".into(),
    }
}

/// Swap what captions `i` and `j` say (text, highlight, pause, claims), keeping when each fires:
/// the list stays in time order.
fn swap_content(captions: &mut [Caption], i: usize, j: usize) {
    let (a, b) = (captions[i].clone(), captions[j].clone());
    for (dst, src) in [(i, b), (j, a)] {
        let c = &mut captions[dst];
        c.text = src.text;
        c.highlight = src.highlight;
        c.pause = src.pause;
        c.expect = src.expect;
    }
}
