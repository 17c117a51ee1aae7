//! Protocol-neutral view pieces. Each is a thin function from state to `Html`; every decision
//! lives in the model (`State::handle`) or a panel's pure functions, and everything that is
//! one protocol's own is drawn by its panel (`crate::panels`).
//!
//! Where things sit: the top bar; the stage (graph, explanation strip, legend) with the
//! analysis region under it ([`region`] frames [`analysis`], issue 13's panes); the side
//! panel's tabs ([`side`]: Node = [`inspector`], Clients, Settings, the protocol's own); the
//! time section (controls, timeline, event log); the status strip.

pub mod analysis;
pub mod banner;
pub mod challenge;
pub mod controls;
pub mod exchange;
pub mod explain;
pub mod form;
pub mod graph;
pub mod help;
pub mod icons;
pub mod inspector;
pub mod legend;
pub mod lists;
pub mod log;
pub mod region;
pub mod side;
pub mod splitter;
pub mod status;
pub mod tables;
pub mod timeline;
pub mod topbar;
pub mod tour;
