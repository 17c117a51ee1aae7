//! The simulated network: directed links, latency, loss, duplication and reordering.
//!
//! Semantics (decided once, documented in `docs/architecture.md`):
//! - Every ordered pair of nodes `a → b` is a *directed link* that is up, down or held.
//! - The delay of a message is sampled **when it is sent**, so the UI knows its arrival time.
//! - A message sent on a link that is down is dropped at once ("link down").
//! - A message whose link is cut while it is in flight is dropped **on arrival** ("link cut in
//!   flight").
//! - A held link delays delivery: arriving messages wait at the receiving end until the link is
//!   released (then they are delivered in arrival order) or cut (then they are dropped).
//! - Loss drops a message at send time with probability `loss`.
//! - Duplication sends an extra copy (independent delay) with probability `duplicate`.
//! - Without reordering each link is FIFO: a message never arrives before one sent earlier on the
//!   same link. With probability `reorder` a message skips that rule and gets extra delay, so it
//!   can overtake or be overtaken.

use crate::kernel::config::ConfigError;
use crate::kernel::rng::SimRng;
use crate::kernel::types::{NodeId, Time};
use serde::{Deserialize, Serialize};

/// State of one directed link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Messages flow.
    #[default]
    Up,
    /// Messages are dropped (at send, or on arrival if already in flight).
    Down,
    /// Messages wait at the receiving end until the link is released.
    Held,
}

/// Shape of the latency distribution between `latency_min_ms` and `latency_max_ms`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyDist {
    /// Every delay in the range equally likely.
    #[default]
    Uniform,
    /// Mostly near the minimum with a long tail towards the maximum (`min + span·u³`: a quarter
    /// of the span on average; plain multiplication, so bit-identical on every platform).
    LongTail,
}

/// Network parameters. All probabilities are in `[0, 1]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    /// Smallest one-way delay, in ms.
    pub latency_min_ms: u64,
    /// Largest one-way delay, in ms.
    pub latency_max_ms: u64,
    /// Shape of the delay distribution.
    pub latency_dist: LatencyDist,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
    /// Probability that a message ignores per-link FIFO order (and is delayed extra).
    pub reorder: f64,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            latency_min_ms: 20,
            latency_max_ms: 60,
            latency_dist: LatencyDist::Uniform,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
        }
    }
}

/// Largest accepted one-way latency (one minute): keeps arithmetic and the UI sane.
pub const MAX_LATENCY_MS: u64 = 60_000;

impl NetConfig {
    /// Check every field; the error names the field (prefixed with `path`) and the problem.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        for (name, p) in [
            ("loss", self.loss),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError::new(
                    format!("{path}.{name}"),
                    format!("must be a probability between 0 and 1, got {p}"),
                ));
            }
        }
        if self.latency_min_ms > self.latency_max_ms {
            return Err(ConfigError::new(
                format!("{path}.latency_min_ms"),
                format!(
                    "must be at most latency_max_ms ({} > {})",
                    self.latency_min_ms, self.latency_max_ms
                ),
            ));
        }
        if self.latency_max_ms > MAX_LATENCY_MS {
            return Err(ConfigError::new(
                format!("{path}.latency_max_ms"),
                format!(
                    "must be at most {MAX_LATENCY_MS} ms, got {}",
                    self.latency_max_ms
                ),
            ));
        }
        Ok(())
    }
}

/// What the network decided for one copy of a message at send time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It will arrive at the given time.
    Arrives(Time),
    /// It was dropped at once.
    Dropped(DropReason),
}

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Random loss.
    Lost,
    /// The link was down when it was sent.
    LinkDown,
    /// The link was cut while it was in flight (or while it waited on a held link).
    LinkCutInFlight,
    /// The receiver was crashed when it arrived.
    ReceiverCrashed,
    /// The user dropped it by hand.
    DroppedByUser,
}

impl DropReason {
    /// Whether the message died at the sender's end (never left) rather than on arrival.
    pub fn at_send(self) -> bool {
        matches!(self, DropReason::Lost | DropReason::LinkDown)
    }

    /// Plain-words reason for the trace.
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::Lost => "lost",
            DropReason::LinkDown => "link down",
            DropReason::LinkCutInFlight => "link cut in flight",
            DropReason::ReceiverCrashed => "receiver crashed",
            DropReason::DroppedByUser => "dropped by user",
        }
    }
}

/// The network: link states, parameters and its own random stream.
#[derive(Clone, Debug)]
pub struct Network {
    n: usize,
    /// Servers plus clients.
    total: usize,
    links: Vec<LinkState>,
    /// Latest arrival time handed out per link (for FIFO order).
    last_arrival: Vec<Time>,
    config: NetConfig,
    rng: SimRng,
}

impl Network {
    /// A fully connected network of `n` servers and `clients` simulated clients. Links between
    /// servers can be cut, held and partitioned; links to and from clients are always up (the
    /// clients sit outside the cluster) but lose, duplicate, delay and reorder messages like any
    /// other link.
    pub fn new(n: usize, clients: usize, config: NetConfig, rng: SimRng) -> Network {
        let total = n + clients;
        Network {
            n,
            total,
            links: vec![LinkState::Up; total * total],
            last_arrival: vec![Time::ZERO; total * total],
            config,
            rng,
        }
    }

    fn idx(&self, from: NodeId, to: NodeId) -> usize {
        from.slot(self.n) * self.total + to.slot(self.n)
    }

    /// Number of nodes.
    pub fn size(&self) -> usize {
        self.n
    }

    /// Current parameters.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Replace the parameters (already validated).
    pub fn set_config(&mut self, config: NetConfig) {
        self.config = config;
    }

    /// State of link `from → to`.
    pub fn link(&self, from: NodeId, to: NodeId) -> LinkState {
        self.links[self.idx(from, to)]
    }

    /// Set link `from → to`.
    pub fn set_link(&mut self, from: NodeId, to: NodeId, state: LinkState) {
        let i = self.idx(from, to);
        self.links[i] = state;
    }

    /// Every link that is not up, in `(from, to)` order (only server links can be).
    pub fn abnormal_links(&self) -> impl Iterator<Item = (NodeId, NodeId, LinkState)> + '_ {
        let (n, total) = (self.n, self.total);
        self.links
            .iter()
            .enumerate()
            .filter(move |(i, s)| **s != LinkState::Up && i / total < n && i % total < n)
            .map(move |(i, s)| {
                (
                    NodeId::from_index(i / total),
                    NodeId::from_index(i % total),
                    *s,
                )
            })
    }

    /// Decide the fate of each copy of a message sent now on `from → to`: one entry, or two when
    /// the network duplicates it.
    pub fn send(&mut self, now: Time, from: NodeId, to: NodeId) -> ([Fate; 2], usize) {
        let first = self.fate(now, from, to);
        if matches!(first, Fate::Dropped(DropReason::LinkDown)) {
            return ([first, first], 1);
        }
        if self.rng.chance(self.config.duplicate) {
            let second = self.fate(now, from, to);
            ([first, second], 2)
        } else {
            ([first, first], 1)
        }
    }

    fn fate(&mut self, now: Time, from: NodeId, to: NodeId) -> Fate {
        if self.link(from, to) == LinkState::Down {
            return Fate::Dropped(DropReason::LinkDown);
        }
        if self.rng.chance(self.config.loss) {
            return Fate::Dropped(DropReason::Lost);
        }
        let delay = self.sample_delay();
        let mut at = now.plus(delay);
        let i = self.idx(from, to);
        if self.rng.chance(self.config.reorder) {
            // Out of order: extra delay of up to one more maximum latency, FIFO rule skipped.
            at = at.plus(self.rng.range_inclusive(0, self.config.latency_max_ms));
        } else {
            at = at.max(self.last_arrival[i]);
            self.last_arrival[i] = at;
        }
        Fate::Arrives(at)
    }

    fn sample_delay(&mut self) -> u64 {
        let (lo, hi) = (self.config.latency_min_ms, self.config.latency_max_ms);
        match self.config.latency_dist {
            LatencyDist::Uniform => self.rng.range_inclusive(lo, hi),
            LatencyDist::LongTail => {
                // No transcendental functions here: `ln`/`exp` may differ in the last bit
                // between the native libm and WebAssembly's, and determinism is sacred.
                let span = (hi - lo) as f64;
                let u = self.rng.unit();
                lo + ((u * u * u * span) as u64).min(hi - lo)
            }
        }
    }

    /// Split the cluster into `groups`: links inside a group come up, links between groups go
    /// down (both directions). Nodes named in no group form one more group together.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        let mut group_of = vec![usize::MAX; self.n];
        for (g, members) in groups.iter().enumerate() {
            for m in members {
                group_of[m.index()] = g;
            }
        }
        // Nodes not named form one more group together.
        for a in 0..self.n {
            for b in 0..self.n {
                if a == b {
                    continue;
                }
                let same = group_of[a] == group_of[b];
                let (fa, fb) = (NodeId::from_index(a), NodeId::from_index(b));
                self.set_link(fa, fb, if same { LinkState::Up } else { LinkState::Down });
            }
        }
    }

    /// Bring every link up.
    pub fn heal_all(&mut self) {
        self.links.iter_mut().for_each(|l| *l = LinkState::Up);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(config: NetConfig) -> Network {
        Network::new(3, 0, config, SimRng::new(1))
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = NetConfig {
            loss: 1.5,
            ..NetConfig::default()
        };
        let e = c.validate("net").unwrap_err();
        assert_eq!(e.path, "net.loss");
        c.loss = 0.0;
        c.latency_min_ms = 100;
        c.latency_max_ms = 10;
        assert_eq!(c.validate("net").unwrap_err().path, "net.latency_min_ms");
        c.latency_min_ms = 1;
        c.latency_max_ms = MAX_LATENCY_MS + 1;
        assert_eq!(c.validate("net").unwrap_err().path, "net.latency_max_ms");
        c.latency_max_ms = 10;
        c.validate("net").unwrap();
    }

    #[test]
    fn fifo_without_reordering() {
        let mut n = net(NetConfig {
            latency_min_ms: 1,
            latency_max_ms: 100,
            ..NetConfig::default()
        });
        let mut last = Time::ZERO;
        for t in 0..200 {
            let ([fate, _], _) = n.send(Time(t), NodeId(0), NodeId(1));
            let Fate::Arrives(at) = fate else {
                panic!("no loss configured")
            };
            assert!(at >= last, "arrivals must be FIFO");
            assert!(at >= Time(t + 1), "at least the minimum latency");
            assert!(
                at <= Time(t + 100).max(last),
                "at most the maximum latency unless queued"
            );
            last = at;
        }
    }

    #[test]
    fn reordering_happens_when_enabled() {
        let mut n = net(NetConfig {
            latency_min_ms: 1,
            latency_max_ms: 100,
            reorder: 0.5,
            ..NetConfig::default()
        });
        let arrivals: Vec<Time> = (0..200)
            .map(|t| match n.send(Time(t), NodeId(0), NodeId(1)).0[0] {
                Fate::Arrives(at) => at,
                Fate::Dropped(_) => panic!("no loss configured"),
            })
            .collect();
        assert!(arrivals.windows(2).any(|w| w[1] < w[0]));
    }

    #[test]
    fn down_link_drops_at_send_and_partition_groups() {
        let mut n = net(NetConfig::default());
        n.partition(&[vec![NodeId(0)]]);
        assert_eq!(n.link(NodeId(0), NodeId(1)), LinkState::Down);
        assert_eq!(n.link(NodeId(1), NodeId(0)), LinkState::Down);
        assert_eq!(n.link(NodeId(1), NodeId(2)), LinkState::Up);
        let (fates, count) = n.send(Time(0), NodeId(0), NodeId(2));
        assert_eq!(count, 1);
        assert_eq!(fates[0], Fate::Dropped(DropReason::LinkDown));
        n.heal_all();
        assert_eq!(n.abnormal_links().count(), 0);
    }

    #[test]
    fn loss_and_duplication_rates() {
        let mut n = net(NetConfig {
            loss: 0.25,
            duplicate: 0.5,
            ..NetConfig::default()
        });
        let (mut lost, mut copies) = (0, 0);
        for t in 0..4000 {
            let (fates, count) = n.send(Time(t), NodeId(0), NodeId(1));
            copies += count;
            lost += fates[..count]
                .iter()
                .filter(|f| matches!(f, Fate::Dropped(DropReason::Lost)))
                .count();
        }
        let dup_rate = copies as f64 / 4000.0 - 1.0;
        let loss_rate = lost as f64 / copies as f64;
        assert!((0.45..0.55).contains(&dup_rate), "dup rate {dup_rate}");
        assert!((0.2..0.3).contains(&loss_rate), "loss rate {loss_rate}");
    }

    #[test]
    fn long_tail_stays_in_range() {
        let mut n = net(NetConfig {
            latency_min_ms: 10,
            latency_max_ms: 50,
            latency_dist: LatencyDist::LongTail,
            ..NetConfig::default()
        });
        for _ in 0..1000 {
            let d = n.sample_delay();
            assert!((10..=50).contains(&d));
        }
    }
}
