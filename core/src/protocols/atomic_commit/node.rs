//! The atomic commit actors: [`CommitServer`] (the coordinator or a participant) and
//! [`CommitClient`].
//!
//! Which role a server plays follows from its id: the configured coordinator coordinates, every
//! other server is a participant. The handlers live in [`super::coord`] and [`super::part`];
//! this file holds the state (durable and volatile), the timers, the audit trail read by the
//! checkers, and the [`Server`] implementation that dispatches to the role.

use super::msg::{
    CommitMsg, CommitReply, CommitRequest, Outcome, PState, TxnId, TxnSpec, Vote, Work,
};
use super::{AtomicCommit, CommitConfig, Variant};
use crate::kernel::node::{Client, ClientId, Ctx, Server};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{Field, NodeView, Role};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A record on the coordinator's durable log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LogRec {
    /// The commit decision, forced before any Commit is sent, with the writers to tell.
    Commit {
        /// Transaction.
        txn: TxnId,
        /// Participants that must apply it.
        writers: Vec<NodeId>,
    },
    /// Every writer acknowledged: the transaction can be forgotten.
    End {
        /// Transaction.
        txn: TxnId,
    },
}

impl fmt::Display for LogRec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogRec::Commit { txn, writers } => {
                write!(f, "commit {txn} →")?;
                for w in writers {
                    write!(f, " {w}")?;
                }
                Ok(())
            }
            LogRec::End { txn } => write!(f, "end {txn}"),
        }
    }
}

/// A participant's prepared record: forced to its log before it votes yes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreparedRec {
    /// The writes (and reads) it promised to apply if told to commit.
    pub work: Work,
    /// Every writer of the transaction (3PC's termination protocol asks them).
    pub writers: Vec<NodeId>,
    /// Prepared, or (3PC) pre-committed.
    pub state: PState,
    /// When it prepared.
    pub since: Time,
}

/// The coordinator's durable record of one client actor's requests: what makes a Begin run
/// exactly once, across duplicates, late copies and coordinator restarts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClientTable {
    /// Every request of the client numbered below this is finished for the client (it was
    /// answered or gave up): a Begin for one of them is ignored, and its entry forgotten.
    pub floor: u64,
    /// Requests at or above the floor that were begun, with the transaction that runs each.
    pub begun: BTreeMap<u64, TxnId>,
}

/// What survives a crash. The coordinator uses `log`, `next_txn` and `clients`, a participant
/// `store`, `prepared` and `done`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CommitDurable {
    /// Coordinator: the decision log (commit and end records; aborts are never logged).
    pub log: Vec<LogRec>,
    /// Coordinator: the highest transaction number handed out (ids are never reused).
    pub next_txn: u64,
    /// Coordinator: per client actor, the requests it began (written in the same durable step
    /// that hands out the transaction number), so a duplicate Begin is answered, never run.
    pub clients: BTreeMap<NodeId, ClientTable>,
    /// Participant: committed values.
    pub store: BTreeMap<String, i64>,
    /// Participant: prepared records of in-doubt transactions (their keys stay locked).
    pub prepared: BTreeMap<TxnId, PreparedRec>,
    /// Participant: outcomes it applied (so duplicates and late messages are answered alike).
    pub done: BTreeMap<TxnId, Outcome>,
}

/// Named timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CommitTimer {
    /// Coordinator: votes for this transaction are overdue ⇒ abort.
    Votes(TxnId),
    /// Coordinator: resend the decision to writers that have not acknowledged (3PC: commit
    /// after a pre-commit round that did not fully acknowledge).
    Resend(TxnId),
    /// Participant: still in doubt ⇒ ask the coordinator (3PC: run the termination protocol).
    InDoubt(TxnId),
    /// Participant (3PC): the termination protocol's collection window closes.
    Terminate(TxnId),
    /// Client actor: request `#n` got no answer in time.
    Client(u64),
}

impl fmt::Display for CommitTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitTimer::Votes(t) => write!(f, "votes {t}"),
            CommitTimer::Resend(t) => write!(f, "resend {t}"),
            CommitTimer::InDoubt(t) => write!(f, "in-doubt {t}"),
            CommitTimer::Terminate(t) => write!(f, "terminate {t}"),
            CommitTimer::Client(r) => write!(f, "client #{r}"),
        }
    }
}

/// How a participant learned an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// From the coordinator's decision.
    Coordinator,
    /// From its peers (3PC termination protocol).
    Peers,
    /// By itself: voting no before preparing (allowed), or a bug.
    Alone,
}

/// Facts a node reports about the event it just handled, for the checkers. Emitted only by
/// the helpers that change the corresponding state, so they cannot drift from it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Audit {
    /// The coordinator started a transaction with these writers and readers.
    Begin {
        /// Transaction.
        txn: TxnId,
        /// Participants that write.
        writers: Vec<NodeId>,
        /// Participants that only read.
        readers: Vec<NodeId>,
        /// The client request it runs, `(client actor, request number)`, if a client actor
        /// sent it (direct requests have none).
        request: Option<(NodeId, u64)>,
    },
    /// A participant voted.
    Voted {
        /// Transaction.
        txn: TxnId,
        /// The vote.
        vote: Vote,
    },
    /// A participant forced a prepared record.
    Prepared {
        /// Transaction.
        txn: TxnId,
    },
    /// The coordinator decided (or, with no record, presumed) an outcome.
    Decided {
        /// Transaction.
        txn: TxnId,
        /// The decision.
        outcome: Outcome,
    },
    /// A participant applied an outcome.
    Applied {
        /// Transaction.
        txn: TxnId,
        /// The outcome.
        outcome: Outcome,
        /// How it learned it.
        via: Via,
    },
    /// The node just (re)started from durable state: checkers re-read it whole.
    Recovered,
}

/// Where a transaction came from, for the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A direct request (tests, `Simulator::request`).
    Direct(ClientId),
    /// A client actor's request `#req`.
    Actor {
        /// The client actor.
        node: NodeId,
        /// Its request number.
        req: u64,
    },
}

/// The coordinator's volatile record of a transaction collecting votes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Voting {
    /// The work.
    pub spec: TxnSpec,
    /// Who asked.
    pub origin: Origin,
    /// Votes so far.
    pub votes: BTreeMap<NodeId, Vote>,
}

/// Phase two at the coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase2 {
    /// 3PC: pre-commit sent, collecting acknowledgements.
    PreCommit,
    /// Commit sent, collecting acknowledgements.
    Commit,
}

/// The coordinator's volatile record of a transaction in phase two.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Finishing {
    /// Writers to tell.
    pub writers: Vec<NodeId>,
    /// Writers that acknowledged the current phase.
    pub acked: BTreeSet<NodeId>,
    /// Which round.
    pub phase: Phase2,
    /// Who to answer when it commits (3PC answers after the pre-commit round).
    pub origin: Option<Origin>,
}

/// Which role a server plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Runs the protocol for every transaction.
    Coordinator,
    /// Owns keys; prepares and applies.
    Participant,
}

/// How many finished transactions the coordinator keeps for the UI.
pub(crate) const RECENT: usize = 32;

/// An atomic commit server: the coordinator or a participant.
#[derive(Clone, Debug)]
pub struct CommitServer {
    pub(crate) id: NodeId,
    /// Number of servers.
    pub(crate) servers: usize,
    pub(crate) config: CommitConfig,
    pub(crate) kind: Kind,
    pub(crate) d: CommitDurable,
    // --- coordinator, volatile ---
    pub(crate) voting: BTreeMap<TxnId, Voting>,
    pub(crate) finishing: BTreeMap<TxnId, Finishing>,
    /// Commit records on the log, and whether their end record is there too.
    pub(crate) logged: BTreeMap<TxnId, bool>,
    /// Recent decisions with their reason (UI; presumed aborts included).
    pub(crate) recent: BTreeMap<TxnId, (Outcome, String)>,
    /// Mutant `commit-before-log` only: decided commits whose record is not written yet.
    pub(crate) unlogged: BTreeSet<TxnId>,
    // --- participant, volatile ---
    pub(crate) refuse: bool,
    /// How many times each in-doubt transaction asked without an answer (blocked if > 0).
    pub(crate) asks: BTreeMap<TxnId, u32>,
    /// 3PC termination in progress: states heard from peers.
    pub(crate) terminating: BTreeMap<TxnId, BTreeMap<NodeId, PState>>,
    /// Lock conflicts met (votes no because a key was locked).
    pub(crate) conflicts: u64,
    /// Recent votes, so a duplicate Prepare gets the same answer (bounded, oldest dropped).
    pub(crate) votes: BTreeMap<TxnId, Vote>,
    // --- for the checkers ---
    pub(crate) audit: Vec<Audit>,
}

impl Origin {
    /// The client request behind a transaction, `(client actor, request number)`, if a client
    /// actor sent it.
    pub fn request(&self) -> Option<(NodeId, u64)> {
        match self {
            Origin::Direct(_) => None,
            Origin::Actor { node, req } => Some((*node, *req)),
        }
    }
}

impl CommitServer {
    /// The role of this node.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The configuration.
    pub fn config(&self) -> &CommitConfig {
        &self.config
    }

    /// Durable state as it is now.
    pub fn durable_state(&self) -> &CommitDurable {
        &self.d
    }

    /// What the last handled event did, for the checkers.
    pub fn audit(&self) -> &[Audit] {
        &self.audit
    }

    /// Transactions this participant is in doubt about (prepared, decision unknown).
    pub fn in_doubt(&self) -> impl Iterator<Item = TxnId> + '_ {
        self.d.prepared.keys().copied()
    }

    /// Whether a prepared participant has asked and not been answered: blocked holding locks.
    pub fn blocked(&self) -> bool {
        self.asks.values().any(|n| *n > 0)
    }

    /// Coordinator: transactions not yet finished (collecting votes or in phase two).
    pub fn unfinished(&self) -> usize {
        self.voting.len() + self.finishing.len()
    }

    /// Participant: whether it was told to vote no on every Prepare (`refuse`).
    pub fn refusing(&self) -> bool {
        self.refuse
    }

    /// Participant: how many times it asked about each in-doubt transaction without an
    /// answer (blocked where the count is above zero).
    pub fn asks(&self) -> &BTreeMap<TxnId, u32> {
        &self.asks
    }

    /// Coordinator: transactions collecting votes.
    pub fn voting(&self) -> &BTreeMap<TxnId, Voting> {
        &self.voting
    }

    /// Coordinator: transactions in phase two (pre-committing or committing).
    pub fn finishing(&self) -> &BTreeMap<TxnId, Finishing> {
        &self.finishing
    }

    /// Coordinator: the latest decisions with their reason (presumed aborts included).
    pub fn recent(&self) -> &BTreeMap<TxnId, (Outcome, String)> {
        &self.recent
    }

    /// A fingerprint of the protocol state (durable and volatile, not the audit trail) for
    /// exhaustive exploration.
    pub fn state_hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &self.d,
            &self.voting,
            &self.finishing,
            &self.unlogged,
            &self.terminating,
            &self.votes,
            self.refuse,
        )
            .hash(&mut h);
        h.finish()
    }

    /// Keys locked by prepared transactions: key → (transaction, written?).
    pub fn locks(&self) -> BTreeMap<&str, (TxnId, bool)> {
        let mut out = BTreeMap::new();
        for (txn, rec) in &self.d.prepared {
            for k in rec.work.writes.keys() {
                out.insert(k.as_str(), (*txn, true));
            }
            for k in &rec.work.reads {
                out.entry(k.as_str()).or_insert((*txn, false));
            }
        }
        out
    }

    pub(crate) fn remember(&mut self, txn: TxnId, outcome: Outcome, why: String) {
        self.recent.insert(txn, (outcome, why));
        while self.recent.len() > RECENT {
            self.recent.pop_first();
        }
    }

    pub(crate) fn answer(ctx: &mut Ctx<'_, AtomicCommit>, origin: Origin, reply: CommitReply) {
        match origin {
            Origin::Direct(client) => ctx.reply(client, reply),
            Origin::Actor { node, req } => ctx.send(node, CommitMsg::Outcome { req, reply }),
        }
    }
}

impl Server<AtomicCommit> for CommitServer {
    type Durable = CommitDurable;

    fn new(
        id: NodeId,
        servers: &[NodeId],
        config: &CommitConfig,
        durable: Option<CommitDurable>,
    ) -> Self {
        let cluster_size = servers.len();
        let mut config = config.clone();
        if config.coordinator.index() >= cluster_size {
            // Builders refuse this; never address a node that does not exist.
            config.coordinator = NodeId(0);
        }
        let kind = if id == config.coordinator {
            Kind::Coordinator
        } else {
            Kind::Participant
        };
        let d = durable.unwrap_or_default();
        let mut logged = BTreeMap::new();
        for rec in &d.log {
            match rec {
                LogRec::Commit { txn, .. } => {
                    logged.entry(*txn).or_insert(false);
                }
                LogRec::End { txn } => {
                    logged.insert(*txn, true);
                }
            }
        }
        CommitServer {
            id,
            servers: cluster_size,
            config,
            kind,
            d,
            voting: BTreeMap::new(),
            finishing: BTreeMap::new(),
            logged,
            recent: BTreeMap::new(),
            unlogged: BTreeSet::new(),
            refuse: false,
            asks: BTreeMap::new(),
            terminating: BTreeMap::new(),
            conflicts: 0,
            votes: BTreeMap::new(),
            audit: Vec::new(),
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, AtomicCommit>) {
        self.audit.clear();
        self.audit.push(Audit::Recovered);
        match self.kind {
            Kind::Coordinator => self.coord_start(ctx),
            Kind::Participant => self.part_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, from: NodeId, msg: CommitMsg) {
        self.audit.clear();
        match self.kind {
            Kind::Coordinator => self.coord_message(ctx, from, msg),
            Kind::Participant => self.part_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, timer: CommitTimer) {
        self.audit.clear();
        match self.kind {
            Kind::Coordinator => self.coord_timer(ctx, timer),
            Kind::Participant => self.part_timer(ctx, timer),
        }
    }

    fn on_request(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        client: ClientId,
        request: CommitRequest,
    ) {
        self.audit.clear();
        match self.kind {
            Kind::Coordinator => match request {
                CommitRequest::Txn(spec) => {
                    self.begin(ctx, spec, Origin::Direct(client));
                }
                CommitRequest::Refuse { .. } => ctx.reply(
                    client,
                    CommitReply::Rejected(format!(
                        "{} coordinates; `refuse`/`accept` are for participants",
                        self.id
                    )),
                ),
            },
            Kind::Participant => match request {
                CommitRequest::Refuse { on, .. } => {
                    let done = self.set_refuse(ctx, on);
                    ctx.reply(client, CommitReply::Done(done));
                }
                CommitRequest::Txn(_) => ctx.reply(
                    client,
                    CommitReply::Rejected(format!(
                        "{} is a participant; send transactions to the coordinator {}",
                        self.id, self.config.coordinator
                    )),
                ),
            },
        }
    }

    fn durable(&self) -> CommitDurable {
        self.d.clone()
    }

    fn role(&self) -> Role {
        match self.kind {
            Kind::Coordinator => super::COORDINATOR,
            Kind::Participant => super::PARTICIPANT,
        }
    }

    fn view(&self) -> NodeView {
        match self.kind {
            Kind::Coordinator => self.coordinator_view(),
            Kind::Participant => self.participant_view(),
        }
    }

    fn probe(&self, probe: &crate::kernel::probe::Probe<'_>) -> crate::kernel::probe::Fact {
        self.probe_state(probe)
    }
}

/// A client actor: submits transactions and `refuse`/`accept` commands, reports their answers
/// (or that it never heard back).
#[derive(Clone, Debug)]
pub struct CommitClient {
    config: CommitConfig,
    next_req: u64,
    pending: BTreeMap<u64, ClientId>,
}

impl CommitClient {
    /// Requests sent and not answered yet.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }
}

impl Client<AtomicCommit> for CommitClient {
    fn new(_id: NodeId, servers: &[NodeId], config: &CommitConfig) -> Self {
        let mut config = config.clone();
        if config.coordinator.index() >= servers.len() {
            // Builders refuse this; never address a node that does not exist.
            config.coordinator = NodeId(0);
        }
        CommitClient {
            config,
            next_req: 0,
            pending: BTreeMap::new(),
        }
    }

    fn on_request(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        client: ClientId,
        request: CommitRequest,
    ) {
        self.next_req += 1;
        let req = self.next_req;
        self.pending.insert(req, client);
        match request {
            CommitRequest::Txn(spec) => {
                let floor = self.pending.keys().next().copied().unwrap_or(req);
                ctx.send(
                    self.config.coordinator,
                    CommitMsg::Begin { req, spec, floor },
                );
            }
            CommitRequest::Refuse { node, on } => {
                ctx.send(node, CommitMsg::SetRefuse { req, on });
            }
        }
        ctx.set_timer(CommitTimer::Client(req), self.config.client_timeout_ms);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, _from: NodeId, msg: CommitMsg) {
        if let CommitMsg::Outcome { req, reply } = msg {
            if let Some(client) = self.pending.remove(&req) {
                ctx.cancel_timer(CommitTimer::Client(req));
                ctx.reply(client, reply);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, timer: CommitTimer) {
        if let CommitTimer::Client(req) = timer {
            if let Some(client) = self.pending.remove(&req) {
                ctx.reply(client, CommitReply::Unknown);
            }
        }
    }

    fn view(&self) -> NodeView {
        let mut view = NodeView::plain(Role::CLIENT);
        view.fields = vec![Field::volatile("waiting for", self.pending.len())];
        view
    }
}

/// Variant helper shared by the role handlers.
impl CommitServer {
    pub(crate) fn three_phase(&self) -> bool {
        self.config.variant == Variant::ThreePhase
    }
}
