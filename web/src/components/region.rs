//! The analysis region's frame under the stage: a header that opens and closes it, a resize
//! handle (drag it, or focus it and use ↑/↓, PageUp/PageDown), and a body of the chosen height
//! that holds the analysis panes (`components::analysis::view`).

use crate::components::icons::{icon, Icon};
use crate::model::action::Action;
use crate::model::analysis::{AnalysisAction, MAX_HEIGHT, MIN_HEIGHT, STEP};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The frame's properties.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The body is shown.
    pub open: bool,
    /// The body's height (px).
    pub height: u32,
    /// Where actions go.
    pub dispatch: Callback<Action>,
    /// The body (drawn only while open).
    #[prop_or_default]
    pub children: Html,
}

/// Set the body's height through CSSOM (the strict CSP forbids inline style attributes).
fn set_height(el: &NodeRef, px: u32) {
    if let Some(el) = el.cast::<web_sys::HtmlElement>() {
        let _ = el.style().set_property("--analysis-h", &format!("{px}px"));
    }
}

/// What a key on the resize handle does (`None`: not ours).
pub fn resize_key(key: &str) -> Option<i32> {
    let step = STEP as i32;
    Some(match key {
        "ArrowUp" => step,
        "ArrowDown" => -step,
        "PageUp" => 4 * step,
        "PageDown" => -4 * step,
        "Home" => -(MAX_HEIGHT as i32),
        "End" => MAX_HEIGHT as i32,
        _ => return None,
    })
}

/// The frame.
#[function_component(Region)]
pub fn region(p: &Props) -> Html {
    let body = use_node_ref();
    // A drag in progress: (pointer y at the start, height at the start, height now).
    let drag = use_mut_ref(|| None::<(i32, u32, u32)>);
    {
        let (body, height, open) = (body.clone(), p.height, p.open);
        use_effect_with((open, height), move |_| {
            if open {
                set_height(&body, height);
            }
        });
    }
    let analysis = {
        let d = p.dispatch.clone();
        Callback::from(move |a: AnalysisAction| d.emit(Action::Analysis(a)))
    };
    let toggle = {
        let open = p.open;
        analysis.reform(move |_: MouseEvent| AnalysisAction::SetOpen(!open))
    };
    let on_key = {
        let analysis = analysis.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(by) = resize_key(&e.key()) {
                e.prevent_default();
                e.stop_propagation();
                analysis.emit(AnalysisAction::Resize(by));
            }
        })
    };
    let on_down = {
        let (drag, height) = (drag.clone(), p.height);
        Callback::from(move |e: PointerEvent| {
            if let Some(el) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            *drag.borrow_mut() = Some((e.client_y(), height, height));
        })
    };
    let on_move = {
        let (drag, body) = (drag.clone(), body.clone());
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            if let Some((y0, h0, _)) = *d {
                // The handle is on top: dragging up makes the body taller.
                let h = (i64::from(h0) + i64::from(y0 - e.client_y()))
                    .clamp(i64::from(MIN_HEIGHT), i64::from(MAX_HEIGHT))
                    as u32;
                *d = Some((y0, h0, h));
                set_height(&body, h);
            }
        })
    };
    let on_up = {
        let drag = drag.clone();
        let analysis = analysis.clone();
        Callback::from(move |_: PointerEvent| {
            if let Some((_, h0, h)) = drag.borrow_mut().take() {
                if h != h0 {
                    analysis.emit(AnalysisAction::SetHeight(h));
                }
            }
        })
    };
    html! {
        <section class={classes!("analysis", p.open.then_some("open"))} aria-label="Analysis">
            if p.open {
                <div class="an-resize" role="separator" aria-orientation="horizontal" tabindex="0"
                    aria-label="Resize the analysis region: up and down arrows"
                    aria-controls="analysis-body"
                    aria-valuemin={MIN_HEIGHT.to_string()} aria-valuemax={MAX_HEIGHT.to_string()}
                    aria-valuenow={p.height.to_string()}
                    onkeydown={on_key} onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up}>
                    <span class="grip" aria-hidden="true"></span>
                </div>
            }
            <h2 class="an-head">
                <button class="an-toggle" type="button" aria-expanded={p.open.to_string()}
                    aria-controls={p.open.then_some("analysis-body")} onclick={toggle}>
                    <span class={classes!("caret", (!p.open).then_some("closed"))}>{ icon(Icon::Caret) }</span>
                    {"Analysis"}
                    <span class="muted an-what">{"space-time diagram · logs · client history · charts"}</span>
                </button>
            </h2>
            if p.open {
                <div id="analysis-body" class="an-body" ref={body}>
                    { p.children.clone() }
                </div>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_keys_resize_by_steps() {
        assert_eq!(resize_key("ArrowUp"), Some(STEP as i32));
        assert_eq!(resize_key("PageDown"), Some(-4 * STEP as i32));
        assert!(resize_key("Home").unwrap() < 0);
        assert_eq!(resize_key("x"), None);
    }
}
