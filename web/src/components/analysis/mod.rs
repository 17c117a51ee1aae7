//! Seeing a whole run (issue 13): one section rendered by [`view`], holding four panes — the
//! space-time diagram ([`diagram`]), the log matrix ([`log_matrix`]), the client history with
//! its verdict ([`history`]) and metrics over time ([`metrics`]). Each pane collapses; the
//! section collapses and resizes (drag its top edge, or focus it and use ↑/↓). Protocol-neutral:
//! the data comes from the trace index, the snapshot and the protocol's panel
//! (`Panel::history`, `Panel::trace_mark`); the logic is in `model::analysis`.

pub mod diagram;
pub mod history;
pub mod log_matrix;
pub mod metrics;

use crate::model::action::Action;
use crate::model::analysis::{AnalysisAction, Pane, MAX_HEIGHT, MIN_HEIGHT};
use crate::model::state::State;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
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

/// The resize handle on the section's top edge: drag it, or focus it and use ↑/↓.
#[derive(Properties, PartialEq)]
struct HandleProps {
    height: u32,
    dispatch: Callback<Action>,
}

#[function_component(Handle)]
fn handle(p: &HandleProps) -> Html {
    let drag = use_mut_ref(|| None::<(f64, u32)>);
    let onpointerdown = {
        let (drag, height) = (drag.clone(), p.height);
        Callback::from(move |e: PointerEvent| {
            *drag.borrow_mut() = Some((f64::from(e.client_y()), height));
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = t.set_pointer_capture(e.pointer_id());
            }
        })
    };
    let onpointermove = {
        let (drag, dispatch) = (drag.clone(), p.dispatch.clone());
        Callback::from(move |e: PointerEvent| {
            if let Some((y0, h0)) = *drag.borrow() {
                let h = f64::from(h0) + y0 - f64::from(e.client_y());
                dispatch.emit(Action::Analysis(AnalysisAction::SetHeight(
                    h.max(0.0) as u32
                )));
            }
        })
    };
    let onpointerup = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| *drag.borrow_mut() = None)
    };
    let onkeydown = {
        let dispatch = p.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            let delta = match e.key().as_str() {
                "ArrowUp" => 40,
                "ArrowDown" => -40,
                _ => return,
            };
            e.prevent_default();
            e.stop_propagation();
            dispatch.emit(Action::Analysis(AnalysisAction::Resize(delta)));
        })
    };
    html! {
        <div class="analysis-handle" role="separator" aria-orientation="horizontal" tabindex="0"
            aria-label="Resize the run analysis (up and down arrows)"
            aria-valuemin={MIN_HEIGHT.to_string()} aria-valuemax={MAX_HEIGHT.to_string()}
            aria-valuenow={p.height.to_string()}
            {onpointerdown} {onpointermove} {onpointerup} {onkeydown}></div>
    }
}

/// The panes' box, as tall as the section's height (set through the CSSOM: the page's
/// Content-Security-Policy forbids inline style attributes).
#[derive(Properties, PartialEq)]
struct PanesProps {
    height: u32,
    children: Html,
}

#[function_component(Panes)]
fn panes(p: &PanesProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(p.height, move |h| {
            if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                let _ = el.style().set_property("--analysis-h", &format!("{h}px"));
            }
        });
    }
    html! {
        <div class="analysis-panes" id="analysis-panes" ref={node}>{p.children.clone()}</div>
    }
}

/// The whole section: the entry point the page layout renders.
pub fn view(s: &State, shared: &StateRef, dispatch: &Callback<Action>) -> Html {
    let a = &s.analysis;
    let toggle = dispatch.reform(|_| Action::Analysis(AnalysisAction::ToggleSection));
    let head = html! {
        <div class="analysis-head">
            <h2>
                <button class="pane-toggle" aria-expanded={a.open.to_string()} aria-controls="analysis-panes" onclick={toggle}>
                    <span aria-hidden="true">{if a.open { "▾ " } else { "▸ " }}</span>{"Whole run"}
                </button>
            </h2>
            <span class="muted">{"space-time diagram · every log · client history · metrics"}</span>
        </div>
    };
    if !a.open {
        return html! {
            <section class="analysis closed" aria-label="Run analysis">{head}</section>
        };
    }
    let panel = s.panel();
    let now = s.engine.playground().now().0;
    let history_view = a.history(&s.engine, panel);
    let diagram = pane(
        s,
        Pane::Diagram,
        diagram::body(s, shared, dispatch),
        dispatch,
    );
    let matrix = pane(s, Pane::Matrix, log_matrix::body(&s.snapshot), dispatch);
    let hist = pane(
        s,
        Pane::History,
        history::body(&history_view, now),
        dispatch,
    );
    let m = s.metrics(&history_view, now);
    let mx = pane(s, Pane::Metrics, metrics::body(&m, dispatch), dispatch);
    html! {
        <section class="analysis" aria-label="Run analysis">
            <Handle height={a.height} dispatch={dispatch.clone()} />
            {head}
            <Panes height={a.height}>
                <div class="analysis-main">{diagram}</div>
                <div class="analysis-side">{matrix}{hist}{mx}</div>
            </Panes>
        </section>
    }
}
