//! Printing that survives a closed pipe (`netsplit run | head` must not panic), and that a test
//! driving the CLI in-process can capture ([`capture`]).

use std::cell::RefCell;
use std::io::Write;

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Print one line to stdout (or into the capture of [`capture`]); if stdout is gone (e.g.
/// piped into `head`), exit quietly.
pub fn line(text: &str) {
    let captured = CAPTURE.with(|c| {
        c.borrow_mut().as_mut().map(|buf| {
            buf.push_str(text);
            buf.push('\n');
        })
    });
    if captured.is_some() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        std::process::exit(0);
    }
}

/// Run `f`, collecting what it prints on this thread instead of writing it to stdout.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, String) {
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
    let value = f();
    let text = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (value, text)
}

/// `println!` that exits quietly when stdout is closed.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::line(&format!($($arg)*))
    };
}
