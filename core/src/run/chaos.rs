//! Randomized fault injection ("chaos"): many seeds, random faults, checkers on every event.
//!
//! For each seed a [`FaultMix`] is drawn (loss, duplication, reordering, latency spread) and, as
//! the run goes, random faults are applied: partitions of several shapes (isolate one node,
//! minority/majority, several groups), one-way cuts, single-link cuts, held links, crashes and
//! restarts, pauses and resumes, forced timeouts — each class can be switched off. After the
//! event budget the faults stop, the network heals, crashed nodes restart, and the protocol must
//! *settle* (Raft: one leader that everyone follows) within a bound.
//!
//! Every run is reproducible: the faults are plain [`Control`]s applied at virtual times, and the
//! [`SeedReport`] carries them as a [`Scenario`] that replays the run exactly (in the CLI, in a
//! golden test, or in the browser).

use crate::kernel::check::Violation;
use crate::kernel::config::ClusterConfig;
use crate::kernel::control::Control;
use crate::kernel::net::{LatencyDist, NetConfig};
use crate::kernel::node::Model;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::{Counters, Simulator};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::NodeStatus;
use crate::run::scenario::{Scenario, TimedAction};
use serde::Serialize;

/// Name used for liveness failures in reports.
pub const LIVENESS: &str = "liveness-after-heal";
/// Name used for failures of the post-settle stability probe.
pub const STABILITY: &str = "stable-under-steady-fault";

/// A steady fault held after the cluster settled, to check the protocol stays live under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// What the fault is, in words (for reports).
    pub name: String,
    /// The controls that set the fault up (applied together).
    pub controls: Vec<Control>,
    /// How long it is held, ms.
    pub window_ms: u64,
}

/// Which fault classes to inject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultClasses {
    /// Random message loss (0–30%).
    pub loss: bool,
    /// Random duplication (0–50%).
    pub duplication: bool,
    /// Reordering (0–50%).
    pub reordering: bool,
    /// Partitions, cuts (both ways and one-way) and held links.
    pub partitions: bool,
    /// Crashes and restarts.
    pub crashes: bool,
    /// Pauses and resumes.
    pub pauses: bool,
    /// Forced timeouts.
    pub timeouts: bool,
}

impl Default for FaultClasses {
    fn default() -> Self {
        FaultClasses {
            loss: true,
            duplication: true,
            reordering: true,
            partitions: true,
            crashes: true,
            pauses: true,
            timeouts: true,
        }
    }
}

/// Settings of a chaos run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChaosOptions {
    /// Cluster size.
    pub nodes: usize,
    /// Events to run with faults active (per seed).
    pub events: u64,
    /// Fault classes to inject.
    pub faults: FaultClasses,
    /// Simulated clients issuing commands throughout the run (for protocols that take them).
    pub clients: usize,
    /// A deliberately broken protocol variant, by name (needs the `mutants` feature).
    pub mutant: Option<String>,
}

impl Default for ChaosOptions {
    fn default() -> Self {
        ChaosOptions {
            nodes: 5,
            events: 20_000,
            faults: FaultClasses::default(),
            clients: 3,
            mutant: None,
        }
    }
}

/// The outcome of one seed.
#[derive(Clone, Debug, Serialize)]
pub struct SeedReport {
    /// The seed.
    pub seed: u64,
    /// Cluster size.
    pub nodes: usize,
    /// Events processed (faulty phase plus settling).
    pub events: u64,
    /// Safety violations, plus a liveness failure if the cluster did not settle.
    pub violations: Vec<Violation>,
    /// What happened, counted.
    pub counters: Counters,
    /// How long the cluster took to settle after the heal, if it did.
    pub settle_ms: Option<u64>,
    /// Virtual time at the end of the run.
    pub end: Time,
    /// The run as a replayable scenario.
    #[serde(skip)]
    pub scenario: Scenario,
}

/// A protocol that chaos can drive.
pub trait ChaosProtocol: Model {
    /// The protocol configuration for a chaos run.
    fn chaos_config(options: &ChaosOptions) -> Self::Config;
    /// The configuration as scenario JSON.
    fn config_json(config: &Self::Config) -> serde_json::Value;
    /// How long after the heal the protocol gets to settle, in ms.
    fn settle_bound_ms(config: &Self::Config) -> u64;
    /// Whether the cluster has settled (e.g. one leader everyone follows).
    fn settled(sim: &Simulator<Self>) -> bool;
    /// A random client command to submit now (`Control::Submit`), or `None` to skip this turn.
    fn client_op(rng: &mut SimRng, sim: &Simulator<Self>) -> Option<Control> {
        let _ = (rng, sim);
        None
    }
    /// After the cluster settled: a steady fault to hold for `window_ms` (e.g. Raft's partial
    /// partition), judged by [`ChaosProtocol::probe_verdict`]. `None`: no probe.
    fn probe(rng: &mut SimRng, sim: &Simulator<Self>) -> Option<Probe> {
        let _ = (rng, sim);
        None
    }
    /// Judge the probe: `Some(what went wrong)` is reported as a [`STABILITY`] failure.
    /// `before` are the counters when the probe's fault was applied.
    fn probe_verdict(before: &Counters, sim: &Simulator<Self>) -> Option<String> {
        let _ = (before, sim);
        None
    }
    /// Checks that need the whole run (client-history linearizability, convergence…), run once
    /// at the end.
    fn final_check(sim: &Simulator<Self>) -> Vec<Violation> {
        let _ = sim;
        Vec::new()
    }
    /// What is still unsettled, for the liveness failure's message.
    fn unsettled(sim: &Simulator<Self>) -> String {
        let _ = sim;
        "the cluster did not settle".to_string()
    }
}

/// The network conditions of one seed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultMix {
    /// The network parameters during the faulty phase.
    pub net: NetConfig,
}

fn draw_mix(rng: &mut SimRng, faults: &FaultClasses) -> FaultMix {
    // Raft's timing requirement (§5.6): broadcast time ≪ election timeout. One-way latency
    // stays ≤ 75 ms so a round trip fits in the 150 ms minimum timeout; reordering still
    // stretches single messages further during the faulty phase.
    let min = rng.range_inclusive(1, 25);
    let spread = rng.range_inclusive(0, 50);
    let pct = |rng: &mut SimRng, on: bool, max: u64| {
        if on {
            rng.range_inclusive(0, max) as f64 / 100.0
        } else {
            0.0
        }
    };
    let loss = pct(rng, faults.loss, 30);
    let duplicate = pct(rng, faults.duplication, 50);
    let reorder = pct(rng, faults.reordering, 50);
    let latency_dist = if rng.chance(0.5) {
        LatencyDist::Uniform
    } else {
        LatencyDist::LongTail
    };
    FaultMix {
        net: NetConfig {
            latency_min_ms: min,
            latency_max_ms: min + spread,
            latency_dist,
            loss,
            duplicate,
            reorder,
        },
    }
}

/// Pick `count` distinct random nodes.
fn pick_nodes(rng: &mut SimRng, n: usize, count: usize) -> Vec<NodeId> {
    let mut all: Vec<NodeId> = (0..n).map(NodeId::from_index).collect();
    // Fisher–Yates, first `count` positions.
    for i in 0..count.min(n) {
        let j = i + rng.range_inclusive(0, (n - 1 - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(count.min(n));
    all
}

fn random_partition(rng: &mut SimRng, n: usize) -> Control {
    let order = pick_nodes(rng, n, n);
    let groups = match rng.range_inclusive(0, 2) {
        // Isolate one node.
        0 => vec![vec![order[0]]],
        // Minority / majority.
        1 => vec![order[..n / 2].to_vec()],
        // Several groups of random sizes.
        _ => {
            let mut groups = Vec::new();
            let mut rest = &order[..];
            while !rest.is_empty() {
                let take = rng.range_inclusive(1, rest.len() as u64) as usize;
                groups.push(rest[..take].to_vec());
                rest = &rest[take..];
            }
            groups
        }
    };
    Control::Partition { groups }
}

/// Choose one random fault that is valid in the current state, if the classes allow any.
fn random_fault<M: Model>(
    rng: &mut SimRng,
    sim: &Simulator<M>,
    faults: &FaultClasses,
) -> Option<Control> {
    let n = sim.cluster_size();
    let with = |status: NodeStatus| -> Vec<NodeId> {
        (0..n)
            .map(NodeId::from_index)
            .filter(|id| sim.status(*id) == status)
            .collect()
    };
    let (up, crashed, paused) = (
        with(NodeStatus::Up),
        with(NodeStatus::Crashed),
        with(NodeStatus::Paused),
    );
    let mut options: Vec<(u64, u8)> = Vec::new();
    if faults.partitions && n > 1 {
        options.extend([(3, 0), (2, 1), (2, 2), (1, 3), (3, 4), (2, 5)]);
    }
    if faults.crashes {
        if !up.is_empty() {
            options.push((2, 6));
        }
        if !crashed.is_empty() {
            options.push((3, 7));
        }
    }
    if faults.pauses {
        if !up.is_empty() {
            options.push((1, 8));
        }
        if !paused.is_empty() {
            options.push((2, 9));
        }
    }
    if faults.timeouts && !up.is_empty() {
        options.push((1, 10));
    }
    let total: u64 = options.iter().map(|(w, _)| w).sum();
    if total == 0 {
        return None;
    }
    let mut roll = rng.range_inclusive(0, total - 1);
    let mut kind = options[0].1;
    for (w, k) in &options {
        if roll < *w {
            kind = *k;
            break;
        }
        roll -= w;
    }
    let pick = |rng: &mut SimRng, from: &[NodeId]| {
        from[rng.range_inclusive(0, from.len() as u64 - 1) as usize]
    };
    Some(match kind {
        0 => random_partition(rng, n),
        1 => {
            let p = pick_nodes(rng, n, 2);
            Control::CutOneWay {
                from: p[0],
                to: p[1],
            }
        }
        2 => {
            let p = pick_nodes(rng, n, 2);
            Control::Cut { a: p[0], b: p[1] }
        }
        3 => {
            let p = pick_nodes(rng, n, 2);
            Control::Hold {
                from: p[0],
                to: p[1],
            }
        }
        4 => Control::HealAll,
        5 => {
            let p = pick_nodes(rng, n, 2);
            Control::Heal { a: p[0], b: p[1] }
        }
        6 => Control::Crash {
            node: pick(rng, &up),
        },
        7 => Control::Restart {
            node: pick(rng, &crashed),
        },
        8 => Control::Pause {
            node: pick(rng, &up),
        },
        9 => Control::Resume {
            node: pick(rng, &paused),
        },
        _ => Control::Timeout {
            node: pick(rng, &up),
        },
    })
}

/// Random stream of the fault injector (separate from the simulator's own streams).
const CHAOS_STREAM: u64 = 0xC4A05;

/// Run one seed of chaos against protocol `M`, which runs under the registry id `id`.
pub fn run_seed<M: ChaosProtocol>(id: &str, seed: u64, options: &ChaosOptions) -> SeedReport {
    run_seed_with::<M>(id, seed, options, M::chaos_config(options))
}

/// Process events up to `end` while the clients keep submitting commands (the next at
/// `*next_op`, then every 10–150 ms), until `done` holds (checked before every step). Returns
/// whether `done` held.
fn run_with_clients<M: ChaosProtocol>(
    sim: &mut Simulator<M>,
    rng: &mut SimRng,
    next_op: &mut Time,
    end: Time,
    apply: &mut impl FnMut(&mut Simulator<M>, Time, Control),
    done: impl Fn(&Simulator<M>) -> bool,
) -> bool {
    loop {
        if done(sim) {
            return true;
        }
        match sim.next_event_time() {
            Some(t) if t <= end && t < *next_op => {
                sim.step();
            }
            _ if *next_op <= end => {
                if let Some(control) = M::client_op(rng, sim) {
                    apply(sim, *next_op, control);
                }
                *next_op = next_op.plus(rng.range_inclusive(10, 150));
            }
            _ => return false,
        }
    }
}

/// Run one seed of chaos against protocol `M` (registry id `id`) with an explicit
/// configuration (e.g. a variant of the protocol that the options cannot name).
pub fn run_seed_with<M: ChaosProtocol>(
    id: &str,
    seed: u64,
    options: &ChaosOptions,
    config: M::Config,
) -> SeedReport {
    let mut rng = SimRng::new(seed).fork(CHAOS_STREAM);
    let mix = draw_mix(&mut rng, &options.faults);
    let cluster = ClusterConfig {
        nodes: options.nodes,
        clients: options.clients,
        net: mix.net.clone(),
        record_trace: false,
    };
    let mut scenario = Scenario::new(id, seed);
    scenario.name = format!("chaos seed {seed}");
    scenario.cluster = ClusterConfig {
        record_trace: true,
        ..cluster.clone()
    };
    scenario.config = M::config_json(&config);

    let mut violations = Vec::new();
    let Ok(mut sim) = Simulator::<M>::new(cluster, config.clone(), seed) else {
        // Options are validated by callers; an invalid cluster yields an empty report.
        return SeedReport {
            seed,
            nodes: options.nodes,
            events: 0,
            violations,
            counters: Counters::default(),
            settle_ms: None,
            end: Time::ZERO,
            scenario,
        };
    };
    let mut apply = |sim: &mut Simulator<M>, at: Time, control: Control| {
        sim.advance_clock(at);
        if sim.apply(control.clone()).is_ok() {
            scenario.actions.push(TimedAction { at, control });
        }
    };

    // Faulty phase.
    // Fault tempo: a third of the seeds get dense faults (crash and restart inside one
    // election round), the rest a calmer pace that lets elections finish in between.
    let (gap_min, gap_max) = if rng.chance(1.0 / 3.0) {
        (10, 300)
    } else {
        (50, 2000)
    };
    let mut next_fault = Time(rng.range_inclusive(100, 1500));
    // Clients submit a command every 10–150 ms of virtual time (each client actor paces its own
    // commands; the protocol may skip a turn).
    let mut next_op = Time(rng.range_inclusive(50, 300));
    while sim.events() < options.events {
        let next_action = next_fault.min(next_op);
        match sim.next_event_time() {
            Some(t) if t < next_action => {
                sim.step();
            }
            _ if next_op < next_fault => {
                if let Some(control) = M::client_op(&mut rng, &sim) {
                    apply(&mut sim, next_op, control);
                }
                next_op = next_op.plus(rng.range_inclusive(10, 150));
            }
            _ => {
                if let Some(control) = random_fault(&mut rng, &sim, &options.faults) {
                    apply(&mut sim, next_fault, control);
                }
                next_fault = next_fault.plus(rng.range_inclusive(gap_min, gap_max));
            }
        }
    }

    // Heal: the network comes back, every node runs again, and the message faults (loss,
    // duplication, reordering) stop; the drawn latency range stays.
    // Finish the current instant, then heal one millisecond later: scenario actions at `t` go
    // before events at `t`, so replaying the scenario orders everything exactly as here.
    sim.run_until(sim.now());
    let heal_at = sim.now().plus(1);
    apply(&mut sim, heal_at, Control::HealAll);
    let calm = NetConfig {
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
        ..mix.net.clone()
    };
    apply(&mut sim, heal_at, Control::SetNet { net: calm });
    for i in 0..sim.cluster_size() {
        let node = NodeId::from_index(i);
        match sim.status(node) {
            NodeStatus::Crashed => apply(&mut sim, heal_at, Control::Restart { node }),
            NodeStatus::Paused => apply(&mut sim, heal_at, Control::Resume { node }),
            NodeStatus::Up => {}
        }
    }
    let deadline = heal_at.plus(M::settle_bound_ms(&config));
    let mut settle_ms = None;
    // Clients keep going after the heal (a new command must commit for Raft to count as
    // settled).
    next_op = next_op.max(heal_at.plus(1));
    if run_with_clients(
        &mut sim,
        &mut rng,
        &mut next_op,
        deadline,
        &mut apply,
        M::settled,
    ) {
        settle_ms = Some(sim.now().0 - heal_at.0);
    }
    if settle_ms.is_some() {
        if let Some(probe) = M::probe(&mut rng, &sim) {
            sim.run_until(sim.now());
            let at = sim.now().plus(1);
            let before = sim.counters().clone();
            for control in probe.controls.clone() {
                apply(&mut sim, at, control);
            }
            let end = at.plus(probe.window_ms);
            next_op = next_op.max(at.plus(1));
            run_with_clients(&mut sim, &mut rng, &mut next_op, end, &mut apply, |_| false);
            if let Some(why) = M::probe_verdict(&before, &sim) {
                violations.push(Violation {
                    at: sim.now(),
                    event: sim.events().saturating_sub(1),
                    checker: STABILITY,
                    node: None,
                    detail: format!("{}: {why}", probe.name),
                });
            }
        }
    }
    violations.extend(sim.violations().iter().cloned());
    violations.extend(M::final_check(&sim));
    if settle_ms.is_none() {
        violations.push(Violation {
            at: sim.now(),
            event: sim.events().saturating_sub(1),
            checker: LIVENESS,
            node: None,
            detail: format!(
                "{} within {} ms after the network healed at t={heal_at}",
                M::unsettled(&sim),
                M::settle_bound_ms(&config)
            ),
        });
    }
    scenario.until = Some(sim.now());
    SeedReport {
        seed,
        nodes: options.nodes,
        events: sim.events(),
        violations,
        counters: sim.counters().clone(),
        settle_ms,
        end: sim.now(),
        scenario,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::raft::{Raft, ID};
    use crate::run::playground::build;

    fn run_raft_seed(seed: u64, options: &ChaosOptions) -> SeedReport {
        run_seed::<Raft>(ID, seed, options)
    }

    #[test]
    fn a_seed_is_reproducible_and_replays_as_a_scenario() {
        let options = ChaosOptions {
            nodes: 3,
            events: 3000,
            ..ChaosOptions::default()
        };
        let a = run_raft_seed(42, &options);
        let b = run_raft_seed(42, &options);
        assert_eq!(a.counters, b.counters);
        assert_eq!(a.end, b.end);
        assert!(a.counters.crashes + a.counters.partitions + a.counters.pauses > 0);
        // The scenario replays the run exactly: same counters after the same number of events.
        let mut p = build(&a.scenario).unwrap();
        while p.events() < a.events {
            assert!(p.step());
        }
        assert!(p.refused().is_empty(), "{:?}", p.refused());
        assert_eq!(*p.counters(), a.counters);
        assert_eq!(p.now(), a.end);
    }

    #[test]
    fn every_seed_replays_exactly_from_its_scenario() {
        let options = ChaosOptions {
            nodes: 5,
            events: 2000,
            ..ChaosOptions::default()
        };
        for seed in 0..60 {
            let a = run_raft_seed(seed, &options);
            // Step the replay to exactly as many events: everything the nodes and the network
            // did must agree; then the remaining actions of the final instant apply too.
            let mut p = build(&a.scenario).unwrap();
            while p.events() < a.events {
                assert!(p.step(), "seed {seed}: replay ran dry");
            }
            let actions = |c: &Counters| {
                let mut c = c.clone();
                (c.crashes, c.restarts, c.pauses, c.partitions, c.heals) = (0, 0, 0, 0, 0);
                (c.link_cuts, c.one_way_cuts, c.link_holds, c.forced_timeouts) = (0, 0, 0, 0);
                c
            };
            assert_eq!(actions(p.counters()), actions(&a.counters), "seed {seed}");
            p.run_until(a.end, u64::MAX);
            assert_eq!(p.now(), a.end, "seed {seed}");
            let (x, y) = (p.counters(), &a.counters);
            assert_eq!(
                (
                    x.crashes,
                    x.restarts,
                    x.pauses,
                    x.partitions,
                    x.heals,
                    x.link_cuts
                ),
                (
                    y.crashes,
                    y.restarts,
                    y.pauses,
                    y.partitions,
                    y.heals,
                    y.link_cuts
                ),
                "seed {seed}"
            );
            assert!(p.refused().is_empty(), "seed {seed}: {:?}", p.refused());
        }
    }

    #[test]
    fn fault_classes_can_be_switched_off() {
        let options = ChaosOptions {
            nodes: 5,
            events: 3000,
            faults: FaultClasses {
                loss: false,
                duplication: false,
                reordering: false,
                partitions: false,
                crashes: false,
                pauses: false,
                timeouts: false,
            },
            clients: 0,
            mutant: None,
        };
        let r = run_raft_seed(1, &options);
        let c = &r.counters;
        assert_eq!(c.crashes + c.partitions + c.pauses + c.forced_timeouts, 0);
        assert_eq!(c.dropped_lost + c.duplicated, 0);
        assert!(r.violations.is_empty());
    }
}
