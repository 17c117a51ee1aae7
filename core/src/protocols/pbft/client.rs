//! The PBFT client (§4.1): it signs each request with its id and a timestamp (1, 2, … — the same
//! on every retransmission), sends it to the replica it is told to (a backup relays it to the
//! primary), and accepts a result once `f + 1` different replicas sent matching, authentic
//! replies — at least one of them is correct, so the result is right. Replies whose signature
//! is not the claimed replica's are rejected and counted. With no answer in time it
//! retransmits the request to every replica; after `client_attempts` it gives up (the
//! operation stays indeterminate). Its history (invocation, result, return) is what the
//! linearizability checker reads.

use super::auth::Signer;
use super::msg::{ClientRequest, PbftMsg, PbftReply, PbftRequest, PbftTimer};
use super::{max_faulty, Mutant, Pbft, PbftConfig};
use crate::checkers::linearizability::{Event, Op, Outcome};
use crate::kernel::node::{Client, ClientId, Ctx};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{Field, NodeView, Role};
use crate::protocols::raft::kv::{describe, short};
use std::collections::{BTreeMap, VecDeque};

/// One operation as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PbftOp {
    /// The request's timestamp.
    pub timestamp: u64,
    /// The operation.
    pub op: Op,
    /// When the user submitted it.
    pub invoked_at: Time,
    /// When `f + 1` matching replies were in, and the result.
    pub returned: Option<(Time, Outcome)>,
    /// Whether the client gave up (the operation stays indeterminate).
    pub gave_up: bool,
    /// The replica contacted first.
    pub first_contact: NodeId,
    /// How many times it was retransmitted to every replica.
    pub broadcasts: u32,
    /// The replicas whose matching replies were accepted.
    pub agreeing: Vec<NodeId>,
}

impl PbftOp {
    /// This operation as a linearizability history event of client number `client`.
    pub fn event(&self, client: u32) -> Event {
        Event {
            client,
            op: self.op.clone(),
            invoked_at: self.invoked_at.0,
            returned: self.returned.as_ref().map(|(t, o)| (t.0, o.clone())),
            deadline: None,
        }
    }
}

/// A client actor's state.
#[derive(Clone, Debug)]
pub struct PbftClient {
    id: NodeId,
    signer: Signer,
    n: usize,
    f: usize,
    timeout_ms: u64,
    max_attempts: u32,
    accepts_one: bool,
    next_ts: u64,
    history: Vec<PbftOp>,
    /// The request in progress.
    current: Option<ClientRequest>,
    /// Operations submitted while busy.
    queue: VecDeque<(NodeId, Op)>,
    /// Authentic replies to the current request, by replica: (result, view).
    replies: BTreeMap<NodeId, (Outcome, u64)>,
    /// The view this client believes current (its primary is `view mod n`).
    view: u64,
    attempts: u32,
    forged_rejected: u64,
}

impl PbftClient {
    /// Every operation so far, oldest first.
    pub fn history(&self) -> &[PbftOp] {
        &self.history
    }

    /// Whether an operation is in progress.
    pub fn busy(&self) -> bool {
        self.current.is_some()
    }

    /// The request in progress.
    pub fn current(&self) -> Option<&ClientRequest> {
        self.current.as_ref()
    }

    /// Authentic replies to the current request so far: replica → (result, view).
    pub fn replies(&self) -> &BTreeMap<NodeId, (Outcome, u64)> {
        &self.replies
    }

    /// The view the client believes current.
    pub fn view_guess(&self) -> u64 {
        self.view
    }

    /// Replies rejected because their signature was not the claimed replica's.
    pub fn forged_rejected(&self) -> u64 {
        self.forged_rejected
    }

    /// Matching replies needed: `f + 1`.
    pub fn replies_needed(&self) -> usize {
        if self.accepts_one {
            1
        } else {
            self.f + 1
        }
    }

    fn index(&self) -> ClientId {
        self.id
            .client_index()
            .and_then(|k| ClientId::try_from(k).ok())
            .unwrap_or_default()
    }

    fn start(&mut self, ctx: &mut Ctx<'_, Pbft>, target: NodeId, op: Op) {
        let timestamp = self.next_ts;
        self.next_ts += 1;
        let target = if target.index() < self.n {
            target
        } else {
            NodeId(0)
        };
        let request = ClientRequest::new(&self.signer, timestamp, op.clone());
        self.history.push(PbftOp {
            timestamp,
            op,
            invoked_at: ctx.now,
            returned: None,
            gave_up: false,
            first_contact: target,
            broadcasts: 0,
            agreeing: Vec::new(),
        });
        self.replies.clear();
        self.attempts = 1;
        ctx.send(target, PbftMsg::Request(request.clone()));
        self.current = Some(request);
        ctx.set_timer(PbftTimer::Client, self.timeout_ms);
    }

    /// The operation ends: with `f + 1` matching results, or given up (`None`).
    fn finish(&mut self, ctx: &mut Ctx<'_, Pbft>, outcome: Option<(Outcome, Vec<NodeId>)>) {
        ctx.cancel_timer(PbftTimer::Client);
        self.current = None;
        let client = self.index();
        let Some(op) = self.history.last_mut() else {
            return;
        };
        match outcome {
            Some((outcome, agreeing)) => {
                op.returned = Some((ctx.now, outcome.clone()));
                op.agreeing = agreeing.clone();
                ctx.reply(
                    client,
                    PbftReply::Done {
                        timestamp: op.timestamp,
                        op: op.op.clone(),
                        outcome,
                        agreeing,
                    },
                );
            }
            None => {
                op.gave_up = true;
                ctx.count("client_gave_up");
                ctx.reply(
                    client,
                    PbftReply::GaveUp {
                        timestamp: op.timestamp,
                        op: op.op.clone(),
                    },
                );
            }
        }
        self.replies.clear();
        if let Some((target, op)) = self.queue.pop_front() {
            self.start(ctx, target, op);
        }
    }
}

impl Client<Pbft> for PbftClient {
    fn new(id: NodeId, servers: &[NodeId], config: &PbftConfig) -> PbftClient {
        PbftClient {
            id,
            signer: Signer::new(id),
            n: servers.len().max(1),
            f: max_faulty(servers.len()),
            timeout_ms: config.client_timeout_ms,
            max_attempts: config.client_attempts,
            accepts_one: config.mutant() == Some(Mutant::ClientAcceptsOne),
            next_ts: 1,
            history: Vec::new(),
            current: None,
            queue: VecDeque::new(),
            replies: BTreeMap::new(),
            view: 0,
            attempts: 0,
            forged_rejected: 0,
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Pbft>, _client: ClientId, request: PbftRequest) {
        if self.current.is_some() {
            ctx.note(format_args!(
                "busy with #{}; queues {}",
                self.next_ts - 1,
                short(&request.op)
            ));
            self.queue.push_back((request.target, request.op));
            return;
        }
        self.start(ctx, request.target, request.op);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Pbft>, _from: NodeId, msg: PbftMsg) {
        let PbftMsg::Reply(reply) = msg else {
            return;
        };
        if reply.replica.is_client() || reply.replica.index() >= self.n || !reply.authentic() {
            self.forged_rejected += 1;
            ctx.count("forged_rejected");
            ctx.note(format_args!(
                "rejects a reply claiming to be from {}: the signature is not {}'s",
                reply.replica, reply.replica
            ));
            return;
        }
        let Some(current) = &self.current else {
            return;
        };
        if reply.client != self.id || reply.timestamp != current.timestamp {
            return;
        }
        self.replies
            .insert(reply.replica, (reply.result.clone(), reply.view));
        let agreeing: Vec<NodeId> = self
            .replies
            .iter()
            .filter(|(_, (r, _))| *r == reply.result)
            .map(|(n, _)| *n)
            .collect();
        if agreeing.len() >= self.replies_needed() {
            let view = self
                .replies
                .values()
                .filter(|(r, _)| *r == reply.result)
                .map(|(_, v)| *v)
                .max()
                .unwrap_or(self.view);
            self.view = self.view.max(view);
            self.finish(ctx, Some((reply.result, agreeing)));
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Pbft>, timer: PbftTimer) {
        if timer != PbftTimer::Client {
            return;
        }
        let Some(request) = self.current.clone() else {
            return;
        };
        if self.attempts >= self.max_attempts {
            self.finish(ctx, None);
            return;
        }
        self.attempts += 1;
        if let Some(op) = self.history.last_mut() {
            op.broadcasts += 1;
        }
        ctx.note(format_args!(
            "no f+1 matching replies for #{} in {} ms: retransmits to every replica",
            request.timestamp, self.timeout_ms
        ));
        ctx.count("client_retransmissions");
        for i in 0..self.n {
            ctx.send(NodeId::from_index(i), PbftMsg::Request(request.clone()));
        }
        ctx.set_timer(PbftTimer::Client, self.timeout_ms);
    }

    fn view(&self) -> NodeView {
        let mut fields = vec![
            Field::volatile("view (believed)", self.view),
            Field::volatile("replies needed", format!("f+1 = {}", self.replies_needed())),
            Field::volatile("operations", self.history.len()),
            Field::volatile(
                "finished",
                self.history.iter().filter(|o| o.returned.is_some()).count(),
            ),
            Field::volatile("gave up", self.history.iter().filter(|o| o.gave_up).count()),
            Field::volatile("forged replies rejected", self.forged_rejected),
        ];
        if let Some(r) = &self.current {
            let got: Vec<String> = self
                .replies
                .iter()
                .map(|(n, (o, _))| format!("{n}:{o}"))
                .collect();
            fields.push(Field::volatile(
                "waiting",
                format!(
                    "#{} {} — replies {}",
                    r.timestamp,
                    short(&r.op),
                    got.join(" ")
                ),
            ));
        }
        let recent: Vec<String> = self
            .history
            .iter()
            .rev()
            .take(5)
            .map(|o| {
                let result = match (&o.returned, o.gave_up) {
                    (Some((at, outcome)), _) => format!(
                        "{} in {} ms",
                        describe(&o.op, outcome),
                        at.0 - o.invoked_at.0
                    ),
                    (None, true) => "gave up: outcome unknown".to_string(),
                    (None, false) => "waiting…".to_string(),
                };
                format!("#{} {} → {result}", o.timestamp, short(&o.op))
            })
            .collect();
        if !recent.is_empty() {
            fields.push(Field::volatile("recent", recent.join("\n")));
        }
        let mut v = NodeView::plain(Role::CLIENT);
        v.leader = Some(NodeId::from_index((self.view % self.n as u64) as usize));
        v.fields = fields;
        v
    }
}
