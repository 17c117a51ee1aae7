//! Printing that survives a closed pipe (`netsplit run | head` must not panic).

use std::io::Write;

/// Print one line to stdout; if stdout is gone (e.g. piped into `head`), exit quietly.
pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        std::process::exit(0);
    }
}

/// `println!` that exits quietly when stdout is closed.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::line(&format!($($arg)*))
    };
}
