//! The `cargo xtask test` pipeline: step definitions, selection (`--only` / `--skip`), a
//! runner that streams and captures each step's output, pass/fail counting and the final
//! report.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::counts::{self, Counts};
use crate::error::{Error, Result};
use crate::process::{describe_status, Cmd};
use crate::tools::{Tool, CHROMEDRIVER, CHROMIUM, WASM_TARGET};

/// How a step's output turns into counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A check or build: 1 passed or 1 failed.
    Check,
    /// `cargo test`: sum of the `test result:` lines.
    CargoTest,
    /// `node --test` (via `npm test`): the `pass` / `fail` summary.
    NodeTest,
}

/// One step of the pipeline.
#[derive(Debug, Clone)]
pub struct Step {
    /// Short name used in banners, the report and `--only` / `--skip`.
    pub name: &'static str,
    /// How to count the result.
    pub kind: Kind,
    /// What to run.
    pub cmd: Cmd,
    /// Tools that must be ensured before this step can run.
    pub needs: &'static [Tool],
    /// A file that must exist, else the step fails without running.
    pub requires: Option<PathBuf>,
}

/// The full pipeline, in execution order.
pub fn plan(root: &Path) -> Vec<Step> {
    let cargo = |args: &[&str]| Cmd::new("cargo").args(args.iter().copied()).dir(root);
    let step = |name, kind, cmd, needs| Step {
        name,
        kind,
        cmd,
        needs,
        requires: None,
    };
    let tests_dir = root.join("tests");
    vec![
        step(
            "fmt",
            Kind::Check,
            cargo(&["fmt", "--all", "--", "--check"]),
            &[],
        ),
        // No protocol id as a string literal outside its own module (xtask/src/literals.rs).
        step(
            "literals",
            Kind::Check,
            cargo(&["xtask", "check-literals"]),
            &[],
        ),
        step(
            "clippy",
            Kind::Check,
            cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            &[],
        ),
        step(
            "clippy-mutants",
            Kind::Check,
            cargo(&[
                "clippy",
                "-p",
                "netsplit-core",
                "--all-targets",
                "--features",
                "mutants",
                "--",
                "-D",
                "warnings",
            ]),
            &[],
        ),
        // The CLI with tikv's `raft` crate (`netsplit bench-raft`, docs/benchmarks.md).
        step(
            "clippy-tikv",
            Kind::Check,
            cargo(&[
                "clippy",
                "-p",
                "netsplit-cli",
                "--all-targets",
                "--features",
                "tikv-compare",
                "--",
                "-D",
                "warnings",
            ]),
            &[],
        ),
        step(
            "clippy-wasm",
            Kind::Check,
            cargo(&[
                "clippy",
                "-p",
                "netsplit-core",
                "-p",
                "netsplit-web",
                "--all-targets",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ]),
            &[Tool::WasmTarget],
        ),
        step(
            "native",
            Kind::CargoTest,
            cargo(&["test", "--workspace"]),
            &[],
        ),
        step(
            "native-mutants",
            Kind::CargoTest,
            cargo(&["test", "-p", "netsplit-core", "--features", "mutants"]),
            &[],
        ),
        // The bench harness's own tests: both Raft implementations commit and apply the same
        // commands, and its check catches a lie.
        step(
            "native-tikv",
            Kind::CargoTest,
            cargo(&[
                "test",
                "-p",
                "netsplit-cli",
                "--lib",
                "--features",
                "tikv-compare",
            ]),
            &[],
        ),
        step(
            "wasm-build",
            Kind::Check,
            cargo(&["build", "-p", "netsplit-core", "--target", WASM_TARGET]),
            &[Tool::WasmTarget],
        ),
        step(
            "wasm-test",
            Kind::CargoTest,
            cargo(&[
                "test",
                "-p",
                "netsplit-core",
                "-p",
                "netsplit-web",
                "--target",
                WASM_TARGET,
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300"),
            // wasm-pack is not used here, but belongs with the wasm tests (`wasm-pack test`).
            &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::WasmPack,
                Tool::Chromium,
            ],
        ),
        step(
            "trunk-build",
            Kind::Check,
            Cmd::new("trunk")
                .args(["build", "--release", "--offline"])
                .dir(root),
            // npm: Binaryen's wasm-opt, run by the post-build hook.
            &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::Trunk,
                Tool::NpmDeps,
            ],
        ),
        // A debug build too: only it carries the debug-only hooks (the panic e2e test).
        step(
            "trunk-build-debug",
            Kind::Check,
            Cmd::new("trunk")
                .args(["build", "--offline", "--dist", "dist-debug"])
                .dir(root),
            &[Tool::WasmTarget, Tool::WasmBindgen, Tool::Trunk],
        ),
        Step {
            requires: Some(tests_dir.join("package.json")),
            ..step(
                "e2e",
                Kind::NodeTest,
                Cmd::new("npm")
                    .args(["test"])
                    .dir(&tests_dir)
                    .env("NETSPLIT_DIST", root.join("dist").display().to_string())
                    .env(
                        "NETSPLIT_DEBUG_DIST",
                        root.join("dist-debug").display().to_string(),
                    )
                    .env("CHROMIUM", CHROMIUM)
                    .env("CHROMEDRIVER", CHROMEDRIVER),
                &[Tool::Chromium, Tool::NpmDeps],
            )
        },
    ]
}

/// Which steps to run: all, minus `skip`, restricted to `only` when non-empty.
/// A selector matches a step by exact name or as a dash-separated prefix
/// (`clippy` matches `clippy` and `clippy-mutants`; `wasm` matches `wasm-build` and `wasm-test`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Run only matching steps (all if empty).
    pub only: Vec<String>,
    /// Never run matching steps.
    pub skip: Vec<String>,
}

/// Does `selector` pick the step called `name`?
fn matches(selector: &str, name: &str) -> bool {
    name == selector
        || name
            .strip_prefix(selector)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// Applies a [`Selection`], rejecting selectors that match no step.
pub fn select(plan: Vec<Step>, selection: &Selection) -> Result<Vec<Step>> {
    let names: Vec<&str> = plan.iter().map(|s| s.name).collect();
    for selector in selection.only.iter().chain(&selection.skip) {
        if !names.iter().any(|name| matches(selector, name)) {
            return Err(Error::usage(format!(
                "unknown step `{selector}` (steps: {})",
                names.join(", ")
            )));
        }
    }
    let chosen: Vec<Step> = plan
        .into_iter()
        .filter(|step| {
            selection.only.is_empty() || selection.only.iter().any(|s| matches(s, step.name))
        })
        .filter(|step| !selection.skip.iter().any(|s| matches(s, step.name)))
        .collect();
    if chosen.is_empty() {
        return Err(Error::usage(
            "the selected --only/--skip flags leave no step to run",
        ));
    }
    Ok(chosen)
}

/// Tools needed by a set of steps.
pub fn needed_tools(steps: &[Step]) -> Vec<Tool> {
    steps.iter().flat_map(|s| s.needs.iter().copied()).collect()
}

/// The result of one step.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Step name.
    pub name: &'static str,
    /// Whether the step succeeded (exit status zero and no failed tests).
    pub ok: bool,
    /// Tests (or checks) passed and failed.
    pub counts: Counts,
    /// Wall-clock time.
    pub duration: Duration,
}

/// Counts for a finished step from its exit status and captured output.
pub fn count(kind: Kind, success: bool, output: &str) -> Counts {
    let parsed = match kind {
        Kind::Check => {
            return if success {
                Counts::new(1, 0)
            } else {
                Counts::new(0, 1)
            };
        }
        Kind::CargoTest => counts::parse_cargo_test(output),
        Kind::NodeTest => counts::parse_node_test(output),
    };
    let mut counts = parsed.unwrap_or_default();
    if !success && counts.failed == 0 {
        // e.g. a compile error or a crashed runner: no test reported, but the step failed.
        counts.failed = 1;
    }
    counts
}

/// Runs one step: banner, live output, closing line with result and duration.
fn run_step(step: &Step, index: usize, total: usize) -> Outcome {
    println!();
    println!(
        "==> [{index}/{total}] {}: {}",
        step.name,
        step.cmd.display_with_dir()
    );
    let start = Instant::now();
    let (ok, counts, note) = match &step.requires {
        Some(path) if !path.is_file() => (
            false,
            Counts::new(0, 1),
            format!("{} not found, cannot run this step", path.display()),
        ),
        _ => match step.cmd.run_tee() {
            Ok((status, output)) => {
                let counts = count(step.kind, status.success(), &output);
                let ok = status.success() && counts.failed == 0;
                let note = if status.success() {
                    String::new()
                } else if crate::disk::ran_out(&output) {
                    let free = crate::disk::free_bytes(Path::new("."))
                        .map_or_else(|| "?".to_string(), crate::disk::gib);
                    format!(
                        "{}; out of disk space ({free} free now, a clean run needs about {:.0} GiB)",
                        describe_status(status),
                        crate::disk::NEEDED_GIB
                    )
                } else {
                    describe_status(status)
                };
                (ok, counts, note)
            }
            Err(err) => (
                false,
                Counts::new(0, 1),
                format!("could not start `{}`: {err}", step.cmd.display()),
            ),
        },
    };
    let duration = start.elapsed();
    let verdict = if ok { "ok" } else { "FAILED" };
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("; {note}")
    };
    println!(
        "<== {}: {verdict} ({} passed, {} failed{note}) in {}",
        step.name,
        counts.passed,
        counts.failed,
        format_duration(duration)
    );
    Outcome {
        name: step.name,
        ok,
        counts,
        duration,
    }
}

/// Runs every step (continuing after failures) and returns their outcomes.
pub fn run_all(steps: &[Step]) -> Vec<Outcome> {
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| run_step(step, i + 1, steps.len()))
        .collect()
}

/// Sum of all outcome counts.
pub fn totals(outcomes: &[Outcome]) -> Counts {
    let mut total = Counts::default();
    for outcome in outcomes {
        total += outcome.counts;
    }
    total
}

/// The report: a table of steps, then the summary line `N passed, N failed` as the last line.
pub fn report(outcomes: &[Outcome]) -> String {
    let width = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(0)
        .max("step".len());
    let row = |name: &str, result: &str, time: &str, passed: &dyn Display, failed: &dyn Display| {
        format!("{name:<width$}  {result:<6}  {time:>8}  {passed:>6}  {failed:>6}\n")
    };
    let mut out = String::from("\n==> summary\n");
    out += &row("step", "result", "time", &"passed", &"failed");
    for o in outcomes {
        let result = if o.ok { "ok" } else { "FAILED" };
        let time = format_duration(o.duration);
        out += &row(o.name, result, &time, &o.counts.passed, &o.counts.failed);
    }
    let total = totals(outcomes);
    out += &format!("{} passed, {} failed", total.passed, total.failed);
    out
}

/// `0.4s`, `42.0s`, `3m 07s`, `1h 02m`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(steps: &[Step]) -> Vec<&'static str> {
        steps.iter().map(|s| s.name).collect()
    }

    fn sel(only: &[&str], skip: &[&str]) -> Selection {
        Selection {
            only: only.iter().map(|s| s.to_string()).collect(),
            skip: skip.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn plan_order_and_unique_names() {
        let plan = plan(Path::new("/repo"));
        let n = names(&plan);
        assert_eq!(
            n,
            [
                "fmt",
                "literals",
                "clippy",
                "clippy-mutants",
                "clippy-tikv",
                "clippy-wasm",
                "native",
                "native-mutants",
                "native-tikv",
                "wasm-build",
                "wasm-test",
                "trunk-build",
                "trunk-build-debug",
                "e2e"
            ]
        );
        let e2e = &plan[13];
        assert!(e2e.cmd.display().contains("NETSPLIT_DIST=/repo/dist"));
        assert_eq!(
            e2e.requires,
            Some(PathBuf::from("/repo/tests/package.json"))
        );
    }

    #[test]
    fn selection_by_name_and_prefix() {
        let all = || plan(Path::new("/repo"));
        let only = select(all(), &sel(&["clippy", "wasm"], &[])).unwrap();
        assert_eq!(
            names(&only),
            [
                "clippy",
                "clippy-mutants",
                "clippy-tikv",
                "clippy-wasm",
                "wasm-build",
                "wasm-test"
            ]
        );
        let skip = select(all(), &sel(&[], &["e2e", "native-mutants"])).unwrap();
        assert!(!names(&skip).contains(&"e2e"));
        assert!(!names(&skip).contains(&"native-mutants"));
        assert!(names(&skip).contains(&"native"));
        assert!(!matches("was", "wasm-test"));
        assert!(select(all(), &sel(&["bogus"], &[])).is_err());
        assert!(select(all(), &sel(&["fmt"], &["fmt"])).is_err());
    }

    #[test]
    fn tools_follow_selection() {
        let only_fmt = select(plan(Path::new("/r")), &sel(&["fmt", "native"], &[])).unwrap();
        assert!(needed_tools(&only_fmt).is_empty());
        let e2e = select(plan(Path::new("/r")), &sel(&["e2e"], &[])).unwrap();
        assert_eq!(needed_tools(&e2e), [Tool::Chromium, Tool::NpmDeps]);
    }

    #[test]
    fn counting_rules() {
        assert_eq!(count(Kind::Check, true, ""), Counts::new(1, 0));
        assert_eq!(
            count(Kind::Check, false, "test result: ok. 5 passed; 0 failed"),
            Counts::new(0, 1)
        );
        let ok = "test result: ok. 5 passed; 0 failed; 0 ignored";
        assert_eq!(count(Kind::CargoTest, true, ok), Counts::new(5, 0));
        // Failed command without parsed failures (e.g. compile error) counts one failure.
        assert_eq!(count(Kind::CargoTest, false, ok), Counts::new(5, 1));
        assert_eq!(
            count(Kind::CargoTest, false, "error: could not compile"),
            Counts::new(0, 1)
        );
        let bad = "test result: FAILED. 3 passed; 2 failed; 0 ignored";
        assert_eq!(count(Kind::CargoTest, false, bad), Counts::new(3, 2));
        assert_eq!(
            count(Kind::NodeTest, true, "# pass 4\n# fail 0\n"),
            Counts::new(4, 0)
        );
        assert_eq!(
            count(Kind::NodeTest, false, "npm ERR! missing script"),
            Counts::new(0, 1)
        );
    }

    #[test]
    fn report_ends_with_summary_line() {
        let outcomes = [
            Outcome {
                name: "fmt",
                ok: true,
                counts: Counts::new(1, 0),
                duration: Duration::from_millis(400),
            },
            Outcome {
                name: "native-mutants",
                ok: false,
                counts: Counts::new(10, 2),
                duration: Duration::from_secs(187),
            },
        ];
        let text = report(&outcomes);
        assert_eq!(text.lines().last(), Some("11 passed, 2 failed"));
        assert!(text.contains("native-mutants  FAILED    3m 07s"), "{text}");
        assert!(text.contains("fmt             ok          0.4s"), "{text}");
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_millis(420)), "0.4s");
        assert_eq!(format_duration(Duration::from_secs(59)), "59.0s");
        assert_eq!(format_duration(Duration::from_secs(61)), "1m 01s");
        assert_eq!(format_duration(Duration::from_secs(3720)), "1h 02m");
    }
}
