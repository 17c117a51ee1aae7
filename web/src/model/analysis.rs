//! The analysis region's own state slot (issue 13: space-time diagram, log matrix, client
//! history, charts). The page owns the region's frame — whether it is open and how tall it is
//! ([`AnalysisUi::open`], [`AnalysisUi::height`]) — and hands everything else to the region:
//! add fields to [`AnalysisUi`] and variants to [`AnalysisAction`], and handle them in
//! [`AnalysisUi::handle`]. The reducer routes every `Action::Analysis` here and nowhere else, and
//! the state outlives session changes (protocol, seed, scenario), like the other UI preferences.
//!
//! The drawing side of the contract is in `crate::components::analysis`.

use crate::model::engine::Engine;

/// Smallest height of the open region's body (px).
pub const MIN_HEIGHT: u32 = 120;
/// Largest height of the open region's body (px).
pub const MAX_HEIGHT: u32 = 900;
/// Height of the open region's body on a fresh page (px).
pub const DEFAULT_HEIGHT: u32 = 240;
/// One keyboard step of the resize handle (px).
pub const STEP: u32 = 24;

/// What the analysis region keeps between renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalysisUi {
    /// The region is open (its body is drawn). Closed, it is one header line.
    pub open: bool,
    /// Height of the open body, in CSS pixels ([`MIN_HEIGHT`]..=[`MAX_HEIGHT`]; the page may
    /// draw it smaller when the window is short).
    pub height: u32,
}

impl Default for AnalysisUi {
    fn default() -> Self {
        AnalysisUi {
            open: false,
            height: DEFAULT_HEIGHT,
        }
    }
}

/// What the analysis region can ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnalysisAction {
    /// Open or close the region.
    SetOpen(bool),
    /// Make the body this tall (px, clamped).
    Resize(u32),
    /// Make the body taller (positive) or shorter by this many px.
    ResizeBy(i32),
}

impl AnalysisUi {
    /// Carry out `action`. `engine` is the running session (seek it, read its playground);
    /// the answer is a sentence for the status strip, if any.
    pub fn handle(&mut self, action: AnalysisAction, engine: &mut Engine) -> Option<String> {
        let _ = engine;
        match action {
            AnalysisAction::SetOpen(open) => self.open = open,
            AnalysisAction::Resize(h) => self.height = h.clamp(MIN_HEIGHT, MAX_HEIGHT),
            AnalysisAction::ResizeBy(by) => {
                let h = i64::from(self.height) + i64::from(by);
                self.height = h.clamp(i64::from(MIN_HEIGHT), i64::from(MAX_HEIGHT)) as u32;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::Scenario;

    #[test]
    fn the_frame_opens_and_resizes_within_bounds() {
        let mut e = Engine::new(&Scenario::new(netsplit_core::protocols::raft::ID, 7), false)
            .expect("a valid scenario");
        let mut a = AnalysisUi::default();
        assert!(!a.open);
        a.handle(AnalysisAction::SetOpen(true), &mut e);
        assert!(a.open);
        a.handle(AnalysisAction::ResizeBy(-10_000), &mut e);
        assert_eq!(a.height, MIN_HEIGHT);
        a.handle(AnalysisAction::ResizeBy(STEP as i32), &mut e);
        assert_eq!(a.height, MIN_HEIGHT + STEP);
        a.handle(AnalysisAction::Resize(5_000), &mut e);
        assert_eq!(a.height, MAX_HEIGHT);
    }
}
