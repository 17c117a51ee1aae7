//! The space-time diagram pane: filter chips (nodes, message kinds), and the canvas with its
//! own animation loop. The loop repaints only when what the scene depends on changed (the
//! trace, the viewport, the now line moving by a pixel, hover, filters, theme, size), so a
//! paused page costs nothing and a playing one redraws only the visible window.
//!
//! Wheel or drag scrolls, Ctrl+wheel (or +/−) zooms around the pointer; on the focused canvas
//! ↑/↓, PageUp/PageDown, Home (start), End (follow now) and 0 (whole run). Hovering a message
//! highlights it on the graph and in the event log; clicking it seeks the timeline there.

use super::StateRef;
use crate::dom::diagram::{context, paint};
use crate::dom::frame_loop::FrameLoop;
use crate::model::action::Action;
use crate::model::analysis::index::Fate;
use crate::model::analysis::scene::{
    hit, scene, scene_with, time_label, Emphasis, Filters, Hit, Input, Lod, Scene, Style, Viewport,
};
use crate::model::analysis::svg::{svg, DARK, LIGHT};
use crate::model::analysis::AnalysisAction;
use crate::model::look::message;
use crate::model::state::State;
use crate::model::timebar::TimeAction;
use crate::model::tour::Spot;
use netsplit_core::{MsgId, NodeId};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Most arrows an SVG export draws one by one.
const EXPORT_ARROWS: usize = 20_000;

/// Everything a scene depends on: when it is unchanged, the canvas is not repainted.
#[derive(Clone, Debug, PartialEq)]
struct Key {
    len: usize,
    rewrites: u64,
    view: (u64, u64, u64, u64),
    now_px: i64,
    hover: Option<MsgId>,
    filters: Filters,
    selected: Option<NodeId>,
    spot: Option<Spot>,
    dark: bool,
    dpr: u64,
}

/// The canvas's own state (outside Yew: it changes every frame while scrolling).
struct View {
    viewport: Viewport,
    follow: bool,
    /// Pointer down: (y, t0 at the time, moved).
    drag: Option<(f64, f64, bool)>,
    scene: Option<Scene>,
    key: Option<Key>,
    dark: bool,
    prefs_checked: f64,
    /// The last SVG download's URL (kept until the next).
    download: Option<gloo::file::ObjectUrl>,
    /// The message under the pointer.
    hover: Option<MsgId>,
}

impl Default for View {
    fn default() -> View {
        View {
            viewport: Viewport::default(),
            follow: true,
            drag: None,
            scene: None,
            key: None,
            dark: false,
            prefs_checked: f64::NEG_INFINITY,
            download: None,
            hover: None,
        }
    }
}

/// A toolbar button's change to the view, given the end of the run and now.
type ViewFn = Rc<dyn Fn(&mut View, f64, f64)>;

/// What the canvas component needs.
#[derive(Properties, Clone)]
pub struct Props {
    /// The page state (read every frame).
    pub state: StateRef,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

impl PartialEq for Props {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.state, &other.state)
    }
}

fn media(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

fn nodes(s: &State) -> Vec<NodeId> {
    s.snapshot.nodes.iter().map(|n| n.id).collect()
}

fn selected(s: &State) -> Option<NodeId> {
    s.ui.selected
        .and_then(|i| s.snapshot.nodes.get(i))
        .map(|n| n.id)
}

/// What the tour's caption on screen points at (drawn on the lanes and arrows too).
fn spot(s: &State) -> Option<Spot> {
    s.tour.as_ref().and_then(|t| t.spot())
}

/// The end of what the diagram can show: now.
fn end_of(s: &State) -> f64 {
    s.engine.vt().max(1.0)
}

/// Build and paint the scene if anything it depends on changed. Returns whether it painted.
fn frame(
    state: &StateRef,
    view: &RefCell<View>,
    canvas: &web_sys::HtmlCanvasElement,
    wall: f64,
    status: Option<&web_sys::Element>,
) -> bool {
    let Ok(s) = state.try_borrow() else {
        return false;
    };
    let mut v = view.borrow_mut();
    let (w, h) = (
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    );
    if w < 1.0 || h < 1.0 {
        return false;
    }
    if wall - v.prefs_checked > 1000.0 {
        v.prefs_checked = wall;
        v.dark = media("(prefers-color-scheme: dark)");
    }
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let now = s.engine.vt();
    v.viewport.width = w;
    v.viewport.height = h;
    if v.follow {
        v.viewport.follow(now);
    } else {
        v.viewport.clamp(end_of(&s));
    }
    let vp = v.viewport;
    let key = Key {
        len: s.analysis.index.len(),
        rewrites: s.engine.rewrites(),
        view: (
            vp.t0.to_bits(),
            vp.scale.to_bits(),
            vp.width.to_bits(),
            vp.height.to_bits(),
        ),
        now_px: (now * vp.scale * 2.0).round() as i64,
        hover: s.ui.hover_msg,
        filters: s.analysis.filters.clone(),
        selected: selected(&s),
        spot: spot(&s),
        dark: v.dark,
        dpr: dpr.to_bits(),
    };
    if v.key.as_ref() == Some(&key) {
        return false;
    }
    let all = nodes(&s);
    let input = Input {
        index: &s.analysis.index,
        look: s.look(),
        nodes: &all,
        filters: &s.analysis.filters,
        now,
        hover: s.ui.hover_msg,
        selected: selected(&s),
        spot: key.spot.as_ref(),
    };
    let perf = web_sys::window().and_then(|w| w.performance());
    let started = perf.as_ref().map(web_sys::Performance::now);
    let sc = scene(&input, &vp);
    if let Some((ctx, _, _)) = context(canvas, dpr) {
        paint(&ctx, &sc, if v.dark { &DARK } else { &LIGHT }, dpr);
    }
    // What this repaint cost (scene + paint, ms): read by `cargo xtask bench`'s diagram section.
    if let (Some(perf), Some(started)) = (perf, started) {
        let _ = canvas.set_attribute("data-draw-ms", &format!("{:.3}", perf.now() - started));
    }
    // For tests and tools: what is drawn, and a message one can click — the midpoint of the
    // steepest delivered arrow that a pointer there would pick (where arrows cross, the hit
    // test may prefer another one).
    let mut candidates: Vec<_> = sc
        .arrows
        .iter()
        .filter(|a| a.style == Style::Delivered && a.points.len() == 2)
        .collect();
    candidates.sort_by(|a, b| {
        let dy =
            |x: &crate::model::analysis::scene::ArrowShape| (x.points[1].1 - x.points[0].1).abs();
        dy(b).total_cmp(&dy(a))
    });
    // Whole pixels (pointer events report them); best if a pixel away still picks it.
    let probe_of = |a: &&crate::model::analysis::scene::ArrowShape| {
        let (p, q) = (a.points[0], a.points[1]);
        let (x, y) = (((p.0 + q.0) / 2.0).round(), ((p.1 + q.1) / 2.0).round());
        let own = |dx: f64, dy: f64| matches!(hit(&sc, x + dx, y + dy), Some(Hit::Arrow { arrow, .. }) if arrow == a.arrow);
        let around = [-1.0, 0.0, 1.0];
        let steady = around
            .iter()
            .all(|dx| around.iter().all(|dy| own(*dx, *dy)));
        own(0.0, 0.0).then_some((steady, x, y, a.arrow))
    };
    let probes: Vec<_> = candidates.iter().filter_map(probe_of).collect();
    let probe = probes
        .iter()
        .find(|p| p.0)
        .or(probes.first())
        .map(|(_, x, y, index)| (*x, *y, *index))
        .map(|(x, y, index)| {
            let arrow = &s.analysis.index.arrows()[index as usize];
            format!("{x},{y},{},{},{}", arrow.sent, arrow.end, arrow.id.0)
        })
        .unwrap_or_default();
    let _ = canvas.set_attribute("data-probe", &probe);
    // The tour caption's highlight as drawn: spotted lanes, spotted and dimmed arrows.
    let spotted_lanes: Vec<String> = sc
        .lanes
        .iter()
        .filter(|l| l.spotted)
        .map(|l| l.node.to_string())
        .collect();
    let count = |e: Emphasis| sc.arrows.iter().filter(|a| a.emphasis == e).count();
    let _ = canvas.set_attribute(
        "data-spot",
        &format!(
            "lanes={} spotted={} dimmed={}",
            spotted_lanes.join(","),
            count(Emphasis::Spotted),
            count(Emphasis::Dimmed)
        ),
    );
    let _ = canvas.set_attribute(
        "data-messages",
        &s.analysis.index.arrows().len().to_string(),
    );
    let _ = canvas.set_attribute("data-entries", &s.analysis.index.len().to_string());
    let _ = canvas.set_attribute("data-protocol", s.engine.playground().protocol());
    let _ = canvas.set_attribute("data-theme", if v.dark { "dark" } else { "light" });
    let _ = canvas.set_attribute(
        "data-lod",
        if sc.lod == Lod::Arrows {
            "arrows"
        } else {
            "density"
        },
    );
    if let Some(status) = status {
        let text = format!(
            "{} messages · {} to {} · {} per 100 px{}",
            s.analysis.index.arrows().len(),
            time_label(vp.t0.max(0.0) as u64),
            time_label(vp.t1().min(now).max(0.0) as u64),
            time_label((100.0 / vp.scale).round().max(1.0) as u64),
            if v.follow { " · following now" } else { "" }
        );
        if status.text_content().as_deref() != Some(text.as_str()) {
            status.set_text_content(Some(&text));
        }
    }
    v.scene = Some(sc);
    v.key = Some(key);
    true
}

/// A tooltip's text for what is under the pointer.
fn describe(s: &State, hit: Hit) -> String {
    let pg = s.engine.playground();
    match hit {
        Hit::Tick(i) => pg
            .trace_line(i as usize)
            .map(|l| l.text)
            .unwrap_or_default(),
        Hit::Arrow { arrow, index, .. } => {
            let Some(a) = s.analysis.index.arrows().get(arrow as usize) else {
                return String::new();
            };
            let sent = pg
                .trace_line(index as usize)
                .map(|l| l.text)
                .unwrap_or_default();
            let meaning = message(s.look(), a.kind).meaning;
            let fate = match a.fate {
                Fate::Delivered => format!("delivered at t={}", a.end),
                Fate::Dropped(r) => format!("✗ dropped at t={}: {}", a.end, r.describe()),
                Fate::Open => match a.waited {
                    Some((w, _)) => format!("waiting since t={w}"),
                    None => format!("in flight, arrives t={}", a.due),
                },
            };
            let dup = if a.duplicate {
                " (a duplicate made by the network)"
            } else {
                ""
            };
            let meaning = if meaning.is_empty() {
                String::new()
            } else {
                format!("\n{meaning}")
            };
            format!("{sent}{dup}\n{fate}{meaning}\nclick: go to this moment")
        }
    }
}

/// Where a click on `hit` at height `y` seeks to.
fn seek_time(s: &State, hit: Hit, vp: &Viewport, y: f64) -> Option<u64> {
    match hit {
        Hit::Tick(i) => s
            .engine
            .playground()
            .trace_item(i as usize)
            .map(|(at, _)| at.0),
        Hit::Arrow { arrow, .. } => {
            let a = s.analysis.index.arrows().get(arrow as usize)?;
            let end = a.until(s.engine.playground().now().0);
            let t = vp.t_at(y).round().max(0.0) as u64;
            Some(t.clamp(a.sent, end.max(a.sent)))
        }
    }
}

/// The diagram canvas with its toolbar.
#[function_component(DiagramCanvas)]
pub fn diagram_canvas(p: &Props) -> Html {
    let canvas_ref = use_node_ref();
    let status_ref = use_node_ref();
    let view = use_mut_ref(View::default);
    let tip = use_state(|| None::<(f64, f64, String)>);
    let update = use_force_update();

    // The paint loop.
    {
        let (state, view, canvas_ref, status_ref) = (
            p.state.clone(),
            view.clone(),
            canvas_ref.clone(),
            status_ref.clone(),
        );
        use_effect_with((), move |_| {
            let frames = FrameLoop::start(move |wall| {
                if let Some(canvas) = canvas_ref.cast::<web_sys::HtmlCanvasElement>() {
                    let status = status_ref.cast::<web_sys::Element>();
                    frame(&state, &view, &canvas, wall, status.as_ref());
                }
            });
            move || drop(frames)
        });
    }

    // Wheel: scroll, or zoom with Ctrl/⌘ (a listener that may prevent the page scrolling).
    {
        let (state, view, canvas_ref, update) = (
            p.state.clone(),
            view.clone(),
            canvas_ref.clone(),
            update.clone(),
        );
        use_effect_with((), move |_| {
            let listener = canvas_ref
                .cast::<web_sys::HtmlCanvasElement>()
                .map(|target| {
                    let options = gloo::events::EventListenerOptions::enable_prevent_default();
                    gloo::events::EventListener::new_with_options(
                        &target,
                        "wheel",
                        options,
                        move |e| {
                            let Some(e) = e.dyn_ref::<web_sys::WheelEvent>() else {
                                return;
                            };
                            e.prevent_default();
                            let Ok(s) = state.try_borrow() else { return };
                            let end = end_of(&s);
                            let mut v = view.borrow_mut();
                            let was = v.follow;
                            let dy = match e.delta_mode() {
                                1 => e.delta_y() * 16.0,
                                2 => e.delta_y() * v.viewport.height,
                                _ => e.delta_y(),
                            };
                            if e.ctrl_key() || e.meta_key() {
                                let y = f64::from(e.offset_y());
                                v.viewport.zoom((-dy * 0.002).exp(), y, end);
                                if v.follow {
                                    v.viewport.follow(s.engine.vt());
                                }
                            } else {
                                v.follow = false;
                                v.viewport.pan(dy, end);
                            }
                            if was != v.follow {
                                drop(v);
                                update.force_update();
                            }
                        },
                    )
                });
            move || drop(listener)
        });
    }

    let act = {
        let (state, view, update) = (p.state.clone(), view.clone(), update.clone());
        move |f: ViewFn| {
            let (state, view, update) = (state.clone(), view.clone(), update.clone());
            Callback::from(move |_: MouseEvent| {
                if let Ok(s) = state.try_borrow() {
                    f(&mut view.borrow_mut(), end_of(&s), s.engine.vt());
                }
                update.force_update();
            })
        }
    };
    let follow = act(Rc::new(|v: &mut View, _, now| {
        v.follow = true;
        v.viewport.follow(now);
    }));
    let zoom_in = act(Rc::new(|v: &mut View, end, _| {
        let y = v.viewport.height / 2.0;
        v.viewport.zoom(1.6, y, end);
    }));
    let zoom_out = act(Rc::new(|v: &mut View, end, _| {
        let y = v.viewport.height / 2.0;
        v.viewport.zoom(1.0 / 1.6, y, end);
    }));
    let whole = act(Rc::new(|v: &mut View, end, _| {
        v.follow = false;
        v.viewport.fit(end);
    }));

    let export = |whole_run: bool| {
        let (state, view) = (p.state.clone(), view.clone());
        Callback::from(move |_: MouseEvent| {
            let Ok(s) = state.try_borrow() else { return };
            let mut v = view.borrow_mut();
            let mut vp = v.viewport;
            if whole_run {
                let end = end_of(&s);
                vp.width = vp.width.max(900.0);
                vp.height = (end * 0.08).clamp(600.0, 16_000.0);
                vp.fit(end);
            }
            let all = nodes(&s);
            let spot = spot(&s);
            let input = Input {
                index: &s.analysis.index,
                look: s.look(),
                nodes: &all,
                filters: &s.analysis.filters,
                now: s.engine.vt(),
                hover: None,
                selected: None,
                spot: spot.as_ref(),
            };
            let sc = scene_with(&input, &vp, if whole_run { EXPORT_ARROWS } else { 2_500 });
            let title = format!(
                "netsplit {} seed {}: space-time diagram, {} to {}",
                s.ui.protocol,
                s.ui.seed,
                time_label(vp.t0.max(0.0) as u64),
                time_label(vp.t1().min(s.engine.vt()) as u64)
            );
            let text = svg(&sc, if v.dark { &DARK } else { &LIGHT }, &title);
            let name = format!(
                "netsplit-{}-seed{}-{}.svg",
                s.ui.protocol,
                s.ui.seed,
                if whole_run { "run" } else { "window" }
            );
            v.download = crate::dom::effects::download(&name, "image/svg+xml", &text);
        })
    };

    // Pointer: drag to scroll, hover to highlight, click to seek.
    let onpointerdown = {
        let view = view.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            let mut v = view.borrow_mut();
            v.drag = Some((f64::from(e.offset_y()), v.viewport.t0, false));
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = t.set_pointer_capture(e.pointer_id());
            }
        })
    };
    let onpointermove = {
        let (state, view, tip, dispatch, update) = (
            p.state.clone(),
            view.clone(),
            tip.clone(),
            p.dispatch.clone(),
            update.clone(),
        );
        Callback::from(move |e: PointerEvent| {
            let (x, y) = (f64::from(e.offset_x()), f64::from(e.offset_y()));
            let Ok(s) = state.try_borrow() else { return };
            let mut v = view.borrow_mut();
            if let Some((y0, t0, moved)) = v.drag {
                if moved || (y - y0).abs() > 4.0 {
                    let was = v.follow;
                    v.follow = false;
                    v.viewport.t0 = t0;
                    let end = end_of(&s);
                    v.viewport.pan(y0 - y, end);
                    v.drag = Some((y0, t0, true));
                    if was {
                        drop(v);
                        update.force_update();
                    }
                    return;
                }
            }
            let found = v.scene.as_ref().and_then(|sc| hit(sc, x, y));
            let msg = match found {
                Some(Hit::Arrow { id, .. }) => Some(id),
                _ => None,
            };
            let text = found.map(|h| describe(&s, h)).or_else(|| {
                v.scene.as_ref().and_then(|sc| {
                    sc.shades
                        .iter()
                        .find(|sh| x >= sh.x && x <= sh.x + sh.w && y >= sh.y && y <= sh.y + sh.h)
                        .map(|sh| sh.title.clone())
                })
            });
            if msg != v.hover {
                v.hover = msg;
                drop(v);
                drop(s);
                dispatch.emit(Action::Analysis(AnalysisAction::Hover(msg)));
            }
            let next = text.map(|t| (x, y, t));
            if tip.as_ref().map(|t| &t.2) != next.as_ref().map(|t| &t.2) {
                tip.set(next);
            }
        })
    };
    let onpointerup = {
        let (state, view, dispatch) = (p.state.clone(), view.clone(), p.dispatch.clone());
        Callback::from(move |e: PointerEvent| {
            let (x, y) = (f64::from(e.offset_x()), f64::from(e.offset_y()));
            let mut v = view.borrow_mut();
            let Some((_, _, moved)) = v.drag.take() else {
                return;
            };
            if moved {
                return;
            }
            let target = {
                let Ok(s) = state.try_borrow() else { return };
                let vp = v.viewport;
                v.scene
                    .as_ref()
                    .and_then(|sc| hit(sc, x, y))
                    .and_then(|h| seek_time(&s, h, &vp, y))
            };
            if let Some(t) = target {
                // Stay where we are: the picture should not jump under the pointer.
                v.follow = false;
                drop(v);
                dispatch.emit(Action::Time(TimeAction::Seek(t)));
            }
        })
    };
    let onpointerleave = {
        let (view, tip, dispatch) = (view.clone(), tip.clone(), p.dispatch.clone());
        Callback::from(move |_: PointerEvent| {
            let mut v = view.borrow_mut();
            v.drag = None;
            if v.hover.take().is_some() {
                drop(v);
                dispatch.emit(Action::Analysis(AnalysisAction::Hover(None)));
            }
            tip.set(None);
        })
    };
    let onkeydown = {
        let (state, view, update) = (p.state.clone(), view.clone(), update.clone());
        Callback::from(move |e: KeyboardEvent| {
            let Ok(s) = state.try_borrow() else { return };
            let end = end_of(&s);
            let mut v = view.borrow_mut();
            let page = v.viewport.height * 0.8;
            let mid = v.viewport.height / 2.0;
            let before = v.follow;
            match e.key().as_str() {
                "ArrowUp" => {
                    v.follow = false;
                    v.viewport.pan(-page / 8.0, end);
                }
                "ArrowDown" => {
                    v.follow = false;
                    v.viewport.pan(page / 8.0, end);
                }
                "PageUp" => {
                    v.follow = false;
                    v.viewport.pan(-page, end);
                }
                "PageDown" => {
                    v.follow = false;
                    v.viewport.pan(page, end);
                }
                "Home" => {
                    v.follow = false;
                    v.viewport.t0 = 0.0;
                }
                "End" => {
                    v.follow = true;
                    v.viewport.follow(s.engine.vt());
                }
                "+" | "=" => v.viewport.zoom(1.6, mid, end),
                "-" | "_" => v.viewport.zoom(1.0 / 1.6, mid, end),
                "0" => {
                    v.follow = false;
                    v.viewport.fit(end);
                }
                _ => return,
            }
            e.prevent_default();
            e.stop_propagation();
            if before != v.follow {
                drop(v);
                update.force_update();
            }
        })
    };

    // The tooltip is placed through the CSSOM (the page's CSP forbids style attributes).
    let tip_ref = use_node_ref();
    {
        let tip_ref = tip_ref.clone();
        let at = tip.as_ref().map(|(x, y, _)| ((*x as i64), (*y as i64)));
        use_effect_with(at, move |at| {
            if let (Some((x, y)), Some(el)) = (at, tip_ref.cast::<web_sys::HtmlElement>()) {
                let style = el.style();
                let _ = style.set_property("left", &format!("{}px", x + 14));
                let _ = style.set_property("top", &format!("{}px", y + 14));
            }
        });
    }
    let following = view.borrow().follow;
    let tooltip = tip.as_ref().map(|(_, _, text)| {
        html! { <div class="st-tip" role="tooltip" ref={tip_ref.clone()}>{text.clone()}</div> }
    });
    html! {
        <div class="st">
            <div class="st-tools" role="toolbar" aria-label="Diagram view">
                <button class="btn small" aria-pressed={following.to_string()} onclick={follow}
                    title="Keep the now line in view (End)">{"⤓ Follow now"}</button>
                <button class="btn small" onclick={zoom_in} aria-label="Zoom in" title="Zoom in (+, Ctrl+wheel)">{"+"}</button>
                <button class="btn small" onclick={zoom_out} aria-label="Zoom out" title="Zoom out (−)">{"−"}</button>
                <button class="btn small" onclick={whole} title="Fit the whole run (0)">{"Whole run"}</button>
                <span class="spacer"></span>
                <button class="btn small" onclick={export(false)} title="Download what is on screen as SVG">{"SVG: view"}</button>
                <button class="btn small" onclick={export(true)} title="Download the whole run as SVG">{"SVG: whole run"}</button>
            </div>
            <div class="st-wrap">
                <canvas ref={canvas_ref} class="st-canvas" tabindex="0" role="img"
                    aria-label="Space-time diagram: one lane per node, virtual time flowing down; arrows are messages"
                    aria-describedby="st-keys st-status"
                    {onpointerdown} {onpointermove} {onpointerup} {onpointerleave} {onkeydown} />
                { tooltip.unwrap_or_default() }
            </div>
            <p class="st-status" id="st-status" ref={status_ref} aria-live="off"></p>
            <p class="visually-hidden" id="st-keys">{"Keys on the diagram: up and down arrows and Page Up/Down scroll, plus and minus zoom, Home goes to the start, End follows now, 0 fits the whole run. Hover a message to highlight it on the graph and in the event log; click it to go to that moment."}</p>
        </div>
    }
}

/// The diagram pane's body: filters, then the canvas.
pub fn body(s: &State, shared: &StateRef, dispatch: &Callback<Action>) -> Html {
    let f = &s.analysis.filters;
    let node_chips: Html = s
        .snapshot
        .nodes
        .iter()
        .map(|n| {
            let id = n.id;
            let on = !f.nodes.contains(&id);
            let onclick = dispatch.reform(move |_| Action::Analysis(AnalysisAction::ToggleNode(id)));
            html! {
                <button class={classes!("chip", on.then_some("on"))} aria-pressed={on.to_string()} {onclick}>
                    {if on { "✓ " } else { "" }}{id.to_string()}
                </button>
            }
        })
        .collect();
    let mut kinds: Vec<&'static str> = s.look().messages.iter().map(|m| m.kind).collect();
    kinds.dedup();
    let kind_chips: Html = kinds
        .into_iter()
        .map(|k| {
            let on = !f.kinds.contains(k);
            let look = message(s.look(), k);
            let onclick = dispatch.reform(move |_| Action::Analysis(AnalysisAction::ToggleKind(k)));
            html! {
                <button class={classes!("chip", on.then_some("on"))} aria-pressed={on.to_string()} {onclick} title={look.meaning}>
                    {if on { "✓ " } else { "" }}{k}
                </button>
            }
        })
        .collect();
    let reset = dispatch.reform(|_| Action::Analysis(AnalysisAction::ShowAll));
    html! {
        <>
            <details class="st-filters">
                <summary>{"Filters"}{if f == &Filters::default() { "" } else { " (some hidden)" }}</summary>
                <div class="chips" role="group" aria-label="Lanes shown">{node_chips}</div>
                <div class="chips" role="group" aria-label="Message kinds shown">{kind_chips}</div>
                <button class="btn small" onclick={reset}>{"Show all"}</button>
            </details>
            <DiagramCanvas state={shared.clone()} dispatch={dispatch.clone()} />
        </>
    }
}
