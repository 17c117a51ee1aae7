//! Biased fault search for Raft: random and seeded — a search, not a script — but its faults
//! react to what the cluster does (a leader elected, an entry appended, a no-op committed),
//! which today's chaos driver cannot do: its faults fire at random times, blind to the
//! protocol. Two families of moves, chosen by the configuration:
//!
//! **Figure 8** (log replication, §5.4.2). The history needs, in order: a leader that appended
//! an entry and reached only part of the cluster before it was cut off; a new leader of a later
//! term whose own entry at that index stays with it alone because it is cut off the moment it
//! wins; the first leader back in a still later term, copying its old-term entry to a majority
//! — one entry per AppendEntries, so the old entry can reach a majority before the new term's
//! no-op; and that leader cut off before its no-op is everywhere, so the second one can win
//! again and overwrite the entry. The moves: on every new leader, cut it off (alone) with
//! probability 0.9 after 1–120 ms; on every client entry a leader appends, cut it off with one
//! random follower with probability ⅓ after 1–100 ms; heal everything every 1.5–5 s; two
//! clients write to the leader every 20–80 ms. The configuration sends one entry per
//! AppendEntries (`batching` and `pipelining` off, `max_batch` 1) as the Figure 8 scenario
//! does: with batching the old entry and the no-op always travel together. (Tuned on seeds
//! 0–199: with cuts after 1–60 ms, probability ½ and heals every 0.3–1.5 s, 3 seeds of 200
//! found `commit-old-term`; with these settings, 131.)
//!
//! **Leases** (§6.4.1, read mode `lease`). Once a leader has committed its no-op (a majority
//! acknowledged a round of its term, so its lease runs), and again after every heal while it
//! still leads, with probability ½ after 1–100 ms: cut
//! it off with one random follower, and right after restart two of the others and force the
//! one with the most up-to-date log among the rest to time out — voters that acknowledged the
//! leader's round, asked to elect someone at once. Four clients, half of their operations reads
//! sent to a random server (a follower redirects to the leader it knows). Election timeouts are
//! 1–2 s, so the lease (`election_timeout_min − drift`, 980 ms) leaves room for an election
//! and a commit inside it on this network. (On seeds 0–199: with 150–300 ms timeouts and two
//! clients that only write, 0 seeds found `lease-vote-after-restart`; with these, 193.)
//!
//! What the chaos driver would need to run this as ordinary chaos: a protocol-supplied fault
//! chooser called after every step, before the generic one, with the simulator, the
//! configuration and the protocol's own search state, returning controls to apply after a
//! delay of at least 1 ms (so the scenario replays exactly) — `fn react(state: &mut Self::Bias,
//! rng: &mut SimRng, sim: &Simulator<Self>) -> Vec<(u64, Control)>` — and a per-mutant client
//! workload (today `client_op` picks a random server; the lease moves need reads spread over
//! servers and writes sent to the newest leader).
// Each test file uses the part it needs.
#![allow(dead_code)]

use netsplit_core::kernel::check::Violation;
use netsplit_core::kernel::config::ClusterConfig;
use netsplit_core::kernel::net::NetConfig;
use netsplit_core::kernel::node::Server;
use netsplit_core::kernel::rng::SimRng;
use netsplit_core::kernel::sim::Simulator;
use netsplit_core::protocols::raft::{self, Mutant, Raft, RaftConfig, ReadMode};
use netsplit_core::run::scenario::{Scenario, TimedAction};
use netsplit_core::{Control, NodeId, Time};
use std::cmp::Reverse;

/// Virtual time each seed runs for.
pub const RUN_MS: u64 = 30_000;

/// Random stream of the bias (forked from the seed, apart from the simulator's streams).
const BIAS_STREAM: u64 = 0xF18;

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

/// The moves a seed plays, by read mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moves {
    /// Cut off new leaders and leaders that just appended (Figure 8).
    Figure8,
    /// Cut off a leader whose lease runs and make the rest elect at once.
    Lease,
}

impl Moves {
    /// The moves for a mutant (and for the control runs of the same shape).
    pub fn for_mutant(mutant: Option<Mutant>) -> Moves {
        if mutant == Some(Mutant::LeaseVoteAfterRestart) {
            Moves::Lease
        } else {
            Moves::Figure8
        }
    }

    fn clients(self) -> usize {
        match self {
            Moves::Figure8 => 2,
            Moves::Lease => 4,
        }
    }

    fn read_share(self) -> f64 {
        match self {
            Moves::Figure8 => 0.0,
            Moves::Lease => 0.5,
        }
    }
}

/// The Raft configuration the search runs.
pub fn config(moves: Moves, mutant: Option<Mutant>) -> RaftConfig {
    let base = RaftConfig {
        snapshot_every: 0,
        mutant,
        ..RaftConfig::default()
    };
    match moves {
        Moves::Figure8 => RaftConfig {
            batching: false,
            pipelining: false,
            max_batch: 1,
            ..base
        },
        Moves::Lease => RaftConfig {
            read_mode: ReadMode::Lease,
            election_timeout_min_ms: 1000,
            election_timeout_max_ms: 2000,
            ..base
        },
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

/// The current leader (highest term among running leaders): id, term, last index, commit.
fn leader(sim: &Simulator<Raft>) -> Option<(NodeId, u64, u64, u64)> {
    (0..sim.cluster_size())
        .map(NodeId::from_index)
        .filter_map(|id| sim.server(id).map(|s| (id, s)))
        .filter(|(_, s)| Server::<Raft>::role(*s) == raft::LEADER)
        .map(|(id, s)| (id, s.current_term(), s.last_index(), s.commit_index()))
        .max_by_key(|(_, term, _, _)| *term)
}

/// A random server other than `not`.
fn other_than(rng: &mut SimRng, n: usize, not: NodeId) -> NodeId {
    let k = rng.index(n - 1);
    NodeId::from_index(if k >= not.index() { k + 1 } else { k })
}

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

/// What the bias remembers between steps.
#[derive(Default)]
struct Watch {
    /// The leader last seen (id, term), and its last index then.
    leader: Option<(NodeId, u64)>,
    last: u64,
    /// Leases: the current leader's no-op is not yet seen committed.
    armed: bool,
    leaders: u64,
}

impl Watch {
    /// React to the state after a step: the moves to make, at their times.
    fn react(
        &mut self,
        moves: Moves,
        rng: &mut SimRng,
        sim: &Simulator<Raft>,
    ) -> Vec<(Time, Control)> {
        let now = sim.now();
        let n = sim.cluster_size();
        let Some((id, term, last, commit)) = leader(sim) else {
            return Vec::new();
        };
        if self.leader != Some((id, term)) {
            self.leader = Some((id, term));
            self.last = last;
            self.leaders += 1;
            self.armed = true;
            if moves == Moves::Figure8 && rng.chance(P_NEW_LEADER) {
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
        match moves {
            Moves::Figure8 if last > self.last => {
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
            Moves::Lease if self.armed && commit >= self.last => {
                self.armed = false;
                if rng.chance(P_LEASE) {
                    let at = now.plus(rng.range_inclusive(1, LEASE_MAX_MS));
                    return lease_move(rng, sim, at, id);
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

/// A client command now: a read to a random server, or a write to the newest leader.
fn client_op(moves: Moves, rng: &mut SimRng, sim: &Simulator<Raft>) -> Option<Control> {
    let n = sim.cluster_size();
    let client = NodeId::client(rng.index(moves.clients()));
    let idle = sim.client(client).is_some_and(|c| !c.busy());
    let (node, op) = if rng.chance(moves.read_share()) {
        (NodeId::from_index(rng.index(n)), "get x".to_string())
    } else {
        let node = leader(sim).map_or(NodeId::from_index(rng.index(n)), |l| l.0);
        (node, format!("put x {}", rng.range_inclusive(1, 99)))
    };
    idle.then_some(Control::Submit { client, node, op })
}

/// Run one seed of the biased search on a 5-server cluster (network 5–30 ms, no loss), until a
/// violation or [`RUN_MS`].
pub fn run(seed: u64, mutant: Option<Mutant>) -> Outcome {
    run_moves(seed, Moves::for_mutant(mutant), mutant)
}

/// The control run: the moves `mutant` gets, on correct Raft.
pub fn run_control(seed: u64, mutant: Option<Mutant>) -> Outcome {
    run_moves(seed, Moves::for_mutant(mutant), None)
}

/// Run one seed with `moves` (and `mutant`, if any).
pub fn run_moves(seed: u64, moves: Moves, mutant: Option<Mutant>) -> Outcome {
    let config = config(moves, mutant);
    let net = NetConfig {
        latency_min_ms: 5,
        latency_max_ms: 30,
        ..NetConfig::default()
    };
    let cluster = ClusterConfig {
        nodes: 5,
        clients: moves.clients(),
        net,
        record_trace: false,
    };
    let mut scenario = Scenario::new(raft::ID, seed);
    scenario.name = format!("Raft biased search ({moves:?}), seed {seed}");
    scenario.cluster = ClusterConfig {
        record_trace: true,
        ..cluster.clone()
    };
    scenario.config = serde_json::to_value(&config).unwrap_or_default();
    let mut sim = Simulator::<Raft>::new(cluster, config, seed).expect("valid cluster");
    let mut rng = SimRng::new(seed).fork(BIAS_STREAM);

    // Moves waiting for their time, in the order they were chosen.
    let mut pending: Vec<(Time, Control)> = Vec::new();
    let mut next_op = Time(rng.range_inclusive(50, 300));
    let mut next_heal = Time(rng.range_inclusive(HEAL_MS.0, HEAL_MS.1));
    let mut watch = Watch::default();
    let end = Time(RUN_MS);

    while sim.now() < end && sim.violations().is_empty() {
        let due = pending.iter().map(|(t, _)| *t).min();
        let next_action = [Some(next_op), Some(next_heal), due]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end);
        match sim.next_event_time() {
            // Events strictly before the next action run first; an action at `t` goes before
            // the events at `t`, as in a scenario replay.
            Some(t) if t < next_action => {
                sim.step();
                let chosen = watch.react(moves, &mut rng, &sim);
                pending.extend(chosen);
            }
            _ => {
                let at = next_action;
                let control = if due == Some(at) {
                    let k = pending.iter().position(|(t, _)| *t == at).unwrap_or(0);
                    Some(pending.remove(k).1)
                } else if next_heal == at {
                    next_heal = at.plus(rng.range_inclusive(HEAL_MS.0, HEAL_MS.1));
                    // A leader that survived gets another lease move after each heal.
                    watch.armed = true;
                    Some(Control::HealAll)
                } else {
                    next_op = at.plus(rng.range_inclusive(20, 80));
                    client_op(moves, &mut rng, &sim)
                };
                sim.advance_clock(at);
                if let Some(control) = control {
                    if sim.apply(control.clone()).is_ok() {
                        scenario.actions.push(TimedAction { at, control });
                    }
                }
            }
        }
    }
    scenario.until = Some(sim.now());
    Outcome {
        violation: sim.violations().first().cloned(),
        scenario,
        leaders: watch.leaders,
    }
}

/// Write a seed's scenario where `netsplit run` can replay it; the command that does.
pub fn repro(outcome: &Outcome, mutants: bool) -> String {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("raft-biased-search-{}.json", outcome.scenario.seed));
    let _ = std::fs::write(&path, outcome.scenario.to_json());
    let features = if mutants { " --features mutants" } else { "" };
    format!(
        "cargo run -p netsplit-cli{features} -- run --scenario {}",
        path.display()
    )
}
