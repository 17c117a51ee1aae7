//! Raft's reactive moves for swarm chaos ([`crate::run::chaos::Moves`]): faults that react to
//! what the cluster just did, drawn from the seed — a search, not a script — reaching two
//! histories that faults at random times almost never line up.
//!
//! **Figure 8** (log replication, §5.4.2 and Figure 8 of the Raft paper). The history needs,
//! in order: a leader that appended an entry and reached only part of the cluster before it was
//! cut off; a new leader of a later term whose own entry at that index stays with it alone
//! because it is cut off the moment it wins; the first leader back in a still later term,
//! copying its old-term entry to a majority — one entry per AppendEntries, so the old entry
//! can reach a majority before the new term's no-op; and that leader cut off before its no-op
//! is everywhere, so the second can win again and overwrite the entry. The moves: on every new
//! leader, cut it off (alone) with probability 0.9 after 1–120 ms; on every client entry a
//! leader appends, cut it off with one random follower with probability ⅓ after 1–100 ms;
//! heal everything every 1.5–5 s. Two clients write to the leader every 20–80 ms; one entry per
//! AppendEntries (no batching, batches of one): with batching the old entry and the no-op
//! always travel together. Pipelining stays on (at least four AppendEntries in flight), so a
//! follower that missed seconds of writes catches up within the settle bound after the heal. (Tuned on 200 seeds of the earlier stand-alone
//! search: with cuts after 1–60 ms, probability ½ and heals every 0.3–1.5 s, 3 seeds of 200
//! found `commit-old-term`; with these settings, 131.)
//!
//! **Leases** (§6.4.1 of Ongaro's thesis, read mode `lease`). Once a leader has committed its
//! no-op (a majority acknowledged a round of its term, so its lease runs), and again after
//! every heal while it still leads, with probability ½ after 1–100 ms: cut it off with one
//! random follower, and right after restart two of the others and force the one with the most
//! up-to-date log among the rest to time out — voters that acknowledged the leader's round,
//! asked to elect someone at once. Four clients, half of their commands reads sent to a random
//! server, on three keys (one key makes every client's history one long one, slow to check
//! live). Election timeouts of 1–2 s make the lease (`election_timeout_min − drift`) long
//! enough for an election and a commit inside it. (On 200 seeds: with 150–300 ms timeouts and
//! two clients that only write, 0 found `lease-vote-after-restart`; with these, 193.)
//!
//! Seeds with moves play no random faults (the moves are their faults) on a network without
//! message loss, so the delicate sequences are not cut short by unrelated faults.

use super::super::{Mutant, Raft, RaftConfig, RaftRole, ReadMode};
use crate::kernel::control::Control;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::Simulator;
use crate::kernel::types::{NodeId, Time};
use crate::run::chaos::{ChaosOptions, FaultClasses, Moves, MovesChoice, Plan, Workload};
use std::cmp::Reverse;

/// The families, by name.
pub const FAMILIES: &[&str] = &[FIGURE_8, LEASE];
/// The Figure 8 family's name.
pub const FIGURE_8: &str = "figure-8";
/// The lease family's name.
pub const LEASE: &str = "lease";

/// Chance that a swarm seed plays the Figure 8 moves.
const P_FIGURE_8: f64 = 0.15;
/// Chance that a swarm seed plays the lease moves (after Figure 8's draw failed).
const P_LEASE_SEED: f64 = 0.1;

/// Figure 8: chance that a new leader is cut off (alone), and the most it waits before, ms.
const P_NEW_LEADER: f64 = 0.9;
const NEW_LEADER_MAX_MS: u64 = 120;
/// Figure 8: chance that a leader appending a client entry is cut off with one follower, and
/// the most it waits before, ms.
const P_APPEND: f64 = 1.0 / 3.0;
const APPEND_MAX_MS: u64 = 100;
/// Leases: chance of the lease move once a leader's no-op is committed (and again after each
/// heal), and the most it waits.
const P_LEASE: f64 = 0.5;
const LEASE_MAX_MS: u64 = 100;
/// Leases: the most the restarts and the forced timeout wait after the cut, ms.
const RESTART_MAX_MS: u64 = 10;
/// Everything heals every so often (ms): long enough for cut-off leaders to step down and the
/// rest to elect, short enough for old leaders to come back.
const HEAL_MS: (u64, u64) = (1500, 5000);

/// Which family a seed plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// Cut off new leaders and leaders that just appended.
    Figure8,
    /// Cut off a leader whose lease runs and make the rest elect at once.
    Lease,
}

/// Draw a seed's family (or take the one `options` names), and set the configuration and
/// plan it needs: five servers and the family's clients unless `options` pins them (at least
/// three servers: the moves cut a leader off with one follower and act on the rest).
pub fn draw(
    rng: &mut SimRng,
    options: &ChaosOptions,
    config: &mut RaftConfig,
    plan: &mut Plan,
) -> Option<Box<dyn Moves<Raft>>> {
    let family = match &options.moves {
        MovesChoice::Only(name) if name == FIGURE_8 => Family::Figure8,
        MovesChoice::Only(name) if name == LEASE => Family::Lease,
        MovesChoice::Only(_) | MovesChoice::Off => return None,
        MovesChoice::Drawn if rng.chance(P_FIGURE_8) => Family::Figure8,
        MovesChoice::Drawn if rng.chance(P_LEASE_SEED) => Family::Lease,
        MovesChoice::Drawn => return None,
    };
    if !options.pin_nodes {
        plan.nodes = 5;
    }
    if plan.nodes < 3 {
        return None;
    }
    plan.faults = FaultClasses::none();
    let (clients, writes_pct, keys) = match family {
        Family::Figure8 => {
            config.batching = false;
            config.max_batch = 1;
            config.pipelining = true;
            config.max_inflight = config.max_inflight.max(4);
            config.snapshot_every = 0;
            (2, 100, 1)
        }
        Family::Lease => {
            config.read_mode = ReadMode::Lease;
            config.check_quorum = true;
            config.election_timeout_min_ms = 1000;
            config.election_timeout_max_ms = 2000;
            config.heartbeat_ms = config.heartbeat_ms.min(150);
            config.lease_drift_ms = config.lease_drift_ms.min(100);
            (4, 50, 3)
        }
    };
    if !options.pin_clients {
        plan.clients = clients;
    }
    plan.workload = Workload {
        gap_ms: (20, 80),
        keys: Some(keys),
        writes_pct: Some(writes_pct),
        writes_to_leader: true,
    };
    let next_heal = Time(rng.range_inclusive(HEAL_MS.0, HEAL_MS.1));
    Some(Box::new(Watch {
        family,
        leader: None,
        last: 0,
        armed: false,
        next_heal,
    }))
}

/// The families a mutant is most exposed to (what `netsplit chaos --moves` suggests).
pub fn family_for(mutant: Option<Mutant>) -> &'static str {
    if mutant == Some(Mutant::LeaseVoteAfterRestart) {
        LEASE
    } else {
        FIGURE_8
    }
}

/// The current leader (highest term among running leaders): id, term, last index, commit.
pub fn leader(sim: &Simulator<Raft>) -> Option<(NodeId, u64, u64, u64)> {
    (0..sim.cluster_size())
        .map(NodeId::from_index)
        .filter_map(|id| sim.server(id).map(|s| (id, s)))
        .filter(|(_, s)| s.raft_role() == RaftRole::Leader)
        .map(|(id, s)| (id, s.current_term(), s.last_index(), s.commit_index()))
        .max_by_key(|(_, term, _, _)| *term)
}

/// A random server other than `not`.
fn other_than(rng: &mut SimRng, n: usize, not: NodeId) -> NodeId {
    let k = rng.index(n - 1);
    NodeId::from_index(if k >= not.index() { k + 1 } else { k })
}

/// What the moves remember between steps.
struct Watch {
    family: Family,
    /// The leader last seen (id, term).
    leader: Option<(NodeId, u64)>,
    /// Its last log index when last seen.
    last: u64,
    /// Leases: the current leader's no-op is not yet seen committed (or a heal re-armed it).
    armed: bool,
    /// When everything heals next.
    next_heal: Time,
}

impl Watch {
    /// The lease move: cut `leader` off with one random follower at `at`; right after, restart
    /// two of the rest and force the one with the most up-to-date log among them to time out.
    fn lease_move(
        rng: &mut SimRng,
        sim: &Simulator<Raft>,
        at: Time,
        leader: NodeId,
    ) -> Vec<(Time, Control)> {
        let buddy = other_than(rng, sim.cluster_size(), leader);
        let mut rest: Vec<NodeId> = (0..sim.cluster_size())
            .map(NodeId::from_index)
            .filter(|x| *x != leader && *x != buddy)
            .collect();
        let placed = |id: &NodeId| {
            sim.server(*id)
                .map_or((0, 0), |s| (s.state().last_log_term(), s.last_index()))
        };
        rest.sort_by_key(|id| Reverse(placed(id)));
        let mut moves = vec![(
            at,
            Control::Partition {
                groups: vec![vec![leader, buddy]],
            },
        )];
        let then = at.plus(rng.range_inclusive(0, RESTART_MAX_MS));
        for node in rest.iter().skip(1).take(2) {
            moves.push((then, Control::Crash { node: *node }));
            moves.push((then, Control::Restart { node: *node }));
        }
        if let Some(node) = rest.first() {
            moves.push((then, Control::Timeout { node: *node }));
        }
        moves
    }
}

impl Moves<Raft> for Watch {
    fn name(&self) -> &'static str {
        match self.family {
            Family::Figure8 => FIGURE_8,
            Family::Lease => LEASE,
        }
    }

    fn react(&mut self, rng: &mut SimRng, sim: &Simulator<Raft>) -> Vec<(Time, Control)> {
        let now = sim.now();
        if now >= self.next_heal {
            self.next_heal = now.plus(rng.range_inclusive(HEAL_MS.0, HEAL_MS.1));
            // A leader that survived gets another lease move after each heal.
            self.armed = true;
            return vec![(now.plus(1), Control::HealAll)];
        }
        let n = sim.cluster_size();
        let Some((id, term, last, commit)) = leader(sim) else {
            return Vec::new();
        };
        if self.leader != Some((id, term)) {
            self.leader = Some((id, term));
            self.last = last;
            self.armed = true;
            if self.family == Family::Figure8 && rng.chance(P_NEW_LEADER) {
                let at = now.plus(rng.range_inclusive(1, NEW_LEADER_MAX_MS));
                return vec![(
                    at,
                    Control::Partition {
                        groups: vec![vec![id]],
                    },
                )];
            }
            return Vec::new();
        }
        match self.family {
            Family::Figure8 if last > self.last => {
                self.last = last;
                if rng.chance(P_APPEND) {
                    let other = other_than(rng, n, id);
                    let at = now.plus(rng.range_inclusive(1, APPEND_MAX_MS));
                    return vec![(
                        at,
                        Control::Partition {
                            groups: vec![vec![id, other]],
                        },
                    )];
                }
            }
            Family::Lease if self.armed && commit >= self.last => {
                self.armed = false;
                if rng.chance(P_LEASE) {
                    let at = now.plus(rng.range_inclusive(1, LEASE_MAX_MS));
                    return Watch::lease_move(rng, sim, at, id);
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
