//! Keyboard shortcuts: one table used by the key handler and the help overlay.

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Play or pause.
    TogglePlay,
    /// Process one event.
    Step,
    /// Go back one event.
    StepBack,
    /// Halve-ish the speed (one slider step down… several).
    Slower,
    /// Speed up.
    Faster,
    /// Select node `i` (0-based).
    Select(usize),
    /// Crash the selected node, or restart it if crashed.
    CrashOrRestart,
    /// Pause the selected node, or resume it.
    PauseOrResume,
    /// Force the selected node's election timeout.
    Timeout,
    /// Heal every link.
    HealAll,
    /// Make a share link of this moment.
    Share,
    /// Show or hide the shortcuts.
    Help,
    /// Presentation mode on or off.
    Present,
    /// Back to the session that the last protocol, seed, node or scenario change put aside.
    Back,
    /// Close overlays / clear selection.
    Escape,
    /// In a tour: the previous step (←).
    TourPrev,
    /// In a tour: the next step (→).
    TourNext,
}

/// The shortcut table: key label, description, command (for `1`–`9` the command is for `1`).
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "play / pause"),
    (".", "process one event"),
    (",", "go back one event"),
    (
        "← → Home End",
        "on the timeline: move in time (Shift: 1 s steps)",
    ),
    ("← → Delete", "on a timeline mark: move it / remove it"),
    ("← →", "in a tour: previous / next step"),
    ("[ / ]", "slower / faster"),
    ("1 – 9", "select node n1 … n9"),
    ("c", "crash / restart the selected node"),
    ("p", "pause / resume the selected node"),
    (
        "t",
        "force the selected node's timeout (an election timer, say)",
    ),
    ("h", "heal every link"),
    (
        "f",
        "presentation mode: a large graph for a projector (again: back)",
    ),
    (
        "u",
        "back to the session a protocol, seed, node or scenario change put aside",
    ),
    ("s", "share a link to this exact moment"),
    ("?", "show / hide this help"),
    ("Esc", "close help, clear the selection"),
];

/// Map a `KeyboardEvent.key` value to a command.
pub fn command_for(key: &str) -> Option<Command> {
    Some(match key {
        " " | "Spacebar" => Command::TogglePlay,
        "." => Command::Step,
        "," => Command::StepBack,
        "[" => Command::Slower,
        "]" => Command::Faster,
        "c" | "C" => Command::CrashOrRestart,
        "p" | "P" => Command::PauseOrResume,
        "t" | "T" => Command::Timeout,
        "h" | "H" => Command::HealAll,
        "s" | "S" => Command::Share,
        "f" | "F" => Command::Present,
        "u" | "U" => Command::Back,
        "?" => Command::Help,
        "Escape" => Command::Escape,
        "ArrowLeft" => Command::TourPrev,
        "ArrowRight" => Command::TourNext,
        k if k.len() == 1 => {
            let d = k.chars().next()?.to_digit(10)?;
            if d == 0 {
                return None;
            }
            Command::Select(d as usize - 1)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_commands() {
        assert_eq!(command_for(" "), Some(Command::TogglePlay));
        assert_eq!(command_for("."), Some(Command::Step));
        assert_eq!(command_for(","), Some(Command::StepBack));
        assert_eq!(command_for("3"), Some(Command::Select(2)));
        assert_eq!(command_for("9"), Some(Command::Select(8)));
        assert_eq!(command_for("0"), None);
        assert_eq!(command_for("C"), Some(Command::CrashOrRestart));
        assert_eq!(command_for("x"), None);
        assert_eq!(command_for("Enter"), None);
        assert_eq!(command_for("?"), Some(Command::Help));
        assert_eq!(command_for("f"), Some(Command::Present));
        assert_eq!(command_for("u"), Some(Command::Back));
        assert_eq!(command_for("ArrowRight"), Some(Command::TourNext));
    }
}
