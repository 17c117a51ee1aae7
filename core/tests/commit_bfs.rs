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

use netsplit_core::kernel::config::ClusterConfig;
use netsplit_core::kernel::node::Model;
use netsplit_core::kernel::sim::{Choice, Simulator};
use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::protocols::atomic_commit::{AtomicCommit, CommitConfig, CommitRequest, Outcome};
use netsplit_core::{Control, NodeId};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

const SERVERS: usize = 4;
const CRASHES: u8 = 2;

#[derive(Clone)]
struct State {
    sim: Simulator<AtomicCommit>,
    crashes_left: u8,
    /// Durable-state fingerprint of each crashed server.
    crashed: [u64; SERVERS],
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
    let nodes: Vec<(bool, u64)> = (0..SERVERS)
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
    for i in 0..SERVERS {
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

/// Direct atomicity check on live participants (the checker sees crashed ones' history too).
fn atomic(sim: &Simulator<AtomicCommit>) -> Result<(), String> {
    let mut seen: Vec<(NodeId, Outcome)> = Vec::new();
    for i in 1..SERVERS {
        let id = NodeId::from_index(i);
        if let Some(n) = sim.server(id) {
            for o in n.durable_state().done.values() {
                seen.push((id, *o));
            }
        }
    }
    if seen.iter().any(|(_, o)| *o == Outcome::Commit)
        && seen.iter().any(|(_, o)| *o == Outcome::Abort)
    {
        return Err(format!("mixed outcomes: {seen:?}"));
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

/// Explore every reachable state; the first violation (with the path length) is an error.
fn explore(config: CommitConfig) -> Result<Stats, String> {
    let cluster = ClusterConfig {
        nodes: SERVERS,
        record_trace: false,
        ..ClusterConfig::default()
    };
    let mut sim = Simulator::<AtomicCommit>::new(cluster, config, 1).expect("valid");
    let txn = AtomicCommit::parse_request(NodeId(0), "txn n2:x=1 n3:y=2 n4:z=3").expect("parses");
    assert!(matches!(txn, CommitRequest::Txn(_)));
    sim.request(NodeId(0), 0, txn).expect("coordinator is up");
    let init = State {
        sim,
        crashes_left: CRASHES,
        crashed: [0; SERVERS],
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
                let outcomes: Vec<Outcome> = (1..SERVERS)
                    .filter_map(|i| s.sim.server(NodeId::from_index(i)))
                    .flat_map(|n| n.durable_state().done.values().copied().collect::<Vec<_>>())
                    .collect();
                if outcomes.len() == SERVERS - 1 {
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

#[test]
fn two_phase_commit_is_atomic_in_every_reachable_state() {
    let start = std::time::Instant::now();
    let s = explore(CommitConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "2pc exhaustive check: {} distinct states, {} transitions, {} terminal; {} states with \
         all three committed, {} with all three aborted; {:.1} s",
        s.states,
        s.transitions,
        s.terminal,
        s.committed,
        s.aborted,
        start.elapsed().as_secs_f64()
    );
    assert!(
        s.committed > 0 && s.aborted > 0,
        "both outcomes are reachable"
    );
}

/// The search has teeth: with the commit record written after the Commit messages leave, a
/// crash in between is found to break the properties.
#[cfg(feature = "mutants")]
#[test]
fn the_search_finds_commit_before_log() {
    let config = CommitConfig {
        mutant: Some(netsplit_core::protocols::atomic_commit::Mutant::CommitBeforeLog),
        ..CommitConfig::default()
    };
    let err = explore(config).err().expect("the mutant is caught");
    println!("commit-before-log: {err}");
    assert!(err.contains("violation"), "{err}");
}
