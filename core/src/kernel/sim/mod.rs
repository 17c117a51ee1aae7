//! The simulator: virtual time, the event queue, the network, faults and checkers.
//!
//! [`Simulator`] owns everything that is not a protocol node: a `(time, seq)`-ordered queue of
//! pending deliveries and timer firings, the [`Network`], each node's status (up, crashed,
//! paused), durable state of crashed nodes, per-node random streams and the invariant checkers.
//! Time jumps straight to the next event; nothing depends on how often or in what chunks the
//! caller advances it, so `run_until(10_000)` and a thousand calls of `run_until` in 10 ms steps
//! produce the same trace.
//!
//! Removal from the queue is lazy: cancelling a timer or dropping a message only forgets it in
//! the bookkeeping maps, and the stale queue entry is skipped when it surfaces.

use crate::kernel::check::{Checker, Finding, Violation};
use crate::kernel::chunked::ChunkedLog;
use crate::kernel::config::{ClusterConfig, ConfigError};
use crate::kernel::inflight::InFlightTable;
use crate::kernel::net::{DropReason, Fate, LinkState, Network};
use crate::kernel::node::{Actor, ClientId, Ctx, Durable, Effect, Effects, Message, Model};
use crate::kernel::rng::SimRng;
use crate::kernel::trace::{TraceEntry, TraceEvent};
use crate::kernel::types::{MsgId, NodeId, Time};
use crate::kernel::view::{Flight, NodeStatus, NodeView, Role};
use std::cell::OnceCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

mod controls;
mod counters;
mod manual;
mod observe;
#[cfg(test)]
mod tests;
mod window;

pub use counters::Counters;
pub use manual::{Choice, Pick};

/// Random stream number of the network.
const NET_STREAM: u64 = 1;
/// Random stream number of node 0 (node `i` uses `NODE_STREAM_BASE + i`).
const NODE_STREAM_BASE: u64 = 100;

/// Something scheduled to happen at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Due<T> {
    /// Message arrival.
    Deliver(MsgId),
    /// Timer firing (valid only while `gen` matches the armed timer).
    Timer { node: NodeId, timer: T, gen: u64 },
}

#[derive(Clone, Debug)]
struct Queued<T> {
    at: Time,
    seq: u64,
    due: Due<T>,
}

impl<T> PartialEq for Queued<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<T> Eq for Queued<T> {}
impl<T> PartialOrd for Queued<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Queued<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A message on the wire or waiting at the receiving end.
#[derive(Clone, Debug)]
struct InFlight<M> {
    from: NodeId,
    to: NodeId,
    msg: M,
    sent_at: Time,
    deliver_at: Time,
    flight: Flight,
    /// Its link was cut while it travelled: it will be dropped on arrival.
    doomed: bool,
}

/// An armed timer.
///
/// Re-arming a timer later than it was (an election timer reset by every heartbeat) does not
/// queue a new entry: the entry already queued stands for it, and when it comes up it is
/// queued again at the timer's real time, under the sequence number it got when it was armed.
/// The queue then pops exactly what it would have popped with one entry per arming, with far
/// fewer entries to push and skip.
#[derive(Clone, Debug)]
struct Armed {
    /// The sequence number of its real queue entry (`Due::Timer::gen`).
    gen: u64,
    set_at: Time,
    fires_at: Time,
    /// The queue entry standing for it, (time, sequence number): its real one, or an earlier
    /// one left by an arming it replaced. `None` once popped for a paused node.
    queued: Option<(Time, u64)>,
}

/// Per-node bookkeeping owned by the simulator.
#[derive(Clone, Debug)]
struct Slot<M: Model> {
    status: NodeStatus,
    /// The live actor (`None` while crashed).
    node: Option<Actor<M>>,
    /// Durable state of a crashed server, and its view for the UI (what a restart would
    /// recover), made when the UI first asks for it: chaos crashes nodes thousands of times and
    /// never draws them.
    durable: Option<(Durable<M>, OnceCell<NodeView>)>,
    rng: SimRng,
    timers: BTreeMap<M::Timer, Armed>,
    /// Events that arrived while paused, in arrival order.
    deferred: Vec<Due<M::Timer>>,
    /// Last role/term traced (`None` after a restart, so the first role is always traced).
    last_role: Option<(Role, Option<u64>)>,
}

/// An input handed to a node.
enum Input<M: Model> {
    Start {
        restart: bool,
    },
    Message {
        from: NodeId,
        msg: M::Msg,
    },
    Timer {
        timer: M::Timer,
        forced: bool,
    },
    Request {
        client: ClientId,
        request: M::Request,
    },
}

/// Why a control or request could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlError(pub String);

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ControlError {}

impl From<ConfigError> for ControlError {
    fn from(e: ConfigError) -> Self {
        ControlError(e.to_string())
    }
}

/// How a bounded run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every event up to the target time was processed; the clock now reads the target.
    Reached,
    /// The event budget ran out first; the clock reads the time of the last event processed.
    Capped,
}

/// A deterministic simulation of one protocol on one cluster.
#[derive(Clone, Debug)]
pub struct Simulator<M: Model> {
    cluster: ClusterConfig,
    config: M::Config,
    now: Time,
    seq: u64,
    next_msg: u64,
    queue: BinaryHeap<Reverse<Queued<M::Timer>>>,
    messages: InFlightTable<InFlight<M::Msg>>,
    /// Messages waiting at held links, in arrival order.
    held: Vec<MsgId>,
    /// Servers first (`n1…`), then simulated clients (`c1…`).
    slots: Vec<Slot<M>>,
    /// Number of servers.
    servers: usize,
    /// Every server's id, in order (what actors are told the cluster is).
    members: Vec<NodeId>,
    net: Network,
    /// Shared with clones (checkpoints) chunk by chunk, never copied.
    trace: ChunkedLog<TraceEntry<M>>,
    /// How much of the trace is kept, and the fingerprint of what was forgotten.
    window: window::TraceWindow,
    checker: M::Checker,
    violations: Vec<Violation>,
    counters: Counters,
    /// Time of the last queued event processed (deliveries and timers, not user actions).
    last_event_at: Option<Time>,
    effects: Effects<M>,
    findings: Vec<Finding>,
}

impl<M: Model> Simulator<M> {
    /// A new simulation: validates the cluster configuration, then starts every node at t=0.
    pub fn new(
        cluster: ClusterConfig,
        config: M::Config,
        seed: u64,
    ) -> Result<Simulator<M>, ConfigError> {
        cluster.validate("cluster")?;
        M::validate_config(&config, "config")?;
        let root = SimRng::new(seed);
        let n = cluster.nodes;
        let members: Vec<NodeId> = (0..n).map(NodeId::from_index).collect();
        let slots = (0..n + cluster.clients)
            .map(|i| {
                let id = NodeId::at_slot(i, n);
                let node = Actor::new(id, &members, &config, None);
                let last_role = Some((node.role(), node.term()));
                Slot {
                    status: NodeStatus::Up,
                    node: Some(node),
                    durable: None,
                    rng: root.fork(NODE_STREAM_BASE + u64::from(id.0)),
                    timers: BTreeMap::new(),
                    deferred: Vec::new(),
                    last_role,
                }
            })
            .collect();
        let mut sim = Simulator {
            net: Network::new(
                n,
                cluster.clients,
                cluster.net.clone(),
                root.fork(NET_STREAM),
            ),
            servers: n,
            members,
            cluster,
            config,
            now: Time::ZERO,
            seq: 0,
            next_msg: 0,
            queue: BinaryHeap::new(),
            messages: InFlightTable::default(),
            held: Vec::new(),
            slots,
            trace: ChunkedLog::new(),
            window: window::TraceWindow::default(),
            checker: M::Checker::default(),
            violations: Vec::new(),
            counters: Counters::default(),
            last_event_at: None,
            effects: Vec::new(),
            findings: Vec::new(),
        };
        for i in 0..sim.slots.len() {
            sim.dispatch(NodeId::at_slot(i, n), Input::Start { restart: false });
        }
        Ok(sim)
    }

    // ----- advancing time ----------------------------------------------------------------

    fn is_live(&self, due: &Due<M::Timer>) -> bool {
        match due {
            Due::Deliver(id) => self
                .messages
                .get(*id)
                .is_some_and(|m| m.flight == Flight::Flying),
            Due::Timer { node, timer, gen } => self.slots[node.slot(self.servers)]
                .timers
                .get(timer)
                .is_some_and(|a| a.gen == *gen),
        }
    }

    /// Time of the next pending event, if any (skips cancelled entries).
    pub fn next_event_time(&mut self) -> Option<Time> {
        while let Some(Reverse(top)) = self.queue.peek() {
            if self.is_live(&top.due) {
                return Some(top.at);
            }
            let Some(Reverse(stale)) = self.queue.pop() else {
                break;
            };
            // An entry standing for a timer re-armed later: queue its real one now.
            if let Due::Timer { node, timer, gen } = stale.due {
                let slot = node.slot(self.servers);
                if let Some(armed) = self.slots[slot].timers.get_mut(&timer) {
                    if armed.queued == Some((stale.at, gen)) {
                        armed.queued = Some((armed.fires_at, armed.gen));
                        let (at, gen) = (armed.fires_at, armed.gen);
                        self.queue.push(Reverse(Queued {
                            at,
                            seq: gen,
                            due: Due::Timer { node, timer, gen },
                        }));
                    }
                }
            }
        }
        None
    }

    /// Process the next event. Returns `false` if nothing is pending.
    pub fn step(&mut self) -> bool {
        if self.next_event_time().is_none() {
            return false;
        }
        let Some(Reverse(q)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(q.at);
        self.last_event_at = Some(self.now);
        self.process(q.due);
        true
    }

    /// Time of the last queued event (delivery or timer) processed, if any.
    pub fn last_event_at(&self) -> Option<Time> {
        self.last_event_at
    }

    /// Process every event due at or before `until`, then set the clock to `until`.
    pub fn run_until(&mut self, until: Time) {
        while self.next_event_time().is_some_and(|t| t <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Like [`Simulator::run_until`] but stop after `max_events` events (for a frame budget).
    pub fn run_until_capped(&mut self, until: Time, max_events: u64) -> RunOutcome {
        let mut done = 0;
        while self.next_event_time().is_some_and(|t| t <= until) {
            if done >= max_events {
                return RunOutcome::Capped;
            }
            self.step();
            done += 1;
        }
        self.now = self.now.max(until);
        RunOutcome::Reached
    }

    /// Move the clock forward to `t` without processing anything (no-op if `t` is not later).
    /// Callers make sure no event is due before `t`.
    pub fn advance_clock(&mut self, t: Time) {
        self.now = self.now.max(t);
    }

    /// Process `count` events (or fewer if the queue empties). Returns how many ran.
    pub fn run_events(&mut self, count: u64) -> u64 {
        let mut done = 0;
        while done < count && self.step() {
            done += 1;
        }
        done
    }

    fn process(&mut self, due: Due<M::Timer>) {
        match due {
            Due::Deliver(id) => self.arrive(id),
            Due::Timer { node, timer, .. } => {
                let slot = &mut self.slots[node.slot(self.servers)];
                if slot.status == NodeStatus::Paused {
                    if let Some(armed) = slot.timers.get_mut(&timer) {
                        armed.queued = None; // waits with the node, no longer queued
                    }
                    slot.deferred.push(due);
                    return;
                }
                self.slots[node.slot(self.servers)].timers.remove(&timer);
                self.counters.timers_fired += 1;
                self.dispatch(
                    node,
                    Input::Timer {
                        timer,
                        forced: false,
                    },
                );
            }
        }
    }

    /// A message reaches the receiving end of its link.
    fn arrive(&mut self, id: MsgId) {
        let Some(m) = self.messages.get(id) else {
            return;
        };
        let (from, to, doomed) = (m.from, m.to, m.doomed);
        if doomed || self.net.link(from, to) == LinkState::Down {
            self.drop_message(id, DropReason::LinkCutInFlight);
            return;
        }
        if self.net.link(from, to) == LinkState::Held {
            self.wait(id, "link held");
            self.held.push(id);
            return;
        }
        match self.slots[to.slot(self.servers)].status {
            NodeStatus::Crashed => self.drop_message(id, DropReason::ReceiverCrashed),
            NodeStatus::Paused => {
                self.wait(id, "receiver paused");
                self.slots[to.slot(self.servers)]
                    .deferred
                    .push(Due::Deliver(id));
            }
            NodeStatus::Up => {
                let Some(m) = self.messages.remove(id) else {
                    return;
                };
                self.counters.delivered += 1;
                if self.cluster.record_trace {
                    self.record(TraceEvent::Deliver {
                        id,
                        from,
                        to,
                        msg: m.msg.clone(),
                    });
                }
                self.dispatch(to, Input::Message { from, msg: m.msg });
            }
        }
    }

    fn wait(&mut self, id: MsgId, reason: &'static str) {
        let Some(m) = self.messages.get_mut(id) else {
            return;
        };
        m.flight = Flight::Waiting;
        let (from, to) = (m.from, m.to);
        self.counters.waited += 1;
        self.record(TraceEvent::Wait {
            id,
            from,
            to,
            reason,
        });
    }

    fn drop_message(&mut self, id: MsgId, reason: DropReason) {
        let Some(m) = self.messages.remove(id) else {
            return;
        };
        self.counters.count_drop(reason);
        self.record(TraceEvent::Drop {
            id,
            from: m.from,
            to: m.to,
            kind: m.msg.kind(),
            reason,
        });
    }

    fn schedule(&mut self, at: Time, due: Due<M::Timer>) {
        self.seq += 1;
        self.queue.push(Reverse(Queued {
            at,
            seq: self.seq,
            due,
        }));
    }

    fn record(&mut self, event: TraceEvent<M>) {
        if self.cluster.record_trace {
            self.trace.push(TraceEntry {
                at: self.now,
                event,
            });
            self.keep_window();
        }
    }

    /// Hand one input to node `id` (which must be up), apply its effects, then run the checkers.
    fn dispatch(&mut self, id: NodeId, input: Input<M>) {
        self.counters.events += 1;
        let record = self.cluster.record_trace;
        let mut out = std::mem::take(&mut self.effects);
        let slot = &mut self.slots[id.slot(self.servers)];
        let Some(node) = slot.node.as_mut() else {
            self.effects = out;
            return;
        };
        let mut ctx = Ctx {
            now: self.now,
            id,
            servers: &self.members,
            rng: &mut slot.rng,
            out: &mut out,
            notes: record,
        };
        let mut pending_trace: Option<TraceEvent<M>> = None;
        match input {
            Input::Start { restart } => {
                pending_trace = Some(TraceEvent::Start { node: id, restart });
                node.on_start(&mut ctx);
            }
            Input::Message { from, msg } => node.on_message(&mut ctx, from, msg),
            Input::Timer { timer, forced } => {
                if record {
                    pending_trace = Some(TraceEvent::Timer {
                        node: id,
                        timer,
                        forced,
                    });
                }
                node.on_timer(&mut ctx, timer);
            }
            Input::Request { client, request } => {
                if record {
                    pending_trace = Some(TraceEvent::Request {
                        node: id,
                        client,
                        request: request.clone(),
                    });
                }
                node.on_request(&mut ctx, client, request);
            }
        }
        let role = (node.role(), node.term());
        let role_changed = slot.last_role != Some(role);
        if role_changed {
            slot.last_role = Some(role);
        }
        if let Some(ev) = pending_trace {
            self.record(ev);
        }
        if role_changed {
            if let Some(counter) = role.0.counter {
                *self.counters.protocol.entry(counter).or_default() += 1;
            }
            self.record(TraceEvent::Role {
                node: id,
                role: role.0,
                term: role.1,
            });
        }
        for effect in out.drain(..) {
            self.apply_effect(id, effect);
        }
        self.effects = out;
        self.check(id);
    }

    fn check(&mut self, id: NodeId) {
        let Some(node) = self.slots[id.slot(self.servers)].node.as_ref() else {
            return;
        };
        self.checker.observe(self.now, id, node, &mut self.findings);
        for f in std::mem::take(&mut self.findings) {
            let v = Violation {
                at: self.now,
                event: self.counters.events.saturating_sub(1),
                checker: f.checker,
                node: f.node,
                detail: f.detail,
            };
            self.violations.push(v.clone());
            self.record(TraceEvent::Violation(v));
        }
    }

    fn apply_effect(&mut self, id: NodeId, effect: Effect<M::Msg, M::Timer, M::Reply>) {
        match effect {
            Effect::Send { to, msg } => self.send(id, to, msg),
            Effect::SetTimer { timer, after_ms } => {
                // Two numbers, as when the timer's generation and its entry were numbered
                // apart: every later sequence number (the queue's tie-break) stays the same.
                self.seq += 2;
                let gen = self.seq;
                let fires_at = self.now.plus(after_ms);
                let slot = &mut self.slots[id.slot(self.servers)];
                let earlier = slot
                    .timers
                    .get(&timer)
                    .and_then(|a| a.queued)
                    .filter(|(at, _)| *at <= fires_at);
                let queued = earlier.or(Some((fires_at, gen)));
                slot.timers.insert(
                    timer,
                    Armed {
                        gen,
                        set_at: self.now,
                        fires_at,
                        queued,
                    },
                );
                if earlier.is_none() {
                    self.queue.push(Reverse(Queued {
                        at: fires_at,
                        seq: gen,
                        due: Due::Timer {
                            node: id,
                            timer,
                            gen,
                        },
                    }));
                }
            }
            Effect::CancelTimer { timer } => {
                self.slots[id.slot(self.servers)].timers.remove(&timer);
            }
            Effect::Reply { client, reply } => self.record(TraceEvent::Reply {
                node: id,
                client,
                reply,
            }),
            Effect::Note(text) => self.record(TraceEvent::Note { node: id, text }),
            Effect::Count(name) => *self.counters.protocol.entry(name).or_default() += 1,
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: M::Msg) {
        let (fates, copies) = self.net.send(self.now, from, to);
        // The last copy that travels takes the message itself; earlier ones take clones.
        let last_arriving = fates[..copies]
            .iter()
            .rposition(|f| matches!(f, Fate::Arrives(_)));
        let kind = msg.kind();
        let mut msg = Some(msg);
        for (copy, fate) in fates.iter().take(copies).enumerate() {
            let id = MsgId(self.next_msg);
            self.next_msg += 1;
            self.counters.sent += 1;
            if copy > 0 {
                self.counters.duplicated += 1;
            }
            match *fate {
                Fate::Dropped(reason) => {
                    self.counters.count_drop(reason);
                    self.record(TraceEvent::Drop {
                        id,
                        from,
                        to,
                        kind,
                        reason,
                    });
                }
                Fate::Arrives(at) => {
                    let travelling = if Some(copy) == last_arriving {
                        msg.take()
                    } else {
                        msg.clone()
                    };
                    let Some(travelling) = travelling else {
                        break;
                    };
                    if self.cluster.record_trace {
                        self.record(TraceEvent::Send {
                            id,
                            from,
                            to,
                            msg: travelling.clone(),
                            deliver_at: at,
                            duplicate: copy > 0,
                        });
                    }
                    self.messages.insert(
                        id,
                        InFlight {
                            from,
                            to,
                            msg: travelling,
                            sent_at: self.now,
                            deliver_at: at,
                            flight: Flight::Flying,
                            doomed: false,
                        },
                    );
                    self.schedule(at, Due::Deliver(id));
                }
            }
        }
    }
}
