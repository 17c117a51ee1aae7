//! A protocol's [`Look`] (from the core registry) turned into what the page draws: Okabe–Ito
//! colours for the canvas (light and dark), glyphs and CSS classes, and the legend's lines.
//! Every colour is paired with a second channel (a shape and a label), never hue alone.

use netsplit_core::kernel::view::{Outline, Role};
use netsplit_core::run::registry::{Look, MsgColor, MsgLook, MsgShape};

/// The canvas colour of a message family, for the light or the dark theme.
pub fn color_hex(color: MsgColor, dark: bool) -> &'static str {
    match (color, dark) {
        (MsgColor::Orange, _) => "#E69F00",
        // Sky blue is too pale on white: the light theme draws the same family in Okabe–Ito
        // blue.
        (MsgColor::Sky, false) => "#0072B2",
        (MsgColor::Sky, true) => "#56B4E9",
        (MsgColor::Green, _) => "#009E73",
        (MsgColor::Vermillion, false) => "#D55E00",
        (MsgColor::Vermillion, true) => "#E88A4A",
        (MsgColor::Purple, _) => "#CC79A7",
    }
}

/// The CSS class suffix of a colour family (`msg-orange`…), for legend swatches.
pub fn color_class(color: MsgColor) -> &'static str {
    match color {
        MsgColor::Orange => "orange",
        MsgColor::Sky => "sky",
        MsgColor::Green => "green",
        MsgColor::Vermillion => "vermillion",
        MsgColor::Purple => "purple",
    }
}

/// The text glyph of a message shape (legend, tooltips).
pub fn shape_glyph(shape: MsgShape) -> &'static str {
    match shape {
        MsgShape::Circle => "●",
        MsgShape::Diamond => "◆",
        MsgShape::Square => "■",
        MsgShape::Triangle => "▲",
    }
}

/// How a message kind the protocol did not describe is drawn.
pub const UNKNOWN_MESSAGE: MsgLook = MsgLook {
    kind: "",
    label: "·",
    shape: MsgShape::Circle,
    color: MsgColor::Purple,
    meaning: "",
};

/// How message kind `kind` is drawn (a neutral dot if the protocol did not say).
pub fn message(look: &Look, kind: &str) -> MsgLook {
    look.message(kind).copied().unwrap_or(UNKNOWN_MESSAGE)
}

/// One legend line for messages: every kind drawn alike (same label, shape and colour — a
/// request and its reply, say), with their meanings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLine {
    /// The shape's glyph.
    pub glyph: &'static str,
    /// The label drawn beside it.
    pub label: &'static str,
    /// The colour family (CSS class suffix).
    pub color: &'static str,
    /// What the kinds mean, joined.
    pub meaning: String,
}

/// The legend's message lines: kinds drawn alike share a line, in the protocol's order.
pub fn message_lines(look: &Look) -> Vec<MessageLine> {
    let mut lines: Vec<(MsgLook, Vec<&'static str>)> = Vec::new();
    for m in look.messages {
        let same = |l: &MsgLook| (l.label, l.shape, l.color) == (m.label, m.shape, m.color);
        match lines.iter_mut().find(|(l, _)| same(l)) {
            Some((_, meanings)) => meanings.push(m.meaning),
            None => lines.push((*m, vec![m.meaning])),
        }
    }
    lines
        .into_iter()
        .map(|(m, meanings)| MessageLine {
            glyph: shape_glyph(m.shape),
            label: m.label,
            color: color_class(m.color),
            meaning: meanings.join(" · "),
        })
        .collect()
}

/// How a role is drawn, in words ("thick outline and a crown").
pub fn role_words(role: &Role) -> String {
    let outline = match role.outline {
        Outline::Thin => "thin outline",
        Outline::Dotted => "dotted outline",
        Outline::Dashed => "dashed outline",
        Outline::Thick => "thick outline",
        Outline::Square => "small square",
    };
    if role.leads {
        format!("{outline} and a crown")
    } else {
        outline.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::run::registry::Registry;

    #[test]
    fn every_colour_has_a_hex_per_theme_and_a_class() {
        for c in [
            MsgColor::Orange,
            MsgColor::Sky,
            MsgColor::Green,
            MsgColor::Vermillion,
            MsgColor::Purple,
        ] {
            for dark in [false, true] {
                let hex = color_hex(c, dark);
                assert!(hex.starts_with('#') && hex.len() == 7, "{hex}");
            }
            assert!(!color_class(c).is_empty());
        }
        assert_ne!(
            color_hex(MsgColor::Sky, false),
            color_hex(MsgColor::Sky, true)
        );
    }

    #[test]
    fn every_protocol_message_is_in_its_legend_and_drawn_with_a_label() {
        for p in Registry::builtin().iter() {
            let look = p.look();
            let lines = message_lines(look);
            for m in look.messages {
                assert_ne!(
                    message(look, m.kind).label,
                    UNKNOWN_MESSAGE.label,
                    "{}",
                    m.kind
                );
                assert!(
                    lines
                        .iter()
                        .any(|l| l.label == m.label && l.meaning.contains(m.meaning)),
                    "{}: {} missing from the legend",
                    p.id(),
                    m.kind
                );
            }
            assert!(lines.len() <= look.messages.len());
        }
        let look = Registry::builtin().default_protocol().unwrap().look();
        assert_eq!(message(look, "NoSuchKind"), UNKNOWN_MESSAGE);
    }

    #[test]
    fn roles_read_as_outlines_and_crowns() {
        let lead = Role {
            name: "boss",
            outline: Outline::Thick,
            leads: true,
            counter: None,
        };
        assert_eq!(role_words(&lead), "thick outline and a crown");
        assert_eq!(role_words(&Role::CLIENT), "small square");
    }
}
