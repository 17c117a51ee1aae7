//! The timeline under the graph: a time slider (drag, arrows, Home/End), step back, the
//! schedule's marks (select, drag, arrows, Delete), the branch switcher and manual mode's list
//! of possible next events. Logic lives in [`crate::timebar`] and the engine.

use crate::components::icons;
use crate::dom::events::blur_target;
use crate::dom::events::value_of;
use crate::model::action::Action;
use crate::model::engine::Engine;
use crate::model::timebar::{self, fan, mark_key, mark_style, percent, pick_rows, seconds};
use crate::model::timebar::{slider_key, PickRow, TimeAction};
use netsplit_core::run::timeline::BranchInfo;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Manual mode lists at most this many rows.
const PICK_ROWS: usize = 40;
/// While playing, the bar shows time to this resolution (ms), so it re-renders a few times
/// per second at most instead of with every DOM update of the page.
const PLAYING_RESOLUTION_MS: u64 = 100;

/// One mark as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Time (ms).
    pub at: u64,
    /// What it does, in words.
    pub label: String,
    /// Glyph.
    pub glyph: &'static str,
    /// Colour family (CSS class).
    pub class: &'static str,
}

/// What the bar shows (plain data, so the bar re-renders only when it changes).
#[derive(Properties, Clone)]
pub struct Props {
    /// Time shown (ms).
    pub now: u64,
    /// End of the timeline (ms).
    pub end: u64,
    /// The schedule.
    pub marks: Vec<Mark>,
    /// Mark selected for editing.
    pub selected: Option<usize>,
    /// Every branch.
    pub branches: Vec<BranchInfo>,
    /// Manual mode's rows and how many were left out (`None`: auto mode).
    pub picks: Option<(Vec<PickRow>, usize)>,
    /// Showing a past moment (acting forks).
    pub in_past: bool,
    /// Time flows (the bar shows tenths of a second).
    pub playing: bool,
    /// Where actions go.
    pub dispatch: Callback<Action>,
    /// Other tools shown on the bar's second row (the network controls).
    pub tools: Html,
}

/// Everything but `dispatch`: the page makes a new callback each render, but every one of them
/// does the same (they share the page's state), so a new one alone is no reason to re-render.
impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        (
            self.now,
            self.end,
            self.selected,
            self.in_past,
            self.playing,
        ) == (o.now, o.end, o.selected, o.in_past, o.playing)
            && self.marks == o.marks
            && self.branches == o.branches
            && self.picks == o.picks
            && self.tools == o.tools
    }
}

/// The bar for the engine's current state.
pub fn view(engine: &Engine, tools: Html, dispatch: &Callback<Action>) -> Html {
    let marks = engine
        .marks()
        .iter()
        .map(|a| {
            let (glyph, class) = mark_style(&a.control);
            Mark {
                at: a.at.0,
                label: a.control.to_string(),
                glyph,
                class,
            }
        })
        .collect();
    let (mut now, mut end) = (engine.playground().now().0, engine.end().0);
    if engine.playing() {
        now -= now % PLAYING_RESOLUTION_MS;
        end -= end % PLAYING_RESOLUTION_MS;
    }
    let props = Props {
        now,
        end,
        marks,
        selected: engine.selected_mark(),
        branches: engine.branches(),
        picks: engine.picks().map(|p| pick_rows(p, PICK_ROWS)),
        in_past: engine.timeline().in_past(),
        playing: engine.playing(),
        dispatch: dispatch.clone(),
        tools,
    };
    html! { <TimelineBar ..props /> }
}

/// The time under a pointer event on the track.
fn pointer_time(e: &PointerEvent, track: &NodeRef, end: u64) -> Option<u64> {
    let el = track.cast::<web_sys::Element>()?;
    let rect = el.get_bounding_client_rect();
    Some(timebar::time_at(
        f64::from(e.client_x()),
        rect.left(),
        rect.width(),
        end,
    ))
}

/// The timeline bar.
#[function_component(TimelineBar)]
pub fn timeline_bar(p: &Props) -> Html {
    let track = use_node_ref();
    // A mark being dragged: (index, preview time).
    let drag = use_state(|| None::<(usize, u64)>);
    // The click that ends a drag must not select the mark's old index.
    let dragged = use_mut_ref(|| false);
    let time = {
        let d = p.dispatch.clone();
        Callback::from(move |a: TimeAction| d.emit(Action::Time(a)))
    };
    let end = p.end.max(p.now).max(1);

    let on_input = time.reform(|e: InputEvent| TimeAction::Seek(value_of(&e).parse().unwrap_or(0)));
    let on_slider_key = {
        let time = time.clone();
        let (now, end) = (p.now, p.end);
        Callback::from(move |e: KeyboardEvent| {
            if let Some(a) = slider_key(&e.key(), e.shift_key(), now, end) {
                e.prevent_default();
                e.stop_propagation();
                time.emit(a);
            }
        })
    };
    let on_back = time.reform(|_| TimeAction::StepBack);
    let on_branch = time.reform(|e: Event| {
        blur_target(&e);
        TimeAction::Switch(value_of(&e).parse().unwrap_or(0))
    });
    let manual = p.picks.is_some();
    let on_manual = time.reform(move |_: Event| TimeAction::SetManual(!manual));

    // Marks closer than a mark's width fan out sideways (in pixels of the track as last
    // drawn), so every one stays visible and clickable.
    let width = track
        .cast::<web_sys::Element>()
        .map(|el| el.get_bounding_client_rect().width())
        .filter(|w| *w > 0.0)
        .unwrap_or(600.0);
    let shifts = fan(
        &p.marks
            .iter()
            .map(|m| percent(m.at, end) / 100.0 * width)
            .collect::<Vec<_>>(),
        width,
        22.0,
    );
    let marks = p.marks.iter().enumerate().map(|(i, m)| {
        let at = match *drag {
            Some((d, preview)) if d == i => preview,
            _ => m.at,
        };
        let shift = format!("translate({:.1},0)", shifts.get(i).copied().unwrap_or(0.0));
        let selected = p.selected == Some(i);
        let on_click = {
            let time = time.clone();
            let dragged = dragged.clone();
            Callback::from(move |_: MouseEvent| {
                if !std::mem::take(&mut *dragged.borrow_mut()) {
                    time.emit(TimeAction::SelectMark(Some(i)));
                }
            })
        };
        let on_key = {
            let time = time.clone();
            Callback::from(move |e: KeyboardEvent| {
                if let Some(a) = mark_key(&e.key(), e.shift_key(), i) {
                    e.prevent_default();
                    e.stop_propagation();
                    time.emit(a);
                }
            })
        };
        let on_down = {
            let drag = drag.clone();
            let at = m.at;
            Callback::from(move |e: PointerEvent| {
                if let Some(el) = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = el.set_pointer_capture(e.pointer_id());
                }
                drag.set(Some((i, at)));
            })
        };
        let on_move = {
            let drag = drag.clone();
            let track = track.clone();
            Callback::from(move |e: PointerEvent| {
                if let (Some((d, _)), Some(t)) = (*drag, pointer_time(&e, &track, end)) {
                    if d == i {
                        drag.set(Some((i, t)));
                    }
                }
            })
        };
        let on_up = {
            let drag = drag.clone();
            let dragged = dragged.clone();
            let time = time.clone();
            let orig = m.at;
            Callback::from(move |_: PointerEvent| {
                if let Some((d, t)) = *drag {
                    drag.set(None);
                    // A click without movement only selects (onclick does that).
                    if d == i && t != orig {
                        *dragged.borrow_mut() = true;
                        time.emit(TimeAction::MoveMark { index: i, to: t });
                    }
                }
            })
        };
        let label = format!(
            "{} at {} — arrows move it, Delete removes it",
            m.label,
            seconds(m.at)
        );
        // Positioned with a percentage `x` on a nested <svg>: the strict CSP forbids inline
        // style attributes, SVG geometry attributes are fine.
        html! {
            <svg key={i} x={format!("{:.3}%", percent(at, end))} y="0" overflow="visible"
                class={classes!("tl-mark", m.class, selected.then_some("selected"))}
                role="button" tabindex="0" aria-label={label.clone()}
                aria-pressed={selected.to_string()} data-at={m.at.to_string()}
                onclick={on_click} onkeydown={on_key}
                onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up}>
                <title>{label}</title>
                <g transform={shift}>
                    <rect x="-10" y="1" width="20" height="18" rx="5" />
                    { match icons::for_glyph(m.glyph) {
                        Some(icon) => icons::glyph(icon, 0.0, 10.0, 12.0),
                        None => html! { <text x="0" y="14.5" text-anchor="middle">{m.glyph}</text> },
                    } }
                </g>
                if shifts.get(i).is_some_and(|s| s.abs() > 0.5) {
                    // A tick at the mark's true time, joined to the fanned-out mark.
                    <line class="tl-leader" x1="0" y1="19" x2={format!("{:.1}", shifts[i])} y2="19" />
                }
            </svg>
        }
    });

    let editor = p
        .selected
        .and_then(|i| p.marks.get(i).map(|m| (i, m)))
        .map(|(i, m)| {
            let nudge = |by: i64| time.reform(move |_| TimeAction::NudgeMark { index: i, by });
            let on_remove = time.reform(move |_| TimeAction::RemoveMark(i));
            let on_done = time.reform(|_| TimeAction::SelectMark(None));
            html! {
                <div class="tl-edit" role="group" aria-label="Edit the selected action">
                    <span class={classes!("tl-glyph", m.class)} aria-hidden="true">
                        { icons::for_glyph(m.glyph).map_or_else(|| html! { {m.glyph} }, icons::icon) }
                    </span>
                    <span class="tl-edit-what">{format!("{} at {}", m.label, seconds(m.at))}</span>
                    <button class="btn" onclick={nudge(-1000)}>{"−1 s"}</button>
                    <button class="btn" onclick={nudge(-100)}>{"−100 ms"}</button>
                    <button class="btn" onclick={nudge(100)}>{"+100 ms"}</button>
                    <button class="btn" onclick={nudge(1000)}>{"+1 s"}</button>
                    <button class="btn danger" onclick={on_remove}>{"Remove"}</button>
                    <button class="btn" onclick={on_done}>{"Done"}</button>
                </div>
            }
        });

    let picks = p.picks.as_ref().map(|(rows, hidden)| {
        let items = rows.iter().enumerate().map(|(k, row)| {
            let buttons = row.choices.iter().map(|(verb, control)| {
                let c = control.clone();
                let on = p.dispatch.reform(move |_| Action::Control(c.clone()));
                let label = format!("{verb} {}", row.what);
                html! {
                    <button class={classes!("btn", "pick", *verb)} onclick={on}
                        aria-label={label}>{*verb}</button>
                }
            });
            html! {
                <li key={k}>
                    <span class="due">{format!("t={}", row.due)}</span>
                    <span class="what">{row.what.clone()}</span>
                    <span class="verbs">{ for buttons }</span>
                </li>
            }
        });
        html! {
            <div class="tl-picks" role="region" aria-label="Manual mode: possible next events">
                if rows.is_empty() {
                    <p>{"Nothing can happen next."}</p>
                } else {
                    <ol>{ for items }</ol>
                }
                if *hidden > 0 {
                    <p class="more">{format!("… and {hidden} more (soonest first)")}</p>
                }
            </div>
        }
    });

    let branches = p.branches.iter().map(|b| {
        let text = match b.forked_from {
            None => format!("{} · main · to {}", b.number, seconds(b.end.0)),
            Some((from, at)) => format!(
                "{} · from {from} at {} · to {}",
                b.number,
                seconds(at.0),
                seconds(b.end.0)
            ),
        };
        html! { <option value={b.index.to_string()} selected={b.current}>{text}</option> }
    });

    html! {
        <div class="timeline" role="group" aria-label="Timeline">
            <div class="tl-bar">
                <button class="btn" onclick={on_back} aria-keyshortcuts=","
                    title="Back one event (,)" aria-label="Step back one event (,)">{"|◂ Back"}</button>
                <div class="tl-track">
                    // Inset like the slider's thumb travel, so a mark sits above its time.
                    <div class="tl-markbox" ref={track.clone()}>
                        <svg class="tl-marks" width="100%" height="22" role="group"
                            aria-label="Scheduled actions">
                            { for marks }
                        </svg>
                    </div>
                    <input type="range" class="tl-slider" min="0" max={end.to_string()} step="1"
                        value={p.now.to_string()} oninput={on_input} onkeydown={on_slider_key}
                        aria-label="Virtual time: drag, arrows (Shift: 1 s), Home, End"
                        aria-valuetext={format!("{} of {}", seconds(p.now), seconds(p.end))} />
                </div>
                <span class="tl-time">{
                    if p.playing {
                        format!("{:.1} s / {:.1} s", p.now as f64 / 1000.0, p.end as f64 / 1000.0)
                    } else {
                        format!("{} / {}", seconds(p.now), seconds(p.end))
                    }
                }</span>
            </div>
            <div class="tl-tools">
                <label class="tl-branch">
                    <span>{"Branch"}</span>
                    <select onchange={on_branch} aria-label="Branch">{ for branches }</select>
                </label>
                <label class="tl-manual">
                    <input type="checkbox" checked={manual} onchange={on_manual} />
                    <span>{"Manual: pick the next event"}</span>
                </label>
                { p.tools.clone() }
                if p.in_past {
                    <span class="tl-past">{"⟲ in the past: acting here starts a new branch"}</span>
                }
                { editor.unwrap_or_default() }
            </div>
            { picks.unwrap_or_default() }
        </div>
    }
}
