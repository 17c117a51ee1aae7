//! The per-frame layer: in-flight messages, timer arcs and fading drop marks, painted on a
//! `<canvas>` over the SVG graph. How each message kind looks (label, shape, colour family) and
//! which timer the arc shows come from the protocol's `Look`. Nothing here touches Yew; nothing
//! in the SVG changes per frame.

use crate::model::layout::{
    lane_r, lerp, place_grouped, progress, radius, remaining, Fit, Pt, NODE_R,
};
use crate::model::look::{color_hex, message};
use crate::model::state::{DropMark, DROP_FADE_MS};
use netsplit_core::kernel::view::{Flight, MsgView, NodeStatus, Snapshot};
use netsplit_core::run::registry::{Look, MsgShape};
use netsplit_core::NodeId;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Sideways offset of a message lane from the link's centre line.
const LANE_OFFSET: f64 = 7.0;

/// Colours of the marks for light and dark themes (messages take theirs from the `Look`).
struct Palette {
    dark: bool,
    ink: &'static str,
    muted: &'static str,
    bad: &'static str,
}

const LIGHT: Palette = Palette {
    dark: false,
    ink: "#1d2330",
    muted: "#8a93a6",
    bad: "#D55E00",
};

const DARK: Palette = Palette {
    dark: true,
    ink: "#e8ecf4",
    muted: "#7d869a",
    bad: "#E88A4A",
};

/// What one frame shows.
pub struct Frame<'a> {
    /// The instant (nodes, timers, messages in flight).
    pub snap: &'a Snapshot,
    /// How the protocol is drawn.
    pub look: &'a Look,
    /// Virtual time on screen (fractional ms).
    pub vt: f64,
    /// Recent drops.
    pub drops: &'a [DropMark],
    /// Wall time of the frame (ms).
    pub wall: f64,
    /// The network's islands (nodes sit where the SVG draws them).
    pub groups: &'a [Vec<NodeId>],
    /// The message to ring (hovered on the space-time diagram or in the log).
    pub highlight: Option<netsplit_core::MsgId>,
    /// Messages of this kind get a dashed ring (a tour's caption points at them).
    pub spot_kind: Option<&'a str>,
}

/// Paints one frame; remembers the canvas size and user preferences between frames.
#[derive(Default)]
pub struct CanvasPainter {
    ctx: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
    /// Text labels rendered once into small canvases (drawing an image is much cheaper than
    /// shaping text every frame), by (text, colour), each with its width in drawing units;
    /// cleared when the device pixel ratio changes.
    sprites: std::collections::BTreeMap<(&'static str, &'static str), (HtmlCanvasElement, f64)>,
    size: (u32, u32),
    dpr: f64,
    dark: bool,
    reduced_motion: bool,
    checked_prefs_at: f64,
    /// The message hovered on the space-time diagram (ringed).
    highlight: Option<netsplit_core::MsgId>,
    /// The message kind a tour points at (dashed rings).
    spot_kind: Option<String>,
}

fn media(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Height of a label sprite, in drawing units (its width fits its text).
const SPRITE: f64 = 22.0;

/// The labels' font (drawing units: the graph's 600-unit square).
const LABEL_FONT: &str = "600 12.5px system-ui, sans-serif";

impl CanvasPainter {
    /// Draw `text` centred at `(x, y)` in `color`, from the sprite cache.
    fn label(
        &mut self,
        ctx: &CanvasRenderingContext2d,
        text: &'static str,
        color: &'static str,
        x: f64,
        y: f64,
    ) {
        let scale = self.dpr.max(1.0) * 2.0;
        let sprite = match self.sprites.entry((text, color)) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                match make_sprite(text, color, scale) {
                    Some(sprite) => e.insert(sprite),
                    None => {
                        ctx.fill_text(text, x, y).ok();
                        return;
                    }
                }
            }
        };
        let (sprite, width) = (&sprite.0, sprite.1);
        ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            sprite,
            x - width / 2.0,
            y - SPRITE / 2.0,
            width,
            SPRITE,
        )
        .ok();
    }

    fn prepare(&mut self, canvas: &HtmlCanvasElement, wall: f64) {
        if wall - self.checked_prefs_at > 1000.0 || self.dpr == 0.0 {
            self.checked_prefs_at = wall;
            self.dark = media("(prefers-color-scheme: dark)");
            self.reduced_motion = media("(prefers-reduced-motion: reduce)");
        }
        let dpr = web_sys::window()
            .map_or(1.0, |w| w.device_pixel_ratio())
            .max(1.0);
        let w = (f64::from(canvas.client_width()) * dpr).round() as u32;
        let h = (f64::from(canvas.client_height()) * dpr).round() as u32;
        if dpr != self.dpr {
            self.sprites.clear();
        }
        if (w, h) != self.size || dpr != self.dpr {
            canvas.set_width(w);
            canvas.set_height(h);
            self.size = (w, h);
            self.dpr = dpr;
        }
    }

    /// Paint the frame for virtual time `vt`, drawing messages and timer arcs as `look` says.
    pub fn paint(&mut self, canvas: &HtmlCanvasElement, frame: Frame<'_>) {
        let Frame {
            snap,
            look,
            vt,
            drops,
            wall,
            groups,
            highlight,
            spot_kind,
        } = frame;
        self.highlight = highlight;
        if self.spot_kind.as_deref() != spot_kind {
            self.spot_kind = spot_kind.map(str::to_string);
        }
        self.prepare(canvas, wall);
        let fresh = !matches!(&self.ctx, Some((c, _)) if c == canvas);
        if fresh {
            self.ctx = canvas
                .get_context("2d")
                .ok()
                .flatten()
                .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
                .map(|ctx| (canvas.clone(), ctx));
        }
        let Some((_, ctx)) = &self.ctx else {
            return;
        };
        let ctx = ctx.clone();
        let (w, h) = self.size;
        ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0).ok();
        ctx.clear_rect(0.0, 0.0, f64::from(w), f64::from(h));
        let fit = Fit::new(f64::from(w) / self.dpr, f64::from(h) / self.dpr);
        let k = fit.scale * self.dpr;
        ctx.set_transform(k, 0.0, 0.0, k, fit.dx * self.dpr, fit.dy * self.dpr)
            .ok();
        let pal = if self.dark { &DARK } else { &LIGHT };
        let ids: Vec<NodeId> = snap.nodes.iter().map(|n| n.id).collect();
        let pts = Spots {
            pts: place_grouped(&ids, groups),
            servers: ids.iter().filter(|i| !i.is_client()).count(),
        };
        if let Some(arc) = look.timer_arc {
            paint_timers(&ctx, snap, arc, &pts, vt, pal);
        }
        ctx.set_font(LABEL_FONT);
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        for m in &snap.in_flight {
            self.paint_message(&ctx, m, look, &pts, vt, pal);
        }
        for d in drops {
            paint_drop(&ctx, d, &pts, wall, pal);
        }
    }

    fn paint_message(
        &mut self,
        ctx: &CanvasRenderingContext2d,
        m: &MsgView,
        look: &Look,
        pts: &Spots,
        vt: f64,
        pal: &Palette,
    ) {
        let highlight = self.highlight == Some(m.id);
        let (Some((a, ra)), Some((b, rb))) = (pts.at(m.from), pts.at(m.to)) else {
            return;
        };
        let (start, end) = lane_r(a, ra, b, rb, LANE_OFFSET);
        let mut f = match m.flight {
            Flight::Waiting => 1.0,
            Flight::Flying => progress(m.sent_at.0 as f64, m.deliver_at.0 as f64, vt),
        };
        if self.reduced_motion {
            // No motion: the message sits at one end, then the other.
            f = if f < 0.5 { 0.0 } else { 1.0 };
        }
        let p = lerp(start, end, f);
        if highlight {
            // Linked from the space-time diagram: a ring around the message.
            ctx.set_stroke_style_str(pal.ink);
            ctx.set_line_width(2.5);
            ctx.begin_path();
            ctx.arc(p.x, p.y, 14.0, 0.0, std::f64::consts::TAU).ok();
            ctx.stroke();
        }
        if self.spot_kind.as_deref() == Some(m.kind) {
            // Pointed at by a tour's caption: a dashed ring (shape, not hue alone).
            ctx.set_stroke_style_str(pal.ink);
            ctx.set_line_width(2.0);
            let dash = js_sys::Array::of2(&4.0.into(), &3.0.into());
            ctx.set_line_dash(&dash).ok();
            ctx.begin_path();
            ctx.arc(p.x, p.y, 16.0, 0.0, std::f64::consts::TAU).ok();
            ctx.stroke();
            ctx.set_line_dash(&js_sys::Array::new()).ok();
        }
        let drawn = message(look, m.kind);
        let color = color_hex(drawn.color, pal.dark);
        ctx.set_global_alpha(if m.doomed { 0.35 } else { 1.0 });
        let r = 7.0;
        ctx.begin_path();
        match drawn.shape {
            MsgShape::Square => ctx.rect(p.x - r, p.y - r, 2.0 * r, 2.0 * r),
            MsgShape::Diamond => {
                ctx.move_to(p.x, p.y - r * 1.25);
                ctx.line_to(p.x + r * 1.25, p.y);
                ctx.line_to(p.x, p.y + r * 1.25);
                ctx.line_to(p.x - r * 1.25, p.y);
                ctx.close_path();
            }
            MsgShape::Triangle => {
                ctx.move_to(p.x, p.y - r * 1.2);
                ctx.line_to(p.x + r * 1.1, p.y + r * 0.8);
                ctx.line_to(p.x - r * 1.1, p.y + r * 0.8);
                ctx.close_path();
            }
            MsgShape::Circle => {
                ctx.arc(p.x, p.y, r, 0.0, std::f64::consts::TAU).ok();
            }
        }
        if m.is_reply {
            // Replies are hollow, with a tick or a cross.
            ctx.set_fill_style_str(if self.dark { "#151a24" } else { "#ffffff" });
            ctx.fill();
            ctx.set_line_width(2.5);
            ctx.set_stroke_style_str(color);
            ctx.stroke();
            if let Some(ok) = m.outcome {
                let (mark, color) = if ok {
                    ("✓", pal.ink)
                } else {
                    ("✗", pal.bad)
                };
                self.label(ctx, mark, color, p.x, p.y + 0.5);
            }
        } else {
            ctx.set_fill_style_str(color);
            ctx.fill();
        }
        ctx.set_fill_style_str(pal.ink);
        self.label(ctx, drawn.label, pal.ink, p.x, p.y - 15.0);
        if m.doomed {
            ctx.set_fill_style_str(pal.bad);
            self.label(ctx, "×", pal.bad, p.x + 11.0, p.y + 9.0);
        }
        if m.flight == Flight::Waiting {
            // Two bars (drawn, not a font glyph that may be missing).
            ctx.set_fill_style_str(pal.ink);
            ctx.fill_rect(p.x + 8.0, p.y + 5.0, 2.5, 9.0);
            ctx.fill_rect(p.x + 13.0, p.y + 5.0, 2.5, 9.0);
        }
        ctx.set_global_alpha(1.0);
    }
}

/// Render `text` once into a small canvas at `scale` device pixels per drawing unit, as wide
/// as the text (at least [`SPRITE`]); with that width in drawing units.
fn make_sprite(text: &str, color: &str, scale: f64) -> Option<(HtmlCanvasElement, f64)> {
    let canvas: HtmlCanvasElement = web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.set_font(LABEL_FONT);
    let width = (ctx.measure_text(text).ok()?.width() + 6.0)
        .ceil()
        .max(SPRITE);
    // Resizing a canvas resets its context: set everything again.
    canvas.set_width((width * scale).ceil() as u32);
    canvas.set_height((SPRITE * scale).ceil() as u32);
    ctx.scale(scale, scale).ok()?;
    ctx.set_font(LABEL_FONT);
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    ctx.set_fill_style_str(color);
    ctx.fill_text(text, width / 2.0, SPRITE / 2.0).ok()?;
    Some((canvas, width))
}

/// Node positions for one frame.
struct Spots {
    pts: Vec<Pt>,
    servers: usize,
}

impl Spots {
    /// Centre and radius of node `id`.
    fn at(&self, id: NodeId) -> Option<(Pt, f64)> {
        self.pts
            .get(id.slot(self.servers))
            .map(|p| (*p, radius(id)))
    }
}

/// The draining arc of timer `arc` around every running node that has it armed.
fn paint_timers(
    ctx: &CanvasRenderingContext2d,
    snap: &Snapshot,
    arc: &str,
    pts: &Spots,
    vt: f64,
    pal: &Palette,
) {
    ctx.set_line_width(4.0);
    ctx.set_line_cap("round");
    for n in &snap.nodes {
        if n.status != NodeStatus::Up {
            continue;
        }
        let Some(timer) = n.timers.iter().find(|t| t.name == arc) else {
            continue;
        };
        let left = remaining(timer.set_at.0 as f64, timer.fires_at.0 as f64, vt);
        let Some((p, _)) = pts.at(n.id) else {
            continue;
        };
        let start = -std::f64::consts::FRAC_PI_2;
        ctx.set_stroke_style_str(pal.muted);
        ctx.begin_path();
        ctx.arc(
            p.x,
            p.y,
            NODE_R + 8.0,
            start,
            start + left * std::f64::consts::TAU,
        )
        .ok();
        ctx.stroke();
    }
    ctx.set_line_cap("butt");
}

fn paint_drop(ctx: &CanvasRenderingContext2d, d: &DropMark, pts: &Spots, wall: f64, pal: &Palette) {
    let (Some((a, ra)), Some((b, rb))) = (pts.at(d.from), pts.at(d.to)) else {
        return;
    };
    let (start, end) = lane_r(a, ra, b, rb, LANE_OFFSET);
    let p = lerp(start, end, if d.at_send { 0.12 } else { 0.88 });
    let age = ((wall - d.wall) / DROP_FADE_MS).clamp(0.0, 1.0);
    ctx.set_global_alpha(1.0 - age);
    ctx.set_stroke_style_str(pal.bad);
    ctx.set_line_width(2.5);
    let s = 5.0;
    ctx.begin_path();
    ctx.move_to(p.x - s, p.y - s);
    ctx.line_to(p.x + s, p.y + s);
    ctx.move_to(p.x + s, p.y - s);
    ctx.line_to(p.x - s, p.y + s);
    ctx.stroke();
    ctx.set_global_alpha(1.0);
}
