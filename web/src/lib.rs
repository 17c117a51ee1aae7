//! # netsplit-web
//!
//! The playground page. Pure logic lives in modules tested natively ([`engine`], [`layout`],
//! [`keys`], [`partition`], [`timebar`]); the Yew view code ([`app`], [`components`]) and the canvas painter
//! ([`canvas`]) are thin layers over them.

#![deny(missing_docs)]

pub mod app;
pub mod canvas;
pub mod components;
pub mod engine;
pub mod frame_loop;
pub mod keys;
pub mod layout;
pub mod panic;
pub mod partition;
pub mod timebar;

/// Mount the app into the page's `#app` element (or `<body>`).
pub fn start() {
    panic::install();
    #[cfg(debug_assertions)]
    panic::install_debug_trigger();
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
