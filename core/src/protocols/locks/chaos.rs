//! The lock service under chaos: Raft's notion of "settled", random jobs from the workers on a
//! few hot locks, the swarm draw of the lease and Raft's options.

use super::{DeadlockMode, LockConfig, LockMutant, Locks};
use crate::kernel::control::Control;
use crate::kernel::mutant;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::Simulator;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::Raft;
use crate::run::chaos::{ChaosOptions, ChaosProtocol, Workload};

/// Hot locks the chaos workers use.
const LOCKS: &[&str] = &["a", "b", "c", "d"];

impl ChaosProtocol for Locks {
    /// The default configuration with the mutant asked for.
    fn chaos_config(options: &ChaosOptions) -> LockConfig {
        let mutant = options
            .mutant
            .as_deref()
            .and_then(mutant::by_name::<LockMutant>);
        LockConfig {
            mutant,
            ..LockConfig::default()
        }
    }

    /// Swarm: Raft's own options (reads always go through the log), the lease and the
    /// keep-alive interval; fencing stays on (the checkers hold the resource to it).
    fn swarm_config(rng: &mut SimRng, base: LockConfig, nodes: usize) -> LockConfig {
        let raft = <Raft as ChaosProtocol>::swarm_config(rng, base.raft.clone(), nodes);
        let lease_ms = rng.range_inclusive(300, 1500);
        let keepalive_ms = rng.range_inclusive(lease_ms / 6, lease_ms / 3);
        // One draw in four compares timeout-only deadlock handling.
        let deadlock = if rng.index(4) == 0 {
            DeadlockMode::Timeout
        } else {
            DeadlockMode::Detect
        };
        let wait_timeout_ms = rng.range_inclusive(200, 1500);
        let aging_entries = rng.range_inclusive(1, 8);
        LockConfig {
            raft,
            lease_ms,
            keepalive_ms,
            deadlock,
            wait_timeout_ms,
            aging_entries,
            ..base
        }
    }

    fn config_json(config: &LockConfig) -> serde_json::Value {
        serde_json::to_value(config).unwrap_or_default()
    }

    /// Ten election timeouts, as for Raft.
    fn settle_bound_ms(config: &LockConfig) -> u64 {
        10 * config.raft.election_timeout_max_ms
    }

    /// The service serves again: one leader, an entry of its term committed on it and on a
    /// majority that follows it, and a worker's command sent since the heal answered. Unlike
    /// Raft's own gate, a follower still catching up does not count against it: every
    /// keep-alive is a log entry, so under a steady lock workload a follower that was cut off
    /// can trail for longer than the bound while the service is fully available (swarm seed
    /// 43: n2 thirty entries behind, the other six in step). Raft's gate keeps the strict
    /// every-follower predicate.
    fn settled(sim: &Simulator<Locks>, healed_at: Time) -> bool {
        let clients = sim.cluster().clients;
        serving(sim)
            && (clients < 2
                || (1..clients).any(|k| {
                    sim.client(NodeId::client(k))
                        .and_then(|c| c.answered_sent())
                        .is_some_and(|at| at >= healed_at)
                }))
    }

    /// A job for a random idle worker (never `c1`, the resource). One in four works on the
    /// lock tree `db/t1..t2/r1..r2` with intention locks; the rest on a few hot flat locks
    /// (half the jobs of either kind ask for a priority from 1 to 3):
    /// exclusive two times in three, held 0–300 ms, three in four of them taking two or three
    /// locks in a random order (from at least three hot locks), so waits chain and cycles
    /// (three-cycles among them) form; one flat job in eight stalls while holding (a GC
    /// pause of 0.4–2 s).
    fn client_op(rng: &mut SimRng, sim: &Simulator<Locks>, workload: &Workload) -> Option<Control> {
        let clients = sim.cluster().clients;
        if clients < 2 {
            return None;
        }
        let client = NodeId::client(1 + rng.index(clients - 1));
        if sim
            .client(client)
            .is_some_and(|c| *c.phase() != super::client::Phase::Idle)
        {
            return None;
        }
        let node = NodeId::from_index(rng.index(sim.cluster_size()));
        // Half the jobs ask for a priority (1 to 3): later high-priority requests then pass
        // older waiters until aging lifts those.
        let priority = match rng.index(6) {
            0..=2 => String::new(),
            p => format!(" priority {}", p - 2),
        };
        if rng.index(4) == 0 {
            return Some(Control::Submit {
                client,
                node,
                op: format!("{}{priority}", tree_job(rng)),
            });
        }
        let hot = workload.keys.unwrap_or(2).clamp(1, LOCKS.len());
        let (hot, count) = if rng.index(4) != 0 {
            (hot.max(3), if rng.index(4) == 0 { 3 } else { 2 })
        } else {
            (hot, 1)
        };
        let mut pool: Vec<&str> = LOCKS[..hot].to_vec();
        let mut pairs = Vec::new();
        for _ in 0..count {
            let lock = pool.remove(rng.index(pool.len()));
            let mode = if rng.index(3) < 2 { "x" } else { "s" };
            pairs.push(format!("{lock} {mode}"));
        }
        // One job in eight stalls while it holds (a GC pause), long enough to outlive some
        // leases: the fenced resource then turns its late write away.
        let (hold, stall) = if rng.index(8) == 0 {
            (rng.range_inclusive(400, 2000), " stall")
        } else {
            (rng.range_inclusive(0, 300), "")
        };
        Some(Control::Submit {
            client,
            node,
            op: format!("acquire {} {hold}{stall}{priority}", pairs.join(" ")),
        })
    }

    fn unsettled(_sim: &Simulator<Locks>) -> String {
        "no stable leader".to_string()
    }
}

/// A job on the lock tree, ancestors first in the modes Gray et al.'s protocol asks for.
fn tree_job(rng: &mut SimRng) -> String {
    let t = format!("db/t{}", 1 + rng.index(2));
    let r = format!("{t}/r{}", 1 + rng.index(2));
    let hold = rng.range_inclusive(0, 300);
    let locks = match rng.index(6) {
        0 => format!("db is {t} s"),
        1 => format!("db ix {t} ix {r} x"),
        2 => format!("db is {t} is {r} s"),
        3 => format!("db six {t} x"),
        4 => "db s".to_string(),
        _ => format!("db ix {t} x"),
    };
    format!("acquire {locks} {hold}")
}

/// One leader; it and a majority of the servers (itself included) follow it with an entry of
/// its term committed.
fn serving(sim: &Simulator<Locks>) -> bool {
    let servers: Vec<(NodeId, &crate::protocols::raft::RaftServer<Locks>)> = (0..sim
        .cluster_size())
        .filter_map(|i| {
            let id = NodeId::from_index(i);
            sim.server(id).map(|s| (id, s))
        })
        .collect();
    let mut leaders = servers
        .iter()
        .filter(|(_, s)| s.raft_role() == crate::protocols::raft::RaftRole::Leader);
    let (Some((leader, l)), None) = (leaders.next(), leaders.next()) else {
        return false;
    };
    let term = l.current_term();
    let learned = |s: &crate::protocols::raft::RaftServer<Locks>| {
        s.current_term() == term && s.state().term_at(s.commit_index()) == Some(term)
    };
    let following = servers
        .iter()
        .filter(|(id, s)| learned(s) && (id == leader || s.leader() == Some(*leader)))
        .count();
    learned(l) && following > sim.cluster_size() / 2
}
