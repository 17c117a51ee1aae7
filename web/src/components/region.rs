//! The analysis region's frame under the stage: a header that opens and closes it, a resize
//! handle (`components::splitter`: drag it, or focus it and use ↑/↓, PageUp/PageDown), and a body of the chosen height
//! that holds the analysis panes (`components::analysis::view`).

use crate::components::icons::{icon, Icon};
use crate::components::splitter::{set_var, Axis, Range, Splitter};
use crate::model::action::Action;
use crate::model::analysis::{AnalysisAction, MAX_HEIGHT, MIN_HEIGHT, STEP};
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

/// The height handle's range.
const HEIGHT: Range = Range {
    min: MIN_HEIGHT,
    max: MAX_HEIGHT,
    step: STEP,
};

/// The frame.
#[function_component(Region)]
pub fn region(p: &Props) -> Html {
    let body = use_node_ref();
    {
        let (body, height, open) = (body.clone(), p.height, p.open);
        use_effect_with((open, height), move |_| {
            if open {
                set_var(&body, "--analysis-h", &format!("{height}px"));
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
    let preview = {
        let body = body.clone();
        Callback::from(move |h: u32| set_var(&body, "--analysis-h", &format!("{h}px")))
    };
    let commit = analysis.reform(AnalysisAction::SetHeight);
    html! {
        <section class={classes!("analysis", p.open.then_some("open"))} aria-label="Analysis">
            if p.open {
                <Splitter axis={Axis::Height} value={p.height} range={HEIGHT} class="an-resize"
                    label="Resize the analysis region: up and down arrows" controls="analysis-body"
                    on_preview={preview} on_commit={commit} />
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
