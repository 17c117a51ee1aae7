use super::*;
use crate::kernel::control::Control;
use crate::kernel::types::{NodeId, Time};
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
    for mode in [ConfigMode::Swarm, ConfigMode::Default] {
        every_seed_replays_in(mode);
    }
}

fn every_seed_replays_in(mode: ConfigMode) {
    let options = ChaosOptions {
        nodes: 5,
        events: 2000,
        mode,
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
        pin_clients: true,
        ..ChaosOptions::default()
    };
    let r = run_raft_seed(1, &options);
    let c = &r.counters;
    assert_eq!(c.crashes + c.partitions + c.pauses + c.forced_timeouts, 0);
    assert_eq!(c.dropped_lost + c.duplicated, 0);
    assert!(r.violations.is_empty());
}

#[test]
fn swarm_seeds_draw_their_own_plan_and_default_seeds_do_not() {
    let options = ChaosOptions {
        events: 1500,
        ..ChaosOptions::swarm()
    };
    let reports: Vec<SeedReport> = (0..40).map(|s| run_raft_seed(s, &options)).collect();
    let sizes: std::collections::BTreeSet<usize> = reports.iter().map(|r| r.plan.nodes).collect();
    assert_eq!(sizes.into_iter().collect::<Vec<_>>(), vec![3, 5, 7]);
    let configs: std::collections::BTreeSet<String> =
        reports.iter().map(|r| r.plan.config.to_string()).collect();
    assert!(configs.len() > 30, "configurations vary per seed");
    for r in &reports {
        // The scenario carries what was drawn, so the seed replays as it ran.
        assert_eq!(r.scenario.cluster.nodes, r.plan.nodes);
        assert_eq!(r.scenario.cluster.clients, r.plan.clients);
        assert_eq!(r.scenario.config, r.plan.config);
        assert!(
            r.violations.is_empty(),
            "seed {}: {:?}",
            r.seed,
            r.violations
        );
    }
    let pinned = ChaosOptions {
        nodes: 3,
        pin_nodes: true,
        ..options.clone()
    };
    assert!((0..10).all(|s| run_raft_seed(s, &pinned).plan.nodes == 3));
    let fixed = ChaosOptions::fixed(5);
    for s in 0..5 {
        let r = run_raft_seed(s, &fixed);
        assert_eq!(r.plan.mode, ConfigMode::Default);
        assert_eq!((r.plan.nodes, r.plan.clients), (5, 3));
        assert_eq!(r.plan.weights, FaultWeights::default());
        let config = crate::protocols::raft::RaftConfig::default();
        assert_eq!(r.plan.config, serde_json::to_value(config).unwrap());
    }
}

#[test]
fn the_end_of_run_check_counts_what_it_decided() {
    let r = run_raft_seed(3, &ChaosOptions::fixed(5));
    assert!(
        r.verdicts.ops > 0 && r.verdicts.keys > 0,
        "{:?}",
        r.verdicts
    );
    assert_eq!((r.verdicts.unknown, r.verdicts.errors), (0, 0));
}

#[test]
fn a_failing_scenario_shrinks_and_still_fails_the_same_way() {
    use crate::run::registry::Registry;
    // 3PC is unsafe under partitions: the gallery's 3pc-partition breaks atomicity. Pad it with
    // faults and commands that have nothing to do with the failure; the shrink removes them.
    let registry = Registry::builtin();
    let mut scenario = registry.load_gallery("3pc-partition").unwrap();
    let until = scenario.until.unwrap();
    let noise = [
        Control::Hold {
            from: NodeId(2),
            to: NodeId(3),
        },
        Control::HealAll,
        Control::Pause { node: NodeId(3) },
        Control::Resume { node: NodeId(3) },
    ];
    for (k, control) in noise.into_iter().enumerate() {
        scenario.actions.push(crate::run::scenario::TimedAction {
            at: Time(20 + 10 * k as u64),
            control,
        });
    }
    assert!(until.0 > 1000);
    scenario.actions.sort_by_key(|a| a.at);
    let shrunk = minimize::minimize(&registry, &scenario, "atomicity", 3000).unwrap();
    assert!(shrunk.after.faults < shrunk.before.faults, "{shrunk:?}");
    assert!(shrunk.after.until_ms <= shrunk.before.until_ms);
    assert!(!shrunk.out_of_budget);
    let mut replay = registry.build(&shrunk.scenario).unwrap();
    replay.run_until(shrunk.scenario.until.unwrap(), u64::MAX);
    assert!(replay.violations().iter().any(|v| v.checker == "atomicity"));
    // Shrinking again finds nothing more to remove: the result is 1-minimal.
    let again = minimize::minimize(&registry, &shrunk.scenario, "atomicity", 3000).unwrap();
    assert_eq!(again.after, shrunk.after);
    // A checker that never fires cannot be shrunk toward.
    let e = minimize::minimize(&registry, &scenario, "vote-safety", 10).unwrap_err();
    assert!(
        e.to_string().contains("does not make vote-safety fire"),
        "{e}"
    );
}

#[test]
fn reactive_moves_leave_the_other_seeds_alone_and_replay_exactly() {
    let drawn = ChaosOptions {
        events: 2000,
        ..ChaosOptions::swarm()
    };
    let off = ChaosOptions {
        moves: MovesChoice::Off,
        ..drawn.clone()
    };
    let mut with_moves = 0;
    for seed in 0..24 {
        let a = run_raft_seed(seed, &drawn);
        let b = run_raft_seed(seed, &off);
        assert_eq!(b.plan.moves, None);
        match a.plan.moves {
            // A seed that drew none runs exactly as with moves off.
            None => assert_eq!(a.scenario.to_json(), b.scenario.to_json(), "seed {seed}"),
            Some(family) => {
                with_moves += 1;
                assert!(a.plan.workload.writes_to_leader, "seed {seed} ({family})");
                // Its scenario (the moves recorded as timed controls) replays it exactly.
                let mut p = build(&a.scenario).unwrap();
                while p.events() < a.events {
                    assert!(p.step());
                }
                assert!(p.refused().is_empty(), "{:?}", p.refused());
                assert_eq!(*p.counters(), a.counters, "seed {seed} ({family})");
            }
        }
    }
    assert!(with_moves > 0, "some of 24 seeds draw moves");
}
