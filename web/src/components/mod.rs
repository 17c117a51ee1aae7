//! Protocol-neutral view pieces. Each is a thin function from state to `Html`; every decision
//! lives in the model (`State::handle`) or a panel's pure functions, and everything that is
//! one protocol's own is drawn by its panel (`crate::panels`).

pub mod analysis;
pub mod controls;
pub mod exchange;
pub mod form;
pub mod graph;
pub mod help;
pub mod inspector;
pub mod legend;
pub mod lists;
pub mod log;
pub mod status;
pub mod tables;
pub mod timeline;
pub mod topbar;
