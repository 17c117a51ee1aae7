//! Looking at a simulation without changing it: time, nodes, the trace, the snapshot the UI
//! draws.

use super::{Counters, Simulator};
use crate::kernel::check::{Checker, Violation};
use crate::kernel::chunked::ChunkedLog;
use crate::kernel::config::ClusterConfig;
use crate::kernel::net::Network;
use crate::kernel::node::{Actor, Durable, Message, Model};
use crate::kernel::trace::TraceEntry;
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{LinkView, MsgView, NodeSnapshot, NodeStatus, Snapshot, TimerView};

impl<M: Model> Simulator<M> {
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

    /// The trace's text form, one line per kept event.
    pub fn trace_text(&self) -> String {
        let mut s = String::new();
        for e in self.trace.iter() {
            s.push_str(&e.to_string());
            s.push('\n');
        }
        s
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
                    // What a restart would recover: shown while the node is down.
                    (None, Some((durable, view))) => view
                        .get_or_init(|| {
                            let id = NodeId::at_slot(i, self.servers);
                            Actor::<M>::new(id, &self.members, &self.config, Some(durable.clone()))
                                .view()
                        })
                        .clone(),
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
            undecided: self.checker.undecided(),
        }
    }
}
