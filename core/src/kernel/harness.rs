//! One harness for every protocol's handler tests: drive an actor through a [`Ctx`] and get
//! back the exact list of [`Effect`]s it produced.
//!
//! ```
//! # use netsplit_core::kernel::harness::Harness;
//! # use netsplit_core::protocols::raft::{Raft, RaftServer, RaftConfig, RaftTimer};
//! # use netsplit_core::kernel::node::{Effect, Server};
//! # use netsplit_core::NodeId;
//! let h = Harness::new(3);
//! let mut n1 = <RaftServer as Server<Raft>>::new(NodeId(0), &h.servers, &RaftConfig::default(), None);
//! let out = h.run::<Raft, _>(NodeId(0), &mut n1, |n, ctx| n.on_start(ctx));
//! assert!(matches!(out[..], [Effect::SetTimer { timer: RaftTimer::Election, .. }]));
//! ```

use super::node::{Ctx, Effect, Effects, Model};
use super::rng::SimRng;
use super::types::{NodeId, Time};

/// The world a handler under test sees: the time, the server set and the random seed of the
/// actor's stream (a fresh stream per call, so every call draws the same numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Harness {
    /// The virtual time handed to the handler.
    pub now: Time,
    /// The cluster's servers.
    pub servers: Vec<NodeId>,
    /// Seed of the actor's random stream.
    pub seed: u64,
}

impl Harness {
    /// A cluster of `servers` servers (`n1…`), at t=0, random seed 1.
    pub fn new(servers: usize) -> Harness {
        Harness {
            now: Time::ZERO,
            servers: (0..servers).map(NodeId::from_index).collect(),
            seed: 1,
        }
    }

    /// The same harness at virtual time `ms`.
    pub fn at(mut self, ms: u64) -> Harness {
        self.now = Time(ms);
        self
    }

    /// Run `handler` on `actor` playing node `id` and return the effects, in order.
    pub fn run<M: Model, A>(
        &self,
        id: NodeId,
        actor: &mut A,
        handler: impl FnOnce(&mut A, &mut Ctx<'_, M>),
    ) -> Effects<M> {
        let mut rng = SimRng::new(self.seed);
        let mut out = Vec::new();
        let mut ctx = Ctx {
            now: self.now,
            id,
            servers: &self.servers,
            rng: &mut rng,
            out: &mut out,
            notes: true,
        };
        handler(actor, &mut ctx);
        out
    }
}

/// The messages sent, in order, with their destinations.
pub fn sends<M: Model>(out: &Effects<M>) -> Vec<(NodeId, &M::Msg)> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Send { to, msg } => Some((*to, msg)),
            _ => None,
        })
        .collect()
}

/// The replies reported, in order.
pub fn replies<M: Model>(out: &Effects<M>) -> Vec<&M::Reply> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Reply { reply, .. } => Some(reply),
            _ => None,
        })
        .collect()
}

/// The notes left for the trace, in order.
pub fn notes<M: Model>(out: &Effects<M>) -> Vec<&str> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Note(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
