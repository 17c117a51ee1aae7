//! Time travel over any protocol: checkpoints, seeking, stepping back, branches and an editable
//! action schedule.
//!
//! A [`Timeline`] drives one [`Playground`] and keeps, per branch, a clone of it every
//! [`CHECKPOINT_EVERY_MS`] of virtual time (clones are cheap: the trace is shared chunk by
//! chunk, see [`crate::kernel::chunked`]). Seeking to time `t` restores the latest checkpoint at or
//! before `t` and replays forward; stepping back restores the latest checkpoint at or before
//! the previous step and replays to it. Because a run is a deterministic sequence of steps, the
//! state reached is exactly the one a straight run from the start reaches (trace, snapshot and
//! all) — the tests below check it.
//!
//! A timeline can keep a bounded **trace window** ([`Timeline::set_trace_window`]): the live
//! run keeps only its most recent trace entries, and a checkpoint whose whole trace lies before
//! that window forgets its trace too, so a run left going for hours holds a bounded trace plus
//! at most [`MAX_CHECKPOINTS`] states per branch. Seeking into forgotten history still lands on
//! exactly the right state (checkpoints keep the state, and replay is deterministic); the trace
//! there starts at the checkpoint it was replayed from.
//!
//! Acting at a past moment (applying an action, or moving or removing a mark of the schedule)
//! forks a new branch whose future starts from there; the previous branch is kept and can be
//! switched back to. Every branch is just a schedule of timed actions over the same scenario,
//! so any branch can be written out as a scenario that reproduces it.

use crate::kernel::control::Control;
use crate::kernel::sim::{ControlError, RunOutcome};
use crate::kernel::types::Time;
use crate::run::playground::Playground;
use crate::run::scenario::{TimedAction, MAX_TIME_MS};
use std::rc::Rc;
use std::sync::Arc;

/// Virtual time between checkpoints (doubles when a branch holds too many).
pub const CHECKPOINT_EVERY_MS: u64 = 1000;
/// Most checkpoints per branch; past it every other one is dropped and the interval doubles,
/// so memory stays bounded however long a run gets.
pub const MAX_CHECKPOINTS: usize = 1024;
/// Most branches kept; forking past it forgets the oldest branch that is not on screen.
pub const MAX_BRANCHES: usize = 12;

/// A saved state: restored by cloning, never modified.
#[derive(Clone)]
struct Checkpoint {
    at: Time,
    steps: u64,
    state: Rc<dyn Playground>,
}

/// One line of history: a schedule of actions and the checkpoints along it.
#[derive(Clone)]
struct Branch {
    /// Number shown to the user (1 is the first branch).
    number: u32,
    /// Branch number and time this one was forked from.
    forked_from: Option<(u32, Time)>,
    /// Every action of this branch, time-ordered.
    actions: Arc<Vec<TimedAction>>,
    /// Ordered by time and by steps; the first is the initial state.
    checkpoints: Vec<Checkpoint>,
    /// Current checkpoint interval (ms).
    interval: u64,
    /// Furthest time and step count reached on this branch.
    head: Time,
    head_steps: u64,
    /// Where the user was when they left this branch.
    position: Time,
    /// The mark whose last edit created this branch (further edits of it stay here).
    edit_of: Option<usize>,
}

/// A branch, for the branch switcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchInfo {
    /// Index to pass to [`Timeline::switch`].
    pub index: usize,
    /// Number shown to the user.
    pub number: u32,
    /// Branch number and time it was forked from (`None` for the first branch).
    pub forked_from: Option<(u32, Time)>,
    /// Furthest time explored on it.
    pub end: Time,
    /// Number of actions in its schedule.
    pub actions: usize,
    /// It is the branch on screen.
    pub current: bool,
}

/// What an edit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edited {
    /// The current branch was changed in place.
    InPlace,
    /// A new branch was forked (the previous one is kept).
    Forked,
}

/// Checkpointed history of a playground, with branches (see the module docs).
pub struct Timeline {
    pg: Box<dyn Playground>,
    branches: Vec<Branch>,
    current: usize,
    next_number: u32,
    /// Trace entries the live run keeps (`None`: all).
    window: Option<usize>,
}

impl Timeline {
    /// Start a timeline at the playground's current (initial) state.
    pub fn new(pg: Box<dyn Playground>) -> Timeline {
        let actions = Arc::new(pg.to_scenario().actions);
        let first = Checkpoint {
            at: pg.now(),
            steps: pg.steps(),
            state: Rc::from(pg.clone_box()),
        };
        let branch = Branch {
            number: 1,
            forked_from: None,
            actions: actions.clone(),
            checkpoints: vec![first],
            interval: CHECKPOINT_EVERY_MS,
            head: pg.now(),
            head_steps: pg.steps(),
            position: pg.now(),
            edit_of: None,
        };
        let mut pg = pg;
        pg.reschedule(actions);
        Timeline {
            pg,
            branches: vec![branch],
            current: 0,
            next_number: 2,
            window: None,
        }
    }

    /// The live playground.
    pub fn playground(&self) -> &dyn Playground {
        self.pg.as_ref()
    }

    /// Current virtual time.
    pub fn now(&self) -> Time {
        self.pg.now()
    }

    fn branch(&self) -> &Branch {
        &self.branches[self.current]
    }

    fn branch_mut(&mut self) -> &mut Branch {
        &mut self.branches[self.current]
    }

    /// The end of the timeline on screen: the furthest time explored, now, or the last action.
    pub fn end(&self) -> Time {
        let b = self.branch();
        let last = b.actions.last().map_or(Time::ZERO, |a| a.at);
        b.head.max(self.pg.now()).max(last)
    }

    /// The current branch's actions (the marks on the timeline), time-ordered.
    pub fn marks(&self) -> &[TimedAction] {
        &self.branch().actions
    }

    /// Number of checkpoints held by the current branch.
    pub fn checkpoints(&self) -> usize {
        self.branch().checkpoints.len()
    }

    /// Whether the screen shows a past moment of this branch (acting now would fork).
    pub fn in_past(&self) -> bool {
        let b = self.branch();
        self.pg.now() < b.head || self.pg.steps() < b.head_steps
    }

    fn note_head(&mut self) {
        let (now, steps) = (self.pg.now(), self.pg.steps());
        let b = self.branch_mut();
        b.head = b.head.max(now);
        b.head_steps = b.head_steps.max(steps);
    }

    /// Time of the next checkpoint to take (a multiple of the interval after the last one).
    fn next_checkpoint_at(&self) -> Time {
        let b = self.branch();
        let last = b.checkpoints.last().map_or(Time::ZERO, |c| c.at);
        let from = last.max(self.pg.now()).0;
        Time((from / b.interval + 1) * b.interval)
    }

    /// Keep about `limit` of the most recent trace entries (`None`: everything); see the module
    /// docs. The run is unaffected.
    pub fn set_trace_window(&mut self, limit: Option<usize>) {
        self.window = limit;
        self.pg.set_trace_window(limit);
    }

    /// Checkpoints whose whole trace lies before the live run's window forget it (their
    /// fingerprint was settled when they were taken).
    fn forget_old_traces(&mut self) {
        let first = self.pg.trace_first();
        if first == 0 {
            return;
        }
        for cp in &mut self.branches[self.current].checkpoints {
            let state = &cp.state;
            if state.trace_len() <= first && state.trace_first() < state.trace_len() {
                let mut stripped = state.clone_box();
                stripped.forget_trace();
                cp.state = Rc::from(stripped);
            }
        }
    }

    fn take_checkpoint(&mut self) {
        if self.window.is_some() {
            self.pg.settle_trace_hash();
        }
        let cp = Checkpoint {
            at: self.pg.now(),
            steps: self.pg.steps(),
            state: Rc::from(self.pg.clone_box()),
        };
        let b = &mut self.branches[self.current];
        if b.checkpoints
            .last()
            .is_some_and(|l| l.at >= cp.at || l.steps > cp.steps)
        {
            return;
        }
        b.checkpoints.push(cp);
        if b.checkpoints.len() > MAX_CHECKPOINTS {
            // Keep the initial state and every other one after it.
            let mut i = 0;
            b.checkpoints.retain(|_| {
                i += 1;
                i == 1 || i % 2 == 0
            });
            b.interval *= 2;
        }
        if self.window.is_some() {
            self.forget_old_traces();
        }
    }

    /// Advance to `until`, processing at most `max_steps` steps (a frame budget), taking
    /// checkpoints on the way.
    pub fn run_until(&mut self, until: Time, max_steps: u64) -> RunOutcome {
        let mut budget = max_steps;
        loop {
            let cp = self.next_checkpoint_at();
            let target = cp.min(until);
            let before = self.pg.steps();
            let outcome = self.pg.run_until(target, budget);
            budget = budget.saturating_sub(self.pg.steps() - before);
            self.note_head();
            if outcome == RunOutcome::Capped {
                return RunOutcome::Capped;
            }
            if cp <= until {
                self.take_checkpoint();
            }
            if target == until {
                return RunOutcome::Reached;
            }
        }
    }

    /// Process one step forward. `false` if nothing is pending.
    pub fn step(&mut self) -> bool {
        let stepped = self.pg.step();
        self.note_head();
        stepped
    }

    /// Go back one step (to the state just before the last step). `false` at the start.
    pub fn step_back(&mut self) -> bool {
        match self.pg.steps().checked_sub(1) {
            Some(target) => {
                self.seek_steps(target);
                true
            }
            None => false,
        }
    }

    /// Show virtual time `t` (clamped to one hour): restore the nearest checkpoint at or
    /// before it and replay, or run forward if `t` is ahead.
    pub fn seek(&mut self, t: Time) {
        let t = Time(t.0.min(MAX_TIME_MS));
        // Start from the latest checkpoint at or before `t` unless the current state is
        // already between it and `t`.
        let b = self.branch();
        let i = b.checkpoints.partition_point(|c| c.at <= t);
        let best = b.checkpoints[i.saturating_sub(1)].at;
        if t < self.pg.now() || best > self.pg.now() {
            self.restore_at(t);
        } else {
            self.run_until(t, u64::MAX);
        }
    }

    /// Show the state after exactly `target` steps of this branch.
    pub fn seek_steps(&mut self, target: u64) {
        if target < self.pg.steps() {
            let b = self.branch();
            let i = b.checkpoints.partition_point(|c| c.steps <= target);
            let cp = b.checkpoints[i.saturating_sub(1)].clone();
            self.restore(&cp);
        }
        while self.pg.steps() < target && self.pg.step() {}
        self.note_head();
    }

    /// Restore the latest checkpoint at or before `t` and replay to `t`.
    fn restore_at(&mut self, t: Time) {
        let b = self.branch();
        let i = b.checkpoints.partition_point(|c| c.at <= t);
        let cp = b.checkpoints[i.saturating_sub(1)].clone();
        self.restore(&cp);
        self.run_until(t, u64::MAX);
    }

    fn restore(&mut self, cp: &Checkpoint) {
        let mut pg = cp.state.clone_box();
        pg.reschedule(self.branch().actions.clone());
        pg.set_trace_window(self.window);
        self.pg = pg;
    }

    /// What could happen next, for manual mode. Finishes the current instant first (as applying
    /// an action would), so every pick listed can be applied.
    pub fn picks(&mut self) -> Vec<crate::kernel::sim::Pick> {
        let now = self.pg.now();
        self.run_until(now, u64::MAX);
        self.pg.picks()
    }

    /// Apply a user action now. In the past this forks a new branch first (returned as
    /// [`Edited::Forked`]); a refused action changes nothing.
    pub fn apply(&mut self, control: Control) -> Result<Edited, ControlError> {
        let now = self.pg.now();
        if !self.in_past() {
            self.pg.apply(control)?;
            self.sync_actions();
            self.note_head();
            self.branch_mut().edit_of = None;
            return Ok(Edited::InPlace);
        }
        // On a copy first: a refused action must not fork. Finish the current instant (as the
        // session would), so the applied actions are exactly the schedule's prefix up to now.
        let mut trial = self.pg.clone_box();
        trial.run_until(now, u64::MAX);
        let applied = trial.applied_actions();
        let mut prefix = trial.to_scenario().actions;
        prefix.truncate(applied);
        trial.reschedule(Arc::new(prefix.clone()));
        trial.apply(control)?;
        self.pg = trial;
        self.fork(now, Arc::new(prefix), None);
        self.sync_actions();
        self.note_head();
        Ok(Edited::Forked)
    }

    /// The branch's schedule from the live playground (after a live action), shared again.
    fn sync_actions(&mut self) {
        let actions = Arc::new(self.pg.to_scenario().actions);
        self.pg.reschedule(actions.clone());
        self.branch_mut().actions = actions;
    }

    /// Make a new branch from the current one with `actions`, keeping the checkpoints before
    /// `from` (and always the initial state), and switch to it.
    fn fork(&mut self, from: Time, actions: Arc<Vec<TimedAction>>, edit_of: Option<usize>) {
        let old = self.branch();
        let checkpoints = old
            .checkpoints
            .iter()
            .enumerate()
            .filter(|(i, c)| *i == 0 || c.at < from)
            .map(|(_, c)| c.clone())
            .collect();
        let position = self.pg.now();
        let branch = Branch {
            number: self.next_number,
            forked_from: Some((old.number, from)),
            actions,
            checkpoints,
            interval: old.interval,
            head: position,
            head_steps: self.pg.steps(),
            position,
            edit_of,
        };
        self.next_number += 1;
        self.branch_mut().position = position;
        self.branches.push(branch);
        self.current = self.branches.len() - 1;
        if self.branches.len() > MAX_BRANCHES {
            // The oldest branch not on screen goes.
            let gone = usize::from(self.current == 0);
            self.branches.remove(gone);
            if self.current > gone {
                self.current -= 1;
            }
        }
    }

    /// Move mark `index` to time `to` and replay. The first edit of a mark forks a branch;
    /// editing the same mark again right after changes that branch in place.
    pub fn move_mark(&mut self, index: usize, to: Time) -> Result<Edited, String> {
        let mut actions: Vec<TimedAction> = self.branch().actions.as_ref().clone();
        if index >= actions.len() {
            return Err(format!("there is no mark {index}"));
        }
        if to.0 > MAX_TIME_MS {
            return Err(format!("{to} ms is beyond the one hour a scenario may run"));
        }
        let mut action = actions.remove(index);
        let from = action.at;
        action.at = to;
        // After every other action at the same time, as if it had been applied last.
        let at = actions.partition_point(|a| a.at <= to);
        actions.insert(at, action);
        Ok(self.edit(index, actions, from.min(to), Some(at)))
    }

    /// Remove mark `index` and replay (forks a branch).
    pub fn remove_mark(&mut self, index: usize) -> Result<Edited, String> {
        let mut actions: Vec<TimedAction> = self.branch().actions.as_ref().clone();
        if index >= actions.len() {
            return Err(format!("there is no mark {index}"));
        }
        let gone = actions.remove(index);
        Ok(self.edit(usize::MAX, actions, gone.at, None))
    }

    /// Replace the schedule from time `affected` on, forking unless this continues an edit of
    /// the same mark; then show the same moment again.
    fn edit(
        &mut self,
        index: usize,
        actions: Vec<TimedAction>,
        affected: Time,
        edit_of: Option<usize>,
    ) -> Edited {
        let position = self.pg.now();
        let actions = Arc::new(actions);
        let in_place = self.branch().edit_of == Some(index);
        let result = if in_place {
            let b = self.branch_mut();
            b.actions = actions;
            let mut i = 0;
            b.checkpoints.retain(|c| {
                i += 1;
                i == 1 || c.at < affected
            });
            b.head_steps = 0;
            b.edit_of = edit_of;
            Edited::InPlace
        } else {
            let head = self.branch().head;
            self.fork(affected, actions, edit_of);
            let b = self.branch_mut();
            b.head = head;
            b.head_steps = 0;
            Edited::Forked
        };
        // Everything before `affected` is unchanged: replay from the last checkpoint before it.
        self.restore_at(position);
        result
    }

    /// Every branch, for the switcher.
    pub fn branches(&self) -> Vec<BranchInfo> {
        self.branches
            .iter()
            .enumerate()
            .map(|(index, b)| BranchInfo {
                index,
                number: b.number,
                forked_from: b.forked_from,
                end: if index == self.current {
                    self.end()
                } else {
                    b.head
                },
                actions: b.actions.len(),
                current: index == self.current,
            })
            .collect()
    }

    /// Switch to branch `index`, at the moment it was left. `false` if there is no such branch.
    pub fn switch(&mut self, index: usize) -> bool {
        if index >= self.branches.len() {
            return false;
        }
        if index == self.current {
            return true;
        }
        let now = self.pg.now();
        self.branch_mut().position = now;
        self.current = index;
        let position = self.branch().position;
        self.restore_at(position);
        true
    }
}

#[cfg(test)]
mod tests;
