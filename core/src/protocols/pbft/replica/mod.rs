//! A PBFT replica as a sans-I/O state machine, one file per part of the paper.
//!
//! - `normal.rs`: client requests, PRE-PREPARE, PREPARE, COMMIT, execution and replies (§4.1,
//!   §4.2), and learning a decision from a commit certificate.
//! - `checkpoint.rs`: checkpoints, water marks, garbage collection (§4.3) and state transfer
//!   (TOCS §6.3.2).
//! - `view_change.rs`: timers, VIEW-CHANGE, NEW-VIEW and the set O (§4.4, §4.5.2).
//! - `retransmit.rs`: STATUS messages and resending what others miss (TOCS §6.2).
//! - `byzantine.rs`: the faulty behaviours ([`super::Behaviour`]).
//!
//! **Durable** ([`PbftDurable`], survives a crash): the view and whether a view change is under
//! way, the message log (every slot's pre-prepare, prepares, commits and prepared certificate),
//! the stable checkpoint with its proof and state, the replica's own checkpoint snapshots above
//! it, and the request bodies it knows. A replica must not forget a vote it cast, or a faulty
//! primary could make it vote twice. **Volatile**: the applied state machine (rebuilt after a
//! restart from the stable checkpoint by re-executing the committed log), the requests waiting
//! to execute, the primary's assignments, the checkpoint and view-change messages collected, a
//! state transfer under way, and the timers.

mod byzantine;
mod checkpoint;
mod normal;
mod retransmit;
mod view_change;

pub use view_change::{compute_o, NewViewPlan};

use super::auth::{Digest, Signer};
use super::msg::{
    primary_of, Checkpoint, ClientRequest, NewView, PbftMsg, PbftTimer, PrePrepare, PreparedCert,
    ViewChange, Vote, NULL,
};
use super::{
    max_faulty, Behaviour, Mutant, Pbft, PbftConfig, BACKUP, BYZANTINE, BYZANTINE_PRIMARY, PRIMARY,
    VIEW_CHANGING,
};
use crate::kernel::node::{Ctx, Server};
use crate::kernel::types::{NodeId, Time};
use crate::kernel::view::{NodeView, Role};
use crate::protocols::raft::kv::KvState;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Where a replica stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Normal operation in its view.
    Normal,
    /// It sent VIEW-CHANGE for its view and waits for NEW-VIEW (§4.4).
    ViewChange,
}

/// How far a sequence number has got at one replica (§4.2), for log matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Nothing accepted for it yet (votes may have arrived).
    Empty,
    /// A pre-prepare was accepted.
    PrePrepared,
    /// Prepared: the pre-prepare and `2f` matching prepares.
    Prepared,
    /// Committed: `2f + 1` matching commits (committed-local, or learned from a certificate).
    Committed,
    /// Executed.
    Executed,
}

impl Phase {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Empty => "empty",
            Phase::PrePrepared => "pre-prepared",
            Phase::Prepared => "prepared",
            Phase::Committed => "committed",
            Phase::Executed => "executed",
        }
    }
}

/// One sequence number's entry in the message log (durable).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    /// The sequence number.
    pub seq: u64,
    /// The pre-prepare accepted for it (in `pre_prepare.view`; the primary's own for the
    /// primary).
    pub pre_prepare: Option<PrePrepare>,
    /// Prepares received (and the replica's own), by (view, replica, digest) — a faulty
    /// replica may vote for several digests, and each counts for its own.
    pub prepares: BTreeMap<(u64, NodeId, Digest), Vote>,
    /// Commits received (and the replica's own), by (view, replica, digest).
    pub commits: BTreeMap<(u64, NodeId, Digest), Vote>,
    /// The prepared certificate of the highest view in which it prepared here (sent in
    /// VIEW-CHANGE).
    pub prepared: Option<PreparedCert>,
    /// The decision: (view, digest) of the latest commit certificate.
    pub committed: Option<(u64, Digest)>,
}

impl Slot {
    /// The prepares matching `(view, digest)` from backups of that view (not its primary).
    pub fn matching_prepares(&self, view: u64, digest: Digest, n: usize) -> Vec<&Vote> {
        let primary = primary_of(view, n);
        in_view(&self.prepares, view)
            .filter(|v| v.digest == digest && v.replica != primary)
            .collect()
    }

    /// How many replicas committed `(view, digest)`.
    pub fn commit_count(&self, view: u64, digest: Digest) -> usize {
        in_view(&self.commits, view)
            .filter(|v| v.digest == digest)
            .count()
    }

    /// `replica`'s prepare in `view`, if it sent one.
    pub fn prepare_of(&self, view: u64, replica: NodeId) -> Option<&Vote> {
        votes_of(&self.prepares, view, replica).next()
    }

    /// `replica`'s commit in `view`, if it sent one.
    pub fn commit_of(&self, view: u64, replica: NodeId) -> Option<&Vote> {
        votes_of(&self.commits, view, replica).next()
    }

    /// The accepted pre-prepare's view and digest.
    pub fn accepted(&self) -> Option<(u64, Digest)> {
        self.pre_prepare.as_ref().map(|pp| (pp.view, pp.digest))
    }
}

/// Every vote of `view`.
fn in_view(
    votes: &BTreeMap<(u64, NodeId, Digest), Vote>,
    view: u64,
) -> impl Iterator<Item = &Vote> {
    votes
        .range((view, NodeId(0), Digest(0))..=(view, NodeId(u8::MAX), Digest(u64::MAX)))
        .map(|(_, v)| v)
}

/// `replica`'s votes of `view`.
fn votes_of(
    votes: &BTreeMap<(u64, NodeId, Digest), Vote>,
    view: u64,
    replica: NodeId,
) -> impl Iterator<Item = &Vote> {
    votes
        .range((view, replica, Digest(0))..=(view, replica, Digest(u64::MAX)))
        .map(|(_, v)| v)
}

/// The last stable checkpoint (§4.3): its sequence number (the low water mark `h`), its state
/// digest, the `2f + 1` checkpoint messages proving it, and the state itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StableCheckpoint {
    /// Sequence number (0: the initial state).
    pub seq: u64,
    /// State digest.
    pub digest: Digest,
    /// The certificate (empty for the initial state).
    pub proof: Vec<Checkpoint>,
    /// The state at `seq` (served to replicas that fetch it).
    pub state: KvState,
}

/// What survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PbftDurable {
    /// The current view (while changing views: the view being moved to).
    pub view: u64,
    /// Whether a view change is under way.
    pub changing: bool,
    /// The last view this replica operated in normally (messages of older views are stale).
    pub active_view: u64,
    /// The message log, by sequence number (only `(h, h + L]`, plus O's entries).
    pub slots: BTreeMap<u64, Slot>,
    /// The last stable checkpoint.
    pub stable: StableCheckpoint,
    /// This replica's own checkpoints above the stable one: (state digest, state).
    pub snapshots: BTreeMap<u64, (Digest, KvState)>,
    /// Client requests known (from clients, pre-prepares, certificates), by digest.
    pub bodies: BTreeMap<Digest, ClientRequest>,
    /// The NEW-VIEW that started the current view (forwarded to replicas still behind).
    pub new_view: Option<Rc<NewView>>,
    /// The `2f + 1` view-change messages of the latest view this replica saw a quorum for:
    /// its timer ran for that view. Relayed to replicas still short of the quorum, and
    /// restored after a restart (without them a replica that lost its collection could wait
    /// for view-changes nobody sends any more).
    pub vc_quorum: Vec<Rc<ViewChange>>,
}

/// One execution, for the checkers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The sequence number.
    pub seq: u64,
    /// The view of the decision executed.
    pub view: u64,
    /// The request's digest ([`NULL`] for the null request).
    pub digest: Digest,
    /// The request (`None`: null).
    pub request: Option<ClientRequest>,
    /// Whether it changed the state (not a duplicate of an executed timestamp).
    pub fresh: bool,
}

/// One decision (a commit certificate for a sequence number), for the checkers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The sequence number.
    pub seq: u64,
    /// The view of the certificate.
    pub view: u64,
    /// The digest decided.
    pub digest: Digest,
    /// What it is (`c1#3 put x 1`, `null`).
    pub label: String,
    /// Committed-local (prepared here too) rather than learned from a certificate alone.
    pub local: bool,
}

/// What the replica did while handling its latest input — read by the checkers, which run
/// after every input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records {
    /// Requests executed.
    pub executed: Vec<Execution>,
    /// Sequence numbers decided (or decided again in a later view).
    pub decided: Vec<Decision>,
    /// Checkpoints taken by this replica: (sequence number, state digest).
    pub checkpoints: Vec<(u64, Digest)>,
    /// Checkpoints that became stable here: (sequence number, state digest).
    pub stable: Vec<(u64, Digest)>,
}

/// A state transfer under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetching {
    /// The stable checkpoint wanted.
    pub seq: u64,
    /// Its certified digest.
    pub digest: Digest,
    /// Replicas that signed its certificate (asked in turn).
    pub candidates: Vec<NodeId>,
    /// How many requests were sent.
    pub asked: usize,
}

/// Messages this replica rejected, by reason (for panels).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rejections {
    /// Bad signatures (forged votes, forged certificates).
    pub forged: u64,
    /// Messages of views older than the replica's.
    pub stale: u64,
    /// NEW-VIEW messages whose O did not match their view changes.
    pub bad_new_views: u64,
    /// State replies that did not match their checkpoint certificate.
    pub bad_states: u64,
}

/// Two pre-prepares signed by the same primary for the same view and sequence number with
/// different digests: proof that the primary equivocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EquivocationProof {
    /// The view (its primary lied).
    pub view: u64,
    /// The sequence number.
    pub seq: u64,
    /// The digest accepted here.
    pub accepted: Digest,
    /// The other digest.
    pub other: Digest,
}

/// Volatile state of the faulty behaviours.
#[derive(Clone, Debug, Default)]
struct ByzState {
    /// `stale-replay`: messages received, to replay once their view is past.
    replay: Vec<PbftMsg>,
    /// `stale-replay`: where the next replay starts.
    replay_at: usize,
    /// `slow-primary`: requests held, and when each may be pre-prepared.
    held: BTreeMap<(NodeId, u64), Time>,
    /// `wrong-results` / `forge-votes`: requests already answered with made-up replies.
    fabricated: BTreeSet<(NodeId, u64)>,
}

/// One PBFT replica.
#[derive(Clone, Debug)]
pub struct Replica {
    id: NodeId,
    n: usize,
    f: usize,
    config: PbftConfig,
    behaviour: Option<Behaviour>,
    signer: Signer,
    d: PbftDurable,
    /// The state machine as executed so far.
    kv: KvState,
    /// The last sequence number executed.
    last_exec: u64,
    /// Requests received and not executed yet, by (client, timestamp).
    waiting: BTreeMap<(NodeId, u64), Digest>,
    /// Primary: requests assigned a sequence number in the current view.
    assigned: BTreeMap<(NodeId, u64), u64>,
    /// Primary: the next sequence number to assign.
    next_seq: u64,
    /// Checkpoint messages above the stable checkpoint, by sequence number.
    checkpoint_votes: BTreeMap<u64, BTreeMap<NodeId, Checkpoint>>,
    /// Valid view-change messages for views above the current one (and the current target).
    view_changes: BTreeMap<u64, BTreeMap<NodeId, Rc<ViewChange>>>,
    /// The highest view each replica asked to move to (the f + 1 rule, §4.5.2).
    vc_latest: BTreeMap<NodeId, u64>,
    /// View changes in a row without progress (the timeout is `T · 2^backoff`).
    backoff: u32,
    /// Whether the view-change timer is armed.
    vc_timer: bool,
    /// A state transfer under way.
    fetching: Option<Fetching>,
    /// At the previous status tick: `last_exec`, whether the next slot existed, and the latest
    /// own checkpoint not yet stable (unchanged since: resend).
    status_mark: (u64, bool, Option<u64>),
    /// Status ticks since the start.
    status_ticks: u64,
    /// Re-executing the log after a restart: no replies.
    replaying: bool,
    byz: ByzState,
    records: Records,
    rejections: Rejections,
    proofs: Vec<EquivocationProof>,
}

/// How many slots past a lagging replica's last execution are resent at once.
const RESEND: u64 = 4;

impl Replica {
    // ----- typed accessors (panels, checkers, tests) -----------------------------------------

    /// This replica's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The cluster size n.
    pub fn cluster_size(&self) -> usize {
        self.n
    }

    /// f: the most faulty replicas the cluster tolerates, `⌊(n − 1) / 3⌋`.
    pub fn f(&self) -> usize {
        self.f
    }

    /// The quorum, `n − f` (`2f + 1` when `n = 3f + 1`).
    pub fn quorum(&self) -> usize {
        self.n - self.f
    }

    /// The configuration.
    pub fn config(&self) -> &PbftConfig {
        &self.config
    }

    /// The faulty behaviour configured for this replica (`None`: correct).
    pub fn behaviour(&self) -> Option<Behaviour> {
        self.behaviour
    }

    /// The current view (while changing views: the view being moved to).
    pub fn current_view(&self) -> u64 {
        self.d.view
    }

    /// The last view this replica operated in normally.
    pub fn active_view(&self) -> u64 {
        self.d.active_view
    }

    /// Normal operation or a view change under way.
    pub fn mode(&self) -> Mode {
        if self.d.changing {
            Mode::ViewChange
        } else {
            Mode::Normal
        }
    }

    /// The primary of the current view.
    pub fn primary(&self) -> NodeId {
        primary_of(self.d.view, self.n)
    }

    /// Whether this replica is the primary of its view and operating normally.
    pub fn is_primary(&self) -> bool {
        !self.d.changing && self.primary() == self.id
    }

    /// The durable state as it is now.
    pub fn state(&self) -> &PbftDurable {
        &self.d
    }

    /// The key-value state machine as executed so far.
    pub fn kv(&self) -> &KvState {
        &self.kv
    }

    /// The last sequence number executed.
    pub fn last_executed(&self) -> u64 {
        self.last_exec
    }

    /// The stable checkpoint.
    pub fn stable_checkpoint(&self) -> &StableCheckpoint {
        &self.d.stable
    }

    /// The low water mark h (the stable checkpoint's sequence number).
    pub fn low_water_mark(&self) -> u64 {
        self.d.stable.seq
    }

    /// The high water mark H = h + L: the highest sequence number accepted now.
    pub fn high_water_mark(&self) -> u64 {
        self.d.stable.seq + self.config.log_size
    }

    /// The message log, by sequence number.
    pub fn slots(&self) -> &BTreeMap<u64, Slot> {
        &self.d.slots
    }

    /// How far sequence number `seq` has got here.
    pub fn phase(&self, seq: u64) -> Phase {
        if seq <= self.last_exec {
            return Phase::Executed;
        }
        let Some(slot) = self.d.slots.get(&seq) else {
            return Phase::Empty;
        };
        if slot.committed.is_some() {
            return Phase::Committed;
        }
        match slot.accepted() {
            Some((v, d)) if v == self.d.view && self.prepared(slot, v, d) => Phase::Prepared,
            Some(_) => Phase::PrePrepared,
            None => Phase::Empty,
        }
    }

    /// This replica's checkpoints above the stable one: sequence number → state digest.
    pub fn own_checkpoints(&self) -> BTreeMap<u64, Digest> {
        self.d
            .snapshots
            .iter()
            .map(|(n, (d, _))| (*n, *d))
            .collect()
    }

    /// Checkpoint messages collected above the stable checkpoint: sequence number → replica →
    /// state digest.
    pub fn checkpoint_votes(&self) -> BTreeMap<u64, BTreeMap<NodeId, Digest>> {
        self.checkpoint_votes
            .iter()
            .map(|(n, m)| (*n, m.iter().map(|(r, c)| (*r, c.state)).collect()))
            .collect()
    }

    /// The prepared certificates this replica would send in a VIEW-CHANGE.
    pub fn prepared_certificates(&self) -> Vec<&PreparedCert> {
        self.d
            .slots
            .values()
            .filter_map(|s| s.prepared.as_ref())
            .collect()
    }

    /// Replicas whose VIEW-CHANGE for view `view` this replica holds.
    pub fn view_change_votes(&self, view: u64) -> Vec<NodeId> {
        self.view_changes
            .get(&view)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The view-change timeout now, ms (`T · 2^k`).
    pub fn view_change_timeout_ms(&self) -> u64 {
        let k = self.backoff.min(self.config.view_change_backoff_max);
        self.config.view_change_timeout_ms << k
    }

    /// Requests received and not executed yet: (client, timestamp).
    pub fn waiting_requests(&self) -> Vec<(NodeId, u64)> {
        self.waiting.keys().copied().collect()
    }

    /// The state transfer under way, if any.
    pub fn fetching(&self) -> Option<&Fetching> {
        self.fetching.as_ref()
    }

    /// Messages rejected so far (since the last restart).
    pub fn rejections(&self) -> &Rejections {
        &self.rejections
    }

    /// Proofs that a primary equivocated, found so far (since the last restart).
    pub fn equivocation_proofs(&self) -> &[EquivocationProof] {
        &self.proofs
    }

    /// What the latest input made this replica do (executions, decisions, checkpoints).
    pub fn records(&self) -> &Records {
        &self.records
    }

    // ----- helpers shared by the parts --------------------------------------------------------

    /// Prepares needed besides the pre-prepare: `2f` (`quorum − 1`).
    fn prepare_quorum(&self) -> usize {
        let q = self.quorum() - 1;
        if self.config.mutant() == Some(Mutant::PreparedWithFewer) {
            q - 1
        } else {
            q
        }
    }

    /// prepared(m, v, n, i) (§4.2): the pre-prepare for `(view, digest)` is in the slot, with
    /// `2f` matching prepares from different backups.
    fn prepared(&self, slot: &Slot, view: u64, digest: Digest) -> bool {
        slot.accepted() == Some((view, digest))
            && slot.matching_prepares(view, digest, self.n).len() >= self.prepare_quorum()
    }

    fn multicast(&self, ctx: &mut Ctx<'_, Pbft>, msg: PbftMsg) {
        ctx.broadcast(&msg);
    }

    fn is_silent(&self) -> bool {
        self.behaviour == Some(Behaviour::Silent)
    }

    /// Count a message rejected for a bad signature.
    fn reject_forged(&mut self, ctx: &mut Ctx<'_, Pbft>, what: &str, claimed: NodeId) {
        self.rejections.forged += 1;
        ctx.count("forged_rejected");
        ctx.note(format_args!(
            "rejects a {what} claiming to be from {claimed}: the signature is not {claimed}'s"
        ));
    }

    /// Count a message of an older view.
    fn reject_stale(&mut self, ctx: &mut Ctx<'_, Pbft>, what: &str, view: u64) {
        self.rejections.stale += 1;
        ctx.count("stale_rejected");
        ctx.note(format_args!(
            "ignores a stale {what} of view {view} (it is in view {})",
            self.d.view
        ));
    }

    /// A request body, by digest.
    fn body(&self, digest: Digest) -> Option<&ClientRequest> {
        self.d.bodies.get(&digest)
    }

    /// Whether request (client, timestamp) has been executed here.
    fn executed(&self, key: (NodeId, u64)) -> bool {
        self.kv.sessions.get(&key.0).is_some_and(|s| s.seq >= key.1)
    }

    /// Remember a request: its body, and that it waits to execute unless it did.
    fn learn_request(&mut self, request: &ClientRequest) {
        let digest = request.digest();
        if self.executed(request.key()) {
            return;
        }
        self.d
            .bodies
            .entry(digest)
            .or_insert_with(|| request.clone());
        self.waiting.insert(request.key(), digest);
    }

    /// The slot for `seq`, created if needed.
    fn slot_mut(&mut self, seq: u64) -> &mut Slot {
        self.d.slots.entry(seq).or_insert_with(|| Slot {
            seq,
            ..Slot::default()
        })
    }

    /// Whether `seq` is inside the water marks `(h, H]` (§4.3).
    fn in_window(&self, seq: u64) -> bool {
        seq > self.d.stable.seq && seq <= self.high_water_mark()
    }

    /// Rebuild the volatile state from the durable state (after a restart): the stable
    /// checkpoint's state, then every committed slot re-executed in order.
    fn recover(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        self.kv = self.d.stable.state.clone();
        self.last_exec = self.d.stable.seq;
        let bodies: Vec<ClientRequest> = self.d.bodies.values().cloned().collect();
        for b in &bodies {
            self.learn_request(b);
        }
        self.replaying = true;
        self.execute_ready(ctx);
        self.replaying = false;
        self.rebuild_assignments();
    }
}

impl Server<Pbft> for Replica {
    type Durable = PbftDurable;

    fn new(
        id: NodeId,
        servers: &[NodeId],
        config: &PbftConfig,
        durable: Option<PbftDurable>,
    ) -> Self {
        let n = servers.len();
        let d = durable.unwrap_or_default();
        Replica {
            id,
            n,
            f: max_faulty(n),
            config: config.clone(),
            behaviour: config.behaviour(id),
            signer: Signer::new(id),
            last_exec: d.stable.seq,
            kv: d.stable.state.clone(),
            d,
            waiting: BTreeMap::new(),
            assigned: BTreeMap::new(),
            next_seq: 1,
            checkpoint_votes: BTreeMap::new(),
            view_changes: BTreeMap::new(),
            vc_latest: BTreeMap::new(),
            backoff: 0,
            vc_timer: false,
            fetching: None,
            status_mark: (0, false, None),
            status_ticks: 0,
            replaying: false,
            byz: ByzState::default(),
            records: Records::default(),
            rejections: Rejections::default(),
            proofs: Vec::new(),
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        self.records = Records::default();
        if self.is_silent() {
            return;
        }
        self.recover(ctx);
        self.status_mark = (self.last_exec, false, None);
        let first = ctx.rng.range_inclusive(1, self.config.status_ms);
        ctx.set_timer(PbftTimer::Status, first);
        if self.d.changing {
            for vc in self.d.vc_quorum.iter().filter(|vc| vc.view == self.d.view) {
                self.view_changes
                    .entry(vc.view)
                    .or_default()
                    .insert(vc.replica, vc.clone());
            }
            self.resend_view_change(ctx);
        }
        self.refresh_timer(ctx, false);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Pbft>, from: NodeId, msg: PbftMsg) {
        self.records = Records::default();
        if self.is_silent() {
            return;
        }
        self.remember_for_replay(&msg);
        let before = self.last_exec;
        match msg {
            PbftMsg::Request(r) => self.on_client_request(ctx, from, r),
            PbftMsg::PrePrepare(pp) => self.on_pre_prepare(ctx, pp),
            PbftMsg::Prepare(v) => self.on_prepare(ctx, v),
            PbftMsg::Commit(v) => self.on_commit(ctx, v),
            PbftMsg::Checkpoint(c) => self.on_checkpoint(ctx, c),
            PbftMsg::ViewChange(vc) => self.on_view_change(ctx, vc),
            PbftMsg::NewView(nv) => self.on_new_view(ctx, nv),
            PbftMsg::Status(s) => self.on_status(ctx, s),
            PbftMsg::Fetch(m) => self.on_fetch(ctx, from, m),
            PbftMsg::State(s) => self.on_state(ctx, *s),
            PbftMsg::Reply(_) => {}
        }
        self.execute_ready(ctx);
        self.refresh_timer(ctx, self.last_exec > before);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Pbft>, timer: PbftTimer) {
        self.records = Records::default();
        if self.is_silent() {
            return;
        }
        let before = self.last_exec;
        match timer {
            PbftTimer::ViewChange => self.on_view_change_timeout(ctx),
            PbftTimer::Status => self.on_status_tick(ctx),
            PbftTimer::Fetch => self.ask_for_state(ctx),
            PbftTimer::SlowPrimary => self.release_held(ctx),
            PbftTimer::Client => {}
        }
        self.execute_ready(ctx);
        self.refresh_timer(ctx, self.last_exec > before);
    }

    fn durable(&self) -> PbftDurable {
        self.d.clone()
    }

    fn role(&self) -> Role {
        match (
            self.behaviour.is_some(),
            self.d.changing,
            self.primary() == self.id,
        ) {
            (true, false, true) => BYZANTINE_PRIMARY,
            (true, _, _) => BYZANTINE,
            (false, true, _) => VIEW_CHANGING,
            (false, false, true) => PRIMARY,
            (false, false, false) => BACKUP,
        }
    }

    fn term(&self) -> Option<u64> {
        Some(self.d.view)
    }

    fn timeout_timer(&self) -> Option<PbftTimer> {
        (!self.is_silent()).then_some(PbftTimer::ViewChange)
    }

    fn view(&self) -> NodeView {
        super::view::replica_view(self)
    }

    fn probe(&self, probe: &crate::kernel::probe::Probe<'_>) -> crate::kernel::probe::Fact {
        use crate::kernel::probe::{Fact, Probe};
        match probe {
            // The executed state machine.
            Probe::Key(key) => Fact::Values(self.kv.data.get(*key).cloned().into_iter().collect()),
            _ => Fact::Unsupported,
        }
    }
}

/// The digest label used in notes: `null` or `d=3fa1`.
fn show(digest: Digest) -> String {
    if digest == NULL {
        "null".to_string()
    } else {
        format!("d={digest}")
    }
}
