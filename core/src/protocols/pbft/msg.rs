//! PBFT's messages (OSDI §4.1–§4.4), each carrying its sender's simulated signature, plus the
//! retransmission and state-transfer messages of the implementation (TOCS §6.2, §6.3.2), the
//! timers, the user's requests and the client's answers.
//!
//! Every signed message has a `content()` digest over everything but the signature; the
//! signature is the claimed sender's signature of that digest ([`super::auth`]). `authentic()`
//! checks it against the replica the message *claims* to come from — the network sender does
//! not matter, so certificates (prepares inside a VIEW-CHANGE, checkpoints inside a state
//! reply) can be relayed and still checked.

use super::auth::{verify, Digest, Hasher, Sig, Signer};
use crate::checkers::linearizability::{Op, Outcome};
use crate::kernel::node::Message;
use crate::kernel::types::NodeId;
use crate::protocols::raft::kv::{describe, short, Command, KvState};
use std::fmt;
use std::rc::Rc;

/// The digest of the null request, which the new primary puts where no request prepared
/// (§4.4).
pub const NULL: Digest = Digest(0);

/// The primary of view `view` in a cluster of `n` replicas: replica `view mod n` (§4).
pub fn primary_of(view: u64, n: usize) -> NodeId {
    NodeId::from_index((view % n.max(1) as u64) as usize)
}

/// The state machine's digest: the key-value map and the client sessions (last timestamp and
/// result per client), which is what a checkpoint certifies (§4.3).
pub fn state_digest(state: &KvState) -> Digest {
    let mut h = Hasher::new("state").u64(state.data.len() as u64);
    for (k, v) in &state.data {
        h = h.str(k).str(v);
    }
    h = h.u64(state.sessions.len() as u64);
    for (client, s) in &state.sessions {
        h = h.node(*client).u64(s.seq).str(&s.outcome.to_string());
    }
    h.finish()
}

/// ⟨REQUEST, o, t, c⟩σc (§4.1): a client's operation with its timestamp, signed by the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRequest {
    /// The client (`c1`, …).
    pub client: NodeId,
    /// The client's timestamp: 1, 2, … — one per operation, the same on every retransmission.
    pub timestamp: u64,
    /// The key-value operation.
    pub op: Op,
    /// The client's signature.
    pub sig: Sig,
}

impl ClientRequest {
    /// Client `signer`'s request number `timestamp` for `op`, signed.
    pub fn new(signer: &Signer, timestamp: u64, op: Op) -> ClientRequest {
        let mut r = ClientRequest {
            client: signer.id(),
            timestamp,
            op,
            sig: Sig::default(),
        };
        r.sig = signer.sign(r.digest());
        r
    }

    /// D(m): the request's digest (what pre-prepares, prepares and commits name).
    pub fn digest(&self) -> Digest {
        Hasher::new("request")
            .node(self.client)
            .u64(self.timestamp)
            .str(&short(&self.op))
            .finish()
    }

    /// Whether the client really signed it.
    pub fn authentic(&self) -> bool {
        self.client.is_client() && verify(self.client, self.digest(), self.sig)
    }

    /// (client, timestamp): what exactly-once execution is keyed by.
    pub fn key(&self) -> (NodeId, u64) {
        (self.client, self.timestamp)
    }

    /// The state machine command this request executes.
    pub fn command(&self) -> Command {
        Command::Client {
            client: self.client,
            seq: self.timestamp,
            op: self.op.clone(),
        }
    }
}

impl fmt::Display for ClientRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} {}", self.client, self.timestamp, short(&self.op))
    }
}

/// ⟨⟨PRE-PREPARE, v, n, d⟩σp, m⟩ (§4.2): the primary of view `view` assigns sequence number
/// `seq` to the request with digest `digest` (the request rides along; `None` is the null
/// request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrePrepare {
    /// The view.
    pub view: u64,
    /// The sequence number assigned.
    pub seq: u64,
    /// D(m), or [`NULL`].
    pub digest: Digest,
    /// The request itself (`None`: the null request).
    pub request: Option<ClientRequest>,
    /// The primary's signature of `(view, seq, digest)`.
    pub sig: Sig,
}

impl PrePrepare {
    /// `signer`'s pre-prepare of `request` (or the null request) at `(view, seq)`.
    pub fn new(signer: &Signer, view: u64, seq: u64, request: Option<ClientRequest>) -> PrePrepare {
        let digest = request.as_ref().map_or(NULL, ClientRequest::digest);
        let mut pp = PrePrepare {
            view,
            seq,
            digest,
            request,
            sig: Sig::default(),
        };
        pp.sig = signer.sign(pp.content());
        pp
    }

    /// The signed content.
    pub fn content(&self) -> Digest {
        Hasher::new("pre-prepare")
            .u64(self.view)
            .u64(self.seq)
            .digest(self.digest)
            .finish()
    }

    /// Signed by the primary of its view (in a cluster of `n`), and the request it carries is
    /// the one its digest names, signed by its client.
    pub fn authentic(&self, n: usize) -> bool {
        let body = match &self.request {
            None => self.digest == NULL,
            Some(r) => r.digest() == self.digest && r.authentic(),
        };
        body && verify(primary_of(self.view, n), self.content(), self.sig)
    }

    /// A short label of what it assigns: `c1#3 put x 1` or `null`.
    pub fn label(&self) -> String {
        self.request
            .as_ref()
            .map_or_else(|| "null".to_string(), ToString::to_string)
    }
}

/// Which phase a [`Vote`] belongs to (the phase is part of what is signed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VoteKind {
    /// ⟨PREPARE, v, n, d, i⟩σi (§4.2).
    Prepare,
    /// ⟨COMMIT, v, n, D(m), i⟩σi (§4.2).
    Commit,
}

/// A PREPARE or COMMIT: replica `replica` votes for digest `digest` at `(view, seq)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// The view.
    pub view: u64,
    /// The sequence number.
    pub seq: u64,
    /// The request's digest.
    pub digest: Digest,
    /// The replica the vote claims to come from.
    pub replica: NodeId,
    /// Its signature.
    pub sig: Sig,
}

impl Vote {
    /// `signer`'s own vote of kind `kind`.
    pub fn new(signer: &Signer, kind: VoteKind, view: u64, seq: u64, digest: Digest) -> Vote {
        let mut v = Vote {
            view,
            seq,
            digest,
            replica: signer.id(),
            sig: Sig::default(),
        };
        v.sig = signer.sign(v.content(kind));
        v
    }

    /// The signed content (the claimed replica included).
    pub fn content(&self, kind: VoteKind) -> Digest {
        Hasher::new(match kind {
            VoteKind::Prepare => "prepare",
            VoteKind::Commit => "commit",
        })
        .u64(self.view)
        .u64(self.seq)
        .digest(self.digest)
        .node(self.replica)
        .finish()
    }

    /// Whether `replica` really signed it.
    pub fn authentic(&self, kind: VoteKind) -> bool {
        verify(self.replica, self.content(kind), self.sig)
    }
}

/// ⟨CHECKPOINT, n, d, i⟩σi (§4.3): replica `replica`'s state after executing `seq` has digest
/// `state`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The sequence number.
    pub seq: u64,
    /// The state's digest.
    pub state: Digest,
    /// The replica.
    pub replica: NodeId,
    /// Its signature.
    pub sig: Sig,
}

impl Checkpoint {
    /// `signer`'s checkpoint.
    pub fn new(signer: &Signer, seq: u64, state: Digest) -> Checkpoint {
        let mut c = Checkpoint {
            seq,
            state,
            replica: signer.id(),
            sig: Sig::default(),
        };
        c.sig = signer.sign(c.content());
        c
    }

    /// The signed content.
    pub fn content(&self) -> Digest {
        Hasher::new("checkpoint")
            .u64(self.seq)
            .digest(self.state)
            .node(self.replica)
            .finish()
    }

    /// Whether `replica` really signed it.
    pub fn authentic(&self) -> bool {
        verify(self.replica, self.content(), self.sig)
    }
}

/// P_m (§4.4): proof that a request prepared — its pre-prepare and `2f` matching prepares from
/// different backups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedCert {
    /// The pre-prepare (with the request, so a new primary can re-issue it).
    pub pre_prepare: PrePrepare,
    /// The matching prepares.
    pub prepares: Vec<Vote>,
}

impl PreparedCert {
    /// The sequence number.
    pub fn seq(&self) -> u64 {
        self.pre_prepare.seq
    }

    /// The view it prepared in.
    pub fn view(&self) -> u64 {
        self.pre_prepare.view
    }

    /// The request's digest.
    pub fn digest(&self) -> Digest {
        self.pre_prepare.digest
    }
}

/// ⟨VIEW-CHANGE, v+1, n, C, P, i⟩σi (§4.4): replica `replica` moves to view `view`; its stable
/// checkpoint is `stable_seq` (proved by `proof`), and `prepared` proves every request that
/// prepared at it above that checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewChange {
    /// The view it moves to.
    pub view: u64,
    /// Its last stable checkpoint's sequence number (n).
    pub stable_seq: u64,
    /// That checkpoint's state digest.
    pub stable_digest: Digest,
    /// C: `2f + 1` checkpoint messages proving it (empty for the initial state, n = 0).
    pub proof: Vec<Checkpoint>,
    /// P: a prepared certificate per sequence number above n (the highest view's).
    pub prepared: Vec<PreparedCert>,
    /// The replica.
    pub replica: NodeId,
    /// Its signature.
    pub sig: Sig,
}

impl ViewChange {
    /// The signed content.
    pub fn content(&self) -> Digest {
        let mut h = Hasher::new("view-change")
            .u64(self.view)
            .u64(self.stable_seq)
            .digest(self.stable_digest)
            .node(self.replica);
        for c in &self.proof {
            h = h.u64(c.sig.0);
        }
        for p in &self.prepared {
            h = h.u64(p.pre_prepare.sig.0).u64(p.prepares.len() as u64);
            for v in &p.prepares {
                h = h.u64(v.sig.0);
            }
        }
        h.finish()
    }

    /// Whether `replica` really signed it (its certificates are checked separately).
    pub fn authentic(&self) -> bool {
        verify(self.replica, self.content(), self.sig)
    }

    /// Sign it as `signer` (for the replica that built it).
    pub fn signed(mut self, signer: &Signer) -> ViewChange {
        self.sig = signer.sign(self.content());
        self
    }
}

/// ⟨NEW-VIEW, v+1, V, O⟩σp (§4.4): the new primary's proof `view_changes` (2f + 1 view-change
/// messages) and the pre-prepares `pre_prepares` it re-issues (O).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewView {
    /// The new view.
    pub view: u64,
    /// V: the view-change messages it was built from.
    pub view_changes: Vec<Rc<ViewChange>>,
    /// O: pre-prepares for every sequence number between the latest stable checkpoint in V and
    /// the highest prepared one (null requests for gaps).
    pub pre_prepares: Vec<PrePrepare>,
    /// The new primary's signature.
    pub sig: Sig,
}

impl NewView {
    /// The signed content.
    pub fn content(&self) -> Digest {
        let mut h = Hasher::new("new-view").u64(self.view);
        for vc in &self.view_changes {
            h = h.u64(vc.sig.0);
        }
        for pp in &self.pre_prepares {
            h = h.u64(pp.sig.0);
        }
        h.finish()
    }

    /// Signed by the primary of its view.
    pub fn authentic(&self, n: usize) -> bool {
        verify(primary_of(self.view, n), self.content(), self.sig)
    }
}

/// STATUS (TOCS §6.2): what a replica has, so others can resend what it misses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Its view (the view it moves to while changing views).
    pub view: u64,
    /// Whether it is changing views.
    pub changing: bool,
    /// The last view it operated in normally (it still learns decisions of that view).
    pub active_view: u64,
    /// The last sequence number it executed.
    pub last_exec: u64,
    /// Its stable checkpoint.
    pub stable: u64,
    /// The replica.
    pub replica: NodeId,
    /// Its signature.
    pub sig: Sig,
}

impl Status {
    /// `signer`'s status.
    pub fn new(
        signer: &Signer,
        (view, changing, active_view): (u64, bool, u64),
        last_exec: u64,
        stable: u64,
    ) -> Status {
        let mut s = Status {
            view,
            changing,
            active_view,
            last_exec,
            stable,
            replica: signer.id(),
            sig: Sig::default(),
        };
        s.sig = signer.sign(s.content());
        s
    }

    /// The signed content.
    pub fn content(&self) -> Digest {
        Hasher::new("status")
            .u64(self.view)
            .u64(u64::from(self.changing))
            .u64(self.active_view)
            .u64(self.last_exec)
            .u64(self.stable)
            .node(self.replica)
            .finish()
    }

    /// Whether `replica` really signed it.
    pub fn authentic(&self) -> bool {
        verify(self.replica, self.content(), self.sig)
    }
}

/// FETCH (TOCS §6.3.2): replica `replica` asks for the state of a stable checkpoint at or
/// after `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    /// The checkpoint wanted.
    pub seq: u64,
    /// The replica asking.
    pub replica: NodeId,
    /// Its signature.
    pub sig: Sig,
}

impl Fetch {
    /// `signer`'s fetch.
    pub fn new(signer: &Signer, seq: u64) -> Fetch {
        let mut m = Fetch {
            seq,
            replica: signer.id(),
            sig: Sig::default(),
        };
        m.sig = signer.sign(m.content());
        m
    }

    /// The signed content.
    pub fn content(&self) -> Digest {
        Hasher::new("fetch")
            .u64(self.seq)
            .node(self.replica)
            .finish()
    }
}

/// The answer to [`Fetch`]: a stable checkpoint's state and the `2f + 1` checkpoint messages
/// that certify its digest. The fetcher trusts the certificate, not the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateReply {
    /// The checkpoint's sequence number.
    pub seq: u64,
    /// Its digest (as certified).
    pub digest: Digest,
    /// The state (the map and the client sessions).
    pub state: Box<KvState>,
    /// The certificate.
    pub proof: Vec<Checkpoint>,
    /// The replica sending it.
    pub replica: NodeId,
    /// Its signature.
    pub sig: Sig,
}

impl StateReply {
    /// The signed content (the state itself is checked against `digest` and the proof).
    pub fn content(&self) -> Digest {
        Hasher::new("state-reply")
            .u64(self.seq)
            .digest(self.digest)
            .node(self.replica)
            .finish()
    }

    /// Whether `replica` really signed it.
    pub fn authentic(&self) -> bool {
        verify(self.replica, self.content(), self.sig)
    }
}

/// ⟨REPLY, v, t, c, i, r⟩σi (§4.1): replica `replica` executed client `client`'s request
/// `timestamp` with result `result`, in view `view`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The replica's view (lets the client learn the primary).
    pub view: u64,
    /// The request's timestamp.
    pub timestamp: u64,
    /// The client.
    pub client: NodeId,
    /// The replica the reply claims to come from.
    pub replica: NodeId,
    /// The result.
    pub result: Outcome,
    /// Its signature.
    pub sig: Sig,
}

impl Reply {
    /// `signer`'s reply.
    pub fn new(
        signer: &Signer,
        view: u64,
        client: NodeId,
        timestamp: u64,
        result: Outcome,
    ) -> Reply {
        let mut r = Reply {
            view,
            timestamp,
            client,
            replica: signer.id(),
            result,
            sig: Sig::default(),
        };
        r.sig = signer.sign(r.content());
        r
    }

    /// The signed content (the claimed replica included).
    pub fn content(&self) -> Digest {
        Hasher::new("reply")
            .u64(self.view)
            .u64(self.timestamp)
            .node(self.client)
            .node(self.replica)
            .str(&self.result.to_string())
            .finish()
    }

    /// Whether `replica` really signed it.
    pub fn authentic(&self) -> bool {
        verify(self.replica, self.content(), self.sig)
    }
}

/// A PBFT message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PbftMsg {
    /// A client's request (to a replica; relayed by backups to the primary).
    Request(ClientRequest),
    /// The primary's pre-prepare.
    PrePrepare(PrePrepare),
    /// A backup's prepare.
    Prepare(Vote),
    /// A replica's commit.
    Commit(Vote),
    /// A replica's checkpoint.
    Checkpoint(Checkpoint),
    /// A replica moves to a new view. Shared, not copied, by every recipient and every
    /// retransmission: it carries prepared certificates, requests included.
    ViewChange(Rc<ViewChange>),
    /// The new primary starts its view (shared like [`PbftMsg::ViewChange`]).
    NewView(Rc<NewView>),
    /// Retransmission: what a replica has.
    Status(Status),
    /// State transfer: send me a checkpoint's state.
    Fetch(Fetch),
    /// State transfer: a checkpoint's state and its certificate.
    State(Box<StateReply>),
    /// A replica's reply to a client.
    Reply(Reply),
}

impl Message for PbftMsg {
    fn kind(&self) -> &'static str {
        match self {
            PbftMsg::Request(_) => "Request",
            PbftMsg::PrePrepare(_) => "PrePrepare",
            PbftMsg::Prepare(_) => "Prepare",
            PbftMsg::Commit(_) => "Commit",
            PbftMsg::Checkpoint(_) => "Checkpoint",
            PbftMsg::ViewChange(_) => "ViewChange",
            PbftMsg::NewView(_) => "NewView",
            PbftMsg::Status(_) => "Status",
            PbftMsg::Fetch(_) => "Fetch",
            PbftMsg::State(_) => "State",
            PbftMsg::Reply(_) => "Reply",
        }
    }

    fn is_reply(&self) -> bool {
        matches!(self, PbftMsg::Reply(_) | PbftMsg::State(_))
    }
}

/// ` (forged)` when a message's signature is not its claimed sender's (the trace is a god's-eye
/// view: receivers find out by checking).
fn forged(authentic: bool) -> &'static str {
    if authentic {
        ""
    } else {
        " (forged signature)"
    }
}

fn certs(prepared: &[PreparedCert]) -> String {
    let parts: Vec<String> = prepared
        .iter()
        .map(|p| {
            let what = if p.digest() == NULL {
                "null".to_string()
            } else {
                p.digest().to_string()
            };
            format!("{}:{what}@v{}", p.seq(), p.view())
        })
        .collect();
    parts.join(" ")
}

impl fmt::Display for PbftMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PbftMsg::Request(r) => write!(f, "{r}"),
            PbftMsg::PrePrepare(pp) => {
                write!(f, "v={} n={} {}", pp.view, pp.seq, pp.label())?;
                if pp.request.is_some() {
                    write!(f, " d={}", pp.digest)?;
                }
                Ok(())
            }
            PbftMsg::Prepare(v) | PbftMsg::Commit(v) => {
                let kind = if matches!(self, PbftMsg::Prepare(_)) {
                    VoteKind::Prepare
                } else {
                    VoteKind::Commit
                };
                let d = if v.digest == NULL {
                    "null".to_string()
                } else {
                    format!("d={}", v.digest)
                };
                write!(
                    f,
                    "v={} n={} {d} by {}{}",
                    v.view,
                    v.seq,
                    v.replica,
                    forged(v.authentic(kind))
                )
            }
            PbftMsg::Checkpoint(c) => write!(
                f,
                "n={} state={} by {}{}",
                c.seq,
                c.state,
                c.replica,
                forged(c.authentic())
            ),
            PbftMsg::ViewChange(vc) => {
                write!(
                    f,
                    "v={} h={} P=[{}]",
                    vc.view,
                    vc.stable_seq,
                    certs(&vc.prepared)
                )?;
                write!(f, " by {}", vc.replica)
            }
            PbftMsg::NewView(nv) => {
                let from: Vec<String> = nv
                    .view_changes
                    .iter()
                    .map(|vc| vc.replica.to_string())
                    .collect();
                let o: Vec<String> = nv
                    .pre_prepares
                    .iter()
                    .map(|pp| {
                        let what = if pp.digest == NULL {
                            "null".to_string()
                        } else {
                            pp.digest.to_string()
                        };
                        format!("{}:{what}", pp.seq)
                    })
                    .collect();
                write!(
                    f,
                    "v={} V={{{}}} O=[{}]",
                    nv.view,
                    from.join(","),
                    o.join(" ")
                )
            }
            PbftMsg::Status(s) => write!(
                f,
                "v={}{} exec={} h={} by {}",
                s.view,
                if s.changing { " (changing)" } else { "" },
                s.last_exec,
                s.stable,
                s.replica
            ),
            PbftMsg::Fetch(m) => write!(f, "n={} by {}", m.seq, m.replica),
            PbftMsg::State(s) => write!(
                f,
                "n={} state={} keys={} by {}",
                s.seq,
                s.digest,
                s.state.data.len(),
                s.replica
            ),
            PbftMsg::Reply(r) => write!(
                f,
                "{}#{} → {} v={} by {}{}",
                r.client,
                r.timestamp,
                r.result,
                r.view,
                r.replica,
                forged(r.authentic())
            ),
        }
    }
}

/// PBFT's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PbftTimer {
    /// Backups: a request waited too long to execute (normal case), or the new view did not
    /// arrive in time (view change) — start a view change (§4.5.2).
    ViewChange,
    /// Every replica: multicast STATUS and resend what is stuck (TOCS §6.2).
    Status,
    /// A fetching replica: ask another replica for the state.
    Fetch,
    /// A `slow-primary` replica: release the requests it held.
    SlowPrimary,
    /// Clients: no `f + 1` matching replies in time — retransmit to every replica.
    Client,
}

impl fmt::Display for PbftTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PbftTimer::ViewChange => "view-change",
            PbftTimer::Status => "status",
            PbftTimer::Fetch => "fetch",
            PbftTimer::SlowPrimary => "slow-primary",
            PbftTimer::Client => "client",
        })
    }
}

/// What a user submits to a client: run `op`, contacting `target` first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PbftRequest {
    /// The replica to contact first.
    pub target: NodeId,
    /// The key-value operation.
    pub op: Op,
}

impl fmt::Display for PbftRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} via {}", short(&self.op), self.target)
    }
}

/// What a client reports when an operation ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PbftReply {
    /// `f + 1` replicas sent matching results.
    Done {
        /// The request's timestamp.
        timestamp: u64,
        /// The operation.
        op: Op,
        /// The accepted result.
        outcome: Outcome,
        /// The replicas whose replies matched.
        agreeing: Vec<NodeId>,
    },
    /// The client ran out of attempts: the operation may or may not have executed.
    GaveUp {
        /// The request's timestamp.
        timestamp: u64,
        /// The operation.
        op: Op,
    },
}

impl fmt::Display for PbftReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PbftReply::Done {
                timestamp,
                op,
                outcome,
                agreeing,
            } => {
                let who: Vec<String> = agreeing.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "#{timestamp} {} → {} ({} agree)",
                    short(op),
                    describe(op, outcome),
                    who.join(" ")
                )
            }
            PbftReply::GaveUp { timestamp, op } => {
                write!(f, "#{timestamp} {} gave up: outcome unknown", short(op))
            }
        }
    }
}
