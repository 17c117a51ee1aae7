//! What can go wrong, and how often: fault classes, per-fault weights, the network's fault
//! mix, and the random choice of the next fault.

use crate::kernel::control::Control;
use crate::kernel::net::{LatencyDist, NetConfig};
use crate::kernel::node::Model;
use crate::kernel::rng::SimRng;
use crate::kernel::sim::Simulator;
use crate::kernel::types::NodeId;
use crate::kernel::view::NodeStatus;
use serde::Serialize;

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

impl FaultClasses {
    /// No fault class at all (a seed whose only faults are its reactive moves).
    pub fn none() -> FaultClasses {
        FaultClasses {
            loss: false,
            duplication: false,
            reordering: false,
            partitions: false,
            crashes: false,
            pauses: false,
            timeouts: false,
        }
    }

    /// Every class of `self` that `allowed` also allows, each kept with probability `keep`.
    pub fn thinned(&self, allowed: &FaultClasses, rng: &mut SimRng, keep: f64) -> FaultClasses {
        let mut on = |mine: bool, theirs: bool| mine && theirs && rng.chance(keep);
        FaultClasses {
            loss: on(self.loss, allowed.loss),
            duplication: on(self.duplication, allowed.duplication),
            reordering: on(self.reordering, allowed.reordering),
            partitions: on(self.partitions, allowed.partitions),
            crashes: on(self.crashes, allowed.crashes),
            pauses: on(self.pauses, allowed.pauses),
            timeouts: on(self.timeouts, allowed.timeouts),
        }
    }
}

/// How likely each fault is, relative to the others, when a fault comes (0 = never).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FaultWeights {
    /// Partition into groups (isolate one, minority/majority, random groups).
    pub partition: u64,
    /// Cut one direction of a link.
    pub one_way: u64,
    /// Cut a link both ways.
    pub cut: u64,
    /// Hold a link (messages wait at the receiving end).
    pub hold: u64,
    /// Heal every link.
    pub heal_all: u64,
    /// Heal one link.
    pub heal_link: u64,
    /// Crash a running server.
    pub crash: u64,
    /// Restart a crashed server.
    pub restart: u64,
    /// Pause a running server.
    pub pause: u64,
    /// Resume a paused server.
    pub resume: u64,
    /// Force a running server's timeout.
    pub timeout: u64,
}

impl Default for FaultWeights {
    fn default() -> Self {
        FaultWeights {
            partition: 3,
            one_way: 2,
            cut: 2,
            hold: 1,
            heal_all: 3,
            heal_link: 2,
            crash: 2,
            restart: 3,
            pause: 1,
            resume: 2,
            timeout: 1,
        }
    }
}

impl FaultWeights {
    /// Weights drawn per seed: every fault 0–4 (a seed may never cut a single link but
    /// partition often, or crash and restart constantly), repairs never 0 while their fault
    /// can happen.
    pub fn draw(rng: &mut SimRng) -> FaultWeights {
        let mut w = || rng.range_inclusive(0, 4);
        let (partition, one_way, cut, hold) = (w(), w(), w(), w());
        let (crash, pause, timeout) = (w(), w(), w());
        let mut repair = || rng.range_inclusive(1, 4);
        FaultWeights {
            partition,
            one_way,
            cut,
            hold,
            heal_all: repair(),
            heal_link: repair(),
            crash,
            restart: repair(),
            pause,
            resume: repair(),
            timeout,
        }
    }
}

/// The network conditions of one seed's faulty phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultMix {
    /// The network parameters during the faulty phase.
    pub net: NetConfig,
}

/// Draw the network of a seed's faulty phase. Raft's timing requirement (§5.6): broadcast
/// time ≪ election timeout. One-way latency stays ≤ 75 ms so a round trip fits in the 150 ms
/// minimum timeout; reordering still stretches single messages further during the faulty
/// phase.
pub fn draw_mix(rng: &mut SimRng, faults: &FaultClasses) -> FaultMix {
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

/// Pick `count` distinct random servers of `n`.
pub fn pick_nodes(rng: &mut SimRng, n: usize, count: usize) -> Vec<NodeId> {
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

/// The faults a chooser picks among.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Partition,
    OneWay,
    Cut,
    Hold,
    HealAll,
    HealLink,
    Crash,
    Restart,
    Pause,
    Resume,
    Timeout,
}

/// Choose one random fault that is valid in the current state, among the classes that are on,
/// by weight. `None` if nothing is possible.
pub fn random_fault<M: Model>(
    rng: &mut SimRng,
    sim: &Simulator<M>,
    faults: &FaultClasses,
    w: &FaultWeights,
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
    let mut options: Vec<(u64, Kind)> = Vec::new();
    if faults.partitions && n > 1 {
        options.extend([
            (w.partition, Kind::Partition),
            (w.one_way, Kind::OneWay),
            (w.cut, Kind::Cut),
            (w.hold, Kind::Hold),
            (w.heal_all, Kind::HealAll),
            (w.heal_link, Kind::HealLink),
        ]);
    }
    if faults.crashes {
        if !up.is_empty() {
            options.push((w.crash, Kind::Crash));
        }
        if !crashed.is_empty() {
            options.push((w.restart, Kind::Restart));
        }
    }
    if faults.pauses {
        if !up.is_empty() {
            options.push((w.pause, Kind::Pause));
        }
        if !paused.is_empty() {
            options.push((w.resume, Kind::Resume));
        }
    }
    if faults.timeouts && !up.is_empty() {
        options.push((w.timeout, Kind::Timeout));
    }
    options.retain(|(weight, _)| *weight > 0);
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
        Kind::Partition => random_partition(rng, n),
        Kind::OneWay => {
            let p = pick_nodes(rng, n, 2);
            Control::CutOneWay {
                from: p[0],
                to: p[1],
            }
        }
        Kind::Cut => {
            let p = pick_nodes(rng, n, 2);
            Control::Cut { a: p[0], b: p[1] }
        }
        Kind::Hold => {
            let p = pick_nodes(rng, n, 2);
            Control::Hold {
                from: p[0],
                to: p[1],
            }
        }
        Kind::HealAll => Control::HealAll,
        Kind::HealLink => {
            let p = pick_nodes(rng, n, 2);
            Control::Heal { a: p[0], b: p[1] }
        }
        Kind::Crash => Control::Crash {
            node: pick(rng, &up),
        },
        Kind::Restart => Control::Restart {
            node: pick(rng, &crashed),
        },
        Kind::Pause => Control::Pause {
            node: pick(rng, &up),
        },
        Kind::Resume => Control::Resume {
            node: pick(rng, &paused),
        },
        Kind::Timeout => Control::Timeout {
            node: pick(rng, &up),
        },
    })
}
