//! The metrics pane: one small chart per series (drawn as inline SVG by hand: a plotting
//! crate would add about 18 kB of brotli-compressed wasm for what is a polyline and two
//! labels — see docs/analysis.md), following the timeline up to now, and a CSV download.

use crate::model::action::Action;
use crate::model::analysis::metrics::{Metrics, Series};
use crate::model::analysis::scene::time_label;
use crate::model::analysis::AnalysisAction;
use yew::prelude::*;

const W: f64 = 220.0;
const H: f64 = 64.0;
const PAD: f64 = 4.0;

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 || v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn chart(s: &Series, m: &Metrics) -> Html {
    let n = s.points.len().max(1);
    let max = s.max().max(if s.unit == "%" { 100.0 } else { 1.0 });
    let x = |i: usize| PAD + (i as f64 + 0.5) / n as f64 * (W - 2.0 * PAD);
    let y = |v: f64| H - PAD - v / max * (H - 2.0 * PAD - 10.0);
    // One polyline per run of measured buckets (gaps where nothing was measured).
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for (i, p) in s.points.iter().enumerate() {
        match p {
            Some(v) => {
                if !open {
                    runs.push(Vec::new());
                    open = true;
                }
                if let Some(r) = runs.last_mut() {
                    r.push((x(i), y(*v)));
                }
            }
            None => open = false,
        }
    }
    let lines: Html = runs
        .iter()
        .map(|r| {
            if r.len() == 1 {
                html! { <circle cx={format!("{:.1}", r[0].0)} cy={format!("{:.1}", r[0].1)} r="2" class="mx-dot" /> }
            } else {
                let pts: Vec<String> = r.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
                html! { <polyline points={pts.join(" ")} class="mx-line" /> }
            }
        })
        .collect();
    let last = s
        .last()
        .map_or("—".to_string(), |v| format!("{} {}", fmt(v), s.unit));
    let label = format!(
        "{}: latest {}, highest {} {}, in buckets of {}",
        s.name,
        last,
        fmt(s.max()),
        s.unit,
        time_label(m.bucket_ms)
    );
    html! {
        <figure class="mx-chart">
            <figcaption><span class="mx-name">{s.name}</span><span class="mx-last">{last}</span></figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} role="img" aria-label={label}>
                <line x1={PAD.to_string()} x2={(W - PAD).to_string()} y1={(H - PAD).to_string()} y2={(H - PAD).to_string()} class="mx-axis" />
                <text x={PAD.to_string()} y="9" class="mx-max">{format!("max {}", fmt(s.max()))}</text>
                <line x1={(W - PAD).to_string()} x2={(W - PAD).to_string()} y1="0" y2={H.to_string()} class="mx-now" />
                {lines}
            </svg>
        </figure>
    }
}

/// The pane's body.
pub fn body(m: &Metrics, dispatch: &Callback<Action>) -> Html {
    let csv = dispatch.reform(|_| Action::Analysis(AnalysisAction::ExportCsv));
    let charts: Html = m.series.iter().map(|s| chart(s, m)).collect();
    html! {
        <>
            <p class="mx-head">
                <span class="muted">{format!("0 to {} · buckets of {} · now at the right edge", time_label(m.end), time_label(m.bucket_ms))}</span>
                <button class="btn small" onclick={csv}>{"Download CSV"}</button>
            </p>
            <div class="mx-grid">{charts}</div>
        </>
    }
}
