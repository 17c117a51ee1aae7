//! Raft under chaos: what "settled" means (one leader everyone follows, its term committed
//! everywhere, a command sent since the heal answered), random client commands on a few hot keys, the partial-partition stability probe
//! and the end-of-run linearizability check of every client's history.

pub mod moves;

use super::machine::RaftHost;
use super::{Mutant, Raft, RaftConfig, RaftRole, RaftServer, ReadMode};
use crate::checkers::linearizability;
use crate::kernel::check::Violation;
use crate::kernel::control::Control;
use crate::kernel::mutant;
use crate::kernel::node::Model;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::{Counters, Simulator};
use crate::kernel::types::{NodeId, Time};
use crate::run::chaos::{ChaosOptions, ChaosProtocol, Moves, Plan, Probe, Verdicts, Workload};

/// Hot keys the chaos clients use (the first `Workload::keys`; three by default).
const KEYS: &[&str] = &["x", "y", "z", "w", "v", "u"];

/// Whether some client command invoked at or after `since` has been answered (true when there
/// are no clients). Histories are in invocation order, so each is read from the end.
fn answered_since(sim: &Simulator<Raft>, since: Time) -> bool {
    let clients = sim.cluster().clients;
    clients == 0
        || (0..clients).any(|k| {
            sim.client(NodeId::client(k)).is_some_and(|c| {
                c.history()
                    .iter()
                    .rev()
                    .take_while(|op| op.invoked_at >= since)
                    .any(|op| op.returned.is_some())
            })
        })
}

/// The linearizability checker's step budget per key at the end of a seed.
pub const FINAL_BUDGET: u64 = 2_000_000;

impl ChaosProtocol for Raft {
    /// The default configuration, adjusted for a mutant so its bug can show under random
    /// faults (each adjustment says why).
    fn chaos_config(options: &ChaosOptions) -> RaftConfig {
        let mutant = options
            .mutant
            .as_deref()
            .and_then(mutant::by_name::<Mutant>);
        let mut c = RaftConfig {
            mutant,
            ..RaftConfig::default()
        };
        match mutant {
            // Without PreVote and CheckQuorum the damage shows as stale lease reads.
            Some(Mutant::NoPrevoteNoCheckquorum) => c.read_mode = ReadMode::Lease,
            // Leases are what this bug breaks; a longer minimum election timeout is a longer
            // lease (election_timeout_min − drift), room for an election and a commit inside
            // it. (Blind random faults still rarely line up: swarm seeds reach it with the lease
            // moves, `moves.rs`.)
            Some(Mutant::LeaseVoteAfterRestart) => {
                c.read_mode = ReadMode::Lease;
                c.election_timeout_min_ms = 1500;
                c.election_timeout_max_ms = 3000;
            }
            // A forgotten vote shows when two candidates share a term and the voter restarts
            // in between: split votes without PreVote make that common.
            Some(Mutant::ForgetVote) => c.pre_vote = false,
            // A vote cleared by a same-term AppendEntries shows when another candidate of that
            // term asks next. With CheckQuorum that server, having just heard the leader,
            // refuses same-term votes for a minimum election timeout (the lease rule), which
            // hides the bug almost always.
            Some(Mutant::ClearVoteOnAppend) => c.check_quorum = false,
            // Snapshot bugs need snapshots: take them often, so restarts and lagging followers
            // load them.
            Some(Mutant::SnapshotForgetsSessions | Mutant::FollowerIgnoresSnapshotState) => {
                c.snapshot_every = 8;
            }
            // A deposed leader that does not know it (no CheckQuorum, as in the minority-read
            // scenario) is where an unconfirmed ReadIndex answers stale data.
            Some(Mutant::ReadIndexWithoutHeartbeat) => c.check_quorum = false,
            _ => {}
        }
        c
    }

    /// Swarm: every option a deployment might choose — PreVote and CheckQuorum on or off, the
    /// read mode (a lease only with CheckQuorum, which it needs), batching and pipelining,
    /// batch size and window, the snapshot interval, the election timeout range and the
    /// heartbeat — drawn per seed; the base's mutant is kept.
    fn swarm_config(rng: &mut SimRng, base: RaftConfig, _nodes: usize) -> RaftConfig {
        let check_quorum = rng.chance(0.75);
        let pre_vote = rng.chance(0.75);
        let read_mode = match rng.index(3) {
            0 => ReadMode::Log,
            1 => ReadMode::ReadIndex,
            _ if check_quorum => ReadMode::Lease,
            _ => ReadMode::ReadIndex,
        };
        let election_timeout_min_ms = rng.range_inclusive(100, 300);
        let election_timeout_max_ms = election_timeout_min_ms + rng.range_inclusive(50, 300);
        let heartbeat_ms = rng.range_inclusive(20, election_timeout_min_ms / 2);
        RaftConfig {
            pre_vote,
            check_quorum,
            read_mode,
            election_timeout_min_ms,
            election_timeout_max_ms,
            heartbeat_ms,
            batching: rng.chance(0.7),
            batch_delay_ms: rng.range_inclusive(0, 20),
            max_batch: [1, 4, 16, 64][rng.index(4)],
            pipelining: rng.chance(0.7),
            max_inflight: rng.range_inclusive(1, 8) as usize,
            snapshot_every: [0, 8, 16, 32, 128][rng.index(5)],
            lease_drift_ms: rng.range_inclusive(5, election_timeout_min_ms / 3),
            ..base
        }
    }

    fn config_json(config: &RaftConfig) -> serde_json::Value {
        serde_json::to_value(config).unwrap_or_default()
    }

    /// Ten election timeouts (the bound the tests promise).
    fn settle_bound_ms(config: &RaftConfig) -> u64 {
        10 * config.election_timeout_max_ms
    }

    /// Log repair after the heal: a follower may hold a divergent or missing suffix as long as
    /// the gap between the longest log and its commit index; each AppendEntries carries up to
    /// `max_batch` entries and repairing walks back one probe per round trip before it walks
    /// forward, so allow two round trips (at the network's slowest) per batch of that gap.
    /// With the default batches of 64 this is a few round trips; with batches of one (the
    /// Figure 8 moves) and hundreds of elections behind, it is seconds.
    fn settle_allowance_ms(sim: &Simulator<Raft>) -> u64 {
        let servers = || (0..sim.cluster_size()).filter_map(|i| sim.server(NodeId::from_index(i)));
        let longest = servers().map(|s| s.last_index()).max().unwrap_or(0);
        let gap = servers()
            .map(|s| longest.saturating_sub(s.commit_index()))
            .max()
            .unwrap_or(0);
        let batches = gap.div_ceil(sim.config().max_batch.max(1) as u64);
        let round_trip = 2 * sim.net().config().latency_max_ms;
        2 * batches * round_trip
    }

    /// Exactly one leader among running servers, every running server is in its term and
    /// follows it, every one of them has committed an entry of that term (the leader's term
    /// is committed and everyone learned it), and a client command invoked since the heal has
    /// been answered (§5.2's liveness: the cluster serves clients again).
    ///
    /// Not "the leader's whole log is committed everywhere at one instant": under steady
    /// client load (swarm workloads send every few milliseconds, batching holds entries back)
    /// there is always an entry in flight, so that moment may never come while the cluster is
    /// perfectly healthy — swarm seeds 43 and 419 reported such false liveness failures.
    fn settled(sim: &Simulator<Raft>, healed_at: Time) -> bool {
        settled(sim) && answered_since(sim, healed_at)
    }

    /// A random command from a random idle client to a random server, on a few hot keys so
    /// operations overlap: 40 % put, 30 % get, 20 % cas, 10 % delete by default; with a swarm
    /// workload, `writes_pct` of the commands write (put, cas, delete as 4 : 2 : 1) and the
    /// rest read.
    fn client_op(rng: &mut SimRng, sim: &Simulator<Raft>, workload: &Workload) -> Option<Control> {
        let clients = sim.cluster().clients;
        if clients == 0 {
            return None;
        }
        let k = rng.index(clients);
        let client = NodeId::client(k);
        if sim.client(client).is_some_and(|c| c.busy()) {
            return None;
        }
        let node = NodeId::from_index(rng.index(sim.cluster_size()));
        let keys = workload.keys.unwrap_or(3).clamp(1, KEYS.len());
        let key = KEYS[rng.index(keys)];
        let value = rng.range_inclusive(1, 9);
        let kind = match workload.writes_pct {
            None => rng.index(10),
            Some(pct) if rng.range_inclusive(0, 99) < pct => [0, 0, 0, 0, 7, 7, 9][rng.index(7)],
            Some(_) => 4,
        };
        // Writes to the leader (a workload of reactive moves): the draws above stay the same,
        // only the destination changes.
        let node = if workload.writes_to_leader && !(4..=6).contains(&kind) {
            moves::leader(sim).map_or(node, |(leader, ..)| leader)
        } else {
            node
        };
        let op = match kind {
            0..=3 => format!("put {key} {value}"),
            4..=6 => format!("get {key}"),
            7 | 8 => {
                let expected = rng.range_inclusive(0, 9);
                let expected = if expected == 0 {
                    "-".to_string()
                } else {
                    expected.to_string()
                };
                format!("cas {key} {expected} {value}")
            }
            _ => format!("delete {key}"),
        };
        Some(Control::Submit { client, node, op })
    }

    /// Figure 8's and the lease's reactive moves (see [`moves`]).
    fn moves(
        rng: &mut SimRng,
        options: &ChaosOptions,
        config: &mut RaftConfig,
        plan: &mut Plan,
    ) -> Option<Box<dyn Moves<Raft>>> {
        moves::draw(rng, options, config, plan)
    }

    /// The partial partition (Howard & Abraham 2020; the 2020 Cloudflare outage): servers
    /// 1…⌈n/2⌉+… stay fully connected, and each remaining server reaches exactly one of them.
    /// With PreVote and CheckQuorum a leader stays put; without, the half-connected servers
    /// depose leaders over and over.
    /// (The probe judges what PreVote and CheckQuorum promise; a configuration without both
    /// makes no such promise and gets no probe.)
    fn probe(rng: &mut SimRng, sim: &Simulator<Raft>) -> Option<Probe> {
        let n = sim.cluster_size();
        if n < 3 || !(sim.config().pre_vote && sim.config().check_quorum) {
            return None;
        }
        let mut order: Vec<NodeId> = (0..n).map(NodeId::from_index).collect();
        // A random arrangement, so the leader may land anywhere.
        for i in (1..n).rev() {
            let j = rng.index(i + 1);
            order.swap(i, j);
        }
        let core = n / 2 + 1;
        let (inner, outer) = order.split_at(core);
        let mut controls = Vec::new();
        let mut shape = Vec::new();
        for (k, o) in outer.iter().enumerate() {
            let bridge = inner[k % inner.len()];
            for other in order.iter().filter(|x| *x != o && **x != bridge) {
                controls.push(Control::Cut { a: *o, b: *other });
            }
            shape.push(format!("{o} reaches only {bridge}"));
        }
        Some(Probe {
            name: format!("partial partition ({})", shape.join(", ")),
            controls,
            window_ms: 20 * sim.config().election_timeout_max_ms,
        })
    }

    /// At most three leaders in the window: one may have to step down (CheckQuorum) and one
    /// be elected, but the half-connected servers must not keep deposing leaders.
    fn probe_verdict(before: &Counters, sim: &Simulator<Raft>) -> Option<String> {
        let elected = sim.counters().protocol("became_leader") - before.protocol("became_leader");
        (elected > 3).then(|| {
            format!(
                "{elected} leaders were elected in {} ms of a steady fault a majority could ride out",
                20 * sim.config().election_timeout_max_ms
            )
        })
    }

    /// Violations the live linearizability checker found are already in the trace; at the
    /// end every key's whole history is checked again with pending operations indeterminate
    /// (the live check sees other clients' operations as last observed), and what was decided
    /// is counted: a malformed history is a violation, a key out of budget is `Unknown`.
    fn final_check(sim: &Simulator<Raft>) -> Verdicts {
        let mut history = Vec::new();
        for k in 0..sim.cluster().clients {
            if let Some(c) = sim.client(NodeId::client(k)) {
                history.extend(c.history().iter().map(|op| op.event(k as u32 + 1)));
            }
        }
        let violation = |detail: String| Violation {
            at: sim.now(),
            event: sim.events().saturating_sub(1),
            checker: super::check::LINEARIZABLE,
            node: None,
            detail,
        };
        let mut verdicts = Verdicts {
            ops: history.len() as u64,
            ..Verdicts::default()
        };
        match linearizability::check_keys(&history, FINAL_BUDGET, true) {
            Err(e) => {
                verdicts.errors = 1;
                verdicts
                    .violations
                    .push(violation(format!("the client history is malformed: {e}")));
            }
            Ok(keys) => {
                for k in keys {
                    verdicts.keys += 1;
                    match k.verdict {
                        linearizability::Verdict::NotLinearizable { key, reason, .. } => {
                            verdicts.violations.push(violation(format!(
                                "client history of key {key:?} is not linearizable: {reason}"
                            )));
                        }
                        linearizability::Verdict::Unknown { .. } => verdicts.unknown += 1,
                        linearizability::Verdict::Linearizable => {}
                    }
                }
            }
        }
        verdicts
    }

    fn unsettled(_sim: &Simulator<Raft>) -> String {
        "no stable leader".to_string()
    }
}

/// Whether a cluster of Raft servers (replicating any state machine) has settled: exactly one
/// leader among running servers, every running server in its term and following it, and every
/// one of them has committed an entry of that term. (Whether clients are served again is each
/// host's own question: its clients differ.)
pub fn settled<M: RaftHost + Model<Server = RaftServer<M>>>(sim: &Simulator<M>) -> bool {
    let mut leader = None;
    for i in 0..sim.cluster_size() {
        let Some(node) = sim.server(NodeId::from_index(i)) else {
            continue;
        };
        if node.raft_role() == RaftRole::Leader {
            if leader.is_some() {
                return false;
            }
            leader = Some((NodeId::from_index(i), node));
        }
    }
    let Some((id, leader)) = leader else {
        return false;
    };
    let term = leader.current_term();
    let learned = |n: &RaftServer<M>| {
        n.current_term() == term && n.state().term_at(n.commit_index()) == Some(term)
    };
    learned(leader)
        && (0..sim.cluster_size()).all(|i| {
            sim.server(NodeId::from_index(i)).is_none_or(|n| {
                learned(n) && (n.raft_role() == RaftRole::Leader || n.leader() == Some(id))
            })
        })
}
