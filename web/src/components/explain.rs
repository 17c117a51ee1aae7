//! The explanation strip over the graph: the newest sentence about the run ("n3 won term 4:
//! its election timeout (212 ms) expired first…", "split vote in term 3: …"), with a glyph
//! and a word for its kind (never colour alone). Clicking it selects the node it is about; the
//! protocol's own tab lists the earlier ones.

use crate::components::icons::{icon, Icon};
use crate::model::action::Action;
use crate::model::explain::{ExplainKind, Explanation};
use netsplit_core::kernel::view::Snapshot;
use yew::prelude::*;

/// The strip (nothing if there is nothing to explain). `shown` explanations at most.
pub fn view(
    items: &[Explanation],
    snap: &Snapshot,
    shown: usize,
    dispatch: &Callback<Action>,
) -> Html {
    if items.is_empty() {
        return html! {};
    }
    let lines: Html = items
        .iter()
        .take(shown)
        .enumerate()
        .map(|(k, e)| {
            let slot = e.node.and_then(|n| snap.nodes.iter().position(|s| s.id == n));
            let onclick = dispatch.reform(move |_| Action::Select(slot));
            let mark = match e.kind {
                ExplainKind::Won => icon(Icon::Crown),
                ExplainKind::SplitVote | ExplainKind::NoLeader => icon(Icon::Blocked),
                ExplainKind::Note => icon(Icon::Clock),
            };
            html! {
                <li class={classes!("explanation", e.kind.name(), (k > 0).then_some("older"))}
                    data-kind={e.kind.name()}>
                    <button type="button" class="explain-line" {onclick}
                        title="Select the node it is about">
                        <span class="kind">{mark}{e.kind.heading()}</span>
                        <span class="when mono">{format!("t={:.3} s", e.at.0 as f64 / 1000.0)}</span>
                        <span class="what">{e.text.clone()}</span>
                    </button>
                </li>
            }
        })
        .collect();
    html! {
        <div class="explain-strip" role="region" aria-label="What just happened">
            <ol aria-live="polite">{lines}</ol>
        </div>
    }
}
