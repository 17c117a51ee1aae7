//! Manual stepping: every event that could happen next, and making one of them happen now.

use super::{ControlError, Due, Simulator};
use crate::kernel::control::Control;
use crate::kernel::net::DropReason;
use crate::kernel::node::{Message, Model};
use crate::kernel::types::{MsgId, NodeId, Time};
use crate::kernel::view::{Flight, NodeStatus};
use serde::Serialize;
use std::fmt;

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

impl<M: Model> Simulator<M> {
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
