//! Chapters (ordered tours per protocol) and challenges (a goal checked by the same predicate
//! machinery as caption expectations, with a solution replay).
//!
//! Each protocol lists its own chapters and challenges ([`crate::run::registry::Protocol::chapters`],
//! [`crate::run::registry::Protocol::challenges`]). A challenge document is JSON:
//!
//! ```json
//! {
//!   "goal": "Make a STRONG write fail while an EVENTUAL one succeeds.",
//!   "start": { …a scenario… },
//!   "check": [ { "type": "happened", "event": { "event": "reply", "contains": "insufficient" } } ],
//!   "solution": [ { "at": 500, "control": { "type": "partition", "groups": [["n2", "n3"]] } } ]
//! }
//! ```
//!
//! The goal is reached at the first step of the run at which every expectation of `check`
//! holds (a [`Watcher`] observes the run after every step, so `held` claims work); once reached
//! it stays reached.

use super::eval::{Verdict, Watcher};
use super::{validate_expectations, validate_expectations_against, Expectation};
use crate::kernel::config::ConfigError;
use crate::kernel::types::Time;
use crate::run::playground::Playground;
use crate::run::registry::Registry;
use crate::run::scenario::{Scenario, TimedAction, MAX_TIME_MS};
use serde::{Deserialize, Serialize};

/// An ordered tour: a title and gallery scenarios to play in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Chapter {
    /// Stable id (`"raft-election"`).
    pub id: &'static str,
    /// Title ("Leader election").
    pub title: &'static str,
    /// One sentence on what it teaches.
    pub summary: &'static str,
    /// Gallery scenario ids, in playing order.
    pub scenarios: &'static [&'static str],
}

/// A challenge as compiled in: id, title and its JSON document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChallengeEntry {
    /// Stable id (`"raft-split-vote"`), also the key of its progress in local storage.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// The document ([`Challenge`] as JSON).
    #[serde(skip)]
    pub json: &'static str,
}

/// A goal to reach by acting on a running scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// What to achieve, in the captions' safe markdown subset.
    pub goal: String,
    /// A hint shown on request.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
    /// The scenario it starts from (its `until` is the time limit).
    pub start: Scenario,
    /// Reached when all of these hold at one step.
    pub check: Vec<Expectation>,
    /// User actions that reach the goal (merged into `start`'s actions when replayed).
    pub solution: Vec<TimedAction>,
}

impl Challenge {
    /// Parse and validate a challenge document against `registry` (its start scenario, the
    /// vocabulary of its checks, the solution's actions).
    pub fn from_json(registry: &Registry, text: &str) -> Result<Challenge, ConfigError> {
        let c: Challenge = serde_json::from_str(text)
            .map_err(|e| ConfigError::new("(challenge)", e.to_string()))?;
        c.start.validate().map_err(|e| prefix("start", e))?;
        let protocol = registry
            .resolve(&c.start.protocol, "start.protocol")
            .map_err(|e| prefix("", e))?;
        if c.start.until.is_none_or(|t| t.0 > MAX_TIME_MS) {
            return Err(ConfigError::new(
                "start.until",
                "a challenge needs a time limit (at most one hour)",
            ));
        }
        if c.check.is_empty() {
            return Err(ConfigError::new("check", "names no expectation"));
        }
        validate_expectations(
            &c.check,
            c.start.cluster.nodes,
            c.start.cluster.clients,
            "check",
        )?;
        validate_expectations_against(&c.check, protocol, "check")?;
        c.solved_scenario()
            .validate()
            .map_err(|e| prefix("solution", e))?;
        Ok(c)
    }

    /// The start scenario with the solution's actions merged in (time order kept).
    pub fn solved_scenario(&self) -> Scenario {
        let mut s = self.start.clone();
        s.actions.extend(self.solution.iter().cloned());
        s.actions.sort_by_key(|a| a.at);
        s
    }

    /// The time limit.
    pub fn until(&self) -> Time {
        self.start.until.unwrap_or(Time::ZERO)
    }
}

fn prefix(path: &str, e: ConfigError) -> ConfigError {
    let p = if path.is_empty() {
        e.path
    } else {
        format!("{path}.{}", e.path)
    };
    ConfigError::new(p, e.message)
}

/// Watches a live run for a challenge's goal: call [`GoalWatch::observe`] after every step
/// (or every frame); [`GoalWatch::reached`] latches the first time every check holds.
#[derive(Clone, Debug)]
pub struct GoalWatch {
    check: Vec<Expectation>,
    watcher: Watcher,
    reached: Option<Time>,
    last: Vec<Verdict>,
}

impl GoalWatch {
    /// A watch for `challenge`'s checks.
    pub fn new(challenge: &Challenge) -> GoalWatch {
        GoalWatch {
            check: challenge.check.clone(),
            watcher: Watcher::new(),
            reached: None,
            last: Vec::new(),
        }
    }

    /// Look at the run as it is now; returns whether the goal has been reached (now or before).
    pub fn observe(&mut self, p: &dyn Playground) -> bool {
        self.watcher.observe(p, &self.check);
        self.last = self.watcher.check(p, &self.check);
        if self.reached.is_none() && self.last.iter().all(|v| v.met) {
            self.reached = Some(p.now());
        }
        self.reached.is_some()
    }

    /// When the goal was first reached.
    pub fn reached(&self) -> Option<Time> {
        self.reached
    }

    /// Each check's verdict at the last observation ("not yet" with the reason).
    pub fn verdicts(&self) -> &[Verdict] {
        &self.last
    }
}

/// What a replay of a challenge found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attempt {
    /// When the goal was first reached, if it was.
    pub reached: Option<Time>,
    /// Each check's verdict at the end (or at the moment the goal was reached).
    pub verdicts: Vec<Verdict>,
}

/// Run `scenario` to the challenge's time limit, watching for its goal after every step.
pub fn attempt(
    registry: &Registry,
    challenge: &Challenge,
    scenario: &Scenario,
) -> Result<Attempt, ConfigError> {
    let mut p = registry.build(scenario)?;
    let mut watch = GoalWatch::new(challenge);
    let until = challenge.until();
    watch.observe(p.as_ref());
    while watch.reached().is_none() && p.next_time().is_some_and(|t| t <= until) {
        p.step();
        watch.observe(p.as_ref());
    }
    if watch.reached().is_none() {
        p.run_until(until, u64::MAX);
        watch.observe(p.as_ref());
    }
    Ok(Attempt {
        reached: watch.reached(),
        verdicts: watch.verdicts().to_vec(),
    })
}

/// Replay the challenge's solution and report.
pub fn replay_solution(registry: &Registry, challenge: &Challenge) -> Result<Attempt, ConfigError> {
    attempt(registry, challenge, &challenge.solved_scenario())
}
