//! The trace as the space-time diagram reads it: every message as one [`Arrow`] (send →
//! delivery, or → where it died), every local event as a [`Tick`], every user action kept for
//! the network's history — built **incrementally** from [`Playground::trace_item`] as the trace
//! grows, cut back exactly when time jumps back ([`TraceIndex::truncate`]), and indexed by
//! time: arrows are kept in send order (binary search), long-lived ones in a side list, and
//! per-lane message counts in [`BUCKET_MS`] buckets for the zoomed-out level of detail.
//!
//! The page keeps a bounded window of a long run's trace (`engine::TRACE_WINDOW`): what the
//! trace forgot, the index forgets too ([`TraceIndex::forget_before`]) — arrows, ticks and
//! counts before the first kept entry — and [`TraceIndex::forgotten_until`] says up to when, so
//! the diagram can say so instead of drawing an empty past.
//!
//! A function of the trace up to now: the index of a trace built in one go, and the index of
//! the same trace built in pieces with any number of truncations and re-extensions in between,
//! are equal (`PartialEq`), which the tests check.

use netsplit_core::kernel::net::DropReason;
use netsplit_core::kernel::trace::TraceItem;
use netsplit_core::kernel::view::Role;
use netsplit_core::{Control, MsgId, NodeId, Playground, Time};
use std::collections::{BTreeMap, HashMap};

/// Width of a time bucket of the message counts (virtual ms).
pub const BUCKET_MS: u64 = 100;
/// Arrows that live longer than this (held, waiting at a paused node) are kept in a side list,
/// so the time query for a window only scans sends from `LONG_MS` before it.
pub const LONG_MS: u64 = 2_000;
/// "Not resolved (yet)".
pub const OPEN: u32 = u32::MAX;

/// How a message ended (as of the trace's end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Still flying or waiting.
    Open,
    /// Handed to its receiver.
    Delivered,
    /// Dropped, and why.
    Dropped(DropReason),
}

/// One message: from its send to its delivery or drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    /// Message id.
    pub id: MsgId,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Message kind (the `Look` says how it is drawn).
    pub kind: &'static str,
    /// Sent at (ms). A copy dropped at send "was sent" when it was dropped.
    pub sent: u64,
    /// When the network said it would arrive.
    pub due: u64,
    /// Trace index of the send (or of the drop, for a copy that never left).
    pub start: u32,
    /// When it ended (valid unless the fate is open).
    pub end: u64,
    /// Trace index of its delivery or drop ([`OPEN`] while open).
    pub end_index: u32,
    /// How it ended.
    pub fate: Fate,
    /// Arrived at a held link or a paused node at this time, and waited (and the trace index).
    pub waited: Option<(u64, u32)>,
    /// A copy made by the network.
    pub duplicate: bool,
    /// A reply.
    pub reply: bool,
    /// Granted / refused, for replies that say so.
    pub outcome: Option<bool>,
}

impl Arrow {
    /// Where it ends on the diagram as of virtual time `now`: its end, or (open) the later of
    /// now and its due time.
    pub fn until(&self, now: u64) -> u64 {
        match self.fate {
            Fate::Open => now.max(self.due),
            _ => self.end,
        }
    }

    /// It died at its sender's end and never left.
    pub fn died_at_send(&self) -> bool {
        matches!(self.fate, Fate::Dropped(r) if r.at_send()) && self.end_index == self.start
    }
}

/// What a tick on a lane stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TickKind {
    /// Restarted from durable state.
    Restart,
    /// Crashed by the user.
    Crash,
    /// Paused by the user.
    Pause,
    /// Resumed.
    Resume,
    /// A timer fired (forced by the user or not).
    Timer {
        /// Forced ("force timeout").
        forced: bool,
    },
    /// Role or term changed.
    Role {
        /// New role.
        role: Role,
        /// New term.
        term: Option<u64>,
    },
    /// Something the protocol reports ([`Mark`]): a commit, a decision.
    Mark(String),
    /// A checker found a violated property here.
    Violation(&'static str),
}

/// A local event on one lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tick {
    /// When.
    pub at: u64,
    /// Which lane.
    pub node: NodeId,
    /// What.
    pub kind: TickKind,
    /// Its trace line.
    pub index: u32,
}

/// Something a protocol's panel reads out of a typed trace entry for the diagram (see
/// `Panel::trace_mark`): kept only when `key` is above every earlier key of the same `family`
/// (so "commit index 7" is marked once, where it first shows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The lane.
    pub node: NodeId,
    /// What kind of fact (`"commit"`).
    pub family: &'static str,
    /// Its monotone key (a commit index, a transaction number).
    pub key: u64,
    /// The tick's label (`commit 7`).
    pub label: String,
}

/// The incremental index of one session's trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceIndex {
    /// Trace entries read.
    len: usize,
    /// First trace entry kept (entries before it were forgotten with the trace).
    first: usize,
    /// Virtual time of entry `first` (0 when nothing was forgotten).
    first_at: u64,
    /// Absolute number of the first count bucket kept.
    count_base: usize,
    /// Servers and clients (lanes of the counts).
    slots: usize,
    /// Servers.
    servers: usize,
    /// Every message, in send order.
    arrows: Vec<Arrow>,
    /// Open messages by id.
    open: HashMap<MsgId, u32>,
    /// Arrows that lasted longer than [`LONG_MS`] (indices, ascending).
    long: Vec<u32>,
    /// Local events, in trace order.
    ticks: Vec<Tick>,
    /// User actions applied: (trace index, time, action).
    controls: Vec<(u32, u64, Control)>,
    /// Highest key kept per mark family: (family, node-independent) → (key, trace index).
    marks: BTreeMap<&'static str, Vec<(u64, u32)>>,
    /// Sends per bucket and lane: `counts[bucket * slots + slot]`.
    counts: Vec<u32>,
    /// Drops per bucket and lane (at the receiver's lane, or the sender's if never left).
    drop_counts: Vec<u32>,
}

impl TraceIndex {
    /// An empty index for `servers` servers and `clients` clients.
    pub fn new(servers: usize, clients: usize) -> TraceIndex {
        TraceIndex {
            servers,
            slots: servers + clients,
            ..TraceIndex::default()
        }
    }

    /// Trace entries read.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Servers.
    pub fn servers(&self) -> usize {
        self.servers
    }

    /// Servers and clients.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Every message, in send order.
    pub fn arrows(&self) -> &[Arrow] {
        &self.arrows
    }

    /// Every local event, in trace order.
    pub fn ticks(&self) -> &[Tick] {
        &self.ticks
    }

    /// Every user action applied, in order: (trace index, time, action).
    pub fn controls(&self) -> &[(u32, u64, Control)] {
        &self.controls
    }

    fn slot(&self, node: NodeId) -> Option<usize> {
        let s = node.slot(self.servers);
        (s < self.slots).then_some(s)
    }

    fn count(&mut self, drops: bool, at: u64, node: NodeId, delta: i32) {
        let Some(slot) = self.slot(node) else {
            return;
        };
        let Some(bucket) = ((at / BUCKET_MS) as usize).checked_sub(self.count_base) else {
            return;
        };
        let i = bucket * self.slots + slot;
        let counts = if drops {
            &mut self.drop_counts
        } else {
            &mut self.counts
        };
        if counts.len() <= i {
            counts.resize((i / self.slots + 1) * self.slots, 0);
        }
        counts[i] = counts[i].saturating_add_signed(delta);
    }

    /// Read every entry of `pg`'s trace not read yet; `mark` asks the protocol's panel what
    /// an entry reports (commits, decisions).
    pub fn extend(&mut self, pg: &dyn Playground, mark: &dyn Fn(usize) -> Option<Mark>) {
        let len = pg.trace_len();
        if len < self.len {
            self.truncate(len);
        }
        for i in self.len..len {
            if let Some((at, item)) = pg.trace_item(i) {
                self.push(i, at, item, mark(i));
            }
        }
        self.len = self.len.max(len);
        let first = pg.trace_first();
        if first > self.first {
            let at = pg.trace_item(first).map_or(pg.now().0, |(at, _)| at.0);
            self.forget_before(first, at);
        }
    }

    /// Forget what the trace forgot: arrows sent and ticks before trace entry `first` (at
    /// virtual time `at`), and the count buckets wholly before `at`. User actions are kept
    /// (few, and the network's state at any moment depends on all of them).
    pub fn forget_before(&mut self, first: usize, at: u64) {
        if first <= self.first {
            return;
        }
        self.first = first;
        self.first_at = at;
        let cut = first as u32;
        let gone = self.arrows.partition_point(|a| a.start < cut);
        if gone > 0 {
            for a in self.arrows.drain(..gone) {
                self.open.remove(&a.id);
            }
            let gone = gone as u32;
            for a in self.open.values_mut() {
                *a -= gone;
            }
            self.long.retain(|a| *a >= gone);
            for a in &mut self.long {
                *a -= gone;
            }
        }
        let gone = self.ticks.partition_point(|t| t.index < cut);
        self.ticks.drain(..gone);
        let base = (at / BUCKET_MS) as usize;
        if base > self.count_base {
            let slots = self.slots.max(1);
            let drop = (base - self.count_base) * slots;
            for counts in [&mut self.counts, &mut self.drop_counts] {
                counts.drain(..drop.min(counts.len()));
            }
            self.count_base = base;
        }
    }

    /// Virtual time before which the trace was forgotten (`None`: the whole run is kept).
    pub fn forgotten_until(&self) -> Option<u64> {
        (self.first > 0).then_some(self.first_at)
    }

    /// Read entry `i` (the next one).
    pub fn push(&mut self, i: usize, at: Time, item: TraceItem, mark: Option<Mark>) {
        let at = at.0;
        let index = i as u32;
        self.len = i + 1;
        match item {
            TraceItem::Send {
                id,
                from,
                to,
                kind,
                deliver_at,
                duplicate,
                reply,
                outcome,
            } => {
                self.open.insert(id, self.arrows.len() as u32);
                self.arrows.push(Arrow {
                    id,
                    from,
                    to,
                    kind,
                    sent: at,
                    due: deliver_at.0,
                    start: index,
                    end: 0,
                    end_index: OPEN,
                    fate: Fate::Open,
                    waited: None,
                    duplicate,
                    reply,
                    outcome,
                });
                self.count(false, at, from, 1);
            }
            TraceItem::Deliver { id, .. } => self.resolve(id, at, index, Fate::Delivered),
            TraceItem::Wait { id, .. } => {
                if let Some(a) = self.open.get(&id).copied() {
                    let arrow = &mut self.arrows[a as usize];
                    if arrow.waited.is_none() {
                        arrow.waited = Some((at, index));
                    }
                }
            }
            TraceItem::Drop {
                id,
                from,
                to,
                kind,
                reason,
            } => {
                if self.open.contains_key(&id) {
                    self.resolve(id, at, index, Fate::Dropped(reason));
                    self.count(true, at, to, 1);
                } else {
                    // Never left: lost or refused by a down link at the sender.
                    self.arrows.push(Arrow {
                        id,
                        from,
                        to,
                        kind,
                        sent: at,
                        due: at,
                        start: index,
                        end: at,
                        end_index: index,
                        fate: Fate::Dropped(reason),
                        waited: None,
                        duplicate: false,
                        reply: false,
                        outcome: None,
                    });
                    self.count(false, at, from, 1);
                    self.count(true, at, from, 1);
                }
            }
            TraceItem::Start { node, restart } => {
                if restart {
                    self.tick(at, node, TickKind::Restart, index);
                }
            }
            TraceItem::Timer { node, forced } => {
                self.tick(at, node, TickKind::Timer { forced }, index)
            }
            TraceItem::Role { node, role, term } => {
                self.tick(at, node, TickKind::Role { role, term }, index)
            }
            TraceItem::Control(control) => {
                let tick = match &control {
                    Control::Crash { node } => Some((*node, TickKind::Crash)),
                    Control::Pause { node } => Some((*node, TickKind::Pause)),
                    Control::Resume { node } => Some((*node, TickKind::Resume)),
                    _ => None,
                };
                if let Some((node, kind)) = tick {
                    self.tick(at, node, kind, index);
                }
                self.controls.push((index, at, control));
            }
            TraceItem::Violation { checker, node } => {
                if let Some(node) = node {
                    self.tick(at, node, TickKind::Violation(checker), index);
                }
            }
            TraceItem::Request { .. } | TraceItem::Reply { .. } | TraceItem::Note { .. } => {}
        }
        if let Some(m) = mark {
            let kept = self.marks.entry(m.family).or_default();
            if kept.last().is_none_or(|(k, _)| m.key > *k) {
                kept.push((m.key, index));
                self.tick(at, m.node, TickKind::Mark(m.label), index);
            }
        }
    }

    fn tick(&mut self, at: u64, node: NodeId, kind: TickKind, index: u32) {
        self.ticks.push(Tick {
            at,
            node,
            kind,
            index,
        });
    }

    fn resolve(&mut self, id: MsgId, at: u64, index: u32, fate: Fate) {
        let Some(a) = self.open.remove(&id) else {
            return;
        };
        let arrow = &mut self.arrows[a as usize];
        arrow.end = at;
        arrow.end_index = index;
        arrow.fate = fate;
        if at.saturating_sub(arrow.sent) > LONG_MS {
            // Resolutions come in trace order, but arrows are in send order: keep it sorted.
            let pos = self.long.partition_point(|x| *x < a);
            self.long.insert(pos, a);
        }
    }

    /// Forget every entry from `len` on (time jumped back on the same branch): the index is
    /// then exactly the index of the first `len` entries.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        if len <= self.first {
            // Back before everything kept: read again whatever the trace kept.
            *self = TraceIndex::new(self.servers, self.slots - self.servers);
            return;
        }
        let cut = len as u32;
        // Arrows that started later go, with their counts.
        let keep = self.arrows.partition_point(|a| a.start < cut);
        for a in self.arrows.split_off(keep) {
            self.count(false, a.sent, a.from, -1);
            if let Fate::Dropped(_) = a.fate {
                if a.end_index == a.start {
                    self.count(true, a.sent, a.from, -1);
                } else {
                    self.count(true, a.end, a.to, -1);
                }
            }
        }
        // Arrows that ended later are open again.
        let mut undropped = Vec::new();
        for (i, a) in self.arrows.iter_mut().enumerate() {
            if a.end_index != OPEN && a.end_index >= cut {
                if let Fate::Dropped(_) = a.fate {
                    undropped.push((a.end, a.to));
                }
                a.end = 0;
                a.end_index = OPEN;
                a.fate = Fate::Open;
                self.open.insert(a.id, i as u32);
            }
            if a.waited.is_some_and(|(_, w)| w >= cut) {
                a.waited = None;
            }
        }
        for (end, to) in undropped {
            self.count(true, end, to, -1);
        }
        let arrows = self.arrows.len() as u32;
        self.open.retain(|_, a| *a < arrows);
        let arrows_ref = &self.arrows;
        self.long
            .retain(|a| *a < arrows && arrows_ref[*a as usize].end_index != OPEN);
        let keep = self.ticks.partition_point(|t| t.index < cut);
        self.ticks.truncate(keep);
        let keep = self.controls.partition_point(|c| c.0 < cut);
        self.controls.truncate(keep);
        for kept in self.marks.values_mut() {
            let keep = kept.partition_point(|(_, i)| *i < cut);
            kept.truncate(keep);
        }
        self.marks.retain(|_, kept| !kept.is_empty());
        self.len = len;
        // Trailing empty buckets go, so equal traces give equal indexes.
        let slots = self.slots.max(1);
        for counts in [&mut self.counts, &mut self.drop_counts] {
            while counts.len() >= slots && counts[counts.len() - slots..].iter().all(|c| *c == 0) {
                counts.truncate(counts.len() - slots);
            }
        }
    }

    /// Indices of the arrows that may show in `[t0, t1]` at virtual time `now`: sends from
    /// `LONG_MS` before the window to its end, plus long-lived and still open ones.
    pub fn arrows_in(&self, t0: u64, t1: u64, now: u64) -> Vec<u32> {
        let lo = self
            .arrows
            .partition_point(|a| a.sent < t0.saturating_sub(LONG_MS));
        let hi = self.arrows.partition_point(|a| a.sent <= t1);
        let mut out: Vec<u32> = (lo as u32..hi as u32)
            .filter(|i| self.arrows[*i as usize].until(now) >= t0)
            .collect();
        let early = |i: &u32| (*i as usize) < lo;
        let extra = self
            .long
            .iter()
            .copied()
            .filter(early)
            .chain(self.open.values().copied().filter(early))
            .filter(|i| {
                let a = &self.arrows[*i as usize];
                a.until(now) >= t0 && a.sent <= t1
            });
        let mut extra: Vec<u32> = extra.collect();
        extra.sort_unstable();
        extra.dedup();
        extra.append(&mut out);
        extra
    }

    /// How many messages were sent in `[t0, t1]` (for the level of detail).
    pub fn sends_between(&self, t0: u64, t1: u64) -> usize {
        let lo = self.arrows.partition_point(|a| a.sent < t0);
        let hi = self.arrows.partition_point(|a| a.sent <= t1);
        hi - lo
    }

    /// Indices of the ticks in `[t0, t1]`.
    pub fn ticks_in(&self, t0: u64, t1: u64) -> std::ops::Range<usize> {
        let lo = self.ticks.partition_point(|t| t.at < t0);
        let hi = self.ticks.partition_point(|t| t.at <= t1);
        lo..hi
    }

    /// Sends and drops of lane `slot` in buckets `b0..b1` (summed).
    pub fn counts(&self, slot: usize, b0: usize, b1: usize) -> (u32, u32) {
        let sum = |counts: &[u32]| {
            (b0.max(self.count_base)..b1)
                .filter_map(|b| counts.get((b - self.count_base) * self.slots + slot))
                .sum::<u32>()
        };
        (sum(&self.counts), sum(&self.drop_counts))
    }

    /// Sends of every lane in bucket `b` (for the metrics).
    pub fn sends_in_bucket(&self, b: usize) -> u32 {
        let Some(b) = b.checked_sub(self.count_base) else {
            return 0;
        };
        self.counts
            .get(b * self.slots..(b + 1) * self.slots)
            .map_or(0, |c| c.iter().sum())
    }

    /// Number of count buckets (forgotten ones included).
    pub fn buckets(&self) -> usize {
        self.count_base + self.counts.len().max(self.drop_counts.len()) / self.slots.max(1)
    }

    /// Arrow of message `id`, if any.
    pub fn arrow_of(&self, id: MsgId) -> Option<&Arrow> {
        // Messages are numbered in send order, so ids ascend with arrows (drops at send too).
        let i = self.arrows.partition_point(|a| a.id < id);
        self.arrows.get(i).filter(|a| a.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::run::scenario::TimedAction;
    use netsplit_core::{build, Scenario};

    fn run(seed: u64, until: u64) -> Box<dyn Playground> {
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, seed);
        s.cluster.net.loss = 0.05;
        s.cluster.net.duplicate = 0.1;
        s.actions = run_actions();
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(until), u64::MAX);
        pg
    }

    fn run_actions() -> Vec<TimedAction> {
        vec![
            TimedAction {
                at: Time(700),
                control: Control::Partition {
                    groups: vec![vec![NodeId(0), NodeId(1)]],
                },
            },
            TimedAction {
                at: Time(1500),
                control: Control::Hold {
                    from: NodeId(2),
                    to: NodeId(3),
                },
            },
            TimedAction {
                at: Time(3900),
                control: Control::HealAll,
            },
            TimedAction {
                at: Time(4100),
                control: Control::Crash { node: NodeId(4) },
            },
        ]
    }

    fn whole(pg: &dyn Playground) -> TraceIndex {
        let snap = pg.snapshot();
        let mut ix = TraceIndex::new(snap.servers(), snap.nodes.len() - snap.servers());
        ix.extend(pg, &|_| None);
        ix
    }

    #[test]
    fn every_message_is_one_arrow_and_ends_as_the_trace_says() {
        let pg = run(3, 6000);
        let ix = whole(pg.as_ref());
        assert_eq!(ix.len(), pg.trace_len());
        let mut sends = 0;
        let mut at_send = 0;
        for i in 0..pg.trace_len() {
            match pg.trace_item(i).unwrap().1 {
                TraceItem::Send { .. } => sends += 1,
                TraceItem::Drop { reason, .. } if reason.at_send() => at_send += 1,
                _ => {}
            }
        }
        assert_eq!(ix.arrows().len(), sends + at_send);
        assert!(at_send > 0, "loss and a partition drop messages at send");
        // Sorted by send time; every delivered one ends at or after its due time.
        assert!(ix.arrows().windows(2).all(|w| w[0].sent <= w[1].sent));
        for a in ix.arrows() {
            match a.fate {
                Fate::Delivered => assert!(a.end >= a.due && a.end >= a.sent),
                Fate::Dropped(r) if r.at_send() => assert!(a.died_at_send()),
                Fate::Dropped(_) => assert!(a.end >= a.sent),
                Fate::Open => assert!(a.end_index == OPEN),
            }
        }
        assert!(
            ix.arrows().iter().any(|a| a.waited.is_some()),
            "a held link"
        );
        assert!(ix.arrows().iter().any(|a| a.duplicate));
        assert!(ix.ticks().iter().any(|t| t.kind == TickKind::Crash));
        assert!(ix
            .ticks()
            .iter()
            .any(|t| matches!(t.kind, TickKind::Role { role, .. } if role.leads)));
        assert_eq!(ix.controls().len(), 4);
        // Ids ascend with arrows, so a message is found by id.
        let some = &ix.arrows()[ix.arrows().len() / 2];
        assert_eq!(ix.arrow_of(some.id), Some(some));
    }

    #[test]
    fn a_windowed_trace_is_indexed_as_far_as_it_was_kept() {
        // The page keeps a window of the trace: the index, built as the page builds it (a
        // little at a time), holds exactly the full index's arrows and ticks from the first
        // kept entry on.
        let full_pg = run(3, 30_000);
        let full = whole(full_pg.as_ref());
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, 3);
        s.cluster.net.loss = 0.05;
        s.cluster.net.duplicate = 0.1;
        s.actions = run_actions();
        let mut pg = build(&s).unwrap();
        pg.set_trace_window(Some(2_000));
        let snap = pg.snapshot();
        let mut ix = TraceIndex::new(snap.servers(), snap.nodes.len() - snap.servers());
        let mut t = 0;
        while t < 30_000 {
            t += 250;
            pg.run_until(Time(t), u64::MAX);
            ix.extend(pg.as_ref(), &|_| None);
        }
        let first = pg.trace_first();
        assert!(first > 0, "the window forgot something");
        assert_eq!(ix.len(), full.len());
        let first_at = full_pg.trace_item(first).unwrap().0 .0;
        assert_eq!(ix.forgotten_until(), Some(first_at));
        let kept: Vec<&Arrow> = full
            .arrows()
            .iter()
            .filter(|a| a.start >= first as u32)
            .collect();
        assert_eq!(ix.arrows().iter().collect::<Vec<_>>(), kept);
        let kept: Vec<&Tick> = full
            .ticks()
            .iter()
            .filter(|t| t.index >= first as u32)
            .collect();
        assert_eq!(ix.ticks().iter().collect::<Vec<_>>(), kept);
        // Count buckets before the forgotten time read as empty; later ones as in full.
        let b = (first_at / BUCKET_MS) as usize + 1;
        assert_eq!(ix.counts(0, 0, b - 1), (0, 0));
        assert_eq!(ix.buckets(), full.buckets());
        assert_eq!(ix.sends_in_bucket(b + 3), full.sends_in_bucket(b + 3));
        // Seeking back before everything kept starts the index again from the trace.
        ix.truncate(first / 2);
        assert_eq!(
            ix,
            TraceIndex::new(snap.servers(), snap.nodes.len() - snap.servers())
        );
    }

    #[test]
    fn truncating_and_extending_equals_building_at_once() {
        // The time index is a function of the trace up to now: cut back anywhere (as a seek
        // back does) and read on, and it equals the index built in one go.
        let pg = run(5, 6000);
        let full = whole(pg.as_ref());
        let snap = pg.snapshot();
        let len = pg.trace_len();
        for cut in [0, 1, len / 7, len / 3, len / 2, len - 1] {
            // The index of the prefix, built directly…
            let mut direct = TraceIndex::new(snap.servers(), snap.nodes.len() - snap.servers());
            for i in 0..cut {
                let (at, item) = pg.trace_item(i).unwrap();
                direct.push(i, at, item, None);
            }
            // …equals the full index cut back.
            let mut cut_back = full.clone();
            cut_back.truncate(cut);
            assert_eq!(cut_back, direct, "cut at {cut} of {len}");
            // And reading on from there gives the full index again.
            for i in cut..len {
                let (at, item) = pg.trace_item(i).unwrap();
                cut_back.push(i, at, item, None);
            }
            assert_eq!(cut_back, full, "re-extended from {cut}");
        }
    }

    #[test]
    fn the_time_query_finds_exactly_what_overlaps_a_window() {
        let pg = run(9, 8000);
        let ix = whole(pg.as_ref());
        let now = pg.now().0;
        for (t0, t1) in [
            (0, 300),
            (1200, 1500),
            (2000, 2600),
            (3800, 4200),
            (7900, 8000),
        ] {
            let mut got = ix.arrows_in(t0, t1, now);
            got.sort_unstable();
            let want: Vec<u32> = (0..ix.arrows().len() as u32)
                .filter(|i| {
                    let a = &ix.arrows()[*i as usize];
                    a.sent <= t1 && a.until(now) >= t0
                })
                .collect();
            assert_eq!(got, want, "[{t0}, {t1}]");
        }
        // Counts add up to the arrows.
        let total: u32 = (0..ix.slots())
            .map(|s| ix.counts(s, 0, ix.buckets()).0)
            .sum();
        assert_eq!(total as usize, ix.arrows().len());
        assert_eq!(ix.sends_between(0, now), ix.arrows().len());
        let ticks = ix.ticks_in(1000, 2000);
        assert!(ix.ticks()[ticks]
            .iter()
            .all(|t| (1000..=2000).contains(&t.at)));
    }

    #[test]
    fn marks_are_kept_once_per_key() {
        let mut ix = TraceIndex::new(3, 0);
        let mark = |key| Mark {
            node: NodeId(0),
            family: "commit",
            key,
            label: format!("commit {key}"),
        };
        let item = TraceItem::Note { node: NodeId(0) };
        ix.push(0, Time(1), item.clone(), Some(mark(1)));
        ix.push(1, Time(2), item.clone(), Some(mark(1)));
        ix.push(2, Time(3), item.clone(), Some(mark(3)));
        ix.push(3, Time(4), item.clone(), Some(mark(2)));
        let labels: Vec<_> = ix.ticks().iter().map(|t| t.kind.clone()).collect();
        assert_eq!(
            labels,
            vec![
                TickKind::Mark("commit 1".into()),
                TickKind::Mark("commit 3".into())
            ]
        );
        ix.truncate(2);
        ix.push(2, Time(3), item, Some(mark(2)));
        assert_eq!(ix.ticks().len(), 2, "after a cut, a lower key shows again");
    }
}
