//! Browser glue: everything that touches the DOM or browser APIs, kept thin so the model stays
//! pure.
//!
//! - [`frame_loop`]: a `requestAnimationFrame` loop; [`canvas`]: the per-frame painter;
//!   [`diagram`]: paints the space-time diagram's scene.
//! - [`keys`]: the document-wide keyboard listener; [`events`]: reading form events.
//! - [`effects`]: carrying out the reducer's [`crate::model::action::DomEffect`]s (address bar,
//!   downloads, clipboard) and reading the address.
//! - [`embed`]: the embed's JavaScript API (`window.netsplit`); [`storage`]: local storage
//!   that never throws.
//! - [`panic`]: the panic hook's error panel; `debug` (debug builds only): test hooks.

pub mod canvas;
#[cfg(debug_assertions)]
pub mod debug;
pub mod diagram;
pub mod effects;
pub mod embed;
pub mod events;
pub mod frame_loop;
pub mod keys;
pub mod panic;
pub mod storage;
