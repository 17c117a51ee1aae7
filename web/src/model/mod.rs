//! The page model: pure Rust, no DOM, tested natively (`cargo test -p netsplit-web`).
//!
//! - [`action`]: what the user can ask for, what the browser is asked to do in return.
//! - [`state`]: the page's state (engine, snapshot, log, UI) and when to render.
//! - [`reducer`]: `State::handle`, the one place where actions change the state.
//! - [`analysis`]: seeing a whole run — the space-time diagram, the log matrix, the client
//!   history with its verdict, metrics over time.
//! - [`form`]: the one form style every panel uses (values and errors in the model).
//! - [`engine`]: wall-clock frames in, virtual time out; the timeline.
//! - [`timebar`]: the timeline bar's logic; [`layout`]: where nodes and messages are drawn;
//!   [`keys`]: the keyboard shortcuts; [`partition`]: "split the network" presets;
//!   [`look`]: a protocol's `Look` as colours, glyphs and legend lines.
//! - [`challenge`]: challenges checked live, with progress kept.
//! - [`tour`]: the tour player's steps and highlights; [`touring`]: a tour on the page
//!   (captions, verdicts, editor) and its actions.
//! - [`embed`]: the embed page and its JavaScript API's logic; [`progress`]: challenge
//!   progress behind a storage trait.

pub mod action;
pub mod analysis;
pub mod challenge;
pub mod embed;
pub mod engine;
pub mod explain;
pub mod form;
pub mod keys;
pub mod layout;
pub mod look;
pub mod panes;
pub mod partition;
pub mod progress;
pub mod reducer;
pub mod setup;
pub mod state;
pub mod timebar;
pub mod tour;
pub mod touring;
pub mod words;

/// `n` and a regular noun agreeing with it: `1 violation`, `2 violations`, `0 checks`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod touring_tests;
