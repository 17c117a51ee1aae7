//! The lock service's checkers: god's-eye observers of every server's replicated table, every
//! worker's beliefs and the resource's writes.

use super::client::LockClient;
use super::deadlock::{self, Deadlock};
use super::table::{LockOp, LockTable, Mode, Waiter};
use super::Locks;
use crate::kernel::check::{Checker, CheckerInfo, Finding};
use crate::kernel::node::Actor;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::machine::Command;
use crate::protocols::raft::msg::Entry;
use crate::protocols::raft::RaftServer;
use std::collections::{BTreeMap, BTreeSet};

/// Mutual exclusion.
pub const MUTUAL_EXCLUSION: &str = "mutual-exclusion";
/// Fencing tokens increase.
pub const TOKENS_INCREASE: &str = "fencing-tokens-increase";
/// The resource never accepts a stale token.
pub const NO_STALE_WRITE: &str = "no-stale-write";
/// Every holder of a node holds a suitable intention lock on its ancestors.
pub const INTENTIONS: &str = "intention-locks-held";
/// Every deadlock the service reports is a real wait-for cycle, broken by the stated rule.
pub const DEADLOCK_REAL: &str = "deadlock-is-a-real-cycle";
/// No wait-for cycle survives the entry that closed it (detection mode).
pub const DEADLOCKS_BROKEN: &str = "deadlocks-broken";
/// Grants follow effective priority, then arrival; no waiter is passed once aged to the top.
pub const FIFO_PRIORITIES: &str = "fifo-modulo-priorities";
/// A session that ended leaves no hold or wait behind, and the leader's expiry sweep ends
/// every lease that ran out.
pub const NO_LEAK: &str = "no-lock-leaked";

/// What the checkers hold across events.
#[derive(Clone, Debug, Default)]
pub struct LockChecker {
    /// Per worker: what it believed it held at its last event (lock → mode, token) and until
    /// when it trusted its lease.
    beliefs: BTreeMap<NodeId, Belief>,
    /// Per server: its lastApplied and, per lock, the holders it had and the highest token.
    servers: BTreeMap<NodeId, ServerSeen>,
    /// How many resource writes were checked.
    writes_checked: usize,
    /// Reported once per (checker, detail key).
    reported: BTreeSet<(&'static str, String)>,
}

/// What a worker believed it held (lock → mode, token) and until when it trusted its lease.
type Belief = (BTreeMap<String, (Mode, u64)>, Time);

#[derive(Clone, Debug, Default)]
struct ServerSeen {
    /// Everything the last look read from the server (see `observe_server`).
    last_look: Option<Box<Look>>,
    applied: u64,
    deadlocks: u64,
    locks: BTreeMap<String, (BTreeSet<(NodeId, u64)>, u64)>,
    /// Per lock, its queue at the last look.
    queues: BTreeMap<String, Vec<Waiter>>,
}

/// What `observe_server` reads from a server: its lastApplied, its snapshot's index, the log
/// entry at lastApplied, and its lock table. If all four are as at the last look, the checks
/// would find exactly what they found then (already reported) and leave `ServerSeen` as it is,
/// so the look is skipped: most events (heartbeats, replies) change none of them.
#[derive(Clone, Debug, PartialEq)]
struct Look {
    applied: u64,
    snapshot: u64,
    entry: Option<Entry<LockTable>>,
    table: LockTable,
}

/// A grant the FIFO checker judges: who got `lock` at log index `index`, with the priority and
/// arrival of the wait it was granted from.
struct NewGrant {
    lock: String,
    client: NodeId,
    mode: Mode,
    index: u64,
    since: u64,
    priority: u8,
}

impl LockChecker {
    fn report(
        &mut self,
        findings: &mut Vec<Finding>,
        checker: &'static str,
        key: String,
        node: NodeId,
        detail: String,
    ) {
        if self.reported.insert((checker, key)) {
            findings.push(Finding {
                checker,
                node: Some(node),
                detail,
            });
        }
    }

    fn observe_server(&mut self, id: NodeId, s: &RaftServer<Locks>, findings: &mut Vec<Finding>) {
        let table = s.kv();
        let (applied, snapshot) = (s.last_applied(), s.snapshot_index());
        let entry = s.entry(applied);
        let unchanged = self
            .servers
            .get(&id)
            .and_then(|seen| seen.last_look.as_deref())
            .is_some_and(|look| {
                look.applied == applied
                    && look.snapshot == snapshot
                    && look.entry.as_ref() == entry
                    && look.table == *table
            });
        if unchanged {
            return;
        }
        self.look_at_server(id, s, findings);
        self.servers.entry(id).or_default().last_look = Some(Box::new(Look {
            applied,
            snapshot,
            entry: entry.cloned(),
            table: table.clone(),
        }));
    }

    /// Every check of one server's state (`observe_server` skips it when nothing it reads
    /// changed).
    fn look_at_server(&mut self, id: NodeId, s: &RaftServer<Locks>, findings: &mut Vec<Finding>) {
        let table = s.kv();
        // Mutual exclusion in the replicated table itself: no two holders of a node in
        // incompatible modes; and the intention rule: every holder of a node holds a suitable
        // intention on each of its ancestors.
        for (name, lock) in &table.locks {
            let holders: Vec<(&NodeId, &Mode)> =
                lock.holders.iter().map(|(c, (m, _))| (c, m)).collect();
            for (i, (a, am)) in holders.iter().enumerate() {
                for (b, bm) in &holders[i + 1..] {
                    if !may_share(**am, **bm) {
                        self.report(
                            findings,
                            MUTUAL_EXCLUSION,
                            format!("table {name} {a},{b}"),
                            id,
                            format!(
                                "{id}'s lock table lets {a} ({am}) and {b} ({bm}) hold {name} \
                                 together: incompatible modes"
                            ),
                        );
                    }
                }
                for anc in super::hierarchy::ancestors(name) {
                    let held = table
                        .locks
                        .get(anc)
                        .and_then(|l| l.holders.get(*a))
                        .map(|(m, _)| *m);
                    if !held.is_some_and(|h| intention_covers(h, **am)) {
                        self.report(
                            findings,
                            INTENTIONS,
                            format!("{name} {a} {anc}"),
                            id,
                            format!(
                                "{id}'s lock table lets {a} hold {name} in {am} while it holds \
                                 {anc} in {}",
                                held.map_or("no mode".to_string(), |m| m.to_string())
                            ),
                        );
                    }
                }
            }
        }
        // Tokens: a new grant on a server gets a token above every earlier one there.
        let applied = s.last_applied();
        let seen = self.servers.entry(id).or_default();
        if applied < seen.applied {
            // Restarted: the state machine is rebuilt from the snapshot and the log.
            *seen = ServerSeen::default();
        }
        let before_applied = seen.applied;
        seen.applied = applied;
        let grants = new_grants(s, table, seen, before_applied, applied);
        let mut bad = Vec::new();
        for (name, lock) in &table.locks {
            let entry = seen.locks.entry(name.clone()).or_default();
            let before = entry.1;
            for (client, (_, token)) in &lock.holders {
                if !entry.0.contains(&(*client, *token)) && *token <= before {
                    bad.push((name.clone(), *client, *token, before));
                }
            }
            entry.0 = lock.holders.iter().map(|(c, (_, t))| (*c, *t)).collect();
            entry.1 = entry.1.max(lock.last_token);
        }
        seen.queues = table
            .locks
            .iter()
            .filter(|(_, l)| !l.queue.is_empty())
            .map(|(n, l)| (n.clone(), l.queue.iter().copied().collect()))
            .collect();
        let deadlocks_before = seen.deadlocks;
        seen.deadlocks = table.deadlocks;
        self.check_deadlocks(id, table, deadlocks_before, findings);
        self.check_fifo(id, table, &grants, findings);
        self.check_leaks(id, s, table, findings);
        for (name, client, token, before) in bad {
            self.report(
                findings,
                TOKENS_INCREASE,
                format!("{id} {name} {client} {token}"),
                id,
                format!(
                    "{id} granted {name} to {client} with token {token}, not above the \
                     earlier grant's token {before}"
                ),
            );
        }
    }

    /// `fifo-modulo-priorities`: no waiter still queued was due before a grant made since the
    /// last look — by the checker's own reading of the rule: effective priority =
    /// min(3, priority + entries waited / aging_entries), highest first, then arrival.
    fn check_fifo(
        &mut self,
        id: NodeId,
        table: &LockTable,
        grants: &[NewGrant],
        findings: &mut Vec<Finding>,
    ) {
        let aging = table.rule.aging();
        for g in grants {
            let Some(lock) = table.locks.get(&g.lock) else {
                continue;
            };
            let eff_g = own_effective(g.priority, g.since, g.index, aging);
            for v in lock.queue.iter().filter(|v| v.client != g.client) {
                // Still waiting now with a wait that began before the grant: it waited then.
                if v.since >= g.index {
                    continue;
                }
                let eff_v = own_effective(v.priority, v.since, g.index, aging);
                if eff_v > eff_g || (eff_v == eff_g && v.since < g.since) {
                    let why = if eff_v == eff_g {
                        format!(
                            "both at effective priority {eff_v}, and {} arrived first",
                            v.client
                        )
                    } else {
                        format!(
                            "{} was at effective priority {eff_v}, above {eff_g}",
                            v.client
                        )
                    };
                    self.report(
                        findings,
                        FIFO_PRIORITIES,
                        format!("{id} {} {} {} {}", g.lock, g.client, g.index, v.client),
                        id,
                        format!(
                            "{id} granted {} to {} ({}, priority {}, waiting since index {}) at \
                             index {} ahead of {} ({}, priority {}, waiting since index {}): {why}",
                            g.lock,
                            g.client,
                            g.mode,
                            g.priority,
                            g.since,
                            g.index,
                            v.client,
                            v.mode,
                            v.priority,
                            v.since
                        ),
                    );
                }
            }
        }
    }

    /// `no-lock-leaked`: every holder and waiter in a replica's table has a live session there
    /// (a session's end releases everything it held); and once a replica has applied the
    /// leader's expiry entry for client `y` stamped `at`, no client up to `y` (the sweep
    /// proposes them in client order, all at once) whose lease ran out by `at` is still in it.
    fn check_leaks(
        &mut self,
        id: NodeId,
        s: &RaftServer<Locks>,
        table: &LockTable,
        findings: &mut Vec<Finding>,
    ) {
        let mut leaks = Vec::new();
        for (name, lock) in &table.locks {
            let holders = lock.holders.keys().map(|c| (*c, "holds"));
            let waiters = lock.queue.iter().map(|w| (w.client, "waits for"));
            for (client, what) in holders.chain(waiters) {
                if !table.sessions.contains_key(&client) {
                    leaks.push((
                        format!("{id} {name} {client} no session"),
                        format!(
                            "{id}'s lock table says {client} {what} {name}, but {client}'s \
                             session has ended (its expiry must release its locks)"
                        ),
                    ));
                }
            }
        }
        let last = s.last_applied();
        let entry = s.entry(last);
        if let Some(Command::Client {
            op: LockOp::Expire { client: swept, at },
            ..
        }) = entry.map(|e| &e.command)
        {
            for (client, session) in table.sessions.range(..=*swept) {
                if !client.is_client() || session.until > *at {
                    continue;
                }
                let held = table.held_by(*client);
                if let Some((name, _, _)) = held.first() {
                    leaks.push((
                        format!("{id} {name} {client} swept {at}"),
                        format!(
                            "{id} applied the leader's expiry sweep at t={at} (up to {swept}, \
                             index {last}), yet {client}, whose lease ran out at t={}, still \
                             holds {name}",
                            session.until
                        ),
                    ));
                }
            }
        }
        for (key, detail) in leaks {
            self.report(findings, NO_LEAK, key, id, detail);
        }
    }

    /// `deadlock-is-a-real-cycle` on the deadlocks broken since the last look, and
    /// `deadlocks-broken` on the table as it stands.
    fn check_deadlocks(
        &mut self,
        id: NodeId,
        table: &LockTable,
        before: u64,
        findings: &mut Vec<Finding>,
    ) {
        for d in table.recent_deadlocks.iter().filter(|d| d.number > before) {
            if let Some(why) = not_a_cycle(table, d) {
                self.report(
                    findings,
                    DEADLOCK_REAL,
                    format!("{id} {} {}", d.number, d.index),
                    id,
                    format!(
                        "{id} aborted {} at index {} for the cycle {}, but {why}",
                        d.victim,
                        d.index,
                        deadlock::cycle_text(&d.members())
                    ),
                );
            }
        }
        if table.timeout_only {
            return;
        }
        if let Some(cycle) = deadlock::find_cycle(&deadlock::wait_for(table)) {
            let members = deadlock::members(&cycle);
            let mut key: Vec<NodeId> = members.clone();
            key.sort();
            self.report(
                findings,
                DEADLOCKS_BROKEN,
                format!("{id} {key:?}"),
                id,
                format!(
                    "{id}'s lock table holds the wait-for cycle {} ({}) after applying the \
                     entry that closed it: detection must leave no cycle",
                    deadlock::cycle_text(&members),
                    cycle
                        .iter()
                        .map(|e| format!("{} waits {} for {}", e.waiter, e.lock, e.blocker))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }

    fn observe_client(
        &mut self,
        now: Time,
        id: NodeId,
        c: &LockClient,
        findings: &mut Vec<Finding>,
    ) {
        if c.is_resource() {
            let writes = c.writes();
            for w in writes.iter().skip(self.writes_checked) {
                if w.accepted && w.token < w.highest_before {
                    let detail = format!(
                        "the resource accepted {}'s write under {} with token {}, below the \
                         {} it had already seen",
                        w.from, w.lock, w.token, w.highest_before
                    );
                    let key = format!("{} {} {}", w.from, w.lock, w.token);
                    findings.push(Finding {
                        checker: NO_STALE_WRITE,
                        node: Some(id),
                        detail,
                    });
                    self.reported.insert((NO_STALE_WRITE, key));
                }
            }
            self.writes_checked = writes.len();
            return;
        }
        self.beliefs.insert(id, (c.held().clone(), c.lease_until()));
        if c.lease_until() <= now {
            return;
        }
        let mine: Vec<(String, Mode, u64)> = c
            .held()
            .iter()
            .map(|(l, (m, t))| (l.clone(), *m, *t))
            .collect();
        let mut clashes = Vec::new();
        for (other, (held, until)) in &self.beliefs {
            if *other == id || *until <= now {
                continue;
            }
            for (lock, mode, token) in &mine {
                if let Some((m, t)) = held.get(lock) {
                    if !may_share(*mode, *m) {
                        clashes.push((lock.clone(), *token, *other, *t, *until));
                    }
                }
            }
        }
        for (lock, token, other, t, until) in clashes {
            self.report(
                findings,
                MUTUAL_EXCLUSION,
                format!("{lock} {id}@{token} {other}@{t}"),
                id,
                format!(
                    "{id} (token {token}) and {other} (token {t}, lease until t={until}) both \
                     hold {lock} under unexpired leases at t={now}"
                ),
            );
        }
    }
}

/// The checker's own reading of the aging rule (docs/protocols/locks.md): a priority raised by
/// one per `aging` entries waited, capped at 3.
fn own_effective(priority: u8, since: u64, index: u64, aging: u64) -> u64 {
    (u64::from(priority) + index.saturating_sub(since) / aging.max(1)).min(3)
}

/// The grants a replica made since the last look whose wait the checker can place: granted at
/// an index (the token) among the entries applied since, from a wait seen at the last look, or
/// to an acquire in that very entry (its priority read from the log).
fn new_grants(
    s: &RaftServer<Locks>,
    table: &LockTable,
    seen: &ServerSeen,
    before: u64,
    applied: u64,
) -> Vec<NewGrant> {
    let mut out = Vec::new();
    for (name, lock) in &table.locks {
        let old = seen.locks.get(name);
        for (client, (mode, token)) in &lock.holders {
            let index = *token;
            if index <= before || index > applied {
                continue;
            }
            if old.is_some_and(|(h, _)| h.contains(&(*client, index))) {
                continue;
            }
            let waited = seen.queues.get(name).and_then(|q| {
                q.iter()
                    .find(|w| w.client == *client && w.mode == *mode && w.since < index)
            });
            let (since, priority) = if let Some(w) = waited {
                (w.since, w.priority)
            } else {
                match s.entry(index).map(|e| &e.command) {
                    Some(Command::Client {
                        client: c,
                        op:
                            LockOp::Acquire {
                                lock: l,
                                mode: m,
                                priority,
                                ..
                            },
                        ..
                    }) if c == client && l == name && m == mode => (index, *priority),
                    _ => continue,
                }
            };
            out.push(NewGrant {
                lock: name.clone(),
                client: *client,
                mode: *mode,
                index,
                since,
                priority,
            });
        }
    }
    out
}

/// The checker's own reading of Gray et al.'s compatibility matrix: the pairs of modes that
/// may hold one node together (IS with IS, IX, S, SIX; IX with IX; S with S).
fn may_share(a: Mode, b: Mode) -> bool {
    use Mode::*;
    let pair = |x: Mode, y: Mode| (a == x && b == y) || (a == y && b == x);
    pair(IntentionShared, IntentionShared)
        || pair(IntentionShared, IntentionExclusive)
        || pair(IntentionShared, Shared)
        || pair(IntentionShared, SharedIntentionExclusive)
        || pair(IntentionExclusive, IntentionExclusive)
        || pair(Shared, Shared)
}

/// Gray et al.'s protocol: an ancestor held in `ancestor` covers a node held in `mode` (S or
/// IS beneath IS, IX or SIX; IX, SIX or X beneath IX or SIX).
fn intention_covers(ancestor: Mode, mode: Mode) -> bool {
    use Mode::*;
    match mode {
        Shared | IntentionShared => matches!(
            ancestor,
            IntentionShared | IntentionExclusive | SharedIntentionExclusive
        ),
        _ => matches!(ancestor, IntentionExclusive | SharedIntentionExclusive),
    }
}

/// Whether a reported deadlock is a real cycle under the stated rules: a closed chain of
/// distinct waiters, each blocked by the next in an incompatible mode (the checker's own
/// reading of the shared/exclusive matrix), the victim the youngest of the members still
/// waiting. `Some(reason)` if not.
fn not_a_cycle(table: &LockTable, d: &Deadlock) -> Option<String> {
    let cycle = &d.cycle;
    if cycle.is_empty() {
        return Some("the cycle is empty".into());
    }
    for (i, e) in cycle.iter().enumerate() {
        let next = &cycle[(i + 1) % cycle.len()];
        if e.blocker != next.waiter {
            return Some(format!(
                "{} waits for {}, not for the next member {}",
                e.waiter, e.blocker, next.waiter
            ));
        }
        let conflict = !may_share(e.mode, e.blocker_mode);
        if !conflict {
            return Some(format!(
                "{} ({}) and {} ({}) on {} are both shared: no wait",
                e.waiter, e.mode, e.blocker, e.blocker_mode, e.lock
            ));
        }
    }
    let waiters: BTreeSet<NodeId> = cycle.iter().map(|e| e.waiter).collect();
    if waiters.len() != cycle.len() {
        return Some("a member appears twice".into());
    }
    if !waiters.contains(&d.victim) {
        return Some(format!("the victim {} is not in the cycle", d.victim));
    }
    // Members still waiting where the cycle says must have waited since before the victim.
    for e in cycle.iter().filter(|e| e.waiter != d.victim) {
        let since = table
            .locks
            .get(&e.lock)
            .and_then(|l| l.queue.iter().find(|w| w.client == e.waiter))
            .map(|w| w.since);
        if let Some(since) = since.filter(|s| *s <= d.index) {
            if since > d.victim_since {
                return Some(format!(
                    "{} (waiting since index {since}) is younger than the victim (since {})",
                    e.waiter, d.victim_since
                ));
            }
        }
    }
    None
}

impl Checker<Locks> for LockChecker {
    fn properties() -> &'static [CheckerInfo] {
        &[
            CheckerInfo {
                name: MUTUAL_EXCLUSION,
                source: "Burrows, Chubby (OSDI 2006) §2.4 and §2.8; no clock drift assumed",
                summary: "no two clients hold a lock in conflicting modes (Gray et al.'s \
                          matrix) while both their leases run, and no replica's table grants \
                          conflicting modes",
            },
            CheckerInfo {
                name: TOKENS_INCREASE,
                source: "Kleppmann, \"How to do distributed locking\" (2016): fencing tokens",
                summary: "every new grant of a lock carries a token above every earlier grant's",
            },
            CheckerInfo {
                name: INTENTIONS,
                source: "Gray, Lorie, Putzolu & Traiger, \"Granularity of Locks\" (1976): the \
                         locking protocol for a hierarchy",
                summary: "every holder of a node in a lock tree holds IS/IX/SIX on each \
                          ancestor as its mode requires",
            },
            CheckerInfo {
                name: DEADLOCK_REAL,
                source: "Coffman, Elphick & Shoshani, \"System Deadlocks\" (Computing Surveys \
                         1971): circular wait; Gray & Reuter, Transaction Processing (1993) \
                         §7.11.3: victim selection",
                summary: "every deadlock the service breaks is a closed chain of waiters each \
                          blocked by the next in a conflicting mode, and its victim is the \
                          youngest wait",
            },
            CheckerInfo {
                name: DEADLOCKS_BROKEN,
                source: "Gray & Reuter, Transaction Processing (1993) §7.11.3: detection on \
                         every wait; bound stated in docs/protocols/locks.md",
                summary: "with detection on, no replica's table holds a wait-for cycle once \
                          the entry that closed it has applied (bound: zero entries)",
            },
            CheckerInfo {
                name: FIFO_PRIORITIES,
                source:
                    "Burrows, Chubby (OSDI 2006) §2.4 (fair queues); aging as in Silberschatz, \
                         Galvin & Gagne, Operating System Concepts §5.3.4; rule stated in \
                         docs/protocols/locks.md",
                summary: "each lock's grants follow effective priority (priority + entries \
                          waited / aging_entries, capped at 3), then arrival: no waiter is \
                          passed by an equal or lower one that came later, nor by anyone once \
                          aged to the top (the aging bound)",
            },
            CheckerInfo {
                name: NO_LEAK,
                source: "Burrows, Chubby (OSDI 2006) §2.8: when a session's lease expires its \
                         locks are released; bound stated in docs/protocols/locks.md",
                summary: "no replica's table lists a holder or waiter whose session ended, and \
                          once the leader's expiry sweep proposed at or after a lease's end has \
                          applied, that client holds nothing",
            },
            CheckerInfo {
                name: NO_STALE_WRITE,
                source: "Kleppmann, \"How to do distributed locking\" (2016): the storage checks \
                         tokens",
                summary: "the protected resource never accepts a write whose token is below one \
                          it has already seen",
            },
        ]
    }

    fn observe(&mut self, now: Time, id: NodeId, node: &Actor<Locks>, findings: &mut Vec<Finding>) {
        if let Some(s) = node.server() {
            self.observe_server(id, s, findings);
        } else if let Some(c) = node.client() {
            self.observe_client(now, id, c, findings);
        }
    }
}
