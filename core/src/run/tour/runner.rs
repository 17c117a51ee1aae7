//! Playing a scenario caption by caption, and checking every caption's claims.

use super::eval::{Verdict, Watcher};
use super::{Caption, Expectation};
use crate::kernel::config::ConfigError;
use crate::kernel::types::Time;
use crate::run::playground::Playground;
use crate::run::registry::Registry;
use crate::run::scenario::{Scenario, MAX_TIME_MS};
use serde::Serialize;

/// How long past the previous caption an `after` caption waits, when the scenario gives no
/// `until`, before the tour gives up on it.
pub const AFTER_HORIZON_MS: u64 = 60_000;

/// One expectation's verdict at the step its caption fired.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Checked {
    /// The claim.
    pub expectation: Expectation,
    /// Whether it holds, and why.
    pub verdict: Verdict,
}

/// One caption, played.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// Position of the caption in the scenario (0-based).
    pub index: usize,
    /// When it fired; `None` if the run ended before it could (its `after` event never came).
    pub fired_at: Option<Time>,
    /// The playground's step count when it fired ([`Playground::steps`]): replaying the
    /// scenario for exactly this many steps (then advancing the clock to `fired_at`) reaches
    /// the caption's state, even for an `after` caption that fired in the middle of an
    /// instant (what Prev / Replay-this-step need).
    pub fired_step: Option<u64>,
    /// Every expectation, decided at that step (all unmet if it never fired).
    pub checks: Vec<Checked>,
}

impl StepReport {
    /// Whether it fired and every expectation holds.
    pub fn all_met(&self) -> bool {
        self.fired_at.is_some() && self.checks.iter().all(|c| c.verdict.met)
    }
}

/// A whole scenario's captions, played and checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TourReport {
    /// One report per caption, in order.
    pub steps: Vec<StepReport>,
    /// Where the tour stops: the time its last caption fired (or the end of the run).
    pub ends_at: Time,
}

impl TourReport {
    /// Every failure, one line each: `captions[2].expect[1]: <reason>` or a caption that never
    /// fired.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.steps {
            if s.fired_at.is_none() {
                out.push(format!("captions[{}]: never fired", s.index));
                continue;
            }
            for (j, c) in s.checks.iter().enumerate() {
                if !c.verdict.met {
                    out.push(format!(
                        "captions[{}].expect[{j}] ({}): {}",
                        s.index,
                        serde_json::to_string(&c.expectation).unwrap_or_default(),
                        c.verdict.reason
                    ));
                }
            }
        }
        out
    }

    /// Whether every caption fired and every expectation holds.
    pub fn all_met(&self) -> bool {
        self.steps.iter().all(StepReport::all_met)
    }
}

/// Plays a scenario's captions in order: [`TourRunner::advance`] runs the simulation to the
/// next caption and decides its expectations. The playground stays available between steps
/// (to draw it, or to hand it to the sandbox).
pub struct TourRunner {
    playground: Box<dyn Playground>,
    captions: Vec<Caption>,
    next: usize,
    horizon: Time,
    watchers: Vec<Watcher>,
    /// Trace entries already searched for `after` matches.
    searched: usize,
    history: Watcher,
}

impl TourRunner {
    /// Build the scenario's playground (validating it) and stand before the first caption.
    pub fn new(registry: &Registry, scenario: &Scenario) -> Result<TourRunner, ConfigError> {
        let playground = registry.build(scenario)?;
        let captions = scenario.captions.clone();
        let horizon = scenario.until.unwrap_or_else(|| {
            let last_at = captions
                .iter()
                .filter_map(|c| c.at)
                .max()
                .unwrap_or(Time::ZERO);
            let tail = if captions.last().is_some_and(|c| c.after.is_some()) {
                AFTER_HORIZON_MS
            } else {
                0
            };
            Time((last_at.0 + tail).min(MAX_TIME_MS))
        });
        Ok(TourRunner {
            playground,
            watchers: vec![Watcher::new(); captions.len()],
            captions,
            next: 0,
            horizon,
            searched: 0,
            history: Watcher::new(),
        })
    }

    /// The simulation, at the last caption played.
    pub fn playground(&self) -> &dyn Playground {
        self.playground.as_ref()
    }

    /// The simulation, to hand to the sandbox.
    pub fn into_playground(self) -> Box<dyn Playground> {
        self.playground
    }

    /// Index of the next caption to play.
    pub fn next_index(&self) -> usize {
        self.next
    }

    /// The latest time any caption may fire.
    pub fn horizon(&self) -> Time {
        self.horizon
    }

    fn observe(&mut self) {
        for (w, c) in self.watchers.iter_mut().zip(&self.captions) {
            if c.expect.iter().any(Expectation::needs_history) {
                w.observe(self.playground.as_ref(), &c.expect);
            }
        }
    }

    fn step(&mut self) {
        self.playground.step();
        self.observe();
    }

    /// Run to the next caption, decide its expectations and report. `None` when every caption
    /// has been played.
    pub fn advance(&mut self) -> Option<StepReport> {
        let index = self.next;
        let caption = self.captions.get(index)?.clone();
        self.next += 1;
        let fired = if let Some(at) = caption.at {
            let at = at.min(self.horizon);
            while self.playground.next_time().is_some_and(|t| t <= at) {
                self.step();
            }
            if self.playground.now() < at {
                self.playground.run_until(at, u64::MAX);
                self.observe();
            }
            Some(self.playground.now())
        } else if let Some(m) = &caption.after {
            self.history.observe(self.playground.as_ref(), &[]);
            let mut found = None;
            loop {
                let history = self.history.history();
                if let Some(i) = (self.searched..history.len()).find(|&i| history.matches(i, m)) {
                    self.searched = i + 1;
                    found = Some(self.playground.now());
                    break;
                }
                self.searched = history.len();
                if self.playground.next_time().is_none_or(|t| t > self.horizon) {
                    break;
                }
                self.step();
                self.history.observe(self.playground.as_ref(), &[]);
            }
            found
        } else {
            None
        };
        // Later `after` captions search from here on.
        self.history.observe(self.playground.as_ref(), &[]);
        if caption.at.is_some() {
            self.searched = self.history.history().len();
        }
        let verdicts = match fired {
            Some(_) => self.watchers[index].check(self.playground.as_ref(), &caption.expect),
            None => caption
                .expect
                .iter()
                .map(|_| Verdict {
                    met: false,
                    reason: "the caption never fired".into(),
                })
                .collect(),
        };
        Some(StepReport {
            index,
            fired_at: fired,
            fired_step: fired.map(|_| self.playground.steps()),
            checks: caption
                .expect
                .iter()
                .cloned()
                .zip(verdicts)
                .map(|(expectation, verdict)| Checked {
                    expectation,
                    verdict,
                })
                .collect(),
        })
    }
}

/// Run `scenario` through every caption and decide every expectation at the step its caption
/// fired. The run stops at the last caption (a tour pauses there rather than running on).
pub fn check_captions(registry: &Registry, scenario: &Scenario) -> Result<TourReport, ConfigError> {
    let mut runner = TourRunner::new(registry, scenario)?;
    let mut steps = Vec::new();
    while let Some(step) = runner.advance() {
        steps.push(step);
    }
    Ok(TourReport {
        steps,
        ends_at: runner.playground().now(),
    })
}
