//! The single error type of the xtask binary, carrying the process exit code.

use std::fmt;

/// Exit code for bad command-line usage and for failed tool installations.
pub const EXIT_SETUP: i32 = 2;

/// A fatal error: printed to stderr, then the process exits with [`Error::code`].
#[derive(Debug)]
pub struct Error {
    /// Process exit code to use.
    pub code: i32,
    /// Human-readable explanation (one or more lines).
    pub message: String,
    /// Whether the usage text should be printed after the message.
    pub show_usage: bool,
}

impl Error {
    /// A command-line usage error (unknown subcommand, bad flag, ...).
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            code: EXIT_SETUP,
            message: message.into(),
            show_usage: true,
        }
    }

    /// A failure while ensuring or installing a tool.
    pub fn setup(message: impl Into<String>) -> Self {
        Error {
            code: EXIT_SETUP,
            message: message.into(),
            show_usage: false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;
