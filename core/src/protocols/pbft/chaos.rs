//! PBFT under chaos: the configuration a swarm seed draws (f, the checkpoint interval and
//! window, the timeouts, and up to f faulty replicas with random behaviours), what "settled"
//! means after the heal, the client workload, a targeted fault, and the end-of-run
//! linearizability check.

use super::client::PbftClient;
use super::replica::{Mode, Replica};
use super::{check, max_faulty, Behaviour, Mutant, Pbft, PbftConfig};
use crate::checkers::linearizability::{self, Event, Verdict};
use crate::kernel::check::Violation;
use crate::kernel::control::Control;
use crate::kernel::mutant;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::Simulator;
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::NodeStatus;
use crate::run::chaos::{ChaosOptions, ChaosProtocol, Plan, Verdicts, Workload};
use std::collections::BTreeMap;

/// Hot keys the chaos clients use (the first `Workload::keys`; three by default).
const KEYS: &[&str] = &["x", "y", "z", "w", "v", "u"];

/// The linearizability checker's step budget per key at the end of a seed.
pub const FINAL_BUDGET: u64 = 2_000_000;

/// The settle check's window, in client timeouts: no operation may be outstanding longer, and
/// some operation must have completed within it.
const GRACE_TIMEOUTS: u64 = 3;

/// The correct replicas of the simulation (a faulty one is judged by nobody).
fn correct(sim: &Simulator<Pbft>) -> impl Iterator<Item = NodeId> + '_ {
    sim.members()
        .iter()
        .copied()
        .filter(|id| sim.config().behaviour(*id).is_none())
}

fn clients(sim: &Simulator<Pbft>) -> impl Iterator<Item = (usize, &PbftClient)> + '_ {
    (0..sim.cluster().clients).filter_map(|k| sim.client(NodeId::client(k)).map(|c| (k, c)))
}

/// What is still unsettled, or `None` when settled: every client's outstanding operation is
/// younger than the grace window and one finished within it; every correct replica runs, is
/// not fetching state, and has executed every request a client got an answer for.
fn unsettled_reason(sim: &Simulator<Pbft>) -> Option<String> {
    let now = sim.now();
    let grace = GRACE_TIMEOUTS * sim.config().client_timeout_ms;
    let mut answered: BTreeMap<NodeId, u64> = BTreeMap::new();
    let mut recent = false;
    let mut any = false;
    for (k, c) in clients(sim) {
        for op in c.history() {
            any = true;
            if let Some((at, _)) = op.returned {
                answered.insert(NodeId::client(k), op.timestamp);
                recent |= at.0 + grace >= now.0;
            }
        }
        if let Some(op) = c.history().last().filter(|_| c.busy()) {
            if op.invoked_at.0 + grace < now.0 {
                return Some(format!(
                    "{}'s #{} has waited since t={}",
                    NodeId::client(k),
                    op.timestamp,
                    op.invoked_at
                ));
            }
        }
    }
    if any && !recent {
        return Some(format!("no operation completed in the last {grace} ms"));
    }
    for id in correct(sim) {
        let Some(r) = sim.server(id) else {
            return Some(format!("{id} is not running"));
        };
        if let Some(f) = r.fetching() {
            return Some(format!("{id} is still fetching checkpoint n={}", f.seq));
        }
        for (client, ts) in &answered {
            if r.kv().sessions.get(client).is_none_or(|s| s.seq < *ts) {
                return Some(format!(
                    "{id} has not executed {client}#{ts} (executed up to n={})",
                    r.last_executed()
                ));
            }
        }
    }
    None
}

/// The clients' operations, as one history.
fn history(sim: &Simulator<Pbft>) -> Vec<Event> {
    clients(sim)
        .flat_map(|(k, c)| c.history().iter().map(move |op| op.event(k as u32 + 1)))
        .collect()
}

impl ChaosProtocol for Pbft {
    fn chaos_config(options: &ChaosOptions) -> PbftConfig {
        PbftConfig {
            mutant: options
                .mutant
                .as_deref()
                .and_then(mutant::by_name::<Mutant>),
            ..PbftConfig::default()
        }
    }

    /// Swarm: the checkpoint interval K and window L, the view-change timeout and its
    /// doubling cap, the status period, the client timeout, how slow a slow primary is, and up
    /// to f faulty replicas (0…f, uniformly) each with a random behaviour; the base's mutant is
    /// kept.
    fn swarm_config(rng: &mut SimRng, base: PbftConfig, nodes: usize) -> PbftConfig {
        let checkpoint_interval = [2, 4, 8, 16][rng.index(4)];
        let log_size = checkpoint_interval * rng.range_inclusive(2, 4);
        let view_change_timeout_ms = rng.range_inclusive(300, 1000);
        let faulty = rng.index(max_faulty(nodes) + 1);
        let mut replicas: Vec<NodeId> = (0..nodes).map(NodeId::from_index).collect();
        for i in (1..replicas.len()).rev() {
            replicas.swap(i, rng.index(i + 1));
        }
        let byzantine = replicas
            .into_iter()
            .take(faulty)
            .map(|id| (id, Behaviour::ALL[rng.index(Behaviour::ALL.len())]))
            .collect();
        PbftConfig {
            checkpoint_interval,
            log_size,
            view_change_timeout_ms,
            view_change_backoff_max: rng.range_inclusive(2, 4) as u32,
            status_ms: rng.range_inclusive(60, 250),
            client_timeout_ms: rng.range_inclusive(400, 1200),
            slow_primary_ms: rng
                .range_inclusive(view_change_timeout_ms / 2, 3 * view_change_timeout_ms),
            byzantine,
            allow_more_than_f: false,
            ..base
        }
    }

    fn swarm_sizes() -> &'static [usize] {
        &[4, 7]
    }

    fn config_json(config: &PbftConfig) -> serde_json::Value {
        serde_json::to_value(config).unwrap_or_default()
    }

    /// The stated liveness bound: `f + 2` view changes at the longest timeout (`T · 2^max`:
    /// faulty primaries may be next in line), plus four client timeouts and twenty status
    /// periods for retransmission and state transfer.
    fn settle_bound_ms(c: &PbftConfig) -> u64 {
        let longest = c.view_change_timeout_ms << c.view_change_backoff_max;
        let f = c.byzantine.len() as u64;
        (f + 2) * longest + 4 * c.client_timeout_ms + 20 * c.status_ms
    }

    fn settled(sim: &Simulator<Pbft>, _healed_at: Time) -> bool {
        unsettled_reason(sim).is_none()
    }

    fn unsettled(sim: &Simulator<Pbft>) -> String {
        unsettled_reason(sim).unwrap_or_else(|| "settled".to_string())
    }

    /// A random command from a random idle client to a random replica, on a few hot keys:
    /// `writes_pct` of them (60 % by default) write — put, put, cas, delete — the rest read.
    fn client_op(rng: &mut SimRng, sim: &Simulator<Pbft>, workload: &Workload) -> Option<Control> {
        let n = sim.cluster().clients;
        if n == 0 {
            return None;
        }
        let client = NodeId::client(rng.index(n));
        if sim.client(client).is_some_and(PbftClient::busy) {
            return None;
        }
        let node = NodeId::from_index(rng.index(sim.cluster_size()));
        let key = KEYS[rng.index(workload.keys.unwrap_or(3).clamp(1, KEYS.len()))];
        let value = rng.range_inclusive(1, 9);
        let op = if rng.range_inclusive(0, 99) < workload.writes_pct.unwrap_or(60) {
            match rng.index(4) {
                0 | 1 => format!("put {key} {value}"),
                2 => match rng.range_inclusive(0, 9) {
                    0 => format!("cas {key} - {value}"),
                    e => format!("cas {key} {e} {value}"),
                },
                _ => format!("delete {key}"),
            }
        } else {
            format!("get {key}")
        };
        Some(Control::Submit { client, node, op })
    }

    /// View changes are where PBFT is subtle: at one fault turn in ten, a correct backup in
    /// normal operation times out at once (a lone timeout changes nothing until `f + 1`
    /// replicas agree, so several such turns make a view change).
    fn targeted_fault(rng: &mut SimRng, sim: &Simulator<Pbft>, _plan: &Plan) -> Option<Control> {
        if !rng.chance(0.1) {
            return None;
        }
        let candidates: Vec<NodeId> = correct(sim)
            .filter(|id| sim.status(*id) == NodeStatus::Up)
            .filter(|id| {
                sim.server(*id)
                    .is_some_and(|r: &Replica| r.mode() == Mode::Normal && !r.is_primary())
            })
            .collect();
        (!candidates.is_empty()).then(|| Control::Timeout {
            node: candidates[rng.index(candidates.len())],
        })
    }

    /// Every key's whole client history, checked at the end with pending operations
    /// indeterminate; what was decided is counted (malformed: a violation; out of budget:
    /// `Unknown`).
    fn final_check(sim: &Simulator<Pbft>) -> Verdicts {
        let history = history(sim);
        let at = sim.now();
        let event = sim.events().saturating_sub(1);
        let violation = |detail: String| Violation {
            at,
            event,
            checker: check::LINEARIZABLE,
            node: None,
            detail,
        };
        let mut v = Verdicts {
            ops: history.len() as u64,
            ..Verdicts::default()
        };
        let keys = match linearizability::check_keys(&history, FINAL_BUDGET, true) {
            Ok(keys) => keys,
            Err(e) => {
                v.errors = 1;
                v.violations
                    .push(violation(format!("malformed client history: {e}")));
                return v;
            }
        };
        v.keys = keys.len() as u64;
        for k in keys {
            match k.verdict {
                Verdict::NotLinearizable { key, reason, .. } => v.violations.push(violation(
                    format!("key {key:?} is not linearizable: {reason}"),
                )),
                Verdict::Unknown { .. } => v.unknown += 1,
                Verdict::Linearizable => {}
            }
        }
        v
    }
}
