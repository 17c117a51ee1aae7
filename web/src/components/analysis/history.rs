//! The client history pane: per key, one lane per client with an invoke → return bar per
//! operation (ok solid; failed crossed; indeterminate open-ended and dashed; in progress
//! running to now), the key's live verdict, and — for a key that is not linearizable — the
//! offending operations outlined and named, with one sentence saying what went wrong. The
//! store marks the anomalies its level allows instead; atomic commit adds each transaction's
//! timeline (every participant's vote, the decision, when each learned it).

use crate::model::analysis::history::{HistoryOp, KeyStatus, KeyView, OpStatus, Txn};
use crate::model::analysis::HistoryView;
use std::collections::BTreeSet;
use yew::prelude::*;

/// Most operations drawn per key (the latest; offending ones always).
const MAX_OPS: usize = 60;
/// Most transactions drawn (the latest).
const MAX_TXNS: usize = 12;
/// Drawing width (SVG units).
const W: f64 = 600.0;
/// Left margin for lane names.
const LEFT: f64 = 44.0;
/// Lane height.
const LANE: f64 = 22.0;

fn x_of(t: u64, t0: u64, t1: u64) -> f64 {
    let span = (t1.saturating_sub(t0)).max(1) as f64;
    LEFT + (t.saturating_sub(t0)) as f64 / span * (W - LEFT - 8.0)
}

fn op_title(op: &HistoryOp) -> String {
    let end = match op.returned {
        Some(r) => format!("{r} ms ({} ms)", r - op.invoked),
        None => "…".to_string(),
    };
    let anomaly = op
        .anomaly
        .as_ref()
        .map(|a| format!(" — {}", a.describe()))
        .unwrap_or_default();
    format!(
        "{} {} → {} [{} ms – {end}] {}{anomaly}",
        op.client,
        op.label,
        op.result,
        op.invoked,
        op.status.word()
    )
}

fn verdict_line(k: &KeyView) -> Html {
    match &k.status {
        KeyStatus::Linearizable => html! { <p class="hv-verdict ok">{"✓ linearizable"}</p> },
        KeyStatus::NotLinearizable {
            sentence, reason, ..
        } => html! {
            <div class="hv-verdict bad" role="status">
                <p><strong>{"✗ not linearizable: "}</strong>{sentence.clone()}{"."}</p>
                <details><summary>{"the checker's reason"}</summary><p class="mono">{reason.clone()}</p></details>
            </div>
        },
        KeyStatus::Unknown => {
            html! { <p class="hv-verdict">{"? unknown: the check ran out of its step budget"}</p> }
        }
        KeyStatus::Anomalies(0) => html! { <p class="hv-verdict ok">{"no anomaly so far"}</p> },
        KeyStatus::Anomalies(n) => {
            html! { <p class="hv-verdict warn">{format!("⚠ {n} anomal{} the level allows (marked)", if *n == 1 { "y" } else { "ies" })}</p> }
        }
        KeyStatus::Unchecked => html! {},
    }
}

fn key_block(view: &HistoryView, k: &KeyView, t0: u64, now: u64) -> Html {
    let ops = &view.history.ops;
    let offending: BTreeSet<usize> = match &k.status {
        KeyStatus::NotLinearizable { offending, .. } => offending.clone(),
        _ => BTreeSet::new(),
    };
    let shown: Vec<usize> = {
        let skip = k.ops.len().saturating_sub(MAX_OPS);
        k.ops
            .iter()
            .enumerate()
            .filter(|(n, i)| *n >= skip || offending.contains(i))
            .map(|(_, i)| *i)
            .collect()
    };
    // Up to now, or to the last answer if a history reaches past it (an injected one).
    let last = shown
        .iter()
        .filter_map(|i| ops[*i].returned)
        .max()
        .unwrap_or(0);
    let t1 = now.max(last).max(t0 + 1);
    let height = k.clients.len() as f64 * LANE + 8.0;
    let lanes: Html = k
        .clients
        .iter()
        .enumerate()
        .map(|(l, c)| {
            let y = 4.0 + l as f64 * LANE + LANE / 2.0;
            html! {
                <g>
                    <text x="4" y={format!("{:.1}", y + 4.0)} class="hv-lane">{c.to_string()}</text>
                    <line x1={LEFT.to_string()} x2={W.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} class="hv-axis" />
                </g>
            }
        })
        .collect();
    let bars: Html = shown
        .iter()
        .map(|i| {
            let op = &ops[*i];
            let lane = k.clients.iter().position(|c| *c == op.client).unwrap_or(0);
            let y = 4.0 + lane as f64 * LANE + 4.0;
            let x1 = x_of(op.invoked, t0, t1);
            let end = op.returned.unwrap_or(now);
            let x2 = x_of(end, t0, t1).max(x1 + 3.0);
            let status = match op.status {
                OpStatus::Ok => "ok",
                OpStatus::Failed => "failed",
                OpStatus::Indeterminate => "indeterminate",
                OpStatus::Pending => "pending",
            };
            let bad = offending.contains(i);
            let glyph = match (bad, op.status, &op.anomaly) {
                (true, _, _) => "!",
                (_, OpStatus::Failed, _) => "✗",
                (_, OpStatus::Indeterminate, _) => "?",
                (_, _, Some(_)) => "⚠",
                _ => "",
            };
            let title = op_title(op);
            html! {
                <g class={classes!("hv-op", status, bad.then_some("offending"), op.anomaly.is_some().then_some("anomaly"))}
                    data-op={i.to_string()}>
                    <title>{title}</title>
                    <rect x={format!("{x1:.1}")} y={format!("{y:.1}")} width={format!("{:.1}", x2 - x1)} height="14" rx="3" />
                    if !glyph.is_empty() {
                        <text x={format!("{:.1}", x2 + 2.0)} y={format!("{:.1}", y + 11.0)} class="hv-glyph">{glyph}</text>
                    }
                </g>
            }
        })
        .collect();
    let offending_list = (!offending.is_empty()).then(|| {
        let items: Html = offending
            .iter()
            .map(|i| html! { <li class="mono">{op_title(&ops[*i])}</li> })
            .collect();
        html! {
            <div class="hv-offending">
                <p>{"The offending operations (outlined, marked !):"}</p>
                <ul>{items}</ul>
            </div>
        }
    });
    let anomalies: Vec<&HistoryOp> = k
        .ops
        .iter()
        .map(|i| &ops[*i])
        .filter(|o| o.anomaly.is_some())
        .collect();
    let anomaly_list = (!anomalies.is_empty()).then(|| {
        let items: Html = anomalies
            .iter()
            .rev()
            .take(6)
            .map(|o| {
                let what = o.anomaly.as_ref().map(|a| a.describe()).unwrap_or_default();
                html! { <li><span class="mono">{format!("{} {} → {}", o.client, o.label, o.result)}</span>{format!(": {what}")}</li> }
            })
            .collect();
        html! { <ul class="hv-anomalies">{items}</ul> }
    });
    let more = (shown.len() < k.ops.len()).then(|| {
        html! { <p class="muted">{format!("showing the latest {} of {} operations", shown.len(), k.ops.len())}</p> }
    });
    html! {
        <section class={classes!("hv-key", matches!(k.status, KeyStatus::NotLinearizable { .. }).then_some("bad"))}
            aria-label={format!("key {}", k.key)} data-key={k.key.clone()}>
            <h3>{format!("key {}", k.key)}<span class="muted">{format!(" · {} operation{}", k.ops.len(), if k.ops.len() == 1 { "" } else { "s" })}</span></h3>
            { verdict_line(k) }
            <svg class="hv-svg" viewBox={format!("0 0 {W} {height:.0}")} role="img"
                aria-label={format!("Operations on key {} per client over time", k.key)}>
                {lanes}{bars}
            </svg>
            { more.unwrap_or_default() }
            { offending_list.unwrap_or_default() }
            { anomaly_list.unwrap_or_default() }
        </section>
    }
}

fn txn_block(t: &Txn, now: u64) -> Html {
    let end = t
        .applied
        .iter()
        .map(|(_, at)| *at)
        .chain(t.decision.map(|(at, _)| at))
        .chain(t.votes.iter().map(|v| v.at))
        .max()
        .unwrap_or(now)
        .max(t.begun + 1);
    let end = if t.decision.is_none() {
        now.max(end)
    } else {
        end
    };
    let x = |at: u64| x_of(at, t.begun, end);
    let height = t.participants.len() as f64 * LANE + 8.0;
    let rows: Html = t
        .participants
        .iter()
        .enumerate()
        .map(|(l, p)| {
            let y = 4.0 + l as f64 * LANE + LANE / 2.0;
            let vote = t.votes.iter().find(|v| v.node == *p).map(|v| {
                let glyph = if v.yes { "✓" } else { "✗" };
                html! {
                    <text x={format!("{:.1}", x(v.at))} y={format!("{:.1}", y + 4.0)} class={classes!("tx-vote", (!v.yes).then_some("no"))}>
                        <title>{format!("{p} votes {} at t={}", v.vote, v.at)}</title>{format!("{glyph} {}", v.vote)}
                    </text>
                }
            });
            let applied = t.applied.iter().find(|(n, _)| n == p).map(|(_, at)| {
                html! {
                    <circle cx={format!("{:.1}", x(*at))} cy={format!("{y:.1}")} r="4" class="tx-applied">
                        <title>{format!("{p} learns the outcome at t={at}")}</title>
                    </circle>
                }
            });
            html! {
                <g>
                    <text x="4" y={format!("{:.1}", y + 4.0)} class="hv-lane">{p.to_string()}</text>
                    <line x1={LEFT.to_string()} x2={W.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} class="hv-axis" />
                    { vote.unwrap_or_default() }
                    { applied.unwrap_or_default() }
                </g>
            }
        })
        .collect();
    let decision = t.decision.map(|(at, commit)| {
        let dx = x(at);
        html! {
            <g class={classes!("tx-decision", (!commit).then_some("abort"))}>
                <title>{format!("decided {} at t={at}", if commit { "commit" } else { "abort" })}</title>
                <line x1={format!("{dx:.1}")} x2={format!("{dx:.1}")} y1="0" y2={format!("{height:.0}")} />
            </g>
        }
    });
    let summary = match t.decision {
        Some((at, true)) => format!("◆ commit at t={at}"),
        Some((at, false)) => format!("◆ abort at t={at}"),
        None => "no decision yet (in doubt?)".to_string(),
    };
    let votes: Vec<String> = t
        .votes
        .iter()
        .map(|v| format!("{} {}", v.node, v.vote))
        .collect();
    html! {
        <section class="tx" aria-label={format!("transaction {}", t.name)}>
            <h4>{format!("{} (prepare at t={}): ", t.name, t.begun)}<span>{votes.join(", ")}</span>{" → "}<strong>{summary}</strong></h4>
            <svg class="hv-svg" viewBox={format!("0 0 {W} {height:.0}")} role="img"
                aria-label={format!("Timeline of transaction {}: votes and decision", t.name)}>
                {rows}{ decision.unwrap_or_default() }
            </svg>
        </section>
    }
}

/// The pane's body.
pub fn body(view: &HistoryView, now: u64) -> Html {
    let h = &view.history;
    if h.ops.is_empty() && h.txns.is_empty() {
        return html! { <p class="muted">{"No client operations yet: submit requests from the side panel, and each appears here from invocation to answer."}</p> };
    }
    let t0 = h.ops.iter().map(|o| o.invoked).min().unwrap_or(0);
    let keys: Html = view
        .keys
        .iter()
        .map(|k| key_block(view, k, t0, now))
        .collect();
    let txns: Html = h
        .txns
        .iter()
        .rev()
        .take(MAX_TXNS)
        .map(|t| txn_block(t, now))
        .collect();
    let bad = view
        .keys
        .iter()
        .filter(|k| matches!(k.status, KeyStatus::NotLinearizable { .. }))
        .count();
    let summary = match h.check {
        crate::model::analysis::history::Check::Linearizability if bad > 0 => {
            html! { <p class="hv-summary bad">{format!("✗ {} not linearizable", crate::model::words::counted(bad as u64, "key"))}</p> }
        }
        crate::model::analysis::history::Check::Linearizability => {
            html! { <p class="hv-summary ok">{"✓ every key linearizable so far"}</p> }
        }
        _ => html! {},
    };
    html! {
        <>
            {summary}
            <p class="hv-legend" aria-hidden="true">
                <span class="hv-key-sw ok"></span>{" ok "}
                <span class="hv-key-sw failed"></span>{" ✗ failed "}
                <span class="hv-key-sw indeterminate"></span>{" ? no answer "}
                <span class="hv-key-sw pending"></span>{" in progress "}
                <span class="hv-key-sw offending"></span>{"\u{a0}!\u{a0}offending"}
            </p>
            {keys}
            if !h.txns.is_empty() {
                <h3 class="tx-title">{"Transactions"}</h3>
                {txns}
            }
        </>
    }
}
