//! What the user can ask for ([`Action`]) and what the reducer asks the browser to do in return
//! ([`DomEffect`]): both plain data, so the reducer is a pure function tested natively.

use crate::model::analysis::AnalysisAction;
use crate::model::challenge::ChallengeAction;
use crate::model::embed::EmbedCall;
use crate::model::keys::Command;
use crate::model::panes::Tab;
use crate::model::timebar::TimeAction;
use crate::model::touring::TourAction;
use netsplit_core::kernel::trace::Category;
use netsplit_core::Control;

/// Everything the user can ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Play or pause.
    TogglePlay,
    /// Process one event.
    Step,
    /// Time travel: seek, step back, branches, schedule edits, manual mode.
    Time(TimeAction),
    /// Set the speed slider position.
    SpeedStep(u32),
    /// Nudge the speed slider.
    SpeedNudge(i32),
    /// Select a node (or none), by its position in the snapshot.
    Select(Option<usize>),
    /// A keyboard shortcut (the reducer knows what is selected).
    Key(Command),
    /// Apply a fault or repair.
    Control(Control),
    /// Crash or restart node `i`.
    CrashOrRestart(usize),
    /// Pause or resume node `i`.
    PauseOrResume(usize),
    /// Force node `i`'s timeout.
    Timeout(usize),
    /// A link was clicked (shift = one-way).
    LinkClicked {
        /// One end.
        a: usize,
        /// Other end.
        b: usize,
        /// One direction only.
        one_way: bool,
    },
    /// Show or hide the shortcut help.
    ToggleHelp,
    /// The legend was opened (`true`) or closed.
    Legend(bool),
    /// Close the topmost overlay, or clear the selection.
    Escape,
    /// Show or hide a category in the event log.
    ToggleCategory(Category),
    /// Start over with the default scenario of another protocol (a registry id).
    SwitchProtocol(String),
    /// Start over with this protocol, cluster size and seed.
    Restart {
        /// Protocol (a registry id or alias).
        protocol: String,
        /// Servers.
        nodes: usize,
        /// Seed.
        seed: u64,
    },
    /// Start over with a fresh seed.
    NewSeed,
    /// Tell the user about a mistake (e.g. a seed that is not a number).
    Notice(String),
    /// Make a share link of the current moment (pauses) and show it.
    Share,
    /// Copy the share link on display.
    CopyShareLink,
    /// Close the share dialog.
    CloseShare,
    /// Load a scenario from the built-in gallery.
    OpenGallery(String),
    /// Show the session as a scenario file.
    Export,
    /// Show the import dialog.
    ShowImport,
    /// Open this scenario text (pasted or read from a file).
    ImportText(String),
    /// Importing failed before parsing (file too big or unreadable).
    ImportFailed(String),
    /// Close the export/import dialogs.
    CloseDialogs,
    /// The URL fragment changed (a link was pasted into this tab).
    OpenFragment(String),
    /// Jump to the first violation: pause, select its node, highlight its log line.
    JumpToViolation,
    /// A form field changed.
    Field {
        /// The form (a panel's form id).
        form: &'static str,
        /// The field.
        field: String,
        /// Its new text.
        value: String,
        /// A menu or checkbox choice rather than typing: it can change what the other fields
        /// mean (a put's value against a cas's old and new), so every error of the last
        /// submission goes, not only this field's.
        choice: bool,
    },
    /// A form was submitted.
    Submit(&'static str),
    /// Open a tab of the side panel.
    Tab(Tab),
    /// Presentation mode on or off.
    TogglePresent,
    /// Open or close the event log.
    ToggleLog,
    /// Something for the analysis region (see `model::analysis`).
    Analysis(AnalysisAction),
    /// Go back to the session put aside at this index of `State::previous`.
    GoBack(usize),
    /// Close the banners under the top bar (a link that could not be opened, a session put
    /// aside).
    Dismiss,
    /// A call of the embed's JavaScript API.
    Embed(EmbedCall),
    /// Copy the `<iframe>` snippet of the share dialog.
    CopyEmbedSnippet,
    /// Something for the tour player or the caption editor.
    Tour(TourAction),
    /// Something for the challenge panel.
    Challenge(ChallengeAction),
    /// Open a chapter (a registry id): its first scenario's tour.
    OpenChapter(String),
}

/// What the reducer asks the browser to do (performed by `dom::effects`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomEffect {
    /// Put this fragment (without `#`) in the address bar, without a new history entry.
    SetFragment(String),
    /// Make this scenario JSON downloadable (the export dialog's Download link).
    OfferDownload {
        /// The scenario file's text.
        json: String,
    },
    /// Put this text on the clipboard.
    CopyToClipboard(String),
    /// Download this text as a file.
    Download {
        /// File name.
        name: String,
        /// MIME type.
        mime: &'static str,
        /// Contents.
        text: String,
    },
}

/// A line for the status strip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What to say.
    pub text: String,
    /// Whether it reports a mistake or a refusal (drawn as an alert).
    pub error: bool,
}

impl Notice {
    /// Something that went fine.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: false,
        }
    }

    /// Something that went wrong.
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: true,
        }
    }
}
