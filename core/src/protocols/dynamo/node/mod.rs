//! The store's nodes: servers and client actors, one [`Node`] type.
//!
//! A **server** is at once a replica and a coordinator. Any server coordinates a client
//! request: it picks the key's replicas from the ring (skipping, or with a sloppy quorum
//! replacing, those its failure detector calls unavailable), writes locally — issuing the
//! write's dot from its own durable state of the key — sends its merged state of the key to
//! the other targets and answers once W (or R) of them did. Reads merge the answers and repair
//! stale replicas; writes accepted by a fallback leave a hint that is handed off once the
//! replica is reachable; anti-entropy rounds compare bucket digests with one peer at a time and
//! exchange only the keys that differ.
//!
//! A **client** runs one operation at a time (later ones queue), sends it to the server it was
//! told to use, and records the answer — or a timeout — in its history.

use super::clock::{Dot, VersionVector};
use super::msg::KvMsg;
use super::request::{KvOp, KvReply, KvRequest, Level};
use super::ring::Ring;
use super::store::{bucket_digests, bucket_of, KeyState, Store};
use super::{ConflictMode, KvChecker, KvConfig, Mutant};
use crate::kernel::config::ConfigError;
use crate::kernel::node::{ClientId, Ctx, Node};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{NodeView, Role};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

mod client;
mod coordinator;
mod replica;

/// The store's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KvTimer {
    /// Send heartbeats.
    Heartbeat,
    /// Start an anti-entropy round.
    AntiEntropy,
    /// Try to hand off hints.
    Handoff,
    /// A coordinated operation's deadline.
    Deadline(u64),
    /// A client's wait for its coordinator.
    ClientWait(u64),
}

impl fmt::Display for KvTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvTimer::Heartbeat => f.write_str("heartbeat"),
            KvTimer::AntiEntropy => f.write_str("anti-entropy"),
            KvTimer::Handoff => f.write_str("handoff"),
            KvTimer::Deadline(op) => write!(f, "deadline#{op}"),
            KvTimer::ClientWait(req) => write!(f, "client-wait#{req}"),
        }
    }
}

/// What a server keeps on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvDurable {
    /// Every key's state.
    pub store: Store,
    /// Pending hinted handoffs: (replica it is for, key).
    pub hints: BTreeSet<(NodeId, String)>,
    /// How many times the server started (operation numbers carry it, so replies to an
    /// earlier incarnation's operations are never mistaken for current ones).
    pub boots: u64,
}

/// How a failure detector sees a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Heard from recently.
    Alive,
    /// Silent for a while.
    Suspected,
    /// Silent too long: coordinators do not count on it.
    Unavailable,
}

impl Health {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Health::Alive => "alive",
            Health::Suspected => "suspected",
            Health::Unavailable => "unavailable",
        }
    }
}

/// Whom a coordinated operation answers.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// A request handed straight to this server (tests, scripts).
    Direct(ClientId),
    /// A client actor, by message.
    Remote { client: NodeId, req: u64 },
}

#[derive(Clone, Debug)]
enum Pending {
    Write {
        dot: Dot,
        need: usize,
        acks: BTreeSet<NodeId>,
    },
    Read {
        need: usize,
        replies: BTreeMap<NodeId, KeyState>,
    },
}

#[derive(Clone, Debug)]
struct PendingOp {
    origin: Origin,
    key: String,
    /// (target, replica it stands in for if a fallback).
    targets: Vec<(NodeId, Option<NodeId>)>,
    pending: Pending,
    answered: bool,
}

/// Counters of a server's work (volatile; shown in the inspector and used by the CAP table).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerStats {
    /// Operations coordinated.
    pub coordinated: u64,
    /// Read repairs sent.
    pub read_repairs: u64,
    /// Hints recorded.
    pub hints_recorded: u64,
    /// Hints delivered (acknowledged by their replica).
    pub hints_delivered: u64,
    /// Anti-entropy rounds started.
    pub ae_rounds: u64,
    /// Key states sent by anti-entropy.
    pub ae_keys_sent: u64,
    /// Messages sent on the request path: replica reads and writes, acks, read repairs,
    /// handoffs (asynchronous replication and hints) and client replies — not heartbeats or
    /// anti-entropy.
    pub request_msgs: u64,
}

/// A server.
#[derive(Clone, Debug)]
pub struct Server {
    store: Store,
    hints: BTreeSet<(NodeId, String)>,
    boots: u64,
    started: Time,
    /// Time of the last event handled.
    now: Time,
    last_heard: Vec<Option<Time>>,
    ops: BTreeMap<u64, PendingOp>,
    next_op: u64,
    ae_next: usize,
    /// Highest request number seen per client (duplicates are ignored).
    client_seen: BTreeMap<NodeId, u64>,
    stats: ServerStats,
    /// Bumped on every change of the store (lets checkers skip unchanged stores).
    epoch: u64,
}

/// One finished client operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpRecord {
    /// Client index (0-based).
    pub client: usize,
    /// The server it went to.
    pub node: NodeId,
    /// The operation.
    pub op: KvOp,
    /// When it was submitted.
    pub invoked: Time,
    /// When the client sent it (after any queueing behind its earlier operations).
    pub sent: Time,
    /// When the answer (or the timeout) came.
    pub completed: Time,
    /// The answer.
    pub reply: KvReply,
}

#[derive(Clone, Debug)]
struct Current {
    req: u64,
    client: ClientId,
    request: KvRequest,
    invoked: Time,
    sent: Time,
}

/// A client actor.
#[derive(Clone, Debug)]
pub struct Client {
    index: usize,
    queue: VecDeque<(ClientId, KvRequest, Time)>,
    current: Option<Current>,
    next_req: u64,
    history: Vec<OpRecord>,
}

/// Most operations a client queues behind the one in progress.
pub const CLIENT_QUEUE: usize = 16;

#[derive(Clone, Debug)]
enum Kind {
    Server(Box<Server>),
    Client(Box<Client>),
}

/// A node of the store: a server or a client actor.
#[derive(Clone, Debug)]
pub struct KvNode {
    id: NodeId,
    config: KvConfig,
    ring: Ring,
    kind: Kind,
}

impl KvNode {
    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The ring.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// The configuration.
    pub fn config(&self) -> &KvConfig {
        &self.config
    }

    /// The store, if this is a server.
    pub fn store(&self) -> Option<&Store> {
        match &self.kind {
            Kind::Server(s) => Some(&s.store),
            Kind::Client(_) => None,
        }
    }

    /// Pending hints, if this is a server.
    pub fn hints(&self) -> Option<&BTreeSet<(NodeId, String)>> {
        match &self.kind {
            Kind::Server(s) => Some(&s.hints),
            Kind::Client(_) => None,
        }
    }

    /// Server work counters.
    pub fn stats(&self) -> Option<&ServerStats> {
        match &self.kind {
            Kind::Server(s) => Some(&s.stats),
            Kind::Client(_) => None,
        }
    }

    /// Store change counter (servers; 0 for clients).
    pub fn epoch(&self) -> u64 {
        match &self.kind {
            Kind::Server(s) => s.epoch,
            Kind::Client(_) => 0,
        }
    }

    /// A client's finished operations, oldest first.
    pub fn history(&self) -> &[OpRecord] {
        match &self.kind {
            Kind::Client(c) => &c.history,
            Kind::Server(_) => &[],
        }
    }

    /// Whether a client is idle (nothing in progress or queued).
    pub fn idle(&self) -> bool {
        match &self.kind {
            Kind::Client(c) => c.current.is_none() && c.queue.is_empty(),
            Kind::Server(_) => true,
        }
    }

    /// The conflict mode this node actually applies (a mutant may lie about it).
    pub fn mode(&self) -> ConflictMode {
        if self.config.conflict == ConflictMode::Siblings
            && self.config.has(Mutant::LwwInSiblingsMode)
        {
            ConflictMode::Lww
        } else {
            self.config.conflict
        }
    }

    /// Replicas per key by default, bounded by the cluster.
    fn n(&self, cluster: usize) -> usize {
        self.config.replicas.min(cluster)
    }

    /// How this server's failure detector sees `peer` at `now`.
    pub fn health(&self, peer: NodeId, now: Time) -> Health {
        let Kind::Server(s) = &self.kind else {
            return Health::Alive;
        };
        if peer == self.id {
            return Health::Alive;
        }
        let last = s
            .last_heard
            .get(peer.index())
            .copied()
            .flatten()
            .unwrap_or(s.started)
            .max(s.started);
        let silence = now.0.saturating_sub(last.0);
        if silence <= self.config.suspect_after_ms {
            Health::Alive
        } else if silence <= self.config.unavailable_after_ms {
            Health::Suspected
        } else {
            Health::Unavailable
        }
    }

    /// This node's own clock (virtual time plus its configured skew), for LWW timestamps.
    pub fn clock(&self, now: Time) -> i64 {
        now.0 as i64 + self.config.skew(self.id.index())
    }

    fn touch(&mut self, now: Time) {
        if let Some(s) = self.server() {
            s.now = now;
        }
    }

    fn server(&mut self) -> Option<&mut Server> {
        match &mut self.kind {
            Kind::Server(s) => Some(s),
            Kind::Client(_) => None,
        }
    }

    // ----- server: helpers ------------------------------------------------------------------

    fn send(&mut self, ctx: &mut Ctx<'_, Self>, to: NodeId, msg: KvMsg) {
        if let Some(s) = self.server() {
            if matches!(
                msg,
                KvMsg::Put { .. }
                    | KvMsg::PutAck { .. }
                    | KvMsg::Get { .. }
                    | KvMsg::GetReply { .. }
                    | KvMsg::ReadRepair { .. }
                    | KvMsg::Handoff { .. }
                    | KvMsg::HandoffAck { .. }
                    | KvMsg::ClientReply { .. }
            ) {
                s.stats.request_msgs += 1;
            }
        }
        ctx.send(to, msg);
    }

    /// Merge `state` into the store. Returns whether it changed.
    fn absorb(&mut self, key: &str, state: &KeyState) -> bool {
        let mode = self.mode();
        let Some(s) = self.server() else {
            return false;
        };
        let entry = s.store.entry(key.to_string()).or_default();
        let changed = entry.merge(state, mode);
        if changed {
            s.epoch += 1;
        }
        changed
    }

    fn local_state(&self, key: &str) -> KeyState {
        self.store()
            .and_then(|s| s.get(key))
            .cloned()
            .unwrap_or_default()
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, Self>, origin: &Origin, reply: KvReply) {
        match origin {
            Origin::Direct(client) => ctx.reply(*client, reply),
            Origin::Remote { client, req } => {
                let msg = KvMsg::ClientReply { req: *req, reply };
                self.send(ctx, *client, msg);
            }
        }
    }
}

impl Node for KvNode {
    type Msg = KvMsg;
    type Timer = KvTimer;
    type Request = KvRequest;
    type Reply = KvReply;
    type Durable = KvDurable;
    type Config = KvConfig;
    type Checker = KvChecker;

    const PROTOCOL: &'static str = "kv";

    fn validate_config(config: &KvConfig, path: &str) -> Result<(), ConfigError> {
        config.validate(path)
    }

    fn new(id: NodeId, cluster_size: usize, config: &KvConfig, durable: Option<KvDurable>) -> Self {
        let ring = Ring::new(cluster_size, config.vnodes);
        let kind = if id.is_client() {
            Kind::Client(Box::new(Client {
                index: id.client_index().unwrap_or_default(),
                queue: VecDeque::new(),
                current: None,
                next_req: 1,
                history: Vec::new(),
            }))
        } else {
            let d = durable.unwrap_or_default();
            Kind::Server(Box::new(Server {
                store: d.store,
                hints: d.hints,
                boots: d.boots,
                started: Time::ZERO,
                now: Time::ZERO,
                last_heard: vec![None; cluster_size],
                ops: BTreeMap::new(),
                next_op: 1,
                ae_next: id.index(),
                client_seen: BTreeMap::new(),
                stats: ServerStats::default(),
                epoch: 0,
            }))
        };
        KvNode {
            id,
            config: config.clone(),
            ring,
            kind,
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let (hb, ae, ho) = (
            self.config.heartbeat_ms,
            self.config.anti_entropy_ms,
            self.config.handoff_ms,
        );
        let now = ctx.now;
        let Some(s) = self.server() else {
            return;
        };
        s.started = now;
        s.now = now;
        // Operation numbers must never repeat across restarts: a reply to an operation of an
        // earlier incarnation may still be on the wire. The boot count is durable.
        s.boots += 1;
        s.next_op = ((s.boots - 1) << 32) + 1;
        ctx.broadcast(&KvMsg::Heartbeat);
        ctx.set_timer(KvTimer::Heartbeat, hb);
        // Spread the nodes' rounds so they do not all start at once.
        let jitter = ctx.rng.range_inclusive(0, ae);
        ctx.set_timer(KvTimer::AntiEntropy, ae / 2 + jitter);
        ctx.set_timer(KvTimer::Handoff, ho);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: KvMsg) {
        self.touch(ctx.now);
        match &self.kind {
            Kind::Server(_) => self.server_message(ctx, from, msg),
            Kind::Client(_) => {
                if let KvMsg::ClientReply { req, reply } = msg {
                    let current = self
                        .client()
                        .and_then(|c| c.current.as_ref())
                        .map(|c| c.req);
                    if current == Some(req) {
                        self.client_finish(ctx, reply);
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: KvTimer) {
        self.touch(ctx.now);
        match timer {
            KvTimer::Heartbeat => {
                ctx.broadcast(&KvMsg::Heartbeat);
                ctx.set_timer(KvTimer::Heartbeat, self.config.heartbeat_ms);
            }
            KvTimer::AntiEntropy => {
                self.start_anti_entropy(ctx);
                ctx.set_timer(KvTimer::AntiEntropy, self.config.anti_entropy_ms);
            }
            KvTimer::Handoff => {
                self.hand_off(ctx);
                ctx.set_timer(KvTimer::Handoff, self.config.handoff_ms);
            }
            KvTimer::Deadline(op) => self.progress(ctx, op, true),
            KvTimer::ClientWait(req) => {
                let timeout = self.config.client_timeout_ms;
                let Some(c) = self.client() else {
                    return;
                };
                let Some(cur) = c.current.as_ref().filter(|cur| cur.req == req) else {
                    return;
                };
                let reply = KvReply::Failed {
                    key: cur.request.op.key().to_string(),
                    reason: format!("no answer from {} within {} ms", cur.request.node, timeout),
                    unknown: cur.request.op.is_write(),
                };
                self.client_finish(ctx, reply);
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, client: ClientId, request: KvRequest) {
        self.touch(ctx.now);
        match &self.kind {
            Kind::Client(_) => self.client_request(ctx, client, request),
            Kind::Server(_) => self.coordinate(ctx, Origin::Direct(client), request.op),
        }
    }

    fn durable(&self) -> KvDurable {
        match &self.kind {
            Kind::Server(s) => KvDurable {
                store: s.store.clone(),
                hints: s.hints.clone(),
                boots: s.boots,
            },
            Kind::Client(_) => KvDurable::default(),
        }
    }

    fn role(&self) -> Role {
        match self.kind {
            Kind::Server(_) => Role::Replica,
            Kind::Client(_) => Role::Client,
        }
    }

    fn parse_request(node: NodeId, text: &str) -> Result<KvRequest, String> {
        Ok(KvRequest {
            node,
            op: KvOp::parse(text)?,
        })
    }

    fn view(&self) -> NodeView {
        super::view::node_view(self)
    }
}

impl KvNode {
    /// Every peer's health as this server sees it at `now` (empty for clients).
    pub fn health_view(&self, now: Time, cluster: usize) -> Vec<(NodeId, Health)> {
        match &self.kind {
            Kind::Server(_) => (0..cluster)
                .map(NodeId::from_index)
                .filter(|p| *p != self.id)
                .map(|p| (p, self.health(p, now)))
                .collect(),
            Kind::Client(_) => Vec::new(),
        }
    }

    /// Time of the last event this server handled (its failure detector's "now" for views).
    pub fn last_event(&self) -> Time {
        match &self.kind {
            Kind::Server(s) => s.now,
            Kind::Client(_) => Time::ZERO,
        }
    }

    /// Operations a client has queued or in progress.
    pub fn pending_ops(&self) -> Vec<String> {
        match &self.kind {
            Kind::Client(c) => c
                .current
                .iter()
                .map(|cur| format!("{} (sent)", cur.request))
                .chain(c.queue.iter().map(|(_, r, _)| format!("{r} (queued)")))
                .collect(),
            Kind::Server(s) => s.ops.values().map(|o| o.key.clone()).collect(),
        }
    }
}
