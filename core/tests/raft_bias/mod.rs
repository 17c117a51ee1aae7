//! A biased fault search for Raft's Figure 8 (the paper's §5.4.2): random, seeded, and still a
//! search rather than a script — but its faults react to what the cluster does, which today's
//! chaos driver cannot (its faults fire at random times, blind to leader changes).
//!
//! Figure 8's history needs, in order: a leader that appended an entry and reached only part of
//! the cluster before it was cut off; a new leader of a later term whose own entry at that
//! index stays with it alone because it is cut off the moment it wins; the first leader back
//! in a still later term, copying its old-term entry to a majority — one entry per
//! AppendEntries, so the old entry can reach a majority before the new term's no-op; and that
//! leader cut off before its no-op is everywhere, so the second one can win again and overwrite
//! the entry. The bias plays exactly those moves at random: on every new leader, cut it off
//! (alone) with probability 0.9 after 1–120 ms; on every client entry a leader appends, cut it
//! off with one random follower with probability ⅓ after 1–100 ms; heal everything every
//! 1.5–5 s; clients write to the leader every 20–80 ms. (Tuned on seeds 0–199: with 1–60 ms,
//! ½ and heals every 0.3–1.5 s, 3 seeds of 200 found it; with these settings, 131.)
//!
//! The Raft configuration sends one entry per AppendEntries (`batching` and `pipelining` off,
//! `max_batch` 1), as the Figure 8 scenario does: with batching the old entry and the no-op
//! always travel together and the history cannot occur.
//!
//! What the chaos driver would need to run this as ordinary chaos: a protocol-supplied fault
//! chooser called after every step, before the generic one, with the simulator and its own
//! state (`fn react(&mut Self::Bias, &mut SimRng, &Simulator<Self>) -> Vec<(u64, Control)>`:
//! controls to apply after a delay, ≥ 1 ms so the scenario replays exactly), plus a per-mutant
//! configuration (already `chaos_config`).
// Each test file uses the part it needs.
#![allow(dead_code)]

use netsplit_core::kernel::check::Violation;
use netsplit_core::kernel::config::ClusterConfig;
use netsplit_core::kernel::net::NetConfig;
use netsplit_core::kernel::node::Server;
use netsplit_core::kernel::rng::SimRng;
use netsplit_core::kernel::sim::Simulator;
use netsplit_core::protocols::raft::{self, Mutant, Raft, RaftConfig};
use netsplit_core::run::scenario::{Scenario, TimedAction};
use netsplit_core::{Control, NodeId, Time};

/// Virtual time each seed runs for.
pub const RUN_MS: u64 = 30_000;

/// Chance that a new leader is cut off (alone), and the most it waits before, ms.
const P_NEW_LEADER: f64 = 0.9;
const NEW_LEADER_MAX_MS: u64 = 120;
/// Chance that a leader appending a client entry is cut off with one follower, and the most it
/// waits before, ms.
const P_APPEND: f64 = 1.0 / 3.0;
const APPEND_MAX_MS: u64 = 100;
/// Everything heals every so often (ms): long enough for cut-off leaders to step down and the
/// rest to elect, short enough for old leaders to come back.
const HEAL_MS: (u64, u64) = (1500, 5000);

/// Random stream of the bias (forked from the seed, apart from the simulator's streams).
const BIAS_STREAM: u64 = 0xF18;

/// The Raft configuration the search runs (one entry per AppendEntries).
pub fn config(mutant: Option<Mutant>) -> RaftConfig {
    RaftConfig {
        batching: false,
        pipelining: false,
        max_batch: 1,
        snapshot_every: 0,
        mutant,
        ..RaftConfig::default()
    }
}

/// One seed's outcome.
pub struct Outcome {
    /// The first violation, if any.
    pub violation: Option<Violation>,
    /// The run as a replayable scenario.
    pub scenario: Scenario,
    /// Leaders elected.
    pub leaders: u64,
}

/// The current leader (highest term among running leaders), if any.
fn leader(sim: &Simulator<Raft>) -> Option<(NodeId, u64, u64)> {
    (0..sim.cluster_size())
        .map(NodeId::from_index)
        .filter_map(|id| sim.server(id).map(|s| (id, s)))
        .filter(|(_, s)| Server::<Raft>::role(*s) == raft::LEADER)
        .map(|(id, s)| (id, s.current_term(), s.last_index()))
        .max_by_key(|(_, term, _)| *term)
}

/// Run one seed of the biased search on a 5-server cluster with two clients.
pub fn run(seed: u64, mutant: Option<Mutant>) -> Outcome {
    let config = config(mutant);
    let net = NetConfig {
        latency_min_ms: 5,
        latency_max_ms: 30,
        ..NetConfig::default()
    };
    let cluster = ClusterConfig {
        nodes: 5,
        clients: 2,
        net,
        record_trace: false,
    };
    let mut scenario = Scenario::new(raft::ID, seed);
    scenario.name = format!("Figure 8 biased search, seed {seed}");
    scenario.cluster = ClusterConfig {
        record_trace: true,
        ..cluster.clone()
    };
    scenario.config = serde_json::to_value(&config).unwrap_or_default();
    let mut sim = Simulator::<Raft>::new(cluster, config, seed).expect("valid cluster");
    let mut rng = SimRng::new(seed).fork(BIAS_STREAM);
    let n = sim.cluster_size();

    // Faults waiting for their time, in the order they were chosen.
    let mut pending: Vec<(Time, Control)> = Vec::new();
    let mut next_op = Time(rng.range_inclusive(50, 300));
    let mut next_heal = Time(rng.range_inclusive(HEAL_MS.0, HEAL_MS.1));
    let mut known: Option<(NodeId, u64)> = None;
    let mut known_last = 0;
    let mut leaders = 0;
    let end = Time(RUN_MS);

    while sim.now() < end && sim.violations().is_empty() {
        let due = pending.iter().map(|(t, _)| *t).min();
        let next_action = [Some(next_op), Some(next_heal), due]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end);
        match sim.next_event_time() {
            Some(t) if t < next_action => {
                sim.step();
            }
            _ => {
                let at = next_action;
                let control = if due == Some(at) {
                    let k = pending.iter().position(|(t, _)| *t == at).unwrap_or(0);
                    Some(pending.remove(k).1)
                } else if next_heal == at {
                    next_heal = at.plus(rng.range_inclusive(HEAL_MS.0, HEAL_MS.1));
                    Some(Control::HealAll)
                } else {
                    next_op = at.plus(rng.range_inclusive(20, 80));
                    let client = NodeId::client(rng.index(2));
                    let idle = sim.client(client).is_some_and(|c| !c.busy());
                    let node = leader(&sim).map_or(NodeId::from_index(rng.index(n)), |l| l.0);
                    let op = format!("put x {}", rng.range_inclusive(1, 99));
                    idle.then_some(Control::Submit { client, node, op })
                };
                sim.advance_clock(at);
                if let Some(control) = control {
                    if sim.apply(control.clone()).is_ok() {
                        scenario.actions.push(TimedAction { at, control });
                    }
                }
                continue;
            }
        }
        // React to what the step did.
        let now = sim.now();
        let Some((id, term, last)) = leader(&sim) else {
            continue;
        };
        if known != Some((id, term)) {
            known = Some((id, term));
            known_last = last;
            leaders += 1;
            if rng.chance(P_NEW_LEADER) {
                let at = now.plus(rng.range_inclusive(1, NEW_LEADER_MAX_MS));
                pending.push((
                    at,
                    Control::Partition {
                        groups: vec![vec![id]],
                    },
                ));
            }
        } else if last > known_last {
            known_last = last;
            if rng.chance(P_APPEND) {
                let mut other = NodeId::from_index(rng.index(n - 1));
                if other.index() >= id.index() {
                    other = NodeId::from_index(other.index() + 1);
                }
                let at = now.plus(rng.range_inclusive(1, APPEND_MAX_MS));
                pending.push((
                    at,
                    Control::Partition {
                        groups: vec![vec![id, other]],
                    },
                ));
            }
        }
    }
    scenario.until = Some(sim.now());
    Outcome {
        violation: sim.violations().first().cloned(),
        scenario,
        leaders,
    }
}
