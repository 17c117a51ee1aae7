//! The trace: every send, delivery, drop, timer, role change, client operation, fault and
//! violation as a typed event with a stable one-line text form.
//!
//! The text form is the contract shared by the UI's event log, the golden tests, the determinism
//! tests (which hash it) and the CLI. Changing it is a deliberate act: golden files change too.
//!
//! ```text
//! t=152 n1 → n2 m7 RequestVote term=2 last=0@0 (arrives t=181)
//! t=181 n2 ← n1 m7 RequestVote term=2 last=0@0
//! t=190 ✗ m9 n3 → n1 Heartbeat dropped: link cut in flight
//! ```

use crate::kernel::check::Violation;
use crate::kernel::control::Control;
use crate::kernel::net::DropReason;
use crate::kernel::node::{ClientId, Message, Model};
use crate::kernel::types::{MsgId, NodeId, Time};
use crate::kernel::view::Role;
use std::fmt;

/// One thing that happened.
#[derive(Clone, Debug)]
pub enum TraceEvent<M: Model> {
    /// A node started (fresh) or restarted from durable state.
    Start {
        /// The node.
        node: NodeId,
        /// Restarted after a crash (rather than started fresh).
        restart: bool,
    },
    /// A message left its sender.
    Send {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// The message.
        msg: M::Msg,
        /// When it will arrive.
        deliver_at: Time,
        /// This copy is a duplicate made by the network.
        duplicate: bool,
    },
    /// A message was handed to its receiver.
    Deliver {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// The message.
        msg: M::Msg,
    },
    /// A message arrived at a held link or a paused node and waits.
    Wait {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Why it waits (`"link held"`, `"receiver paused"`).
        reason: &'static str,
    },
    /// A message was dropped.
    Drop {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Message type.
        kind: &'static str,
        /// Why.
        reason: DropReason,
    },
    /// A timer fired.
    Timer {
        /// The node.
        node: NodeId,
        /// Which timer.
        timer: M::Timer,
        /// Fired by the user ("force timeout") rather than by time.
        forced: bool,
    },
    /// A node's role or term changed.
    Role {
        /// The node.
        node: NodeId,
        /// New role.
        role: Role,
        /// New term.
        term: Option<u64>,
    },
    /// A client request reached a node.
    Request {
        /// The node.
        node: NodeId,
        /// The client.
        client: ClientId,
        /// The request.
        request: M::Request,
    },
    /// A node answered a client.
    Reply {
        /// The node.
        node: NodeId,
        /// The client.
        client: ClientId,
        /// The answer.
        reply: M::Reply,
    },
    /// A node's remark.
    Note {
        /// The node.
        node: NodeId,
        /// The remark.
        text: String,
    },
    /// A user action (fault or repair) was applied.
    Control(Control),
    /// A checker found a violated property.
    Violation(Violation),
}

/// A trace event with its time.
#[derive(Clone, Debug)]
pub struct TraceEntry<M: Model> {
    /// When it happened.
    pub at: Time,
    /// What happened.
    pub event: TraceEvent<M>,
}

/// Broad category of an event, for filtering in the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Node start or restart.
    Start,
    /// Message sent.
    Send,
    /// Message delivered.
    Deliver,
    /// Message waiting.
    Wait,
    /// Message dropped.
    Drop,
    /// Timer fired.
    Timer,
    /// Role or term change.
    Role,
    /// Client request or reply.
    Client,
    /// Node remark.
    Note,
    /// User fault or repair.
    Fault,
    /// Invariant violation.
    Violation,
}

/// A trace entry without the protocol's own types: who, when, which message and how it ended,
/// typed and protocol-neutral (for diagrams that would otherwise parse the text form).
#[derive(Clone, Debug, PartialEq)]
pub enum TraceItem {
    /// A node started (fresh) or restarted from durable state.
    Start {
        /// The node.
        node: NodeId,
        /// Restarted after a crash.
        restart: bool,
    },
    /// A message left its sender.
    Send {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Message kind ([`Message::kind`]).
        kind: &'static str,
        /// When it will arrive.
        deliver_at: Time,
        /// A copy made by the network.
        duplicate: bool,
        /// It answers an earlier request ([`Message::is_reply`]).
        reply: bool,
        /// Granted / refused, for replies that say so ([`Message::outcome`]).
        outcome: Option<bool>,
    },
    /// A message was handed to its receiver.
    Deliver {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
    },
    /// A message arrived at a held link or a paused node and waits.
    Wait {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
    },
    /// A message was dropped.
    Drop {
        /// Message id.
        id: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Message kind.
        kind: &'static str,
        /// Why.
        reason: DropReason,
    },
    /// A timer fired.
    Timer {
        /// The node.
        node: NodeId,
        /// Forced by the user.
        forced: bool,
    },
    /// A node's role or term changed.
    Role {
        /// The node.
        node: NodeId,
        /// New role.
        role: Role,
        /// New term.
        term: Option<u64>,
    },
    /// A request reached a node (at a client: the client invokes an operation).
    Request {
        /// The node.
        node: NodeId,
    },
    /// A node answered (at a client: the operation returns to the user).
    Reply {
        /// The node.
        node: NodeId,
    },
    /// A node's remark.
    Note {
        /// The node.
        node: NodeId,
    },
    /// A user action.
    Control(Control),
    /// A violated property.
    Violation {
        /// The property.
        checker: &'static str,
        /// The node whose state exposed it.
        node: Option<NodeId>,
    },
}

impl<M: Model> TraceEvent<M> {
    /// The event's category.
    pub fn category(&self) -> Category {
        match self {
            TraceEvent::Start { .. } => Category::Start,
            TraceEvent::Send { .. } => Category::Send,
            TraceEvent::Deliver { .. } => Category::Deliver,
            TraceEvent::Wait { .. } => Category::Wait,
            TraceEvent::Drop { .. } => Category::Drop,
            TraceEvent::Timer { .. } => Category::Timer,
            TraceEvent::Role { .. } => Category::Role,
            TraceEvent::Request { .. } | TraceEvent::Reply { .. } => Category::Client,
            TraceEvent::Note { .. } => Category::Note,
            TraceEvent::Control(_) => Category::Fault,
            TraceEvent::Violation(_) => Category::Violation,
        }
    }

    /// The node this event is mainly about (the acting or receiving node), if any.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            TraceEvent::Start { node, .. }
            | TraceEvent::Timer { node, .. }
            | TraceEvent::Role { node, .. }
            | TraceEvent::Request { node, .. }
            | TraceEvent::Reply { node, .. }
            | TraceEvent::Note { node, .. } => Some(*node),
            TraceEvent::Send { from, .. } => Some(*from),
            TraceEvent::Deliver { to, .. }
            | TraceEvent::Wait { to, .. }
            | TraceEvent::Drop { to, .. } => Some(*to),
            TraceEvent::Control(_) => None,
            TraceEvent::Violation(v) => v.node,
        }
    }

    /// The directed link `(from, to)` of a message event.
    pub fn link(&self) -> Option<(NodeId, NodeId)> {
        match self {
            TraceEvent::Send { from, to, .. }
            | TraceEvent::Deliver { from, to, .. }
            | TraceEvent::Wait { from, to, .. }
            | TraceEvent::Drop { from, to, .. } => Some((*from, *to)),
            _ => None,
        }
    }

    /// The event without the protocol's types ([`TraceItem`]).
    pub fn item(&self) -> TraceItem {
        match self {
            TraceEvent::Start { node, restart } => TraceItem::Start {
                node: *node,
                restart: *restart,
            },
            TraceEvent::Send {
                id,
                from,
                to,
                msg,
                deliver_at,
                duplicate,
            } => TraceItem::Send {
                id: *id,
                from: *from,
                to: *to,
                kind: msg.kind(),
                deliver_at: *deliver_at,
                duplicate: *duplicate,
                reply: msg.is_reply(),
                outcome: msg.outcome(),
            },
            TraceEvent::Deliver { id, from, to, .. } => TraceItem::Deliver {
                id: *id,
                from: *from,
                to: *to,
            },
            TraceEvent::Wait { id, from, to, .. } => TraceItem::Wait {
                id: *id,
                from: *from,
                to: *to,
            },
            TraceEvent::Drop {
                id,
                from,
                to,
                kind,
                reason,
            } => TraceItem::Drop {
                id: *id,
                from: *from,
                to: *to,
                kind,
                reason: *reason,
            },
            TraceEvent::Timer { node, forced, .. } => TraceItem::Timer {
                node: *node,
                forced: *forced,
            },
            TraceEvent::Role { node, role, term } => TraceItem::Role {
                node: *node,
                role: *role,
                term: *term,
            },
            TraceEvent::Request { node, .. } => TraceItem::Request { node: *node },
            TraceEvent::Reply { node, .. } => TraceItem::Reply { node: *node },
            TraceEvent::Note { node, .. } => TraceItem::Note { node: *node },
            TraceEvent::Control(c) => TraceItem::Control(c.clone()),
            TraceEvent::Violation(v) => TraceItem::Violation {
                checker: v.checker,
                node: v.node,
            },
        }
    }

    /// The message this event is about, if any.
    pub fn message(&self) -> Option<MsgId> {
        match self {
            TraceEvent::Send { id, .. }
            | TraceEvent::Deliver { id, .. }
            | TraceEvent::Wait { id, .. }
            | TraceEvent::Drop { id, .. } => Some(*id),
            _ => None,
        }
    }
}

impl<M: Model> fmt::Display for TraceEntry<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={} ", self.at)?;
        match &self.event {
            TraceEvent::Start { node, restart } => {
                let what = if *restart {
                    "restarted from durable state"
                } else {
                    "started"
                };
                write!(f, "{node} {what}")
            }
            TraceEvent::Send {
                id,
                from,
                to,
                msg,
                deliver_at,
                duplicate,
            } => {
                write!(
                    f,
                    "{from} → {to} {id} {} {msg} (arrives t={deliver_at}",
                    msg.kind()
                )?;
                if *duplicate {
                    write!(f, ", duplicate")?;
                }
                write!(f, ")")
            }
            TraceEvent::Deliver { id, from, to, msg } => {
                write!(f, "{to} ← {from} {id} {} {msg}", msg.kind())
            }
            TraceEvent::Wait {
                id,
                from,
                to,
                reason,
            } => write!(f, "{to} ⏸ {from} {id} waits: {reason}"),
            TraceEvent::Drop {
                id,
                from,
                to,
                kind,
                reason,
            } => write!(
                f,
                "✗ {id} {from} → {to} {kind} dropped: {}",
                reason.describe()
            ),
            TraceEvent::Timer {
                node,
                timer,
                forced,
            } => {
                if *forced {
                    write!(f, "{node} timer {timer} forced by user")
                } else {
                    write!(f, "{node} timer {timer} fired")
                }
            }
            TraceEvent::Role { node, role, term } => {
                write!(f, "{node} is {}", role.name())?;
                if let Some(t) = term {
                    write!(f, " term={t}")?;
                }
                Ok(())
            }
            TraceEvent::Request {
                node,
                client,
                request,
            } if node.is_client() => write!(f, "{node} invokes {request}"),
            TraceEvent::Request {
                node,
                client,
                request,
            } => write!(f, "{node} ← c{client} request {request}"),
            TraceEvent::Reply {
                node,
                client,
                reply,
            } if node.is_client() => write!(f, "{node} returns {reply}"),
            TraceEvent::Reply {
                node,
                client,
                reply,
            } => write!(f, "{node} → c{client} reply {reply}"),
            TraceEvent::Note { node, text } => write!(f, "{node} {text}"),
            TraceEvent::Control(c) => write!(f, "user: {c}"),
            TraceEvent::Violation(v) => write!(f, "VIOLATION {v}"),
        }
    }
}

/// 64-bit FNV-1a: a tiny, stable hash for trace fingerprints (identical on every platform and
/// every Rust version, unlike `std`'s `DefaultHasher`).
#[derive(Clone, Copy, Debug)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    /// Mix `bytes` in.
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// FNV-1a as a [`std::hash::Hasher`], for hashing a value's `Hash` form (whose bytes, for
/// `usize` and for the length prefixes of collections, differ between 32- and 64-bit
/// targets: compare such hashes within one run, never across platforms).
impl std::hash::Hasher for Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        Fnv64::write(self, bytes);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl fmt::Write for Fnv64 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Fnv64;

    #[test]
    fn fnv_known_values() {
        // Reference values of FNV-1a 64.
        assert_eq!(Fnv64::default().finish(), 0xcbf29ce484222325);
        let mut h = Fnv64::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
    }
}
