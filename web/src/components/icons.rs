//! Icons as inline SVG, never font glyphs: a glyph like ⏸ or ⛔ is an empty box where the
//! font lacks it. Each icon is a few paths on a 16×16 grid in `currentColor`; [`icon`] wraps
//! one for HTML (1 em square, hidden from screen readers — the text next to it says the same),
//! [`glyph`] places one inside an SVG drawing.

use yew::prelude::*;

/// The icons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    /// Two bars: paused, held.
    Pause,
    /// A circle with a bar: blocked.
    Blocked,
    /// Scissors: a cut link.
    Cut,
    /// A crown: the leader.
    Crown,
    /// An ×: crashed, dropped.
    Cross,
    /// A clock face: a timer.
    Clock,
    /// A curved arrow back: return to an earlier session.
    Back,
    /// A screen on a stand: presentation mode.
    Present,
    /// A triangle pointing right: play.
    Play,
    /// A caret pointing down (open) — rotated by CSS when closed.
    Caret,
    /// A pencil: a client's command.
    Pen,
}

/// The icon drawn for a text glyph of the model (timeline marks), if there is one; other
/// glyphs (↻ ↔ ≈ × ↓) are drawn as text, every font has them.
pub fn for_glyph(glyph: &str) -> Option<Icon> {
    Some(match glyph {
        "✕" => Icon::Cross,
        "‖" => Icon::Pause,
        "▷" => Icon::Play,
        "◷" => Icon::Clock,
        "✂" => Icon::Cut,
        "✎" => Icon::Pen,
        _ => return None,
    })
}

fn paths(icon: Icon) -> Html {
    match icon {
        Icon::Pause => html! {
            <>
                <rect x="3.5" y="2.5" width="3" height="11" rx="0.8" class="fill" />
                <rect x="9.5" y="2.5" width="3" height="11" rx="0.8" class="fill" />
            </>
        },
        Icon::Blocked => html! {
            <>
                <circle cx="8" cy="8" r="6.5" class="stroke" />
                <rect x="3.5" y="6.6" width="9" height="2.8" rx="0.6" class="fill" />
            </>
        },
        Icon::Cut => html! {
            <>
                <circle cx="4" cy="12" r="2.3" class="stroke" />
                <circle cx="12" cy="12" r="2.3" class="stroke" />
                <path d="M5.6 10.4 L12.5 2 M10.4 10.4 L3.5 2" class="stroke" />
            </>
        },
        Icon::Crown => html! {
            <path d="M1.5 12.5 L1.5 4.5 L5 8 L8 2.5 L11 8 L14.5 4.5 L14.5 12.5 Z" class="fill" />
        },
        Icon::Cross => html! {
            <path d="M3.5 3.5 L12.5 12.5 M12.5 3.5 L3.5 12.5" class="stroke thick" />
        },
        Icon::Clock => html! {
            <>
                <circle cx="8" cy="8" r="6.3" class="stroke" />
                <path d="M8 4 L8 8 L11 9.8" class="stroke" />
            </>
        },
        Icon::Back => html! {
            <>
                <path d="M6 3 L2.5 6.5 L6 10" class="stroke" />
                <path d="M2.8 6.5 L9.5 6.5 A4 4 0 0 1 9.5 14.5 L6 14.5" class="stroke" />
            </>
        },
        Icon::Present => html! {
            <>
                <rect x="1.5" y="2" width="13" height="9" rx="1" class="stroke" />
                <path d="M8 11 L8 14 M5 14.5 L11 14.5" class="stroke" />
            </>
        },
        Icon::Play => html! { <path d="M4 2.5 L13 8 L4 13.5 Z" class="fill" /> },
        Icon::Caret => html! { <path d="M3 5.5 L8 10.5 L13 5.5" class="stroke thick" /> },
        Icon::Pen => html! {
            <>
                <path d="M3 13 L3.8 9.8 L11 2.6 L13.4 5 L6.2 12.2 Z" class="stroke" />
                <path d="M9.6 4 L12 6.4" class="stroke" />
            </>
        },
    }
}

/// An icon for HTML, 1 em square, aligned with the text around it.
pub fn icon(icon: Icon) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            { paths(icon) }
        </svg>
    }
}

/// An icon inside an SVG drawing, `size` units square, centred at `(x, y)`.
pub fn glyph(icon: Icon, x: f64, y: f64, size: f64) -> Html {
    let k = size / 16.0;
    html! {
        <g class="icon" transform={format!("translate({:.1},{:.1}) scale({k:.3}) translate(-8,-8)", x, y)} aria-hidden="true">
            { paths(icon) }
        </g>
    }
}
