//! Exhaustive check of the small model: two-phase commit with a coordinator and three
//! participants, one transaction writing on all three, explored breadth-first over every
//! choice the simulator offers — deliver or drop any in-flight message — plus crashing any
//! running server and restarting any crashed one (at most `CRASHES` crashes per path). Timers
//! never fire (the model "without timeouts"): progress after a crash comes only from recovery
//! (a restarted coordinator resends commits from its log, a restarted participant asks).
//!
//! States are deduplicated by a fingerprint of every server's protocol state (durable and
//! volatile; the durable state for a crashed server), its status, and the multiset of messages
//! in flight. Atomicity (and every other checker) must hold in every reachable state.
//!
//! A second, smaller search starts from a client actor's Begin that the network duplicated —
//! both copies in flight — with a coordinator and two participants: whichever order the copies,
//! the votes, the decisions and up to two crashes take, the request commits at most once
//! (`exactly-once`), including when a copy arrives after the coordinator restarted.

use netsplit_core::kernel::config::ClusterConfig;
use netsplit_core::kernel::net::NetConfig;
use netsplit_core::kernel::node::{Message, Model};
use netsplit_core::kernel::sim::{Choice, Simulator};
use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::protocols::atomic_commit::{
    AtomicCommit, CommitConfig, CommitRequest, Outcome, TxnId,
};
use netsplit_core::{Control, NodeId};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

const SERVERS: usize = 4;
const CRASHES: u8 = 2;

#[derive(Clone)]
struct State {
    sim: Simulator<AtomicCommit>,
    crashes_left: u8,
    /// Durable-state fingerprint of each crashed server.
    crashed: Vec<u64>,
}

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

fn fingerprint(s: &State) -> u64 {
    let mut msgs: Vec<u64> = s
        .sim
        .in_flight()
        .map(|(_, from, to, msg)| hash_of(&(from, to, msg)))
        .collect();
    msgs.sort_unstable();
    let nodes: Vec<(bool, u64)> = (0..s.sim.cluster_size())
        .map(|i| match s.sim.server(NodeId::from_index(i)) {
            Some(n) => (true, n.state_hash()),
            None => (false, s.crashed[i]),
        })
        .collect();
    hash_of(&(nodes, msgs, s.crashes_left))
}

enum Step {
    Choice(Choice<<AtomicCommit as Model>::Timer>),
    Control(Control),
}

fn steps(s: &State) -> Vec<Step> {
    let mut out: Vec<Step> = s
        .sim
        .enabled()
        .into_iter()
        .filter(|c| !matches!(c, Choice::Fire { .. }))
        .map(Step::Choice)
        .collect();
    for i in 0..s.sim.cluster_size() {
        let node = NodeId::from_index(i);
        match s.sim.status(node) {
            NodeStatus::Up if s.crashes_left > 0 => {
                out.push(Step::Control(Control::Crash { node }))
            }
            NodeStatus::Crashed => out.push(Step::Control(Control::Restart { node })),
            _ => {}
        }
    }
    out
}

/// Direct atomicity check on live participants, per transaction (the checker sees crashed
/// ones' history too).
fn atomic(sim: &Simulator<AtomicCommit>) -> Result<(), String> {
    let mut seen: BTreeMap<TxnId, Vec<(NodeId, Outcome)>> = BTreeMap::new();
    for i in 1..sim.cluster_size() {
        let id = NodeId::from_index(i);
        if let Some(n) = sim.server(id) {
            for (txn, o) in &n.durable_state().done {
                seen.entry(*txn).or_default().push((id, *o));
            }
        }
    }
    for (txn, outcomes) in seen {
        if outcomes.iter().any(|(_, o)| *o == Outcome::Commit)
            && outcomes.iter().any(|(_, o)| *o == Outcome::Abort)
        {
            return Err(format!("mixed outcomes of {txn}: {outcomes:?}"));
        }
    }
    Ok(())
}

struct Stats {
    states: usize,
    transitions: u64,
    terminal: u64,
    committed: u64,
    aborted: u64,
}

/// The model of the main search: a coordinator and three participants, one transaction
/// handed straight to the coordinator.
fn one_transaction(config: CommitConfig) -> Simulator<AtomicCommit> {
    let cluster = ClusterConfig {
        nodes: SERVERS,
        record_trace: false,
        ..ClusterConfig::default()
    };
    let mut sim = Simulator::<AtomicCommit>::new(cluster, config, 1).expect("valid");
    let txn = AtomicCommit::parse_request(NodeId(0), "txn n2:x=1 n3:y=2 n4:z=3").expect("parses");
    assert!(matches!(txn, CommitRequest::Txn(_)));
    sim.request(NodeId(0), 0, txn).expect("coordinator is up");
    sim
}

/// The model of the duplicate search: a coordinator, two participants and a client actor
/// whose Begin the network duplicated (both copies in flight, no other message yet).
fn duplicated_begin(config: CommitConfig) -> Simulator<AtomicCommit> {
    let cluster = ClusterConfig {
        nodes: 3,
        clients: 1,
        net: NetConfig {
            duplicate: 1.0,
            ..NetConfig::default()
        },
        record_trace: false,
    };
    let mut sim = Simulator::<AtomicCommit>::new(cluster, config, 1).expect("valid");
    sim.apply(Control::Submit {
        client: NodeId::client(0),
        node: NodeId(0),
        op: "txn n2:x=1 n3:y=2".into(),
    })
    .expect("submitted");
    sim.apply(Control::SetNet {
        net: NetConfig::default(),
    })
    .expect("calm network");
    let begins = sim.in_flight().filter(|(_, _, _, m)| m.kind() == "Begin");
    assert_eq!(begins.count(), 2, "both copies of the Begin are in flight");
    sim
}

/// Explore every reachable state; the first violation (with the path length) is an error.
fn explore(sim: Simulator<AtomicCommit>) -> Result<Stats, String> {
    let servers = sim.cluster_size();
    let init = State {
        sim,
        crashes_left: CRASHES,
        crashed: vec![0; servers],
    };
    let mut seen = HashSet::new();
    seen.insert(fingerprint(&init));
    let mut queue = VecDeque::from([init]);
    let (mut transitions, mut committed, mut aborted, mut terminal) = (0u64, 0u64, 0u64, 0u64);
    while let Some(state) = queue.pop_front() {
        let next = steps(&state);
        if next.is_empty() {
            terminal += 1;
        }
        for step in next {
            let mut s = state.clone();
            let ok = match &step {
                Step::Choice(c) => s.sim.choose(*c).is_ok(),
                Step::Control(c) => {
                    if let Control::Crash { node } = c {
                        let d = s.sim.server(*node).map(|n| hash_of(n.durable_state()));
                        s.crashed[node.index()] = d.unwrap_or(0);
                        s.crashes_left -= 1;
                    }
                    s.sim.apply(c.clone()).is_ok()
                }
            };
            if !ok {
                return Err("an enabled step did not apply".into());
            }
            transitions += 1;
            if let Some(v) = s.sim.violations().first() {
                return Err(format!("violation after {transitions} transitions: {v}"));
            }
            atomic(&s.sim).map_err(|e| format!("atomicity broken: {e}"))?;
            if seen.insert(fingerprint(&s)) {
                let outcomes: Vec<Outcome> = (1..servers)
                    .filter_map(|i| s.sim.server(NodeId::from_index(i)))
                    .filter_map(|n| n.durable_state().done.get(&TxnId(1)).copied())
                    .collect();
                if outcomes.len() == servers - 1 {
                    if outcomes.iter().all(|o| *o == Outcome::Commit) {
                        committed += 1;
                    } else {
                        aborted += 1;
                    }
                }
                queue.push_back(s);
            }
        }
    }
    Ok(Stats {
        states: seen.len(),
        transitions,
        terminal,
        committed,
        aborted,
    })
}

/// Explore `sim` (no violation allowed), print what the search covered, and check both
/// outcomes were reached.
fn explore_and_report(name: &str, sim: Simulator<AtomicCommit>) {
    let start = std::time::Instant::now();
    let s = explore(sim).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!(
        "{name}: {} distinct states, {} transitions, {} terminal; {} states with every \
         participant committed, {} with every participant aborted; {:.1} s",
        s.states,
        s.transitions,
        s.terminal,
        s.committed,
        s.aborted,
        start.elapsed().as_secs_f64()
    );
    assert!(
        s.committed > 0 && s.aborted > 0,
        "{name}: both outcomes are reachable"
    );
}

#[test]
fn two_phase_commit_is_atomic_in_every_reachable_state() {
    explore_and_report(
        "2pc exhaustive check",
        one_transaction(CommitConfig::default()),
    );
}

#[test]
fn a_duplicated_begin_commits_at_most_once_in_every_reachable_state() {
    explore_and_report(
        "2pc duplicated Begin",
        duplicated_begin(CommitConfig::default()),
    );
}

/// Explore `model` with `mutant` on: the search must find a violation, which is returned.
#[cfg(feature = "mutants")]
fn mutant_found(
    mutant: netsplit_core::protocols::atomic_commit::Mutant,
    model: fn(CommitConfig) -> Simulator<AtomicCommit>,
) -> String {
    let config = CommitConfig {
        mutant: Some(mutant),
        ..CommitConfig::default()
    };
    let err = explore(model(config)).err().expect("the mutant is caught");
    println!("{mutant:?}: {err}");
    err
}

/// The search has teeth: with the commit record written after the Commit messages leave, a
/// crash in between is found to break the properties.
#[cfg(feature = "mutants")]
#[test]
fn the_search_finds_commit_before_log() {
    use netsplit_core::protocols::atomic_commit::Mutant;
    let err = mutant_found(Mutant::CommitBeforeLog, one_transaction);
    assert!(err.contains("violation"), "{err}");
}

/// With the client table ignored, the search finds a copy that runs the request again.
#[cfg(feature = "mutants")]
#[test]
fn the_search_finds_duplicate_begin_reruns() {
    use netsplit_core::protocols::atomic_commit::Mutant;
    let err = mutant_found(Mutant::DuplicateBeginReruns, duplicated_begin);
    assert!(err.contains("exactly-once"), "{err}");
}
