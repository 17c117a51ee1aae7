//! The event log: newest at the bottom, filterable by category, each line selects its node.

use crate::components::icons::{icon, Icon};
use crate::model::action::Action;
use crate::model::analysis::AnalysisAction;
use crate::model::state::Ui;
use netsplit_core::kernel::trace::Category;
use netsplit_core::run::playground::TraceLine;
use yew::prelude::*;

/// Filter chips: label and the categories they cover.
pub const FILTERS: &[(&str, &[Category])] = &[
    (
        "messages",
        &[Category::Send, Category::Deliver, Category::Wait],
    ),
    ("drops", &[Category::Drop]),
    ("timers", &[Category::Timer]),
    ("roles", &[Category::Role, Category::Start]),
    ("notes", &[Category::Note, Category::Client]),
    ("faults", &[Category::Fault]),
    ("violations", &[Category::Violation]),
];

/// Lines shown at most (the log keeps more for jumping).
const SHOW: usize = 200;

/// The log panel.
pub fn view(lines: &[TraceLine], ui: &Ui, dispatch: &Callback<Action>) -> Html {
    let open = ui.panes.log_open;
    let toggle = html! {
        <button class="log-toggle" type="button" aria-expanded={open.to_string()}
            aria-controls={open.then_some("event-log")} onclick={dispatch.reform(|_| Action::ToggleLog)}>
            <span class={classes!("caret", (!open).then_some("closed"))}>{ icon(Icon::Caret) }</span>
            {"Events"}
        </button>
    };
    if !open {
        return html! {
            <div class="log closed">
                <div class="log-head"><h2>{toggle}</h2></div>
            </div>
        };
    }
    let chips: Html = FILTERS
        .iter()
        .map(|(label, cats)| {
            let on = !cats.iter().all(|c| ui.hidden.contains(c));
            let cats: Vec<Category> = cats.to_vec();
            let dispatch = dispatch.clone();
            let onclick = Callback::from(move |_| {
                for c in &cats {
                    dispatch.emit(Action::ToggleCategory(*c));
                }
            });
            html! {
                <button class={classes!("chip", on.then_some("on"))} aria-pressed={on.to_string()} {onclick}>
                    {if on { "✓ " } else { "" }}{*label}
                </button>
            }
        })
        .collect();
    let visible: Vec<&TraceLine> = lines
        .iter()
        .filter(|l| !ui.hidden.contains(&l.category))
        .collect();
    let start = visible.len().saturating_sub(SHOW);
    let rows: Html = visible[start..]
        .iter()
        .map(|l| {
            let node = l.node.map(|n| n.index());
            let onclick = dispatch.reform(move |_| Action::Select(node));
            let cat = format!("{:?}", l.category).to_lowercase();
            let hl = ui.highlight == Some(l.index)
                || (ui.hover_msg.is_some() && l.msg == ui.hover_msg);
            // Hovering a message's line highlights its arrow on the space-time diagram.
            let (onmouseenter, onmouseleave) = match l.msg {
                Some(m) => (
                    Some(dispatch.reform(move |_: MouseEvent| {
                        Action::Analysis(AnalysisAction::Hover(Some(m)))
                    })),
                    Some(dispatch.reform(|_: MouseEvent| Action::Analysis(AnalysisAction::Hover(None)))),
                ),
                None => (None, None),
            };
            html! {
                <li key={l.index} class={classes!("line", format!("cat-{}", cat), hl.then_some("highlight"))}
                    data-category={cat.clone()} {onclick} {onmouseenter} {onmouseleave}>{l.text.clone()}</li>
            }
        })
        .collect();
    html! {
        <div class="log">
            <div class="log-head">
                <h2>{toggle}</h2>
                <div class="chips" role="group" aria-label="Show event kinds">{chips}</div>
            </div>
            <div class="log-scroll" id="event-log" tabindex="0" role="region" aria-label="Event log">
                <ol class="log-lines">{rows}</ol>
            </div>
        </div>
    }
}
