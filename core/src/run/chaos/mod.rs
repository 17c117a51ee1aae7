//! Randomized fault injection ("chaos"): many seeds, random faults and configurations,
//! checkers on every event.
//!
//! Each seed runs under a [`Plan`]. In **swarm** mode (the default; Groce et al., "Swarm
//! Testing", ISSTA 2012, as in FoundationDB's simulation and TigerBeetle's VOPR) the seed draws
//! its own plan: cluster size, number of clients, which fault classes are on and how often each
//! fault comes, the fault tempo, the latency profile and message-fault rates, the client
//! workload (pace, hot keys, share of writes) and the protocol's own options
//! ([`ChaosProtocol::swarm_config`]: Raft's read mode, PreVote, CheckQuorum, batching, snapshot
//! interval…). A bug that needs a rare combination becomes reachable. In **default** mode
//! ([`ConfigMode::Default`]) every seed runs the protocol's fixed chaos configuration with every
//! fault class at fixed weights — exactly the runs this module made before swarm testing.
//!
//! As the run goes, random faults are applied ([`faults`]): partitions of several shapes, one-way
//! cuts, single-link cuts, held links, crashes and restarts, pauses and resumes, forced
//! timeouts — and, if the protocol asks, targeted ones ([`ChaosProtocol::targeted_fault`]).
//! After the event budget the faults stop, the network heals, crashed nodes restart, and the
//! protocol must *settle* within a bound while clients keep going; then an optional steady
//! fault probes its stability, and whole-run checks run last.
//!
//! Every run is reproducible: the plan's cluster and configuration go into a [`Scenario`], the
//! faults are plain [`Control`]s at virtual times in its action log, and the [`SeedReport`]
//! carries it, so the run replays exactly in the CLI, a golden test or the browser.
//! [`minimize`] shrinks a failing scenario to a small one that still fails the same checker.

mod driver;
pub mod faults;
pub mod minimize;
#[cfg(test)]
mod tests;

pub use driver::{run_seed, run_seed_with};
pub use faults::{FaultClasses, FaultMix, FaultWeights};

use crate::kernel::check::Violation;
use crate::kernel::control::Control;
use crate::kernel::node::Model;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::{Counters, Simulator};
use crate::kernel::types::Time;
use crate::run::scenario::Scenario;
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

/// How each seed's configuration is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigMode {
    /// Swarm testing: every seed draws its own plan.
    Swarm,
    /// The protocol's fixed chaos configuration, the given cluster size and clients, every
    /// fault class at its fixed weight.
    Default,
}

/// Settings of a chaos run. `default()` is the fixed configuration (every seed the protocol's
/// chaos defaults, 5 servers, 3 clients); [`ChaosOptions::swarm`] draws a plan per seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChaosOptions {
    /// Cluster size (default mode, or swarm with `pin_nodes`).
    pub nodes: usize,
    /// Events to run with faults active (per seed).
    pub events: u64,
    /// Fault classes allowed (swarm mode switches some of these off per seed, never on).
    pub faults: FaultClasses,
    /// Simulated clients issuing commands throughout the run (default mode, or swarm with
    /// `pin_clients`).
    pub clients: usize,
    /// A deliberately broken protocol variant, by name (needs the `mutants` feature).
    pub mutant: Option<String>,
    /// Swarm or default configuration.
    pub mode: ConfigMode,
    /// Swarm mode: keep the cluster size at `nodes` instead of drawing it.
    pub pin_nodes: bool,
    /// Swarm mode: keep the number of clients at `clients` instead of drawing it.
    pub pin_clients: bool,
}

impl Default for ChaosOptions {
    fn default() -> Self {
        ChaosOptions {
            nodes: 5,
            events: 20_000,
            faults: FaultClasses::default(),
            clients: 3,
            mutant: None,
            mode: ConfigMode::Default,
            pin_nodes: false,
            pin_clients: false,
        }
    }
}

impl ChaosOptions {
    /// The fixed configuration (swarm off) for `nodes` servers: what `default()` gives.
    pub fn fixed(nodes: usize) -> ChaosOptions {
        ChaosOptions {
            nodes,
            ..ChaosOptions::default()
        }
    }

    /// Swarm testing: every seed draws its plan (`netsplit chaos`'s default).
    pub fn swarm() -> ChaosOptions {
        ChaosOptions {
            mode: ConfigMode::Swarm,
            ..ChaosOptions::default()
        }
    }
}

/// How the simulated clients behave during a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// Virtual time between two client turns, drawn uniformly in this range (ms).
    pub gap_ms: (u64, u64),
    /// How many hot keys the commands use (`None`: the protocol's own default).
    pub keys: Option<usize>,
    /// Share of commands that write, in percent (`None`: the protocol's own default mix).
    pub writes_pct: Option<u64>,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            gap_ms: (10, 150),
            keys: None,
            writes_pct: None,
        }
    }
}

/// What one seed runs with: drawn from the seed in swarm mode, fixed in default mode.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// Swarm or default.
    pub mode: ConfigMode,
    /// Cluster size.
    pub nodes: usize,
    /// Simulated clients.
    pub clients: usize,
    /// Fault classes on for this seed.
    pub faults: FaultClasses,
    /// How likely each fault is when one comes.
    pub weights: FaultWeights,
    /// Time between faults (ms); `None`: drawn per seed by the injector as in default mode
    /// (a third of the seeds dense, 10–300 ms, the rest 50–2000 ms).
    pub tempo_ms: Option<(u64, u64)>,
    /// The client workload.
    pub workload: Workload,
    /// The network during the faulty phase.
    pub mix: Option<FaultMix>,
    /// The protocol configuration as run (scenario JSON).
    pub config: serde_json::Value,
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
    /// What the end-of-run checks decided (operations checked, undecided keys…).
    pub verdicts: Verdicts,
    /// How long the cluster took to settle after the heal, if it did.
    pub settle_ms: Option<u64>,
    /// Virtual time at the end of the run.
    pub end: Time,
    /// What the seed ran with.
    pub plan: Plan,
    /// The run as a replayable scenario.
    #[serde(skip)]
    pub scenario: Scenario,
}

/// What a protocol's end-of-run checks decided: the violations they found, and how much they
/// checked — a gate proves it checked something, and an undecided verdict is never silently a
/// pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verdicts {
    /// Violations found by the end-of-run checks.
    #[serde(skip)]
    pub violations: Vec<Violation>,
    /// Client operations whose results were checked.
    pub ops: u64,
    /// Keys (or other independent units) given a verdict.
    pub keys: u64,
    /// Keys whose check ran out of budget (`Unknown`).
    pub unknown: u64,
    /// Histories the checker refused as malformed (always also a violation).
    pub errors: u64,
}

impl Verdicts {
    /// Only these violations; nothing counted.
    pub fn of(violations: Vec<Violation>) -> Verdicts {
        Verdicts {
            violations,
            ..Verdicts::default()
        }
    }
}

/// A protocol that chaos can drive.
pub trait ChaosProtocol: Model {
    /// The protocol configuration of a default-mode run (and the base a swarm draw starts from:
    /// it names the mutant, if any). `options.nodes` and `options.clients` are the plan's.
    fn chaos_config(options: &ChaosOptions) -> Self::Config;
    /// Swarm mode: draw this seed's configuration from `rng`, starting from `base` (which
    /// carries the mutant). The default keeps `base`.
    fn swarm_config(rng: &mut SimRng, base: Self::Config, nodes: usize) -> Self::Config {
        let _ = (rng, nodes);
        base
    }
    /// Cluster sizes a swarm seed draws from.
    fn swarm_sizes() -> &'static [usize] {
        &[3, 5, 7]
    }
    /// The configuration as scenario JSON.
    fn config_json(config: &Self::Config) -> serde_json::Value;
    /// How long after the heal the protocol gets to settle, in ms.
    fn settle_bound_ms(config: &Self::Config) -> u64;
    /// Whether the cluster has settled after the heal at `healed_at` (e.g. one leader everyone
    /// follows, and a command sent since the heal answered). Checked after every event while
    /// clients keep submitting, so it must not wait for a quiet moment that steady load never
    /// gives.
    fn settled(sim: &Simulator<Self>, healed_at: Time) -> bool;
    /// A random client command to submit now (`Control::Submit`), or `None` to skip this turn.
    fn client_op(rng: &mut SimRng, sim: &Simulator<Self>, workload: &Workload) -> Option<Control> {
        let _ = (rng, sim, workload);
        None
    }
    /// A fault aimed at this protocol's weak moments (e.g. crash a leader right after it
    /// appended), tried at each fault turn before the generic chooser; `None` leaves the turn
    /// to the generic one. Still a search, not a script: it only fires when the moment comes.
    fn targeted_fault(rng: &mut SimRng, sim: &Simulator<Self>, plan: &Plan) -> Option<Control> {
        let _ = (rng, sim, plan);
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
    /// at the end, with what they checked.
    fn final_check(sim: &Simulator<Self>) -> Verdicts {
        let _ = sim;
        Verdicts::default()
    }
    /// What is still unsettled, for the liveness failure's message.
    fn unsettled(sim: &Simulator<Self>) -> String {
        let _ = sim;
        "the cluster did not settle".to_string()
    }
}
