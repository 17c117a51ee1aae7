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
use crate::kernel::control::Control;
use crate::kernel::inflight::InFlightTable;
use crate::kernel::net::{DropReason, Fate, LinkState, Network};
use crate::kernel::node::{Actor, ClientId, Ctx, Durable, Effect, Effects, Message, Model};
use crate::kernel::rng::SimRng;
use crate::kernel::trace::{Fnv64, TraceEntry, TraceEvent};
use crate::kernel::types::{MsgId, NodeId, Time};
use crate::kernel::view::{
    Flight, LinkView, MsgView, NodeSnapshot, NodeStatus, NodeView, Role, Snapshot, TimerView,
};
use serde::Serialize;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

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

#[derive(Clone, Debug)]
struct Armed {
    gen: u64,
    set_at: Time,
    fires_at: Time,
}

/// Per-node bookkeeping owned by the simulator.
#[derive(Clone, Debug)]
struct Slot<M: Model> {
    status: NodeStatus,
    /// The live actor (`None` while crashed).
    node: Option<Actor<M>>,
    /// Durable state of a crashed server, and its view for the UI.
    durable: Option<(Durable<M>, NodeView)>,
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

/// A possible next event, for manual stepping and exhaustive exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Choice<T> {
    /// Deliver this in-flight message now.
    Deliver(MsgId),
    /// Drop this in-flight message.
    Drop(MsgId),
    /// Fire this armed timer now.
    Fire {
        /// The node.
        node: NodeId,
        /// The timer.
        timer: T,
    },
}

impl<T: fmt::Display> fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Deliver(id) => write!(f, "deliver {id}"),
            Choice::Drop(id) => write!(f, "drop {id}"),
            Choice::Fire { node, timer } => write!(f, "fire {node} {timer}"),
        }
    }
}

/// A possible next event offered to the user in manual mode.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pick {
    /// When it would happen on its own (a message's arrival, a timer's firing).
    pub due: Time,
    /// Plain words: `deliver m12 n1 → n2 AppendEntries term=2 …`.
    pub label: String,
    /// The action that makes it happen (recorded in the scenario when picked).
    pub control: Control,
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

/// Counters of what happened, for coverage reports ("did the faults really happen?").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Events processed.
    pub events: u64,
    /// Message copies sent (including duplicates).
    pub sent: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Duplicate copies made by the network.
    pub duplicated: u64,
    /// Messages lost at random.
    pub dropped_lost: u64,
    /// Messages dropped because the link was down at send.
    pub dropped_link_down: u64,
    /// Messages dropped because their link was cut in flight.
    pub dropped_cut_in_flight: u64,
    /// Messages dropped because the receiver was crashed.
    pub dropped_receiver_crashed: u64,
    /// Messages dropped by the user.
    pub dropped_by_user: u64,
    /// Messages that waited (held link or paused receiver).
    pub waited: u64,
    /// Timers fired.
    pub timers_fired: u64,
    /// Crashes applied.
    pub crashes: u64,
    /// Restarts applied.
    pub restarts: u64,
    /// Pauses applied.
    pub pauses: u64,
    /// Partitions applied.
    pub partitions: u64,
    /// Links cut (both ways).
    pub link_cuts: u64,
    /// One-way cuts.
    pub one_way_cuts: u64,
    /// Links held.
    pub link_holds: u64,
    /// Heals (single link or all).
    pub heals: u64,
    /// Forced timeouts.
    pub forced_timeouts: u64,
    /// Client requests handled.
    pub requests: u64,
    /// Protocol-specific coverage counters ([`crate::kernel::node::Effect::Count`]), by name.
    pub protocol: BTreeMap<&'static str, u64>,
}

impl Counters {
    /// Every counter with its name, in a fixed order.
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("events", self.events),
            ("sent", self.sent),
            ("delivered", self.delivered),
            ("duplicated", self.duplicated),
            ("dropped_lost", self.dropped_lost),
            ("dropped_link_down", self.dropped_link_down),
            ("dropped_cut_in_flight", self.dropped_cut_in_flight),
            ("dropped_receiver_crashed", self.dropped_receiver_crashed),
            ("dropped_by_user", self.dropped_by_user),
            ("waited", self.waited),
            ("timers_fired", self.timers_fired),
            ("crashes", self.crashes),
            ("restarts", self.restarts),
            ("pauses", self.pauses),
            ("partitions", self.partitions),
            ("link_cuts", self.link_cuts),
            ("one_way_cuts", self.one_way_cuts),
            ("link_holds", self.link_holds),
            ("heals", self.heals),
            ("forced_timeouts", self.forced_timeouts),
            ("requests", self.requests),
        ]
        .into_iter()
        .chain(self.protocol.iter().map(|(k, v)| (*k, *v)))
        .collect()
    }

    /// The protocol coverage counter `name` (0 if it never moved).
    pub fn protocol(&self, name: &str) -> u64 {
        self.protocol.get(name).copied().unwrap_or(0)
    }

    fn count_drop(&mut self, reason: DropReason) {
        match reason {
            DropReason::Lost => self.dropped_lost += 1,
            DropReason::LinkDown => self.dropped_link_down += 1,
            DropReason::LinkCutInFlight => self.dropped_cut_in_flight += 1,
            DropReason::ReceiverCrashed => self.dropped_receiver_crashed += 1,
            DropReason::DroppedByUser => self.dropped_by_user += 1,
        }
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

    // ----- observation -------------------------------------------------------------------

    /// The current virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Number of nodes.
    pub fn cluster_size(&self) -> usize {
        self.servers
    }

    /// The cluster configuration.
    pub fn cluster(&self) -> &ClusterConfig {
        &self.cluster
    }

    /// The protocol configuration.
    pub fn config(&self) -> &M::Config {
        &self.config
    }

    /// The server ids, in order.
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }

    /// The live actor `id` (`None` while it is crashed).
    pub fn node(&self, id: NodeId) -> Option<&Actor<M>> {
        self.slots
            .get(id.slot(self.servers))
            .and_then(|s| s.node.as_ref())
    }

    /// The live server `id` (`None` while it is crashed, or if `id` is a client).
    pub fn server(&self, id: NodeId) -> Option<&M::Server> {
        self.node(id).and_then(Actor::server)
    }

    /// The client `id` (`None` if `id` is a server).
    pub fn client(&self, id: NodeId) -> Option<&M::Client> {
        self.node(id).and_then(Actor::client)
    }

    /// The durable state a crashed server `id` will restart from.
    pub fn crashed_durable(&self, id: NodeId) -> Option<&Durable<M>> {
        self.slots
            .get(id.slot(self.servers))
            .and_then(|s| s.durable.as_ref())
            .map(|(d, _)| d)
    }

    /// Status of node `id`.
    pub fn status(&self, id: NodeId) -> NodeStatus {
        self.slots[id.slot(self.servers)].status
    }

    /// The network.
    pub fn net(&self) -> &Network {
        &self.net
    }

    /// The recorded trace (empty if the cluster config turned recording off).
    pub fn trace(&self) -> &ChunkedLog<TraceEntry<M>> {
        &self.trace
    }

    /// Every violation found so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// What happened so far, counted.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Number of events processed so far.
    pub fn events(&self) -> u64 {
        self.counters.events
    }

    /// The trace's text form, one line per event.
    pub fn trace_text(&self) -> String {
        let mut s = String::new();
        for e in self.trace.iter() {
            s.push_str(&e.to_string());
            s.push('\n');
        }
        s
    }

    /// FNV-1a hash of the trace's text form (the determinism fingerprint).
    pub fn trace_hash(&self) -> u64 {
        use fmt::Write as _;
        let mut h = Fnv64::default();
        for e in self.trace.iter() {
            // Writing into an FNV hasher cannot fail.
            let _ = writeln!(h, "{e}");
        }
        h.finish()
    }

    /// Everything the UI needs to draw the current instant.
    pub fn snapshot(&self) -> Snapshot {
        let nodes = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let view = match (&slot.node, &slot.durable) {
                    (Some(node), _) => node.view(),
                    (None, Some((_, view))) => view.clone(),
                    (None, None) => unreachable!("a crashed node always keeps its durable state"),
                };
                NodeSnapshot {
                    id: NodeId::at_slot(i, self.servers),
                    status: slot.status,
                    view,
                    timers: slot
                        .timers
                        .iter()
                        .map(|(t, a)| TimerView {
                            name: t.to_string(),
                            set_at: a.set_at,
                            fires_at: a.fires_at,
                        })
                        .collect(),
                }
            })
            .collect();
        let in_flight = self
            .messages
            .iter()
            .map(|(id, m)| MsgView {
                id,
                from: m.from,
                to: m.to,
                kind: m.msg.kind(),
                detail: m.msg.to_string(),
                is_reply: m.msg.is_reply(),
                outcome: m.msg.outcome(),
                sent_at: m.sent_at,
                deliver_at: m.deliver_at,
                flight: m.flight,
                doomed: m.doomed,
            })
            .collect();
        let links = self
            .net
            .abnormal_links()
            .map(|(from, to, state)| LinkView { from, to, state })
            .collect();
        Snapshot {
            protocol: "",
            now: self.now,
            events: self.counters.events,
            nodes,
            in_flight,
            links,
            violations: self.violations.clone(),
        }
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
            self.queue.pop();
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
                if self.slots[node.slot(self.servers)].status == NodeStatus::Paused {
                    self.slots[node.slot(self.servers)].deferred.push(due);
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
                self.seq += 1;
                let gen = self.seq;
                let fires_at = self.now.plus(after_ms);
                self.slots[id.slot(self.servers)].timers.insert(
                    timer,
                    Armed {
                        gen,
                        set_at: self.now,
                        fires_at,
                    },
                );
                self.schedule(
                    fires_at,
                    Due::Timer {
                        node: id,
                        timer,
                        gen,
                    },
                );
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
                        kind: msg.kind(),
                        reason,
                    });
                }
                Fate::Arrives(at) => {
                    if self.cluster.record_trace {
                        self.record(TraceEvent::Send {
                            id,
                            from,
                            to,
                            msg: msg.clone(),
                            deliver_at: at,
                            duplicate: copy > 0,
                        });
                    }
                    self.messages.insert(
                        id,
                        InFlight {
                            from,
                            to,
                            msg: msg.clone(),
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

    // ----- user actions ------------------------------------------------------------------

    /// Apply a user action now. Invalid actions (unknown node, restarting a running node…) are
    /// refused with a message and change nothing.
    pub fn apply(&mut self, control: Control) -> Result<(), ControlError> {
        control.validate(self.servers, self.cluster.clients, "control")?;
        let refuse = |msg: String| Err(ControlError(msg));
        // Validate state-dependent preconditions before recording anything.
        match &control {
            Control::Crash { node } if self.status(*node) == NodeStatus::Crashed => {
                return refuse(format!("{node} is already crashed"));
            }
            Control::Restart { node } if self.status(*node) != NodeStatus::Crashed => {
                return refuse(format!("{node} is not crashed"));
            }
            Control::Pause { node } if self.status(*node) != NodeStatus::Up => {
                return refuse(format!("{node} is not running"));
            }
            Control::Resume { node } if self.status(*node) != NodeStatus::Paused => {
                return refuse(format!("{node} is not paused"));
            }
            Control::Timeout { node } => {
                if self.status(*node) != NodeStatus::Up {
                    return refuse(format!("{node} is not running"));
                }
                if self.node(*node).and_then(|n| n.timeout_timer()).is_none() {
                    return refuse(format!("{node} has no timeout to force right now"));
                }
            }
            Control::DropMessage { id } if !self.messages.contains(*id) => {
                return refuse(format!("message {id} is not in flight"));
            }
            Control::Deliver { id }
                if !self
                    .messages
                    .get(*id)
                    .is_some_and(|m| m.flight == Flight::Flying) =>
            {
                return refuse(format!("message {id} is not on its way"));
            }
            Control::Fire { node, timer } => {
                if self.status(*node) != NodeStatus::Up {
                    return refuse(format!("{node} is not running"));
                }
                if self.armed_timer(*node, timer).is_none() {
                    return refuse(format!("{node} has no armed {timer} timer"));
                }
            }
            _ => {}
        }
        // A client command is parsed before anything is recorded: a typo changes nothing.
        let submitted = match &control {
            Control::Submit { client, node, op } => {
                let request = M::parse_request(*node, op).map_err(ControlError)?;
                Some((*client, request))
            }
            _ => None,
        };
        self.record(TraceEvent::Control(control.clone()));
        if let Some((client, request)) = submitted {
            self.counters.requests += 1;
            let k = client.client_index().unwrap_or_default();
            self.dispatch(
                client,
                Input::Request {
                    client: ClientId::try_from(k).unwrap_or_default(),
                    request,
                },
            );
            return Ok(());
        }
        match control {
            Control::Crash { node } => self.crash(node),
            Control::Restart { node } => {
                let slot = &mut self.slots[node.slot(self.servers)];
                let (durable, _) = slot
                    .durable
                    .take()
                    .ok_or_else(|| ControlError(format!("{node} has no durable state")))?;
                let fresh = Actor::new(node, &self.members, &self.config, Some(durable));
                let slot = &mut self.slots[node.slot(self.servers)];
                slot.last_role = None;
                slot.node = Some(fresh);
                slot.status = NodeStatus::Up;
                self.counters.restarts += 1;
                self.dispatch(node, Input::Start { restart: true });
            }
            Control::Pause { node } => {
                self.slots[node.slot(self.servers)].status = NodeStatus::Paused;
                self.counters.pauses += 1;
            }
            Control::Resume { node } => {
                let slot = &mut self.slots[node.slot(self.servers)];
                slot.status = NodeStatus::Up;
                // Everything that waited is handled now, in the order it came due (not queued
                // behind later traffic that happens to be due at this same instant).
                let deferred = std::mem::take(&mut slot.deferred);
                for due in deferred {
                    if let Due::Deliver(id) = due {
                        if let Some(m) = self.messages.get_mut(id) {
                            m.flight = Flight::Flying;
                            m.deliver_at = self.now;
                        }
                    }
                    // A timer the node re-armed while handling an earlier waiting input is stale.
                    if self.is_live(&due) {
                        self.process(due);
                    }
                }
            }
            Control::Timeout { node } => {
                if let Some(timer) = self.node(node).and_then(|n| n.timeout_timer()) {
                    self.slots[node.slot(self.servers)].timers.remove(&timer);
                    self.counters.forced_timeouts += 1;
                    self.dispatch(
                        node,
                        Input::Timer {
                            timer,
                            forced: true,
                        },
                    );
                }
            }
            Control::Partition { groups } => {
                self.net.partition(&groups);
                self.counters.partitions += 1;
                self.links_changed();
            }
            Control::Cut { a, b } => {
                self.net.set_link(a, b, LinkState::Down);
                self.net.set_link(b, a, LinkState::Down);
                self.counters.link_cuts += 1;
                self.links_changed();
            }
            Control::CutOneWay { from, to } => {
                self.net.set_link(from, to, LinkState::Down);
                self.counters.one_way_cuts += 1;
                self.links_changed();
            }
            Control::Heal { a, b } => {
                self.net.set_link(a, b, LinkState::Up);
                self.net.set_link(b, a, LinkState::Up);
                self.counters.heals += 1;
                self.links_changed();
            }
            Control::Hold { from, to } => {
                self.net.set_link(from, to, LinkState::Held);
                self.counters.link_holds += 1;
                self.links_changed();
            }
            Control::HealAll => {
                self.net.heal_all();
                self.counters.heals += 1;
                self.links_changed();
            }
            Control::DropMessage { id } => self.drop_message(id, DropReason::DroppedByUser),
            Control::SetNet { net } => self.net.set_config(net),
            Control::Submit { .. } => {}
            Control::Deliver { id } => self.choose(Choice::Deliver(id))?,
            Control::Fire { node, timer } => {
                if let Some(timer) = self.armed_timer(node, &timer) {
                    self.choose(Choice::Fire { node, timer })?;
                }
            }
        }
        Ok(())
    }

    /// The armed timer of `node` whose name (its text form) is `name`.
    fn armed_timer(&self, node: NodeId, name: &str) -> Option<M::Timer> {
        self.slots
            .get(node.slot(self.servers))?
            .timers
            .keys()
            .find(|t| t.to_string() == name)
            .copied()
    }

    fn crash(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.slot(self.servers)];
        // Only servers crash (controls naming a client are refused before this).
        let Some(durable) = slot.node.as_ref().and_then(Actor::durable) else {
            return;
        };
        slot.node = None;
        // What a restart would recover: shown in the UI while the node is down.
        let recovered = Actor::<M>::new(id, &self.members, &self.config, Some(durable.clone()));
        let slot = &mut self.slots[id.slot(self.servers)];
        slot.durable = Some((durable, recovered.view()));
        slot.status = NodeStatus::Crashed;
        slot.timers.clear();
        let deferred = std::mem::take(&mut slot.deferred);
        self.counters.crashes += 1;
        for due in deferred {
            if let Due::Deliver(msg) = due {
                self.drop_message(msg, DropReason::ReceiverCrashed);
            }
        }
    }

    /// After link states changed: doom in-flight messages on links now down, drop messages
    /// waiting on them, release messages waiting on links now up.
    fn links_changed(&mut self) {
        for m in self.messages.values_mut() {
            if m.flight == Flight::Flying && self.net.link(m.from, m.to) == LinkState::Down {
                m.doomed = true;
            }
        }
        let held = std::mem::take(&mut self.held);
        for id in held {
            let Some(m) = self.messages.get(id) else {
                continue;
            };
            match self.net.link(m.from, m.to) {
                LinkState::Held => self.held.push(id),
                LinkState::Down => self.drop_message(id, DropReason::LinkCutInFlight),
                LinkState::Up => {
                    // Released in arrival order, at once: per-link FIFO order is kept even if
                    // later messages on this link are due at this very instant.
                    if let Some(m) = self.messages.get_mut(id) {
                        m.flight = Flight::Flying;
                        m.deliver_at = self.now;
                    }
                    self.arrive(id);
                }
            }
        }
    }

    /// A client request reaches node `node` now.
    pub fn request(
        &mut self,
        node: NodeId,
        client: ClientId,
        request: M::Request,
    ) -> Result<(), ControlError> {
        if node.is_client() || node.index() >= self.servers {
            return Err(ControlError(format!("no node {node}")));
        }
        if self.status(node) != NodeStatus::Up {
            return Err(ControlError(format!("{node} is not running")));
        }
        self.counters.requests += 1;
        self.dispatch(node, Input::Request { client, request });
        Ok(())
    }

    // ----- manual stepping ---------------------------------------------------------------

    /// Every message on the wire or waiting, in id order: (id, from, to, message). For
    /// exhaustive exploration, which fingerprints the in-flight multiset.
    pub fn in_flight(&self) -> impl Iterator<Item = (MsgId, NodeId, NodeId, &M::Msg)> {
        self.messages
            .iter()
            .map(|(id, m)| (id, m.from, m.to, &m.msg))
    }

    /// Every event that could happen next, in a stable order: deliver or drop each flying
    /// message, fire each armed timer of a running node.
    pub fn enabled(&self) -> Vec<Choice<M::Timer>> {
        let mut out = Vec::new();
        for (id, m) in self.messages.iter() {
            if m.flight == Flight::Flying {
                out.push(Choice::Deliver(id));
                out.push(Choice::Drop(id));
            }
        }
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.status == NodeStatus::Up {
                for timer in slot.timers.keys() {
                    out.push(Choice::Fire {
                        node: NodeId::at_slot(i, self.servers),
                        timer: *timer,
                    });
                }
            }
        }
        out
    }

    /// Every event that could happen next as a user action ([`Control::Deliver`],
    /// [`Control::DropMessage`], [`Control::Fire`]) with a description, soonest due first.
    pub fn picks(&self) -> Vec<Pick> {
        let mut out = Vec::new();
        for (id, m) in self.messages.iter() {
            if m.flight == Flight::Flying {
                let what = format!("{} → {} {} {}", m.from, m.to, m.msg.kind(), m.msg);
                out.push(Pick {
                    due: m.deliver_at,
                    label: format!("deliver {id} {what}"),
                    control: Control::Deliver { id },
                });
                out.push(Pick {
                    due: m.deliver_at,
                    label: format!("drop {id} {what}"),
                    control: Control::DropMessage { id },
                });
            }
        }
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.status == NodeStatus::Up {
                let node = NodeId::from_index(i);
                for (timer, armed) in &slot.timers {
                    out.push(Pick {
                        due: armed.fires_at,
                        label: format!("fire {node} {timer} timer"),
                        control: Control::Fire {
                            node,
                            timer: timer.to_string(),
                        },
                    });
                }
            }
        }
        // Stable: equal due times keep message-id / node order, deliver before drop.
        out.sort_by_key(|p| p.due);
        out
    }

    /// Make `choice` happen now. Time advances to the event's scheduled time if that is later
    /// (it never goes back). Returns an error if the choice is not currently enabled.
    pub fn choose(&mut self, choice: Choice<M::Timer>) -> Result<(), ControlError> {
        match choice {
            Choice::Deliver(id) => {
                let Some(m) = self.messages.get(id).filter(|m| m.flight == Flight::Flying) else {
                    return Err(ControlError(format!("{id} is not in flight")));
                };
                self.now = self.now.max(m.deliver_at);
                self.last_event_at = Some(self.now);
                self.arrive(id);
            }
            Choice::Drop(id) => {
                if !self.messages.contains(id) {
                    return Err(ControlError(format!("{id} is not in flight")));
                }
                self.drop_message(id, DropReason::DroppedByUser);
            }
            Choice::Fire { node, timer } => {
                let slot = &self.slots[node.slot(self.servers)];
                let Some(armed) = slot
                    .timers
                    .get(&timer)
                    .filter(|_| slot.status == NodeStatus::Up)
                else {
                    return Err(ControlError(format!("{node} has no armed {timer} timer")));
                };
                self.now = self.now.max(armed.fires_at);
                self.last_event_at = Some(self.now);
                let gen = armed.gen;
                self.process(Due::Timer { node, timer, gen });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::trace::TraceEvent;
    use crate::protocols::raft::{Raft, RaftConfig};

    fn sim(seed: u64) -> Simulator<Raft> {
        Simulator::new(ClusterConfig::default(), RaftConfig::default(), seed).unwrap()
    }

    /// Message ids delivered on `from → to`, in delivery order, after trace position `start`.
    fn delivered(s: &Simulator<Raft>, start: usize, from: NodeId, to: NodeId) -> Vec<MsgId> {
        s.trace()
            .iter_from(start)
            .filter_map(|e| match &e.event {
                TraceEvent::Deliver {
                    id, from: f, to: t, ..
                } if (*f, *t) == (from, to) => Some(*id),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_held_link_releases_in_arrival_order_before_later_traffic() {
        let mut s = sim(3);
        s.run_until(Time(1500)); // a leader exists and heartbeats flow everywhere
        let (a, b) = (NodeId(0), NodeId(1));
        let leader = (0..5)
            .map(NodeId::from_index)
            .find(|n| s.node(*n).is_some_and(|x| x.role().leads))
            .unwrap();
        let other = if leader == a { b } else { a };
        s.apply(Control::Hold {
            from: leader,
            to: other,
        })
        .unwrap();
        s.run_until(Time(2500));
        assert!(
            s.counters().waited >= 3,
            "heartbeats waited on the held link"
        );
        let start = s.trace().len();
        s.apply(Control::HealAll).unwrap();
        s.run_until(Time(3000));
        let ids = delivered(&s, start, leader, other);
        assert!(ids.len() >= 4);
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "FIFO per link: {ids:?}"
        );
    }

    #[test]
    fn resume_handles_what_waited_in_order_and_skips_stale_timers() {
        let mut s = sim(4);
        s.run_until(Time(1500));
        s.apply(Control::Pause { node: NodeId(2) }).unwrap();
        s.run_until(Time(2500));
        let start = s.trace().len();
        s.apply(Control::Resume { node: NodeId(2) }).unwrap();
        // Everything that waited was handled as part of the resume.
        assert!(s.slots[2].deferred.is_empty());
        let ids: Vec<MsgId> = s
            .trace()
            .iter_from(start)
            .filter_map(|e| match &e.event {
                TraceEvent::Deliver { id, to, .. } if *to == NodeId(2) => Some(*id),
                _ => None,
            })
            .collect();
        assert!(!ids.is_empty());
        s.run_until(Time(6000));
        assert!(s.violations().is_empty(), "{:?}", s.violations());
    }

    #[test]
    fn crash_drops_what_waits_and_restart_traces_the_role() {
        let mut s = sim(5);
        s.run_until(Time(1500));
        s.apply(Control::Pause { node: NodeId(1) }).unwrap();
        s.run_until(Time(1800));
        s.apply(Control::Crash { node: NodeId(1) }).unwrap();
        assert!(s.counters().dropped_receiver_crashed > 0);
        assert!(s.apply(Control::Crash { node: NodeId(1) }).is_err());
        let start = s.trace().len();
        s.apply(Control::Restart { node: NodeId(1) }).unwrap();
        assert!(s
            .trace()
            .iter_from(start)
            .any(|e| matches!(e.event, TraceEvent::Role { node, .. } if node == NodeId(1))));
    }
}
