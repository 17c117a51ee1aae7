//! User actions: faults and repairs applied at the current instant, validated first.

use super::{Choice, ControlError, Due, Input, Simulator};
use crate::kernel::control::Control;
use crate::kernel::net::{DropReason, LinkState};
use crate::kernel::node::{Actor, ClientId, Model};
use crate::kernel::trace::TraceEvent;
use crate::kernel::types::NodeId;
use crate::kernel::view::{Flight, NodeStatus};
use std::cell::OnceCell;

impl<M: Model> Simulator<M> {
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
        slot.durable = Some((durable, OnceCell::new()));
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
}
