//! Shrinking a failing scenario: delta debugging (Zeller & Hildebrandt, "Simplifying and
//! Isolating Failure-Inducing Input", TSE 2002) over its action log — faults first, then the
//! client workload — and then its length, keeping only what still makes the same checker fire.
//!
//! A scenario replays exactly, so "does it still fail?" is one deterministic replay. Removing
//! an action can make a later one impossible (restarting a node that never crashed); the
//! replay refuses such an action and goes on, which is the right semantics for a shrink.

use crate::kernel::control::Control;
use crate::kernel::types::Time;
use crate::run::registry::Registry;
use crate::run::scenario::{Scenario, TimedAction};
use serde::Serialize;

/// How big a scenario is, in the terms the shrink works on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Size {
    /// Fault and repair actions.
    pub faults: usize,
    /// Client commands.
    pub commands: usize,
    /// Virtual time the scenario runs to (ms).
    pub until_ms: u64,
}

impl Size {
    /// The size of `s`.
    pub fn of(s: &Scenario) -> Size {
        let commands = s
            .actions
            .iter()
            .filter(|a| matches!(a.control, Control::Submit { .. }))
            .count();
        Size {
            faults: s.actions.len() - commands,
            commands,
            until_ms: s.until.map_or(0, |t| t.0),
        }
    }
}

/// The result of a shrink.
#[derive(Clone, Debug, Serialize)]
pub struct Shrunk {
    /// The checker that had to keep firing.
    pub checker: String,
    /// The size before.
    pub before: Size,
    /// The size after.
    pub after: Size,
    /// Replays run.
    pub replays: u64,
    /// Whether the replay budget ran out before the shrink was done (the result still fails,
    /// it may just not be minimal).
    pub out_of_budget: bool,
    /// The smallest failing scenario found.
    #[serde(skip)]
    pub scenario: Scenario,
}

/// Why a scenario could not be shrunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShrinkError(pub String);

impl std::fmt::Display for ShrinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Oracle<'a> {
    registry: &'a Registry,
    base: Scenario,
    checker: &'a str,
    replays: u64,
    budget: u64,
}

impl Oracle<'_> {
    /// Does `base` with these actions (and this end) still make the checker fire?
    fn fails(&mut self, actions: &[TimedAction], until: Time) -> bool {
        if self.replays >= self.budget {
            return false;
        }
        self.replays += 1;
        let mut s = self.base.clone();
        s.actions = actions.to_vec();
        s.until = Some(until);
        let Ok(mut p) = self.registry.build(&s) else {
            return false;
        };
        p.run_until(until, u64::MAX);
        p.violations().iter().any(|v| v.checker == self.checker)
    }

    /// When the checker first fires with these actions.
    fn first_violation(&mut self, actions: &[TimedAction], until: Time) -> Option<Time> {
        self.replays += 1;
        let mut s = self.base.clone();
        s.actions = actions.to_vec();
        let mut p = self.registry.build(&s).ok()?;
        p.run_until(until, u64::MAX);
        p.violations()
            .iter()
            .find(|v| v.checker == self.checker)
            .map(|v| v.at)
    }

    fn out_of_budget(&self) -> bool {
        self.replays >= self.budget
    }
}

/// ddmin over the indices `movable` of `actions` (the others always stay).
fn ddmin(
    oracle: &mut Oracle<'_>,
    actions: &[TimedAction],
    movable: Vec<usize>,
    until: Time,
) -> Vec<TimedAction> {
    let fixed: Vec<usize> = (0..actions.len())
        .filter(|i| !movable.contains(i))
        .collect();
    let assemble = |keep: &[usize]| -> Vec<TimedAction> {
        let mut idx: Vec<usize> = fixed.iter().chain(keep).copied().collect();
        idx.sort_unstable();
        idx.into_iter().map(|i| actions[i].clone()).collect()
    };
    let mut current = movable;
    let mut n = 2usize;
    while current.len() >= 2 && !oracle.out_of_budget() {
        let chunk = current.len().div_ceil(n);
        let mut reduced = false;
        for start in (0..current.len()).step_by(chunk) {
            let complement: Vec<usize> = current[..start]
                .iter()
                .chain(current[(start + chunk).min(current.len())..].iter())
                .copied()
                .collect();
            if oracle.fails(&assemble(&complement), until) {
                current = complement;
                n = (n - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if n >= current.len() {
                break;
            }
            n = (n * 2).min(current.len());
        }
    }
    if current.len() == 1 && oracle.fails(&assemble(&[]), until) {
        current.clear();
    }
    assemble(&current)
}

/// Shrink `scenario`, which makes `checker` fire, to a smaller scenario that still does: first
/// the run is cut just after the first violation, then the faults are delta-debugged, then
/// the client commands. At most `budget` replays.
pub fn minimize(
    registry: &Registry,
    scenario: &Scenario,
    checker: &str,
    budget: u64,
) -> Result<Shrunk, ShrinkError> {
    let before = Size::of(scenario);
    let until = scenario.until.ok_or_else(|| {
        ShrinkError("the scenario has no `until`: nothing says how long to run it".into())
    })?;
    let mut oracle = Oracle {
        registry,
        base: Scenario {
            actions: Vec::new(),
            ..scenario.clone()
        },
        checker,
        replays: 0,
        budget,
    };
    let Some(first) = oracle.first_violation(&scenario.actions, until) else {
        return Err(ShrinkError(format!(
            "replaying the scenario does not make {checker} fire (checks that run only at the \
             end of a chaos seed, such as liveness, cannot be shrunk by replay)"
        )));
    };
    // Cut the run just after the first violation; drop the actions that come later.
    let mut until = first.plus(1).min(until);
    let mut actions: Vec<TimedAction> = scenario
        .actions
        .iter()
        .filter(|a| a.at <= until)
        .cloned()
        .collect();
    if !oracle.fails(&actions, until) {
        // Some checks need the events of the violation's instant to finish: keep the length.
        until = scenario.until.unwrap_or(until);
        actions = scenario.actions.clone();
    }
    let is_command = |a: &TimedAction| matches!(a.control, Control::Submit { .. });
    let faults: Vec<usize> = (0..actions.len())
        .filter(|&i| !is_command(&actions[i]))
        .collect();
    actions = ddmin(&mut oracle, &actions, faults, until);
    let commands: Vec<usize> = (0..actions.len())
        .filter(|&i| is_command(&actions[i]))
        .collect();
    actions = ddmin(&mut oracle, &actions, commands, until);
    // The end may move earlier now that less happens.
    if let Some(t) = oracle.first_violation(&actions, until) {
        if oracle.fails(&actions, t.plus(1)) {
            until = t.plus(1);
        }
    }
    let mut out = scenario.clone();
    out.actions = actions;
    out.until = Some(until);
    out.name = format!("{} (minimized)", scenario.name);
    Ok(Shrunk {
        checker: checker.to_string(),
        before,
        after: Size::of(&out),
        replays: oracle.replays,
        out_of_budget: oracle.out_of_budget(),
        scenario: out,
    })
}
