//! The caption panel of a narrated tour (in place of the explanation strip): the caption's
//! text rendered from core's typed markdown spans (text nodes only, never HTML), what it
//! points at, each claim met ✓ or unmet ✗ with its reason, Prev / Replay / Next and "step k of
//! n", "Try it yourself"; and the caption editor. The caption is announced politely to screen
//! readers. Everything it shows comes from `model::touring`.

use crate::components::icons::{icon, Icon};
use crate::dom::events::value_of;
use crate::model::action::Action;
use crate::model::touring::{claims_summary, StepView, Tour, TourAction};
use netsplit_core::run::tour::markdown::{plain, Span};
use yew::prelude::*;

/// The spans as elements: emphasis, strong, code and links hold text nodes only.
pub fn spans(list: &[Span]) -> Html {
    list.iter()
        .map(|s| match s {
            Span::Text { text } => html! { {text.clone()} },
            Span::Emphasis { text } => html! { <em>{text.clone()}</em> },
            Span::Strong { text } => html! { <strong>{text.clone()}</strong> },
            Span::Code { text } => html! { <code>{text.clone()}</code> },
            Span::Link { text, url } => html! {
                <a href={url.clone()} target="_blank" rel="noopener noreferrer">{text.clone()}</a>
            },
            Span::Break => html! { <br /> },
        })
        .collect()
}

fn checks(step: &StepView) -> Html {
    if step.checks.is_empty() {
        return html! {};
    }
    let items: Html = step
        .checks
        .iter()
        .map(|c| {
            let (mark, word) = if c.met { ("✓", "met") } else { ("✗", "not met") };
            html! {
                <li class={classes!("tour-check", if c.met { "met" } else { "unmet" })} data-met={c.met.to_string()}>
                    <span class="tour-check-mark" aria-hidden="true">{mark}</span>
                    <span class="visually-hidden">{format!("{word}: ")}</span>
                    <span class="tour-check-reason">{c.reason.clone()}</span>
                </li>
            }
        })
        .collect();
    let met = step.checks.iter().filter(|c| c.met).count();
    html! {
        <div class="tour-checks">
            <p class="tour-checks-head">{format!("Checked against the run: {}", claims_summary(met, step.checks.len()))}</p>
            <ul>{items}</ul>
        </div>
    }
}

fn nav(tour: &Tour, dispatch: &Callback<Action>) -> Html {
    let act = |a: TourAction| dispatch.reform(move |_| Action::Tour(a.clone()));
    let k = tour.nav.current();
    let first = k.is_none_or(|k| k == 0);
    let last = k.is_some_and(|k| k + 1 >= tour.nav.len());
    let onward = last && tour.chapter.as_ref().is_some_and(|c| c.has_next());
    html! {
        <div class="tour-nav" role="group" aria-label="Tour steps">
            <button type="button" class="btn tour-prev" disabled={first} onclick={act(TourAction::Prev)}
                title="Previous step (←)">{"◀ Prev"}</button>
            <button type="button" class="btn tour-replay" disabled={k.is_none()} onclick={act(TourAction::Replay)}
                title="Play this step again" aria-label="Replay this step">{"↻ Replay"}</button>
            if onward {
                <button type="button" class="btn primary tour-next-scenario" onclick={act(TourAction::NextScenario)}
                    title="The chapter's next scenario">{"Next scenario ▶"}</button>
            } else {
                <button type="button" class="btn primary tour-next" disabled={last} onclick={act(TourAction::Next)}
                    title="Next step (→)">{"Next ▶"}</button>
            }
        </div>
    }
}

fn editor(tour: &Tour, dispatch: &Callback<Action>) -> Html {
    let current = tour.nav.current();
    let rows: Html = tour
        .captions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let oninput = dispatch.reform(move |e: InputEvent| {
                Action::Tour(TourAction::Text {
                    index: i,
                    text: value_of(&e),
                })
            });
            let when = match (c.at, tour.nav.time(i)) {
                (Some(at), _) => format!("t={} ms", at.0),
                (None, Some(t)) => format!("after an event (t={t} ms)"),
                (None, None) => "after an event (not reached)".to_string(),
            };
            let id = format!("caption-text-{i}");
            let n = tour.captions.len();
            html! {
                <li class={classes!("cap-row", (current == Some(i)).then_some("current"))} data-caption={i.to_string()}>
                    <label for={id.clone()} class="cap-when">{format!("{}. {when}", i + 1)}</label>
                    <textarea id={id} class="cap-text" rows="2" maxlength="2000" value={c.text.clone()} {oninput} />
                    <div class="cap-tools" role="group" aria-label={format!("Caption {}", i + 1)}>
                        <button type="button" class="btn small cap-up" disabled={i == 0}
                            onclick={dispatch.reform(move |_| Action::Tour(TourAction::MoveUp(i)))}
                            aria-label={format!("Move caption {} up", i + 1)}>{"↑"}</button>
                        <button type="button" class="btn small cap-down" disabled={i + 1 >= n}
                            onclick={dispatch.reform(move |_| Action::Tour(TourAction::MoveDown(i)))}
                            aria-label={format!("Move caption {} down", i + 1)}>{"↓"}</button>
                        <button type="button" class="btn small cap-delete"
                            onclick={dispatch.reform(move |_| Action::Tour(TourAction::Delete(i)))}
                            aria-label={format!("Delete caption {}", i + 1)}>{"Delete"}</button>
                    </div>
                </li>
            }
        })
        .collect();
    html! {
        <section class="cap-editor" aria-label="Caption editor">
            <h3>{"Captions"}</h3>
            <p class="muted">{"Markdown: *emphasis*, **strong**, `code`, [text](https://…). Captions travel with Export and Share."}</p>
            if let Some(p) = &tour.problem {
                <p class="field-error cap-problem" role="alert">{p.clone()}</p>
            }
            <ol class="cap-list">{rows}</ol>
            <button type="button" class="btn cap-add" onclick={dispatch.reform(|_| Action::Tour(TourAction::Add))}>
                {"+ Add a caption at this moment"}
            </button>
        </section>
    }
}

/// The panel.
pub fn view(tour: &Tour, dispatch: &Callback<Action>) -> Html {
    let step = tour.step();
    let try_it = dispatch.reform(|_| Action::Tour(TourAction::TryIt));
    let close = dispatch.reform(|_| Action::Tour(TourAction::Close));
    let edit = dispatch.reform(|_| Action::Tour(TourAction::ToggleEditor));
    let title = if tour.title.is_empty() {
        "Your narrated scenario".to_string()
    } else {
        tour.title.clone()
    };
    let body = match &step {
        Some(s) => {
            let spot = s.spot.describe();
            let when = s.at.map_or_else(
                || "never reached in this run".to_string(),
                |t| format!("t={:.3} s", t as f64 / 1000.0),
            );
            html! {
                <>
                    <p class="visually-hidden">{format!("At {when}.")}</p>
                    // The caption, announced when it changes (its plain text, once).
                    <div class="tour-caption" aria-live="polite" aria-atomic="true"
                        data-step={s.index.to_string()} data-text={plain(&s.spans)}>
                        { spans(&s.spans) }
                    </div>
                    if !spot.is_empty() {
                        <p class="tour-spot">
                            <span class="tour-spot-mark" aria-hidden="true">{"◌"}</span>
                            {format!("Look at: {spot}")}
                        </p>
                    }
                    { checks(s) }
                </>
            }
        }
        None if tour.nav.is_empty() => html! {
            <p class="tour-caption muted" aria-live="polite">{"No captions yet: add one at the moment on screen."}</p>
        },
        None => html! {
            <p class="tour-caption muted" aria-live="polite">{"Press Next (or →) for the first step."}</p>
        },
    };
    html! {
        <section class="tour" aria-label="Tour" data-steps={tour.nav.len().to_string()}>
            if let Some(c) = &tour.chapter {
                <p class="tour-chapter">{format!("Chapter: {} · ", c.title)}<span class="tour-chapter-at">{format!("scenario {} of {}", c.index + 1, c.len)}</span></p>
            }
            <header class="tour-head">
                <span class="tour-title">{ icon(Icon::Play) }{title}</span>
                <span class="tour-where">
                    <span class="tour-progress" data-current={tour.nav.current().map(|k| k.to_string()).unwrap_or_default()}>
                        {tour.nav.progress()}
                    </span>
                    if let Some(t) = step.as_ref().and_then(|s| s.at) {
                        <span class="tour-when mono" aria-hidden="true">{format!(" · t={:.3} s", t as f64 / 1000.0)}</span>
                    }
                </span>
                <span class="tour-tools">
                    <button type="button" class={classes!("btn", "small", "tour-edit", tour.editing.then_some("on"))} onclick={edit}
                        aria-pressed={tour.editing.to_string()}>{ icon(Icon::Pen) }{"Edit captions"}</button>
                    <button type="button" class="btn small tour-close" onclick={close}>{"Close tour"}</button>
                </span>
            </header>
            {body}
            // Always in reach, even when a long caption scrolls.
            <div class="tour-foot">
                { nav(tour, dispatch) }
                <button type="button" class="btn tour-try" onclick={try_it}
                    title="Leave the story here: every control works; Back (u) returns to this step">{"Try it yourself"}</button>
            </div>
            if tour.editing { { editor(tour, dispatch) } }
        </section>
    }
}
