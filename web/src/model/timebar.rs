//! The timeline bar's logic: what its keys do, where marks go, how they look, how manual-mode
//! picks are grouped. Pure (no DOM), tested natively; `components::timeline` draws it.

use netsplit_core::kernel::sim::Pick;
use netsplit_core::Control;

/// Everything the timeline bar can ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeAction {
    /// Show virtual time `t` (ms).
    Seek(u64),
    /// Move the time shown by this many ms (negative: back).
    SeekBy(i64),
    /// Go back one event.
    StepBack,
    /// Manual mode on (list the possible next events) or off.
    SetManual(bool),
    /// Switch to branch `index`.
    Switch(usize),
    /// Select a mark for editing (or none).
    SelectMark(Option<usize>),
    /// Move mark `index` to time `to` (ms).
    MoveMark {
        /// The mark.
        index: usize,
        /// New time.
        to: u64,
    },
    /// Move mark `index` by `by` ms.
    NudgeMark {
        /// The mark.
        index: usize,
        /// Milliseconds (negative: earlier).
        by: i64,
    },
    /// Remove mark `index`.
    RemoveMark(usize),
}

/// A small step of the time slider or a mark (ms); Shift makes it [`BIG_STEP_MS`].
pub const SMALL_STEP_MS: i64 = 100;
/// A big step (Shift + arrow).
pub const BIG_STEP_MS: i64 = 1000;

/// What a key pressed on the time slider does (`None`: not ours).
pub fn slider_key(key: &str, shift: bool, now: u64, end: u64) -> Option<TimeAction> {
    let step = if shift { BIG_STEP_MS } else { SMALL_STEP_MS };
    let page = (end / 10).max(1) as i64;
    Some(match key {
        "ArrowLeft" | "ArrowDown" => TimeAction::SeekBy(-step),
        "ArrowRight" | "ArrowUp" => TimeAction::SeekBy(step),
        "PageDown" => TimeAction::SeekBy(-page),
        "PageUp" => TimeAction::SeekBy(page),
        "Home" => TimeAction::Seek(0),
        "End" => TimeAction::Seek(end.max(now)),
        _ => return None,
    })
}

/// What a key pressed on mark `index` does (`None`: not ours).
pub fn mark_key(key: &str, shift: bool, index: usize) -> Option<TimeAction> {
    let step = if shift { BIG_STEP_MS } else { SMALL_STEP_MS };
    Some(match key {
        "ArrowLeft" | "ArrowDown" => TimeAction::NudgeMark { index, by: -step },
        "ArrowRight" | "ArrowUp" => TimeAction::NudgeMark { index, by: step },
        "Delete" | "Backspace" => TimeAction::RemoveMark(index),
        "Enter" | " " => TimeAction::SelectMark(Some(index)),
        _ => return None,
    })
}

/// Position of time `t` on a track ending at `end`, in percent (0–100).
pub fn percent(t: u64, end: u64) -> f64 {
    if end == 0 {
        0.0
    } else {
        (t.min(end) as f64 / end as f64 * 100.0).clamp(0.0, 100.0)
    }
}

/// Horizontal offsets (px) for marks whose ideal centres are at `xs` (px, time-ordered) on a
/// track `width` px wide, so that no two centres are closer than `gap`: a run of crowded marks
/// (several actions at one instant) fans out to the right of its first mark — to the left
/// where the track ends — and every mark stays visible and clickable.
pub fn fan(xs: &[f64], width: f64, gap: f64) -> Vec<f64> {
    let mut placed: Vec<f64> = Vec::with_capacity(xs.len());
    for (i, x) in xs.iter().enumerate() {
        let x = match i.checked_sub(1) {
            Some(j) => x.max(placed[j] + gap),
            None => *x,
        };
        placed.push(x);
    }
    if let Some(last) = placed.last_mut() {
        *last = last.min(width.max(0.0));
    }
    for i in (0..placed.len().saturating_sub(1)).rev() {
        placed[i] = placed[i].min(placed[i + 1] - gap);
    }
    placed.iter().zip(xs).map(|(p, x)| p - x).collect()
}

/// The time under a pointer at `x` on a track spanning `left..left + width` pixels.
pub fn time_at(x: f64, left: f64, width: f64, end: u64) -> u64 {
    if width.is_nan() || width <= 0.0 || !x.is_finite() {
        return 0;
    }
    let f = ((x - left) / width).clamp(0.0, 1.0);
    (f * end as f64).round() as u64
}

/// How a mark looks: a glyph (never colour alone) and a CSS class for its colour family.
pub fn mark_style(control: &Control) -> (&'static str, &'static str) {
    match control {
        Control::Crash { .. } => ("✕", "crash"),
        Control::Restart { .. } => ("↻", "repair"),
        Control::Pause { .. } => ("‖", "crash"),
        Control::Resume { .. } => ("▷", "repair"),
        Control::Timeout { .. } => ("◷", "timer"),
        Control::Partition { .. }
        | Control::Cut { .. }
        | Control::CutOneWay { .. }
        | Control::Hold { .. } => ("✂", "net"),
        Control::Heal { .. } | Control::HealAll => ("↔", "repair"),
        Control::SetNet { .. } => ("≈", "net"),
        Control::DropMessage { .. } => ("×", "pick"),
        Control::Deliver { .. } => ("↓", "pick"),
        Control::Fire { .. } => ("◷", "pick"),
        Control::Submit { .. } => ("✎", "client"),
    }
}

/// `12.345 s` for a time in ms.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// One row of manual mode: a message (deliver / drop) or a timer (fire).
#[derive(Clone, Debug, PartialEq)]
pub struct PickRow {
    /// When it would happen on its own (ms).
    pub due: u64,
    /// What it is, without the verb: `m12 n1 → n2 Heartbeat term=1 …`, `n3 election timer`.
    pub what: String,
    /// The verbs offered, with the action each applies.
    pub choices: Vec<(&'static str, Control)>,
}

/// Group picks into rows (a message's deliver and drop share a row), soonest first, at most
/// `limit` rows; the second value counts the rows left out.
pub fn pick_rows(picks: &[Pick], limit: usize) -> (Vec<PickRow>, usize) {
    let mut rows: Vec<PickRow> = Vec::new();
    for p in picks {
        let (verb, rest) = match &p.control {
            Control::Deliver { .. } => ("deliver", p.label.strip_prefix("deliver ")),
            Control::DropMessage { .. } => ("drop", p.label.strip_prefix("drop ")),
            Control::Fire { .. } => ("fire", p.label.strip_prefix("fire ")),
            _ => ("do", None),
        };
        let what = rest.unwrap_or(&p.label).to_string();
        match rows.iter_mut().find(|r| r.what == what && r.due == p.due.0) {
            Some(row) => row.choices.push((verb, p.control.clone())),
            None => rows.push(PickRow {
                due: p.due.0,
                what,
                choices: vec![(verb, p.control.clone())],
            }),
        }
    }
    let hidden = rows.len().saturating_sub(limit);
    rows.truncate(limit);
    (rows, hidden)
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::run::timeline::Timeline;
    use netsplit_core::{build, MsgId, NodeId, Scenario, Time};

    #[test]
    fn slider_keys() {
        assert_eq!(
            slider_key("ArrowLeft", false, 500, 9000),
            Some(TimeAction::SeekBy(-100))
        );
        assert_eq!(
            slider_key("ArrowRight", true, 500, 9000),
            Some(TimeAction::SeekBy(1000))
        );
        assert_eq!(
            slider_key("PageUp", false, 0, 9000),
            Some(TimeAction::SeekBy(900))
        );
        assert_eq!(
            slider_key("Home", false, 500, 9000),
            Some(TimeAction::Seek(0))
        );
        assert_eq!(
            slider_key("End", false, 500, 9000),
            Some(TimeAction::Seek(9000))
        );
        assert_eq!(slider_key("x", false, 0, 0), None);
    }

    #[test]
    fn mark_keys() {
        assert_eq!(
            mark_key("ArrowLeft", true, 2),
            Some(TimeAction::NudgeMark {
                index: 2,
                by: -1000
            })
        );
        assert_eq!(
            mark_key("Delete", false, 1),
            Some(TimeAction::RemoveMark(1))
        );
        assert_eq!(mark_key("a", false, 1), None);
    }

    #[test]
    fn geometry() {
        assert_eq!(percent(50, 200), 25.0);
        assert_eq!(percent(500, 200), 100.0);
        assert_eq!(percent(5, 0), 0.0);
        assert_eq!(time_at(150.0, 100.0, 200.0, 1000), 250);
        assert_eq!(time_at(0.0, 100.0, 200.0, 1000), 0);
        assert_eq!(time_at(900.0, 100.0, 200.0, 1000), 1000);
        assert_eq!(time_at(f64::NAN, 0.0, 200.0, 1000), 0);
        assert_eq!(time_at(5.0, 0.0, 0.0, 1000), 0);
        assert_eq!(seconds(12_345), "12.345 s");
        assert_eq!(seconds(7), "0.007 s");
    }

    #[test]
    fn crowded_marks_fan_out_without_overlapping() {
        // Three actions at one instant and one a little later, on a 400 px track.
        let xs = [100.0, 100.0, 100.0, 110.0, 300.0];
        let off = fan(&xs, 400.0, 22.0);
        let at: Vec<f64> = xs.iter().zip(&off).map(|(x, o)| x + o).collect();
        assert_eq!(at, vec![100.0, 122.0, 144.0, 166.0, 300.0]);
        // At the end of the track they fan out to the left instead.
        let off = fan(&[400.0, 400.0, 400.0], 400.0, 22.0);
        assert_eq!(off, vec![-44.0, -22.0, 0.0]);
        assert!(fan(&[], 400.0, 22.0).is_empty());
    }

    #[test]
    fn every_mark_has_a_glyph() {
        let (glyph, class) = mark_style(&Control::Crash { node: NodeId(0) });
        assert_eq!((glyph, class), ("✕", "crash"));
        assert_eq!(mark_style(&Control::DropMessage { id: MsgId(1) }).1, "pick");
    }

    #[test]
    fn picks_group_by_message() {
        let mut tl =
            Timeline::new(build(&Scenario::new(netsplit_core::protocols::raft::ID, 3)).unwrap());
        tl.run_until(Time(1_000), u64::MAX);
        let picks = tl.picks();
        let (rows, hidden) = pick_rows(&picks, 1000);
        assert_eq!(hidden, 0);
        let messages = picks
            .iter()
            .filter(|p| matches!(p.control, Control::Deliver { .. }))
            .count();
        let timers = picks
            .iter()
            .filter(|p| matches!(p.control, Control::Fire { .. }))
            .count();
        assert_eq!(rows.len(), messages + timers);
        assert!(rows.windows(2).all(|w| w[0].due <= w[1].due));
        let msg = rows.iter().find(|r| r.choices.len() == 2).unwrap();
        assert_eq!(msg.choices[0].0, "deliver");
        assert_eq!(msg.choices[1].0, "drop");
        assert!(msg.what.starts_with('m'), "{}", msg.what);
        let (few, hidden) = pick_rows(&picks, 2);
        assert_eq!(few.len(), 2);
        assert_eq!(hidden, rows.len() - 2);
    }
}
