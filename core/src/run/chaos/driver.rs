//! One seed, start to finish: draw the plan, run the faulty phase with clients, heal, settle,
//! probe, check.

use super::faults::{draw_mix, random_fault, FaultClasses, FaultWeights};
use super::{
    ChaosOptions, ChaosProtocol, ConfigMode, Plan, SeedReport, Verdicts, Workload, LIVENESS,
    STABILITY,
};
use crate::kernel::check::Violation;
use crate::kernel::config::ClusterConfig;
use crate::kernel::control::Control;
use crate::kernel::net::NetConfig;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::{Counters, Simulator};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::NodeStatus;
use crate::run::scenario::{Scenario, TimedAction};

/// Random stream of the fault injector (separate from the simulator's own streams).
const CHAOS_STREAM: u64 = 0xC4A05;
/// Random stream of the swarm plan (separate from the injector, so a plan change does not
/// reshuffle the faults).
const SWARM_STREAM: u64 = 0x5A4A;

/// Fault tempos a swarm seed draws from: (min, max) ms between faults.
const TEMPOS: &[(u64, u64)] = &[(10, 300), (30, 800), (50, 2000), (200, 4000)];

/// Run one seed of chaos against protocol `M`, which runs under the registry id `id`, with the
/// protocol's own chaos configuration as the base.
pub fn run_seed<M: ChaosProtocol>(id: &str, seed: u64, options: &ChaosOptions) -> SeedReport {
    run_seed_with::<M>(id, seed, options, M::chaos_config)
}

/// Draw (swarm) or fix (default) the seed's plan and configuration. `base` gives the base
/// configuration for the plan's cluster.
fn plan<M: ChaosProtocol>(
    seed: u64,
    options: &ChaosOptions,
    base: impl FnOnce(&ChaosOptions) -> M::Config,
) -> (Plan, M::Config) {
    if options.mode == ConfigMode::Default {
        let config = base(options);
        let plan = Plan {
            mode: ConfigMode::Default,
            nodes: options.nodes,
            clients: options.clients,
            faults: options.faults.clone(),
            weights: FaultWeights::default(),
            tempo_ms: None,
            workload: Workload::default(),
            mix: None,
            config: M::config_json(&config),
        };
        return (plan, config);
    }
    let mut rng = SimRng::new(seed).fork(SWARM_STREAM);
    let sizes = M::swarm_sizes();
    let nodes = if options.pin_nodes || sizes.is_empty() {
        options.nodes
    } else {
        sizes[rng.index(sizes.len())]
    };
    let clients = if options.pin_clients {
        options.clients
    } else {
        rng.range_inclusive(1, 4) as usize
    };
    let faults = FaultClasses::default().thinned(&options.faults, &mut rng, 0.8);
    let weights = FaultWeights::draw(&mut rng);
    let tempo = TEMPOS[rng.index(TEMPOS.len())];
    let gap_min = rng.range_inclusive(5, 40);
    let workload = Workload {
        gap_ms: (gap_min, gap_min + rng.range_inclusive(20, 300)),
        keys: Some(rng.range_inclusive(1, 6) as usize),
        writes_pct: Some(rng.range_inclusive(10, 90)),
    };
    let effective = ChaosOptions {
        nodes,
        clients,
        ..options.clone()
    };
    let config = M::swarm_config(&mut rng, base(&effective), nodes);
    let plan = Plan {
        mode: ConfigMode::Swarm,
        nodes,
        clients,
        faults,
        weights,
        tempo_ms: Some(tempo),
        workload,
        mix: None,
        config: M::config_json(&config),
    };
    (plan, config)
}

/// Process events up to `end` while the clients keep submitting commands (the next at
/// `*next_op`, then one workload gap later each time), until `done` holds (checked before every
/// step). Returns whether `done` held.
fn run_with_clients<M: ChaosProtocol>(
    sim: &mut Simulator<M>,
    rng: &mut SimRng,
    plan: &Plan,
    next_op: &mut Time,
    end: Time,
    apply: &mut impl FnMut(&mut Simulator<M>, Time, Control),
    done: impl Fn(&Simulator<M>) -> bool,
) -> bool {
    let (gap_min, gap_max) = plan.workload.gap_ms;
    loop {
        if done(sim) {
            return true;
        }
        match sim.next_event_time() {
            Some(t) if t <= end && t < *next_op => {
                sim.step();
            }
            _ if *next_op <= end => {
                if let Some(control) = M::client_op(rng, sim, &plan.workload) {
                    apply(sim, *next_op, control);
                }
                *next_op = next_op.plus(rng.range_inclusive(gap_min, gap_max));
            }
            _ => return false,
        }
    }
}

/// Run one seed of chaos against protocol `M` (registry id `id`), its base configuration made
/// by `base` for the seed's cluster (e.g. a variant of the protocol the options cannot name).
pub fn run_seed_with<M: ChaosProtocol>(
    id: &str,
    seed: u64,
    options: &ChaosOptions,
    base: impl FnOnce(&ChaosOptions) -> M::Config,
) -> SeedReport {
    let (mut plan, config) = plan::<M>(seed, options, base);
    let mut rng = SimRng::new(seed).fork(CHAOS_STREAM);
    let mix = draw_mix(&mut rng, &plan.faults);
    plan.mix = Some(mix.clone());
    let cluster = ClusterConfig {
        nodes: plan.nodes,
        clients: plan.clients,
        net: mix.net.clone(),
        record_trace: false,
    };
    let mut scenario = Scenario::new(id, seed);
    scenario.name = format!("chaos seed {seed}");
    scenario.cluster = ClusterConfig {
        record_trace: true,
        ..cluster.clone()
    };
    scenario.config = plan.config.clone();

    let mut violations = Vec::new();
    let Ok(mut sim) = Simulator::<M>::new(cluster, config.clone(), seed) else {
        // Options are validated by callers; an invalid cluster yields an empty report.
        return SeedReport {
            seed,
            nodes: plan.nodes,
            events: 0,
            violations,
            counters: Counters::default(),
            verdicts: Verdicts::default(),
            settle_ms: None,
            end: Time::ZERO,
            plan,
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
    // Fault tempo: swarm seeds drew theirs; in default mode a third of the seeds get dense
    // faults (crash and restart inside one election round), the rest a calmer pace that lets
    // elections finish in between.
    let (gap_min, gap_max) = match plan.tempo_ms {
        Some(tempo) => tempo,
        None if rng.chance(1.0 / 3.0) => (10, 300),
        None => (50, 2000),
    };
    let mut next_fault = Time(rng.range_inclusive(100, 1500));
    // Clients take a turn every workload gap (each client actor paces its own commands; the
    // protocol may skip a turn).
    let (op_min, op_max) = plan.workload.gap_ms;
    let mut next_op = Time(rng.range_inclusive(50, 300));
    let targeted = plan.mode == ConfigMode::Swarm;
    while sim.events() < options.events {
        let next_action = next_fault.min(next_op);
        match sim.next_event_time() {
            Some(t) if t < next_action => {
                sim.step();
            }
            _ if next_op < next_fault => {
                if let Some(control) = M::client_op(&mut rng, &sim, &plan.workload) {
                    apply(&mut sim, next_op, control);
                }
                next_op = next_op.plus(rng.range_inclusive(op_min, op_max));
            }
            _ => {
                let chosen = targeted
                    .then(|| M::targeted_fault(&mut rng, &sim, &plan))
                    .flatten()
                    .or_else(|| random_fault(&mut rng, &sim, &plan.faults, &plan.weights));
                if let Some(control) = chosen {
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
        &plan,
        &mut next_op,
        deadline,
        &mut apply,
        |s| M::settled(s, heal_at),
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
            run_with_clients(
                &mut sim,
                &mut rng,
                &plan,
                &mut next_op,
                end,
                &mut apply,
                |_| false,
            );
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
    let mut verdicts = M::final_check(&sim);
    violations.append(&mut verdicts.violations);
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
        nodes: plan.nodes,
        events: sim.events(),
        violations,
        counters: sim.counters().clone(),
        verdicts,
        settle_ms,
        end: sim.now(),
        plan,
        scenario,
    }
}
