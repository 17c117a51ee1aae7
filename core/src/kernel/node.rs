//! The contract between the simulator and a protocol: the sans-I/O [`Node`] trait.
//!
//! A node is a synchronous state machine. The simulator hands it the current virtual time and one
//! input — start/restart, a message, a named timer, a client request — through a [`Ctx`], and the
//! node answers only by pushing [`Effect`]s (send, set/cancel timer, reply, note). A node never
//! reads a clock, never touches the network and never draws randomness except from the per-node
//! stream in its context. That is what makes every run reproducible from one seed, and what lets
//! unit tests assert the exact effect list a handler produced.

use crate::kernel::check::Checker;
use crate::kernel::config::ConfigError;
use crate::kernel::rng::SimRng;
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{NodeView, Role};
use std::fmt::{Debug, Display};

/// A protocol message as the simulator and the UI need to see it.
pub trait Message: Clone + Debug + Display {
    /// Short name of the message type, e.g. `"RequestVote"` (used as the on-screen label).
    fn kind(&self) -> &'static str;
    /// Whether this message answers an earlier request (drawn differently from requests).
    fn is_reply(&self) -> bool {
        false
    }
    /// For replies that grant or refuse something: `Some(true)` granted/success, `Some(false)`
    /// refused. `None` for everything else.
    fn outcome(&self) -> Option<bool> {
        None
    }
}

/// Identity of a client of the simulated system (the person at the page, a CLI script, a test).
pub type ClientId = u32;

/// What a node asks the world to do. Effects are plain data so handlers are easy to test.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect<M, T, R> {
    /// Send `msg` to node `to` (the network decides whether, when and how often it arrives).
    Send {
        /// Destination node.
        to: NodeId,
        /// The message.
        msg: M,
    },
    /// Arm the named timer to fire `after_ms` from now, replacing any earlier setting of it.
    SetTimer {
        /// Which timer.
        timer: T,
        /// Delay in virtual milliseconds.
        after_ms: u64,
    },
    /// Disarm the named timer (no effect if it is not armed).
    CancelTimer {
        /// Which timer.
        timer: T,
    },
    /// Answer a client request.
    Reply {
        /// The client that asked.
        client: ClientId,
        /// The answer.
        reply: R,
    },
    /// A human-readable remark for the trace ("granted vote to n3").
    Note(String),
    /// Bump the protocol's named coverage counter (e.g. `"snapshots_installed"`), reported with
    /// the simulator's [`crate::kernel::sim::Counters`] so chaos runs can prove what was exercised.
    Count(&'static str),
}

/// The world as a node sees it while handling one input.
pub struct Ctx<'a, N: Node> {
    /// The current virtual time.
    pub now: Time,
    /// This node's id.
    pub id: NodeId,
    /// Number of servers in the cluster (ids `0..cluster_size`). Simulated clients (ids from
    /// [`crate::kernel::types::CLIENT_BASE`]) are not counted.
    pub cluster_size: usize,
    /// This node's own random stream (forked from the simulation seed).
    pub rng: &'a mut SimRng,
    /// Where effects go, in order.
    pub out: &'a mut Vec<Effect<N::Msg, N::Timer, N::Reply>>,
}

impl<N: Node> Ctx<'_, N> {
    /// Send `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: N::Msg) {
        self.out.push(Effect::Send { to, msg });
    }

    /// Send a copy of `msg` to every other node, in id order.
    pub fn broadcast(&mut self, msg: &N::Msg) {
        for peer in self.peers() {
            self.out.push(Effect::Send {
                to: peer,
                msg: msg.clone(),
            });
        }
    }

    /// Every other server's id, in id order (for a client: every server).
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + 'static {
        let me = self.id;
        (0..self.cluster_size)
            .map(NodeId::from_index)
            .filter(move |p| *p != me)
    }

    /// Arm `timer` to fire after `after_ms` milliseconds (replaces an earlier setting).
    pub fn set_timer(&mut self, timer: N::Timer, after_ms: u64) {
        self.out.push(Effect::SetTimer { timer, after_ms });
    }

    /// Disarm `timer`.
    pub fn cancel_timer(&mut self, timer: N::Timer) {
        self.out.push(Effect::CancelTimer { timer });
    }

    /// Answer client `client`.
    pub fn reply(&mut self, client: ClientId, reply: N::Reply) {
        self.out.push(Effect::Reply { client, reply });
    }

    /// Leave a human-readable remark in the trace.
    pub fn note(&mut self, text: impl Into<String>) {
        self.out.push(Effect::Note(text.into()));
    }

    /// Bump the protocol coverage counter `name`.
    pub fn count(&mut self, name: &'static str) {
        self.out.push(Effect::Count(name));
    }

    /// Majority size for this cluster (`n / 2 + 1`).
    pub fn majority(&self) -> usize {
        self.cluster_size / 2 + 1
    }
}

/// A protocol participant: a synchronous, deterministic state machine.
///
/// Durable state is explicit: [`Node::durable`] returns what survives a crash, and
/// [`Node::new`] rebuilds a node from it on restart. Everything else is volatile and is lost.
pub trait Node: Clone + Debug + 'static {
    /// Messages exchanged between nodes.
    type Msg: Message;
    /// Names of this protocol's timers.
    type Timer: Copy + Ord + Debug + Display;
    /// Client requests this protocol accepts.
    type Request: Clone + Debug + Display;
    /// Answers to client requests.
    type Reply: Clone + Debug + Display;
    /// What survives a crash.
    type Durable: Clone + Debug;
    /// Protocol configuration (timeouts, feature toggles…), shared by all nodes.
    type Config: Clone + Debug;
    /// The protocol's invariant checkers, bundled.
    type Checker: Checker<Self>;

    /// Short protocol name used in scenario files and the CLI (`"raft"`).
    const PROTOCOL: &'static str;

    /// Check a configuration before any node is built; errors name the field under `path`.
    fn validate_config(config: &Self::Config, path: &str) -> Result<(), ConfigError> {
        let _ = (config, path);
        Ok(())
    }

    /// Parse a client command typed by a user (`Control::Submit`), to be sent first to server
    /// `node`. Errors say what is wrong in plain words.
    fn parse_request(node: NodeId, text: &str) -> Result<Self::Request, String> {
        let _ = (node, text);
        Err("this protocol takes no client commands".to_string())
    }

    /// Build node `id` of a `cluster_size`-node cluster, from its durable state after a restart
    /// (`Some`) or fresh (`None`). No effects yet: [`Node::on_start`] follows immediately.
    fn new(
        id: NodeId,
        cluster_size: usize,
        config: &Self::Config,
        durable: Option<Self::Durable>,
    ) -> Self;

    /// The node (re)starts: arm initial timers, announce itself…
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>);

    /// A message from `from` arrived.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Self::Msg);

    /// The armed timer `timer` fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Self::Timer);

    /// A client asked something of this node.
    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, client: ClientId, request: Self::Request);

    /// A copy of the state that survives a crash, exactly as it would be on disk now.
    fn durable(&self) -> Self::Durable;

    /// The node's role (drawn by the UI and tracked by the trace).
    fn role(&self) -> Role;

    /// The node's current term/epoch/ballot, if the protocol has one.
    fn term(&self) -> Option<u64> {
        None
    }

    /// The timer that the UI's "force timeout" fires (e.g. Raft's election timer).
    fn timeout_timer(&self) -> Option<Self::Timer> {
        None
    }

    /// Protocol-specific state for the inspector.
    fn view(&self) -> NodeView;
}
