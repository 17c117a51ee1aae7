//! The store's checkers, and the analysis of client histories.
//!
//! Run after every event (see [`KvChecker`]):
//! - **dot-uniqueness** — a dot names exactly one write: never two values under one dot.
//! - **no-forgotten-write** — merging is a join: a replica's state of a key only ever gains
//!   causal coverage. A write it held is kept or causally superseded, never silently dropped
//!   (not checked in LWW mode, where dropping concurrent writes is the documented behaviour).
//! - **bounded-siblings** — stored siblings are pairwise concurrent, so there are never more
//!   of them than truly concurrent writes.
//! - **exactly-once** — a client's write request issues at most one dot: a duplicate, a late
//!   copy or a retry never runs it again (also after its coordinator restarts), so a value the
//!   client superseded never comes back as a sibling.
//!
//! A server whose store did not change since it was last checked is skipped, by its change
//! counter ([`KvServer::epoch`]), which never repeats across restarts.
//!
//! Run once the cluster has healed and settled (see [`final_check`]):
//! - **convergence** — all replicas of every key hold identical state.
//!
//! Replica sets come from the ring itself, never from one server's copy of it; a crashed
//! replica is judged by the durable state it will restart with.
//! - **no-lost-acknowledged-write** — in siblings and set modes, every write a client saw
//!   acknowledged is present or causally superseded on every replica. In LWW mode the lost
//!   acknowledged writes are *counted* ([`analyze`]), not reported: losing them is what LWW does.
//!
//! [`analyze`] turns client histories into per-level counts: availability, stale reads,
//! read-your-writes and monotonic-read anomalies, latency — anomalies of the chosen level, not
//! bugs.

use super::clock::{Dot, VersionVector};
use super::node::{KvServer, OpRecord};
use super::request::{KvOp, KvReply, Level};
use super::ring::Ring;
use super::store::{KeyState, Store};
use super::ConflictMode;
use super::Dynamo;
use crate::kernel::check::{Checker, CheckerInfo, Finding, Violation};
use crate::kernel::node::Actor;
use crate::kernel::sim::Simulator;
use crate::kernel::types::{NodeId, Time};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Name of the convergence property.
pub const CONVERGENCE: &str = "convergence";
/// Name of the lost-write property.
pub const NO_LOST_WRITE: &str = "no-lost-acknowledged-write";
/// Name of the exactly-once property: a client's write request runs at most once.
pub const EXACTLY_ONCE: &str = "exactly-once";

const PROPERTIES: &[CheckerInfo] = &[
    CheckerInfo {
        name: "dot-uniqueness",
        source: "Preguiça et al., Dotted Version Vectors (2010), §4: a dot identifies one event",
        summary: "No two different values are ever stored under the same (key, dot).",
    },
    CheckerInfo {
        name: "no-forgotten-write",
        source: "DeCandia et al., Dynamo (SOSP 2007), §4.4: reconciliation never drops a version it does not subsume",
        summary: "A replica keeps every write it held, or a version causally after it (siblings and set modes).",
    },
    CheckerInfo {
        name: "bounded-siblings",
        source: "Preguiça et al. (2010); Riak's sibling explosion",
        summary: "Stored siblings are pairwise concurrent: never more than truly concurrent writes.",
    },
    CheckerInfo {
        name: EXACTLY_ONCE,
        source: "correctness guide (exactly-once: no superseded acknowledged write reappears); \
                 DeCandia et al., Dynamo (SOSP 2007) §4.4 (reconciled-away items resurface)",
        summary: "A client's write request runs at most once — a duplicated or late copy never \
                  issues it a second dot, not even after its coordinator restarts — so a value \
                  the client superseded never comes back as a sibling.",
    },
    CheckerInfo {
        name: CONVERGENCE,
        source: "DeCandia et al., Dynamo (SOSP 2007), §4.7 (anti-entropy with Merkle trees)",
        summary: "After heal and quiescence all replicas of a key hold identical state.",
    },
    CheckerInfo {
        name: NO_LOST_WRITE,
        source: "correctness guide (Dynamo); Jepsen on Riak LWW",
        summary: "Every acknowledged write is present or causally superseded on every replica (siblings and set modes).",
    },
];

/// The store's run-time checkers.
#[derive(Clone, Debug, Default)]
pub struct KvChecker {
    /// (key, dot) → the value first seen under it.
    dots: BTreeMap<(String, Dot), String>,
    /// Per server: the store as last checked, and its change counter then.
    last: BTreeMap<NodeId, (u64, Store)>,
    /// Client write requests run so far: (client, request) → (coordinator, key, dot).
    ran: BTreeMap<(NodeId, u64), (NodeId, Dot)>,
    /// Findings already reported (each once).
    reported: BTreeSet<(&'static str, String)>,
}

impl KvChecker {
    fn report(
        &mut self,
        findings: &mut Vec<Finding>,
        checker: &'static str,
        node: NodeId,
        key: &str,
        detail: String,
    ) {
        if self.reported.insert((checker, format!("{node}/{key}"))) {
            findings.push(Finding {
                checker,
                node: Some(node),
                detail,
            });
        }
    }

    fn check_key(
        &mut self,
        findings: &mut Vec<Finding>,
        id: NodeId,
        key: &str,
        st: &KeyState,
        before: Option<&KeyState>,
        mode: ConflictMode,
    ) {
        for v in &st.versions {
            let slot = (key.to_string(), v.clock.dot);
            match self.dots.get(&slot) {
                None => {
                    self.dots.insert(slot, v.value.clone());
                }
                Some(prev) if *prev != v.value => {
                    let detail = format!(
                        "{id} stores {key}={:?} under dot {}, which already named {prev:?}",
                        v.value, v.clock.dot
                    );
                    self.report(findings, "dot-uniqueness", id, key, detail);
                }
                Some(_) => {}
            }
        }
        if mode == ConflictMode::Lww {
            return;
        }
        if let Some(before) = before {
            for v in &before.versions {
                if !st.covers(v.clock.dot) {
                    let detail = format!(
                        "{id} dropped {key}={:?} (dot {}) without a version that supersedes it; now {}",
                        v.value,
                        v.clock.dot,
                        st.compact()
                    );
                    self.report(findings, "no-forgotten-write", id, key, detail);
                }
            }
        }
        for (i, a) in st.versions.iter().enumerate() {
            for b in &st.versions[i + 1..] {
                if a.clock.dot == b.clock.dot
                    || a.clock.obsoleted_by(&b.clock)
                    || b.clock.obsoleted_by(&a.clock)
                {
                    let detail = format!(
                        "{id} keeps siblings {} and {} of {key} that are not concurrent",
                        a.clock, b.clock
                    );
                    self.report(findings, "bounded-siblings", id, key, detail);
                }
            }
        }
    }
}

impl KvChecker {
    /// Exactly-once: a client write request that runs a second time (a duplicate the
    /// coordinator did not recognise) issues a second dot for the same value.
    fn check_executions(&mut self, findings: &mut Vec<Finding>, id: NodeId, node: &KvServer) {
        for e in node.executed() {
            let Some(&(first_at, first)) = self.ran.get(&(e.client, e.req)) else {
                self.ran.insert((e.client, e.req), (id, e.dot));
                continue;
            };
            if first == e.dot {
                continue;
            }
            let superseded = node.store().get(&e.key).is_some_and(|st| {
                st.covers(first) && !st.versions.iter().any(|v| v.clock.dot == first)
            });
            let detail = format!(
                "{}'s request #{} (put {} {:?}) ran twice: at {first_at} as dot {first}, again at \
                 {id} as dot {}{}",
                e.client,
                e.req,
                e.key,
                e.value,
                e.dot,
                if superseded {
                    format!(
                        " — {first} had been superseded, so {:?} comes back as a sibling",
                        e.value
                    )
                } else {
                    String::new()
                }
            );
            let what = format!("{}#{}", e.client, e.req);
            if self.reported.insert((EXACTLY_ONCE, what)) {
                findings.push(Finding {
                    checker: EXACTLY_ONCE,
                    node: Some(id),
                    detail,
                });
            }
        }
    }
}

impl Checker<Dynamo> for KvChecker {
    fn properties() -> &'static [CheckerInfo] {
        PROPERTIES
    }

    fn observe(
        &mut self,
        _now: Time,
        id: NodeId,
        node: &Actor<Dynamo>,
        findings: &mut Vec<Finding>,
    ) {
        let Some(node) = node.server() else {
            return;
        };
        self.check_executions(findings, id, node);
        let store = node.store();
        let epoch = node.epoch();
        if self.last.get(&id).is_some_and(|(e, _)| *e == epoch) {
            return;
        }
        let previous = self.last.remove(&id).map(|(_, s)| s).unwrap_or_default();
        let mode = node.config().conflict;
        for (key, st) in store {
            self.check_key(findings, id, key, st, previous.get(key), mode);
        }
        for key in previous.keys().filter(|k| !store.contains_key(*k)) {
            if mode != ConflictMode::Lww {
                let detail = format!("{id} lost key {key} entirely");
                self.report(findings, "no-forgotten-write", id, key, detail);
            }
        }
        self.last.insert(id, (epoch, store.clone()));
    }
}

/// Every client's finished operations, clients in id order.
pub fn histories(sim: &Simulator<Dynamo>, clients: &[NodeId]) -> Vec<OpRecord> {
    records(sim, clients).cloned().collect()
}

/// The completed operations of `clients`, borrowed, in the order of [`histories`].
pub fn records<'a>(
    sim: &'a Simulator<Dynamo>,
    clients: &'a [NodeId],
) -> impl Iterator<Item = &'a OpRecord> + 'a {
    clients
        .iter()
        .filter_map(|c| sim.client(*c))
        .flat_map(|n| n.history().iter())
}

/// The ring every server uses: a function of the cluster size and `vnodes` alone, so the
/// checks never depend on one node being up.
fn ring(sim: &Simulator<Dynamo>) -> Ring {
    Ring::new(sim.cluster_size(), sim.config().vnodes)
}

/// Replicas per key (N), bounded by the cluster.
fn replicas_per_key(sim: &Simulator<Dynamo>) -> usize {
    sim.config().replicas.min(sim.cluster_size())
}

/// What `node` holds of every key: its store if it runs, the durable store it will restart
/// with if it is crashed.
fn store_of(sim: &Simulator<Dynamo>, node: NodeId) -> Option<&Store> {
    sim.server(node)
        .map(KvServer::store)
        .or_else(|| sim.crashed_durable(node).map(|d| &d.store))
}

/// What every server holds ([`store_of`]), by node index.
fn stores(sim: &Simulator<Dynamo>) -> Vec<Option<&Store>> {
    (0..sim.cluster_size())
        .map(|i| store_of(sim, NodeId::from_index(i)))
        .collect()
}

/// Every key some server stores (running or crashed), each once (at the first server that
/// stores it), without copying any.
fn stored_keys<'a>(stores: &'a [Option<&'a Store>]) -> impl Iterator<Item = &'a String> + 'a {
    stores.iter().enumerate().flat_map(move |(i, store)| {
        store
            .iter()
            .flat_map(|s| s.keys())
            .filter(move |k| !stores[..i].iter().flatten().any(|s| s.contains_key(*k)))
    })
}

/// Every key some server stores (running or crashed), with its replica set.
fn keys(sim: &Simulator<Dynamo>) -> BTreeMap<String, Vec<NodeId>> {
    let ring = ring(sim);
    let n = replicas_per_key(sim);
    let stores = stores(sim);
    stored_keys(&stores)
        .map(|k| (k.clone(), ring.replicas(k, n)))
        .collect()
}

/// A running replica's state of `key`.
fn state_at(sim: &Simulator<Dynamo>, node: NodeId, key: &str) -> Option<KeyState> {
    sim.server(node)
        .map(|n| n.store().get(key).cloned().unwrap_or_default())
}

/// The digest of a running replica's state of `key` (what [`state_at`] returns, not copied).
fn digest_at(sim: &Simulator<Dynamo>, node: NodeId, key: &str) -> Option<u64> {
    sim.server(node).map(|n| {
        n.store()
            .get(key)
            .map_or_else(|| KeyState::default().digest(), KeyState::digest)
    })
}

/// A replica's state of `key`, running or crashed (its durable state).
fn held_at(sim: &Simulator<Dynamo>, node: NodeId, key: &str) -> Option<KeyState> {
    store_of(sim, node).map(|s| s.get(key).cloned().unwrap_or_default())
}

/// Whether every running replica of every key holds the same state, and no hint is pending.
pub fn converged(sim: &Simulator<Dynamo>) -> bool {
    let n = sim.cluster_size();
    let hints_pending = (0..n)
        .filter_map(|i| sim.server(NodeId::from_index(i)))
        .any(|node| !node.hints().is_empty());
    if hints_pending {
        return false;
    }
    // Stops at the first key whose running replicas differ, copying nothing: this runs after
    // every event while a seed settles.
    let ring = ring(sim);
    let replicas = replicas_per_key(sim);
    let stores = stores(sim);
    let agree = stored_keys(&stores).all(|k| {
        let reps = ring.replicas(k, replicas);
        let mut digests = reps.iter().filter_map(|r| digest_at(sim, *r, k));
        let first = digests.next();
        digests.all(|d| Some(d) == first)
    });
    agree
}

/// The checks that need the whole settled cluster: convergence, and (siblings and set modes)
/// no lost acknowledged write. `clients` are the client actors whose histories count.
pub fn final_check(sim: &Simulator<Dynamo>, clients: &[NodeId]) -> Vec<Violation> {
    let mut out = Vec::new();
    let at = sim.now();
    let event = sim.events().saturating_sub(1);
    let keys = keys(sim);
    for (k, reps) in &keys {
        let states: Vec<(NodeId, KeyState)> = reps
            .iter()
            .filter_map(|r| state_at(sim, *r, k).map(|s| (*r, s)))
            .collect();
        if let Some((first_node, first)) = states.first() {
            if let Some((other, st)) = states.iter().find(|(_, s)| s != first) {
                out.push(Violation {
                    at,
                    event,
                    checker: CONVERGENCE,
                    node: Some(*other),
                    detail: format!(
                        "replicas of {k} differ after heal: {first_node} has {}, {other} has {}",
                        first.compact(),
                        st.compact()
                    ),
                });
            }
        }
    }
    let pending: Vec<String> = (0..sim.cluster_size())
        .filter_map(|i| sim.server(NodeId::from_index(i)).map(|n| (i, n)))
        .flat_map(|(i, n)| {
            n.hints()
                .iter()
                .map(move |(r, k)| format!("n{}: {k}→{r}", i + 1))
        })
        .collect();
    if !pending.is_empty() {
        out.push(Violation {
            at,
            event,
            checker: CONVERGENCE,
            node: None,
            detail: format!("hints never handed off: {}", pending.join(", ")),
        });
    }
    if sim.config().conflict == ConflictMode::Lww {
        return out;
    }
    let ring = ring(sim);
    let n = replicas_per_key(sim);
    for rec in records(sim, clients) {
        let KvReply::Written { key, dot, .. } = &rec.reply else {
            continue;
        };
        // Every replica is judged, a crashed one by the durable state it will restart with.
        for r in ring.replicas(key, n) {
            if let Some(st) = held_at(sim, r, key) {
                if !st.covers(*dot) {
                    out.push(Violation {
                        at,
                        event,
                        checker: NO_LOST_WRITE,
                        node: Some(r),
                        detail: format!(
                            "c{}'s acknowledged write {key} (dot {dot}, at t={}) is neither on {r} \
                             nor superseded there: {}",
                            rec.client + 1,
                            rec.completed,
                            st.compact()
                        ),
                    });
                    break;
                }
            }
        }
    }
    out
}

/// Per-level counts from client histories.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LevelStats {
    /// Operations finished (ok or not).
    pub ops: u64,
    /// Operations that succeeded.
    pub ok: u64,
    /// Reads that succeeded.
    pub reads: u64,
    /// Writes acknowledged.
    pub writes: u64,
    /// Reads missing a write acknowledged (to anyone) before the read was sent.
    pub stale_reads: u64,
    /// Reads missing the same client's own earlier acknowledged write.
    pub read_your_writes: u64,
    /// Reads that saw less than the same client's earlier read of the key.
    pub monotonic_reads: u64,
    /// Acknowledged writes neither present nor superseded at the end (LWW, or a level that
    /// cannot promise durability).
    pub lost_writes: u64,
    /// Latencies of successful operations from send to answer, ms (sorted).
    pub latencies: Vec<u64>,
}

impl LevelStats {
    /// Latency percentile `p` (0–1) of successful operations, ms.
    pub fn latency(&self, p: f64) -> u64 {
        if self.latencies.is_empty() {
            return 0;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }

    /// Percentage of operations that succeeded.
    pub fn availability(&self) -> f64 {
        if self.ops == 0 {
            100.0
        } else {
            self.ok as f64 * 100.0 / self.ops as f64
        }
    }
}

fn read_ctx(rec: &OpRecord) -> Option<&VersionVector> {
    match &rec.reply {
        KvReply::Read { ctx, .. } => Some(ctx),
        _ => None,
    }
}

/// Analyse histories. `final_state(key)` gives the settled state of a key (for lost writes).
pub fn analyze(
    history: &[OpRecord],
    final_state: impl Fn(&str) -> Option<KeyState>,
) -> BTreeMap<Level, LevelStats> {
    let mut out: BTreeMap<Level, LevelStats> = BTreeMap::new();
    let writes: Vec<(&OpRecord, Dot)> = history
        .iter()
        .filter_map(|r| match &r.reply {
            KvReply::Written { dot, .. } => Some((r, *dot)),
            _ => None,
        })
        .collect();
    for rec in history {
        let s = out.entry(rec.op.consistency().level).or_default();
        s.ops += 1;
        if !rec.reply.ok() {
            continue;
        }
        s.ok += 1;
        s.latencies.push(rec.completed.0.saturating_sub(rec.sent.0));
        let key = rec.op.key();
        match &rec.op {
            KvOp::Put { .. } => {
                s.writes += 1;
                if let KvReply::Written { dot, .. } = &rec.reply {
                    if final_state(key).is_some_and(|st| !st.covers(*dot)) {
                        s.lost_writes += 1;
                    }
                }
            }
            KvOp::Get { .. } => {
                s.reads += 1;
                let Some(ctx) = read_ctx(rec) else {
                    continue;
                };
                let before = |w: &OpRecord| w.op.key() == key && w.completed < rec.sent;
                if writes.iter().any(|(w, d)| before(w) && !ctx.covers(*d)) {
                    s.stale_reads += 1;
                }
                if writes
                    .iter()
                    .any(|(w, d)| w.client == rec.client && before(w) && !ctx.covers(*d))
                {
                    s.read_your_writes += 1;
                }
                let earlier_read_not_covered = history.iter().any(|r| {
                    r.client == rec.client
                        && r.op.key() == key
                        && r.completed < rec.sent
                        && read_ctx(r).is_some_and(|c| !c.le(ctx))
                });
                if earlier_read_not_covered {
                    s.monotonic_reads += 1;
                }
            }
        }
    }
    for s in out.values_mut() {
        s.latencies.sort_unstable();
    }
    out
}

/// The settled state of `key` as its first running replica holds it.
pub fn settled_state(sim: &Simulator<Dynamo>, key: &str) -> Option<KeyState> {
    let reps = ring(sim).replicas(key, replicas_per_key(sim));
    reps.iter().find_map(|r| state_at(sim, *r, key))
}

/// Node ids of the client actors of `sim` (those that exist, in order).
pub fn client_ids(sim: &Simulator<Dynamo>, clients: usize) -> Vec<NodeId> {
    (0..clients)
        .map(NodeId::client)
        .filter(|c| sim.node(*c).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::clock::Dotted;
    use super::super::node::KvDurable;
    use super::super::request::{KvOp, KvRequest};
    use super::super::store::Version;
    use super::super::KvConfig;
    use super::*;
    use crate::kernel::harness::Harness;
    use crate::kernel::node::Server;

    const N1: NodeId = NodeId(0);
    const N2: NodeId = NodeId(1);

    fn started(id: NodeId, durable: Option<KvDurable>) -> KvServer {
        let servers: Vec<NodeId> = (0..5).map(NodeId::from_index).collect();
        let mut s = <KvServer as Server<Dynamo>>::new(id, &servers, &KvConfig::default(), durable);
        Harness::new(5)
            .at(0)
            .run(id, &mut s, |s, ctx| s.on_start(ctx));
        s
    }

    fn write(s: &mut KvServer, text: &str) {
        let id = s.id();
        let request = KvRequest {
            node: id,
            op: KvOp::parse(text).expect("parses"),
        };
        Harness::new(5)
            .at(10)
            .run(id, s, |s, ctx| s.on_request(ctx, 0, request));
    }

    fn observe(c: &mut KvChecker, s: &KvServer) -> Vec<Finding> {
        let mut f = Vec::new();
        c.observe(Time(0), s.id(), &Actor::Server(s.clone()), &mut f);
        f
    }

    fn version(node: NodeId, counter: u64, past: &[(NodeId, u64)], value: &str) -> Version {
        let mut vv = VersionVector::new();
        for (n, c) in past {
            vv.raise(*n, *c);
        }
        Version {
            clock: Dotted {
                dot: Dot { node, counter },
                past: vv,
            },
            value: value.into(),
            ts: 0,
        }
    }

    fn with_key(key: &str, versions: Vec<Version>) -> KvDurable {
        let mut st = KeyState {
            versions,
            context: VersionVector::new(),
        };
        for v in &st.versions {
            st.context.raise(v.clock.dot.node, v.clock.dot.counter);
        }
        let mut d = KvDurable::default();
        d.store.insert(key.into(), st);
        d
    }

    /// A restarted server that changed its store as many times as before its crash must not
    /// look unchanged: its epoch carries its incarnation.
    #[test]
    fn a_restart_never_repeats_an_epoch_so_a_store_lost_across_it_is_caught() {
        let mut c = KvChecker::default();
        let mut before = started(N1, None);
        write(&mut before, "put a 1 local");
        assert!(observe(&mut c, &before).is_empty());
        // The restart comes back without key a (a durability bug), then makes one change.
        let mut d = before.durable();
        d.store.clear();
        let mut after = started(N1, Some(d));
        write(&mut after, "put b 1 local");
        assert_ne!(after.epoch(), before.epoch());
        let f = observe(&mut c, &after);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].checker, "no-forgotten-write");
        assert_eq!(f[0].detail, "n1 lost key a entirely");
    }

    #[test]
    fn two_values_under_one_dot_break_dot_uniqueness() {
        let mut c = KvChecker::default();
        let mut n1 = started(N1, None);
        write(&mut n1, "put a x local");
        assert!(observe(&mut c, &n1).is_empty());
        let forged = started(N2, Some(with_key("a", vec![version(N1, 1, &[], "y")])));
        let f = observe(&mut c, &forged);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].checker, "dot-uniqueness");
        assert_eq!(
            f[0].detail,
            "n2 stores a=\"y\" under dot n1:1, which already named \"x\""
        );
    }

    #[test]
    fn siblings_that_are_not_concurrent_break_bounded_siblings() {
        let mut c = KvChecker::default();
        let stale = with_key(
            "a",
            vec![
                version(N1, 1, &[], "old"),
                version(N1, 2, &[(N1, 1)], "new"),
            ],
        );
        let f = observe(&mut c, &started(N2, Some(stale)));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].checker, "bounded-siblings");
    }
}
