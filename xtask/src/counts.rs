//! Parsing test-runner output into pass/fail counts.
//!
//! * libtest and `wasm-bindgen-test-runner` print one line per test binary:
//!   `test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...`
//! * `node --test` ends with a summary, either TAP style (`# pass 3`, `# fail 0`) or, with the
//!   spec reporter, `ℹ pass 3` / `ℹ fail 0`.

use std::ops::AddAssign;

/// Number of passed and failed tests (or steps).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Passed tests.
    pub passed: u64,
    /// Failed tests.
    pub failed: u64,
}

impl Counts {
    /// Shorthand constructor.
    pub const fn new(passed: u64, failed: u64) -> Self {
        Counts { passed, failed }
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, rhs: Counts) {
        self.passed += rhs.passed;
        self.failed += rhs.failed;
    }
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`, `ESC ( x` and two-byte `ESC x`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates, then one final byte in '@'..='~'.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // Character set designation (`ESC ( B`): one more byte.
            Some('(' | ')' | '*' | '+') => {
                chars.next();
            }
            // Any other two-byte escape.
            Some(_) | None => {}
        }
    }
    out
}

/// Sums all `test result:` lines (libtest / wasm-bindgen-test-runner format).
/// Returns `None` if no such line was found.
pub fn parse_cargo_test(output: &str) -> Option<Counts> {
    let mut total: Option<Counts> = None;
    for line in strip_ansi(output).lines() {
        if let Some(counts) = parse_test_result_line(line) {
            *total.get_or_insert_with(Counts::default) += counts;
        }
    }
    total
}

/// Parses one `test result: ok. X passed; Y failed; ...` line.
fn parse_test_result_line(line: &str) -> Option<Counts> {
    let (_, rest) = line.split_once("test result: ")?;
    let mut passed = None;
    let mut failed = None;
    for segment in rest.split(';') {
        // The first segment is `ok. X passed` / `FAILED. X passed`.
        let segment = segment.rsplit(". ").next().unwrap_or(segment);
        let mut words = segment.split_whitespace();
        let (Some(number), Some(label)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        match label {
            "passed" => passed = Some(number),
            "failed" => failed = Some(number),
            _ => {}
        }
    }
    Some(Counts::new(passed?, failed.unwrap_or(0)))
}

/// Sums node test runner summaries (`# pass X` / `# fail Y` or `ℹ pass X` / `ℹ fail Y`).
/// Cancelled tests (`# cancelled Z`, e.g. aborted by a failing hook) count as failed.
/// Only un-indented lines are considered, so nested subtest output is never double counted.
/// Returns `None` if no summary was found.
pub fn parse_node_test(output: &str) -> Option<Counts> {
    let mut total: Option<Counts> = None;
    for line in strip_ansi(output).lines() {
        let Some(rest) = line.strip_prefix("# ").or_else(|| line.strip_prefix("ℹ ")) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(label), Some(number), None) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        let counts = match label {
            "pass" => Counts::new(number, 0),
            "fail" | "cancelled" => Counts::new(0, number),
            _ => continue,
        };
        *total.get_or_insert_with(Counts::default) += counts;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_codes() {
        assert_eq!(strip_ansi("\u{1b}[32mok\u{1b}[0m. 1"), "ok. 1");
        assert_eq!(strip_ansi("a\u{1b}[1;31mb\u{1b}(Bc"), "abc");
        assert_eq!(strip_ansi("plain ℹ text"), "plain ℹ text");
    }

    #[test]
    fn cargo_test_lines_are_summed() {
        let out = "\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

running 2 tests
test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s

   Doc-tests netsplit_core
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        assert_eq!(parse_cargo_test(out), Some(Counts::new(4, 1)));
    }

    #[test]
    fn wasm_bindgen_runner_line_and_colours() {
        let out = "test result: \u{1b}[32mok\u{1b}[0m. 7 passed; 0 failed; 2 ignored; \
                   0 filtered out; finished in 1.23s\n";
        assert_eq!(parse_cargo_test(out), Some(Counts::new(7, 0)));
    }

    #[test]
    fn no_cargo_result_line() {
        assert_eq!(parse_cargo_test("error[E0425]: cannot find value\n"), None);
        assert_eq!(parse_cargo_test("test result: garbage\n"), None);
    }

    #[test]
    fn node_tap_summary() {
        let out = "\
TAP version 13
# Subtest: loads page
ok 1 - loads page
1..3
# tests 3
# suites 1
# pass 2
# fail 1
# cancelled 0
# skipped 0
# todo 0
# duration_ms 812.5
";
        assert_eq!(parse_node_test(out), Some(Counts::new(2, 1)));
    }

    #[test]
    fn node_spec_summary() {
        let out = "\
✔ loads page (120ms)
ℹ tests 4
ℹ suites 0
ℹ pass 4
ℹ fail 0
ℹ cancelled 1
ℹ duration_ms 99.1
";
        assert_eq!(parse_node_test(out), Some(Counts::new(4, 1)));
    }

    #[test]
    fn node_ignores_indented_and_prose_lines() {
        let out = "    # pass 9\n# pass the salt please\n# Subtest: fail 3\n";
        assert_eq!(parse_node_test(out), None);
    }
}
