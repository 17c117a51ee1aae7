//! The space-time diagram as plain data: what is visible in a [`Viewport`] of the
//! [`TraceIndex`], laid out in CSS pixels ([`Scene`]). The canvas painter (`dom::diagram`) and
//! the SVG export ([`super::svg`]) both draw a `Scene`, and hit testing ([`hit`]) reads one, so
//! everything that decides what is drawn where is here, tested natively.
//!
//! Lanes are columns (one per node: servers, then clients), virtual time flows down. Only
//! what overlaps the viewport is laid out. When more than [`MAX_ARROWS`] messages would be
//! visible, each lane shows its message density instead ([`Lod::Density`]): a bar per row of
//! pixels as wide as the lane's sends there, drops in their own colour and with a ✗ count.
//!
//! A tour caption's highlight ([`Spot`]) shows here as on the graph: its nodes' lanes are
//! spotted (drawn thicker, their names boxed), and when it names a message kind or a link the
//! matching arrows are spotted (thicker, outlined) while every other arrow and label is dimmed
//! ([`Emphasis`]) — never by colour alone.

use super::index::{Fate, TickKind, TraceIndex, BUCKET_MS};
use super::net::{epochs, status_spans, Status};
use crate::model::look::message;
use crate::model::tour::Spot;
use netsplit_core::run::registry::{Look, MsgColor};
use netsplit_core::{MsgId, NodeId};
use std::collections::BTreeSet;

/// Height of the lane header (names), in px.
pub const HEAD: f64 = 26.0;
/// Width of the time gutter on the left, in px.
pub const GUTTER: f64 = 52.0;
/// Most arrows drawn one by one; past that, the density view.
pub const MAX_ARROWS: usize = 2_500;
/// Most timer ticks drawn; past that, timers are left out (roles, faults and marks stay).
pub const MAX_TIMER_TICKS: usize = 600;
/// Zoom limits (px per virtual ms).
pub const MIN_SCALE: f64 = 0.000_5;
/// Zoom limits (px per virtual ms).
pub const MAX_SCALE: f64 = 8.0;
/// Zoom on opening: 100 ms of virtual time is 30 px.
pub const DEFAULT_SCALE: f64 = 0.3;
/// Density rows are at least this tall (px).
const ROW_PX: f64 = 4.0;

/// Which part of the run is on screen, and how big the drawing is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    /// Virtual time at the top of the lanes (ms).
    pub t0: f64,
    /// Pixels per virtual ms.
    pub scale: f64,
    /// Width (CSS px).
    pub width: f64,
    /// Height (CSS px).
    pub height: f64,
}

impl Default for Viewport {
    fn default() -> Viewport {
        Viewport {
            t0: 0.0,
            scale: DEFAULT_SCALE,
            width: 600.0,
            height: 300.0,
        }
    }
}

impl Viewport {
    /// Virtual ms visible.
    pub fn span(&self) -> f64 {
        (self.height - HEAD).max(1.0) / self.scale
    }

    /// Virtual time at the bottom.
    pub fn t1(&self) -> f64 {
        self.t0 + self.span()
    }

    /// y of virtual time `t`.
    pub fn y(&self, t: f64) -> f64 {
        HEAD + (t - self.t0) * self.scale
    }

    /// Virtual time at height `y`.
    pub fn t_at(&self, y: f64) -> f64 {
        self.t0 + (y - HEAD) / self.scale
    }

    /// Scroll by `dy` px (down: later), never before t=0 nor past `end`.
    pub fn pan(&mut self, dy: f64, end: f64) {
        self.t0 += dy / self.scale;
        self.clamp(end);
    }

    /// Zoom by `factor` (> 1: in), keeping the time at height `y` where it is.
    pub fn zoom(&mut self, factor: f64, y: f64, end: f64) {
        let t = self.t_at(y);
        self.scale = (self.scale * factor).clamp(MIN_SCALE, MAX_SCALE);
        self.t0 = t - (y - HEAD) / self.scale;
        self.clamp(end);
    }

    /// Show `now` near the bottom (follow mode).
    pub fn follow(&mut self, now: f64) {
        self.t0 = (now - self.span() * 0.9).max(0.0);
    }

    /// Scale so that `[0, end]` fits.
    pub fn fit(&mut self, end: f64) {
        self.scale =
            ((self.height - HEAD - 8.0).max(1.0) / end.max(1.0)).clamp(MIN_SCALE, MAX_SCALE);
        self.t0 = 0.0;
    }

    /// Keep the top within `[0, end]`.
    pub fn clamp(&mut self, end: f64) {
        let top = (end - self.span() * 0.1).max(0.0);
        self.t0 = self.t0.clamp(0.0, top);
    }
}

/// What is hidden.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Lanes not drawn (nor messages to or from them).
    pub nodes: BTreeSet<NodeId>,
    /// Message kinds not drawn.
    pub kinds: BTreeSet<&'static str>,
}

/// Level of detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lod {
    /// Every message as an arrow.
    Arrows,
    /// Message density per lane.
    Density,
}

/// How an arrow is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// Delivered: solid with an arrowhead.
    Delivered,
    /// Dropped: solid to where it died, a ✗ there.
    Dropped,
    /// Still flying or waiting: solid to where it is now (`(x, y)`), dashed to where it is due.
    Open {
        /// Where it is now.
        now: (f64, f64),
    },
}

/// One message on the diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrowShape {
    /// Its arrow in the index.
    pub arrow: u32,
    /// Message id.
    pub id: MsgId,
    /// Its send's trace line.
    pub index: u32,
    /// Points: send, (arrival at a held link or paused node, then down the lane), end.
    pub points: Vec<(f64, f64)>,
    /// Colour family.
    pub color: MsgColor,
    /// Short label (`AE`).
    pub label: &'static str,
    /// How it ends.
    pub style: Style,
    /// A duplicate made by the network (drawn doubled).
    pub duplicate: bool,
    /// A reply (drawn thinner).
    pub reply: bool,
    /// Under the pointer, or its log line is.
    pub highlight: bool,
    /// What a tour caption's highlight makes of it.
    pub emphasis: Emphasis,
}

/// How a tour caption's highlight ([`Spot`]) marks an arrow or a label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Emphasis {
    /// Nothing about messages is pointed at: drawn as usual.
    #[default]
    Plain,
    /// Pointed at: thicker, with an outline.
    Spotted,
    /// Something else is pointed at: faint.
    Dimmed,
}

/// What `spot` makes of a message of kind `kind` from `from` to `to`: spotted if it matches
/// every message part the spot names (the kind, the link in either direction), dimmed if it
/// misses one, plain when the spot names neither (nodes alone mark lanes, not arrows).
pub fn arrow_emphasis(spot: Option<&Spot>, kind: &str, from: NodeId, to: NodeId) -> Emphasis {
    let Some(spot) = spot else {
        return Emphasis::Plain;
    };
    if spot.message.is_none() && spot.link.is_none() {
        return Emphasis::Plain;
    }
    let kind_ok = spot.message.as_deref().is_none_or(|k| k == kind);
    let link_ok = spot.link.is_none() || spot.has_link(from, to);
    if kind_ok && link_ok {
        Emphasis::Spotted
    } else {
        Emphasis::Dimmed
    }
}

/// Whether `spot` points at `node`'s lane: one of its nodes, or an end of its link.
pub fn lane_spotted(spot: Option<&Spot>, node: NodeId) -> bool {
    spot.is_some_and(|s| s.has_node(node) || s.link.is_some_and(|(a, b)| a == node || b == node))
}

/// The glyph of a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glyph {
    /// A short stroke across the lane (timer).
    Stroke,
    /// A box with a label (role and term).
    Role,
    /// ✗ (crash).
    Crash,
    /// ↻ (restart).
    Restart,
    /// ⏸ (pause).
    Pause,
    /// ▶ (resume).
    Resume,
    /// ◆ with a label (a commit, a decision).
    Mark,
    /// ! (violation).
    Violation,
}

/// One local event on a lane.
#[derive(Clone, Debug, PartialEq)]
pub struct TickShape {
    /// Position.
    pub x: f64,
    /// Position.
    pub y: f64,
    /// Glyph.
    pub glyph: Glyph,
    /// Text beside it (`L3`, `commit 7`).
    pub label: Option<String>,
    /// Emphasised (a leader's role, a forced timer).
    pub strong: bool,
    /// Faint: a tour caption points at other lanes.
    pub dim: bool,
    /// Its trace line.
    pub index: u32,
}

/// A shaded band on a lane: a network trouble period.
#[derive(Clone, Debug, PartialEq)]
pub struct Shade {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Island number (pattern), or `None` for a lane with a cut or held link only.
    pub island: Option<u8>,
    /// Letter at its top (`A`, `B`; `✂` for a cut, `⏸` for a held link).
    pub tag: String,
    /// What happened, in words.
    pub title: String,
}

/// How part of a lane line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneStyle {
    /// Running.
    Up,
    /// Crashed (dashed).
    Crashed,
    /// Paused (dotted).
    Paused,
}

/// One lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// The node.
    pub node: NodeId,
    /// Centre.
    pub x: f64,
    /// Segments of its line, top to bottom.
    pub spans: Vec<(f64, f64, LaneStyle)>,
    /// Selected on the graph.
    pub selected: bool,
    /// Pointed at by a tour caption's highlight.
    pub spotted: bool,
}

/// A density bar (zoomed out).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width of the sends part.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Width of the drops part (after the sends).
    pub drops: f64,
}

/// Everything drawn for one viewport.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// The viewport.
    pub view: Viewport,
    /// Lanes.
    pub lanes: Vec<Lane>,
    /// Lane width.
    pub lane_w: f64,
    /// Network trouble.
    pub shades: Vec<Shade>,
    /// Time grid: y and label.
    pub grid: Vec<(f64, String)>,
    /// Messages (arrow mode).
    pub arrows: Vec<ArrowShape>,
    /// Kind labels on arrows (`PP`, `P`, `C`…), where there is room: a message's kind never
    /// rests on its colour alone.
    pub labels: Vec<ArrowLabel>,
    /// Density bars (density mode).
    pub bars: Vec<Bar>,
    /// Local events.
    pub ticks: Vec<TickShape>,
    /// The "now" line.
    pub now_y: Option<f64>,
    /// Where the kept history starts, when the page forgot older events and that moment (or
    /// anything before it) is in view: the drawing above it is left blank and says so.
    pub forgotten_y: Option<f64>,
    /// Level of detail.
    pub lod: Lod,
    /// Something to say on the drawing (empty run, zoom in for detail).
    pub note: Option<String>,
}

/// A message kind's label placed on its arrow.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrowLabel {
    /// Centre of the label, px.
    pub x: f64,
    /// Centre of the label, px.
    pub y: f64,
    /// The text (the kind's short label).
    pub text: &'static str,
    /// The arrow's colour family (the label's outline).
    pub color: MsgColor,
    /// Its arrow's emphasis.
    pub emphasis: Emphasis,
}

/// Most arrows a view labels: more and the labels would hide the arrows.
pub const MAX_LABELLED: usize = 160;
/// A label's height, px.
const LABEL_H: f64 = 13.0;

/// A label's width for `text`, px (about 6.5 px per character at the diagram's 10 px font).
fn label_w(text: &str) -> f64 {
    6.5 * text.chars().count() as f64 + 6.0
}

/// Labels for `arrows`: each at two thirds of its first leg (nearer the receiver, so a
/// broadcast's labels part), placed only where it overlaps no label placed before and the leg
/// is long enough to carry it; none when the view holds more than [`MAX_LABELLED`] arrows.
pub fn place_labels(arrows: &[ArrowShape]) -> Vec<ArrowLabel> {
    if arrows.len() > MAX_LABELLED {
        return Vec::new();
    }
    let mut placed: Vec<ArrowLabel> = Vec::new();
    for a in arrows {
        if a.label.is_empty() || a.points.len() < 2 {
            continue;
        }
        let (p, q) = (a.points[0], a.points[1]);
        let len = ((q.0 - p.0).powi(2) + (q.1 - p.1).powi(2)).sqrt();
        let w = label_w(a.label);
        if len < w + 24.0 {
            continue;
        }
        let (x, y) = (p.0 + (q.0 - p.0) * 2.0 / 3.0, p.1 + (q.1 - p.1) * 2.0 / 3.0);
        let clear = placed.iter().all(|l| {
            (l.x - x).abs() * 2.0 >= label_w(l.text) + w + 2.0 || (l.y - y).abs() >= LABEL_H + 1.0
        });
        if clear {
            placed.push(ArrowLabel {
                x,
                y,
                text: a.label,
                color: a.color,
                emphasis: a.emphasis,
            });
        }
    }
    placed
}

/// A lane's x centre and the lane width for `count` lanes in `width` px.
pub fn lane_x(lane: usize, count: usize, width: f64) -> (f64, f64) {
    let w = (width - GUTTER - 8.0).max(1.0) / count.max(1) as f64;
    (GUTTER + w * (lane as f64 + 0.5), w)
}

/// The visible lanes: `nodes` (servers then clients, as the snapshot lists them) less the
/// hidden ones; each node's lane number by its slot.
pub fn assign_lanes(nodes: &[NodeId], hidden: &BTreeSet<NodeId>) -> Vec<NodeId> {
    nodes
        .iter()
        .copied()
        .filter(|n| !hidden.contains(n))
        .collect()
}

/// A "nice" grid step (ms) so lines are at least 56 px apart.
pub fn grid_step(scale: f64) -> u64 {
    const STEPS: &[u64] = &[
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000,
        120_000, 300_000, 600_000, 1_800_000, 3_600_000,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| *s as f64 * scale >= 56.0)
        .unwrap_or(3_600_000)
}

/// A time label: `350 ms`, `1.5 s`, `2 min`.
pub fn time_label(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 || !ms.is_multiple_of(60_000) {
        let s = ms as f64 / 1000.0;
        if ms.is_multiple_of(1000) {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        }
    } else {
        format!("{} min", ms / 60_000)
    }
}

/// What a scene is built from.
pub struct Input<'a> {
    /// The trace, indexed.
    pub index: &'a TraceIndex,
    /// How message kinds look.
    pub look: &'a Look,
    /// Every node (servers, then clients).
    pub nodes: &'a [NodeId],
    /// What is hidden.
    pub filters: &'a Filters,
    /// Virtual time now (fractional ms).
    pub now: f64,
    /// The message to highlight.
    pub hover: Option<MsgId>,
    /// The node selected on the graph.
    pub selected: Option<NodeId>,
    /// What the tour's caption points at, if a tour shows one.
    pub spot: Option<&'a Spot>,
}

fn role_label(role: &netsplit_core::kernel::view::Role, term: Option<u64>) -> String {
    let initial = role
        .name
        .chars()
        .next()
        .map_or(String::new(), |c| c.to_uppercase().to_string());
    match term {
        Some(t) => format!("{initial}{t}"),
        None => initial,
    }
}

/// Lay out everything of `input` visible in `view`.
pub fn scene(input: &Input<'_>, view: &Viewport) -> Scene {
    scene_with(input, view, MAX_ARROWS)
}

/// [`scene`] with arrows drawn one by one up to `max_arrows` (the SVG export allows more).
pub fn scene_with(input: &Input<'_>, view: &Viewport, max_arrows: usize) -> Scene {
    let ix = input.index;
    let lanes_nodes = assign_lanes(input.nodes, &input.filters.nodes);
    let count = lanes_nodes.len();
    let lane_of = |n: NodeId| lanes_nodes.iter().position(|m| *m == n);
    let lane_w = lane_x(0, count, view.width).1;
    let x_of = |n: NodeId| lane_of(n).map(|l| lane_x(l, count, view.width).0);
    let (t0, t1) = (view.t0.max(0.0), view.t1());
    let now = input.now;
    let bottom = view.y(now).min(view.height);
    let (lo, hi) = (t0.floor() as u64, t1.ceil() as u64);

    // Lanes, with crashed and paused stretches.
    let spans = status_spans(ix.ticks());
    let lanes = lanes_nodes
        .iter()
        .enumerate()
        .map(|(l, node)| {
            let x = lane_x(l, count, view.width).0;
            let mut cuts: Vec<(f64, f64, LaneStyle)> = spans
                .iter()
                .filter(|s| s.node == *node)
                .map(|s| {
                    let style = match s.status {
                        Status::Crashed => LaneStyle::Crashed,
                        Status::Paused => LaneStyle::Paused,
                    };
                    let end = s.to.map_or(now, |t| t as f64);
                    (view.y(s.from as f64), view.y(end), style)
                })
                .filter(|(a, b, _)| *b >= HEAD && *a <= bottom)
                .collect();
            cuts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut out = Vec::new();
            let mut y = view.y(0.0).max(HEAD);
            for (a, b, style) in cuts {
                let a = a.max(HEAD);
                if a > y {
                    out.push((y, a, LaneStyle::Up));
                }
                out.push((a, b.min(bottom), style));
                y = b.min(bottom);
            }
            if bottom > y {
                out.push((y, bottom, LaneStyle::Up));
            }
            Lane {
                node: *node,
                x,
                spans: out,
                selected: input.selected == Some(*node),
                spotted: lane_spotted(input.spot, *node),
            }
        })
        .collect();

    // Network trouble, shaded on the lanes it touches.
    let mut shades = Vec::new();
    for e in epochs(ix.controls(), ix.servers()) {
        let end = e.to.map_or(now, |t| t as f64);
        if end < t0 || e.from as f64 > t1 {
            continue;
        }
        let (ya, yb) = (view.y(e.from as f64).max(HEAD), view.y(end).min(bottom));
        let title = e.describe();
        for (i, island) in e.island.iter().enumerate() {
            let node = NodeId::from_index(i);
            let Some(x) = x_of(node) else { continue };
            let (island, tag) = if e.islands > 1 {
                (Some(*island), char::from(b'A' + island % 26).to_string())
            } else if e.cut[i] {
                (None, "✂".to_string())
            } else if e.held[i] {
                (None, "⏸".to_string())
            } else {
                continue;
            };
            shades.push(Shade {
                x: x - lane_w * 0.45,
                y: ya,
                w: lane_w * 0.9,
                h: (yb - ya).max(1.0),
                island,
                tag,
                title: title.clone(),
            });
        }
    }

    // Time grid.
    let step = grid_step(view.scale);
    let grid = (lo / step..=hi / step)
        .map(|k| k * step)
        .filter(|t| (*t as f64) >= t0 && (*t as f64) <= t1)
        .map(|t| (view.y(t as f64), time_label(t)))
        // A label is centred on its line: one just under the lane names would be cut by them.
        .filter(|(y, _)| *y >= HEAD + 6.0)
        .collect();

    // Messages, or their density.
    let visible = ix.sends_between(lo, hi);
    let lod = if visible > max_arrows {
        Lod::Density
    } else {
        Lod::Arrows
    };
    let mut arrows = Vec::new();
    let mut bars = Vec::new();
    let now_ms = now.floor() as u64;
    match lod {
        Lod::Arrows => {
            for a in ix.arrows_in(lo, hi, now_ms) {
                let arrow = &ix.arrows()[a as usize];
                if input.filters.kinds.contains(arrow.kind) {
                    continue;
                }
                let (Some(x1), Some(x2)) = (x_of(arrow.from), x_of(arrow.to)) else {
                    continue;
                };
                let drawn = message(input.look, arrow.kind);
                let y1 = view.y(arrow.sent as f64);
                let flight = (arrow.due.saturating_sub(arrow.sent)).max(1) as f64;
                let at = |t: f64| {
                    let f = ((t - arrow.sent as f64) / flight).clamp(0.0, 1.0);
                    (x1 + (x2 - x1) * f, view.y(t))
                };
                let mut points = vec![(x1, y1)];
                let style = match arrow.fate {
                    Fate::Delivered | Fate::Dropped(_) if arrow.died_at_send() => {
                        let dir = if x2 >= x1 { 1.0 } else { -1.0 };
                        let stub = (lane_w * 0.3).min(16.0);
                        points.push((x1 + dir * stub, y1 + 3.0));
                        Style::Dropped
                    }
                    Fate::Delivered | Fate::Dropped(_) => {
                        let end = arrow.end as f64;
                        if let Some((w, _)) = arrow.waited {
                            points.push((x2, view.y(w as f64)));
                            points.push((x2, view.y(end)));
                        } else if matches!(arrow.fate, Fate::Dropped(_)) {
                            points.push(at(end.min(arrow.due as f64)));
                            if end > arrow.due as f64 {
                                // Died at arrival (receiver crashed): at the lane.
                                points.push((x2, view.y(end)));
                            }
                        } else {
                            points.push((x2, view.y(end)));
                        }
                        if matches!(arrow.fate, Fate::Delivered) {
                            Style::Delivered
                        } else {
                            Style::Dropped
                        }
                    }
                    Fate::Open => {
                        let here = if let Some((w, _)) = arrow.waited {
                            points.push((x2, view.y(w as f64)));
                            (x2, view.y(now))
                        } else {
                            at(now)
                        };
                        points.push(here);
                        if arrow.waited.is_none() {
                            points.push((x2, view.y(arrow.due as f64)));
                        }
                        Style::Open { now: here }
                    }
                };
                arrows.push(ArrowShape {
                    arrow: a,
                    id: arrow.id,
                    index: arrow.start,
                    points,
                    color: drawn.color,
                    label: drawn.label,
                    style,
                    duplicate: arrow.duplicate,
                    reply: arrow.reply,
                    highlight: input.hover == Some(arrow.id),
                    emphasis: arrow_emphasis(input.spot, arrow.kind, arrow.from, arrow.to),
                });
            }
        }
        Lod::Density => {
            // Rows of whole buckets, at least ROW_PX tall.
            let per_row = ((ROW_PX / view.scale) / BUCKET_MS as f64).ceil().max(1.0) as u64;
            let row_ms = per_row * BUCKET_MS;
            let first = lo / row_ms;
            let last = hi.min(now_ms) / row_ms;
            let mut rows = Vec::new();
            let mut max = 1;
            for r in first..=last {
                let (b0, b1) = ((r * per_row) as usize, ((r + 1) * per_row) as usize);
                for node in &lanes_nodes {
                    let (sends, drops) = ix.counts(node.slot(ix.servers()), b0, b1);
                    max = max.max(sends);
                    rows.push((r, *node, sends, drops));
                }
            }
            for (r, node, sends, drops) in rows {
                if sends == 0 && drops == 0 {
                    continue;
                }
                let Some(x) = x_of(node) else { continue };
                let full = lane_w * 0.8;
                let w = full * f64::from(sends) / f64::from(max);
                let d = full * f64::from(drops.min(sends)) / f64::from(max);
                let y = view.y((r * row_ms) as f64);
                bars.push(Bar {
                    x: x - full / 2.0,
                    y,
                    w: (w - d).max(0.0),
                    h: (row_ms as f64 * view.scale - 0.5).max(1.0),
                    drops: d,
                });
            }
        }
    }

    // Local events.
    let range = ix.ticks_in(lo, hi);
    let timers = ix.ticks()[range.clone()]
        .iter()
        .filter(|t| matches!(t.kind, TickKind::Timer { forced: false }))
        .count();
    // A caption pointing at lanes dims the local events of the others.
    let lanes_spotted = input.spot.is_some_and(|s| !s.nodes.is_empty());
    let ticks = ix.ticks()[range]
        .iter()
        .filter_map(|t| {
            let x = x_of(t.node)?;
            let y = view.y(t.at as f64);
            let (glyph, label, strong) = match &t.kind {
                TickKind::Timer { forced } => {
                    if !forced && (timers > MAX_TIMER_TICKS || lod == Lod::Density) {
                        return None;
                    }
                    (Glyph::Stroke, forced.then(|| "⏱".to_string()), *forced)
                }
                TickKind::Role { role, term } => {
                    (Glyph::Role, Some(role_label(role, *term)), role.leads)
                }
                TickKind::Crash => (Glyph::Crash, None, true),
                TickKind::Restart => (Glyph::Restart, None, false),
                TickKind::Pause => (Glyph::Pause, None, false),
                TickKind::Resume => (Glyph::Resume, None, false),
                TickKind::Mark(label) => (Glyph::Mark, Some(label.clone()), false),
                TickKind::Violation(_) => (Glyph::Violation, None, true),
            };
            Some(TickShape {
                x,
                y,
                glyph,
                label,
                strong,
                dim: lanes_spotted && !lane_spotted(input.spot, t.node),
                index: t.index,
            })
        })
        .collect();

    let now_y = (now >= t0 && now <= t1).then(|| view.y(now));
    let forgotten = ix.forgotten_until().filter(|t| *t as f64 > t0);
    let forgotten_y = forgotten.map(|t| view.y((t as f64).min(t1)).clamp(HEAD, bottom.max(HEAD)));
    let note = if let Some(t) = forgotten.filter(|t| *t as f64 >= t1) {
        Some(format!(
            "events before {} were not kept: seek there to replay them",
            time_label(t)
        ))
    } else if ix.is_empty() {
        Some("nothing has happened yet".to_string())
    } else if lod == Lod::Density {
        Some(format!("{visible} messages here: zoom in to see each one"))
    } else {
        None
    };
    let labels = place_labels(&arrows);
    Scene {
        view: *view,
        lanes,
        lane_w,
        shades,
        grid,
        arrows,
        labels,
        bars,
        ticks,
        now_y,
        forgotten_y,
        lod,
        note,
    }
}

/// What the pointer is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// A message (its arrow in the index).
    Arrow {
        /// Arrow number in the index.
        arrow: u32,
        /// Message id.
        id: MsgId,
        /// Its send's trace line.
        index: u32,
    },
    /// A local event (its trace line).
    Tick(u32),
}

fn dist_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// The tick or arrow nearest to `(x, y)` within a few pixels (ticks first: they are small).
pub fn hit(scene: &Scene, x: f64, y: f64) -> Option<Hit> {
    let tick = scene
        .ticks
        .iter()
        .map(|t| (((t.x - x).powi(2) + (t.y - y).powi(2)).sqrt(), t.index))
        .filter(|(d, _)| *d <= 7.0)
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, index)) = tick {
        return Some(Hit::Tick(index));
    }
    scene
        .arrows
        .iter()
        .map(|a| {
            let d = a
                .points
                .windows(2)
                .map(|w| dist_to_segment((x, y), w[0], w[1]))
                .fold(f64::INFINITY, f64::min);
            (d, a)
        })
        .filter(|(d, _)| *d <= 5.0)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| Hit::Arrow {
            arrow: a.arrow,
            id: a.id,
            index: a.index,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::run::scenario::TimedAction;
    use netsplit_core::{build, Control, Playground, Scenario, Time};

    fn session(until: u64) -> (Box<dyn Playground>, TraceIndex, Vec<NodeId>) {
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, 7);
        s.cluster.net.loss = 0.05;
        s.actions = vec![
            TimedAction {
                at: Time(800),
                control: Control::Partition {
                    groups: vec![vec![NodeId(0), NodeId(1)]],
                },
            },
            TimedAction {
                at: Time(2500),
                control: Control::HealAll,
            },
        ];
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(until), u64::MAX);
        let snap = pg.snapshot();
        let nodes: Vec<NodeId> = snap.nodes.iter().map(|n| n.id).collect();
        let mut ix = TraceIndex::new(snap.servers(), nodes.len() - snap.servers());
        ix.extend(pg.as_ref(), &|_| None);
        (pg, ix, nodes)
    }

    fn look() -> &'static Look {
        netsplit_core::run::registry::Registry::builtin()
            .get(netsplit_core::protocols::raft::ID)
            .unwrap()
            .look()
    }

    #[test]
    fn lanes_are_servers_then_clients_minus_the_hidden() {
        let nodes = vec![NodeId(0), NodeId(1), NodeId(2), NodeId::client(0)];
        let hidden: BTreeSet<NodeId> = [NodeId(1)].into();
        assert_eq!(
            assign_lanes(&nodes, &hidden),
            vec![NodeId(0), NodeId(2), NodeId::client(0)]
        );
        let (x0, w) = lane_x(0, 3, 400.0);
        let (x2, _) = lane_x(2, 3, 400.0);
        assert!((x0 - (GUTTER + w / 2.0)).abs() < 1e-9);
        assert!((x2 - x0 - 2.0 * w).abs() < 1e-9);
    }

    #[test]
    fn the_viewport_zooms_around_the_pointer_and_stays_in_the_run() {
        let mut v = Viewport {
            t0: 1000.0,
            scale: 0.5,
            width: 500.0,
            height: 326.0,
        };
        assert_eq!(v.span(), 600.0);
        let t = v.t_at(200.0);
        v.zoom(2.0, 200.0, 10_000.0);
        assert!((v.t_at(200.0) - t).abs() < 1e-9);
        assert_eq!(v.scale, 1.0);
        v.pan(-10_000.0, 10_000.0);
        assert_eq!(v.t0, 0.0);
        v.pan(1e9, 10_000.0);
        assert!(v.t0 <= 10_000.0);
        v.follow(5000.0);
        assert!(v.y(5000.0) < v.height && v.y(5000.0) > v.height * 0.8);
        v.zoom(1e-9, 100.0, 10_000.0);
        assert_eq!(v.scale, MIN_SCALE);
        v.fit(60_000.0);
        assert!(v.y(60_000.0) <= v.height);
        assert_eq!(grid_step(0.3), 200);
        assert_eq!(time_label(1500), "1.5 s");
        assert_eq!(time_label(120_000), "2 min");
        assert_eq!(time_label(350), "350 ms");
    }

    fn arrow(from: (f64, f64), to: (f64, f64), label: &'static str) -> ArrowShape {
        ArrowShape {
            arrow: 0,
            id: MsgId(1),
            index: 0,
            points: vec![from, to],
            color: MsgColor::Sky,
            label,
            style: Style::Delivered,
            duplicate: false,
            reply: false,
            highlight: false,
            emphasis: Emphasis::Plain,
        }
    }

    #[test]
    fn kind_labels_go_where_there_is_room_and_never_overlap() {
        // A broadcast: three arrows from one point; their labels sit nearer the receivers.
        let fan = [
            arrow((100.0, 100.0), (200.0, 160.0), "PP"),
            arrow((100.0, 100.0), (300.0, 160.0), "PP"),
            arrow((100.0, 100.0), (400.0, 160.0), "PP"),
        ];
        let labels = place_labels(&fan);
        assert_eq!(labels.len(), 3, "{labels:?}");
        assert!((labels[0].x - (100.0 + 200.0 / 3.0)).abs() < 1e-9);
        // The same arrow twice: the second label would cover the first.
        let twice = [fan[0].clone(), fan[0].clone()];
        assert_eq!(place_labels(&twice).len(), 1);
        // Too short to carry a label.
        assert!(place_labels(&[arrow((0.0, 0.0), (20.0, 5.0), "AE")]).is_empty());
        // Too many arrows: no labels at all.
        let crowd: Vec<ArrowShape> = (0..=MAX_LABELLED)
            .map(|i| arrow((0.0, i as f64 * 20.0), (300.0, i as f64 * 20.0 + 10.0), "C"))
            .collect();
        assert!(place_labels(&crowd).is_empty());
    }

    #[test]
    fn forgotten_history_is_left_blank_and_says_so() {
        let (pg, ix, nodes) = session(4000);
        let filters = Filters::default();
        let input = |ix| Input {
            index: ix,
            look: look(),
            nodes: &nodes,
            filters: &filters,
            now: pg.now().0 as f64,
            hover: None,
            selected: None,
            spot: None,
        };
        let view = |t0| Viewport {
            t0,
            scale: 0.5,
            width: 700.0,
            height: 426.0,
        };
        assert_eq!(scene(&input(&ix), &view(0.0)).forgotten_y, None);
        // The trace forgot everything before the entry at 2.0 s.
        let first = (0..pg.trace_len())
            .find(|i| pg.trace_item(*i).is_some_and(|(at, _)| at.0 >= 2000))
            .unwrap();
        let mut kept = ix.clone();
        kept.forget_before(first, 2000);
        let s = scene(&input(&kept), &view(1500.0));
        let y = s.forgotten_y.expect("the boundary is in view");
        assert!((y - view(1500.0).y(2000.0)).abs() < 1e-9);
        assert!(s
            .arrows
            .iter()
            .all(|a| a.points.iter().all(|p| p.1 >= y - 1.0)));
        // Entirely before it: blank, and the note says what to do.
        let s = scene(&input(&kept), &view(0.0));
        assert!(s.arrows.is_empty());
        assert!(s.note.is_some_and(|n| n.contains("not kept")));
    }

    #[test]
    fn a_scene_shows_what_is_visible_and_hit_finds_it() {
        let (pg, ix, nodes) = session(4000);
        let filters = Filters::default();
        let input = Input {
            index: &ix,
            look: look(),
            nodes: &nodes,
            filters: &filters,
            now: pg.now().0 as f64,
            hover: None,
            selected: Some(NodeId(2)),
            spot: None,
        };
        let view = Viewport {
            t0: 600.0,
            scale: 0.5,
            width: 700.0,
            height: 426.0,
        };
        let s = scene(&input, &view);
        assert_eq!(s.lod, Lod::Arrows);
        assert_eq!(s.lanes.len(), nodes.len());
        assert!(s.lanes[2].selected);
        assert!(!s.arrows.is_empty());
        // Every arrow overlaps the window; none is drawn twice.
        let ids: BTreeSet<MsgId> = s.arrows.iter().map(|a| a.id).collect();
        assert_eq!(ids.len(), s.arrows.len());
        for a in &s.arrows {
            let (ymin, ymax) = a.points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
                (lo.min(p.1), hi.max(p.1))
            });
            assert!(ymax >= HEAD - 1.0 && ymin <= view.height + 1.0);
        }
        // The partition from 800 ms shades both islands' lanes, lettered.
        let tags: BTreeSet<&str> = s.shades.iter().map(|s| s.tag.as_str()).collect();
        assert_eq!(tags, ["A", "B"].into());
        assert!(s.shades.iter().all(|sh| sh.title.contains("islands")));
        // Drops at send under the partition are drawn as stubs ending in ✗.
        assert!(s.arrows.iter().any(|a| a.style == Style::Dropped));
        // Hit testing finds an arrow at its own midpoint, and nothing far away.
        let a = &s.arrows[s.arrows.len() / 2];
        let (p, q) = (a.points[0], a.points[1]);
        let mid = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
        match hit(&s, mid.0, mid.1) {
            Some(Hit::Arrow { id, .. }) => {
                let hit_arrow = s.arrows.iter().find(|x| x.id == id).unwrap();
                let d = hit_arrow
                    .points
                    .windows(2)
                    .map(|w| dist_to_segment(mid, w[0], w[1]))
                    .fold(f64::INFINITY, f64::min);
                assert!(d <= 5.0);
            }
            Some(Hit::Tick(_)) => {}
            None => panic!("nothing under an arrow's midpoint"),
        }
        assert_eq!(hit(&s, 2.0, 2.0), None);
        // The same input gives the same scene (a function of the trace up to now).
        assert_eq!(scene(&input, &view), s);
    }

    #[test]
    fn a_captions_highlight_spots_lanes_and_arrows_and_dims_the_rest() {
        let (n1, n2, n3) = (NodeId(0), NodeId(1), NodeId(2));
        // The rule, alone.
        let kind = Spot {
            message: Some("AppendEntries".into()),
            ..Spot::default()
        };
        assert_eq!(
            arrow_emphasis(None, "AppendEntries", n1, n2),
            Emphasis::Plain
        );
        assert_eq!(
            arrow_emphasis(Some(&kind), "AppendEntries", n1, n2),
            Emphasis::Spotted
        );
        assert_eq!(
            arrow_emphasis(Some(&kind), "RequestVote", n1, n2),
            Emphasis::Dimmed
        );
        let link = Spot {
            link: Some((n1, n2)),
            ..Spot::default()
        };
        assert_eq!(
            arrow_emphasis(Some(&link), "X", n2, n1),
            Emphasis::Spotted,
            "either way"
        );
        assert_eq!(arrow_emphasis(Some(&link), "X", n1, n3), Emphasis::Dimmed);
        let both = Spot {
            link: Some((n1, n2)),
            message: Some("AppendEntries".into()),
            ..Spot::default()
        };
        assert_eq!(
            arrow_emphasis(Some(&both), "RequestVote", n1, n2),
            Emphasis::Dimmed,
            "a message part missed"
        );
        let nodes = Spot {
            nodes: vec![n3],
            ..Spot::default()
        };
        assert_eq!(
            arrow_emphasis(Some(&nodes), "X", n1, n2),
            Emphasis::Plain,
            "nodes alone mark lanes, not arrows"
        );
        assert!(lane_spotted(Some(&nodes), n3) && !lane_spotted(Some(&nodes), n1));
        assert!(lane_spotted(Some(&link), n2), "a link's ends are spotted");
        assert!(!lane_spotted(None, n1));

        // In a scene.
        let (pg, ix, all) = session(3000);
        let filters = Filters::default();
        let spot = Spot {
            nodes: vec![n1],
            message: Some("Heartbeat".into()),
            ..Spot::default()
        };
        let mut input = Input {
            index: &ix,
            look: look(),
            nodes: &all,
            filters: &filters,
            now: pg.now().0 as f64,
            hover: None,
            selected: None,
            spot: None,
        };
        let view = Viewport {
            t0: 0.0,
            scale: 0.5,
            width: 900.0,
            height: 526.0,
        };
        let plain = scene(&input, &view);
        assert!(!plain.labels.is_empty(), "a view with labels");
        assert!(plain.lanes.iter().all(|l| !l.spotted));
        assert!(plain.arrows.iter().all(|a| a.emphasis == Emphasis::Plain));
        assert!(plain.ticks.iter().all(|t| !t.dim));
        input.spot = Some(&spot);
        let s = scene(&input, &view);
        let spotted: Vec<NodeId> = s
            .lanes
            .iter()
            .filter(|l| l.spotted)
            .map(|l| l.node)
            .collect();
        assert_eq!(spotted, vec![n1]);
        let (mut hits, mut dims) = (0, 0);
        for a in &s.arrows {
            let kind = ix.arrows()[a.arrow as usize].kind;
            match a.emphasis {
                Emphasis::Spotted => {
                    assert_eq!(kind, "Heartbeat");
                    hits += 1;
                }
                Emphasis::Dimmed => {
                    assert_ne!(kind, "Heartbeat");
                    dims += 1;
                }
                Emphasis::Plain => panic!("a spot naming a kind leaves no arrow plain"),
            }
        }
        assert!(hits > 0 && dims > 0, "{hits} spotted, {dims} dimmed");
        assert!(s
            .labels
            .iter()
            .all(|l| l.emphasis != Emphasis::Spotted || l.text == "HB"));
        assert!(s.labels.iter().any(|l| l.emphasis == Emphasis::Dimmed));
        // Local events of the other lanes are faint, those of n1 not.
        assert!(s.ticks.iter().any(|t| t.dim) && s.ticks.iter().any(|t| !t.dim));
        let n1_x = s.lanes[0].x;
        assert!(s.ticks.iter().all(|t| t.dim != ((t.x - n1_x).abs() < 1e-9)));
        // Same layout otherwise: the highlight moves nothing.
        assert_eq!(s.arrows.len(), plain.arrows.len());
        assert_eq!(s.ticks.len(), plain.ticks.len());
    }

    #[test]
    fn filters_hide_lanes_and_kinds() {
        let (pg, ix, nodes) = session(3000);
        let mut filters = Filters::default();
        filters.nodes.insert(NodeId(0));
        filters.kinds.insert("AppendEntries");
        let input = Input {
            index: &ix,
            look: look(),
            nodes: &nodes,
            filters: &filters,
            now: pg.now().0 as f64,
            hover: None,
            selected: None,
            spot: None,
        };
        let view = Viewport {
            t0: 0.0,
            scale: 0.2,
            width: 600.0,
            height: 626.0,
        };
        let s = scene(&input, &view);
        assert_eq!(s.lanes.len(), nodes.len() - 1);
        for a in &s.arrows {
            let arrow = &ix.arrows()[a.arrow as usize];
            assert_ne!(arrow.kind, "AppendEntries");
            assert!(arrow.from != NodeId(0) && arrow.to != NodeId(0));
        }
    }

    #[test]
    fn zoomed_out_a_long_run_becomes_density_bars() {
        let (pg, ix, nodes) = session(60_000);
        let filters = Filters::default();
        let input = Input {
            index: &ix,
            look: look(),
            nodes: &nodes,
            filters: &filters,
            now: pg.now().0 as f64,
            hover: None,
            selected: None,
            spot: None,
        };
        let mut view = Viewport {
            width: 800.0,
            height: 600.0,
            ..Viewport::default()
        };
        view.fit(60_000.0);
        let s = scene(&input, &view);
        assert_eq!(s.lod, Lod::Density);
        assert!(s.arrows.is_empty() && !s.bars.is_empty());
        assert!(s.bars.len() <= (600.0 / ROW_PX) as usize * nodes.len() + nodes.len());
        assert!(s.note.as_deref().unwrap().contains("zoom in"));
        // No timer ticks when zoomed out, but role changes stay.
        assert!(s.ticks.iter().all(|t| t.glyph != Glyph::Stroke));
        assert!(s.ticks.iter().any(|t| t.glyph == Glyph::Role));
        // Bars fit their lanes.
        for b in &s.bars {
            assert!(b.w + b.drops <= s.lane_w * 0.8 + 1e-9);
        }
    }
}
