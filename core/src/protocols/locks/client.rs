//! The lock service's client actors: scripted workers and the protected resource.
//!
//! `c1` is the **protected resource** (Kleppmann, "How to do distributed locking"): a storage
//! node that, with fencing on, accepts a write only if its token is at least the highest token
//! it has seen for that lock. Every other client is a **worker** running jobs the user (or
//! chaos) submits: acquire a lock, hold it for a while, write to the resource with the grant's
//! fencing token, release. A worker keeps its session alive with keep-alives while it holds
//! or waits; it learns a queued grant from a keep-alive's answer. It trusts its lease until
//! `at + lease_ms` of its last acknowledged command (`at` = when it sent it) — a paused worker
//! does not notice that time passed, which is the "GC pause" that fencing exists for.

use super::table::{LockOp, LockOutcome, Mode};
use super::{LockConfig, LockMutant, LockReply, LockRequest, Locks};
use crate::kernel::mutant;
use crate::kernel::node::{Client, ClientId, Ctx};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{Field, NodeView, Role};
use crate::protocols::raft::msg::{ClientResult, RaftMsg, RaftTimer};
use std::collections::{BTreeMap, VecDeque};

/// A job: acquire `lock` in `mode`, hold it `hold_ms`, write to the resource, release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The server to contact first.
    pub target: NodeId,
    /// The lock.
    pub lock: String,
    /// The mode.
    pub mode: Mode,
    /// How long to hold it before writing, ms.
    pub hold_ms: u64,
    /// The worker stalls while it holds (a stop-the-world GC pause): no keep-alives go out
    /// until the hold ends, and it does not look at its lease before writing.
    pub stall: bool,
}

/// Where a worker's current job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No job.
    Idle,
    /// The acquire is on its way.
    Acquiring,
    /// Queued behind other holders; keep-alives tell when it is granted.
    Waiting,
    /// Holding the lock with this token until `until`, then writing.
    Holding {
        /// The fencing token.
        token: u64,
        /// When the hold ends.
        until: Time,
    },
    /// The write is on its way to the resource.
    Writing {
        /// The token written with.
        token: u64,
        /// Give up waiting for the resource then.
        until: Time,
    },
    /// The release is on its way.
    Releasing,
}

/// A write the resource received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteRecord {
    /// When.
    pub at: Time,
    /// The writer.
    pub from: NodeId,
    /// The lock it wrote under.
    pub lock: String,
    /// Its token.
    pub token: u64,
    /// The highest token the resource had seen for the lock before it.
    pub highest_before: u64,
    /// Whether the resource accepted it.
    pub accepted: bool,
}

/// A command on its way to the lock service.
#[derive(Clone, Debug)]
struct Inflight {
    seq: u64,
    op: LockOp,
    target: NodeId,
    attempts: u32,
    deadline: Time,
}

/// A lock-service client: a worker, or (`c1`) the protected resource.
#[derive(Clone, Debug)]
pub struct LockClient {
    id: NodeId,
    servers: usize,
    config: LockConfig,
    // --- the resource ---
    resource: bool,
    highest: BTreeMap<String, u64>,
    writes: Vec<WriteRecord>,
    // --- a worker ---
    user: ClientId,
    seq: u64,
    write_seq: u64,
    target: NodeId,
    inflight: Option<Inflight>,
    jobs: VecDeque<Job>,
    job: Option<Job>,
    phase: Phase,
    /// Locks it believes it holds: name → (mode, token).
    held: BTreeMap<String, (Mode, u64)>,
    /// It trusts its lease until then.
    lease_until: Time,
    /// Send a keep-alive then.
    keepalive_at: Time,
    /// When the last command the service answered was sent (`None`: none answered yet).
    answered_sent: Option<Time>,
}

impl LockClient {
    /// Its id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Whether this client is the protected resource.
    pub fn is_resource(&self) -> bool {
        self.resource
    }

    /// The resource: every write it received, in order.
    pub fn writes(&self) -> &[WriteRecord] {
        &self.writes
    }

    /// The resource: the highest token seen per lock.
    pub fn highest_tokens(&self) -> &BTreeMap<String, u64> {
        &self.highest
    }

    /// A worker: the locks it believes it holds (name → mode, token).
    pub fn held(&self) -> &BTreeMap<String, (Mode, u64)> {
        &self.held
    }

    /// A worker: until when it trusts its lease.
    pub fn lease_until(&self) -> Time {
        self.lease_until
    }

    /// A worker: when the last command the service answered was sent.
    pub fn answered_sent(&self) -> Option<Time> {
        self.answered_sent
    }

    /// A worker: its current job's phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    fn mutant(&self) -> Option<LockMutant> {
        mutant::active(self.config.mutant)
    }

    fn session_active(&self) -> bool {
        let stalled = matches!(self.phase, Phase::Holding { .. })
            && self.job.as_ref().is_some_and(|j| j.stall);
        !stalled && (!self.held.is_empty() || self.phase == Phase::Waiting)
    }

    /// Arm the one timer at the earliest deadline.
    fn arm(&self, ctx: &mut Ctx<'_, Locks>) {
        let mut next: Option<Time> = self.inflight.as_ref().map(|f| f.deadline);
        let mut consider = |t: Time| next = Some(next.map_or(t, |n| n.min(t)));
        match &self.phase {
            Phase::Holding { until, .. } | Phase::Writing { until, .. } => consider(*until),
            _ => {}
        }
        if self.session_active() && self.inflight.is_none() {
            consider(self.keepalive_at);
        }
        match next {
            // At least 1 ms: a deadline already due is handled in this input, never re-armed
            // for the same instant.
            Some(t) => ctx.set_timer(RaftTimer::Client, t.0.saturating_sub(ctx.now.0).max(1)),
            None => ctx.cancel_timer(RaftTimer::Client),
        }
    }

    fn send_op(&mut self, ctx: &mut Ctx<'_, Locks>, op: LockOp) {
        self.seq += 1;
        let deadline = ctx.now.plus(self.config.raft.client_timeout_ms);
        ctx.send(
            self.target,
            RaftMsg::ClientRequest {
                seq: self.seq,
                op: op.clone(),
            },
        );
        self.inflight = Some(Inflight {
            seq: self.seq,
            op,
            target: self.target,
            attempts: 1,
            deadline,
        });
    }

    fn resend(&mut self, ctx: &mut Ctx<'_, Locks>) {
        let timeout = self.config.raft.client_timeout_ms;
        let Some(f) = self.inflight.as_mut() else {
            return;
        };
        f.attempts += 1;
        f.target = self.target;
        f.deadline = ctx.now.plus(timeout);
        ctx.send(
            self.target,
            RaftMsg::ClientRequest {
                seq: f.seq,
                op: f.op.clone(),
            },
        );
    }

    fn next_server(&self, after: NodeId) -> NodeId {
        NodeId::from_index((after.index() + 1) % self.servers.max(1))
    }

    fn renew(&mut self, at: Time, ctx: &Ctx<'_, Locks>) {
        let lease = if self.mutant() == Some(LockMutant::LeaseOverrun) {
            self.config.lease_ms * 2
        } else {
            self.config.lease_ms
        };
        self.lease_until = self.lease_until.max(at.plus(lease));
        self.keepalive_at = ctx.now.plus(self.config.keepalive_ms);
    }

    fn start_job(&mut self, ctx: &mut Ctx<'_, Locks>) {
        if self.job.is_some() || self.inflight.is_some() {
            return;
        }
        let Some(job) = self.jobs.pop_front() else {
            return;
        };
        self.target = if job.target.index() < self.servers {
            job.target
        } else {
            NodeId(0)
        };
        let op = LockOp::Acquire {
            lock: job.lock.clone(),
            mode: job.mode,
            at: ctx.now,
            lease_ms: self.config.lease_ms,
        };
        self.job = Some(job);
        self.phase = Phase::Acquiring;
        self.send_op(ctx, op);
    }

    fn release(&mut self, ctx: &mut Ctx<'_, Locks>) {
        let Some(job) = self.job.clone() else {
            return;
        };
        // From the moment it sends the release, it no longer counts on the lock.
        self.held.remove(&job.lock);
        self.phase = Phase::Releasing;
        let op = LockOp::Release {
            lock: job.lock,
            at: ctx.now,
            lease_ms: self.config.lease_ms,
        };
        self.send_op(ctx, op);
    }

    fn finish_job(&mut self, ctx: &mut Ctx<'_, Locks>, reply: LockReply) {
        ctx.reply(self.user, reply);
        self.job = None;
        self.phase = Phase::Idle;
        self.start_job(ctx);
    }

    fn granted(&mut self, ctx: &mut Ctx<'_, Locks>, token: u64) {
        let Some(job) = self.job.clone() else {
            return;
        };
        self.held.insert(job.lock.clone(), (job.mode, token));
        self.phase = Phase::Holding {
            token,
            until: ctx.now.plus(job.hold_ms),
        };
        ctx.count("grants");
        ctx.reply(
            self.user,
            LockReply::Granted {
                lock: job.lock,
                token,
            },
        );
    }

    fn on_answer(&mut self, ctx: &mut Ctx<'_, Locks>, op: LockOp, outcome: LockOutcome) {
        match &op {
            LockOp::Acquire { at, .. }
            | LockOp::Release { at, .. }
            | LockOp::KeepAlive { at, .. }
                if outcome != LockOutcome::SessionExpired =>
            {
                self.renew(*at, ctx);
            }
            _ => {}
        }
        let waiting_for = self.job.as_ref().map(|j| j.lock.clone());
        match outcome {
            LockOutcome::Granted { token } if self.phase == Phase::Acquiring => {
                self.granted(ctx, token)
            }
            LockOutcome::Queued { position } if self.phase == Phase::Acquiring => {
                self.phase = Phase::Waiting;
                if let Some(lock) = waiting_for {
                    ctx.reply(self.user, LockReply::Queued { lock, position });
                }
            }
            LockOutcome::Alive { held } if self.phase == Phase::Waiting => {
                // Only a hold in the mode asked for is this job's grant (the mutant
                // stale-conversion takes any hold of the lock, as before seed 168).
                let wanted = self.job.as_ref().map(|j| j.mode);
                let any_mode = self.mutant() == Some(LockMutant::StaleConversion);
                let mine = held.iter().find(|(l, m, _)| {
                    Some(l) == waiting_for.as_ref() && (any_mode || Some(*m) == wanted)
                });
                if let Some((_, _, token)) = mine {
                    self.granted(ctx, *token);
                }
            }
            LockOutcome::SessionExpired => {
                ctx.count("sessions_lost");
                ctx.note("its session had expired: every lock it held is gone");
                self.held.clear();
                self.lease_until = Time::ZERO;
                if let Some(job) = self.job.clone() {
                    let lock = job.lock;
                    self.finish_job(ctx, LockReply::Lost { lock });
                }
            }
            LockOutcome::Released | LockOutcome::NotHeld if self.phase == Phase::Releasing => {
                if let Some(lock) = waiting_for {
                    self.finish_job(ctx, LockReply::Released { lock });
                }
            }
            _ => {}
        }
    }

    fn on_due(&mut self, ctx: &mut Ctx<'_, Locks>) {
        let now = ctx.now;
        if let Phase::Holding { token, until } = self.phase.clone() {
            if until <= now {
                let Some(job) = self.job.clone() else {
                    return;
                };
                if self.lease_until <= now {
                    ctx.note(format!(
                        "still believes it holds {} (token {token}); its lease ended at t={}",
                        job.lock, self.lease_until
                    ));
                }
                self.write_seq += 1;
                ctx.send(
                    NodeId::client(0),
                    RaftMsg::ClientRequest {
                        seq: self.write_seq,
                        op: LockOp::Write {
                            lock: job.lock,
                            token,
                        },
                    },
                );
                self.phase = Phase::Writing {
                    token,
                    until: now.plus(self.config.raft.client_timeout_ms),
                };
            }
        }
        if let Phase::Writing { until, .. } = self.phase {
            if until <= now {
                ctx.note("no answer from the resource; releases anyway");
                self.release(ctx);
            }
        }
        if let Some(f) = &self.inflight {
            if f.deadline <= now {
                if f.attempts >= self.config.raft.client_attempts {
                    ctx.count("client_gave_up");
                    self.inflight = None;
                    self.held.clear();
                    if let Some(job) = self.job.clone() {
                        self.finish_job(ctx, LockReply::GaveUp { lock: job.lock });
                    }
                } else {
                    self.target = self.next_server(f.target);
                    self.resend(ctx);
                }
            }
        }
        if self.inflight.is_none() && self.session_active() && self.keepalive_at <= now {
            let op = LockOp::KeepAlive {
                at: now,
                lease_ms: self.config.lease_ms,
            };
            self.send_op(ctx, op);
        }
    }

    fn on_resource_write(&mut self, ctx: &mut Ctx<'_, Locks>, from: NodeId, seq: u64, op: LockOp) {
        let LockOp::Write { lock, token } = op else {
            return;
        };
        let highest = self.highest.get(&lock).copied().unwrap_or(0);
        let check = self.config.fencing && self.mutant() != Some(LockMutant::NoFencingCheck);
        let accepted = !check || token >= highest;
        if accepted {
            if token < highest {
                ctx.count("stale_writes_accepted");
                ctx.note(format!(
                    "accepts {from}'s write under {lock} with stale token {token} (it has seen \
                     {highest}): the data is corrupted"
                ));
            }
            self.highest.insert(lock.clone(), highest.max(token));
        } else {
            ctx.count("fenced_writes_rejected");
            ctx.note(format!(
                "rejects {from}'s write under {lock}: token {token} is below {highest}"
            ));
        }
        self.writes.push(WriteRecord {
            at: ctx.now,
            from,
            lock,
            token,
            highest_before: highest,
            accepted,
        });
        let outcome = if accepted {
            LockOutcome::WriteAccepted
        } else {
            LockOutcome::WriteRejected { highest }
        };
        ctx.send(
            from,
            RaftMsg::ClientReply {
                seq,
                result: ClientResult::Done(outcome),
            },
        );
    }
}

impl Client<Locks> for LockClient {
    fn new(id: NodeId, servers: &[NodeId], config: &LockConfig) -> LockClient {
        LockClient {
            id,
            servers: servers.len(),
            config: config.clone(),
            resource: id == NodeId::client(0),
            highest: BTreeMap::new(),
            writes: Vec::new(),
            user: id
                .client_index()
                .and_then(|k| ClientId::try_from(k).ok())
                .unwrap_or_default(),
            seq: 0,
            write_seq: 0,
            target: NodeId(0),
            inflight: None,
            jobs: VecDeque::new(),
            job: None,
            phase: Phase::Idle,
            held: BTreeMap::new(),
            lease_until: Time::ZERO,
            keepalive_at: Time::ZERO,
            answered_sent: None,
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Ctx<'_, Locks>,
        from: NodeId,
        msg: RaftMsg<super::LockTable>,
    ) {
        if self.resource {
            if let RaftMsg::ClientRequest { seq, op } = msg {
                self.on_resource_write(ctx, from, seq, op);
            }
            return;
        }
        let RaftMsg::ClientReply { seq, result } = msg else {
            return;
        };
        if from == NodeId::client(0) {
            // The resource's answer to a write.
            if let (Phase::Writing { token, .. }, ClientResult::Done(outcome)) =
                (self.phase.clone(), result)
            {
                if seq == self.write_seq {
                    if let Some(job) = self.job.clone() {
                        let accepted = outcome == LockOutcome::WriteAccepted;
                        ctx.reply(
                            self.user,
                            LockReply::Wrote {
                                lock: job.lock,
                                token,
                                accepted,
                            },
                        );
                    }
                    self.release(ctx);
                    self.arm(ctx);
                }
            }
            return;
        }
        let Some(f) = self.inflight.clone() else {
            return;
        };
        if f.seq != seq {
            return;
        }
        match result {
            ClientResult::Done(outcome) => {
                self.target = from;
                self.inflight = None;
                if let LockOp::Acquire { at, .. }
                | LockOp::Release { at, .. }
                | LockOp::KeepAlive { at, .. } = &f.op
                {
                    self.answered_sent = Some(*at);
                }
                self.on_answer(ctx, f.op, outcome);
            }
            ClientResult::Redirect { leader } => {
                self.target = leader.unwrap_or_else(|| self.next_server(from));
                self.resend(ctx);
            }
            ClientResult::Retry { .. } => {
                self.target = self.next_server(from);
                self.resend(ctx);
            }
        }
        self.arm(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Locks>, timer: RaftTimer) {
        if timer == RaftTimer::Client && !self.resource {
            self.on_due(ctx);
            self.arm(ctx);
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Locks>, client: ClientId, request: LockRequest) {
        if self.resource {
            ctx.note("c1 is the protected resource: it takes writes from workers, not jobs");
            return;
        }
        let LockRequest::Job(job) = request;
        self.user = client;
        self.jobs.push_back(job);
        self.start_job(ctx);
        self.arm(ctx);
    }

    fn role(&self) -> Role {
        if self.resource {
            super::RESOURCE
        } else {
            Role::CLIENT
        }
    }

    fn view(&self) -> NodeView {
        let mut view = NodeView::plain(self.role());
        if self.resource {
            let accepted = self.writes.iter().filter(|w| w.accepted).count();
            view.fields = vec![
                Field::volatile("fencing", if self.config.fencing { "on" } else { "off" }),
                Field::volatile(
                    "writes",
                    format!(
                        "{accepted} accepted, {} rejected",
                        self.writes.len() - accepted
                    ),
                ),
                Field::volatile(
                    "highest tokens",
                    self.highest
                        .iter()
                        .map(|(l, t)| format!("{l}={t}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ];
        } else {
            let held: Vec<String> = self
                .held
                .iter()
                .map(|(l, (m, t))| format!("{l}:{m}@{t}"))
                .collect();
            view.fields = vec![
                Field::volatile("job", format!("{:?}", self.phase)),
                Field::volatile("believes it holds", held.join(" ")),
                Field::volatile("trusts its lease until", format!("t={}", self.lease_until)),
                Field::volatile("jobs queued", self.jobs.len()),
            ];
        }
        view
    }
}
