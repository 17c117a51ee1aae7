//! The lock service's checkers: god's-eye observers of every server's replicated table, every
//! worker's beliefs and the resource's writes.

use super::client::LockClient;
use super::table::Mode;
use super::Locks;
use crate::kernel::check::{Checker, CheckerInfo, Finding};
use crate::kernel::node::Actor;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::RaftServer;
use std::collections::{BTreeMap, BTreeSet};

/// Mutual exclusion.
pub const MUTUAL_EXCLUSION: &str = "mutual-exclusion";
/// Fencing tokens increase.
pub const TOKENS_INCREASE: &str = "fencing-tokens-increase";
/// The resource never accepts a stale token.
pub const NO_STALE_WRITE: &str = "no-stale-write";

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
    applied: u64,
    locks: BTreeMap<String, (BTreeSet<(NodeId, u64)>, u64)>,
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
        // Mutual exclusion in the replicated table itself.
        for (name, lock) in &table.locks {
            let exclusive = lock.holders.values().any(|(m, _)| *m == Mode::Exclusive);
            if exclusive && lock.holders.len() > 1 {
                let who: Vec<String> = lock.holders.keys().map(|c| c.to_string()).collect();
                self.report(
                    findings,
                    MUTUAL_EXCLUSION,
                    format!("table {name} {}", who.join(",")),
                    id,
                    format!(
                        "{id}'s lock table lets {} hold {name} together with an exclusive holder",
                        who.join(" and ")
                    ),
                );
            }
        }
        // Tokens: a new grant on a server gets a token above every earlier one there.
        let applied = s.last_applied();
        let seen = self.servers.entry(id).or_default();
        if applied < seen.applied {
            // Restarted: the state machine is rebuilt from the snapshot and the log.
            *seen = ServerSeen::default();
        }
        seen.applied = applied;
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
                    if !mode.compatible(*m) {
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

impl Checker<Locks> for LockChecker {
    fn properties() -> &'static [CheckerInfo] {
        &[
            CheckerInfo {
                name: MUTUAL_EXCLUSION,
                source: "Burrows, Chubby (OSDI 2006) §2.4 and §2.8; no clock drift assumed",
                summary: "no two clients hold a lock in conflicting modes while both their \
                          leases run, and no replica's table grants conflicting modes",
            },
            CheckerInfo {
                name: TOKENS_INCREASE,
                source: "Kleppmann, \"How to do distributed locking\" (2016): fencing tokens",
                summary: "every new grant of a lock carries a token above every earlier grant's",
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
