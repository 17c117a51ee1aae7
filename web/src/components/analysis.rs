//! The analysis region's content (issue 13: a live space-time diagram, every server's log side
//! by side, the client history with its verdict, metrics over time). **A stub for now**: it says
//! what will be here.
//!
//! # The contract
//!
//! The page draws the region's frame (`components::region`): a header with the open/close
//! button, a resize handle, and a body of the height the user chose, which scrolls on its own
//! if its content is taller. Inside the body it makes **one call**, [`view`], every render
//! while the region is open (never while it is closed), and puts whatever comes back there.
//! Change this file and `model::analysis` freely; nothing else has to change:
//!
//! - [`AnalysisCtx`] is everything [`view`] gets: the current [`Snapshot`], the [`Engine`]
//!   (its playground for the typed trace and state — downcast with
//!   `crate::panels::session::<M>` — its timeline, marks, `vt()` for smooth motion), the
//!   protocol's `Look` and panel, the selected node, the region's own state slot
//!   ([`AnalysisUi`]) and `dispatch`.
//! - Actions: `Action::Analysis(AnalysisAction::…)` for the region's own state (add variants
//!   in `model::analysis` and handle them in `AnalysisUi::handle`, which may seek the engine),
//!   `Action::Time(TimeAction::Seek(ms))` to jump the timeline, `Action::Select(Some(i))` to
//!   select a node (by its position in the snapshot).
//! - Per-frame drawing: make a function component with its own `<canvas>` and `NodeRef` here;
//!   the page re-renders at most every 100 ms while playing (at once on role, link or violation
//!   changes), so anything smoother than that belongs on a canvas driven by a
//!   `use_effect`/animation frame of the component's own.
//! - Room: the body is at least `model::analysis::MIN_HEIGHT` px tall, as wide as the stage
//!   (the whole width at phone size); presentation mode hides the region.
//! - Style: classes prefixed `an-` in `web/style.css` (a section is reserved there). The
//!   strict CSP forbids inline `style` attributes; set sizes through SVG attributes or CSSOM
//!   (`HtmlElement::style().set_property`), as the frame does for its height.

use crate::model::action::Action;
use crate::model::analysis::AnalysisUi;
use crate::model::engine::Engine;
use crate::panels::Panel;
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::run::registry::Look;
use yew::prelude::*;

/// Everything the analysis region draws from.
pub struct AnalysisCtx<'a> {
    /// The current instant, protocol-neutral.
    pub snap: &'a Snapshot,
    /// The running session and its timeline.
    pub engine: &'a Engine,
    /// How the protocol is drawn (roles, message kinds and colours).
    pub look: &'a Look,
    /// The protocol's panel (typed state access lives in `crate::panels`).
    pub panel: &'a dyn Panel,
    /// The selected node, by its position in the snapshot.
    pub selected: Option<usize>,
    /// The region's own state.
    pub ui: &'a AnalysisUi,
    /// Where actions go.
    pub dispatch: &'a Callback<Action>,
}

/// The region's body.
pub fn view(ctx: &AnalysisCtx<'_>) -> Html {
    let _ = (ctx.snap, ctx.engine, ctx.look, ctx.selected, ctx.ui);
    html! {
        <div class="an-placeholder">
            <p><b>{"Coming here:"}</b>{" a live space-time diagram (one lane per node, messages as arrows, linked to the graph and the timeline), every server's log side by side, the clients' history with the linearizability verdict, and charts of latency, availability and messages per operation."}</p>
        </div>
    }
}
