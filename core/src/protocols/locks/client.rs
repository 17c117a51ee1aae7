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

pub use super::resource::WriteRecord;
use super::table::{LockOp, LockOutcome, Mode};
use super::{DeadlockMode, LockConfig, LockMutant, LockReply, LockRequest, Locks};
use crate::kernel::mutant;
use crate::kernel::node::{Client, ClientId, Ctx};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{Field, NodeView, Role};
use crate::protocols::raft::msg::{ClientResult, RaftMsg, RaftTimer};
use std::collections::{BTreeMap, VecDeque};

/// A job: acquire its locks one after another (each in its mode, waiting for each), hold them
/// `hold_ms`, write to the resource under the last lock's token (on a lock tree, the leaf: the
/// resource itself), release them in the reverse
/// order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The server to contact first.
    pub target: NodeId,
    /// The locks with their modes, in the order they are taken.
    pub locks: Vec<(String, Mode)>,
    /// How long to hold it before writing, ms.
    pub hold_ms: u64,
    /// The worker stalls while it holds (a stop-the-world GC pause): no keep-alives go out
    /// until the hold ends, and it does not look at its lease before writing.
    pub stall: bool,
    /// Its requests' priority in the lock queues (0 = default, up to
    /// [`super::queue::MAX_PRIORITY`]).
    pub priority: u8,
}

/// Where a worker's current job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No job.
    Idle,
    /// The acquire is on its way.
    Acquiring,
    /// Queued behind other holders; keep-alives tell when it is granted (or aborted).
    Waiting {
        /// When it was queued (timeout-only mode gives up `wait_timeout_ms` later).
        since: Time,
    },
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
    pub(super) config: LockConfig,
    // --- the resource ---
    pub(super) resource: bool,
    pub(super) highest: BTreeMap<String, u64>,
    pub(super) writes: Vec<WriteRecord>,
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
    /// Which of the job's locks it is acquiring (index into `Job::locks`).
    step: usize,
    /// Locks still to release, in order, once the job ends (reverse acquisition order), and
    /// whether each was held (else it only left a queue).
    to_release: Vec<(String, bool)>,
    /// The release on its way: the lock, and whether it was held (else it left a queue).
    releasing: Option<(String, bool)>,
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

    pub(super) fn mutant(&self) -> Option<LockMutant> {
        mutant::active(self.config.mutant)
    }

    fn session_active(&self) -> bool {
        let stalled = matches!(self.phase, Phase::Holding { .. })
            && self.job.as_ref().is_some_and(|j| j.stall);
        !stalled && (!self.held.is_empty() || matches!(self.phase, Phase::Waiting { .. }))
    }

    /// Arm the one timer at the earliest deadline.
    fn arm(&self, ctx: &mut Ctx<'_, Locks>) {
        let mut next: Option<Time> = self.inflight.as_ref().map(|f| f.deadline);
        let mut consider = |t: Time| next = Some(next.map_or(t, |n| n.min(t)));
        match &self.phase {
            Phase::Holding { until, .. } | Phase::Writing { until, .. } => consider(*until),
            Phase::Waiting { since } if self.config.deadlock == DeadlockMode::Timeout => {
                consider(since.plus(self.config.wait_timeout_ms))
            }
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

    /// The lock the job is on now: the one being released, else the one being acquired.
    fn current_lock(&self) -> String {
        if let Some((lock, _)) = &self.releasing {
            return lock.clone();
        }
        self.job
            .as_ref()
            .and_then(|j| j.locks.get(self.step.min(j.locks.len().saturating_sub(1))))
            .map(|(l, _)| l.clone())
            .unwrap_or_default()
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
        self.job = Some(job);
        self.step = 0;
        self.acquire_step(ctx);
    }

    /// Send the acquire for the job's lock number `step`.
    fn acquire_step(&mut self, ctx: &mut Ctx<'_, Locks>) {
        let Some((lock, mode)) = self
            .job
            .as_ref()
            .and_then(|j| j.locks.get(self.step))
            .cloned()
        else {
            return;
        };
        let priority = self.job.as_ref().map_or(0, |j| j.priority);
        let op = LockOp::Acquire {
            lock,
            mode,
            at: ctx.now,
            lease_ms: self.config.lease_ms,
            priority,
        };
        self.phase = Phase::Acquiring;
        self.send_op(ctx, op);
    }

    /// The job ends (done, aborted or timed out): release the job's first `upto` locks in the
    /// reverse order of taking them (leaf to root), then finish. From this moment it no longer
    /// counts on any of them.
    fn release_upto(&mut self, ctx: &mut Ctx<'_, Locks>, upto: usize) {
        let Some(job) = self.job.clone() else {
            return;
        };
        self.to_release = job
            .locks
            .iter()
            .take(upto)
            .rev()
            .map(|(l, _)| (l.clone(), self.held.remove(l).is_some()))
            .collect();
        self.phase = Phase::Releasing;
        self.release_next(ctx);
    }

    fn release(&mut self, ctx: &mut Ctx<'_, Locks>) {
        let n = self.job.as_ref().map_or(0, |j| j.locks.len());
        self.release_upto(ctx, n);
    }

    /// Send the next release — once the command in flight (a keep-alive) is answered: its
    /// answer may be the news that the session expired.
    fn release_next(&mut self, ctx: &mut Ctx<'_, Locks>) {
        if self.inflight.is_some() {
            return;
        }
        if self.to_release.is_empty() {
            self.releasing = None;
            self.finish_job(ctx, None);
            return;
        }
        let (lock, was_held) = self.to_release.remove(0);
        self.releasing = Some((lock.clone(), was_held));
        let op = LockOp::Release {
            lock,
            at: ctx.now,
            lease_ms: self.config.lease_ms,
        };
        self.send_op(ctx, op);
    }

    fn finish_job(&mut self, ctx: &mut Ctx<'_, Locks>, reply: Option<LockReply>) {
        if let Some(reply) = reply {
            ctx.reply(self.user, reply);
        }
        self.job = None;
        self.phase = Phase::Idle;
        self.to_release.clear();
        self.releasing = None;
        self.start_job(ctx);
    }

    fn granted(&mut self, ctx: &mut Ctx<'_, Locks>, token: u64) {
        let Some(job) = self.job.clone() else {
            return;
        };
        let Some((lock, mode)) = job.locks.get(self.step).cloned() else {
            return;
        };
        self.held.insert(lock.clone(), (mode, token));
        ctx.count("grants");
        ctx.reply(self.user, LockReply::Granted { lock, token });
        if self.step + 1 < job.locks.len() {
            self.step += 1;
            self.acquire_step(ctx);
            return;
        }
        self.phase = Phase::Holding {
            token,
            until: ctx.now.plus(job.hold_ms),
        };
    }

    /// Its wait for the current lock was aborted (a deadlock victim): it gives the job up and
    /// releases what it took.
    fn aborted(&mut self, ctx: &mut Ctx<'_, Locks>, cycle: Vec<NodeId>) {
        ctx.count("deadlock_victims");
        let lock = self.current_lock();
        ctx.reply(self.user, LockReply::Aborted { lock, cycle });
        self.release_upto(ctx, self.step);
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
        let current = self
            .job
            .as_ref()
            .and_then(|j| j.locks.get(self.step))
            .cloned();
        let waiting_for = current.as_ref().map(|(l, _)| l.clone());
        match outcome {
            LockOutcome::Granted { token } if self.phase == Phase::Acquiring => {
                self.granted(ctx, token)
            }
            LockOutcome::Aborted { cycle } if self.phase == Phase::Acquiring => {
                self.aborted(ctx, cycle)
            }
            LockOutcome::Refused { reason } if self.phase == Phase::Acquiring => {
                ctx.count("refused");
                let lock = self.current_lock();
                ctx.reply(self.user, LockReply::Refused { lock, reason });
                self.release_upto(ctx, self.step);
            }
            LockOutcome::Queued { position } if self.phase == Phase::Acquiring => {
                self.phase = Phase::Waiting { since: ctx.now };
                if let Some(lock) = waiting_for {
                    ctx.reply(self.user, LockReply::Queued { lock, position });
                }
            }
            LockOutcome::Alive {
                held,
                waits,
                aborted,
            } => {
                // A lock it believes it holds that the service no longer lists is gone (its
                // session ended and a duplicate restarted it): stop counting on it.
                let lost: Vec<String> = self
                    .held
                    .iter()
                    .filter(|(l, (m, t))| {
                        !held
                            .iter()
                            .any(|(hl, hm, ht)| hl == *l && hm == m && ht == t)
                    })
                    .map(|(l, _)| l.clone())
                    .collect();
                if !lost.is_empty() {
                    ctx.count("holds_lost");
                    ctx.note(format_args!(
                        "the service no longer lists {}: it no longer counts on it",
                        lost.join(", ")
                    ));
                    for l in &lost {
                        self.held.remove(l);
                    }
                }
                if !matches!(self.phase, Phase::Waiting { .. }) {
                    let active =
                        matches!(self.phase, Phase::Holding { .. } | Phase::Writing { .. });
                    if !lost.is_empty() && active {
                        // The job's hold is broken: give it up, release what is left.
                        let lock = lost[0].clone();
                        ctx.reply(self.user, LockReply::Lost { lock });
                        let n = self.job.as_ref().map_or(0, |j| j.locks.len());
                        self.release_upto(ctx, n);
                    }
                    return;
                }
                // Only a hold in the mode asked for is this job's grant (the mutant
                // stale-conversion takes any hold of the lock, as before seed 168).
                let wanted = current.as_ref().map(|(_, m)| *m);
                let any_mode = self.mutant() == Some(LockMutant::StaleConversion);
                let mine = held.iter().find(|(l, m, _)| {
                    Some(l) == waiting_for.as_ref() && (any_mode || Some(*m) == wanted)
                });
                if let Some((_, _, token)) = mine {
                    self.granted(ctx, *token);
                } else if let Some(a) = aborted.filter(|a| Some(&a.lock) == waiting_for.as_ref()) {
                    self.aborted(ctx, a.cycle);
                } else if waits != waiting_for || !lost.is_empty() {
                    // Neither granted nor queued any more (or its other holds are gone).
                    let lock = waiting_for.unwrap_or_default();
                    ctx.note(format_args!(
                        "no longer queued for {lock}: gives the job up"
                    ));
                    ctx.count("waits_lost");
                    ctx.reply(self.user, LockReply::Lost { lock });
                    self.release_upto(ctx, self.step + 1);
                }
            }
            LockOutcome::SessionExpired => {
                ctx.count("sessions_lost");
                ctx.note("its session had expired: every lock it held is gone");
                let lock = self.current_lock();
                self.held.clear();
                self.lease_until = Time::ZERO;
                if self.job.is_some() {
                    self.finish_job(ctx, Some(LockReply::Lost { lock }));
                }
            }
            LockOutcome::Released | LockOutcome::NotHeld if self.phase == Phase::Releasing => {
                if let Some((lock, was_held)) = self.releasing.take() {
                    if was_held {
                        ctx.reply(self.user, LockReply::Released { lock });
                    }
                }
                self.release_next(ctx);
            }
            _ => {}
        }
    }

    fn on_due(&mut self, ctx: &mut Ctx<'_, Locks>) {
        let now = ctx.now;
        if let Phase::Holding { token, until } = self.phase.clone() {
            if until <= now {
                let Some(lock) = self
                    .job
                    .as_ref()
                    .and_then(|j| j.locks.last())
                    .map(|l| l.0.clone())
                else {
                    return;
                };
                if self.lease_until <= now {
                    ctx.note(format_args!(
                        "still believes it holds {lock} (token {token}); its lease ended at t={}",
                        self.lease_until
                    ));
                }
                self.write_seq += 1;
                ctx.send(
                    NodeId::client(0),
                    RaftMsg::ClientRequest {
                        seq: self.write_seq,
                        op: LockOp::Write { lock, token },
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
                    let lock = self.current_lock();
                    if self.phase == Phase::Releasing {
                        // A release that got no answer: go on with the next one (the lease
                        // frees this lock if the release never lands).
                        self.releasing = None;
                        self.release_next(ctx);
                    } else if self.job.is_some() {
                        // It gives the job up, but releases what the job took (and leaves the
                        // queue it may be in) rather than leave its holds to the lease.
                        ctx.reply(self.user, LockReply::GaveUp { lock });
                        self.release_upto(ctx, self.step + 1);
                    } else {
                        self.held.clear();
                    }
                } else {
                    self.target = self.next_server(f.target);
                    self.resend(ctx);
                }
            }
        }
        if let Phase::Waiting { since } = self.phase {
            let timeout = self.config.wait_timeout_ms;
            if self.config.deadlock == DeadlockMode::Timeout
                && self.inflight.is_none()
                && since.plus(timeout) <= now
            {
                // Timeout-only mode: leave the queue, release what the job took, give up.
                ctx.count("wait_timeouts");
                let lock = self.current_lock();
                ctx.reply(
                    self.user,
                    LockReply::TimedOut {
                        lock,
                        waited_ms: now.0 - since.0,
                    },
                );
                self.release_upto(ctx, self.step + 1);
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
            step: 0,
            to_release: Vec::new(),
            releasing: None,
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
                    if let Some((lock, _)) = self.job.as_ref().and_then(|j| j.locks.last()) {
                        let accepted = outcome == LockOutcome::WriteAccepted;
                        ctx.reply(
                            self.user,
                            LockReply::Wrote {
                                lock: lock.clone(),
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
                if self.phase == Phase::Releasing
                    && self.inflight.is_none()
                    && self.releasing.is_none()
                {
                    // A release deferred behind this answer.
                    self.release_next(ctx);
                }
            }
            // Only the server the current attempt went to can send it elsewhere: a duplicated
            // or late Redirect/Retry from an earlier attempt's server is ignored (each copy
            // used to trigger a resend, and the resends their own redirects: a storm).
            ClientResult::Redirect { .. } | ClientResult::Retry { .. } if from != f.target => {}
            ClientResult::Redirect { leader } => {
                self.target = leader
                    .filter(|l| *l != from)
                    .unwrap_or_else(|| self.next_server(from));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::harness::{sends, Harness};
    use crate::kernel::node::Client;

    fn sent_to(out: &crate::kernel::node::Effects<Locks>) -> Vec<NodeId> {
        sends::<Locks>(out).into_iter().map(|(to, _)| to).collect()
    }

    /// A duplicated Redirect (or a late one from an earlier attempt's server) does not make
    /// the worker resend again: only the server the current attempt went to can redirect it.
    #[test]
    fn a_duplicated_redirect_does_not_resend() {
        let h = Harness::new(3);
        let me = NodeId::client(1);
        let mut c2 = LockClient::new(me, &h.servers, &LockConfig::default());
        let job = super::super::parse_job(NodeId(0), "acquire L x 100").unwrap();
        let out = h.run::<Locks, _>(me, &mut c2, |c, ctx| {
            c.on_request(ctx, ClientId::default(), LockRequest::Job(job))
        });
        assert_eq!(sent_to(&out), [NodeId(0)]);
        let redirect = RaftMsg::ClientReply {
            seq: 1,
            result: ClientResult::Redirect {
                leader: Some(NodeId(1)),
            },
        };
        let out = h.run::<Locks, _>(me, &mut c2, |c, ctx| {
            c.on_message(ctx, NodeId(0), redirect.clone())
        });
        assert_eq!(
            sent_to(&out),
            [NodeId(1)],
            "the first copy: resend to the leader"
        );
        let out = h.run::<Locks, _>(me, &mut c2, |c, ctx| {
            c.on_message(ctx, NodeId(0), redirect.clone())
        });
        assert!(sent_to(&out).is_empty(), "a duplicate copy: nothing sent");
        let retry = RaftMsg::ClientReply {
            seq: 1,
            result: ClientResult::Retry {
                why: "stepped down",
            },
        };
        let out = h.run::<Locks, _>(me, &mut c2, |c, ctx| c.on_message(ctx, NodeId(1), retry));
        assert_eq!(
            sent_to(&out),
            [NodeId(2)],
            "the current server's Retry still counts"
        );
    }
}
