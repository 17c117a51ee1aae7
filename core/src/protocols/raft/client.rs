//! The Raft client actor (§8): a simulated client that sends its commands to servers over the
//! network, follows redirects to the leader, backs off when nobody knows a leader, retries
//! after a timeout — always with the same sequence number, so the servers' sessions apply the
//! command exactly once — and records every operation's invocation and answer (the history the
//! linearizability checker reads).

use super::msg::{ClientResult, RaftMsg};
use super::msg::{RaftReply, RaftRequest, RaftTimer};
use super::{Raft, RaftConfig};
use crate::checkers::linearizability::{Event, Op, Outcome};
use crate::kernel::node::{Client, ClientId, Ctx};
use crate::kernel::probe::{Fact, Probe};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{Field, NodeView, Role};
use std::collections::VecDeque;

/// One operation as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOp {
    /// Sequence number within the client's session.
    pub seq: u64,
    /// The operation.
    pub op: Op,
    /// When the user submitted it.
    pub invoked_at: Time,
    /// When the answer came back, and what it was.
    pub returned: Option<(Time, Outcome)>,
    /// Whether the client gave up (the operation stays indeterminate).
    pub gave_up: bool,
    /// Servers contacted, in order.
    pub hops: Vec<NodeId>,
}

impl ClientOp {
    /// This operation as a linearizability history event of client `client`.
    pub fn event(&self, client: u32) -> Event {
        match &self.returned {
            Some((at, outcome)) => Event::completed(
                client,
                self.op.clone(),
                self.invoked_at.0,
                at.0,
                outcome.clone(),
            ),
            None => Event::indeterminate(client, self.op.clone(), self.invoked_at.0),
        }
    }
}

/// A client actor's state.
#[derive(Clone, Debug)]
pub struct RaftClient {
    id: NodeId,
    servers: usize,
    timeout_ms: u64,
    max_attempts: u32,
    next_seq: u64,
    /// Every operation, oldest first; the last one may be in progress.
    history: Vec<ClientOp>,
    /// Whether the last operation of `history` is in progress.
    open: bool,
    /// Operations submitted while busy.
    queue: VecDeque<(NodeId, Op)>,
    /// The server the current attempt went to.
    target: NodeId,
    /// The leader as last learned.
    leader_hint: Option<NodeId>,
    attempts: u32,
    /// Whether the client timer is a reply timeout (`true`) or a backoff (`false`).
    awaiting_reply: bool,
}

impl RaftClient {
    /// Client `id` of a cluster of `servers` servers.
    fn build(id: NodeId, servers: usize, config: &RaftConfig) -> RaftClient {
        RaftClient {
            id,
            servers: servers.max(1),
            timeout_ms: config.client_timeout_ms,
            max_attempts: config.client_attempts,
            next_seq: 1,
            history: Vec::new(),
            open: false,
            queue: VecDeque::new(),
            target: NodeId(0),
            leader_hint: None,
            attempts: 0,
            awaiting_reply: false,
        }
    }

    /// Every operation so far, oldest first.
    pub fn history(&self) -> &[ClientOp] {
        &self.history
    }

    /// Whether an operation is in progress.
    pub fn busy(&self) -> bool {
        self.open
    }

    /// The leader this client believes in.
    pub fn leader_hint(&self) -> Option<NodeId> {
        self.leader_hint
    }

    fn index(&self) -> ClientId {
        self.id
            .client_index()
            .and_then(|k| ClientId::try_from(k).ok())
            .unwrap_or_default()
    }

    fn start(&mut self, ctx: &mut Ctx<'_, Raft>, target: NodeId, op: Op) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.history.push(ClientOp {
            seq,
            op,
            invoked_at: ctx.now,
            returned: None,
            gave_up: false,
            hops: Vec::new(),
        });
        self.open = true;
        self.attempts = 0;
        self.target = if target.index() < self.servers {
            target
        } else {
            NodeId(0)
        };
        self.send(ctx);
    }

    fn send(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let Some(current) = self.history.last_mut() else {
            return;
        };
        self.attempts += 1;
        current.hops.push(self.target);
        ctx.send(
            self.target,
            RaftMsg::ClientRequest {
                seq: current.seq,
                op: current.op.clone(),
            },
        );
        self.awaiting_reply = true;
        ctx.set_timer(RaftTimer::Client, self.timeout_ms);
    }

    fn next_server(&self, after: NodeId) -> NodeId {
        NodeId::from_index((after.index() + 1) % self.servers)
    }

    /// Wait (exponentially longer each attempt, with jitter) before trying again.
    fn backoff(&mut self, ctx: &mut Ctx<'_, Raft>, why: &str) {
        if self.attempts >= self.max_attempts {
            self.finish(ctx, None);
            return;
        }
        let base = (20u64 << self.attempts.min(5)).min(640);
        let delay = base + ctx.rng.range_inclusive(0, base / 2);
        ctx.note(format_args!("{why}; retries in {delay} ms"));
        ctx.count("client_backoffs");
        self.awaiting_reply = false;
        ctx.set_timer(RaftTimer::Client, delay);
    }

    /// The operation ends: with an answer, or given up (`None`).
    fn finish(&mut self, ctx: &mut Ctx<'_, Raft>, outcome: Option<Outcome>) {
        ctx.cancel_timer(RaftTimer::Client);
        self.open = false;
        let client = self.index();
        let Some(current) = self.history.last_mut() else {
            return;
        };
        match outcome {
            Some(outcome) => {
                current.returned = Some((ctx.now, outcome.clone()));
                ctx.reply(
                    client,
                    RaftReply::Done {
                        seq: current.seq,
                        op: current.op.clone(),
                        outcome,
                        hops: current.hops.clone(),
                    },
                );
            }
            None => {
                current.gave_up = true;
                ctx.count("client_gave_up");
                ctx.reply(
                    client,
                    RaftReply::GaveUp {
                        seq: current.seq,
                        op: current.op.clone(),
                    },
                );
            }
        }
        if let Some((target, op)) = self.queue.pop_front() {
            self.start(ctx, target, op);
        }
    }
}

impl Client<Raft> for RaftClient {
    fn new(id: NodeId, servers: &[NodeId], config: &RaftConfig) -> RaftClient {
        RaftClient::build(id, servers.len(), config)
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Raft>, _client: ClientId, request: RaftRequest) {
        let RaftRequest::Op { target, op } = request else {
            return;
        };
        if self.open {
            ctx.note(format_args!(
                "busy with #{}; queues {}",
                self.next_seq - 1,
                super::kv::short(&op)
            ));
            self.queue.push_back((target, op));
            return;
        }
        self.start(ctx, target, op);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Raft>, from: NodeId, msg: RaftMsg) {
        let RaftMsg::ClientReply { seq, result } = msg else {
            return;
        };
        let current = self.history.last().map(|o| o.seq);
        if !self.open || current != Some(seq) {
            // A late answer to an attempt already settled (or a network duplicate).
            return;
        }
        match result {
            ClientResult::Done(outcome) => {
                self.leader_hint = Some(from);
                self.finish(ctx, Some(outcome));
            }
            ClientResult::Redirect {
                leader: Some(leader),
            } if leader != from && self.attempts < self.max_attempts => {
                ctx.note(format_args!("{from} redirects to {leader}; follows"));
                ctx.count("redirects_followed");
                self.leader_hint = Some(leader);
                self.target = leader;
                self.send(ctx);
            }
            ClientResult::Redirect { .. } => {
                self.leader_hint = None;
                self.target = self.next_server(from);
                self.backoff(ctx, "no leader known");
            }
            ClientResult::Retry { why } => {
                self.backoff(ctx, why);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Raft>, timer: RaftTimer) {
        if timer != RaftTimer::Client || !self.open {
            return;
        }
        if self.awaiting_reply {
            ctx.note(format_args!(
                "no answer from {} in {} ms",
                self.target, self.timeout_ms
            ));
            ctx.count("client_timeouts");
            if self.attempts >= self.max_attempts {
                self.finish(ctx, None);
                return;
            }
            self.target = self.next_server(self.target);
        }
        self.send(ctx);
    }

    fn probe(&self, probe: &Probe<'_>) -> Fact {
        let Probe::Read(key) = probe else {
            return Fact::Unsupported;
        };
        let read = self
            .history
            .iter()
            .rev()
            .find_map(|o| match (&o.op, &o.returned) {
                (Op::Get { key: k }, Some((_, Outcome::Value(v)))) if k == key => Some(v.clone()),
                _ => None,
            });
        match read {
            Some(v) => Fact::Values(v.into_iter().collect()),
            None => Fact::Unsupported,
        }
    }

    /// The inspector view of a client.
    fn view(&self) -> NodeView {
        let show = |v: Option<NodeId>| v.map_or_else(|| "—".to_string(), |v| v.to_string());
        let mut latencies: Vec<u64> = self
            .history
            .iter()
            .filter_map(|o| o.returned.as_ref().map(|(t, _)| t.0 - o.invoked_at.0))
            .collect();
        latencies.sort_unstable();
        let gave_up = self.history.iter().filter(|o| o.gave_up).count();
        let mut fields = vec![
            Field::volatile("leader guess", show(self.leader_hint)),
            Field::volatile("operations", self.history.len()),
            Field::volatile("finished", latencies.len()),
            Field::volatile("gave up", gave_up),
        ];
        if let (Some(max), false) = (latencies.last(), latencies.is_empty()) {
            let mean = latencies.iter().sum::<u64>() / latencies.len() as u64;
            let p50 = latencies[latencies.len() / 2];
            fields.push(Field::volatile(
                "latency",
                format!("mean {mean} ms · p50 {p50} ms · max {max} ms"),
            ));
        }
        if let Some(op) = self.history.last() {
            let status = match (&op.returned, op.gave_up, self.open) {
                (Some((_, outcome)), _, _) => super::kv::describe(&op.op, outcome),
                (None, true, _) => "gave up (outcome unknown)".to_string(),
                (None, false, true) => {
                    format!("waiting on {} (attempt {})", self.target, self.attempts)
                }
                _ => "—".to_string(),
            };
            fields.push(Field::volatile(
                "latest",
                format!("#{} {}: {status}", op.seq, super::kv::short(&op.op)),
            ));
        }
        if !self.queue.is_empty() {
            fields.push(Field::volatile("queued", self.queue.len()));
        }
        let recent: Vec<String> = self
            .history
            .iter()
            .rev()
            .take(5)
            .map(|o| {
                let hops: Vec<String> = o.hops.iter().map(|h| h.to_string()).collect();
                let result = match (&o.returned, o.gave_up) {
                    (Some((at, outcome)), _) => format!(
                        "{} in {} ms",
                        super::kv::describe(&o.op, outcome),
                        at.0 - o.invoked_at.0
                    ),
                    (None, true) => "gave up: outcome unknown".to_string(),
                    (None, false) => "waiting…".to_string(),
                };
                format!(
                    "#{} {} → {result} (via {})",
                    o.seq,
                    super::kv::short(&o.op),
                    hops.join("→")
                )
            })
            .collect();
        if !recent.is_empty() {
            fields.push(Field::volatile("recent", recent.join("\n")));
        }
        NodeView {
            role: Role::CLIENT,
            term: None,
            leader: self.leader_hint,
            votes: None,
            fields,
            log: None,
            lists: Vec::new(),
            badge: None,
            tables: Vec::new(),
        }
    }
}
