//! Plain data for the UI: a [`Snapshot`] of the whole simulation at one instant.
//!
//! Views are cheap to build, own their data and carry everything needed to draw a frame:
//! every in-flight message has `sent_at` and `deliver_at` so the UI can interpolate its position
//! at any wall-clock moment without asking the simulator again.

use crate::kernel::check::Violation;
use crate::kernel::net::LinkState;
use crate::kernel::types::{MsgId, NodeId, Time};
use serde::Serialize;

/// How a role's node outline is drawn (with the role's name as text, never colour alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outline {
    /// A thin solid outline: the ordinary member (follower, replica, participant, backup).
    Thin,
    /// A dotted outline: probing before campaigning (Raft's pre-candidate).
    Dotted,
    /// A dashed outline: campaigning (candidate), with the vote count.
    Dashed,
    /// A thick solid outline: in charge (leader, coordinator, primary).
    Thick,
    /// A rounded square: a client outside the cluster.
    Square,
}

impl Outline {
    /// Lower-case name (CSS class suffix on the page).
    pub fn name(self) -> &'static str {
        match self {
            Outline::Thin => "thin",
            Outline::Dotted => "dotted",
            Outline::Dashed => "dashed",
            Outline::Thick => "thick",
            Outline::Square => "square",
        }
    }
}

/// A node's role: data a protocol supplies, not a fixed list — a name (traced and shown), how
/// it is drawn, whether it leads (crowned on the graph) and which coverage counter entering it
/// bumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Role {
    /// Lower-case name used in the trace and the UI (`"leader"`).
    pub name: &'static str,
    /// How the node is outlined.
    pub outline: Outline,
    /// Whether a node in this role leads the cluster (drawn with a crown).
    pub leads: bool,
    /// The protocol coverage counter bumped each time a node enters this role (or a new term
    /// in it), e.g. `"became_leader"`; `None` counts nothing.
    pub counter: Option<&'static str>,
}

impl Role {
    /// Every protocol's simulated clients.
    pub const CLIENT: Role = Role {
        name: "client",
        outline: Outline::Square,
        leads: false,
        counter: None,
    };

    /// A role drawn with outline `outline` that counts nothing and does not lead.
    pub const fn plain(name: &'static str, outline: Outline) -> Role {
        Role {
            name,
            outline,
            leads: false,
            counter: None,
        }
    }

    /// Lower-case name used in the trace and the UI.
    pub fn name(self) -> &'static str {
        self.name
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

/// Whether a node is running, crashed or paused (decided by the simulator, not the node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Running normally.
    Up,
    /// Crashed: volatile state and timers lost; durable state kept for restart.
    Crashed,
    /// Paused: memory kept, nothing processed until resumed (timers fire late).
    Paused,
}

/// One labelled value in the inspector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field {
    /// Field name as in the paper (`currentTerm`).
    pub name: &'static str,
    /// Rendered value.
    pub value: String,
    /// Whether this value survives a crash.
    pub durable: bool,
}

impl Field {
    /// A durable field.
    pub fn durable(name: &'static str, value: impl ToString) -> Field {
        Field {
            name,
            value: value.to_string(),
            durable: true,
        }
    }

    /// A volatile field.
    pub fn volatile(name: &'static str, value: impl ToString) -> Field {
        Field {
            name,
            value: value.to_string(),
            durable: false,
        }
    }
}

/// One entry of a replicated log, as drawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogCell {
    /// 1-based index.
    pub index: u64,
    /// Term (or epoch) that created it.
    pub term: u64,
    /// Short label of the command.
    pub label: String,
}

/// The tail of a node's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogView {
    /// The last entries (at most [`LogView::TAIL`]), oldest first.
    pub tail: Vec<LogCell>,
    /// Index of the last entry.
    pub last_index: u64,
    /// Highest index the node knows to be committed.
    pub commit_index: u64,
    /// Highest index applied to the state machine.
    pub applied_index: u64,
    /// Everything up to this index is folded into a snapshot (0: none).
    pub snapshot_index: u64,
    /// Leaders: where each follower stands (Raft's nextIndex / matchIndex).
    pub followers: Vec<FollowerMark>,
}

/// A leader's bookkeeping for one follower, drawn as markers on the leader's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FollowerMark {
    /// The follower.
    pub node: NodeId,
    /// Index of the next entry the leader will send it.
    pub next: u64,
    /// Highest index known to be replicated on it.
    pub matched: u64,
}

impl LogView {
    /// How many entries a view carries.
    pub const TAIL: usize = 24;
}

/// A titled table of text cells: protocol-specific state in a generic shape (a replica's keys,
/// a failure detector's view, a client's finished operations…), drawn as-is by the UI.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ViewTable {
    /// Title, e.g. `"Keys"`.
    pub title: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows of cells (each as long as `columns`).
    pub rows: Vec<Vec<String>>,
    /// Whether the contents survive a crash.
    pub durable: bool,
}

/// What a protocol tells the UI about one of its nodes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeView {
    /// Role (drawn as outline style + label).
    pub role: Role,
    /// Current term, if any.
    pub term: Option<u64>,
    /// Who this node believes leads, if anyone.
    pub leader: Option<NodeId>,
    /// Votes received / votes needed while campaigning.
    pub votes: Option<(usize, usize)>,
    /// Everything else, for the inspector.
    pub fields: Vec<Field>,
    /// The replicated log's tail, for protocols that have one.
    pub log: Option<LogView>,
    /// Titled lists (a coordinator's log, a participant's locks…), drawn in order.
    pub lists: Vec<ListView>,
    /// A short alarm shown prominently on the node ("blocked: in doubt about t3").
    pub badge: Option<String>,
    /// Protocol-specific tables (empty for protocols that need none).
    pub tables: Vec<ViewTable>,
}

impl NodeView {
    /// A view with only a role: no term, leader, votes, fields, log, lists or badge.
    pub fn plain(role: Role) -> NodeView {
        NodeView {
            role,
            term: None,
            leader: None,
            votes: None,
            fields: Vec::new(),
            log: None,
            lists: Vec::new(),
            badge: None,
            tables: Vec::new(),
        }
    }
}

/// How a list row is drawn (with a text cue too, never colour alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// Neutral.
    Plain,
    /// Success (committed).
    Good,
    /// Failure (aborted).
    Bad,
    /// Attention (in doubt, locked, waiting).
    Warn,
}

/// One row of a [`ListView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListRow {
    /// The row's text.
    pub text: String,
    /// How to draw it.
    pub tone: Tone,
    /// Whether the row is durable state (survives a crash).
    pub durable: bool,
}

impl ListRow {
    /// A row.
    pub fn new(text: impl Into<String>, tone: Tone, durable: bool) -> ListRow {
        ListRow {
            text: text.into(),
            tone,
            durable,
        }
    }
}

/// A titled list of rows for the inspector (protocol-neutral).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListView {
    /// Title ("coordinator log (durable)").
    pub title: String,
    /// Rows, in display order.
    pub rows: Vec<ListRow>,
}

impl ListView {
    /// An empty list titled `title`.
    pub fn new(title: impl Into<String>) -> ListView {
        ListView {
            title: title.into(),
            rows: Vec::new(),
        }
    }
}

/// An armed timer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimerView {
    /// The timer's name (`election`, `heartbeat`).
    pub name: String,
    /// When it was armed.
    pub set_at: Time,
    /// When it is due. A paused node's timers that come due wait and fire on resume.
    pub fires_at: Time,
}

/// One node as the simulator sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeSnapshot {
    /// Node id.
    pub id: NodeId,
    /// Up, crashed or paused.
    pub status: NodeStatus,
    /// The protocol's view of the node (for a crashed node: built from its durable state).
    pub view: NodeView,
    /// Armed timers, in name order.
    pub timers: Vec<TimerView>,
}

/// Where a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flight {
    /// On the wire, arriving at `deliver_at`.
    Flying,
    /// Arrived at a held link or a paused node and waiting there.
    Waiting,
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MsgView {
    /// Message id.
    pub id: MsgId,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Message type label.
    pub kind: &'static str,
    /// Full one-line description (`term=2 last=3@1`).
    pub detail: String,
    /// Whether this is a reply.
    pub is_reply: bool,
    /// Granted / refused, for replies that say so.
    pub outcome: Option<bool>,
    /// When it left the sender.
    pub sent_at: Time,
    /// When it reaches (or reached) the receiver's end of the link.
    pub deliver_at: Time,
    /// Flying or waiting.
    pub flight: Flight,
    /// Its link was cut while it travelled: it will be dropped on arrival.
    pub doomed: bool,
}

/// The state of one directed link `from → to` (only links that are not up are listed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkView {
    /// Sending end.
    pub from: NodeId,
    /// Receiving end.
    pub to: NodeId,
    /// Down or held.
    pub state: LinkState,
}

impl Snapshot {
    /// Number of servers (the first entries of `nodes`; simulated clients follow).
    pub fn servers(&self) -> usize {
        self.nodes.iter().filter(|n| !n.id.is_client()).count()
    }
}

/// Everything the UI draws for one instant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// Protocol name.
    pub protocol: &'static str,
    /// Virtual time of the snapshot.
    pub now: Time,
    /// Number of events processed so far.
    pub events: u64,
    /// Every node, in id order.
    pub nodes: Vec<NodeSnapshot>,
    /// Every message on the wire or waiting, in id order.
    pub in_flight: Vec<MsgView>,
    /// Links that are not up.
    pub links: Vec<LinkView>,
    /// All violations found so far.
    pub violations: Vec<Violation>,
    /// Properties some of whose checks could not decide (out of budget) so far.
    pub undecided: Vec<crate::kernel::check::Undecided>,
}
