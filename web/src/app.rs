//! The page: wires the browser (frame loop, keys, address bar) to the model and draws the
//! components and the protocol's panel.
//!
//! The simulator lives outside Yew's state (in the model's [`State`], behind an
//! `Rc<RefCell<…>>`); Yew re-renders only when something happened in the simulation or the UI,
//! never merely because a frame passed. Per-frame motion (messages, timer arcs) is drawn on a
//! canvas by [`crate::dom::canvas`].

use crate::components::region::Region;
use crate::components::{
    analysis, banner, challenge, controls, exchange, explain, graph, help, legend, log, side,
    status, timeline, topbar, tour,
};
use crate::dom::canvas::{CanvasPainter, Frame};
use crate::dom::effects::{self, current_fragment, page_url, wall_now, Downloads, PendingRead};
use crate::dom::frame_loop::FrameLoop;
use crate::dom::{embed, keys, panic};
use crate::model::action::Action;
use crate::model::embed::{iframe_snippet, Mode};
use crate::model::partition::groups;
use crate::model::setup::current_net;
use crate::model::state::State;
use crate::panels::PanelCtx;
use std::cell::RefCell;
use yew::prelude::*;

/// The whole page.
#[function_component(App)]
pub fn app() -> Html {
    let mode = *use_memo((), |_| embed::mode());
    let state = use_mut_ref(|| {
        let url = page_url();
        // The embed's share links open the full page next to it.
        let base = match mode {
            Mode::Embed => crate::model::embed::page_url(&url),
            Mode::Page => url,
        };
        let mut s = State::start(&current_fragment(), &base);
        // Challenge progress in local storage (a failure only shows a note).
        let store = Box::new(crate::dom::storage::BrowserStore);
        s.book = std::rc::Rc::new(RefCell::new(crate::model::challenge::Book::new(store)));
        s
    });
    let hub = use_mut_ref(embed::Hub::default);
    let downloads = use_mut_ref(Downloads::default);
    let update = use_force_update();
    let canvas_ref = use_node_ref();
    let pending_read: PendingRead = use_mut_ref(|| None);

    let dispatch = {
        let (state, downloads, update) = (state.clone(), downloads.clone(), update.clone());
        Callback::from(move |action: Action| {
            let now = wall_now();
            let todo = {
                let mut s = state.borrow_mut();
                let todo = s.handle(action, now);
                // User actions always render at once.
                s.rendered(now);
                panic::remember_scenario(&s.engine.share());
                todo
            };
            effects::perform(todo, &mut downloads.borrow_mut());
            update.force_update();
        })
    };

    // The animation loop: run the simulation, re-render only on change, paint the canvas.
    {
        let (state, update, canvas_ref) = (state.clone(), update.clone(), canvas_ref.clone());
        let hub = hub.clone();
        use_effect_with((), move |_| {
            let painter = RefCell::new(CanvasPainter::default());
            let last = RefCell::new(None::<f64>);
            let frames = FrameLoop::start(move |t: f64| {
                let dt = last.borrow().map_or(0.0, |l| t - l);
                *last.borrow_mut() = Some(t);
                if state.borrow_mut().frame(dt, t) {
                    update.force_update();
                }
                if let Some(canvas) = canvas_ref.cast::<web_sys::HtmlCanvasElement>() {
                    let s = state.borrow();
                    let islands = groups(&s.snapshot);
                    let spot = s.tour.as_ref().and_then(|t| t.spot());
                    let frame = Frame {
                        snap: &s.snapshot,
                        look: s.look(),
                        vt: s.engine.vt(),
                        drops: &s.drops,
                        wall: t,
                        groups: &islands,
                        highlight: s.ui.hover_msg,
                        spot_kind: spot.as_ref().and_then(|sp| sp.message.as_deref()),
                    };
                    painter.borrow_mut().paint(&canvas, frame);
                }
                embed::notify(&hub, &state);
            });
            move || drop(frames)
        });
    }

    // A link pasted into this tab's address bar opens like a fresh page would.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let window = gloo::utils::window();
            let listener = gloo::events::EventListener::new(&window, "hashchange", move |_| {
                dispatch.emit(Action::OpenFragment(current_fragment()));
            });
            move || drop(listener)
        });
    }

    // The JavaScript API (`window.netsplit`), for a page that embeds this one.
    {
        let (state, hub, dispatch) = (state.clone(), hub.clone(), dispatch.clone());
        use_effect_with((), move |_| embed::install(state, hub, dispatch));
    }

    // Debug builds only: the history hook for the end-to-end tests.
    #[cfg(debug_assertions)]
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            crate::dom::debug::install_history_hook(dispatch);
        });
    }

    // Keyboard shortcuts on the whole document (not while typing in a field).
    let touring = use_mut_ref(|| std::rc::Rc::new(std::cell::Cell::new(false)));
    {
        let dispatch = dispatch.clone();
        let touring = touring.borrow().clone();
        use_effect_with((), move |_| {
            let listener = keys::listen(dispatch, touring);
            move || drop(listener)
        });
    }

    let s = state.borrow();
    touring.borrow().set(s.tour.is_some());
    let snap = s.snapshot.clone();
    let (panel, look) = (s.panel(), s.look());
    let pg = s.engine.playground();
    let ctx = PanelCtx {
        pg,
        snap: &snap,
        forms: &s.ui.forms,
        dispatch: &dispatch,
        explanations: &s.explanations,
        memo: &s.memo,
        trace_epoch: s.trace_epoch,
    };
    let note = |id| panel.node_note(pg, id);
    let terms = snap.nodes.iter().any(|n| n.view.term.is_some());
    let islands = groups(&snap);
    let playing = s.engine.playing();
    // While time stands still, each node says how long its timer has left.
    let countdown = look
        .timer_arc
        .filter(|_| !playing)
        .map(|arc| (arc, s.engine.vt()));
    let step = s.tour.as_ref().and_then(|t| t.step());
    let graph_opts = graph::GraphOpts {
        groups: &islands,
        countdown,
        epoch: look.epoch,
        spot: step.as_ref().map(|st| &st.spot),
    };
    let present = s.ui.panes.present;
    let kept: Vec<String> = s.previous.iter().map(|k| k.label.clone()).collect();
    let net = current_net(&s.ui.net0, s.engine.marks(), pg.now());
    let analysis_body =
        (s.analysis.open && !present).then(|| analysis::view(&s, &state, &dispatch));
    let class = classes!(
        "app",
        present.then_some("present"),
        (mode == Mode::Embed).then_some("embed"),
        s.analysis.open.then_some("analysis-open"),
        (!s.ui.panes.log_open).then_some("log-closed")
    );
    html! {
        <div {class}>
            if mode == Mode::Page { { topbar::view(&s.ui, &kept, &|id| s.book.borrow().progress.solved(id), &dispatch) } }
            <div class="banners">{ banner::view(&s.ui, kept.len(), &dispatch) }</div>
            <main class="stage" aria-label="Cluster">
                <div class="stage-inner">
                    if let Some(run) = &s.challenge {
                        <div class="explain-strip tour-strip">{ challenge::view(run, pg.now().0, (s.book.borrow().progress.count(), s.book.borrow().progress.warning.as_deref()), &dispatch) }</div>
                    } else if let Some(t) = &s.tour {
                        <div class="explain-strip tour-strip">{ tour::view(t, &dispatch) }</div>
                    } else {
                        { explain::view(&s.explanations, &snap, if present { 2 } else { 1 }, &dispatch) }
                    }
                    <div class="graph-box">
                        { graph::view(&snap, s.ui.selected, &note, &dispatch, &canvas_ref, &graph_opts) }
                        { legend::view(look, s.ui.legend, terms, panel.legend_extras(), &dispatch) }
                    </div>
                </div>
            </main>
            if !present {
                <Region open={s.analysis.open} height={s.analysis.height} dispatch={dispatch.clone()}>
                    { analysis_body.unwrap_or_default() }
                </Region>
                <aside class="side" aria-label="Side panel">
                    { side::view(&ctx, panel, look, s.ui.selected, s.ui.panes.tab, s.ui.protocol, &net) }
                    <section class="events" aria-label="Events">
                        { log::view(&s.log, &s.ui, &dispatch) }
                    </section>
                </aside>
            }
            <section class="time" aria-label="Time">
                { controls::view(&s.engine, s.ui.scenario_name.as_deref(), &dispatch) }
                { timeline::view(&s.engine, controls::network(&snap, s.leader(), &dispatch), &dispatch) }
            </section>
            <footer class="status" aria-label="Status">
                { status::view(&snap, pg.properties(), &s.ui, &s.log, &dispatch) }
            </footer>
            if s.ui.help { { help::view(look, &dispatch) } }
            { s.ui.share.as_ref().map(|link| help::share(link, &iframe_snippet(link, s.ui.scenario_name.as_deref()), &dispatch)).unwrap_or_default() }
            { s.ui.export.as_ref().map(|json| exchange::export(json, downloads.borrow().href(), &dispatch)).unwrap_or_default() }
            { s.ui.import.as_ref().map(|e| exchange::import(e.as_deref(), &pending_read, &dispatch)).unwrap_or_default() }
        </div>
    }
}
