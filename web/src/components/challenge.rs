//! The challenge panel (in the explanation strip's place): the goal, "not yet" with each
//! check's reason or "done ✓", the time limit, the hint, Show solution / Start over / Close,
//! and how many challenges are solved (kept in local storage; a note if it cannot be).

use crate::components::tour::spans;
use crate::model::action::Action;
use crate::model::challenge::{ChallengeAction, ChallengeRun};
use netsplit_core::run::registry::Registry;
use yew::prelude::*;

/// The panel; `solved` challenges of the registry's are done, `warning` says why progress is
/// not saved (if it is not).
pub fn view(
    run: &ChallengeRun,
    now: u64,
    (solved, warning): (usize, Option<&str>),
    dispatch: &Callback<Action>,
) -> Html {
    let act = |a: ChallengeAction| dispatch.reform(move |_| Action::Challenge(a.clone()));
    let total = Registry::builtin().challenges().count();
    let status = match run.done {
        Some((at, by_solution)) => {
            let who = if by_solution {
                " (by the solution)"
            } else {
                ""
            };
            html! {
                <p class="ch-status done" role="status" data-done="true">
                    {format!("done ✓ at t={:.3} s{who}", at as f64 / 1000.0)}
                </p>
            }
        }
        None if now >= run.limit() => html! {
            <p class="ch-status late" role="status" data-done="false">
                <span aria-hidden="true">{"⏱ "}</span>{"time is up: not reached. Start over, or show the solution."}
            </p>
        },
        None => html! {
            <p class="ch-status notyet" role="status" data-done="false">
                <span aria-hidden="true">{"○ "}</span>{"not yet"}
            </p>
        },
    };
    let checks: Html = run
        .verdicts()
        .iter()
        .map(|v| {
            let (mark, word) = if v.met {
                ("✓", "holds")
            } else {
                ("✗", "not yet")
            };
            html! {
                <li class={classes!("tour-check", if v.met { "met" } else { "unmet" })}>
                    <span class="tour-check-mark" aria-hidden="true">{mark}</span>
                    <span class="visually-hidden">{format!("{word}: ")}</span>
                    <span class="tour-check-reason">{v.reason.clone()}</span>
                </li>
            }
        })
        .collect();
    html! {
        <section class="challenge tour" aria-label="Challenge" data-challenge={run.id.clone()}>
            <header class="tour-head">
                <span class="tour-title">{format!("Challenge: {}", run.title)}</span>
                <span class="tour-progress">{format!("{solved} of {total} solved")}</span>
            </header>
            <p class="tour-caption ch-goal">{ spans(&run.goal) }</p>
            {status}
            <p class="tour-when mono">{format!("time limit t={:.1} s · now t={:.3} s", run.limit() as f64 / 1000.0, now as f64 / 1000.0)}</p>
            <div class="tour-checks"><ul>{checks}</ul></div>
            if !run.hint.is_empty() {
                <details class="ch-hint"><summary>{"Hint"}</summary><p>{run.hint.clone()}</p></details>
            }
            if let Some(w) = warning {
                <p class="ch-warning muted" role="note">{w.to_string()}</p>
            }
            <div class="tour-nav">
                <button type="button" class="btn ch-solution" onclick={act(ChallengeAction::Solution)}>{"Show solution"}</button>
                <button type="button" class="btn ch-restart" onclick={act(ChallengeAction::Restart)}>{"Start over"}</button>
                <button type="button" class="btn ch-close" onclick={act(ChallengeAction::Close)}>{"Close"}</button>
            </div>
        </section>
    }
}
