//! One object-safe facade over every protocol, so the UI and the CLI drive them all alike.
//!
//! [`build`] turns a validated [`Scenario`] into a `Box<dyn Playground>`: a [`Session`] that
//! owns the simulator and replays the scenario's timed actions as virtual time passes. Actions
//! applied live (from the UI) go into the session's action log, so the session can always be
//! written back out as a scenario that reproduces it.

use crate::kernel::check::{Checker, CheckerInfo, Violation};
use crate::kernel::config::ConfigError;
use crate::kernel::control::Control;
use crate::kernel::net::DropReason;
use crate::kernel::node::Model;
use crate::kernel::probe::{Fact, Probe};
use crate::kernel::sim::{ControlError, Counters, Pick, RunOutcome, Simulator};
use crate::kernel::trace::{Category, TraceEvent, TraceItem};
use crate::kernel::types::{MsgId, NodeId, Time};
use crate::kernel::view::Snapshot;
use crate::run::scenario::{Scenario, TimedAction};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

/// One line of the trace, ready for display and filtering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceLine {
    /// Position in the trace (0-based).
    pub index: usize,
    /// When it happened.
    pub at: Time,
    /// Broad category.
    pub category: Category,
    /// The node it is mainly about.
    pub node: Option<NodeId>,
    /// The message it is about.
    pub msg: Option<MsgId>,
    /// The directed link `(from, to)` of a message event.
    pub link: Option<(NodeId, NodeId)>,
    /// For a drop: why the message was dropped.
    pub dropped: Option<DropReason>,
    /// The stable text form.
    pub text: String,
}

/// A running simulation of any protocol.
pub trait Playground {
    /// The registry id of the protocol running.
    fn protocol(&self) -> &'static str;
    /// The session itself, for panels and tools that read one protocol's typed state: downcast
    /// to [`Session`] of that protocol's model.
    fn as_any(&self) -> &dyn std::any::Any;
    /// Current virtual time.
    fn now(&self) -> Time;
    /// Events processed so far.
    fn events(&self) -> u64;
    /// Time of the next event or scheduled action, if any.
    fn next_time(&mut self) -> Option<Time>;
    /// Process the next event or scheduled action. `false` if nothing is pending.
    fn step(&mut self) -> bool;
    /// Advance to `until`, processing at most `max_events` events and scheduled actions.
    fn run_until(&mut self, until: Time, max_events: u64) -> RunOutcome;
    /// Apply a user action now and record it in the action log.
    fn apply(&mut self, control: Control) -> Result<(), ControlError>;
    /// Everything needed to draw the current instant.
    fn snapshot(&self) -> Snapshot;
    /// Number of trace entries (forgotten ones included).
    fn trace_len(&self) -> usize;
    /// Index of the first trace entry still kept (0 unless a window made older ones go).
    fn trace_first(&self) -> usize;
    /// Keep at most about `limit` of the most recent trace entries (`None`: everything); the
    /// run and its fingerprint are unaffected (see `kernel::sim` `window`).
    fn set_trace_window(&mut self, limit: Option<usize>);
    /// Fold the trace so far into the fingerprint (before a clone that may later forget it).
    fn settle_trace_hash(&mut self);
    /// Forget the whole trace kept so far (its fingerprint is kept).
    fn forget_trace(&mut self);
    /// Trace entry `index` (`None` past the end or before [`Playground::trace_first`]).
    fn trace_line(&self, index: usize) -> Option<TraceLine>;
    /// Trace entry `index`, typed and protocol-neutral (no text is formatted): for views that
    /// read every entry of a long run, like the page's space-time diagram.
    fn trace_item(&self, index: usize) -> Option<(Time, TraceItem)>;
    /// Fingerprint of the whole trace.
    fn trace_hash(&self) -> u64;
    /// Violations found so far.
    fn violations(&self) -> &[Violation];
    /// The properties being checked.
    fn properties(&self) -> &'static [CheckerInfo];
    /// What happened, counted.
    fn counters(&self) -> &Counters;
    /// Scheduled actions that could not be applied (time, reason).
    fn refused(&self) -> &[(Time, String)];
    /// The session as a scenario: the original plus every live action applied since.
    fn to_scenario(&self) -> Scenario;
    /// An independent copy (a checkpoint). Cheap: the trace is shared, not copied.
    fn clone_box(&self) -> Box<dyn Playground>;
    /// Steps taken so far: events processed plus actions applied (scheduled or live). The
    /// same session replayed from its scenario takes the same steps in the same order, so a
    /// step count names one exact state of the run.
    fn steps(&self) -> u64;
    /// How many actions (scheduled and live) have been applied; in [`Playground::to_scenario`]'s
    /// time-sorted action list they are the first ones.
    fn applied_actions(&self) -> usize;
    /// Replace the action schedule. `actions` must be time-ordered and start with the
    /// [`Playground::applied_actions`] actions already applied (the timeline guarantees it);
    /// the rest are applied as their times come.
    fn reschedule(&mut self, actions: Arc<Vec<TimedAction>>);
    /// What could happen next, for manual mode (see [`Simulator::picks`]).
    fn picks(&self) -> Vec<Pick>;
    /// Ask node `node`'s protocol state a typed question (a key's value, a transaction's
    /// state, a client's last read). A crashed server answers from nothing:
    /// [`Fact::Unsupported`]; so does a node that does not exist.
    fn probe(&self, node: NodeId, probe: &Probe<'_>) -> Fact;
}

/// A simulator plus the scenario it replays.
#[derive(Clone, Debug)]
pub struct Session<M: Model> {
    /// The registry id it runs under.
    protocol: &'static str,
    sim: Simulator<M>,
    /// The scenario without its actions (they live in `actions`, shared between clones).
    scenario: Scenario,
    /// The action schedule.
    actions: Arc<Vec<TimedAction>>,
    /// Index of the next scheduled action to apply.
    next_action: usize,
    /// Actions applied live, with their times.
    live: Vec<TimedAction>,
    refused: Vec<(Time, String)>,
    /// Events processed plus actions applied.
    steps: u64,
}

impl<M: Model> Session<M> {
    /// Start a session of `scenario` with the given protocol configuration, running under the
    /// registry id `protocol`.
    pub fn new(
        protocol: &'static str,
        mut scenario: Scenario,
        config: M::Config,
    ) -> Result<Session<M>, ConfigError> {
        // Client commands are the protocol's own language: check them before anything runs.
        for (i, action) in scenario.actions.iter().enumerate() {
            if let Control::Submit { node, op, .. } = &action.control {
                M::parse_request(*node, op).map_err(|e| {
                    ConfigError::new(format!("actions[{i}].control.op"), format!("{op:?}: {e}"))
                })?;
            }
        }
        let sim = Simulator::new(scenario.cluster.clone(), config, scenario.seed)?;
        let actions = Arc::new(std::mem::take(&mut scenario.actions));
        Ok(Session {
            protocol,
            sim,
            scenario,
            actions,
            next_action: 0,
            live: Vec::new(),
            refused: Vec::new(),
            steps: 0,
        })
    }

    /// The simulator (for protocol-specific inspection in tests and the CLI).
    pub fn sim(&self) -> &Simulator<M> {
        &self.sim
    }

    fn next_action_at(&self) -> Option<Time> {
        self.actions.get(self.next_action).map(|a| a.at)
    }

    /// Apply the next scheduled action (the clock first moves to its time; every event due
    /// before that time has already run).
    fn apply_scheduled(&mut self) {
        let Some(action) = self.actions.get(self.next_action).cloned() else {
            return;
        };
        self.next_action += 1;
        self.steps += 1;
        self.sim.advance_clock(action.at);
        if let Err(e) = self.sim.apply(action.control.clone()) {
            self.refused
                .push((action.at, format!("{}: {e}", action.control)));
        }
    }

    /// Whether the next thing to happen is a scheduled action. Actions at time `t` apply
    /// after every event due before `t` and before any event due at `t`; several actions at
    /// the same time apply back to back, in order.
    fn action_first(&mut self) -> Option<Time> {
        let action = self.next_action_at()?;
        match self.sim.next_event_time() {
            Some(event) if event < action => None,
            _ => Some(action),
        }
    }
}

impl<M: Model> Playground for Session<M> {
    fn protocol(&self) -> &'static str {
        self.protocol
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn now(&self) -> Time {
        self.sim.now()
    }

    fn events(&self) -> u64 {
        self.sim.events()
    }

    fn next_time(&mut self) -> Option<Time> {
        match (self.next_action_at(), self.sim.next_event_time()) {
            (Some(a), Some(e)) => Some(a.min(e)),
            (a, e) => a.or(e),
        }
    }

    fn step(&mut self) -> bool {
        if self.action_first().is_some() {
            self.apply_scheduled();
            true
        } else if self.sim.step() {
            self.steps += 1;
            true
        } else {
            false
        }
    }

    fn run_until(&mut self, until: Time, max_events: u64) -> RunOutcome {
        let mut done = 0;
        while self.next_time().is_some_and(|next| next <= until) {
            if done >= max_events {
                return RunOutcome::Capped;
            }
            self.step();
            done += 1;
        }
        self.sim.advance_clock(until);
        RunOutcome::Reached
    }

    fn apply(&mut self, control: Control) -> Result<(), ControlError> {
        // Finish the current instant (after a single step, events due now may still be
        // pending). If events already ran at this instant, act one millisecond later: replayed,
        // an action at `t` goes before the events at `t`, so it must not share their instant.
        let now = self.sim.now();
        self.run_until(now, u64::MAX);
        if self.sim.last_event_at() == Some(now) {
            self.sim.advance_clock(now.plus(1));
            // Scheduled actions at that millisecond come first, as they will in the replay.
            while self.next_action_at().is_some_and(|a| a <= self.sim.now()) {
                self.apply_scheduled();
            }
        }
        // The time it was applied at, before a manual pick moves the clock on.
        let at = self.sim.now();
        self.sim.apply(control.clone())?;
        self.steps += 1;
        self.live.push(TimedAction { at, control });
        Ok(())
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = self.sim.snapshot();
        snapshot.protocol = self.protocol;
        snapshot
    }

    fn trace_len(&self) -> usize {
        self.sim.trace().len()
    }

    fn trace_first(&self) -> usize {
        self.sim.trace().first()
    }

    fn set_trace_window(&mut self, limit: Option<usize>) {
        self.sim.set_trace_window(limit);
    }

    fn settle_trace_hash(&mut self) {
        self.sim.settle_trace_hash();
    }

    fn forget_trace(&mut self) {
        let len = self.sim.trace().len();
        self.sim.forget_trace_before(len);
    }

    fn trace_line(&self, index: usize) -> Option<TraceLine> {
        let entry = self.sim.trace().get(index)?;
        Some(TraceLine {
            index,
            at: entry.at,
            category: entry.event.category(),
            node: entry.event.node(),
            msg: entry.event.message(),
            link: entry.event.link(),
            dropped: match &entry.event {
                TraceEvent::Drop { reason, .. } => Some(*reason),
                _ => None,
            },
            text: entry.to_string(),
        })
    }

    fn trace_item(&self, index: usize) -> Option<(Time, TraceItem)> {
        let entry = self.sim.trace().get(index)?;
        Some((entry.at, entry.event.item()))
    }

    fn trace_hash(&self) -> u64 {
        self.sim.trace_hash()
    }

    fn violations(&self) -> &[Violation] {
        self.sim.violations()
    }

    fn properties(&self) -> &'static [CheckerInfo] {
        M::Checker::properties()
    }

    fn counters(&self) -> &Counters {
        self.sim.counters()
    }

    fn refused(&self) -> &[(Time, String)] {
        &self.refused
    }

    fn to_scenario(&self) -> Scenario {
        let mut s = self.scenario.clone();
        s.actions = merge_actions(&self.actions, &self.live);
        s
    }

    fn clone_box(&self) -> Box<dyn Playground> {
        Box::new(self.clone())
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn applied_actions(&self) -> usize {
        self.next_action + self.live.len()
    }

    fn reschedule(&mut self, actions: Arc<Vec<TimedAction>>) {
        let applied = self.applied_actions().min(actions.len());
        self.actions = actions;
        self.next_action = applied;
        self.live.clear();
    }

    fn picks(&self) -> Vec<Pick> {
        self.sim.picks()
    }

    fn probe(&self, node: NodeId, probe: &Probe<'_>) -> Fact {
        self.sim
            .node(node)
            .map_or(Fact::Unsupported, |actor| actor.probe(probe))
    }
}

/// Scheduled and live actions as one time-ordered list. Live actions were applied after every
/// scheduled action at the same time, so a stable sort puts each where the replay applies it.
fn merge_actions(scheduled: &[TimedAction], live: &[TimedAction]) -> Vec<TimedAction> {
    let mut all = Vec::with_capacity(scheduled.len() + live.len());
    all.extend_from_slice(scheduled);
    all.extend_from_slice(live);
    all.sort_by_key(|a| a.at);
    all
}

/// Parse a protocol's configuration from the scenario's `config` value (missing fields take
/// their defaults; unknown fields are errors naming the field).
pub fn parse_config<C: DeserializeOwned>(value: &serde_json::Value) -> Result<C, ConfigError> {
    let value = if value.is_null() {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        value.clone()
    };
    serde_json::from_value(value).map_err(|e| ConfigError::new("config", e.to_string()))
}

/// Build a running playground of a built-in protocol from a scenario (validating everything
/// first); [`crate::run::registry::Registry::build`] does the same for any registry.
pub fn build(scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
    crate::run::registry::Registry::builtin().build(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_actions_apply_at_their_time_before_same_time_events() {
        let mut s = Scenario::new("raft", 3);
        s.actions.push(TimedAction {
            at: Time(1000),
            control: Control::Crash { node: NodeId(0) },
        });
        let mut p = build(&s).unwrap();
        p.run_until(Time(999), u64::MAX);
        assert_eq!(
            p.snapshot().nodes[0].status,
            crate::kernel::view::NodeStatus::Up
        );
        p.run_until(Time(1000), u64::MAX);
        assert_eq!(
            p.snapshot().nodes[0].status,
            crate::kernel::view::NodeStatus::Crashed
        );
        let crash_line = (0..p.trace_len())
            .filter_map(|i| p.trace_line(i))
            .find(|l| l.category == Category::Fault)
            .unwrap();
        assert_eq!(crash_line.text, "t=1000 user: crash n1");
    }

    #[test]
    fn chunking_does_not_change_the_trace() {
        let s = Scenario::new("raft", 11);
        let mut a = build(&s).unwrap();
        a.run_until(Time(5000), u64::MAX);
        let mut b = build(&s).unwrap();
        let mut t = 0;
        while t < 5000 {
            t += 17;
            // Tiny budgets too: a capped run resumes where it stopped.
            while b.run_until(Time(t.min(5000)), 3) == RunOutcome::Capped {}
        }
        assert_eq!(a.trace_hash(), b.trace_hash());
        assert_eq!(a.now(), b.now());
    }

    #[test]
    fn client_commands_are_checked_when_a_scenario_loads() {
        let mut s = Scenario::new("raft", 3);
        s.cluster.clients = 1;
        s.actions.push(TimedAction {
            at: Time(10),
            control: Control::Submit {
                client: NodeId::client(0),
                node: NodeId(0),
                op: "put x".into(),
            },
        });
        let e = build(&s).err().expect("refused");
        assert_eq!(e.path, "actions[0].control.op");
        assert!(e.message.contains("put takes 2 arguments"), "{e}");
    }

    #[test]
    fn live_actions_are_recorded_into_the_scenario() {
        let s = Scenario::new("raft", 5);
        let mut p = build(&s).unwrap();
        p.run_until(Time(700), u64::MAX);
        p.apply(Control::Crash { node: NodeId(1) }).unwrap();
        assert!(p.apply(Control::Crash { node: NodeId(1) }).is_err());
        let out = p.to_scenario();
        assert_eq!(out.actions.len(), 1);
        // 700, or 701 if events already ran at 700 (live actions never go before them).
        assert!(
            [Time(700), Time(701)].contains(&out.actions[0].at),
            "{:?}",
            out.actions[0].at
        );
        // Replaying the exported scenario reproduces the same trace.
        let mut q = build(&out).unwrap();
        p.run_until(Time(3000), u64::MAX);
        q.run_until(Time(3000), u64::MAX);
        assert_eq!(p.trace_hash(), q.trace_hash());
    }

    #[test]
    fn live_actions_after_a_single_step_replay_exactly() {
        for seed in 0..30 {
            let mut p = build(&Scenario::new("raft", seed)).unwrap();
            // Step event by event into the middle of a busy instant, then act.
            for _ in 0..(25 + seed) {
                p.step();
            }
            p.apply(Control::Crash { node: NodeId(0) }).unwrap();
            p.run_until(Time(p.now().0 + 200), u64::MAX);
            p.apply(Control::Restart { node: NodeId(0) }).unwrap();
            p.run_until(Time(4000), u64::MAX);
            let mut q = build(&p.to_scenario()).unwrap();
            q.run_until(Time(4000), u64::MAX);
            assert_eq!(p.trace_hash(), q.trace_hash(), "seed {seed}");
        }
    }

    #[test]
    fn trace_items_agree_with_trace_lines() {
        let mut s = Scenario::new("raft", 4);
        s.cluster.net.loss = 0.1;
        s.cluster.net.duplicate = 0.2;
        s.actions.push(TimedAction {
            at: Time(900),
            control: Control::Crash { node: NodeId(2) },
        });
        let mut p = build(&s).unwrap();
        p.run_until(Time(3000), u64::MAX);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..p.trace_len() {
            let line = p.trace_line(i).unwrap();
            let (at, item) = p.trace_item(i).unwrap();
            assert_eq!(at, line.at);
            let (msg, link) = match &item {
                TraceItem::Send { id, from, to, .. }
                | TraceItem::Deliver { id, from, to }
                | TraceItem::Wait { id, from, to }
                | TraceItem::Drop { id, from, to, .. } => (Some(*id), Some((*from, *to))),
                _ => (None, None),
            };
            assert_eq!((msg, link), (line.msg, line.link), "{}", line.text);
            if let TraceItem::Drop { reason, .. } = &item {
                assert_eq!(Some(*reason), line.dropped);
            }
            if let TraceItem::Send { duplicate, .. } = &item {
                assert_eq!(*duplicate, line.text.contains(", duplicate)"));
            }
            seen.insert(line.category);
        }
        assert!(p.trace_item(p.trace_len()).is_none());
        for c in [
            Category::Send,
            Category::Deliver,
            Category::Drop,
            Category::Role,
        ] {
            assert!(seen.contains(&c), "{c:?}");
        }
    }

    #[test]
    fn bad_config_is_refused_with_a_path() {
        let mut s = Scenario::new("raft", 1);
        s.config = serde_json::json!({ "heartbeat_ms": 0 });
        assert_eq!(build(&s).err().unwrap().path, "config.heartbeat_ms");
        s.config = serde_json::json!({ "heartbeat": 10 });
        let e = build(&s).err().unwrap();
        assert_eq!(e.path, "config");
        assert!(e.message.contains("unknown field"), "{e}");
    }
}
