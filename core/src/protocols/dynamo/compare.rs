//! CAP side by side: one seed, one fault schedule, one client workload — run under LOCAL,
//! EVENTUAL and STRONG, and compared in one table (availability, stale reads, lost writes,
//! session anomalies, latency, messages per operation).
//!
//! Each run is an ordinary scenario ([`scenario`]) that differs from the others only in the
//! level written on every client command, so any row can be replayed and watched in the UI.

use super::check::{analyze, client_ids, histories, settled_state, LevelStats};
use super::request::Level;
use super::Dynamo;
use super::{ConflictMode, KvConfig};
use crate::kernel::config::{ClusterConfig, ConfigError};
use crate::kernel::control::Control;
use crate::kernel::net::NetConfig;
use crate::kernel::rng::SimRng;
use crate::kernel::types::{NodeId, Time};
use crate::run::playground::Session;
use crate::run::scenario::{Scenario, TimedAction};
use serde::Serialize;

/// The levels compared, in table order.
pub const LEVELS: [Level; 3] = [Level::Local, Level::Eventual, Level::Strong];

/// What to compare.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareOptions {
    /// Seed of the workload, the fault schedule and the simulation.
    pub seed: u64,
    /// Servers (3–9).
    pub nodes: usize,
    /// Clients (1–8).
    pub clients: usize,
    /// Conflict resolution.
    pub conflict: ConflictMode,
    /// Clock skew of each node (LWW), ms.
    pub clock_skew_ms: Vec<i64>,
    /// Random message loss while the faults last (0–0.5).
    pub loss: f64,
    /// How long clients keep issuing commands, ms.
    pub workload_ms: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            seed: 1,
            nodes: 5,
            clients: 3,
            conflict: ConflictMode::Siblings,
            clock_skew_ms: Vec::new(),
            loss: 0.0,
            workload_ms: 20_000,
        }
    }
}

impl CompareOptions {
    /// Check the options; errors name the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(3..=crate::kernel::config::MAX_NODES).contains(&self.nodes) {
            return Err(ConfigError::new("nodes", "must be 3–9"));
        }
        if !(1..=crate::kernel::config::MAX_CLIENTS).contains(&self.clients) {
            return Err(ConfigError::new("clients", "must be 1–8"));
        }
        if !(0.0..=0.5).contains(&self.loss) {
            return Err(ConfigError::new("loss", "must be between 0 and 0.5"));
        }
        if !(2_000..=600_000).contains(&self.workload_ms) {
            return Err(ConfigError::new("workload_ms", "must be 2000–600000"));
        }
        Ok(())
    }
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareRow {
    /// The level.
    pub level: Level,
    /// What it promises, honestly ("quorum", not "linearizable").
    pub label: &'static str,
    /// Operations finished.
    pub ops: u64,
    /// Percentage that succeeded.
    pub availability_pct: f64,
    /// Reads that missed a write acknowledged before they began.
    pub stale_reads: u64,
    /// Acknowledged writes neither present nor superseded at the end.
    pub lost_writes: u64,
    /// Reads that missed the same client's own acknowledged write.
    pub read_your_writes_anomalies: u64,
    /// Reads that went back in time for the same client.
    pub monotonic_read_anomalies: u64,
    /// Median latency of successful operations, ms.
    pub latency_p50_ms: u64,
    /// 99th percentile latency of successful operations, ms.
    pub latency_p99_ms: u64,
    /// Request-path messages per operation: client request and reply, replica reads and
    /// writes, acks, read repairs, handoffs (not heartbeats or anti-entropy).
    pub messages_per_op: f64,
    /// Violations of the store's safety properties (must be 0).
    pub violations: usize,
}

/// The comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareTable {
    /// The options.
    pub options: CompareOptions,
    /// The fault schedule, in words.
    pub faults: Vec<String>,
    /// One row per level.
    pub rows: Vec<CompareRow>,
}

/// Keys the workload uses.
const KEYS: &[&str] = &["cart", "profile", "stock"];

/// The faults of the comparison, at times derived from the seed: a minority/majority partition,
/// a single isolated node, then a full heal; message loss meanwhile.
fn faults(rng: &mut SimRng, nodes: usize, workload: u64) -> Vec<TimedAction> {
    let mut order: Vec<NodeId> = (0..nodes).map(NodeId::from_index).collect();
    for i in (1..order.len()).rev() {
        let j = rng.range_inclusive(0, i as u64) as usize;
        order.swap(i, j);
    }
    let minority = order[..(nodes - 1) / 2].to_vec();
    let lone = order[nodes - 1];
    let t = |f: f64| Time((workload as f64 * f) as u64);
    vec![
        TimedAction {
            at: t(0.15),
            control: Control::Partition {
                groups: vec![minority],
            },
        },
        TimedAction {
            at: t(0.45),
            control: Control::HealAll,
        },
        TimedAction {
            at: t(0.6),
            control: Control::Partition {
                groups: vec![vec![lone]],
            },
        },
        TimedAction {
            at: t(0.8),
            control: Control::HealAll,
        },
    ]
}

/// The scenario of one row: the same workload and faults, every command at `level`.
pub fn scenario(options: &CompareOptions, level: Level) -> Scenario {
    let mut rng = SimRng::new(options.seed).fork(0xCA9);
    let mut actions = faults(&mut rng, options.nodes, options.workload_ms);
    // Each client issues a command every 150–400 ms through a random server; writes are
    // read-modify-write (`ctx=last`): they supersede what the client last read.
    for k in 0..options.clients {
        let mut t = rng.range_inclusive(100, 400);
        let mut n = 0;
        while t < options.workload_ms {
            n += 1;
            let key = KEYS[rng.range_inclusive(0, KEYS.len() as u64 - 1) as usize];
            let node =
                NodeId::from_index(rng.range_inclusive(0, options.nodes as u64 - 1) as usize);
            let op = if rng.chance(0.5) {
                format!("put {key} c{}.{n} {} ctx=last", k + 1, level.name())
            } else {
                format!("get {key} {}", level.name())
            };
            actions.push(TimedAction {
                at: Time(t),
                control: Control::Submit {
                    client: NodeId::client(k),
                    node,
                    op,
                },
            });
            t += rng.range_inclusive(150, 400);
        }
    }
    actions.sort_by_key(|a| a.at);
    let config = KvConfig {
        conflict: options.conflict,
        clock_skew_ms: options.clock_skew_ms.clone(),
        ..KvConfig::default()
    };
    let mut s = Scenario::new("kv", options.seed);
    s.name = format!("CAP comparison: {} (seed {})", level.name(), options.seed);
    s.description = format!(
        "The CAP comparison workload with every command at {}.",
        level.label()
    );
    s.cluster = ClusterConfig {
        nodes: options.nodes,
        clients: options.clients,
        net: NetConfig {
            loss: options.loss,
            ..NetConfig::default()
        },
        record_trace: true,
    };
    s.config = serde_json::to_value(&config).unwrap_or_default();
    s.actions = actions;
    // Time after the workload for hints and anti-entropy to settle (lost writes are final).
    s.until = Some(Time(options.workload_ms + 15_000));
    s
}

fn row(options: &CompareOptions, level: Level) -> Result<CompareRow, ConfigError> {
    let mut s = scenario(options, level);
    s.cluster.record_trace = false;
    let config: KvConfig = crate::run::playground::parse_config(&s.config)?;
    let until = s.until.unwrap_or(Time(options.workload_ms));
    let mut session = Session::<Dynamo>::new(super::ID, s, config)?;
    crate::run::playground::Playground::run_until(&mut session, until, u64::MAX);
    let sim = session.sim();
    let clients = client_ids(sim, options.clients);
    let history = histories(sim, &clients);
    let stats = analyze(&history, |k| settled_state(sim, k));
    let s: LevelStats = stats.get(&level).cloned().unwrap_or_default();
    let msgs: u64 = (0..options.nodes)
        .filter_map(|i| sim.server(NodeId::from_index(i)))
        .map(|n| n.stats().request_msgs)
        .sum::<u64>()
        + s.ops;
    Ok(CompareRow {
        level,
        label: level.label(),
        ops: s.ops,
        availability_pct: (s.availability() * 10.0).round() / 10.0,
        stale_reads: s.stale_reads,
        lost_writes: s.lost_writes,
        read_your_writes_anomalies: s.read_your_writes,
        monotonic_read_anomalies: s.monotonic_reads,
        latency_p50_ms: s.latency(0.5),
        latency_p99_ms: s.latency(0.99),
        messages_per_op: if s.ops == 0 {
            0.0
        } else {
            (msgs as f64 * 10.0 / s.ops as f64).round() / 10.0
        },
        violations: sim.violations().len(),
    })
}

/// Run the comparison (a pure function of the options).
pub fn compare(options: &CompareOptions) -> Result<CompareTable, ConfigError> {
    options.validate()?;
    let mut rng = SimRng::new(options.seed).fork(0xCA9);
    let faults = faults(&mut rng, options.nodes, options.workload_ms)
        .into_iter()
        .map(|a| format!("t={} {}", a.at, a.control))
        .chain(std::iter::once(format!(
            "message loss {:.0}% throughout",
            options.loss * 100.0
        )))
        .collect();
    let rows = LEVELS
        .iter()
        .map(|l| row(options, *l))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CompareTable {
        options: options.clone(),
        faults,
        rows,
    })
}

impl CompareTable {
    /// The table as aligned text.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let o = &self.options;
        let _ = writeln!(
            s,
            "CAP comparison: seed {}, {} nodes, {} clients, conflict mode {}",
            o.seed,
            o.nodes,
            o.clients,
            o.conflict.name()
        );
        for f in &self.faults {
            let _ = writeln!(s, "  fault: {f}");
        }
        let _ = writeln!(
            s,
            "{:<9} {:>5} {:>8} {:>6} {:>5} {:>5} {:>5} {:>6} {:>6} {:>8}  label",
            "level", "ops", "avail%", "stale", "lost", "ryw", "mono", "p50ms", "p99ms", "msgs/op"
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "{:<9} {:>5} {:>8.1} {:>6} {:>5} {:>5} {:>5} {:>6} {:>6} {:>8.1}  {}",
                r.level.name(),
                r.ops,
                r.availability_pct,
                r.stale_reads,
                r.lost_writes,
                r.read_your_writes_anomalies,
                r.monotonic_read_anomalies,
                r.latency_p50_ms,
                r.latency_p99_ms,
                r.messages_per_op,
                r.label
            );
        }
        let _ = writeln!(
            s,
            "stale = reads missing a write acknowledged before they began; ryw/mono = \
             read-your-writes / monotonic-read anomalies per client. These are anomalies the \
             level allows, not bugs."
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_levels_trade_availability_for_freshness() {
        let t = compare(&CompareOptions::default()).unwrap();
        let by = |l: Level| t.rows.iter().find(|r| r.level == l).unwrap();
        let (local, eventual, strong) = (by(Level::Local), by(Level::Eventual), by(Level::Strong));
        println!("{}", t.to_text());
        assert!(t.rows.iter().all(|r| r.violations == 0 && r.ops > 100));
        assert!(local.availability_pct >= eventual.availability_pct);
        assert!(eventual.availability_pct > strong.availability_pct);
        assert!(local.stale_reads > strong.stale_reads);
        assert!(strong.latency_p50_ms > local.latency_p50_ms);
        assert!(strong.messages_per_op > local.messages_per_op);
        // Deterministic: the same options give the same table.
        assert_eq!(compare(&CompareOptions::default()).unwrap(), t);
        // Every row replays as a scenario.
        for l in LEVELS {
            crate::run::playground::build(&scenario(&CompareOptions::default(), l)).unwrap();
        }
    }

    #[test]
    fn lww_with_skew_loses_acknowledged_writes_and_they_are_counted() {
        let o = CompareOptions {
            conflict: ConflictMode::Lww,
            clock_skew_ms: vec![0, -400, 300, 0, -150],
            ..CompareOptions::default()
        };
        let t = compare(&o).unwrap();
        assert!(t.rows.iter().any(|r| r.lost_writes > 0), "{}", t.to_text());
        assert!(t.rows.iter().all(|r| r.violations == 0));
    }

    #[test]
    fn set_mode_keeps_every_acknowledged_write() {
        let o = CompareOptions {
            conflict: ConflictMode::Set,
            loss: 0.05,
            ..CompareOptions::default()
        };
        let t = compare(&o).unwrap();
        assert!(
            t.rows
                .iter()
                .all(|r| r.violations == 0 && r.lost_writes == 0),
            "{}",
            t.to_text()
        );
    }

    #[test]
    fn bad_options_are_refused() {
        let o = CompareOptions {
            nodes: 2,
            ..CompareOptions::default()
        };
        assert_eq!(compare(&o).unwrap_err().path, "nodes");
    }
}
