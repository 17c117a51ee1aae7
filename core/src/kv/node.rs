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
use crate::config::ConfigError;
use crate::node::{ClientId, Ctx, Node};
use crate::types::{NodeId, Time};
use crate::view::{NodeView, Role};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

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

    /// Pick the targets of an operation on `key`: the N replicas the failure detector does not
    /// call unavailable, plus (sloppy) the next healthy nodes standing in for the others.
    fn targets(
        &self,
        key: &str,
        n: usize,
        sloppy: bool,
        now: Time,
    ) -> (Vec<(NodeId, Option<NodeId>)>, Vec<NodeId>) {
        let pref = self.ring.preference_list(key);
        let mut targets = Vec::new();
        let mut down = Vec::new();
        for r in pref.iter().take(n) {
            if self.health(*r, now) == Health::Unavailable {
                down.push(*r);
            } else {
                targets.push((*r, None));
            }
        }
        if sloppy {
            let mut spare = pref
                .iter()
                .skip(n)
                .filter(|p| self.health(**p, now) != Health::Unavailable);
            for d in &down {
                if let Some(f) = spare.next() {
                    targets.push((*f, Some(*d)));
                }
            }
        }
        (targets, down)
    }

    // ----- server: coordination ------------------------------------------------------------

    fn coordinate(&mut self, ctx: &mut Ctx<'_, Self>, origin: Origin, op: KvOp) {
        let key = op.key().to_string();
        let default_n = self.n(ctx.cluster_size);
        let (n, r, w) = match op.consistency().resolve(default_n, ctx.cluster_size) {
            Ok(x) => x,
            Err(reason) => {
                let reply = KvReply::Failed {
                    key,
                    reason: format!("invalid request: {reason}"),
                    unknown: false,
                };
                self.answer(ctx, &origin, reply);
                return;
            }
        };
        if let Some(s) = self.server() {
            s.stats.coordinated += 1;
        }
        let me = self.id;
        let mode = self.mode();
        let level = op.consistency().level;
        let sloppy = op.consistency().sloppy.unwrap_or(self.config.sloppy_quorum);
        if level == Level::Local {
            match op {
                KvOp::Put {
                    value, ctx: wctx, ..
                } => {
                    let ts = self.clock(ctx.now);
                    let dot = self.write_local(&key, &wctx, value, ts, mode);
                    // Asynchronous replication: a hint per replica, handed off until acknowledged.
                    let replicas = self.ring.replicas(&key, n);
                    let state = self.local_state(&key);
                    for rep in replicas.into_iter().filter(|r| *r != me) {
                        self.add_hint(rep, &key);
                        self.send(
                            ctx,
                            rep,
                            KvMsg::Handoff {
                                key: key.clone(),
                                state: state.clone(),
                            },
                        );
                    }
                    ctx.note(format!(
                        "local write {key} dot={dot}; replicating asynchronously"
                    ));
                    let reply = KvReply::Written {
                        key,
                        dot,
                        acked: vec![me],
                    };
                    self.answer(ctx, &origin, reply);
                }
                KvOp::Get { .. } => {
                    let st = self.local_state(&key);
                    let reply = KvReply::Read {
                        values: st.read_values(mode),
                        ctx: st.read_context(),
                        key,
                        answered: vec![me],
                    };
                    self.answer(ctx, &origin, reply);
                }
            }
            return;
        }
        let (targets, down) = self.targets(&key, n, sloppy, ctx.now);
        let need = if op.is_write() { w } else { r };
        if targets.len() < need {
            let list = |v: &[NodeId]| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let reason =
                format!(
                "insufficient replicas: {}={need} of N={n} needed, but {me} sees {} unavailable{}",
                if op.is_write() { "W" } else { "R" },
                list(&down),
                if sloppy { " and no fallback is reachable" } else { "" }
            );
            // A write is refused before anything is stored.
            ctx.count("insufficient_replicas");
            self.answer(
                ctx,
                &origin,
                KvReply::Failed {
                    key,
                    reason,
                    unknown: false,
                },
            );
            return;
        }
        let Some(s) = self.server() else {
            return;
        };
        let id = s.next_op;
        s.next_op += 1;
        match op {
            KvOp::Put {
                value, ctx: wctx, ..
            } => {
                let ts = self.clock(ctx.now);
                let dot = self.write_local(&key, &wctx, value, ts, mode);
                let state = self.local_state(&key);
                let mut acks = BTreeSet::new();
                for (t, hint_for) in &targets {
                    if *t == me {
                        if let Some(h) = hint_for {
                            self.add_hint(*h, &key);
                        }
                        acks.insert(me);
                    } else {
                        let msg = KvMsg::Put {
                            op: id,
                            key: key.clone(),
                            state: state.clone(),
                            hint_for: *hint_for,
                        };
                        self.send(ctx, *t, msg);
                    }
                }
                self.open(
                    ctx,
                    id,
                    PendingOp {
                        origin,
                        key,
                        targets,
                        pending: Pending::Write { dot, need, acks },
                        answered: false,
                    },
                );
            }
            KvOp::Get { .. } => {
                let mut replies = BTreeMap::new();
                for (t, _) in &targets {
                    if *t == me {
                        replies.insert(me, self.local_state(&key));
                    } else {
                        let msg = KvMsg::Get {
                            op: id,
                            key: key.clone(),
                        };
                        self.send(ctx, *t, msg);
                    }
                }
                self.open(
                    ctx,
                    id,
                    PendingOp {
                        origin,
                        key,
                        targets,
                        pending: Pending::Read { need, replies },
                        answered: false,
                    },
                );
            }
        }
    }

    fn write_local(
        &mut self,
        key: &str,
        wctx: &VersionVector,
        value: String,
        ts: i64,
        mode: ConflictMode,
    ) -> Dot {
        let me = self.id;
        let Some(s) = self.server() else {
            return Dot {
                node: me,
                counter: 0,
            };
        };
        s.epoch += 1;
        s.store
            .entry(key.to_string())
            .or_default()
            .write(me, wctx, value, ts, mode)
    }

    fn add_hint(&mut self, replica: NodeId, key: &str) {
        if let Some(s) = self.server() {
            if s.hints.insert((replica, key.to_string())) {
                s.stats.hints_recorded += 1;
            }
        }
    }

    fn open(&mut self, ctx: &mut Ctx<'_, Self>, id: u64, op: PendingOp) {
        let timeout = self.config.request_timeout_ms;
        if let Some(s) = self.server() {
            s.ops.insert(id, op);
        }
        ctx.set_timer(KvTimer::Deadline(id), timeout);
        self.progress(ctx, id, false);
    }

    /// Answer the client once enough replicas did; finish (read repair) once all did or the
    /// deadline passed.
    fn progress(&mut self, ctx: &mut Ctx<'_, Self>, id: u64, deadline: bool) {
        let mode = self.mode();
        let me = self.id;
        let timeout = self.config.request_timeout_ms;
        let read_repair = self.config.read_repair;
        let Some(s) = self.server() else {
            return;
        };
        let Some(op) = s.ops.get(&id).cloned() else {
            return;
        };
        let (have, need, all) = match &op.pending {
            Pending::Write { acks, need, .. } => {
                (acks.len(), *need, acks.len() == op.targets.len())
            }
            Pending::Read { replies, need } => {
                (replies.len(), *need, replies.len() == op.targets.len())
            }
        };
        let merged = || {
            let mut m = KeyState::default();
            if let Pending::Read { replies, .. } = &op.pending {
                for st in replies.values() {
                    m.merge(st, mode);
                }
            }
            m
        };
        if !op.answered && (have >= need || deadline) {
            let reply = if have >= need {
                match &op.pending {
                    Pending::Write { dot, acks, .. } => KvReply::Written {
                        key: op.key.clone(),
                        dot: *dot,
                        acked: acks.iter().copied().collect(),
                    },
                    Pending::Read { replies, .. } => {
                        let m = merged();
                        KvReply::Read {
                            key: op.key.clone(),
                            values: m.read_values(mode),
                            ctx: m.read_context(),
                            answered: replies.keys().copied().collect(),
                        }
                    }
                }
            } else {
                let asked: Vec<String> = op.targets.iter().map(|(t, _)| t.to_string()).collect();
                KvReply::Failed {
                    key: op.key.clone(),
                    reason: format!(
                        "insufficient replicas: {have} of {}={need} answered within {timeout} ms \
                         (asked {})",
                        if matches!(op.pending, Pending::Write { .. }) {
                            "W"
                        } else {
                            "R"
                        },
                        asked.join(",")
                    ),
                    // A write stored on some replicas may still spread.
                    unknown: matches!(op.pending, Pending::Write { .. }),
                }
            };
            if let Some(s) = self.server() {
                if let Some(o) = s.ops.get_mut(&id) {
                    o.answered = true;
                }
            }
            self.answer(ctx, &op.origin, reply);
        }
        if all || deadline {
            if let (Pending::Read { replies, .. }, true) = (&op.pending, read_repair) {
                let m = merged();
                let digest = m.digest();
                for (rep, st) in replies {
                    if st.digest() == digest {
                        continue;
                    }
                    if *rep == me {
                        self.absorb(&op.key, &m);
                    } else {
                        let msg = KvMsg::ReadRepair {
                            key: op.key.clone(),
                            state: m.clone(),
                        };
                        self.send(ctx, *rep, msg);
                    }
                    if let Some(s) = self.server() {
                        s.stats.read_repairs += 1;
                    }
                    ctx.count("read_repairs");
                }
            }
            if let Some(s) = self.server() {
                s.ops.remove(&id);
            }
            if !deadline {
                ctx.cancel_timer(KvTimer::Deadline(id));
            }
        }
    }

    // ----- server: background work ---------------------------------------------------------

    /// Whether both `a` and `b` replicate `key` (anti-entropy compares only those keys).
    fn shared(&self, key: &str, a: NodeId, b: NodeId, cluster: usize) -> bool {
        let reps = self.ring.replicas(key, self.n(cluster));
        reps.contains(&a) && reps.contains(&b)
    }

    fn skips(&self, peer: NodeId, cluster: usize) -> bool {
        self.config.has(Mutant::AntiEntropySkipsReplica) && peer.index() + 1 == cluster
    }

    fn start_anti_entropy(&mut self, ctx: &mut Ctx<'_, Self>) {
        let cluster = ctx.cluster_size;
        if cluster < 2 || self.skips(self.id, cluster) {
            return;
        }
        let now = ctx.now;
        let peers: Vec<NodeId> = ctx.peers().collect();
        let Some(s) = self.server() else {
            return;
        };
        let start = s.ae_next;
        s.ae_next = s.ae_next.wrapping_add(1);
        // Round-robin over peers, skipping those the failure detector calls unavailable.
        let peer = (0..peers.len())
            .map(|i| peers[(start + i) % peers.len()])
            .find(|p| self.health(*p, now) != Health::Unavailable && !self.skips(*p, cluster));
        let Some(peer) = peer else {
            return;
        };
        let me = self.id;
        let buckets = {
            let store = self.store().cloned().unwrap_or_default();
            bucket_digests(&store, |k| self.shared(k, me, peer, cluster))
        };
        if let Some(s) = self.server() {
            s.stats.ae_rounds += 1;
        }
        self.send(ctx, peer, KvMsg::AeDigest { buckets });
    }

    fn shared_keys_in(
        &self,
        peer: NodeId,
        buckets: &[usize],
        cluster: usize,
    ) -> Vec<(String, u64)> {
        let me = self.id;
        self.store()
            .map(|store| {
                store
                    .iter()
                    .filter(|(k, _)| {
                        buckets.contains(&bucket_of(k)) && self.shared(k, me, peer, cluster)
                    })
                    .map(|(k, st)| (k.clone(), st.digest()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn hand_off(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now;
        let hints: Vec<(NodeId, String)> = self
            .hints()
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default();
        for (rep, key) in hints {
            if self.health(rep, now) == Health::Unavailable {
                continue;
            }
            let state = self.local_state(&key);
            self.send(ctx, rep, KvMsg::Handoff { key, state });
        }
    }

    fn server_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: KvMsg) {
        let cluster = ctx.cluster_size;
        let me = self.id;
        if !from.is_client() {
            if let Some(s) = self.server() {
                if let Some(slot) = s.last_heard.get_mut(from.index()) {
                    *slot = Some(ctx.now);
                }
            }
        }
        match msg {
            KvMsg::ClientOp { req, op } => {
                let Some(s) = self.server() else {
                    return;
                };
                if s.client_seen.get(&from).is_some_and(|last| *last >= req) {
                    return;
                }
                s.client_seen.insert(from, req);
                self.coordinate(ctx, Origin::Remote { client: from, req }, op);
            }
            KvMsg::ClientReply { .. } | KvMsg::Heartbeat => {}
            KvMsg::Put {
                op,
                key,
                state,
                hint_for,
            } => {
                if !self.config.has(Mutant::AckWithoutStore) {
                    self.absorb(&key, &state);
                    if let Some(h) = hint_for.filter(|h| *h != me) {
                        self.add_hint(h, &key);
                    }
                }
                self.send(ctx, from, KvMsg::PutAck { op });
            }
            KvMsg::PutAck { op } => {
                if let Some(s) = self.server() {
                    if let Some(Pending::Write { acks, .. }) =
                        s.ops.get_mut(&op).map(|o| &mut o.pending)
                    {
                        acks.insert(from);
                    } else {
                        return;
                    }
                }
                self.progress(ctx, op, false);
            }
            KvMsg::Get { op, key } => {
                let state = self.local_state(&key);
                self.send(ctx, from, KvMsg::GetReply { op, state });
            }
            KvMsg::GetReply { op, state } => {
                if let Some(s) = self.server() {
                    if let Some(Pending::Read { replies, .. }) =
                        s.ops.get_mut(&op).map(|o| &mut o.pending)
                    {
                        replies.insert(from, state);
                    } else {
                        return;
                    }
                }
                self.progress(ctx, op, false);
            }
            KvMsg::ReadRepair { key, state } => {
                self.absorb(&key, &state);
            }
            KvMsg::Handoff { key, state } => {
                self.absorb(&key, &state);
                let digest = state.digest();
                self.send(ctx, from, KvMsg::HandoffAck { key, digest });
            }
            KvMsg::HandoffAck { key, digest } => {
                if self.local_state(&key).digest() == digest {
                    if let Some(s) = self.server() {
                        if s.hints.remove(&(from, key)) {
                            s.stats.hints_delivered += 1;
                            ctx.count("hints_delivered");
                        }
                    }
                }
            }
            KvMsg::AeDigest { buckets } => {
                if self.skips(from, cluster) || self.skips(me, cluster) {
                    return;
                }
                let mine = {
                    let store = self.store().cloned().unwrap_or_default();
                    bucket_digests(&store, |k| self.shared(k, me, from, cluster))
                };
                let differ: Vec<usize> = (0..mine.len())
                    .filter(|i| buckets.get(*i) != mine.get(*i))
                    .collect();
                if !differ.is_empty() {
                    let keys = self.shared_keys_in(from, &differ, cluster);
                    self.send(
                        ctx,
                        from,
                        KvMsg::AeKeys {
                            buckets: differ,
                            keys,
                        },
                    );
                }
            }
            KvMsg::AeKeys { buckets, keys } => {
                let theirs: BTreeMap<String, u64> = keys.into_iter().collect();
                let mine: BTreeMap<String, u64> = self
                    .shared_keys_in(from, &buckets, cluster)
                    .into_iter()
                    .collect();
                let states: Vec<(String, KeyState)> = mine
                    .iter()
                    .filter(|(k, d)| theirs.get(*k) != Some(d))
                    .map(|(k, _)| (k.clone(), self.local_state(k)))
                    .collect();
                let want: Vec<String> = theirs
                    .iter()
                    .filter(|(k, d)| mine.get(*k) != Some(d))
                    .map(|(k, _)| k.clone())
                    .collect();
                if let Some(s) = self.server() {
                    s.stats.ae_keys_sent += states.len() as u64;
                }
                if !states.is_empty() {
                    ctx.count("ae_keys_sent");
                }
                if !states.is_empty() || !want.is_empty() {
                    self.send(ctx, from, KvMsg::AeSync { states, want });
                }
            }
            KvMsg::AeSync { states, want } => {
                for (k, st) in &states {
                    self.absorb(k, st);
                }
                let back: Vec<(String, KeyState)> = want
                    .into_iter()
                    .filter(|k| self.store().is_some_and(|s| s.contains_key(k)))
                    .map(|k| {
                        let st = self.local_state(&k);
                        (k, st)
                    })
                    .collect();
                if !back.is_empty() {
                    if let Some(s) = self.server() {
                        s.stats.ae_keys_sent += back.len() as u64;
                    }
                    self.send(
                        ctx,
                        from,
                        KvMsg::AeSync {
                            states: back,
                            want: Vec::new(),
                        },
                    );
                }
            }
        }
    }

    // ----- client ----------------------------------------------------------------------------

    fn client(&mut self) -> Option<&mut Client> {
        match &mut self.kind {
            Kind::Client(c) => Some(c),
            Kind::Server(_) => None,
        }
    }

    fn client_start_next(&mut self, ctx: &mut Ctx<'_, Self>) {
        let timeout = self.config.client_timeout_ms;
        let Some(c) = self.client() else {
            return;
        };
        if c.current.is_some() {
            return;
        }
        let Some((client, request, invoked)) = c.queue.pop_front() else {
            return;
        };
        let req = c.next_req;
        c.next_req += 1;
        let to = request.node;
        let mut request = request;
        if let KvOp::Put {
            key,
            ctx: wctx,
            ctx_last: last @ true,
            ..
        } = &mut request.op
        {
            // Read-modify-write: supersede what this client last read of the key.
            *wctx = c
                .history
                .iter()
                .rev()
                .find_map(|r| match &r.reply {
                    KvReply::Read { key: k, ctx, .. } if k == key => Some(ctx.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            *last = false;
        }
        let op = request.op.clone();
        c.current = Some(Current {
            req,
            client,
            request,
            invoked,
            sent: ctx.now,
        });
        ctx.send(to, KvMsg::ClientOp { req, op });
        ctx.set_timer(KvTimer::ClientWait(req), timeout);
    }

    fn client_finish(&mut self, ctx: &mut Ctx<'_, Self>, reply: KvReply) {
        let now = ctx.now;
        match &reply {
            KvReply::Written { .. } => ctx.count("writes_acked"),
            KvReply::Read { values, .. } if values.len() > 1 => ctx.count("siblings_read"),
            KvReply::Read { .. } => ctx.count("reads_ok"),
            KvReply::Failed { .. } => ctx.count("ops_failed"),
        }
        let Some(c) = self.client() else {
            return;
        };
        let Some(cur) = c.current.take() else {
            return;
        };
        let index = c.index;
        c.history.push(OpRecord {
            client: index,
            node: cur.request.node,
            op: cur.request.op,
            invoked: cur.invoked,
            sent: cur.sent,
            completed: now,
            reply: reply.clone(),
        });
        ctx.cancel_timer(KvTimer::ClientWait(cur.req));
        ctx.reply(cur.client, reply);
        self.client_start_next(ctx);
    }

    fn client_request(&mut self, ctx: &mut Ctx<'_, Self>, client: ClientId, request: KvRequest) {
        let default_n = self.n(ctx.cluster_size);
        let now = ctx.now;
        let refuse = |reason: String| KvReply::Failed {
            key: request.op.key().to_string(),
            reason,
            unknown: false,
        };
        let problem = if request.node.index() >= ctx.cluster_size || request.node.is_client() {
            Some(format!("{} is not a server of this cluster", request.node))
        } else {
            request
                .op
                .consistency()
                .resolve(default_n, ctx.cluster_size)
                .err()
                .map(|e| format!("invalid request: {e}"))
        };
        let Some(c) = self.client() else {
            return;
        };
        let problem = problem.or_else(|| {
            (c.queue.len() >= CLIENT_QUEUE)
                .then(|| format!("too many operations queued (at most {CLIENT_QUEUE})"))
        });
        if let Some(reason) = problem {
            let reply = refuse(reason);
            c.history.push(OpRecord {
                client: c.index,
                node: request.node,
                op: request.op.clone(),
                invoked: now,
                sent: now,
                completed: now,
                reply: reply.clone(),
            });
            ctx.reply(client, reply);
            return;
        }
        c.queue.push_back((client, request, now));
        self.client_start_next(ctx);
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
