//! Playback controls (play/pause, step, speed, the clock) and the network controls (the
//! partition presets, heal all), which the timeline bar shows next to its own tools.

use crate::components::icons::{icon, Icon};
use crate::dom::events::{blur_target, picked, value_of};
use crate::model::action::Action;
use crate::model::engine::{speed_label, step_for_speed, Engine, SPEED_STEPS};
use crate::model::partition::{presets, Preset};
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::{Control, NodeId};
use yew::prelude::*;

/// The control bar.
pub fn view(engine: &Engine, scenario: Option<&str>, dispatch: &Callback<Action>) -> Html {
    let playing = engine.playing();
    let on_play = dispatch.reform(|_| Action::TogglePlay);
    let on_step = dispatch.reform(|_| Action::Step);
    let on_speed =
        dispatch.reform(|e: InputEvent| Action::SpeedStep(value_of(&e).parse().unwrap_or(0)));
    let speed = engine.speed();
    let seconds = engine.vt() / 1000.0;
    html! {
        <div class="controls" role="toolbar" aria-label="Playback">
            <button class="btn primary play" onclick={on_play} aria-keyshortcuts="Space"
                aria-label={if playing { "Pause (Space)" } else { "Play (Space)" }}>
                { icon(if playing { Icon::Pause } else { Icon::Play }) }
                {if playing { "Pause" } else { "Play" }}
            </button>
            <button class="btn" onclick={on_step} aria-keyshortcuts="." title="Process the next event (.)">
                {"Step ▸|"}
            </button>
            <label class="speed">
                <span>{"Speed"}</span>
                <input type="range" min="0" max={SPEED_STEPS.to_string()} step="1"
                    value={step_for_speed(speed).to_string()} oninput={on_speed}
                    aria-label="Simulation speed (logarithmic)" aria-valuetext={speed_label(speed)} />
                <output>{speed_label(speed)}</output>
            </label>
            <span class="clock" aria-label="Virtual time"
                data-fingerprint={(!playing).then(|| format!("{:016x}", engine.fingerprint()))}>
                {format!("t = {seconds:.3} s")}
            </span>
            if let Some(name) = scenario {
                <span class="scenario-name" title="Running a scenario from the gallery">{name}</span>
            }
            if engine.behind() {
                <span class="behind" role="status">{"⚠ can't keep up at this speed"}</span>
            }
        </div>
    }
}

/// The network controls: "Split network…" presets for this cluster and leader, and Heal all.
pub fn network(snap: &Snapshot, leader: Option<NodeId>, dispatch: &Callback<Action>) -> Html {
    let options: Vec<Preset> = presets(snap.servers(), leader);
    let on_preset = {
        let dispatch = dispatch.clone();
        let options = options.clone();
        Callback::from(move |e: Event| {
            let chosen = picked(&e);
            blur_target(&e);
            if let Some(p) = chosen.and_then(|i| options.get(i)) {
                dispatch.emit(Action::Control(p.control.clone()));
            }
        })
    };
    let on_heal = dispatch.reform(|_| Action::Control(Control::HealAll));
    html! {
        <span class="net-controls" role="group" aria-label="Network">
            <label class="split">
                <span class="visually-hidden">{"Split the network"}</span>
                <select onchange={on_preset} aria-label="Split the network into groups">
                    <option value="" selected=true>{"Split network…"}</option>
                    { for options.iter().map(|p| html! { <option>{p.label.clone()}</option> }) }
                </select>
            </label>
            <button class="btn" onclick={on_heal} aria-keyshortcuts="h">{"Heal all"}<kbd>{"h"}</kbd></button>
        </span>
    }
}
