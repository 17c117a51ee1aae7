//! The page's simulation driver: wall-clock frames in, virtual time out.
//!
//! Pure Rust (no DOM), so it is tested natively. Each animation frame calls [`Engine::tick`] with
//! the wall-clock time since the previous frame. The delta is clamped (a tab that was hidden for
//! a minute does not fast-forward a minute), scaled by the speed, and the simulator runs up to the
//! new virtual time with a per-frame event budget. Because every protocol timer lives in virtual
//! time, slow frames only slow the simulation down — they can never make a node time out early.

use crate::model::timebar::TimeAction;
use crate::model::tour::Moment;
use netsplit_core::kernel::config::ConfigError;
use netsplit_core::kernel::sim::{ControlError, Pick, RunOutcome};
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::run::playground::TraceLine;
use netsplit_core::run::scenario::TimedAction;
use netsplit_core::run::timeline::{BranchInfo, Edited, Timeline};
use netsplit_core::{build, Control, Playground, Scenario, Time};

/// Longest wall-clock frame taken into account, in ms.
pub const MAX_FRAME_MS: f64 = 100.0;
/// Most events processed in one frame before the engine declares itself behind.
pub const MAX_EVENTS_PER_FRAME: u64 = 5_000;
/// Slowest speed (virtual ms per wall ms).
pub const MIN_SPEED: f64 = 0.01;
/// Fastest speed.
pub const MAX_SPEED: f64 = 10.0;
/// Speed at start: a 40 ms message takes 0.4 s on screen.
pub const DEFAULT_SPEED: f64 = 0.1;
/// Slider positions (0..=SPEED_STEPS) map logarithmically onto MIN_SPEED..=MAX_SPEED.
pub const SPEED_STEPS: u32 = 60;

/// Speed for a slider position (log scale).
pub fn speed_for_step(step: u32) -> f64 {
    let f = f64::from(step.min(SPEED_STEPS)) / f64::from(SPEED_STEPS);
    MIN_SPEED * (MAX_SPEED / MIN_SPEED).powf(f)
}

/// Nearest slider position for a speed.
pub fn step_for_speed(speed: f64) -> u32 {
    let s = speed.clamp(MIN_SPEED, MAX_SPEED);
    let f = (s / MIN_SPEED).ln() / (MAX_SPEED / MIN_SPEED).ln();
    (f * f64::from(SPEED_STEPS)).round() as u32
}

/// Human form of a speed: `0.10×`, `2×`.
pub fn speed_label(speed: f64) -> String {
    if speed >= 1.0 {
        format!("{speed:.1}×")
    } else {
        format!("{speed:.2}×")
    }
}

/// Trace lines handed to the log after a jump in time (the log shows the latest ones).
pub const LOG_AFTER_JUMP: usize = 400;
/// Trace entries the page keeps of a run (about ten minutes of a busy 5-node cluster); older
/// ones are forgotten, so a page left running for hours stays bounded. Seeking there replays
/// them from a checkpoint; share links and exports need only the seed and the actions.
pub const TRACE_WINDOW: usize = 200_000;

/// The running simulation (with its timeline) plus playback state.
pub struct Engine {
    timeline: Timeline,
    /// Virtual time on screen, in fractional ms (≥ the simulator's clock).
    vt: f64,
    playing: bool,
    speed: f64,
    behind: bool,
    /// Trace length already handed to the UI.
    seen: usize,
    /// Time jumped (seek, step back, branch switch, edit): the log starts over.
    jumped: bool,
    /// Manual mode: what could happen next (refreshed after every change).
    manual: Option<Vec<Pick>>,
    /// The timeline mark selected for editing.
    mark: Option<usize>,
    /// Bumped whenever the history on screen may have changed in the past (a fork, an edit,
    /// a branch switch): what was looked up about a past moment is stale then.
    epoch: u64,
    /// How many times the trace was rewritten rather than cut back or extended (a branch
    /// switch, an edited schedule): views that index the trace start over then.
    rewrites: u64,
    /// Playing stops (pauses) on reaching this virtual time (a tour's next caption).
    stop_at: Option<u64>,
    /// …and, if set, at exactly this step count within that instant (a caption that fired
    /// after an event in the middle of an instant).
    stop_steps: Option<u64>,
}

impl Engine {
    /// Start `scenario` (validated) paused at t=0 or playing.
    pub fn new(scenario: &Scenario, playing: bool) -> Result<Engine, ConfigError> {
        let playground = build(scenario)?;
        let mut timeline = Timeline::new(playground);
        timeline.set_trace_window(Some(TRACE_WINDOW));
        Ok(Engine {
            timeline,
            vt: 0.0,
            playing,
            speed: DEFAULT_SPEED,
            behind: false,
            seen: 0,
            jumped: false,
            manual: None,
            mark: None,
            epoch: 0,
            rewrites: 0,
            stop_at: None,
            stop_steps: None,
        })
    }

    /// Open a shared scenario: replay it up to its `until` time and pause there, so the
    /// viewer sees exactly the state the sender saw. Without `until` it starts playing.
    pub fn open(scenario: &Scenario) -> Result<Engine, ConfigError> {
        let mut engine = Engine::new(scenario, scenario.until.is_none())?;
        if let Some(until) = scenario.until {
            engine.timeline.run_until(until, u64::MAX);
            engine.vt = until.0 as f64;
        }
        Ok(engine)
    }

    /// Pause exactly at the simulator's clock (dropping the fraction of a millisecond the
    /// animation may be ahead), so what is shown is what a share link reproduces.
    pub fn pause_at_clock(&mut self) {
        self.set_playing(false);
        // Finish the current instant (after a single step or a capped frame some events due
        // now may still wait): a replay to `until` runs all of them.
        let now = self.timeline.now();
        self.timeline.run_until(now, u64::MAX);
        self.vt = now.0 as f64;
        self.refresh_manual();
    }

    /// The session as a share-able scenario: everything so far, ending now.
    pub fn share(&self) -> Scenario {
        let mut s = self.timeline.playground().to_scenario();
        s.until = Some(self.timeline.now());
        s
    }

    /// A fingerprint of the current state (what is drawn), for comparing two pages.
    pub fn fingerprint(&self) -> u64 {
        let mut h = netsplit_core::kernel::trace::Fnv64::default();
        h.write(
            serde_json::to_string(&self.snapshot())
                .unwrap_or_default()
                .as_bytes(),
        );
        h.finish()
    }

    /// Virtual time on screen (fractional ms).
    pub fn vt(&self) -> f64 {
        self.vt
    }

    /// Whether time flows.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Start or stop time.
    pub fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
        self.behind = false;
        if playing {
            // Auto mode resumes from wherever manual stepping left the run.
            self.manual = None;
        }
    }

    /// Pause on reaching virtual time `t` ms while playing, after every event due at it
    /// (`None`: run on).
    pub fn set_stop_at(&mut self, t: Option<u64>) {
        self.stop_at = t;
        self.stop_steps = None;
    }

    /// Pause on reaching exactly the state `m` while playing (`None`: run on): at its time,
    /// after its step count, even if more events are due at that instant.
    pub fn set_stop(&mut self, m: Option<Moment>) {
        self.stop_at = m.map(|m| m.at);
        self.stop_steps = m.map(|m| m.steps);
    }

    /// Where playing will pause, if anywhere.
    pub fn stop_at(&self) -> Option<u64> {
        self.stop_at
    }

    /// Current speed (virtual ms per wall ms).
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Change the speed (clamped).
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
    }

    /// Whether the last frame ran out of its event budget (the page says so).
    pub fn behind(&self) -> bool {
        self.behind
    }

    /// The playground (read-only).
    pub fn playground(&self) -> &dyn Playground {
        self.timeline.playground()
    }

    /// The timeline (read-only).
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Advance by one frame of `wall_dt_ms`. Returns `true` if anything happened.
    pub fn tick(&mut self, wall_dt_ms: f64) -> bool {
        if !self.playing || !wall_dt_ms.is_finite() {
            return false;
        }
        let dt = wall_dt_ms.clamp(0.0, MAX_FRAME_MS);
        let mut target = self.vt + dt * self.speed;
        if self.stop_at.is_some_and(|t| (t as f64) < self.vt) {
            // Already past it (a seek): run on.
            self.set_stop_at(None);
        }
        let stop = self.stop_at.filter(|t| *t as f64 <= target);
        if let Some(t) = stop {
            target = target.min(t as f64);
        }
        let before = (self.playground().events(), self.playground().trace_len());
        let outcome = match (stop, self.stop_steps) {
            (Some(at), Some(steps)) => self.run_to(Moment::new(at, steps), MAX_EVENTS_PER_FRAME),
            _ => self
                .timeline
                .run_until(Time(target.floor() as u64), MAX_EVENTS_PER_FRAME),
        };
        match outcome {
            RunOutcome::Reached => {
                self.behind = false;
                self.vt = target;
                if stop.is_some() {
                    // At the stop: pause exactly there (every event due at it has run, or
                    // exactly the stop's steps).
                    self.playing = false;
                    self.set_stop_at(None);
                    return true;
                }
            }
            RunOutcome::Capped => {
                // Do not build up a debt: show the time actually reached.
                self.behind = true;
                self.vt = self.playground().now().0 as f64;
            }
        }
        before != (self.playground().events(), self.playground().trace_len())
    }

    /// Process exactly one event (pauses first). Returns `false` if nothing was pending.
    pub fn step(&mut self) -> bool {
        self.playing = false;
        let stepped = self.timeline.step();
        self.vt = self.playground().now().0 as f64;
        self.refresh_manual();
        stepped
    }

    /// Apply a user action now. At a past moment this forks a new branch (the result says so).
    pub fn apply(&mut self, control: Control) -> Result<Edited, ControlError> {
        let edited = self.timeline.apply(control)?;
        self.vt = self.vt.max(self.timeline.now().0 as f64);
        if edited == Edited::Forked {
            self.mark = None;
            self.epoch += 1;
        }
        self.refresh_manual();
        Ok(edited)
    }

    /// The current state.
    pub fn snapshot(&self) -> Snapshot {
        self.playground().snapshot()
    }

    /// The history's version: it changes whenever the past on screen may have changed (a
    /// fork, an edited mark, a branch switch), so facts looked up about past moments with
    /// [`Engine::snapshot_at`] stay valid while it does not.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The state of this branch at virtual time `t` (after every event due at or before `t`),
    /// looked up without changing what is on screen: the timeline seeks there and back to
    /// exactly the state it was in (same step count, same clock). `None` unless `t` is in the
    /// past. Costs two seeks (each at most a checkpoint interval of replay).
    pub fn snapshot_at(&mut self, t: Time) -> Option<Snapshot> {
        let (now, steps) = (self.timeline.now(), self.playground().steps());
        if t >= now {
            return None;
        }
        self.timeline.seek(t);
        let snap = self.timeline.playground().snapshot();
        // Back: the state after `run_until(now)` has at least the steps of the one on screen
        // (which may be mid-instant, after a single step or a capped frame); stepping to the
        // same count from there reproduces it exactly.
        self.timeline.seek(now);
        self.timeline.seek_steps(steps);
        Some(snap)
    }

    /// Trace lines not yet handed out.
    pub fn take_new_lines(&mut self) -> Vec<TraceLine> {
        let len = self.playground().trace_len();
        let lines = (self.seen.min(len)..len)
            .filter_map(|i| self.playground().trace_line(i))
            .collect();
        self.seen = len;
        lines
    }

    /// How many times the trace was rewritten (not just cut back to now or extended): a branch
    /// switch or an edited schedule. Between two rewrites, the trace at any moment is a prefix
    /// of the trace at any later moment. Unlike [`Engine::epoch`], a fork does not count: it
    /// only cuts the trace back to now and extends it.
    pub fn rewrites(&self) -> u64 {
        self.rewrites
    }

    /// Whether time jumped since the last call (the log must start over); clears the flag.
    pub fn take_jumped(&mut self) -> bool {
        std::mem::take(&mut self.jumped)
    }

    /// The session as a scenario (the current branch's actions).
    pub fn scenario(&self) -> Scenario {
        self.playground().to_scenario()
    }

    /// The end of the timeline (furthest time explored on this branch).
    pub fn end(&self) -> Time {
        self.timeline.end()
    }

    /// The current branch's actions: the marks on the timeline.
    pub fn marks(&self) -> &[TimedAction] {
        self.timeline.marks()
    }

    /// Every branch, for the switcher.
    pub fn branches(&self) -> Vec<BranchInfo> {
        self.timeline.branches()
    }

    /// Manual mode's list of possible next events (`None` in auto mode).
    pub fn picks(&self) -> Option<&[Pick]> {
        self.manual.as_deref()
    }

    /// The mark selected for editing.
    pub fn selected_mark(&self) -> Option<usize> {
        self.mark.filter(|m| *m < self.marks().len())
    }

    fn refresh_manual(&mut self) {
        if self.manual.is_some() {
            self.manual = Some(self.timeline.picks());
            self.vt = self.timeline.now().0 as f64;
        }
    }

    /// Show virtual time `t` ms — back in time, or running forward past the end explored so
    /// far (the embed's `seek(t)`); pauses.
    pub fn seek_to(&mut self, t: u64) {
        self.playing = false;
        self.timeline.seek(Time(t));
        self.jumped_to_now();
    }

    /// Run forward by `ms` of virtual time at once (the embed's `advance(ms)`), however far:
    /// the trace window keeps memory bounded. Pauses.
    pub fn advance(&mut self, ms: u64) {
        self.playing = false;
        let until = Time(self.timeline.now().0.saturating_add(ms));
        self.timeline.run_until(until, u64::MAX);
        self.jumped_to_now();
    }

    /// Run forward to exactly the state `m` (at most `budget` events on the way to its
    /// instant): every event before its time, then single steps up to its step count within
    /// the instant, then the clock on to its time. A state already past `m` (more steps) only
    /// finishes `m`'s instant.
    fn run_to(&mut self, m: Moment, budget: u64) -> RunOutcome {
        if let Some(before) = m.at.checked_sub(1) {
            if self.timeline.run_until(Time(before), budget) == RunOutcome::Capped {
                return RunOutcome::Capped;
            }
        }
        if self.playground().steps() < m.steps {
            self.timeline.seek_steps(m.steps);
        }
        if self.playground().now().0 < m.at || self.playground().steps() > m.steps {
            // In the caption's run nothing more happened before its time, so this only moves
            // the clock (or, already past the step, finishes the instant).
            return self.timeline.run_until(Time(m.at), budget);
        }
        RunOutcome::Reached
    }

    /// Show exactly the state `m` (its time and step count), back in time or forward; pauses.
    /// Several events can share one virtual time: a tour's caption that fired after one of
    /// them shows the state just after it, not the end of the instant.
    pub fn seek_to_moment(&mut self, m: Moment) {
        self.playing = false;
        // To the instant before (checkpoints make long jumps cheap), then step by step.
        self.timeline.seek(Time(m.at.saturating_sub(1)));
        self.timeline.seek_steps(m.steps);
        if self.playground().now().0 < m.at {
            self.timeline.run_until(Time(m.at), u64::MAX);
        }
        self.jumped_to_now();
    }

    /// After a jump in time: show the new moment, restart the log from its recent past.
    fn jumped_to_now(&mut self) {
        self.vt = self.timeline.now().0 as f64;
        self.seen = self.playground().trace_len().saturating_sub(LOG_AFTER_JUMP);
        self.jumped = true;
        self.refresh_manual();
    }

    /// Carry out a timeline action. `Ok(Some(text))` is something to tell the user.
    pub fn time(&mut self, action: TimeAction) -> Result<Option<String>, String> {
        let end = self.end().0;
        match action {
            TimeAction::Seek(t) => {
                self.playing = false;
                self.timeline.seek(Time(t.min(end)));
                self.jumped_to_now();
                Ok(None)
            }
            TimeAction::SeekBy(delta) => {
                self.playing = false;
                let t = self.timeline.now().0.saturating_add_signed(delta).min(end);
                self.timeline.seek(Time(t));
                self.jumped_to_now();
                Ok(None)
            }
            TimeAction::StepBack => {
                self.playing = false;
                if !self.timeline.step_back() {
                    return Err("already at the start".into());
                }
                self.jumped_to_now();
                Ok(None)
            }
            TimeAction::SetManual(on) => {
                self.playing = false;
                self.manual = on.then(Vec::new);
                self.refresh_manual();
                Ok(None)
            }
            TimeAction::Switch(index) => {
                if !self.timeline.switch(index) {
                    return Err("there is no such branch".into());
                }
                self.epoch += 1;
                self.playing = false;
                self.mark = None;
                self.rewrites += 1;
                self.jumped_to_now();
                let number = self.branches().get(index).map_or(0, |b| b.number);
                Ok(Some(format!("switched to branch {number}")))
            }
            TimeAction::SelectMark(mark) => {
                self.mark = mark;
                Ok(None)
            }
            TimeAction::MoveMark { index, to } => {
                self.playing = false;
                let edited = self.timeline.move_mark(index, Time(to))?;
                self.epoch += 1;
                self.rewrites += 1;
                // The moved mark keeps the selection at its new place in the schedule.
                self.mark = self
                    .marks()
                    .iter()
                    .rposition(|a| a.at == Time(to))
                    .or(self.mark);
                self.jumped_to_now();
                Ok(Some(edited_note(
                    edited,
                    &format!("moved to t={to} ms"),
                    self,
                )))
            }
            TimeAction::NudgeMark { index, by } => {
                let Some(at) = self.marks().get(index).map(|a| a.at.0) else {
                    return Err("there is no such mark".into());
                };
                let to = at.saturating_add_signed(by);
                self.time(TimeAction::MoveMark { index, to })
            }
            TimeAction::RemoveMark(index) => {
                self.playing = false;
                let what = self
                    .marks()
                    .get(index)
                    .map(|a| format!("{} at t={} ms", a.control, a.at.0))
                    .unwrap_or_default();
                let edited = self.timeline.remove_mark(index)?;
                self.epoch += 1;
                self.rewrites += 1;
                self.mark = None;
                self.jumped_to_now();
                Ok(Some(edited_note(edited, &format!("removed {what}"), self)))
            }
        }
    }
}

/// "moved …; replayed on branch 3 (branch 2 kept)".
fn edited_note(edited: Edited, what: &str, engine: &Engine) -> String {
    let branches = engine.branches();
    let current = branches.iter().find(|b| b.current);
    match (edited, current) {
        (Edited::Forked, Some(b)) => match b.forked_from {
            Some((from, _)) => {
                format!(
                    "{what}; replayed on new branch {} (branch {from} kept)",
                    b.number
                )
            }
            None => format!("{what}; replayed"),
        },
        _ => format!("{what}; replayed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(&Scenario::new(netsplit_core::protocols::raft::ID, 7), true).unwrap()
    }

    #[test]
    fn speed_slider_is_logarithmic_and_round_trips() {
        assert!((speed_for_step(0) - MIN_SPEED).abs() < 1e-12);
        assert!((speed_for_step(SPEED_STEPS) - MAX_SPEED).abs() < 1e-9);
        let mid = speed_for_step(SPEED_STEPS / 2);
        assert!((mid - (MIN_SPEED * MAX_SPEED).sqrt()).abs() < 1e-9);
        for step in 0..=SPEED_STEPS {
            assert_eq!(step_for_speed(speed_for_step(step)), step);
        }
        assert_eq!(speed_label(0.1), "0.10×");
        assert_eq!(speed_label(2.0), "2.0×");
    }

    #[test]
    fn frame_rate_does_not_change_what_happens() {
        // 60 fps versus 7 fps (slow frames, clamped at 100 ms) reaching the same virtual time:
        // identical traces, so slow frames cannot cause spurious elections.
        let mut fast = engine();
        let mut slow = engine();
        fast.set_speed(1.0);
        slow.set_speed(1.0);
        while fast.vt() < 5000.0 {
            fast.tick(1000.0 / 60.0);
        }
        while slow.vt() < fast.vt() {
            slow.tick(150.0); // clamped to MAX_FRAME_MS
        }
        // Both clones continue to a common time past where either stopped.
        let t = Time(6000);
        let mut a = fast.playground().clone_box();
        let mut b = slow.playground().clone_box();
        a.run_until(t, u64::MAX);
        b.run_until(t, u64::MAX);
        assert_eq!(a.trace_hash(), b.trace_hash());
        let leaders = a
            .snapshot()
            .nodes
            .iter()
            .filter(|n| n.view.role.leads)
            .count();
        assert_eq!(leaders, 1);
    }

    #[test]
    fn a_shared_scenario_opens_at_the_same_state() {
        let mut e = engine();
        e.set_speed(1.0);
        for _ in 0..40 {
            e.tick(16.0);
        }
        e.apply(Control::Crash {
            node: netsplit_core::NodeId(1),
        })
        .unwrap();
        for _ in 0..40 {
            e.tick(16.0);
        }
        let shared = e.share();
        let fragment = netsplit_core::run::link::encode(&shared).unwrap();
        let opened = Engine::open(&netsplit_core::run::link::decode(&fragment).unwrap()).unwrap();
        assert!(!opened.playing());
        assert_eq!(opened.playground().now(), e.playground().now());
        assert_eq!(opened.fingerprint(), e.fingerprint());
        assert_eq!(
            opened.playground().trace_hash(),
            e.playground().trace_hash()
        );
    }

    #[test]
    fn long_pauses_are_clamped() {
        let mut e = engine();
        e.tick(60_000.0);
        assert!((e.vt() - MAX_FRAME_MS * DEFAULT_SPEED).abs() < 1e-9);
        assert!(!e.tick(f64::NAN));
    }

    #[test]
    fn paused_engine_does_not_move_but_steps() {
        let mut e = engine();
        e.set_playing(false);
        assert!(!e.tick(16.0));
        assert_eq!(e.vt(), 0.0);
        assert!(e.step());
        assert!(e.vt() > 0.0, "the first election timer fires after t=0");
        assert!(!e.take_new_lines().is_empty());
        assert!(e.take_new_lines().is_empty());
    }

    #[test]
    fn seeking_back_and_forth_shows_the_same_state_and_restarts_the_log() {
        let mut e = engine();
        e.set_speed(1.0);
        for _ in 0..200 {
            e.tick(16.0);
        }
        e.take_new_lines();
        e.set_playing(false);
        let end = e.end().0;
        e.time(TimeAction::Seek(1_234)).unwrap();
        assert!(!e.playing());
        assert_eq!(e.playground().now(), Time(1_234));
        assert_eq!(e.vt(), 1_234.0);
        let at = e.fingerprint();
        assert!(e.take_jumped(), "the log starts over after a jump");
        assert!(!e.take_jumped());
        let lines = e.take_new_lines();
        assert!(!lines.is_empty() && lines.len() <= LOG_AFTER_JUMP);
        assert!(lines.iter().all(|l| l.at <= Time(1_234)));
        e.time(TimeAction::Seek(end)).unwrap();
        e.time(TimeAction::SeekBy(-(end as i64 - 1_234))).unwrap();
        assert_eq!(e.fingerprint(), at);
        // Past the end is clamped; before the start too.
        e.time(TimeAction::Seek(u64::MAX)).unwrap();
        assert_eq!(e.playground().now().0, end);
        e.time(TimeAction::SeekBy(-1_000_000)).unwrap();
        assert_eq!(e.playground().now(), Time(0));
        assert!(
            e.time(TimeAction::StepBack).is_err(),
            "nothing before the start"
        );
    }

    #[test]
    fn marks_branches_and_manual_mode() {
        let mut e = engine();
        e.set_speed(1.0);
        for _ in 0..100 {
            e.tick(16.0);
        }
        let node = netsplit_core::NodeId(1);
        assert_eq!(e.apply(Control::Crash { node }).unwrap(), Edited::InPlace);
        for _ in 0..100 {
            e.tick(16.0);
        }
        assert_eq!(e.marks().len(), 1);
        // Moving the mark forks a branch; the selection follows the mark.
        e.time(TimeAction::SelectMark(Some(0))).unwrap();
        let note = e
            .time(TimeAction::NudgeMark { index: 0, by: 500 })
            .unwrap()
            .unwrap();
        assert!(note.contains("new branch 2"), "{note}");
        assert_eq!(e.selected_mark(), Some(0));
        assert_eq!(e.branches().len(), 2);
        assert!(e.time(TimeAction::NudgeMark { index: 3, by: 1 }).is_err());
        e.time(TimeAction::RemoveMark(0)).unwrap();
        assert!(e.marks().is_empty());
        assert_eq!(e.selected_mark(), None);
        assert_eq!(e.branches().len(), 3);
        // Branch 1 still has its crash.
        e.time(TimeAction::Switch(0)).unwrap();
        assert_eq!(e.marks().len(), 1);
        assert!(e.time(TimeAction::Switch(9)).is_err());
        // Manual mode lists picks; applying one records it; playing ends manual mode.
        e.time(TimeAction::Seek(500)).unwrap();
        e.time(TimeAction::SetManual(true)).unwrap();
        let pick = e.picks().unwrap()[0].control.clone();
        e.apply(pick).unwrap();
        assert!(e.picks().is_some());
        assert_eq!(e.branches().len(), 4, "a pick in the past forks too");
        assert_eq!(
            e.marks().len(),
            1,
            "the crash came later: not on the new branch"
        );
        e.set_playing(true);
        assert!(e.picks().is_none());
        // The session with its picks replays exactly.
        let mut again = Engine::open(&e.share()).unwrap();
        assert_eq!(again.fingerprint(), e.fingerprint());
        assert!(again.tick(16.0) || !again.playing());
    }

    #[test]
    fn looking_up_a_past_moment_leaves_the_screen_exactly_as_it_was() {
        let mut e = engine();
        e.set_speed(1.0);
        for _ in 0..150 {
            e.tick(16.0);
        }
        e.apply(Control::Crash {
            node: netsplit_core::NodeId(2),
        })
        .unwrap();
        for _ in 0..60 {
            e.tick(16.0);
        }
        // Mid-instant (after single steps) and at a capped frame's end alike.
        e.set_playing(false);
        e.step();
        e.step();
        for _ in 0..3 {
            let (hash, steps, now, fp) = (
                e.playground().trace_hash(),
                e.playground().steps(),
                e.playground().now(),
                e.fingerprint(),
            );
            let at = e.snapshot_at(Time(700)).expect("a past moment");
            assert_eq!(at.now, Time(700));
            assert!(e.snapshot_at(now).is_none(), "now is not the past");
            assert_eq!(e.playground().trace_hash(), hash);
            assert_eq!(e.playground().steps(), steps);
            assert_eq!(e.playground().now(), now);
            assert_eq!(e.fingerprint(), fp);
            e.step();
        }
        // The looked-up state is the one a seek shows.
        let at = e.snapshot_at(Time(1_500)).unwrap();
        e.time(TimeAction::Seek(1_500)).unwrap();
        assert_eq!(e.snapshot(), at);
        let before = e.epoch();
        e.apply(Control::HealAll).unwrap();
        assert!(e.epoch() > before, "acting in the past forks a new history");
    }

    #[test]
    fn event_budget_marks_the_engine_behind() {
        let mut e = engine();
        e.set_speed(MAX_SPEED);
        // 100 ms of wall time at 10× is 1 s of virtual time: a few hundred events, fine.
        e.tick(100.0);
        assert!(!e.behind());
    }
}
