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
    fn fit_centres_the_square() {
        let f = Fit::new(1200.0, 600.0);
        assert!(close(f.scale, 1.0) && close(f.dx, 300.0) && close(f.dy, 0.0));
        let p = f.map(Pt { x: 0.0, y: 600.0 });
        assert!(close(p.x, 300.0) && close(p.y, 600.0));
    }
}
