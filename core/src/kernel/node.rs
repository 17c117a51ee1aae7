//! The contract between the simulator and a protocol: a [`Model`] names the protocol's types,
//! its [`Server`] and [`Client`] actors are sans-I/O state machines.
//!
//! An actor is a synchronous state machine. The simulator hands it the current virtual time and
//! one input — start/restart, a message, a named timer, a client request — through a [`Ctx`],
//! and the actor answers only by pushing [`Effect`]s (send, set/cancel timer, reply, note,
//! count). An actor never reads a clock, never touches the network and never draws randomness
//! except from the per-node stream in its context. That is what makes every run reproducible
//! from one seed, and what lets unit tests assert the exact effect list a handler produced
//! ([`super::harness`]).
//!
//! Servers (`n1…`) form the cluster; clients (`c1…`) stand outside it and talk to servers over
//! the same network. They are different types with different contracts — only a server has
//! durable state and can crash — joined by one wrapper, [`Actor`], which is what the
//! simulator stores per node.

use super::check::Checker;
use super::config::ConfigError;
use super::probe::{Fact, Probe};
use super::rng::SimRng;
use super::types::{NodeId, Time};
use super::view::{NodeView, Role};
use std::fmt::{self, Debug, Display};

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

/// Identity of a client of the simulated system as a handler sees it (0-based client index).
pub type ClientId = u32;

/// The types of one protocol: what its actors exchange, how it is configured, who its servers
/// and clients are and what checks it. Implemented by one unit type per protocol (`Raft`), so
/// handlers take a `Ctx<'_, Raft>` whoever plays them.
pub trait Model: Sized + Clone + Debug + 'static {
    /// Messages exchanged between actors (servers and clients alike).
    type Msg: Message;
    /// Names of the actors' timers.
    type Timer: Copy + Ord + Debug + Display;
    /// What a user submits ([`crate::Control::Submit`], parsed by [`Model::parse_request`]).
    type Request: Clone + Debug + Display;
    /// What an actor reports back to the user (traced as a reply).
    type Reply: Clone + Debug + Display;
    /// Protocol configuration (timeouts, feature toggles…), shared by all actors.
    type Config: Clone + Debug;
    /// The server actor (`n1…`).
    type Server: Server<Self>;
    /// The client actor (`c1…`).
    type Client: Client<Self>;
    /// The protocol's invariant checkers, bundled.
    type Checker: Checker<Self>;

    /// Check a configuration before any actor is built; errors name the field under `path`.
    fn validate_config(config: &Self::Config, path: &str) -> Result<(), ConfigError> {
        let _ = (config, path);
        Ok(())
    }

    /// Parse a client command typed by a user, to be sent first to server `node`. Errors say
    /// what is wrong in plain words.
    fn parse_request(node: NodeId, text: &str) -> Result<Self::Request, String> {
        let _ = (node, text);
        Err("this protocol takes no client commands".to_string())
    }
}

/// What survives a crash of one of `M`'s servers.
pub type Durable<M> = <<M as Model>::Server as Server<M>>::Durable;

/// The effect list type of `M`'s handlers.
pub type Effects<M> = Vec<Effect<<M as Model>::Msg, <M as Model>::Timer, <M as Model>::Reply>>;

/// A member of the cluster: a synchronous, deterministic state machine with explicit durable
/// state. [`Server::durable`] returns what survives a crash, and [`Server::new`] rebuilds a
/// server from it on restart. Everything else is volatile and is lost.
pub trait Server<M: Model>: Clone + Debug + 'static {
    /// What survives a crash.
    type Durable: Clone + Debug;

    /// Build server `id` of the cluster `servers` (every server's id, in order), from its
    /// durable state after a restart (`Some`) or fresh (`None`). No effects yet:
    /// [`Server::on_start`] follows immediately. Quorums are the protocol's business: the
    /// kernel only says who the servers are.
    fn new(
        id: NodeId,
        servers: &[NodeId],
        config: &M::Config,
        durable: Option<Self::Durable>,
    ) -> Self;

    /// The server (re)starts: arm initial timers, announce itself…
    fn on_start(&mut self, ctx: &mut Ctx<'_, M>);

    /// A message from `from` (a server or a client) arrived.
    fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: M::Msg);

    /// The armed timer `timer` fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, timer: M::Timer);

    /// A request handed straight to this server (tests and scripts; users go through clients).
    fn on_request(&mut self, ctx: &mut Ctx<'_, M>, client: ClientId, request: M::Request) {
        let _ = (client, request);
        ctx.note("servers take commands from client actors over the network");
    }

    /// A copy of the state that survives a crash, exactly as it would be on disk now.
    fn durable(&self) -> Self::Durable;

    /// The server's role (drawn by the UI and traced).
    fn role(&self) -> Role;

    /// The server's current term/epoch/ballot/view, if the protocol has one.
    fn term(&self) -> Option<u64> {
        None
    }

    /// The timer that the UI's "force timeout" fires right now (e.g. Raft's election timer).
    fn timeout_timer(&self) -> Option<M::Timer> {
        None
    }

    /// What the generic inspector shows of this server.
    fn view(&self) -> NodeView;

    /// Answer a question about protocol-specific state (a key's value, a transaction's state)
    /// for narrations and challenges; [`Fact::Unsupported`] unless the protocol has it.
    fn probe(&self, probe: &Probe<'_>) -> Fact {
        let _ = probe;
        Fact::Unsupported
    }
}

/// A simulated client outside the cluster: it takes the user's commands and talks to servers
/// over the network. Clients never crash (the simulator refuses to crash them), so they have
/// no durable state.
pub trait Client<M: Model>: Clone + Debug + 'static {
    /// Build client `id` of a cluster whose servers are `servers`.
    fn new(id: NodeId, servers: &[NodeId], config: &M::Config) -> Self;

    /// The client starts (at t=0).
    fn on_start(&mut self, ctx: &mut Ctx<'_, M>) {
        let _ = ctx;
    }

    /// A message from a server arrived.
    fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: M::Msg);

    /// The armed timer `timer` fired (retries, backoff, deadlines).
    fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, timer: M::Timer);

    /// The user submitted a command.
    fn on_request(&mut self, ctx: &mut Ctx<'_, M>, client: ClientId, request: M::Request);

    /// The client's role (the kernel's [`Role::CLIENT`] unless the protocol says otherwise).
    fn role(&self) -> Role {
        Role::CLIENT
    }

    /// What the generic inspector shows of this client.
    fn view(&self) -> NodeView;

    /// Answer a question about this client (what it last read); [`Fact::Unsupported`] unless
    /// the protocol has it.
    fn probe(&self, probe: &Probe<'_>) -> Fact {
        let _ = probe;
        Fact::Unsupported
    }
}

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
    /// Report to the user (a client's operation ended, a server answered a direct request).
    Reply {
        /// The client index the answer is for.
        client: ClientId,
        /// The answer.
        reply: R,
    },
    /// A human-readable remark for the trace ("granted vote to n3").
    Note(String),
    /// Bump the protocol's named coverage counter (e.g. `"snapshots_installed"`), reported with
    /// the simulator's [`crate::kernel::sim::Counters`] so chaos runs can prove what was
    /// exercised.
    Count(&'static str),
}

/// The world as an actor sees it while handling one input.
pub struct Ctx<'a, M: Model> {
    /// The current virtual time.
    pub now: Time,
    /// This actor's id.
    pub id: NodeId,
    /// Every server of the cluster, in id order (clients are never listed).
    pub servers: &'a [NodeId],
    /// This actor's own random stream (forked from the simulation seed).
    pub rng: &'a mut SimRng,
    /// Where effects go, in order.
    pub out: &'a mut Effects<M>,
    /// Whether [`note`](Ctx::note) keeps its remarks: the simulator asks for them only while
    /// it records a trace (they go nowhere else), so a chaos run does not format them.
    pub notes: bool,
}

impl<'a, M: Model> Ctx<'a, M> {
    /// Send `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: M::Msg) {
        self.out.push(Effect::Send { to, msg });
    }

    /// Send a copy of `msg` to every other server, in id order.
    pub fn broadcast(&mut self, msg: &M::Msg) {
        let me = self.id;
        for &peer in self.servers.iter().filter(|p| **p != me) {
            self.out.push(Effect::Send {
                to: peer,
                msg: msg.clone(),
            });
        }
    }

    /// Every other server's id, in id order (for a client: every server).
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + 'a {
        let me = self.id;
        let servers: &'a [NodeId] = self.servers;
        servers.iter().copied().filter(move |p| *p != me)
    }

    /// Arm `timer` to fire after `after_ms` milliseconds (replaces an earlier setting).
    pub fn set_timer(&mut self, timer: M::Timer, after_ms: u64) {
        self.out.push(Effect::SetTimer { timer, after_ms });
    }

    /// Disarm `timer`.
    pub fn cancel_timer(&mut self, timer: M::Timer) {
        self.out.push(Effect::CancelTimer { timer });
    }

    /// Report `reply` to the user on behalf of client `client`.
    pub fn reply(&mut self, client: ClientId, reply: M::Reply) {
        self.out.push(Effect::Reply { client, reply });
    }

    /// Leave a human-readable remark in the trace. Pass `format_args!(…)` rather than
    /// `format!(…)`: the text is only written out if the remark is kept.
    pub fn note(&mut self, text: impl std::fmt::Display) {
        if self.notes {
            self.out.push(Effect::Note(text.to_string()));
        }
    }

    /// Bump the protocol coverage counter `name`.
    pub fn count(&mut self, name: &'static str) {
        self.out.push(Effect::Count(name));
    }
}

/// One endpoint of a simulation: a server or a client of protocol `M`. The simulator keeps one
/// per node and dispatches inputs through it; checkers and panels look inside.
pub enum Actor<M: Model> {
    /// A cluster member (`n1…`).
    Server(M::Server),
    /// A simulated client (`c1…`).
    Client(M::Client),
}

impl<M: Model> Clone for Actor<M> {
    fn clone(&self) -> Self {
        match self {
            Actor::Server(s) => Actor::Server(s.clone()),
            Actor::Client(c) => Actor::Client(c.clone()),
        }
    }
}

impl<M: Model> Debug for Actor<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Server(s) => s.fmt(f),
            Actor::Client(c) => c.fmt(f),
        }
    }
}

impl<M: Model> Actor<M> {
    /// Build the actor for `id`: a client for client ids, otherwise a server (from `durable`
    /// after a restart).
    pub fn new(
        id: NodeId,
        servers: &[NodeId],
        config: &M::Config,
        durable: Option<Durable<M>>,
    ) -> Actor<M> {
        if id.is_client() {
            Actor::Client(M::Client::new(id, servers, config))
        } else {
            Actor::Server(M::Server::new(id, servers, config, durable))
        }
    }

    /// The server, if this is one.
    pub fn server(&self) -> Option<&M::Server> {
        match self {
            Actor::Server(s) => Some(s),
            Actor::Client(_) => None,
        }
    }

    /// The client, if this is one.
    pub fn client(&self) -> Option<&M::Client> {
        match self {
            Actor::Client(c) => Some(c),
            Actor::Server(_) => None,
        }
    }

    /// Handle a start or restart.
    pub fn on_start(&mut self, ctx: &mut Ctx<'_, M>) {
        match self {
            Actor::Server(s) => s.on_start(ctx),
            Actor::Client(c) => c.on_start(ctx),
        }
    }

    /// Handle a message.
    pub fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: M::Msg) {
        match self {
            Actor::Server(s) => s.on_message(ctx, from, msg),
            Actor::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    /// Handle a timer.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, timer: M::Timer) {
        match self {
            Actor::Server(s) => s.on_timer(ctx, timer),
            Actor::Client(c) => c.on_timer(ctx, timer),
        }
    }

    /// Handle a request.
    pub fn on_request(&mut self, ctx: &mut Ctx<'_, M>, client: ClientId, request: M::Request) {
        match self {
            Actor::Server(s) => s.on_request(ctx, client, request),
            Actor::Client(c) => c.on_request(ctx, client, request),
        }
    }

    /// The durable state, for a server.
    pub fn durable(&self) -> Option<Durable<M>> {
        self.server().map(Server::durable)
    }

    /// The role.
    pub fn role(&self) -> Role {
        match self {
            Actor::Server(s) => s.role(),
            Actor::Client(c) => c.role(),
        }
    }

    /// The term, for servers of protocols that have one.
    pub fn term(&self) -> Option<u64> {
        self.server().and_then(Server::term)
    }

    /// The timer "force timeout" fires, for servers that have one now.
    pub fn timeout_timer(&self) -> Option<M::Timer> {
        self.server().and_then(Server::timeout_timer)
    }

    /// The protocol's answer to `probe` about this actor.
    pub fn probe(&self, probe: &Probe<'_>) -> Fact {
        match self {
            Actor::Server(s) => s.probe(probe),
            Actor::Client(c) => c.probe(probe),
        }
    }

    /// The inspector's view.
    pub fn view(&self) -> NodeView {
        match self {
            Actor::Server(s) => s.view(),
            Actor::Client(c) => c.view(),
        }
    }
}
