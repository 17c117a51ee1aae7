//! Seeing a whole run (issue 13): one section rendered by [`view`], holding four panes — the
//! space-time diagram ([`diagram`]), the log matrix ([`log_matrix`]), the client history with
//! its verdict ([`history`]) and metrics over time ([`metrics`]). Each pane collapses; a handle
//! between the diagram and the other panes sets their widths; the region around them
//! (`components::region`) opens, closes and resizes. Protocol-neutral:
//! the data comes from the trace index, the snapshot and the protocol's panel
//! (`Panel::history`, `Panel::trace_mark`); the logic is in `model::analysis`.

pub mod diagram;
pub mod history;
pub mod log_matrix;
pub mod metrics;

use crate::components::splitter::{set_var, Axis, Range, Splitter};
use crate::model::action::Action;
use crate::model::analysis::{AnalysisAction, Pane, MAX_SPLIT, MIN_SPLIT, SPLIT_STEP};
use crate::model::state::State;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The page state, shared with components that read it every frame (the diagram canvas).
pub type StateRef = Rc<RefCell<State>>;

fn pane(s: &State, p: Pane, body: Html, dispatch: &Callback<Action>) -> Html {
    let open = !s.analysis.collapsed.contains(&p);
    let toggle = dispatch.reform(move |_| Action::Analysis(AnalysisAction::TogglePane(p)));
    let id = format!("pane-{}", p.slug());
    html! {
        <section class={classes!("pane", format!("pane-{}", p.slug()), (!open).then_some("collapsed"))}
            aria-label={p.title()}>
            <h2 class="pane-head">
                <button class="pane-toggle" aria-expanded={open.to_string()} aria-controls={id.clone()} onclick={toggle}>
                    <span aria-hidden="true">{if open { "▾ " } else { "▸ " }}</span>{p.title()}
                </button>
            </h2>
            if open {
                <div class="pane-body" id={id}>{body}</div>
            }
        </section>
    }
}

/// The region's body (drawn by `components::region` under the stage while the region is
/// open): the diagram beside the other three panes.
pub fn view(s: &State, shared: &StateRef, dispatch: &Callback<Action>) -> Html {
    let a = &s.analysis;
    let panel = s.panel();
    let now = s.engine.playground().now().0;
    let history_view = a.history(&s.engine, panel);
    let diagram = pane(
        s,
        Pane::Diagram,
        diagram::body(s, shared, dispatch),
        dispatch,
    );
    let spot = s
        .tour
        .as_ref()
        .and_then(|t| t.step())
        .and_then(|st| st.spot.log_index);
    let matrix = pane(
        s,
        Pane::Matrix,
        log_matrix::body(&s.snapshot, s.look().epoch, spot),
        dispatch,
    );
    let hist = pane(
        s,
        Pane::History,
        history::body(&history_view, now),
        dispatch,
    );
    let m = s.metrics(&history_view, now);
    let mx = pane(s, Pane::Metrics, metrics::body(&m, dispatch), dispatch);
    html! {
        <Columns split={a.split} dispatch={dispatch.clone()}
            main={diagram} side={html! { <>{matrix}{hist}{mx}</> }} />
    }
}

/// The column handle's range.
const SPLIT: Range = Range {
    min: MIN_SPLIT,
    max: MAX_SPLIT,
    step: SPLIT_STEP,
};

/// The two columns' properties.
#[derive(Properties, PartialEq)]
struct ColumnsProps {
    /// The first column's share of the width (percent).
    split: u32,
    /// Where actions go.
    dispatch: Callback<Action>,
    /// The first column (the diagram).
    main: Html,
    /// The second column (the other panes).
    side: Html,
}

/// The diagram beside the other panes, with a handle between them (drag it, or focus it and
/// use ←/→) that sets their shares; stacked at phone width, where the handle is hidden.
#[function_component(Columns)]
fn columns(p: &ColumnsProps) -> Html {
    let panes = use_node_ref();
    {
        let (panes, split) = (panes.clone(), p.split);
        use_effect_with(split, move |_| {
            set_var(&panes, "--split", &format!("{split}%"))
        });
    }
    let preview = {
        let panes = panes.clone();
        Callback::from(move |pct: u32| set_var(&panes, "--split", &format!("{pct}%")))
    };
    let commit = p
        .dispatch
        .reform(|pct| Action::Analysis(AnalysisAction::SetSplit(pct)));
    html! {
        <div class="analysis-panes" id="analysis-panes" ref={panes}>
            <div class="analysis-main" id="analysis-main">{p.main.clone()}</div>
            <Splitter axis={Axis::Columns} value={p.split} range={SPLIT} class="an-split"
                label="Resize the diagram against the other panes: left and right arrows"
                controls="analysis-main" on_preview={preview} on_commit={commit} />
            <div class="analysis-side">{p.side.clone()}</div>
        </div>
    }
}
