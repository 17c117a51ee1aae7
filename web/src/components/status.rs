//! The status strip: one badge per checked property, the last notice, and an ARIA-live line.

use crate::app::{Action, Ui};
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
            match first {
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
    let notice = ui.notice.as_ref().map(|(text, err)| {
        html! { <span class={classes!("notice", err.then_some("error"))} role={if *err { "alert" } else { "status" }}>{text.clone()}</span> }
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
                {if snap.violations.is_empty() { "all properties hold".to_string() } else { format!("{} violation(s)", snap.violations.len()) }}
            </span>
            <div class="visually-hidden" aria-live="polite" aria-atomic="true">{live}</div>
        </div>
    }
}

/// The legend under the graph: every encoding in words.
pub fn legend() -> Html {
    html! {
        <details class="legend">
            <summary>{"Legend"}</summary>
            <ul>
                <li><span class="lg lg-leader"></span>{"leader: thick outline and a crown"}</li>
                <li><span class="lg lg-candidate"></span>{"candidate: dashed outline, vote count"}</li>
                <li><span class="lg lg-follower"></span>{"follower: thin outline"}</li>
                <li>{"✗ crashed · ⏸ paused · T3 = term 3 (fill tint changes with the term)"}</li>
                <li>{"◆ RV RequestVote · ● HB heartbeat (AppendEntries) · hollow = reply, ✓ granted / ✗ refused"}</li>
                <li>{"grey arc: time left before the node's election timeout"}</li>
                <li>{"link: solid up · dashed ✂ cut · arrow = the one direction that still works · ⏸ held"}</li>
            </ul>
        </details>
    }
}
