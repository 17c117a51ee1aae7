//! The status strip: one badge per checked property, the last notice, and an ARIA-live line.

use crate::model::action::Action;
use crate::model::state::Ui;
use netsplit_core::kernel::check::CheckerInfo;
use netsplit_core::kernel::trace::Category;
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::run::playground::TraceLine;
use yew::prelude::*;

/// The strip.
pub fn view(
    snap: &Snapshot,
    properties: &[CheckerInfo],
    ui: &Ui,
    lines: &[TraceLine],
    dispatch: &Callback<Action>,
) -> Html {
    let badges: Html = properties
        .iter()
        .map(|p| {
            let first = snap.violations.iter().find(|v| v.checker == p.name);
            let title = format!("{} — {} ({})", p.name, p.summary, p.source);
            let undecided = snap
                .undecided
                .iter()
                .find(|u| u.checker == p.name)
                .map_or(0, |u| u.checks);
            match first {
                None if undecided > 0 => {
                    let title = format!(
                        "{title} — {} ran out of the search budget: neither confirmed nor refused there",
                        crate::model::count(undecided as usize, "check")
                    );
                    html! {
                        <span class="badge unsure" title={title} data-property={p.name} data-undecided={undecided.to_string()}>
                            {format!("? {} — {undecided} undecided", p.name)}
                        </span>
                    }
                }
                None => html! {
                    <span class="badge ok" title={title} data-property={p.name}>{"✓ "}{p.name}</span>
                },
                Some(v) => {
                    let onclick = dispatch.reform(|_| Action::JumpToViolation);
                    html! {
                        <button class="badge bad" title={title} data-property={p.name} {onclick}>
                            {format!("✗ {} violated at t={} — jump", p.name, v.at)}
                        </button>
                    }
                }
            }
        })
        .collect();
    let notice = ui.notice.as_ref().map(|n| {
        // A short status: the full text is in its tooltip, and every error also shows next to
        // what caused it (a form field, the link banner, the import dialog).
        html! { <span class={classes!("notice", n.error.then_some("error"))} title={n.text.clone()}
        role={if n.error { "alert" } else { "status" }}>{n.text.clone()}</span> }
    });
    // Screen readers hear role changes, faults and violations, not every message.
    let live = lines
        .iter()
        .rev()
        .find(|l| {
            matches!(
                l.category,
                Category::Role | Category::Fault | Category::Violation
            )
        })
        .map(|l| l.text.clone())
        .unwrap_or_default();
    html! {
        <div class="status-inner">
            <div class="badges" role="group" aria-label="Safety properties" tabindex="0">{badges}</div>
            {notice}
            <span class="violations-count" data-violations={snap.violations.len().to_string()}>
                {if snap.violations.is_empty() { "all properties hold".to_string() } else { crate::model::count(snap.violations.len(), "violation") }}
            </span>
            <div class="visually-hidden" aria-live="polite" aria-atomic="true">{live}</div>
        </div>
    }
}
