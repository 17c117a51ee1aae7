//! Paints a space-time diagram [`Scene`] on a canvas (scene → canvas). Everything that decides
//! what is drawn where is in `model::analysis::scene`; this only strokes it. The canvas is
//! repainted only when the scene's inputs change (see `components::analysis::diagram`).

use crate::model::analysis::scene::{Emphasis, Glyph, LaneStyle, Scene, Style, GUTTER, HEAD};
use crate::model::analysis::svg::{glyph_text, Palette};
use crate::model::look::color_hex;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The 2D context of `canvas`, its backing store sized to its CSS size × `dpr`.
pub fn context(
    canvas: &HtmlCanvasElement,
    dpr: f64,
) -> Option<(CanvasRenderingContext2d, f64, f64)> {
    let (w, h) = (
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    );
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    let ctx = canvas
        .get_context("2d")
        .ok()??
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()?;
    Some((ctx, w, h))
}

fn dash(ctx: &CanvasRenderingContext2d, pattern: &[f64]) {
    let arr = js_sys::Array::new();
    for p in pattern {
        arr.push(&(*p).into());
    }
    ctx.set_line_dash(&arr).ok();
}

fn polyline(ctx: &CanvasRenderingContext2d, points: &[(f64, f64)]) {
    ctx.begin_path();
    for (i, (x, y)) in points.iter().enumerate() {
        if i == 0 {
            ctx.move_to(*x, *y);
        } else {
            ctx.line_to(*x, *y);
        }
    }
    ctx.stroke();
}

fn head(ctx: &CanvasRenderingContext2d, from: (f64, f64), to: (f64, f64), size: f64) {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 0.5 {
        return;
    }
    let (ux, uy) = (dx / len, dy / len);
    ctx.begin_path();
    ctx.move_to(to.0, to.1);
    ctx.line_to(
        to.0 - ux * size - uy * size * 0.5,
        to.1 - uy * size + ux * size * 0.5,
    );
    ctx.line_to(
        to.0 - ux * size + uy * size * 0.5,
        to.1 - uy * size - ux * size * 0.5,
    );
    ctx.close_path();
    ctx.fill();
}

/// Paint `scene` with `pal` on `ctx` (CSS pixel units; `dpr` device pixels per unit).
pub fn paint(ctx: &CanvasRenderingContext2d, scene: &Scene, pal: &Palette, dpr: f64) {
    let v = &scene.view;
    let (w, h) = (v.width, v.height);
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0).ok();
    ctx.set_fill_style_str(pal.bg);
    ctx.fill_rect(0.0, 0.0, w, h);
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_baseline("middle");

    // Grid.
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(pal.grid);
    ctx.set_fill_style_str(pal.muted);
    ctx.set_text_align("right");
    for (y, label) in &scene.grid {
        ctx.begin_path();
        ctx.move_to(GUTTER - 4.0, y.round() + 0.5);
        ctx.line_to(w, y.round() + 0.5);
        ctx.stroke();
        ctx.fill_text(label, GUTTER - 6.0, *y).ok();
    }

    // Network trouble.
    ctx.set_text_align("left");
    for sh in &scene.shades {
        match sh.island {
            Some(i) => {
                ctx.set_fill_style_str(pal.islands[i as usize % 2]);
                ctx.fill_rect(sh.x, sh.y, sh.w, sh.h);
            }
            None => {
                // Hatched: diagonal strokes clipped to the band.
                ctx.save();
                ctx.begin_path();
                ctx.rect(sh.x, sh.y, sh.w, sh.h);
                ctx.clip();
                ctx.set_stroke_style_str(pal.bad);
                ctx.set_global_alpha(0.35);
                ctx.begin_path();
                let mut k = -sh.h;
                while k < sh.w {
                    ctx.move_to(sh.x + k, sh.y + sh.h);
                    ctx.line_to(sh.x + k + sh.h.min(4000.0), sh.y + sh.h - sh.h.min(4000.0));
                    k += 7.0;
                }
                ctx.stroke();
                ctx.restore();
            }
        }
        if sh.y + 12.0 < h {
            ctx.set_fill_style_str(pal.muted);
            ctx.set_font("700 11px system-ui, sans-serif");
            ctx.fill_text(&sh.tag, sh.x + 3.0, sh.y.max(HEAD) + 9.0)
                .ok();
            ctx.set_font("11px system-ui, sans-serif");
        }
    }

    // Lanes (a tour caption's spotted lanes: a band behind, a thick line).
    for lane in &scene.lanes {
        if lane.spotted {
            ctx.set_fill_style_str(pal.accent);
            ctx.set_global_alpha(0.16);
            for (a, b, _) in &lane.spans {
                ctx.fill_rect(lane.x - 6.0, *a, 12.0, b - a);
            }
            ctx.set_global_alpha(1.0);
        }
        ctx.set_stroke_style_str(if lane.selected || lane.spotted {
            pal.accent
        } else {
            pal.muted
        });
        ctx.set_line_width(if lane.selected || lane.spotted {
            3.0
        } else {
            1.0
        });
        for (a, b, style) in &lane.spans {
            match style {
                LaneStyle::Up => dash(ctx, &[]),
                LaneStyle::Crashed => dash(ctx, &[6.0, 5.0]),
                LaneStyle::Paused => dash(ctx, &[2.0, 4.0]),
            }
            ctx.begin_path();
            ctx.move_to(lane.x.round() + 0.5, *a);
            ctx.line_to(lane.x.round() + 0.5, *b);
            ctx.stroke();
        }
    }
    dash(ctx, &[]);

    // Density bars.
    for b in &scene.bars {
        ctx.set_fill_style_str(pal.muted);
        ctx.set_global_alpha(0.55);
        ctx.fill_rect(b.x, b.y, b.w, b.h);
        ctx.set_global_alpha(1.0);
        if b.drops > 0.0 {
            ctx.set_fill_style_str(pal.bad);
            ctx.fill_rect(b.x + b.w, b.y, b.drops, b.h);
        }
    }

    // Messages.
    for a in &scene.arrows {
        let color = color_hex(a.color, pal.dark);
        ctx.set_stroke_style_str(color);
        ctx.set_fill_style_str(color);
        let width = match (a.highlight, a.emphasis, a.reply) {
            (true, _, _) => 3.5,
            (false, Emphasis::Spotted, _) => 2.5,
            (false, _, true) => 1.0,
            (false, _, false) => 1.6,
        };
        ctx.set_global_alpha(if a.emphasis == Emphasis::Dimmed && !a.highlight {
            0.25
        } else {
            1.0
        });
        if a.emphasis == Emphasis::Spotted {
            // Outlined: a thin, half-transparent dark casing under the coloured stroke.
            ctx.save();
            ctx.set_stroke_style_str(pal.ink);
            ctx.set_global_alpha(0.4);
            ctx.set_line_width(width + 2.0);
            polyline(ctx, &a.points);
            ctx.restore();
        }
        ctx.set_line_width(width);
        if a.highlight {
            ctx.save();
            ctx.set_stroke_style_str(pal.accent);
            ctx.set_global_alpha(0.35);
            ctx.set_line_width(9.0);
            polyline(ctx, &a.points);
            ctx.restore();
        }
        let n = a.points.len();
        match a.style {
            Style::Delivered => {
                polyline(ctx, &a.points);
                head(ctx, a.points[n - 2], a.points[n - 1], 7.0);
            }
            Style::Dropped => {
                polyline(ctx, &a.points);
                let (x, y) = a.points[n - 1];
                ctx.set_stroke_style_str(pal.bad);
                ctx.set_line_width(2.0);
                ctx.begin_path();
                ctx.move_to(x - 4.0, y - 4.0);
                ctx.line_to(x + 4.0, y + 4.0);
                ctx.move_to(x + 4.0, y - 4.0);
                ctx.line_to(x - 4.0, y + 4.0);
                ctx.stroke();
            }
            Style::Open { now } => {
                let split = a.points.iter().position(|p| *p == now).unwrap_or(n - 1);
                polyline(ctx, &a.points[..=split]);
                if split + 1 < n {
                    dash(ctx, &[4.0, 4.0]);
                    polyline(ctx, &a.points[split..]);
                    dash(ctx, &[]);
                    head(ctx, a.points[n - 2], a.points[n - 1], 6.0);
                }
                ctx.begin_path();
                ctx.arc(now.0, now.1, 3.0, 0.0, std::f64::consts::TAU).ok();
                ctx.fill();
            }
        }
        if a.duplicate {
            // Doubled: a second thin stroke beside the first leg, and "2×".
            let (p, q) = (a.points[0], a.points[1]);
            ctx.set_line_width(1.0);
            ctx.set_stroke_style_str(color);
            polyline(ctx, &[(p.0, p.1 + 3.0), (q.0, q.1 + 3.0)]);
            ctx.set_fill_style_str(pal.ink);
            ctx.set_font("9px system-ui, sans-serif");
            ctx.fill_text("2×", p.0 + 4.0, p.1 - 5.0).ok();
            ctx.set_font("11px system-ui, sans-serif");
        }
    }
    ctx.set_global_alpha(1.0);

    // Kind labels on the arrows: a small box outlined in the arrow's colour.
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    ctx.set_font("600 10px system-ui, sans-serif");
    ctx.set_line_width(1.0);
    for l in &scene.labels {
        let w = 6.5 * l.text.chars().count() as f64 + 6.0;
        ctx.set_global_alpha(if l.emphasis == Emphasis::Dimmed {
            0.3
        } else {
            1.0
        });
        ctx.set_fill_style_str(pal.bg);
        ctx.fill_rect(l.x - w / 2.0, l.y - 6.5, w, 13.0);
        if l.emphasis == Emphasis::Spotted {
            ctx.set_stroke_style_str(pal.ink);
            ctx.set_line_width(2.0);
        } else {
            ctx.set_stroke_style_str(color_hex(l.color, pal.dark));
            ctx.set_line_width(1.0);
        }
        ctx.stroke_rect(l.x - w / 2.0, l.y - 6.5, w, 13.0);
        ctx.set_fill_style_str(pal.ink);
        ctx.fill_text(l.text, l.x, l.y + 0.5).ok();
    }
    ctx.set_global_alpha(1.0);
    ctx.set_font("11px system-ui, sans-serif");

    // Local events.
    ctx.set_text_align("center");
    for t in &scene.ticks {
        ctx.set_global_alpha(if t.dim { 0.3 } else { 1.0 });
        match t.glyph {
            Glyph::Stroke => {
                ctx.set_stroke_style_str(if t.strong { pal.ink } else { pal.muted });
                ctx.set_line_width(if t.strong { 2.0 } else { 1.0 });
                ctx.begin_path();
                ctx.move_to(t.x - 4.0, t.y);
                ctx.line_to(t.x + 4.0, t.y);
                ctx.stroke();
                if let Some(l) = &t.label {
                    ctx.set_fill_style_str(pal.ink);
                    ctx.fill_text(l, t.x + 12.0, t.y).ok();
                }
            }
            Glyph::Role => {
                let label = t.label.as_deref().unwrap_or_default();
                let bw = 7.0 * label.chars().count() as f64 + 6.0;
                ctx.set_fill_style_str(pal.bg);
                ctx.set_stroke_style_str(pal.ink);
                ctx.set_line_width(if t.strong { 2.5 } else { 1.0 });
                ctx.begin_path();
                ctx.rect(t.x - bw / 2.0, t.y - 6.5, bw, 13.0);
                ctx.fill();
                ctx.stroke();
                ctx.set_fill_style_str(pal.ink);
                ctx.set_font("700 10px system-ui, sans-serif");
                ctx.fill_text(label, t.x, t.y + 0.5).ok();
                ctx.set_font("11px system-ui, sans-serif");
            }
            g => {
                let bad = matches!(g, Glyph::Crash | Glyph::Violation);
                ctx.set_fill_style_str(if bad { pal.bad } else { pal.ink });
                ctx.set_font("700 12px system-ui, sans-serif");
                ctx.fill_text(glyph_text(g), t.x, t.y).ok();
                ctx.set_font("11px system-ui, sans-serif");
                if let Some(l) = &t.label {
                    ctx.set_text_align("left");
                    ctx.set_fill_style_str(pal.ink);
                    ctx.fill_text(l, t.x + 8.0, t.y).ok();
                    ctx.set_text_align("center");
                }
            }
        }
    }

    ctx.set_global_alpha(1.0);

    // History the page no longer keeps.
    if let Some(y) = scene.forgotten_y {
        ctx.set_fill_style_str(pal.grid);
        ctx.set_global_alpha(0.35);
        ctx.fill_rect(GUTTER, HEAD, w - GUTTER, y - HEAD);
        ctx.set_global_alpha(1.0);
        ctx.set_stroke_style_str(pal.muted);
        ctx.set_line_width(1.0);
        dash(ctx, &[2.0, 3.0]);
        ctx.begin_path();
        ctx.move_to(GUTTER, y);
        ctx.line_to(w, y);
        ctx.stroke();
        dash(ctx, &[]);
        ctx.set_fill_style_str(pal.muted);
        ctx.set_text_align("left");
        ctx.fill_text(
            "earlier events not kept: seek there to replay them",
            GUTTER + 4.0,
            y - 6.0,
        )
        .ok();
        ctx.set_text_align("center");
    }

    // Now.
    if let Some(y) = scene.now_y {
        ctx.set_stroke_style_str(pal.now);
        ctx.set_line_width(1.5);
        dash(ctx, &[6.0, 3.0]);
        ctx.begin_path();
        ctx.move_to(GUTTER - 4.0, y);
        ctx.line_to(w, y);
        ctx.stroke();
        dash(ctx, &[]);
        ctx.set_fill_style_str(pal.now);
        ctx.set_text_align("right");
        ctx.set_font("700 11px system-ui, sans-serif");
        ctx.fill_text("now", w - 4.0, y - 7.0).ok();
        ctx.set_font("11px system-ui, sans-serif");
    }

    // The header with lane names stays on top.
    ctx.set_fill_style_str(pal.bg);
    ctx.fill_rect(0.0, 0.0, w, HEAD);
    ctx.set_stroke_style_str(pal.grid);
    ctx.set_line_width(1.0);
    ctx.begin_path();
    ctx.move_to(0.0, HEAD - 0.5);
    ctx.line_to(w, HEAD - 0.5);
    ctx.stroke();
    ctx.set_text_align("center");
    ctx.set_font("700 12px system-ui, sans-serif");
    for lane in &scene.lanes {
        ctx.set_fill_style_str(if lane.selected { pal.accent } else { pal.ink });
        ctx.fill_text(&lane.node.to_string(), lane.x, HEAD / 2.0)
            .ok();
        if lane.spotted {
            // A tour caption points here: the name boxed.
            ctx.set_stroke_style_str(pal.accent);
            ctx.set_line_width(2.0);
            ctx.stroke_rect(lane.x - 15.0, 4.0, 30.0, HEAD - 8.0);
        }
    }
    if let Some(note) = &scene.note {
        ctx.set_font("12px system-ui, sans-serif");
        ctx.set_fill_style_str(pal.muted);
        ctx.set_text_align("center");
        let bw = 7.0 * note.chars().count() as f64;
        ctx.set_fill_style_str(pal.bg);
        ctx.fill_rect(w / 2.0 - bw / 2.0, h - 22.0, bw, 18.0);
        ctx.set_fill_style_str(pal.muted);
        ctx.fill_text(note, w / 2.0, h - 13.0).ok();
    }
}
