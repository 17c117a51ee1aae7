//! Geometry of the cluster drawing: where nodes sit and where messages are at a given time.
//!
//! Everything is in the graph's own coordinate space (a `VIEW`×`VIEW` square); the SVG uses it as
//! its viewBox and the canvas maps it to device pixels with [`Fit`].

/// Side of the square drawing space.
pub const VIEW: f64 = 600.0;
/// Radius of a node's circle.
pub const NODE_R: f64 = 40.0;
/// Radius of the ring nodes sit on (for clusters of 2+ nodes).
pub const RING_R: f64 = 222.0;

/// A point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pt {
    /// x
    pub x: f64,
    /// y
    pub y: f64,
}

/// Node centres on a ring, node 0 at the top, clockwise.
pub fn ring(n: usize) -> Vec<Pt> {
    let c = VIEW / 2.0;
    if n == 1 {
        return vec![Pt { x: c, y: c }];
    }
    (0..n)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n as f64;
            Pt {
                x: c + RING_R * a.cos(),
                y: c + RING_R * a.sin(),
            }
        })
        .collect()
}

/// Radius of a client's badge.
pub const CLIENT_R: f64 = 20.0;

/// Where every node of a snapshot sits, in snapshot order (servers on the ring, then the
/// simulated clients in a row across the middle of the ring, talking outwards to the servers).
pub fn place(ids: &[netsplit_core::NodeId]) -> Vec<Pt> {
    let servers = ids.iter().filter(|i| !i.is_client()).count();
    let clients = ids.len() - servers;
    let mut pts = ring(servers);
    let c = VIEW / 2.0;
    let gap = 64.0;
    let width = gap * (clients.max(1) - 1) as f64;
    // With a single server the ring's one node sits in the middle: put clients below it.
    let y = if servers == 1 { c + 140.0 } else { c };
    pts.extend((0..clients).map(|k| Pt {
        x: c - width / 2.0 + gap * k as f64,
        y,
    }));
    pts
}

/// Where every node of a snapshot sits when the network is split into `groups` (see
/// `partition::groups`): the servers regrouped into islands — each group on one arc of the
/// ring, an empty slot between groups — and the clients as in [`place`]. With one group (the
/// network whole) or only single-node groups, exactly [`place`].
pub fn place_grouped(
    ids: &[netsplit_core::NodeId],
    groups: &[Vec<netsplit_core::NodeId>],
) -> Vec<Pt> {
    let mut pts = place(ids);
    let servers = ids.iter().filter(|i| !i.is_client()).count();
    let placed: usize = groups.iter().map(Vec::len).sum();
    if groups.len() < 2 || groups.iter().all(|g| g.len() == 1) || placed != servers {
        return pts;
    }
    let slots = servers + groups.len();
    let c = VIEW / 2.0;
    let mut slot = 0;
    for g in groups {
        for id in g {
            let a =
                -std::f64::consts::FRAC_PI_2 + slot as f64 * std::f64::consts::TAU / slots as f64;
            if let Some(p) = ids
                .iter()
                .position(|i| i == id)
                .and_then(|k| pts.get_mut(k))
            {
                *p = Pt {
                    x: c + RING_R * a.cos(),
                    y: c + RING_R * a.sin(),
                };
            }
            slot += 1;
        }
        slot += 1;
    }
    pts
}

/// The convex hull of `pts` (counter-clockwise in screen coordinates, no repeated first point;
/// one or two points come back as they are).
pub fn hull(pts: &[Pt]) -> Vec<Pt> {
    let mut p: Vec<Pt> = pts.to_vec();
    p.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    p.dedup_by(|a, b| (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9);
    if p.len() < 3 {
        return p;
    }
    let cross = |o: Pt, a: Pt, b: Pt| (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
    let mut lower: Vec<Pt> = Vec::new();
    for q in &p {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], *q) <= 0.0 {
            lower.pop();
        }
        lower.push(*q);
    }
    let mut upper: Vec<Pt> = Vec::new();
    for q in p.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], *q) <= 0.0 {
            upper.pop();
        }
        upper.push(*q);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// Where an island's label goes: outside the ring, beyond the middle of its nodes (turned
/// aside as little as it takes to clear every node's circle and the words under it, `all`),
/// kept inside the drawing.
pub fn island_label_at(pts: &[Pt], all: &[Pt]) -> Pt {
    let c = VIEW / 2.0;
    let n = pts.len().max(1) as f64;
    let (sx, sy) = pts.iter().fold((0.0, 0.0), |(x, y), p| (x + p.x, y + p.y));
    let (mx, my) = (sx / n, sy / n);
    let (dx, dy) = (mx - c, my - c);
    let len = (dx * dx + dy * dy).sqrt();
    let base = if len < 1e-6 {
        -std::f64::consts::FRAC_PI_2
    } else {
        dy.atan2(dx)
    };
    let r = RING_R + NODE_R + 34.0;
    let at = |turn: f64| {
        let a = base + turn.to_radians();
        Pt {
            x: (c + a.cos() * r).clamp(70.0, VIEW - 70.0),
            y: (c + a.sin() * r).clamp(14.0, VIEW - 10.0),
        }
    };
    // The label (about 140 × 20 units, centred on x, its baseline at y) against each node's
    // circle and the two lines of words under it.
    let clear = |p: Pt| {
        all.iter().all(|q| {
            let apart_x = (p.x - q.x).abs() > 70.0 + NODE_R;
            let apart_y = p.y < q.y - NODE_R - 2.0 || p.y - 18.0 > q.y + NODE_R + 48.0;
            apart_x || apart_y
        })
    };
    [0.0, 15.0, -15.0, 30.0, -30.0, 45.0, -45.0, 60.0, -60.0]
        .into_iter()
        .map(at)
        .find(|p| clear(*p))
        .unwrap_or_else(|| at(0.0))
}

/// The radius a node is drawn with.
pub fn radius(id: netsplit_core::NodeId) -> f64 {
    if id.is_client() {
        CLIENT_R
    } else {
        NODE_R
    }
}

/// [`lane`] between circles of different radii.
pub fn lane_r(a: Pt, ra: f64, b: Pt, rb: f64, offset: f64) -> (Pt, Pt) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (ux, uy) = (dx / len, dy / len);
    let (nx, ny) = (-uy, ux);
    (
        Pt {
            x: a.x + ux * ra + nx * offset,
            y: a.y + uy * ra + ny * offset,
        },
        Pt {
            x: b.x - ux * rb + nx * offset,
            y: b.y - uy * rb + ny * offset,
        },
    )
}

/// The drawable segment of the directed link `a → b`: from the edge of `a`'s circle to the
/// edge of `b`'s, shifted sideways by `offset` (to the right of the direction of travel) so the
/// two directions of a link do not overlap.
pub fn lane(a: Pt, b: Pt, offset: f64) -> (Pt, Pt) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (ux, uy) = (dx / len, dy / len);
    let (nx, ny) = (-uy, ux);
    let start = Pt {
        x: a.x + ux * NODE_R + nx * offset,
        y: a.y + uy * NODE_R + ny * offset,
    };
    let end = Pt {
        x: b.x - ux * NODE_R + nx * offset,
        y: b.y - uy * NODE_R + ny * offset,
    };
    (start, end)
}

/// How far along its flight a message is at virtual time `now` (0 at send, 1 at arrival).
pub fn progress(sent_at: f64, deliver_at: f64, now: f64) -> f64 {
    if deliver_at <= sent_at {
        return 1.0;
    }
    ((now - sent_at) / (deliver_at - sent_at)).clamp(0.0, 1.0)
}

/// Linear interpolation between two points.
pub fn lerp(a: Pt, b: Pt, f: f64) -> Pt {
    Pt {
        x: a.x + (b.x - a.x) * f,
        y: a.y + (b.y - a.y) * f,
    }
}

/// Fraction of a timer still to run at `now` (1 just armed, 0 due).
pub fn remaining(set_at: f64, fires_at: f64, now: f64) -> f64 {
    if fires_at <= set_at {
        return 0.0;
    }
    ((fires_at - now) / (fires_at - set_at)).clamp(0.0, 1.0)
}

/// Mapping of the square drawing space into a `width`×`height` box, centred, aspect kept
/// (what SVG's `preserveAspectRatio="xMidYMid meet"` does).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// Scale factor.
    pub scale: f64,
    /// Horizontal offset.
    pub dx: f64,
    /// Vertical offset.
    pub dy: f64,
}

impl Fit {
    /// Fit the view into a box.
    pub fn new(width: f64, height: f64) -> Fit {
        let scale = (width / VIEW).min(height / VIEW).max(0.0);
        Fit {
            scale,
            dx: (width - VIEW * scale) / 2.0,
            dy: (height - VIEW * scale) / 2.0,
        }
    }

    /// A view point in box coordinates.
    pub fn map(&self, p: Pt) -> Pt {
        Pt {
            x: self.dx + p.x * self.scale,
            y: self.dy + p.y * self.scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn ring_starts_at_the_top_and_is_evenly_spaced() {
        let pts = ring(4);
        assert!(close(pts[0].x, 300.0) && close(pts[0].y, 300.0 - RING_R));
        assert!(close(pts[1].x, 300.0 + RING_R) && close(pts[1].y, 300.0));
        assert_eq!(ring(1), vec![Pt { x: 300.0, y: 300.0 }]);
        for n in 2..=9 {
            let pts = ring(n);
            for i in 0..n {
                for j in (i + 1)..n {
                    let d = ((pts[i].x - pts[j].x).powi(2) + (pts[i].y - pts[j].y).powi(2)).sqrt();
                    assert!(d > 2.0 * NODE_R, "nodes {i} and {j} of {n} overlap");
                }
            }
        }
    }

    #[test]
    fn lanes_start_and_end_at_circle_edges() {
        let a = Pt { x: 0.0, y: 0.0 };
        let b = Pt { x: 100.0, y: 0.0 };
        let (s, e) = lane(a, b, 0.0);
        assert!(close(s.x, NODE_R) && close(e.x, 100.0 - NODE_R));
        // Opposite directions are offset to opposite sides.
        let (s1, _) = lane(a, b, 5.0);
        let (_, e2) = lane(b, a, 5.0);
        assert!(close(s1.y, 5.0) && close(e2.y, -5.0));
    }

    #[test]
    fn progress_and_remaining_are_clamped() {
        assert!(close(progress(100.0, 200.0, 150.0), 0.5));
        assert!(close(progress(100.0, 200.0, 50.0), 0.0));
        assert!(close(progress(100.0, 200.0, 500.0), 1.0));
        assert!(close(progress(100.0, 100.0, 100.0), 1.0));
        assert!(close(remaining(0.0, 200.0, 50.0), 0.75));
        assert!(close(remaining(0.0, 200.0, 300.0), 0.0));
    }

    #[test]
    fn islands_sit_on_arcs_of_their_own() {
        use netsplit_core::NodeId;
        let ids: Vec<NodeId> = (0..5)
            .map(NodeId::from_index)
            .chain([NodeId::client(0)])
            .collect();
        let whole = vec![(0..5).map(NodeId::from_index).collect::<Vec<_>>()];
        assert_eq!(place_grouped(&ids, &whole), place(&ids));
        let alone: Vec<Vec<NodeId>> = (0..5).map(|i| vec![NodeId::from_index(i)]).collect();
        assert_eq!(place_grouped(&ids, &alone), place(&ids));
        let split = vec![
            vec![NodeId(0), NodeId(2)],
            vec![NodeId(1), NodeId(3), NodeId(4)],
        ];
        let pts = place_grouped(&ids, &split);
        assert_eq!(pts[5], place(&ids)[5], "clients stay put");
        // n1 and n3 are neighbours now; no node of the other group sits between them.
        let d = |a: Pt, b: Pt| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        assert!(d(pts[0], pts[2]) < d(pts[0], pts[1]));
        for i in 0..5 {
            for j in (i + 1)..5 {
                assert!(d(pts[i], pts[j]) > 2.0 * NODE_R, "{i} and {j} overlap");
            }
        }
        // The worst case that is regrouped: nine servers, one pair and seven alone.
        let nine: Vec<NodeId> = (0..9).map(NodeId::from_index).collect();
        let mut g = vec![vec![NodeId(0), NodeId(1)]];
        g.extend((2..9).map(|i| vec![NodeId(i)]));
        let pts = place_grouped(&nine, &g);
        for i in 0..9 {
            for j in (i + 1)..9 {
                assert!(
                    d(pts[i], pts[j]) > 2.0 * NODE_R,
                    "{i} and {j} of nine overlap"
                );
            }
        }
    }

    #[test]
    fn hulls_and_labels() {
        let sq = [
            Pt { x: 0.0, y: 0.0 },
            Pt { x: 10.0, y: 0.0 },
            Pt { x: 10.0, y: 10.0 },
            Pt { x: 0.0, y: 10.0 },
            Pt { x: 5.0, y: 5.0 },
        ];
        let h = hull(&sq);
        assert_eq!(h.len(), 4, "the inner point is dropped: {h:?}");
        assert_eq!(hull(&sq[..2]).len(), 2);
        assert_eq!(hull(&[sq[0], sq[0]]).len(), 1);
        let top = island_label_at(&[Pt { x: 300.0, y: 78.0 }], &[Pt { x: 300.0, y: 78.0 }]);
        assert!(top.y < 78.0 && (top.x - 300.0).abs() < 1e-9, "{top:?}");
        let p = island_label_at(&[Pt { x: 600.0, y: 300.0 }], &[]);
        assert!(p.x <= VIEW - 70.0);
        // Three nodes along the bottom of the ring: straight down would sit on the words
        // under the middle one, so the label turns aside until it clears them all.
        let ring = ring(5);
        let bottom = [ring[2], ring[3], ring[4]];
        let label = island_label_at(&bottom, &ring);
        for q in &ring {
            let apart_x = (label.x - q.x).abs() > 70.0 + NODE_R;
            let apart_y = label.y < q.y - NODE_R - 2.0 || label.y - 18.0 > q.y + NODE_R + 48.0;
            assert!(apart_x || apart_y, "{label:?} on {q:?}");
        }
    }

    #[test]
    fn fit_centres_the_square() {
        let f = Fit::new(1200.0, 600.0);
        assert!(close(f.scale, 1.0) && close(f.dx, 300.0) && close(f.dy, 0.0));
        let p = f.map(Pt { x: 0.0, y: 600.0 });
        assert!(close(p.x, 300.0) && close(p.y, 600.0));
    }
}
