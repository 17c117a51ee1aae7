//! The diagram's colours ([`Palette`], shared with the canvas painter) and its export as a
//! standalone SVG document ([`svg`]): the same [`Scene`] the canvas shows, as vector shapes.

use super::scene::{Emphasis, Glyph, LaneStyle, Scene, Style};
use crate::model::look::color_hex;
use std::fmt::Write;

/// Colours of the diagram for one theme (messages take theirs from the protocol's `Look`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Dark theme (message colours differ).
    pub dark: bool,
    /// Background.
    pub bg: &'static str,
    /// Text and strong lines.
    pub ink: &'static str,
    /// Secondary text, lanes.
    pub muted: &'static str,
    /// Grid lines.
    pub grid: &'static str,
    /// Drops, crashes, violations.
    pub bad: &'static str,
    /// The now line.
    pub now: &'static str,
    /// Island shading, alternating.
    pub islands: [&'static str; 2],
    /// Highlight (hovered message, selected lane).
    pub accent: &'static str,
}

/// Light theme.
pub const LIGHT: Palette = Palette {
    dark: false,
    bg: "#ffffff",
    ink: "#1d2330",
    muted: "#5d6679",
    grid: "#e6e9f0",
    bad: "#c24f00",
    now: "#0072b2",
    islands: ["#e69f0033", "#56b4e933"],
    accent: "#0072b2",
};

/// Dark theme.
pub const DARK: Palette = Palette {
    dark: true,
    bg: "#151a24",
    ink: "#e8ecf4",
    muted: "#a3acbf",
    grid: "#273042",
    bad: "#f08a4b",
    now: "#56b4e9",
    islands: ["#e69f0038", "#56b4e938"],
    accent: "#56b4e9",
};

/// `text` safe inside SVG text and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text glyph of a tick.
pub fn glyph_text(g: Glyph) -> &'static str {
    match g {
        Glyph::Stroke => "",
        Glyph::Role => "",
        Glyph::Crash => "✗",
        Glyph::Restart => "↻",
        Glyph::Pause => "⏸",
        Glyph::Resume => "▶",
        Glyph::Mark => "◆",
        Glyph::Violation => "!",
    }
}

/// The scene as an SVG document titled `title`.
pub fn svg(scene: &Scene, pal: &Palette, title: &str) -> String {
    let v = &scene.view;
    let mut s = String::new();
    let (w, h) = (v.width.round(), v.height.round());
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="system-ui, sans-serif" font-size="11">"#
    );
    let _ = write!(s, "<title>{}</title>", escape(title));
    let _ = write!(
        s,
        r#"<defs><marker id="head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="context-stroke"/></marker><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="{}" stroke-width="1.5"/></pattern></defs>"#,
        pal.bad
    );
    let _ = write!(s, r#"<rect width="{w}" height="{h}" fill="{}"/>"#, pal.bg);
    for (y, label) in &scene.grid {
        let _ = write!(
            s,
            r#"<line x1="48" y1="{y:.1}" x2="{w}" y2="{y:.1}" stroke="{}"/><text x="44" y="{:.1}" text-anchor="end" fill="{}">{}</text>"#,
            pal.grid,
            y + 4.0,
            pal.muted,
            escape(label)
        );
    }
    for sh in &scene.shades {
        let fill = match sh.island {
            Some(i) => pal.islands[i as usize % 2].to_string(),
            None => "url(#hatch)".to_string(),
        };
        let _ = write!(
            s,
            r#"<g><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" opacity="0.9"/><text x="{:.1}" y="{:.1}" fill="{}" font-weight="700">{}</text></g>"#,
            escape(&sh.title),
            sh.x,
            sh.y,
            sh.w,
            sh.h,
            sh.x + 3.0,
            sh.y + 12.0,
            pal.muted,
            escape(&sh.tag)
        );
    }
    for lane in &scene.lanes {
        let strong = lane.selected || lane.spotted;
        for (a, b, style) in &lane.spans {
            let dash = match style {
                LaneStyle::Up => "",
                LaneStyle::Crashed => r#" stroke-dasharray="6 5""#,
                LaneStyle::Paused => r#" stroke-dasharray="2 4""#,
            };
            if lane.spotted {
                let _ = write!(
                    s,
                    r#"<rect x="{:.1}" y="{a:.1}" width="12" height="{:.1}" fill="{}" opacity="0.16"/>"#,
                    lane.x - 6.0,
                    b - a,
                    pal.accent
                );
            }
            let width = if strong { 3 } else { 1 };
            let _ = write!(
                s,
                r#"<line x1="{x:.1}" y1="{a:.1}" x2="{x:.1}" y2="{b:.1}" stroke="{}" stroke-width="{width}"{dash}/>"#,
                if strong { pal.accent } else { pal.muted },
                x = lane.x
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="16" text-anchor="middle" fill="{}" font-weight="700" font-size="12">{}</text>"#,
            lane.x, pal.ink, lane.node
        );
        if lane.spotted {
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="4" width="30" height="{:.1}" fill="none" stroke="{}" stroke-width="2"/>"#,
                lane.x - 15.0,
                super::scene::HEAD - 8.0,
                pal.accent
            );
        }
    }
    for b in &scene.bars {
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.55"/>"#,
            b.x, b.y, b.w, b.h, pal.muted
        );
        if b.drops > 0.0 {
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="url(#hatch)"/>"#,
                b.x + b.w,
                b.y,
                b.drops,
                b.h
            );
        }
    }
    for a in &scene.arrows {
        let color = color_hex(a.color, pal.dark);
        let width = match (a.highlight, a.emphasis, a.reply) {
            (true, _, _) => 3.0,
            (false, Emphasis::Spotted, _) => 2.5,
            (false, _, true) => 1.0,
            (false, _, false) => 1.6,
        };
        let pts = |points: &[(f64, f64)]| {
            points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let opacity = if a.emphasis == Emphasis::Dimmed && !a.highlight {
            r#" opacity="0.25""#
        } else {
            ""
        };
        let _ = write!(
            s,
            "<g{opacity}><title>m{} {}</title>",
            a.id.0,
            escape(a.label)
        );
        if a.emphasis == Emphasis::Spotted {
            // Outlined: a thin, half-transparent dark casing under the coloured stroke.
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-opacity="0.4" stroke-width="{}"/>"#,
                pts(&a.points),
                pal.ink,
                width + 2.0
            );
        }
        match a.style {
            Style::Open { now } => {
                let split = a
                    .points
                    .iter()
                    .position(|p| *p == now)
                    .unwrap_or(a.points.len() - 1);
                let _ = write!(
                    s,
                    r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="{width}"/>"#,
                    pts(&a.points[..=split])
                );
                if split + 1 < a.points.len() {
                    let _ = write!(
                        s,
                        r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="{width}" stroke-dasharray="4 4" marker-end="url(#head)"/>"#,
                        pts(&a.points[split..])
                    );
                }
            }
            Style::Delivered => {
                let _ = write!(
                    s,
                    r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="{width}" marker-end="url(#head)"/>"#,
                    pts(&a.points)
                );
            }
            Style::Dropped => {
                let last = a.points[a.points.len() - 1];
                let _ = write!(
                    s,
                    r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="{width}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{}" font-weight="700" font-size="13">✗</text>"#,
                    pts(&a.points),
                    last.0,
                    last.1 + 4.5,
                    pal.bad
                );
            }
        }
        if a.duplicate {
            let (x, y) = a.points[0];
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" fill="{}" font-size="9">2×</text>"#,
                x + 4.0,
                y - 3.0,
                pal.ink
            );
        }
        s.push_str("</g>");
    }
    for l in &scene.labels {
        let w = 6.5 * l.text.chars().count() as f64 + 6.0;
        let (opacity, outline, stroke_w) = match l.emphasis {
            Emphasis::Dimmed => (r#" opacity="0.3""#, color_hex(l.color, pal.dark), 1),
            Emphasis::Spotted => ("", pal.ink, 2),
            Emphasis::Plain => ("", color_hex(l.color, pal.dark), 1),
        };
        let _ = write!(
            s,
            r#"<g{opacity}><rect x="{:.1}" y="{:.1}" width="{w:.1}" height="13" fill="{}" stroke="{outline}" stroke-width="{stroke_w}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" dominant-baseline="middle" font-size="10" font-weight="600" fill="{}">{}</text></g>"#,
            l.x - w / 2.0,
            l.y - 6.5,
            pal.bg,
            l.x,
            l.y + 0.5,
            pal.ink,
            escape(l.text)
        );
    }
    for t in &scene.ticks {
        s.push_str(if t.dim { r#"<g opacity="0.3">"# } else { "<g>" });
        match t.glyph {
            Glyph::Stroke => {
                let _ = write!(
                    s,
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="{}"/>"#,
                    t.x - 4.0,
                    t.y,
                    t.x + 4.0,
                    t.y,
                    pal.muted,
                    if t.strong { 2 } else { 1 }
                );
            }
            Glyph::Role => {
                let label = t.label.as_deref().unwrap_or_default();
                let w = 7.0 * label.chars().count() as f64 + 6.0;
                let _ = write!(
                    s,
                    r#"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="13" rx="3" fill="{}" stroke="{}" stroke-width="{}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{}" font-weight="700" font-size="10">{}</text>"#,
                    t.x - w / 2.0,
                    t.y - 6.5,
                    pal.bg,
                    pal.ink,
                    if t.strong { 2.5 } else { 1.0 },
                    t.x,
                    t.y + 3.5,
                    pal.ink,
                    escape(label)
                );
            }
            g => {
                let color = if matches!(g, Glyph::Crash | Glyph::Violation) {
                    pal.bad
                } else {
                    pal.ink
                };
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{color}" font-weight="700" font-size="12">{}</text>"#,
                    t.x,
                    t.y + 4.0,
                    glyph_text(g)
                );
                if let Some(label) = &t.label {
                    let _ = write!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" fill="{}" font-size="10">{}</text>"#,
                        t.x + 8.0,
                        t.y + 3.5,
                        pal.ink,
                        escape(label)
                    );
                }
            }
        }
        s.push_str("</g>");
    }
    if let Some(y) = scene.forgotten_y {
        let _ = write!(
            s,
            r#"<line x1="48" y1="{y:.1}" x2="{w}" y2="{y:.1}" stroke="{}" stroke-dasharray="2 3"/><text x="52" y="{:.1}" fill="{}">earlier events not kept</text>"#,
            pal.muted,
            y - 6.0,
            pal.muted
        );
    }
    if let Some(y) = scene.now_y {
        let _ = write!(
            s,
            r#"<line x1="48" y1="{y:.1}" x2="{w}" y2="{y:.1}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 3"/><text x="{w}" y="{:.1}" text-anchor="end" fill="{}" font-weight="700">now</text>"#,
            pal.now,
            y - 3.0,
            pal.now
        );
    }
    if let Some(note) = &scene.note {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{}">{}</text>"#,
            w / 2.0,
            h - 8.0,
            pal.muted,
            escape(note)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::index::TraceIndex;
    use crate::model::analysis::scene::{scene, Filters, Input, Viewport};
    use netsplit_core::run::scenario::TimedAction;
    use netsplit_core::{build, Control, NodeId, Scenario, Time};

    /// Open tags minus close tags, per element name (self-closing ones count as both).
    fn balanced(svg: &str) -> bool {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let end = rest.find('>').unwrap();
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop().as_deref() != Some(name) {
                    return false;
                }
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap().to_string();
                stack.push(name);
            }
        }
        stack.is_empty()
    }

    #[test]
    fn the_export_is_well_formed_and_holds_every_shape() {
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, 2);
        s.cluster.net.loss = 0.05;
        s.cluster.net.duplicate = 0.1;
        s.actions.push(TimedAction {
            at: Time(1000),
            control: Control::Crash { node: NodeId(1) },
        });
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(2500), u64::MAX);
        let snap = pg.snapshot();
        let nodes: Vec<NodeId> = snap.nodes.iter().map(|n| n.id).collect();
        let mut ix = TraceIndex::new(snap.servers(), nodes.len() - snap.servers());
        ix.extend(pg.as_ref(), &|_| None);
        let filters = Filters::default();
        let look = netsplit_core::run::registry::Registry::builtin()
            .get(netsplit_core::protocols::raft::ID)
            .unwrap()
            .look();
        let input = Input {
            index: &ix,
            look,
            nodes: &nodes,
            filters: &filters,
            now: pg.now().0 as f64,
            hover: None,
            selected: None,
            spot: None,
        };
        let mut view = Viewport {
            width: 900.0,
            height: 1200.0,
            ..Viewport::default()
        };
        view.fit(2500.0);
        let sc = scene(&input, &view);
        for pal in [&LIGHT, &DARK] {
            let out = svg(&sc, pal, "netsplit <run> & \"more\"");
            assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(balanced(&out), "unbalanced tags");
            assert!(out.contains("<title>netsplit &lt;run&gt; &amp; &quot;more&quot;</title>"));
            assert!(out.matches("<polyline").count() >= sc.arrows.len());
            assert!(out.contains("✗"), "drops and the crash");
            assert!(out.contains("2×"), "duplicates");
            assert!(out.contains(">n1<") && out.contains(">n5<"), "lane names");
            assert!(out.contains("stroke-dasharray=\"6 5\""), "the crashed lane");
        }
        assert_eq!(escape("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
        // Unspotted, nothing is faint; a caption's highlight dims the other arrows and ticks,
        // outlines the spotted ones and boxes the spotted lane's name.
        let plain = svg(&sc, &LIGHT, "t");
        assert!(!plain.contains("opacity=\"0.25\"") && !plain.contains("opacity=\"0.3\""));
        let spot = crate::model::tour::Spot {
            nodes: vec![NodeId(0)],
            message: Some("Heartbeat".into()),
            ..Default::default()
        };
        let spotted = scene(
            &Input {
                spot: Some(&spot),
                ..input
            },
            &view,
        );
        let out = svg(&spotted, &LIGHT, "t");
        assert!(balanced(&out));
        assert!(out.contains("<g opacity=\"0.25\"><title>"), "dimmed arrows");
        assert!(
            out.contains("<g opacity=\"0.3\">"),
            "dimmed ticks of other lanes"
        );
        let casings = out
            .matches(&format!(
                "stroke=\"{}\" stroke-opacity=\"0.4\" stroke-width=\"4.5\"",
                LIGHT.ink
            ))
            .count();
        let spotted_arrows = spotted
            .arrows
            .iter()
            .filter(|a| a.emphasis == crate::model::analysis::scene::Emphasis::Spotted)
            .count();
        assert!(spotted_arrows > 0);
        assert_eq!(casings, spotted_arrows, "every spotted arrow outlined");
        assert!(
            out.contains("width=\"30\""),
            "the spotted lane's name boxed"
        );
    }
}
