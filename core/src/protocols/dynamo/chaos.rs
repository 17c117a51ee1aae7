//! Chaos for the store: random faults, clients reading and writing throughout, and after the
//! heal the store must converge (identical replicas, no pending hint) within a bounded number
//! of anti-entropy rounds, with no acknowledged write lost (siblings and set modes).

use super::check::{client_ids, converged, final_check};
use super::node::KvClient;
use super::ConflictMode;
use super::{Dynamo, KvConfig, Mutant};
use crate::kernel::control::Control;
use crate::kernel::mutant;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::Simulator;
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::NodeStatus;
use crate::run::chaos::{ChaosOptions, ChaosProtocol, Verdicts, Workload};

/// Keys the chaos clients use (few, so writes collide).
pub const KEYS: &[&str] = &["a", "b", "c", "d", "e", "f"];

/// Anti-entropy rounds (per node) the store gets to converge after the heal.
pub const SETTLE_ROUNDS: u64 = 10;

/// Whether the faults are over: every link up, every server running, no message faults.
fn calm(sim: &Simulator<Dynamo>) -> bool {
    let net = sim.net();
    let c = net.config();
    net.abnormal_links().next().is_none()
        && c.loss == 0.0
        && c.duplicate == 0.0
        && c.reorder == 0.0
        && (0..sim.cluster_size()).all(|i| sim.status(NodeId::from_index(i)) == NodeStatus::Up)
}

fn pick<'a, T>(rng: &mut SimRng, from: &'a [T]) -> &'a T {
    &from[rng.range_inclusive(0, from.len() as u64 - 1) as usize]
}

/// A random operation for a client of a cluster of `cluster` servers, given its history
/// (writes may supersede its last read): 55 % writes by default; with a swarm workload,
/// `writes_pct` writes on its first `keys` keys. A custom quorum asks for an explicit N drawn
/// up to the key's replication factor (a larger one is refused), with one reply or all of them.
pub fn random_op(rng: &mut SimRng, node: &KvClient, cluster: usize, workload: &Workload) -> String {
    let keys = workload.keys.unwrap_or(KEYS.len()).clamp(1, KEYS.len());
    let key = *pick(rng, &KEYS[..keys]);
    let level = *pick(
        rng,
        &[
            "local", "eventual", "eventual", "strong", "strong", "r=1", "r=n",
        ],
    );
    let level = if level.starts_with("r=") {
        let factor = node.config().replicas.min(cluster).max(1) as u64;
        let n = rng.range_inclusive(1, factor);
        let r = if level == "r=1" { 1 } else { n };
        format!("n={n} r={r}")
    } else {
        level.to_string()
    };
    let read = match workload.writes_pct {
        None => rng.chance(0.45),
        Some(pct) => rng.range_inclusive(0, 99) >= pct,
    };
    if read {
        let level = level.replace("w=", "r=");
        return format!("get {key} {level}");
    }
    let level = level.replace("r=", "w=");
    let value = format!("{}.{}", node.id(), node.history().len() + 1);
    let sloppy = if rng.chance(0.3) { " sloppy" } else { "" };
    // Read-modify-write half the time: supersede what this client last read of the key.
    let last_ctx = node.history().iter().rev().find_map(|r| match &r.reply {
        super::KvReply::Read { key: k, ctx, .. } if k == key => Some(ctx.clone()),
        _ => None,
    });
    let ctx = match last_ctx {
        Some(c) if !c.is_empty() && rng.chance(0.7) => format!(" ctx={c}"),
        _ => String::new(),
    };
    format!("put {key} {value} {level}{sloppy}{ctx}")
}

impl ChaosProtocol for Dynamo {
    fn chaos_config(options: &ChaosOptions) -> KvConfig {
        KvConfig {
            replicas: 3.min(options.nodes),
            sloppy_quorum: false,
            // Clients retry once, to the same coordinator: a request that ran before the
            // coordinator crashed (or whose answer was lost) arrives again, so the
            // de-duplication table is exercised across restarts.
            client_retries: 1,
            mutant: options
                .mutant
                .as_deref()
                .and_then(mutant::by_name::<Mutant>),
            ..KvConfig::default()
        }
    }

    /// Swarm: replicas per key (N, 2 up to the cluster or 5), the conflict mode (siblings, LWW with
    /// drawn clock skews, sets), sloppy quorums, read repair and the anti-entropy interval,
    /// drawn per seed; the base's mutant is kept.
    fn swarm_config(rng: &mut SimRng, base: KvConfig, nodes: usize) -> KvConfig {
        let conflict = [
            ConflictMode::Siblings,
            ConflictMode::Siblings,
            ConflictMode::Lww,
            ConflictMode::Set,
        ][rng.index(4)];
        let clock_skew_ms = if conflict == ConflictMode::Lww {
            (0..nodes)
                .map(|_| rng.range_inclusive(0, 600) as i64 - 300)
                .collect()
        } else {
            Vec::new()
        };
        KvConfig {
            // Any replication factor from 2 (one copy has nothing to repair, hand off or
            // converge) up to the cluster or 5. The workload's explicit `n=` stays within it:
            // a larger one is refused (see docs/protocols/dynamo.md).
            replicas: rng.range_inclusive(2, nodes.clamp(2, 5) as u64) as usize,
            conflict,
            clock_skew_ms,
            sloppy_quorum: rng.chance(0.4),
            read_repair: rng.chance(0.8),
            anti_entropy_ms: [300, 1000, 2000][rng.index(3)],
            ..base
        }
    }

    fn config_json(config: &KvConfig) -> serde_json::Value {
        serde_json::to_value(config).unwrap_or_default()
    }

    /// Ten anti-entropy rounds, plus the time the failure detectors need to see everyone again.
    fn settle_bound_ms(config: &KvConfig) -> u64 {
        SETTLE_ROUNDS * config.anti_entropy_ms + 2 * config.unavailable_after_ms
    }

    /// All replicas of every key identical, no hint pending, no client operation in progress.
    fn settled(sim: &Simulator<Dynamo>, _healed_at: Time) -> bool {
        let clients = client_ids(sim, sim.cluster().clients);
        clients
            .iter()
            .all(|c| sim.client(*c).is_none_or(|n| n.idle()))
            && converged(sim)
    }

    fn unsettled(sim: &Simulator<Dynamo>) -> String {
        if converged(sim) {
            "a client operation still in progress".to_string()
        } else {
            "replicas still differ or hints are pending".to_string()
        }
    }

    /// An idle client reads or writes a random key through a random server. Once the faults
    /// are over the clients fall silent: convergence must then come from hinted handoff and
    /// anti-entropy alone (reads would repair replicas and hide a broken anti-entropy).
    fn client_op(
        rng: &mut SimRng,
        sim: &Simulator<Dynamo>,
        workload: &Workload,
    ) -> Option<Control> {
        if calm(sim) {
            return None;
        }
        let idle: Vec<NodeId> = client_ids(sim, sim.cluster().clients)
            .into_iter()
            .filter(|c| sim.client(*c).is_some_and(|n| n.idle()))
            .collect();
        if idle.is_empty() || sim.cluster_size() == 0 {
            return None;
        }
        let client = *pick(rng, &idle);
        let node =
            NodeId::from_index(rng.range_inclusive(0, sim.cluster_size() as u64 - 1) as usize);
        let op = random_op(rng, sim.client(client)?, sim.cluster_size(), workload);
        Some(Control::Submit { client, node, op })
    }

    fn final_check(sim: &Simulator<Dynamo>) -> Verdicts {
        let clients = client_ids(sim, sim.cluster().clients);
        Verdicts {
            ops: super::check::records(sim, &clients).count() as u64,
            ..Verdicts::of(final_check(sim, &clients))
        }
    }
}
