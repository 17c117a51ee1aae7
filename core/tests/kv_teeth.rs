//! Teeth for the store: deliberately broken variants must be caught by its checkers within
//! 200 chaos seeds, by the checker that names the bug. Compiled in only with the `mutants`
//! feature: `cargo test -p netsplit-core --features mutants --test kv_teeth`.
#![cfg(feature = "mutants")]

use netsplit_core::kernel::mutant::Mutants;
use netsplit_core::protocols::dynamo;
use netsplit_core::protocols::dynamo::Mutant;
use netsplit_core::run::chaos::ChaosOptions;
use netsplit_core::run::registry::Protocol;

/// Seeds each mutant gets to be caught in.
const BUDGET: u64 = 200;

fn first_catch(mutant: &str) -> Option<(u64, String)> {
    let options = ChaosOptions {
        nodes: 5,
        events: 20_000,
        clients: 3,
        mutant: Some(mutant.to_string()),
        ..ChaosOptions::default()
    };
    (0..BUDGET).find_map(|seed| {
        let r = dynamo::PROTOCOL.chaos_seed(seed, &options);
        r.violations
            .first()
            .map(|v| (seed, format!("{}: {}", v.checker, v.detail)))
    })
}

#[test]
fn every_mutant_is_caught_by_the_checker_that_names_its_bug() {
    let expect = |m: Mutant| match m {
        Mutant::AntiEntropySkipsReplica => "convergence",
        Mutant::LwwInSiblingsMode => "no-forgotten-write",
        Mutant::AckWithoutStore => "no-lost-acknowledged-write",
        Mutant::VolatileStoreDedup => "exactly-once",
    };
    for (mutant, name, bug) in Mutant::ALL {
        match first_catch(name) {
            Some((seed, how)) => {
                println!("mutant {name} caught at seed {seed}: {how}");
                assert!(
                    how.starts_with(expect(*mutant)),
                    "{name} caught by the wrong checker: {how}"
                );
            }
            None => panic!("mutant {name} ({bug}) survived {BUDGET} seeds"),
        }
    }
}

/// The gallery scenario that shows the fix shows the bug with the mutant on: the restarted
/// coordinator runs the late copy again and v1 comes back as a sibling of v2.
#[test]
fn the_duplicate_after_restart_scenario_catches_volatile_dedup() {
    let mut s = netsplit_core::run::gallery::load("kv-duplicate-after-restart").expect("loads");
    s.config = serde_json::json!({ "mutant": "volatile-store-dedup" });
    let mut p = netsplit_core::build(&s).expect("valid");
    p.run_until(netsplit_core::Time(4000), u64::MAX);
    let found: Vec<String> = p.violations().iter().map(|v| v.to_string()).collect();
    assert_eq!(
        found,
        ["exactly-once: c1's request #1 (put x \"v1\") ran twice: at n1 as dot n1:1, again at n1 as \
          dot n1:3 — n1:1 had been superseded, so \"v1\" comes back as a sibling"]
    );
}

/// The lost-write check judges every replica, whatever is down: with n1 crashed (it used to
/// read the ring from n1 alone, and then checked nothing) and a replica crashed too (judged by
/// the durable state it will restart with), an acknowledged write stored nowhere is reported.
#[test]
fn the_lost_write_check_does_not_depend_on_n1() {
    use netsplit_core::kernel::config::ClusterConfig;
    use netsplit_core::kernel::sim::Simulator;
    use netsplit_core::protocols::dynamo::check::{final_check, NO_LOST_WRITE};
    use netsplit_core::protocols::dynamo::ring::Ring;
    use netsplit_core::protocols::dynamo::{Dynamo, KvConfig};
    use netsplit_core::{Control, NodeId, Time};

    let config = KvConfig {
        mutant: Some(Mutant::AckWithoutStore),
        ..KvConfig::default()
    };
    let ring = Ring::new(5, config.vnodes);
    let (n1, n2) = (NodeId(0), NodeId(1));
    let key = (0..100)
        .map(|i| format!("k{i}"))
        .find(|k| {
            let r = ring.replicas(k, 3);
            !r.contains(&n1) && !r.contains(&n2)
        })
        .expect("a key replicated away from n1 and n2");
    let replica = ring.replicas(&key, 3)[0];
    let cluster = ClusterConfig {
        nodes: 5,
        clients: 1,
        ..ClusterConfig::default()
    };
    let mut sim = Simulator::<Dynamo>::new(cluster, config, 1).expect("valid");
    sim.run_until(Time(500));
    let c1 = NodeId::client(0);
    sim.apply(Control::Submit {
        client: c1,
        node: n2,
        op: format!("put {key} v strong"),
    })
    .expect("submitted");
    sim.run_until(Time(1500));
    let acked = sim.client(c1).expect("client").history();
    assert!(acked[0].reply.ok(), "{}", acked[0].reply);
    for node in [n1, replica] {
        sim.apply(Control::Crash { node }).expect("crash");
    }
    let found = final_check(&sim, &[c1]);
    let lost: Vec<_> = found
        .iter()
        .filter(|v| v.checker == NO_LOST_WRITE)
        .collect();
    assert!(!lost.is_empty(), "{found:?}");
    assert_eq!(lost[0].node, Some(replica), "{}", lost[0]);
}
