//! The cluster drawing: links and nodes in SVG (re-rendered only when the simulation changes),
//! with the canvas for moving messages stacked on top. A node's outline comes from its role's
//! `Outline` (CSS class `outline-…`), its crown from `Role::leads`; nothing here knows a
//! protocol.

use crate::components::icons::{glyph, Icon};
use crate::model::action::Action;
use crate::model::layout::{hull, island_label_at, place_grouped, Pt, CLIENT_R, NODE_R, VIEW};
use crate::model::partition::island_label;
use crate::model::tour::Spot;
use netsplit_core::kernel::net::LinkState;
use netsplit_core::kernel::view::{NodeSnapshot, NodeStatus, Snapshot};
use netsplit_core::run::registry::Epoch;
use netsplit_core::NodeId;
use yew::prelude::*;

/// How a pair of nodes is connected, from both directions' states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pair {
    /// Both directions up.
    Up,
    /// Both directions down.
    Cut,
    /// Only `a → b` works (the other direction is down).
    OnlyAtoB,
    /// Only `b → a` works.
    OnlyBtoA,
    /// At least one direction held (and none down).
    Held,
}

/// Classify the pair `(a, b)` from the snapshot's abnormal links.
pub fn pair_state(snap: &Snapshot, a: NodeId, b: NodeId) -> Pair {
    let state = |from: NodeId, to: NodeId| {
        snap.links
            .iter()
            .find(|l| l.from == from && l.to == to)
            .map_or(LinkState::Up, |l| l.state)
    };
    match (state(a, b), state(b, a)) {
        (LinkState::Up, LinkState::Up) => Pair::Up,
        (LinkState::Down, LinkState::Down) => Pair::Cut,
        (LinkState::Down, _) => Pair::OnlyBtoA,
        (_, LinkState::Down) => Pair::OnlyAtoB,
        _ => Pair::Held,
    }
}

/// Plain-words description of a pair (tooltips and screen readers).
pub fn pair_label(a: NodeId, b: NodeId, pair: Pair) -> String {
    match pair {
        Pair::Up => format!("link {a} ↔ {b}: up. Click to cut, shift-click to cut one way"),
        Pair::Cut => format!("link {a} ↔ {b}: cut. Click to heal"),
        Pair::OnlyAtoB => format!("link {a} ↔ {b}: only {a} → {b} works. Click to heal"),
        Pair::OnlyBtoA => format!("link {a} ↔ {b}: only {b} → {a} works. Click to heal"),
        Pair::Held => format!("link {a} ↔ {b}: held (messages wait). Click to heal"),
    }
}

fn link(
    snap: &Snapshot,
    pts: &[Pt],
    (a, b): (usize, usize),
    spot: bool,
    dispatch: &Callback<Action>,
) -> Html {
    let (na, nb) = (NodeId::from_index(a), NodeId::from_index(b));
    let pair = pair_state(snap, na, nb);
    let (pa, pb) = (pts[a], pts[b]);
    let class = match pair {
        Pair::Up => "link up",
        Pair::Cut => "link cut",
        Pair::OnlyAtoB | Pair::OnlyBtoA => "link oneway",
        Pair::Held => "link held",
    };
    // One-way: draw from the live sender to the live receiver so the arrowhead shows direction.
    let (from, to) = if pair == Pair::OnlyBtoA {
        (pb, pa)
    } else {
        (pa, pb)
    };
    let marker = matches!(pair, Pair::OnlyAtoB | Pair::OnlyBtoA).then_some("url(#arrow)");
    let mid = Pt {
        x: (pa.x + pb.x) / 2.0,
        y: (pa.y + pb.y) / 2.0,
    };
    let mark = match pair {
        Pair::Up => None,
        Pair::Cut | Pair::OnlyAtoB | Pair::OnlyBtoA => Some(Icon::Cut),
        Pair::Held => Some(Icon::Pause),
    };
    let onclick = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            dispatch.emit(Action::LinkClicked {
                a,
                b,
                one_way: e.shift_key(),
            })
        })
    };
    let mut label = pair_label(na, nb, pair);
    if spot {
        label.push_str(" (pointed at by the tour)");
    }
    html! {
        <g key={format!("{na}-{nb}")} class={classes!(class, spot.then_some("spot"))} data-link={format!("{na}-{nb}")} data-state={format!("{pair:?}").to_lowercase()}>
            if spot {
                <line class="spot-line" x1={pa.x.to_string()} y1={pa.y.to_string()}
                    x2={pb.x.to_string()} y2={pb.y.to_string()} />
            }
            <line class="link-line" x1={from.x.to_string()} y1={from.y.to_string()}
                x2={to.x.to_string()} y2={to.y.to_string()} marker-end={marker} />
            if let Some(icon) = mark {
                <g class="link-mark" transform={format!("translate({:.1},{:.1})", mid.x, mid.y)}>
                    <circle r="12" />
                    { glyph(icon, 0.0, 0.0, 14.0) }
                </g>
            }
            <line class="link-hit" x1={pa.x.to_string()} y1={pa.y.to_string()}
                x2={pb.x.to_string()} y2={pb.y.to_string()} onclick={onclick}>
                <title>{label}</title>
            </line>
        </g>
    }
}

/// Describe a node for screen readers and tooltips, its term in the protocol's `epoch` word.
pub fn node_label(n: &NodeSnapshot, epoch: Epoch) -> String {
    let mut s = format!("{}", n.id);
    match n.status {
        // A crashed node's view is the one a restart would produce.
        NodeStatus::Crashed => {
            s.push_str(&format!(", crashed (restarts as {})", n.view.role.name()));
        }
        NodeStatus::Paused => s.push_str(&format!(", paused, {}", n.view.role.name())),
        NodeStatus::Up => s.push_str(&format!(", {}", n.view.role.name())),
    }
    if let Some(t) = n.view.term {
        s.push_str(&format!(", {} {t}", epoch.word));
    }
    if let Some((got, need)) = n.view.votes {
        s.push_str(&format!(", {got} of {need} votes"));
    }
    if let Some(badge) = &n.view.badge {
        s.push_str(&format!(", {badge}"));
    }
    s
}

/// A badge as it reads under a node: the words before its first `:` (`blocked: in doubt about
/// t3` → `blocked`, drawn with the blocked glyph; `☠ equivocate` stays as it is).
pub fn badge_head(badge: &str) -> String {
    badge.split(':').next().unwrap_or(badge).trim().to_string()
}

/// Whether `text` starts with a sign of its own (`☠ equivocate`) rather than a word.
pub fn has_sign(text: &str) -> bool {
    !text.starts_with(|c: char| c.is_alphanumeric())
}

/// The corner badge of a node that is not running: ✗ crashed, ⏸ paused (shape, not hue).
fn status_badge(status: NodeStatus, r: f64) -> Html {
    let inner = match status {
        NodeStatus::Up => return html! {},
        NodeStatus::Crashed => html! {
            <>
                <circle r="12" />
                <line x1="-5" y1="-5" x2="5" y2="5" />
                <line x1="5" y1="-5" x2="-5" y2="5" />
            </>
        },
        NodeStatus::Paused => html! {
            <>
                <circle r="11" />
                <rect x="-5" y="-6" width="3.5" height="12" />
                <rect x="1.5" y="-6" width="3.5" height="12" />
            </>
        },
    };
    let class = if status == NodeStatus::Crashed {
        "cross"
    } else {
        "pause"
    };
    html! {
        <g class={class} transform={format!("translate({:.1},{:.1})", r * 0.72, -r * 0.72)} aria-hidden="true">
            {inner}
        </g>
    }
}

/// Time left on `n`'s timer `timer` at virtual time `vt` (ms), if it is armed.
pub fn time_left(n: &NodeSnapshot, timer: &str, vt: f64) -> Option<u64> {
    if n.status == NodeStatus::Crashed {
        return None;
    }
    n.timers
        .iter()
        .find(|t| t.name == timer)
        .map(|t| (t.fires_at.0 as f64 - vt).max(0.0).round() as u64)
}

fn node(
    n: &NodeSnapshot,
    p: Pt,
    (selected, spot): (bool, bool),
    countdown: Option<u64>,
    epoch: Epoch,
    dispatch: &Callback<Action>,
) -> Html {
    let i = n.id.index();
    let role = n.view.role.name;
    let status = match n.status {
        NodeStatus::Up => "up",
        NodeStatus::Crashed => "crashed",
        NodeStatus::Paused => "paused",
    };
    let tint = n.view.term.map_or(0, |t| t % 6);
    let class = classes!(
        "node",
        format!("outline-{}", n.view.role.outline.name()),
        format!("status-{status}"),
        format!("tint-{tint}"),
        selected.then_some("selected"),
        spot.then_some("spot")
    );
    let onclick = dispatch.reform(move |_: MouseEvent| Action::Select(Some(i)));
    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                dispatch.emit(Action::Select(Some(i)));
            }
        })
    };
    let term = n
        .view
        .term
        .map(|t| format!("{}{t}", epoch.short))
        .unwrap_or_default();
    // A badge without a sign of its own (`blocked: in doubt about t3`) gets the blocked glyph;
    // one with its own (`☠ equivocate`) speaks for itself.
    let blocked = n.status == NodeStatus::Up
        && n.view.votes.is_none()
        && n.view.badge.as_deref().is_some_and(|b| !has_sign(b));
    let sub = match (n.status, n.view.votes) {
        (NodeStatus::Crashed, _) => "crashed".to_string(),
        (NodeStatus::Paused, _) => "paused".to_string(),
        (_, Some((got, need))) => format!("votes {got}/{need}"),
        (_, None) => match &n.view.badge {
            Some(badge) => badge_head(badge),
            None => n.view.role.name().to_string(),
        },
    };
    let r = NODE_R;
    let sub_y = r + 24.0;
    html! {
        <g key={n.id.to_string()} class={class} transform={format!("translate({:.1},{:.1})", p.x, p.y)}
            tabindex="0" role="button" aria-pressed={selected.to_string()}
            data-node={n.id.to_string()} data-role={role}
            data-status={status} data-term={n.view.term.unwrap_or(0).to_string()}
            onclick={onclick} onkeydown={onkeydown}>
            // An SVG element's <title> is its accessible name (and its tooltip); the glyph's
            // own text is for the eyes only.
            <title>{node_label(n, epoch)}{if spot { " (pointed at by the tour)" } else { "" }}</title>
            if spot {
                // A dashed ring: shape, not hue alone.
                <circle class="spot-ring" r={(r + 20.0).to_string()} aria-hidden="true" />
            }
            <circle class="halo" r={(r + 14.0).to_string()} />
            <circle class="body" r={r.to_string()} />
            // Without a term (Dynamo, 2PC) the name sits in the middle of the circle.
            if n.view.term.is_some() {
                <text class="name" y="-6" text-anchor="middle" aria-hidden="true">{n.id.to_string()}</text>
                <text class="term" y="14" text-anchor="middle" aria-hidden="true">{term}</text>
            } else {
                <text class="name" y="8" text-anchor="middle" aria-hidden="true">{n.id.to_string()}</text>
            }
            <text class="sub" y={sub_y.to_string()} text-anchor="middle" aria-hidden="true">
                {sub}
            </text>
            if blocked {
                <g class="blocked-icon">{ glyph(Icon::Blocked, -r * 0.72, -r * 0.72, 22.0) }</g>
            }
            if let Some(ms) = countdown {
                <g class="countdown" aria-hidden="true">
                    { glyph(Icon::Clock, -30.0, sub_y + 22.0, 15.0) }
                    <text x="-19" y={(sub_y + 27.0).to_string()} text-anchor="start">{format!("{ms} ms")}</text>
                </g>
            }
            if n.view.role.leads && n.status != NodeStatus::Crashed {
                <g class="crown" transform={format!("translate(0,{:.1})", -r - 16.0)} aria-hidden="true">
                    <path d="M-13,6 L-13,-5 L-6.5,1 L0,-8 L6.5,1 L13,-5 L13,6 Z" />
                </g>
            }
            { status_badge(n.status, r) }
        </g>
    }
}

/// A simulated client: a small rounded square in the middle of the ring; `note` (from the
/// protocol's panel) says what it is doing.
fn client(
    n: &NodeSnapshot,
    p: Pt,
    slot: usize,
    selected: bool,
    note: Option<String>,
    dispatch: &Callback<Action>,
) -> Html {
    let onclick = dispatch.reform(move |_: MouseEvent| Action::Select(Some(slot)));
    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                dispatch.emit(Action::Select(Some(slot)));
            }
        })
    };
    let latest = note.unwrap_or_else(|| "idle".to_string());
    let r = CLIENT_R;
    let class = classes!("node", "client", selected.then_some("selected"));
    html! {
        <g key={n.id.to_string()} class={class} transform={format!("translate({:.1},{:.1})", p.x, p.y)}
            tabindex="0" role="button" aria-pressed={selected.to_string()}
            data-node={n.id.to_string()} data-role={n.view.role.name} {onclick} {onkeydown}>
            <title>{format!("client {}: {latest}", n.id)}</title>
            <rect class="halo" x={(-r - 8.0).to_string()} y={(-r - 8.0).to_string()}
                width={(2.0 * r + 16.0).to_string()} height={(2.0 * r + 16.0).to_string()} rx="10" />
            <rect class="body" x={(-r).to_string()} y={(-r).to_string()}
                width={(2.0 * r).to_string()} height={(2.0 * r).to_string()} rx="6" />
            <text class="name" y="4" text-anchor="middle" aria-hidden="true">{n.id.to_string()}</text>
        </g>
    }
}

/// The islands of a split network, shaded behind the links: each group a rounded hull around
/// its nodes, hatched (not hue alone) and labelled with its size.
fn islands(groups: &[Vec<NodeId>], ids: &[NodeId], pts: &[Pt]) -> Html {
    if groups.len() < 2 {
        return html! {};
    }
    let servers: usize = groups.iter().map(Vec::len).sum();
    let pad = NODE_R + 16.0;
    groups
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let at: Vec<Pt> = g
                .iter()
                .filter_map(|id| ids.iter().position(|i| i == id).map(|i| pts[i]))
                .collect();
            let h = hull(&at);
            let shape = match h.len() {
                0 => html! {},
                1 => html! { <circle cx={h[0].x.to_string()} cy={h[0].y.to_string()} r={pad.to_string()} /> },
                _ => {
                    let points: Vec<String> = h.iter().map(|p| format!("{:.1},{:.1}", p.x, p.y)).collect();
                    html! { <polygon points={points.join(" ")} stroke-width={(2.0 * pad).to_string()} /> }
                }
            };
            let label = island_label_at(&at, pts);
            let members: Vec<String> = g.iter().map(|n| n.to_string()).collect();
            let text = island_label(g.len(), servers);
            html! {
                <g class={classes!("island", format!("island-{}", k % 3))} data-island={members.join(",")}>
                    <g class="island-shape">{shape}</g>
                    <text class="island-label" x={format!("{:.1}", label.x)} y={format!("{:.1}", label.y)}
                        text-anchor="middle">{text}</text>
                </g>
            }
        })
        .collect()
}

/// What the graph shows besides the snapshot.
pub struct GraphOpts<'a> {
    /// The network's islands (`partition::groups`): nodes are regrouped and shaded by them.
    pub groups: &'a [Vec<NodeId>],
    /// Show the time left on this timer under each node (while paused), at this virtual time.
    pub countdown: Option<(&'a str, f64)>,
    /// The protocol's word for its leadership periods (`T3`, `v3` under each node).
    pub epoch: Epoch,
    /// What a tour's caption points at.
    pub spot: Option<&'a Spot>,
}

/// The graph: SVG links and nodes, plus the canvas for motion. `note` gives a client's
/// tooltip.
pub fn view(
    snap: &Snapshot,
    selected: Option<usize>,
    note: &dyn Fn(NodeId) -> Option<String>,
    dispatch: &Callback<Action>,
    canvas_ref: &NodeRef,
    opts: &GraphOpts<'_>,
) -> Html {
    let ids: Vec<NodeId> = snap.nodes.iter().map(|n| n.id).collect();
    let pts = place_grouped(&ids, opts.groups);
    let n = ids.iter().filter(|i| !i.is_client()).count();
    let links: Html = (0..n)
        .flat_map(|a| ((a + 1)..n).map(move |b| (a, b)))
        .map(|(a, b)| {
            let spot = opts.spot.is_some_and(|s| s.has_link(ids[a], ids[b]));
            link(snap, &pts, (a, b), spot, dispatch)
        })
        .collect();
    let nodes: Html = snap
        .nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| {
            if nd.id.is_client() {
                client(nd, pts[i], i, selected == Some(i), note(nd.id), dispatch)
            } else {
                let left = opts
                    .countdown
                    .and_then(|(timer, vt)| time_left(nd, timer, vt));
                let spot = opts.spot.is_some_and(|s| s.has_node(nd.id));
                node(
                    nd,
                    pts[i],
                    (selected == Some(i), spot),
                    left,
                    opts.epoch,
                    dispatch,
                )
            }
        })
        .collect();
    let view_box = format!("0 0 {VIEW} {VIEW}");
    html! {
        <div class="graph">
            <svg class="graph-svg" viewBox={view_box} preserveAspectRatio="xMidYMid meet"
                role="group" aria-label="Cluster graph: nodes on a ring, links between them">
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
                        markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
                    </marker>
                </defs>
                <defs>
                    <pattern id="island-hatch" width="10" height="10" patternUnits="userSpaceOnUse"
                        patternTransform="rotate(45)">
                        <line x1="0" y1="0" x2="0" y2="10" class="hatch" />
                    </pattern>
                </defs>
                <g class="islands">{ islands(opts.groups, &ids, &pts) }</g>
                <g class="links">{links}</g>
                <g class="nodes">{nodes}</g>
            </svg>
            <canvas class="graph-canvas" ref={canvas_ref.clone()} aria-hidden="true"></canvas>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::{build, Control, Scenario};

    #[test]
    fn pair_states_follow_the_network() {
        let mut p = build(&Scenario::new(netsplit_core::protocols::raft::ID, 1)).unwrap();
        let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
        p.apply(Control::CutOneWay { from: a, to: b }).unwrap();
        p.apply(Control::Cut { a: b, b: c }).unwrap();
        let snap = p.snapshot();
        assert_eq!(pair_state(&snap, a, b), Pair::OnlyBtoA);
        assert_eq!(pair_state(&snap, b, a), Pair::OnlyAtoB);
        assert_eq!(pair_state(&snap, b, c), Pair::Cut);
        assert_eq!(pair_state(&snap, a, c), Pair::Up);
        p.apply(Control::Hold { from: a, to: c }).unwrap();
        assert_eq!(pair_state(&p.snapshot(), a, c), Pair::Held);
        assert!(pair_label(a, b, Pair::OnlyBtoA).contains("only n2 → n1"));
    }
}
