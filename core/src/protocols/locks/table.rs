//! The replicated lock table: the state machine the lock service runs on Raft.
//!
//! Every server applies the same [`LockOp`]s in log order and so holds the same table
//! (Burrows, "The Chubby lock service", OSDI 2006, §2). A grant's **fencing token** is the log
//! index of the entry that granted it (Kleppmann, "How to do distributed locking", 2016), so
//! tokens of one lock strictly increase. Sessions are **leases**: every client operation
//! renews its client's lease to `at + lease_ms` (the client's virtual time when it sent it);
//! when a lease has run out, the leader proposes an [`LockOp::Expire`] entry, and the session's
//! locks are released when that entry applies — expiry is decided through the log, so every
//! replica agrees on when it happened. Waiters queue per lock, first come first served.

use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::machine::{Applied, Command, StateMachine};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

pub use super::hierarchy::{check_name, Mode, MAX_NAME};

/// An operation in a log entry or a client request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockOp {
    /// Acquire `lock` in `mode` (granted now, or queued); renews the lease.
    Acquire {
        /// The lock.
        lock: String,
        /// The mode.
        mode: Mode,
        /// The client's virtual time when it sent the request.
        at: Time,
        /// The lease the client asks for, ms.
        lease_ms: u64,
        /// Its priority in the lock's queue, 0 (default) to [`super::queue::MAX_PRIORITY`].
        priority: u8,
    },
    /// Release `lock` (or leave its queue); renews the lease.
    Release {
        /// The lock.
        lock: String,
        /// The client's virtual time when it sent the request.
        at: Time,
        /// The lease, ms.
        lease_ms: u64,
    },
    /// Keep the session alive; the answer lists the locks the client holds.
    KeepAlive {
        /// The client's virtual time when it sent the request.
        at: Time,
        /// The lease, ms.
        lease_ms: u64,
    },
    /// Proposed by the leader: `client`'s lease ran out by `at`; end its session and release
    /// its locks (ignored if the lease was renewed meanwhile).
    Expire {
        /// The client whose session ends.
        client: NodeId,
        /// The leader's virtual time when it proposed the expiry.
        at: Time,
    },
    /// To the protected resource, never in the log: write under a lock with its token.
    Write {
        /// The lock the writer believes it holds.
        lock: String,
        /// The fencing token of its grant.
        token: u64,
    },
}

impl fmt::Display for LockOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockOp::Acquire {
                lock,
                mode,
                priority,
                ..
            } => {
                write!(f, "acquire {lock} {mode}")?;
                if *priority > 0 {
                    write!(f, " priority {priority}")?;
                }
                Ok(())
            }
            LockOp::Release { lock, .. } => write!(f, "release {lock}"),
            LockOp::KeepAlive { .. } => f.write_str("keep-alive"),
            LockOp::Expire { client, at } => write!(f, "expire {client} at t={at}"),
            LockOp::Write { lock, token } => write!(f, "write {lock} token={token}"),
        }
    }
}

/// A waiter's notice that the service aborted its wait (a deadlock victim), delivered with the
/// answer to its next keep-alive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abort {
    /// The lock it waited for.
    pub lock: String,
    /// The wait-for cycle it was in, first member repeated at the end.
    pub cycle: Vec<NodeId>,
}

/// What an operation returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockOutcome {
    /// The lock is granted with this fencing token.
    Granted {
        /// The fencing token.
        token: u64,
    },
    /// The lock is busy: the client waits in its queue at this position (1 = next).
    Queued {
        /// Position in the queue.
        position: usize,
    },
    /// Refused: the request breaks the intention rule (an ancestor not held in a suitable
    /// intention mode by the requester).
    Refused {
        /// Why, in plain words.
        reason: String,
    },
    /// Released (or left the queue).
    Released,
    /// The client neither held nor waited for the lock.
    NotHeld,
    /// The request closed a wait-for cycle and was chosen as its victim: it does not wait.
    Aborted {
        /// The cycle, first member repeated at the end.
        cycle: Vec<NodeId>,
    },
    /// The session is alive; the client holds these locks (name, mode, token).
    Alive {
        /// The locks held.
        held: Vec<(String, Mode, u64)>,
        /// The lock it waits for, if it is queued.
        waits: Option<String>,
        /// Its wait was aborted since its last command (a deadlock victim).
        aborted: Option<Abort>,
    },
    /// The client's session had expired: its locks are gone; it starts a new session.
    SessionExpired,
    /// An expiry entry applied (how many locks it released).
    Expired {
        /// Locks released.
        released: usize,
    },
    /// The resource accepted a write.
    WriteAccepted,
    /// The resource rejected a write: its token is below the highest it has seen.
    WriteRejected {
        /// The highest token the resource has seen.
        highest: u64,
    },
}

impl fmt::Display for LockOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockOutcome::Granted { token } => write!(f, "granted token={token}"),
            LockOutcome::Queued { position } => write!(f, "queued #{position}"),
            LockOutcome::Refused { reason } => write!(f, "refused: {reason}"),
            LockOutcome::Released => f.write_str("released"),
            LockOutcome::NotHeld => f.write_str("not held"),
            LockOutcome::Aborted { cycle } => write!(
                f,
                "aborted: deadlock victim, cycle {}",
                super::deadlock::cycle_text(cycle)
            ),
            LockOutcome::Alive {
                held,
                waits,
                aborted,
            } => {
                f.write_str("alive")?;
                for (lock, mode, token) in held {
                    write!(f, " {lock}:{mode}@{token}")?;
                }
                if let Some(lock) = waits {
                    write!(f, " waiting for {lock}")?;
                }
                if let Some(a) = aborted {
                    write!(
                        f,
                        "; wait for {} aborted: deadlock victim, cycle {}",
                        a.lock,
                        super::deadlock::cycle_text(&a.cycle)
                    )?;
                }
                Ok(())
            }
            LockOutcome::SessionExpired => f.write_str("session expired"),
            LockOutcome::Expired { released } => write!(f, "expired ({released} released)"),
            LockOutcome::WriteAccepted => f.write_str("write accepted"),
            LockOutcome::WriteRejected { highest } => {
                write!(f, "write rejected: token below {highest}")
            }
        }
    }
}

/// A request waiting in a lock's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    /// The client.
    pub client: NodeId,
    /// The mode it asked for.
    pub mode: Mode,
    /// The log index of the entry that queued it (its age: higher = younger).
    pub since: u64,
    /// The priority it asked for (0 = default); its effective priority ages from there
    /// ([`super::queue`]).
    pub priority: u8,
}

/// One lock: its holders and its queue of waiters (in arrival order; served by effective
/// priority, then arrival — [`super::queue`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockState {
    /// Holders: client → (mode, fencing token).
    pub holders: BTreeMap<NodeId, (Mode, u64)>,
    /// Waiters, in arrival order (the order they are served in is [`LockTable::served_order`]).
    pub queue: VecDeque<Waiter>,
    /// The highest token granted on this lock.
    pub last_token: u64,
}

/// A client's session (Chubby §2.8): its lease and the answer to its last command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Sequence number of the last applied command.
    pub seq: u64,
    /// What it returned.
    pub outcome: LockOutcome,
    /// The lease runs until then.
    pub until: Time,
    /// Its wait was aborted (a deadlock victim) and it has not been told yet.
    pub aborted: Option<Abort>,
}

/// The lock table plus the client sessions. Snapshots hold exactly this.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockTable {
    /// The locks that have holders or waiters (a free lock keeps only its last token).
    pub locks: BTreeMap<String, LockState>,
    /// Live sessions.
    pub sessions: BTreeMap<NodeId, Session>,
    /// Leases that ended through an expiry entry (coverage and the inspector).
    pub expiries: u64,
    /// Mutant `token-counter`: tokens from a per-lock counter forgotten when the lock is free.
    pub counter_tokens: bool,
    /// Mutant `stale-conversion`: a request in the other mode keeps the old hold or wait and
    /// is answered from it (granted with the old token, or queued in the old mode).
    pub stale_conversion: bool,
    /// Timeout-only mode: no deadlock detection (workers time out their waits).
    pub timeout_only: bool,
    /// Mutant `misses-3-cycle`: detection looks for 2-cycles only.
    pub two_cycles_only: bool,
    /// Mutant `follower-grant`: a follower grants acquires from its own table.
    pub follower_grants: bool,
    /// Deadlocks detected and broken so far.
    pub deadlocks: u64,
    /// The most recent deadlocks broken (at most [`super::deadlock::KEPT`]), oldest first.
    pub recent_deadlocks: VecDeque<super::deadlock::Deadlock>,
    /// The index of the last entry applied (aging is measured against it).
    pub applied: u64,
    /// How queues are ordered: aging steps (and the mutants `no-aging`, `lifo-queue`).
    pub rule: super::queue::Rule,
    /// Mutant `expiry-keeps-locks`: an expiry ends the session but does not release its locks.
    pub expiry_keeps_locks: bool,
    /// The index of the latest no-op entry: where the latest leader's term began.
    pub leader_change_at: u64,
    /// Handoffs (a queued waiter granted by a release, an expiry or a conversion) across a
    /// leader change: the waiter queued before the latest leader's term began.
    pub handoffs_across_leader_change: u64,
    /// Coverage events of the entry just applied, for the server to count (drained at once,
    /// so replicas at rest compare equal).
    pub coverage: Vec<&'static str>,
}

impl LockTable {
    /// The locks `client` holds, by name, with mode and token.
    pub fn held_by(&self, client: NodeId) -> Vec<(String, Mode, u64)> {
        self.locks
            .iter()
            .filter_map(|(name, l)| l.holders.get(&client).map(|(m, t)| (name.clone(), *m, *t)))
            .collect()
    }

    /// `name`'s waiters in the order they are served at the last applied entry, each with its
    /// effective priority (highest first, then arrival; [`super::queue`]).
    pub fn served_order(&self, name: &str) -> Vec<(Waiter, u8)> {
        let Some(lock) = self.locks.get(name) else {
            return Vec::new();
        };
        self.rule
            .order(lock.queue.iter(), self.applied)
            .into_iter()
            .filter_map(|i| lock.queue.get(i))
            .map(|w| (*w, self.rule.effective(w, self.applied)))
            .collect()
    }

    /// Grant from the head of `lock`'s queue — highest effective priority, then earliest
    /// arrival — while the head is compatible with every holder (nobody skips the head, so
    /// among equal priorities a waiter never overtakes an earlier one). Grants get token
    /// `index`.
    pub(super) fn grant_waiters(&mut self, name: &str, index: u64) {
        let counter = self.counter_tokens;
        let rule = self.rule;
        let leader_change_at = self.leader_change_at;
        let Some(lock) = self.locks.get_mut(name) else {
            return;
        };
        while let Some(head) = rule.order(lock.queue.iter(), index).first().copied() {
            let Some(&Waiter {
                client,
                mode,
                since,
                ..
            }) = lock.queue.get(head)
            else {
                break;
            };
            if !lock.holders.values().all(|(m, _)| m.compatible(mode)) {
                break;
            }
            lock.queue.remove(head);
            let token = if counter { lock.last_token + 1 } else { index };
            lock.last_token = token;
            lock.holders.insert(client, (mode, token));
            if since < index && since < leader_change_at && leader_change_at <= index {
                // Queued under an earlier leader, handed the lock under a new one.
                self.handoffs_across_leader_change += 1;
                self.coverage.push("handoffs_across_leader_change");
            }
        }
        if lock.holders.is_empty() && lock.queue.is_empty() && counter {
            // The mutant's in-memory counter is forgotten with the free lock.
            self.locks.remove(name);
        }
    }

    /// Remove `client` from every lock (holder or waiter) and grant to the next waiters.
    fn drop_client(&mut self, client: NodeId, index: u64) -> usize {
        let names: Vec<String> = self
            .locks
            .iter()
            .filter(|(_, l)| {
                l.holders.contains_key(&client) || l.queue.iter().any(|w| w.client == client)
            })
            .map(|(n, _)| n.clone())
            .collect();
        let mut released = 0;
        for name in &names {
            if let Some(l) = self.locks.get_mut(name) {
                if l.holders.remove(&client).is_some() {
                    released += 1;
                }
                l.queue.retain(|w| w.client != client);
            }
            self.grant_waiters(name, index);
        }
        released
    }

    /// The intention rule: `None` if `client` holds every ancestor of `lock` in a mode
    /// `mode` asks for, else why not.
    fn intention_missing(&self, client: NodeId, lock: &str, mode: Mode) -> Option<String> {
        for a in super::hierarchy::ancestors(lock) {
            let held = self
                .locks
                .get(a)
                .and_then(|l| l.holders.get(&client))
                .map(|(m, _)| *m);
            if !held.is_some_and(|m| mode.ancestor_modes().contains(&m)) {
                let wanted: Vec<String> = mode
                    .ancestor_modes()
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                return Some(format!(
                    "{lock} {mode} needs {a} held in {} first",
                    wanted.join(" or ")
                ));
            }
        }
        None
    }

    /// Remove `client`'s hold and wait on `name` and on every node beneath it, then grant to
    /// the next waiters there. Returns whether it held or waited for `name` itself.
    fn release_node(&mut self, client: NodeId, name: &str, index: u64) -> (bool, bool) {
        let mut held = false;
        let mut waited = false;
        let affected: Vec<String> = self
            .locks
            .range(name.to_string()..)
            .take_while(|(n, _)| n.starts_with(name))
            .filter(|(n, _)| *n == name || super::hierarchy::is_beneath(n, name))
            .map(|(n, _)| n.clone())
            .collect();
        for n in &affected {
            if let Some(l) = self.locks.get_mut(n) {
                let h = l.holders.remove(&client).is_some();
                let before = l.queue.len();
                l.queue.retain(|w| w.client != client);
                if n == name {
                    held = h;
                    waited = l.queue.len() != before;
                }
            }
            self.grant_waiters(n, index);
        }
        (held, waited)
    }

    fn apply_client(&mut self, index: u64, client: NodeId, op: &LockOp) -> LockOutcome {
        match op {
            LockOp::Acquire {
                lock,
                mode,
                priority,
                ..
            } => {
                let l = self.locks.entry(lock.clone()).or_default();
                if let Some((m, t)) = l.holders.get(&client) {
                    if *m == *mode {
                        return LockOutcome::Granted { token: *t };
                    }
                }
                if let Some(reason) = self.intention_missing(client, lock, *mode) {
                    return LockOutcome::Refused { reason };
                }
                let l = self.locks.entry(lock.clone()).or_default();
                let stale = self.stale_conversion;
                if let Some(p) = l.queue.iter().position(|w| w.client == client) {
                    if stale || l.queue[p].mode == *mode {
                        return LockOutcome::Queued { position: p + 1 };
                    }
                }
                // A request in the other mode converts the hold or the wait: the old hold is
                // released, the old place in the queue left, and the request queues like any
                // other. (Keeping the old hold and answering from it told a worker asking for
                // `x` it held the lock with its old shared token while others shared it —
                // chaos seed 411; keeping the old wait let a shared grant pass for the
                // exclusive one asked for — seed 168.)
                if !stale {
                    // Leaving a node leaves what the client holds beneath it too.
                    self.release_node(client, lock, index);
                }
                let l = self.locks.entry(lock.clone()).or_default();
                l.queue.push_back(Waiter {
                    client,
                    mode: *mode,
                    since: index,
                    priority: (*priority).min(super::queue::MAX_PRIORITY),
                });
                self.grant_waiters(lock, index);
                let l = self.locks.entry(lock.clone()).or_default();
                match l.holders.get(&client) {
                    Some((m, token)) if *m == *mode || stale => {
                        LockOutcome::Granted { token: *token }
                    }
                    _ => {
                        let order = self.served_order(lock);
                        LockOutcome::Queued {
                            position: order
                                .iter()
                                .position(|(w, _)| w.client == client)
                                .map_or(order.len(), |p| p + 1),
                        }
                    }
                }
            }
            LockOp::Release { lock, .. } => {
                let (held, waited) = self.release_node(client, lock, index);
                if held || waited {
                    LockOutcome::Released
                } else {
                    LockOutcome::NotHeld
                }
            }
            LockOp::KeepAlive { .. } => LockOutcome::Alive {
                held: self.held_by(client),
                waits: self
                    .locks
                    .iter()
                    .find(|(_, l)| l.queue.iter().any(|w| w.client == client))
                    .map(|(name, _)| name.clone()),
                aborted: self
                    .sessions
                    .get_mut(&client)
                    .and_then(|s| s.aborted.take()),
            },
            LockOp::Expire { .. } | LockOp::Write { .. } => LockOutcome::NotHeld,
        }
    }
}

impl LockTable {
    /// Deadlock detection at an entry that is no client's new command (a no-op, a duplicate,
    /// an expiry that came too late): with priorities, aging may have reordered a queue and
    /// closed a cycle. Victims learn it from their next keep-alive's answer.
    fn detect_only(&mut self, index: u64) {
        for (victim, abort) in self.break_deadlocks(index) {
            if let Some(s) = self.sessions.get_mut(&victim) {
                s.aborted = Some(abort);
            }
        }
    }
}

fn renewal(op: &LockOp) -> Option<Time> {
    match op {
        LockOp::Acquire { at, lease_ms, .. }
        | LockOp::Release { at, lease_ms, .. }
        | LockOp::KeepAlive { at, lease_ms } => Some(at.plus(*lease_ms)),
        LockOp::Expire { .. } | LockOp::Write { .. } => None,
    }
}

impl StateMachine for LockTable {
    type Op = LockOp;
    type Outcome = LockOutcome;

    fn short(op: &LockOp) -> String {
        op.to_string()
    }

    fn apply_entry(
        &mut self,
        index: u64,
        command: &Command<LockTable>,
        sessions: bool,
    ) -> Applied<LockOutcome> {
        self.applied = index;
        self.coverage.clear();
        let Command::Client { client, seq, op } = command else {
            // A no-op: a new leader's term begins here.
            self.leader_change_at = index;
            self.detect_only(index);
            return Applied::Nothing;
        };
        if let LockOp::Expire { client: who, at } = op {
            // Decided through the log: every replica ends the session at this entry, and
            // only if its lease really ran out by the time the leader proposed it.
            let due = self.sessions.get(who).is_some_and(|s| s.until <= *at);
            if !due {
                self.detect_only(index);
                return Applied::Fresh(LockOutcome::Expired { released: 0 });
            }
            self.sessions.remove(who);
            self.expiries += 1;
            if self.expiry_keeps_locks {
                // The mutant: the session ends, its holds and waits stay in the table.
                return Applied::Fresh(LockOutcome::Expired { released: 0 });
            }
            let released = self.drop_client(*who, index);
            self.break_deadlocks(index);
            return Applied::Fresh(LockOutcome::Expired { released });
        }
        let Some(until) = renewal(op) else {
            self.detect_only(index);
            return Applied::Nothing;
        };
        if let Some(s) = self.sessions.get(client).filter(|_| sessions) {
            if *seq <= s.seq {
                let cached = (*seq == s.seq).then(|| s.outcome.clone());
                self.detect_only(index);
                return Applied::Duplicate(cached);
            }
        }
        // A command from a client whose session ended (its seq continues, but the table no
        // longer knows it): it learns its locks are gone, and a new session starts.
        let expired = !self.sessions.contains_key(client) && *seq > 1;
        // An abort notice goes out with the next keep-alive's answer; any other command means
        // the client has moved on, and the notice is dropped.
        if let Some(s) = self.sessions.get_mut(client) {
            if !matches!(op, LockOp::KeepAlive { .. }) {
                s.aborted = None;
            }
        }
        let mut outcome = if expired {
            LockOutcome::SessionExpired
        } else {
            self.apply_client(index, *client, op)
        };
        // Deadlock detection on every new wait (and on every change of holders or queues).
        for (victim, abort) in self.break_deadlocks(index) {
            if victim == *client && matches!(outcome, LockOutcome::Queued { .. }) {
                outcome = LockOutcome::Aborted { cycle: abort.cycle };
            } else if let Some(s) = self.sessions.get_mut(&victim) {
                s.aborted = Some(abort);
            }
        }
        let aborted = self.sessions.get(client).and_then(|s| s.aborted.clone());
        self.sessions.insert(
            *client,
            Session {
                seq: *seq,
                outcome: outcome.clone(),
                until,
                aborted,
            },
        );
        Applied::Fresh(outcome)
    }

    fn read_key(_op: &LockOp) -> Option<&str> {
        None
    }

    fn read(&self, _op: &LockOp) -> LockOutcome {
        LockOutcome::NotHeld
    }

    fn session(&self, client: NodeId) -> Option<(u64, &LockOutcome)> {
        self.sessions.get(&client).map(|s| (s.seq, &s.outcome))
    }

    fn session_count(&self) -> usize {
        self.sessions.len()
    }

    fn forget_sessions(&mut self) {
        self.sessions.clear();
    }

    fn snapshot_label(&self) -> String {
        format!("locks={}", self.locks.len())
    }

    fn snapshot_contents(&self) -> String {
        format!(
            "{} locks, {} sessions",
            self.locks.len(),
            self.sessions.len()
        )
    }

    fn summary(&self, max: usize) -> String {
        let busy: Vec<String> = self
            .locks
            .iter()
            .filter(|(_, l)| !l.holders.is_empty() || !l.queue.is_empty())
            .take(max)
            .map(|(name, l)| {
                let holders: Vec<String> = l
                    .holders
                    .iter()
                    .map(|(c, (m, t))| format!("{c}:{m}@{t}"))
                    .collect();
                let queue: Vec<String> = l
                    .queue
                    .iter()
                    .map(|w| format!("{}:{}", w.client, w.mode))
                    .collect();
                if queue.is_empty() {
                    format!("{name}[{}]", holders.join(","))
                } else {
                    format!("{name}[{}] waiting {}", holders.join(","), queue.join(","))
                }
            })
            .collect();
        if busy.is_empty() {
            "(no locks held)".to_string()
        } else {
            busy.join(" ")
        }
    }

    fn follower_answer(&self, op: &LockOp) -> Option<LockOutcome> {
        let LockOp::Acquire { lock, mode, .. } = op else {
            return None;
        };
        if !self.follower_grants {
            return None;
        }
        // The mutant `follower-grant`: the lock looks free here, so it is granted — with no
        // log entry, from a table that may be behind the leader's.
        let l = self.locks.get(lock);
        let free = l.is_none_or(|l| {
            l.queue.is_empty() && l.holders.values().all(|(m, _)| m.compatible(*mode))
        });
        free.then(|| LockOutcome::Granted {
            token: l.map_or(0, |l| l.last_token),
        })
    }

    fn take_coverage(&mut self) -> Vec<&'static str> {
        std::mem::take(&mut self.coverage)
    }

    fn leader_proposals(&self, now: Time) -> Vec<LockOp> {
        self.sessions
            .iter()
            .filter(|(client, s)| client.is_client() && s.until <= now)
            .map(|(client, _)| LockOp::Expire {
                client: *client,
                at: now,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(client: NodeId, seq: u64, op: LockOp) -> Command<LockTable> {
        Command::Client { client, seq, op }
    }

    fn acquire(lock: &str, mode: Mode, at: u64) -> LockOp {
        LockOp::Acquire {
            lock: lock.into(),
            mode,
            at: Time(at),
            lease_ms: 100,
            priority: 0,
        }
    }

    #[test]
    fn fifo_grants_with_log_index_tokens_and_expiry_through_the_log() {
        let (a, b, c) = (NodeId::client(1), NodeId::client(2), NodeId::client(3));
        let mut t = LockTable::default();
        let out = t.apply_entry(5, &cmd(a, 1, acquire("L", Mode::Exclusive, 0)), true);
        assert_eq!(out, Applied::Fresh(LockOutcome::Granted { token: 5 }));
        let out = t.apply_entry(6, &cmd(b, 1, acquire("L", Mode::Shared, 0)), true);
        assert_eq!(out, Applied::Fresh(LockOutcome::Queued { position: 1 }));
        let out = t.apply_entry(7, &cmd(c, 1, acquire("L", Mode::Shared, 0)), true);
        assert_eq!(out, Applied::Fresh(LockOutcome::Queued { position: 2 }));
        // Not yet expired at t=50: nothing happens.
        assert!(t.leader_proposals(Time(50)).is_empty());
        let expire = LockOp::Expire {
            client: a,
            at: Time(50),
        };
        let leader = NodeId(0);
        t.apply_entry(8, &cmd(leader, 8, expire), true);
        assert_eq!(t.held_by(a).len(), 1);
        // At t=100 every lease has run out; the leader proposes all three expiries.
        assert_eq!(t.leader_proposals(Time(100)).len(), 3);
        let expire = LockOp::Expire {
            client: a,
            at: Time(100),
        };
        let out = t.apply_entry(9, &cmd(leader, 9, expire), true);
        assert_eq!(out, Applied::Fresh(LockOutcome::Expired { released: 1 }));
        // Both shared waiters are granted together, with the expiry entry's index.
        assert_eq!(t.held_by(b), vec![("L".into(), Mode::Shared, 9)]);
        assert_eq!(t.held_by(c), vec![("L".into(), Mode::Shared, 9)]);
        // a comes back: its session is gone.
        let out = t.apply_entry(10, &cmd(a, 2, acquire("L", Mode::Exclusive, 90)), true);
        assert_eq!(out, Applied::Fresh(LockOutcome::SessionExpired));
    }

    /// Chaos seed 411: c2's abandoned `acquire d s` committed late (granted, token 92), c3
    /// then shared d (token 96), and c2's `acquire d x` was answered "granted token=92" from
    /// the old shared hold while it really queued behind c3 — c2 believed it held d
    /// exclusively alongside c3. A conversion releases the old hold and queues.
    #[test]
    fn a_conversion_to_exclusive_queues_instead_of_answering_from_the_shared_hold() {
        let (c2, c3) = (NodeId::client(2), NodeId::client(3));
        for stale in [false, true] {
            let mut t = LockTable {
                stale_conversion: stale,
                ..LockTable::default()
            };
            let out = t.apply_entry(92, &cmd(c2, 1, acquire("d", Mode::Shared, 0)), true);
            assert_eq!(out, Applied::Fresh(LockOutcome::Granted { token: 92 }));
            let out = t.apply_entry(96, &cmd(c3, 1, acquire("d", Mode::Shared, 0)), true);
            assert_eq!(out, Applied::Fresh(LockOutcome::Granted { token: 96 }));
            let out = t.apply_entry(98, &cmd(c2, 2, acquire("d", Mode::Exclusive, 0)), true);
            if stale {
                // The mutant: the bug as it was.
                assert_eq!(out, Applied::Fresh(LockOutcome::Granted { token: 92 }));
                continue;
            }
            assert_eq!(out, Applied::Fresh(LockOutcome::Queued { position: 1 }));
            assert!(t.held_by(c2).is_empty());
            let release = LockOp::Release {
                lock: "d".into(),
                at: Time(0),
                lease_ms: 100,
            };
            t.apply_entry(99, &cmd(c3, 2, release), true);
            assert_eq!(t.held_by(c2), vec![("d".into(), Mode::Exclusive, 99)]);
        }
        // Waiting for s and asking for x (chaos seed 168): the wait converts, so the shared
        // grant the old wait would get is not taken for the exclusive one.
        let mut t = LockTable::default();
        t.apply_entry(5, &cmd(c2, 1, acquire("d", Mode::Exclusive, 0)), true);
        t.apply_entry(6, &cmd(c3, 1, acquire("d", Mode::Shared, 0)), true);
        let out = t.apply_entry(7, &cmd(c3, 2, acquire("d", Mode::Exclusive, 0)), true);
        assert_eq!(out, Applied::Fresh(LockOutcome::Queued { position: 1 }));
        let queue: Vec<(NodeId, Mode)> = t.locks["d"]
            .queue
            .iter()
            .map(|w| (w.client, w.mode))
            .collect();
        assert_eq!(queue, [(c3, Mode::Exclusive)]);
        // Holding x and asking for s converts too: released, then granted at once.
        let mut t = LockTable::default();
        t.apply_entry(5, &cmd(c2, 1, acquire("d", Mode::Exclusive, 0)), true);
        let out = t.apply_entry(6, &cmd(c2, 2, acquire("d", Mode::Shared, 0)), true);
        assert_eq!(out, Applied::Fresh(LockOutcome::Granted { token: 6 }));
        assert_eq!(t.held_by(c2), vec![("d".into(), Mode::Shared, 6)]);
    }

    /// Gray et al.: IX on db and db/t1 lets X on a row be granted while another client reads
    /// db/t2 under IS; S on db waits for the IX holder; an acquire without its intentions is
    /// refused; releasing db/t1 releases the row beneath it too.
    #[test]
    fn intention_locks_on_a_tree() {
        let (a, b) = (NodeId::client(1), NodeId::client(2));
        let mut t = LockTable::default();
        let mut seqs: BTreeMap<NodeId, u64> = BTreeMap::new();
        let mut go = |t: &mut LockTable, index: u64, c: NodeId, lock: &str, mode: &str| {
            let seq = seqs.entry(c).or_default();
            *seq += 1;
            let op = acquire(lock, Mode::parse(mode).unwrap(), 0);
            match t.apply_entry(index, &cmd(c, *seq, op), true) {
                Applied::Fresh(o) => o,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            go(&mut t, 1, a, "db", "ix"),
            LockOutcome::Granted { token: 1 }
        );
        assert_eq!(
            go(&mut t, 2, a, "db/t1", "ix"),
            LockOutcome::Granted { token: 2 }
        );
        assert_eq!(
            go(&mut t, 3, a, "db/t1/r1", "x"),
            LockOutcome::Granted { token: 3 }
        );
        assert_eq!(
            go(&mut t, 4, b, "db", "is"),
            LockOutcome::Granted { token: 4 }
        );
        assert_eq!(
            go(&mut t, 5, b, "db/t2", "s"),
            LockOutcome::Granted { token: 5 }
        );
        let refused = go(&mut t, 6, b, "db/t1/r2", "x");
        assert_eq!(
            refused.to_string(),
            "refused: db/t1/r2 x needs db held in ix or six first"
        );
        // S on db (a conversion of b's IS: leaving db leaves db/t2 beneath it) waits for a's IX.
        assert_eq!(
            go(&mut t, 7, b, "db", "s"),
            LockOutcome::Queued { position: 1 }
        );
        assert!(t.held_by(b).is_empty());
        let release = LockOp::Release {
            lock: "db/t1".into(),
            at: Time(0),
            lease_ms: 100,
        };
        t.apply_entry(8, &cmd(a, 4, release), true);
        assert_eq!(
            t.held_by(a),
            vec![("db".into(), Mode::IntentionExclusive, 1)]
        );
    }

    /// Priorities with aging in the table: a later high-priority request is served first
    /// while the old waiter is young, not once the old one has aged to the top; a handoff to a
    /// waiter queued under an earlier leader is counted for the server to report.
    #[test]
    fn priorities_age_and_handoffs_across_a_leader_change_are_counted() {
        let (a, b, c) = (NodeId::client(1), NodeId::client(2), NodeId::client(3));
        let prio = |lock: &str, p: u8| LockOp::Acquire {
            lock: lock.into(),
            mode: Mode::Exclusive,
            at: Time(0),
            lease_ms: 100_000,
            priority: p,
        };
        let release = |lock: &str| LockOp::Release {
            lock: lock.into(),
            at: Time(0),
            lease_ms: 100_000,
        };
        let mut t = LockTable {
            rule: super::super::queue::Rule {
                aging_entries: 2,
                ..Default::default()
            },
            ..LockTable::default()
        };
        t.apply_entry(1, &cmd(a, 1, prio("L", 0)), true);
        t.apply_entry(2, &cmd(b, 1, prio("L", 0)), true);
        let out = t.apply_entry(3, &cmd(c, 1, prio("L", 2)), true);
        // c (priority 2) goes ahead of b (priority 0, aged by one step only).
        assert_eq!(out, Applied::Fresh(LockOutcome::Queued { position: 1 }));
        let order: Vec<(NodeId, u8)> = t
            .served_order("L")
            .iter()
            .map(|(w, e)| (w.client, *e))
            .collect();
        assert_eq!(order, [(c, 2), (b, 0)]);
        // A new leader's term begins (its no-op); then a long wait: b ages to 3, c to 3, and
        // the tie goes to b, the earlier arrival; the release hands L to b across the change.
        t.apply_entry(4, &Command::Noop, true);
        assert!(t.take_coverage().is_empty());
        t.apply_entry(20, &cmd(a, 2, release("L")), true);
        assert_eq!(t.held_by(b), vec![("L".into(), Mode::Exclusive, 20)]);
        assert_eq!(t.take_coverage(), ["handoffs_across_leader_change"]);
        assert_eq!(t.handoffs_across_leader_change, 1);
        // The mutant without aging keeps serving c first however long b waited.
        let mut t = LockTable {
            rule: super::super::queue::Rule {
                aging_entries: 2,
                no_aging: true,
                ..Default::default()
            },
            ..LockTable::default()
        };
        t.apply_entry(1, &cmd(a, 1, prio("L", 0)), true);
        t.apply_entry(2, &cmd(b, 1, prio("L", 0)), true);
        t.apply_entry(3, &cmd(c, 1, prio("L", 2)), true);
        t.apply_entry(100, &cmd(a, 2, release("L")), true);
        assert_eq!(t.held_by(c).len(), 1);
    }

    #[test]
    fn names_and_modes_are_checked() {
        assert!(check_name("").unwrap_err().contains("empty"));
        assert!(Mode::parse("q").unwrap_err().contains("unknown mode"));
        assert_eq!(Mode::parse("X"), Ok(Mode::Exclusive));
    }
}
