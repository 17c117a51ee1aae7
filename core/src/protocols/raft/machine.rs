//! The seam between Raft's replication and the state machine it replicates.
//!
//! Raft itself (election, replication, commit, snapshots, reads, client sessions at the
//! leader) does not care what its log entries mean: it orders [`Command`]s and hands each
//! committed one, in log order, to a [`StateMachine`]. The key-value store ([`super::kv`]) is
//! one; the lock service (`protocols::locks`) is another. A protocol that replicates its own
//! state machine through Raft names it in a [`RaftHost`] model and reuses
//! [`super::RaftServer`] unchanged.
//!
//! The trait is kept thin on purpose: a handful of small methods, so a second instantiation of
//! the server costs little code.

use super::msg::{RaftMsg, RaftTimer};
use super::server::RaftServer;
use super::RaftConfig;
use crate::kernel::node::{ClientId, Ctx, Model};
use crate::kernel::probe::{Fact, Probe};
use crate::kernel::types::{NodeId, Time};
use std::fmt::{self, Debug, Display};

/// What a log entry asks the state machine to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<S: StateMachine = super::kv::KvState> {
    /// The entry a new leader appends at the start of its term (§8): committing it commits
    /// everything before it.
    Noop,
    /// A client's operation, numbered within the client's session.
    Client {
        /// The client (`c1`, …) — or, for entries a leader proposes itself (a lock service's
        /// lease expiries), the leader's id.
        client: NodeId,
        /// The client's sequence number for this operation (1, 2, …).
        seq: u64,
        /// The operation.
        op: S::Op,
    },
}

/// By hand: a derived `Hash` would require the state machine itself to be hashable.
impl<S: StateMachine> std::hash::Hash for Command<S> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Command::Noop => state.write_u8(0),
            Command::Client { client, seq, op } => {
                state.write_u8(1);
                client.hash(state);
                seq.hash(state);
                op.hash(state);
            }
        }
    }
}

impl<S: StateMachine> fmt::Display for Command<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Noop => f.write_str("no-op"),
            Command::Client { client, seq, op } => write!(f, "{client}#{seq} {}", S::short(op)),
        }
    }
}

/// A client command a server's state machine applied (took effect, not a session hit): what
/// the exactly-once checker reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedCommand {
    /// The log index it was applied from.
    pub index: u64,
    /// The client.
    pub client: NodeId,
    /// The client's sequence number.
    pub seq: u64,
}

/// The result of applying one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied<O> {
    /// A no-op: nothing to answer.
    Nothing,
    /// A client command applied now.
    Fresh(O),
    /// A client command already applied before (a retry or a duplicate): not applied again;
    /// the recorded answer if it was the client's latest.
    Duplicate(Option<O>),
}

/// A deterministic state machine replicated by Raft. Every server applies the same commands in
/// the same log order and so reaches the same state; a snapshot is a clone of it.
pub trait StateMachine: Clone + Debug + Default + PartialEq + Eq + 'static {
    /// A client's operation, as carried in log entries and client requests.
    type Op: Clone + Debug + PartialEq + Eq + std::hash::Hash + 'static;
    /// What an operation returns to its client.
    type Outcome: Clone + Debug + PartialEq + Eq + Display + 'static;

    /// A compact text form of an operation, used in trace lines (`put x 1`).
    fn short(op: &Self::Op) -> String;

    /// Apply the command at log `index` (consulting the client sessions unless `sessions` is
    /// false: Raft's `no-client-sessions` mutant).
    fn apply_entry(
        &mut self,
        index: u64,
        command: &Command<Self>,
        sessions: bool,
    ) -> Applied<Self::Outcome>;

    /// If the operation only reads, what it reads (shown in notes): the leader may serve it
    /// without a log entry (ReadIndex or lease, §6.4). `None`: it goes through the log.
    fn read_key(op: &Self::Op) -> Option<&str>;

    /// Answer a read-only operation from the current state.
    fn read(&self, op: &Self::Op) -> Self::Outcome;

    /// The client's session: the sequence number of its last applied command and its answer.
    fn session(&self, client: NodeId) -> Option<(u64, &Self::Outcome)>;

    /// Number of client sessions.
    fn session_count(&self) -> usize;

    /// Drop every client session (the `snapshot-forgets-sessions` mutant).
    fn forget_sessions(&mut self);

    /// The size shown in an InstallSnapshot line (`keys=3`).
    fn snapshot_label(&self) -> String;

    /// The size shown in the inspector's snapshot field (`3 keys, 2 sessions`).
    fn snapshot_contents(&self) -> String;

    /// A one-line summary for the inspector (at most `max` items).
    fn summary(&self, max: usize) -> String;

    /// Mutants only: a follower's own answer to a client command, from its local (possibly
    /// stale) state, instead of a redirect to the leader. `None` (always, when correct): the
    /// follower redirects.
    fn follower_answer(&self, op: &Self::Op) -> Option<Self::Outcome> {
        let _ = op;
        None
    }

    /// Answer a question a tour caption asks about the applied state (a key's value); the
    /// default answers none.
    fn probe(&self, probe: &Probe<'_>) -> Fact {
        let _ = probe;
        Fact::Unsupported
    }

    /// Commands the leader proposes on its own at a heartbeat (a lock service's lease
    /// expiries), given its virtual time. Raft's key-value store proposes none.
    fn leader_proposals(&self, now: Time) -> Vec<Self::Op> {
        let _ = now;
        Vec::new()
    }

    /// Coverage events of the entry just applied (a lock service's handoff across a leader
    /// change), taken out so the state at rest holds none; the leader counts them. Raft's
    /// key-value store has none.
    fn take_coverage(&mut self) -> Vec<&'static str> {
        Vec::new()
    }
}

/// A model whose servers are [`RaftServer`]s replicating the state machine `Sm`: Raft's own
/// key-value model, and protocols built on Raft (the lock service). Its messages are Raft's
/// messages over `Sm` and its timers Raft's timers; the rest (client actors, checkers,
/// requests, replies, config) is the host's.
pub trait RaftHost: Model<Msg = RaftMsg<Self::Sm>, Timer = RaftTimer> {
    /// The replicated state machine.
    type Sm: StateMachine;

    /// Raft's settings inside the host's config.
    fn raft(config: &Self::Config) -> &RaftConfig;

    /// Set up a server's state machine from the host's config (mutant switches); called when
    /// a server starts or restarts. Raft's key-value store needs nothing.
    fn prepare(config: &Self::Config, state: &mut Self::Sm) {
        let _ = (config, state);
    }

    /// A request handed directly to a server by the simulator (tests, the page).
    fn server_request(
        server: &RaftServer<Self>,
        ctx: &mut Ctx<'_, Self>,
        client: ClientId,
        request: Self::Request,
    );
}
