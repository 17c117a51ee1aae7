//! The page's simulation driver: wall-clock frames in, virtual time out.
//!
//! Pure Rust (no DOM), so it is tested natively. Each animation frame calls [`Engine::tick`] with
//! the wall-clock time since the previous frame. The delta is clamped (a tab that was hidden for
//! a minute does not fast-forward a minute), scaled by the speed, and the simulator runs up to the
//! new virtual time with a per-frame event budget. Because every protocol timer lives in virtual
//! time, slow frames only slow the simulation down — they can never make a node time out early.

use netsplit_core::playground::TraceLine;
use netsplit_core::sim::{ControlError, RunOutcome};
use netsplit_core::view::Snapshot;
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

/// The running simulation plus playback state.
pub struct Engine {
    playground: Box<dyn Playground>,
    /// Virtual time on screen, in fractional ms (≥ the simulator's clock).
    vt: f64,
    playing: bool,
    speed: f64,
    behind: bool,
    /// Trace length already handed to the UI.
    seen: usize,
}

impl Engine {
    /// Start `scenario` (validated) paused at t=0 or playing.
    pub fn new(scenario: &Scenario, playing: bool) -> Result<Engine, String> {
        let playground = build(scenario).map_err(|e| e.to_string())?;
        Ok(Engine {
            playground,
            vt: 0.0,
            playing,
            speed: DEFAULT_SPEED,
            behind: false,
            seen: 0,
        })
    }

    /// Open a shared scenario: replay it up to its `until` time and pause there, so the
    /// viewer sees exactly the state the sender saw. Without `until` it starts playing.
    pub fn open(scenario: &Scenario) -> Result<Engine, String> {
        let mut engine = Engine::new(scenario, scenario.until.is_none())?;
        if let Some(until) = scenario.until {
            engine.playground.run_until(until, u64::MAX);
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
        let now = self.playground.now();
        self.playground.run_until(now, u64::MAX);
        self.vt = now.0 as f64;
    }

    /// The session as a share-able scenario: everything so far, ending now.
    pub fn share(&self) -> Scenario {
        let mut s = self.playground.to_scenario();
        s.until = Some(self.playground.now());
        s
    }

    /// A fingerprint of the current state (what is drawn), for comparing two pages.
    pub fn fingerprint(&self) -> u64 {
        let mut h = netsplit_core::trace::Fnv64::default();
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
        self.playground.as_ref()
    }

    /// Advance by one frame of `wall_dt_ms`. Returns `true` if anything happened.
    pub fn tick(&mut self, wall_dt_ms: f64) -> bool {
        if !self.playing || !wall_dt_ms.is_finite() {
            return false;
        }
        let dt = wall_dt_ms.clamp(0.0, MAX_FRAME_MS);
        let target = self.vt + dt * self.speed;
        let before = (self.playground.events(), self.playground.trace_len());
        match self
            .playground
            .run_until(Time(target.floor() as u64), MAX_EVENTS_PER_FRAME)
        {
            RunOutcome::Reached => {
                self.behind = false;
                self.vt = target;
            }
            RunOutcome::Capped => {
                // Do not build up a debt: show the time actually reached.
                self.behind = true;
                self.vt = self.playground.now().0 as f64;
            }
        }
        before != (self.playground.events(), self.playground.trace_len())
    }

    /// Process exactly one event (pauses first). Returns `false` if nothing was pending.
    pub fn step(&mut self) -> bool {
        self.playing = false;
        let stepped = self.playground.step();
        self.vt = self.vt.max(self.playground.now().0 as f64);
        stepped
    }

    /// Apply a user action now.
    pub fn apply(&mut self, control: Control) -> Result<(), ControlError> {
        self.playground.apply(control)
    }

    /// The current state.
    pub fn snapshot(&self) -> Snapshot {
        self.playground.snapshot()
    }

    /// Trace lines not yet handed out.
    pub fn take_new_lines(&mut self) -> Vec<TraceLine> {
        let len = self.playground.trace_len();
        let lines = (self.seen..len)
            .filter_map(|i| self.playground.trace_line(i))
            .collect();
        self.seen = len;
        lines
    }

    /// The session as a scenario (original plus live actions).
    pub fn scenario(&self) -> Scenario {
        self.playground.to_scenario()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::view::Role;

    fn engine() -> Engine {
        Engine::new(&Scenario::new("raft", 7), true).unwrap()
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
        let mut a = fast.playground.clone_box();
        let mut b = slow.playground.clone_box();
        a.run_until(t, u64::MAX);
        b.run_until(t, u64::MAX);
        assert_eq!(a.trace_hash(), b.trace_hash());
        let leaders = a
            .snapshot()
            .nodes
            .iter()
            .filter(|n| n.view.role == Role::Leader)
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
        let fragment = netsplit_core::link::encode(&shared).unwrap();
        let opened = Engine::open(&netsplit_core::link::decode(&fragment).unwrap()).unwrap();
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
    fn event_budget_marks_the_engine_behind() {
        let mut e = engine();
        e.set_speed(MAX_SPEED);
        // 100 ms of wall time at 10× is 1 s of virtual time: a few hundred events, fine.
        e.tick(100.0);
        assert!(!e.behind());
    }
}
