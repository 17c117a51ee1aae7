//! The store's actors: [`KvServer`] (replica and coordinator at once) and [`KvClient`].
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
use super::{ConflictMode, Dynamo, KvConfig, Mutant, REPLICA};
use crate::kernel::node::{Client, ClientId, Ctx, Server};
use crate::kernel::probe::{Fact, Probe};
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
    /// The de-duplication table: the highest request number of each client actor this server
    /// coordinated. A client runs one operation at a time, so a request numbered at or below
    /// it is a duplicate or a late copy, and is not run again — also after a restart.
    pub client_seen: BTreeMap<NodeId, u64>,
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

/// A server's state apart from its identity and configuration.
#[derive(Clone, Debug)]
struct ServerState {
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
    /// Highest request number seen per client (duplicates are ignored). Durable.
    client_seen: BTreeMap<NodeId, u64>,
    /// The last answer sent to each client actor, so a retry of that request is answered
    /// again (volatile: after a restart a retry of a request that already ran is not run and
    /// not answered — its client reports the outcome unknown, which is the truth).
    answered: BTreeMap<NodeId, (u64, KvReply)>,
    stats: ServerStats,
    /// Bumped on every change of the store (lets checkers skip unchanged stores). Unique
    /// across restarts: an incarnation starts at `boots << 32` (see [`KvServer::epoch`]).
    epoch: u64,
    /// Client writes run by the event being handled (cleared at each event; for checkers).
    executed: Vec<Executed>,
}

/// A client write this server just ran as coordinator, with the dot it issued (read by the
/// checkers after each event: a request that runs twice is a duplicate that came back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    /// The client actor.
    pub client: NodeId,
    /// Its request number.
    pub req: u64,
    /// The key written.
    pub key: String,
    /// The value written.
    pub value: String,
    /// The dot the write was issued.
    pub dot: Dot,
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
    /// Resends so far (`KvConfig::client_retries` at most).
    retries: u32,
}

/// A client actor's state apart from its identity and configuration.
#[derive(Clone, Debug)]
struct ClientState {
    index: usize,
    queue: VecDeque<(ClientId, KvRequest, Time)>,
    current: Option<Current>,
    next_req: u64,
    history: Vec<OpRecord>,
}

/// Most operations a client queues behind the one in progress.
pub const CLIENT_QUEUE: usize = 16;

/// A server of the store: a replica of the keys the ring gives it and a coordinator of any
/// client request sent to it.
#[derive(Clone, Debug)]
pub struct KvServer {
    id: NodeId,
    config: KvConfig,
    ring: Ring,
    st: ServerState,
}

/// A client actor of the store.
#[derive(Clone, Debug)]
pub struct KvClient {
    id: NodeId,
    config: KvConfig,
    st: ClientState,
}

impl KvServer {
    /// This server's id.
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

    /// Every key's state on this replica.
    pub fn store(&self) -> &Store {
        &self.st.store
    }

    /// Pending hints: (replica they are for, key).
    pub fn hints(&self) -> &BTreeSet<(NodeId, String)> {
        &self.st.hints
    }

    /// Work counters.
    pub fn stats(&self) -> &ServerStats {
        &self.st.stats
    }

    /// Store change counter (lets checkers skip unchanged stores). Never repeats across
    /// restarts: the incarnation (boot number) is in the high 32 bits and the changes since
    /// that boot in the low ones, so a restarted server that changed its store as often as
    /// before its crash still shows a new epoch.
    pub fn epoch(&self) -> u64 {
        self.st.epoch
    }

    /// The conflict mode this server actually applies (a mutant may lie about it).
    pub fn mode(&self) -> ConflictMode {
        let config = &self.config;
        if config.conflict == ConflictMode::Siblings && config.has(Mutant::LwwInSiblingsMode) {
            ConflictMode::Lww
        } else {
            config.conflict
        }
    }

    /// Replicas per key by default, bounded by the cluster.
    fn n(&self, cluster: usize) -> usize {
        self.config.replicas.min(cluster)
    }

    /// How this server's failure detector sees `peer` at `now`.
    pub fn health(&self, peer: NodeId, now: Time) -> Health {
        let s = &self.st;
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

    /// This server's own clock (virtual time plus its configured skew), for LWW timestamps.
    pub fn clock(&self, now: Time) -> i64 {
        now.0 as i64 + self.config.skew(self.id.index())
    }

    /// Every peer's health as this server sees it at `now`.
    pub fn health_view(&self, now: Time, cluster: usize) -> Vec<(NodeId, Health)> {
        (0..cluster)
            .map(NodeId::from_index)
            .filter(|p| *p != self.id)
            .map(|p| (p, self.health(p, now)))
            .collect()
    }

    /// Time of the last event this server handled (its failure detector's "now" for views).
    pub fn last_event(&self) -> Time {
        self.st.now
    }

    /// The de-duplication table: the highest request number of each client coordinated here.
    pub fn client_seen(&self) -> &BTreeMap<NodeId, u64> {
        &self.st.client_seen
    }

    /// Client writes the last handled event ran here as coordinator (for the checkers).
    pub fn executed(&self) -> &[Executed] {
        &self.st.executed
    }

    /// Keys of the operations this server is coordinating.
    pub fn pending_ops(&self) -> Vec<String> {
        self.st.ops.values().map(|o| o.key.clone()).collect()
    }

    /// Start handling an event at `now`.
    fn touch(&mut self, now: Time) {
        self.st.now = now;
        self.st.executed.clear();
    }

    fn server(&mut self) -> &mut ServerState {
        &mut self.st
    }

    // ----- helpers ---------------------------------------------------------------------------

    fn send(&mut self, ctx: &mut Ctx<'_, Dynamo>, to: NodeId, msg: KvMsg) {
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
            self.st.stats.request_msgs += 1;
        }
        ctx.send(to, msg);
    }

    /// Merge `state` into the store. Returns whether it changed.
    fn absorb(&mut self, key: &str, state: &KeyState) -> bool {
        let mode = self.mode();
        let s = self.server();
        let entry = s.store.entry(key.to_string()).or_default();
        let changed = entry.merge(state, mode);
        if changed {
            s.epoch += 1;
        }
        changed
    }

    fn local_state(&self, key: &str) -> KeyState {
        self.store().get(key).cloned().unwrap_or_default()
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, Dynamo>, origin: &Origin, reply: KvReply) {
        match origin {
            Origin::Direct(client) => ctx.reply(*client, reply),
            Origin::Remote { client, req } => {
                self.st.answered.insert(*client, (*req, reply.clone()));
                let msg = KvMsg::ClientReply {
                    req: *req,
                    reply: Box::new(reply),
                };
                self.send(ctx, *client, msg);
            }
        }
    }
}

impl Server<Dynamo> for KvServer {
    type Durable = KvDurable;

    fn new(id: NodeId, servers: &[NodeId], config: &KvConfig, durable: Option<KvDurable>) -> Self {
        let cluster_size = servers.len();
        let mut d = durable.unwrap_or_default();
        if config.has(Mutant::VolatileStoreDedup) {
            // Bug: the de-duplication table is not restored (volatile, as it once was).
            d.client_seen.clear();
        }
        KvServer {
            id,
            config: config.clone(),
            ring: Ring::new(cluster_size, config.vnodes),
            st: ServerState {
                store: d.store,
                hints: d.hints,
                boots: d.boots,
                started: Time::ZERO,
                now: Time::ZERO,
                last_heard: vec![None; cluster_size],
                ops: BTreeMap::new(),
                next_op: 1,
                ae_next: id.index(),
                client_seen: d.client_seen,
                answered: BTreeMap::new(),
                stats: ServerStats::default(),
                // The incarnation about to start is boot number `d.boots + 1`: its epochs
                // never repeat an earlier incarnation's.
                epoch: (d.boots + 1) << 32,
                executed: Vec::new(),
            },
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, Dynamo>) {
        let (hb, ae, ho) = (
            self.config.heartbeat_ms,
            self.config.anti_entropy_ms,
            self.config.handoff_ms,
        );
        let now = ctx.now;
        let s = self.server();
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

    fn on_message(&mut self, ctx: &mut Ctx<'_, Dynamo>, from: NodeId, msg: KvMsg) {
        self.touch(ctx.now);
        self.server_message(ctx, from, msg);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Dynamo>, timer: KvTimer) {
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
            KvTimer::ClientWait(_) => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Dynamo>, client: ClientId, request: KvRequest) {
        self.touch(ctx.now);
        self.coordinate(ctx, Origin::Direct(client), request.op);
    }

    fn durable(&self) -> KvDurable {
        KvDurable {
            store: self.st.store.clone(),
            hints: self.st.hints.clone(),
            boots: self.st.boots,
            client_seen: self.st.client_seen.clone(),
        }
    }

    fn role(&self) -> Role {
        REPLICA
    }

    fn view(&self) -> NodeView {
        super::view::server_view(self)
    }

    fn probe(&self, probe: &Probe<'_>) -> Fact {
        match probe {
            // Every surviving version (siblings in siblings mode), as a read here would see.
            Probe::Key(key) => Fact::Values(
                self.store()
                    .get(*key)
                    .map(|k| {
                        k.read_values(self.mode())
                            .into_iter()
                            .map(|(_, v)| v)
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => Fact::Unsupported,
        }
    }
}

impl KvClient {
    /// This client's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The configuration.
    pub fn config(&self) -> &KvConfig {
        &self.config
    }

    /// Finished operations, oldest first.
    pub fn history(&self) -> &[OpRecord] {
        &self.st.history
    }

    /// Whether nothing is in progress or queued.
    pub fn idle(&self) -> bool {
        self.st.current.is_none() && self.st.queue.is_empty()
    }

    /// Operations queued or in progress.
    pub fn pending_ops(&self) -> Vec<String> {
        self.st
            .current
            .iter()
            .map(|cur| format!("{} (sent)", cur.request))
            .chain(
                self.st
                    .queue
                    .iter()
                    .map(|(_, r, _)| format!("{r} (queued)")),
            )
            .collect()
    }

    /// Replicas per key by default, bounded by the cluster.
    fn n(&self, cluster: usize) -> usize {
        self.config.replicas.min(cluster)
    }
}

impl Client<Dynamo> for KvClient {
    fn new(id: NodeId, _servers: &[NodeId], config: &KvConfig) -> Self {
        KvClient {
            id,
            config: config.clone(),
            st: ClientState {
                index: id.client_index().unwrap_or_default(),
                queue: VecDeque::new(),
                current: None,
                next_req: 1,
                history: Vec::new(),
            },
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Dynamo>, _from: NodeId, msg: KvMsg) {
        if let KvMsg::ClientReply { req, reply } = msg {
            let current = self.st.current.as_ref().map(|c| c.req);
            if current == Some(req) {
                self.client_finish(ctx, *reply);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Dynamo>, timer: KvTimer) {
        let KvTimer::ClientWait(req) = timer else {
            return;
        };
        let timeout = self.config.client_timeout_ms;
        let retries = self.config.client_retries;
        let Some(cur) = self.st.current.as_mut().filter(|cur| cur.req == req) else {
            return;
        };
        if cur.retries < retries {
            // Resend the same request (same number) to the same server: if it already ran
            // there, the server's de-duplication table keeps it from running twice.
            cur.retries += 1;
            let (to, op, n) = (cur.request.node, cur.request.op.clone(), cur.retries);
            ctx.count("client_retries");
            ctx.note(format_args!(
                "no answer to #{req} within {timeout} ms: resending it to {to} (retry {n} of {retries})"
            ));
            ctx.send(
                to,
                KvMsg::ClientOp {
                    req,
                    op: Box::new(op),
                },
            );
            ctx.set_timer(KvTimer::ClientWait(req), timeout);
            return;
        }
        let tried = if cur.retries > 0 {
            format!(" ({} tries)", cur.retries + 1)
        } else {
            String::new()
        };
        let reply = KvReply::Failed {
            key: cur.request.op.key().to_string(),
            reason: format!(
                "no answer from {} within {} ms{tried}",
                cur.request.node, timeout
            ),
            unknown: cur.request.op.is_write(),
        };
        self.client_finish(ctx, reply);
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Dynamo>, client: ClientId, request: KvRequest) {
        self.client_request(ctx, client, request);
    }

    fn view(&self) -> NodeView {
        super::view::client_view(self)
    }

    fn probe(&self, probe: &Probe<'_>) -> Fact {
        let Probe::Read(key) = probe else {
            return Fact::Unsupported;
        };
        self.st
            .history
            .iter()
            .rev()
            .find_map(|r| match &r.reply {
                KvReply::Read { key: k, values, .. } if k == key => Some(Fact::Values(
                    values.iter().map(|(_, v)| v.clone()).collect(),
                )),
                _ => None,
            })
            .unwrap_or(Fact::Unsupported)
    }
}
