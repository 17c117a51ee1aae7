//! # netsplit-web
//!
//! The playground page, in four layers:
//!
//! - [`model`]: the page model — actions, the reducer, the engine, the timeline bar's logic,
//!   layout, the one form style. Pure Rust, tested natively (`cargo test -p netsplit-web`).
//! - [`dom`]: the browser glue — frame loop, canvas painter, keyboard listener, panic hook,
//!   address bar, downloads, clipboard.
//! - [`components`]: protocol-neutral view pieces — graph, inspector frame, controls,
//!   timeline, log, status strip, legend, top bar, dialogs, form fields.
//! - [`panels`]: one module per protocol behind one `Panel` trait, reading typed state.
//!
//! [`app`] wires them together.

#![deny(missing_docs)]

pub mod app;
pub mod components;
pub mod dom;
pub mod model;
pub mod panels;

/// Mount the app into the page's `#app` element (or `<body>`).
pub fn start() {
    dom::panic::install();
    #[cfg(debug_assertions)]
    dom::panic::install_debug_trigger();
    let root = gloo::utils::document().get_element_by_id("app");
    match root {
        Some(el) => {
            yew::Renderer::<app::App>::with_root(el).render();
        }
        None => {
            yew::Renderer::<app::App>::new().render();
        }
    }
}
