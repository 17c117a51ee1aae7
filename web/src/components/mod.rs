//! View pieces of the page. Each is a thin function from state to `Html`; every decision lives
//! in `Shared::handle` in [`crate::app`] or in the pure modules.

pub mod commit;
pub mod controls;
pub mod exchange;
pub mod graph;
pub mod help;
pub mod inspector;
pub mod kv;
pub mod lists;
pub mod log;
pub mod menu;
pub mod raft_panel;
pub mod status;
pub mod tables;
pub mod timeline;
pub mod topbar;
