//! `cargo xtask`: developer tasks for netsplit.
//!
//! * `setup` installs every external tool (wasm target, wasm-bindgen-cli, Trunk, wasm-pack,
//!   Chromium + chromedriver, npm packages of `tests/`);
//! * `serve` runs the web app with `trunk serve`;
//! * `test` runs the whole CI pipeline and ends with a `N passed, N failed` line;
//! * `bench` measures everything (page weight, first node, the page's main thread, seeking,
//!   simulator and chaos throughput, linearizability checking), writes one JSON report and
//!   regenerates the figures of `docs/benchmarks.md` from it.
//!
//! Everything is done by running other programs; the few dependencies hash and read JSON.

mod bench;
mod counts;
mod csp;
mod disk;
mod embed;
mod error;
mod literals;
mod lockfile;
mod process;
mod steps;
mod tools;
mod wasm_opt;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use error::{Error, Result};
use process::{describe_status, workspace_root, Cmd};
use steps::Selection;
use tools::Tool;

/// Default port of `cargo xtask serve`.
const DEFAULT_PORT: u16 = 8080;
/// Where `cargo xtask serve` builds the page (never the release `dist/`).
const SERVE_DIST: &str = "dist-serve";
/// Address `trunk serve` binds to.
const SERVE_ADDRESS: &str = "127.0.0.1";

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup                 install or update every tool that serve and test need
  serve [--port N]      build (into dist-serve/) and serve the web app on http://127.0.0.1:N/
                        (default 8080); the release dist/ is left alone
  test [options]        run the full pipeline (fmt, clippy, native and wasm tests,
                        release Trunk build, end-to-end tests); prints `N passed, N failed`
      --only STEP[,STEP]  run only these steps (repeatable)
      --skip STEP[,STEP]  skip these steps (repeatable)
      --skip-e2e          same as --skip e2e
      --list              list the steps and exit
  bench [options]       measure everything; write target/bench/report.json and regenerate the
                        figures of docs/benchmarks.md from it
      --only SECTION[,SECTION]  run only these sections (merged into the existing report)
      --no-build          measure the existing dist/ instead of building the page
      --no-docs           leave docs/benchmarks.md alone
      --docs-only         only regenerate docs/benchmarks.md from the existing report
      --list              list the sections and exit
  setup-web             only what building the page needs (wasm target, wasm-bindgen-cli, Trunk, npm Binaryen)
  check-literals        fail if a protocol id is a string literal outside its own module
  csp [DIR]             write a strict Content-Security-Policy into DIR/index.html
  wasm-opt [DIR]        shrink DIR's wasm with Binaryen -Oz, fix its integrity hash
  post-build            Trunk's hook: wasm-opt then csp on release builds (TRUNK_STAGING_DIR),
                        then embed.html from index.html (every build)
  help                  show this text

steps: fmt, literals, clippy, clippy-mutants, clippy-wasm, clippy-tikv, native, native-mutants,
       native-tikv, wasm-build, wasm-test, trunk-build, trunk-build-debug, e2e   (a prefix before
       '-' selects a group, e.g. `clippy`)
bench sections: weight, size-breakdown, first-node, page, seek, diagram, memory, simulator, chaos,
                raft-vs-tikv, mutants, linearizability";

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
enum Task {
    Help,
    Setup,
    SetupWeb,
    Serve { port: u16 },
    Test { selection: Selection, list: bool },
    Bench(bench::Options),
    Csp { dir: Option<String> },
    CheckLiterals,
    WasmOpt { dir: Option<String> },
    PostBuild,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args).and_then(run) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err}");
            if err.show_usage {
                eprintln!("\n{USAGE}");
            }
            ExitCode::from(u8::try_from(err.code).unwrap_or(1))
        }
    }
}

/// Parses the arguments after `cargo xtask`.
fn parse_args(args: &[String]) -> Result<Task> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Error::usage("missing command"));
    };
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Task::Help);
    }
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Task::Help),
        "setup" => {
            no_more_args("setup", rest)?;
            Ok(Task::Setup)
        }
        "setup-web" => {
            no_more_args("setup-web", rest)?;
            Ok(Task::SetupWeb)
        }
        "serve" => parse_serve(rest),
        "test" => parse_test(rest),
        "bench" => bench::parse_args(rest).map(Task::Bench),
        "check-literals" => {
            no_more_args("check-literals", rest)?;
            Ok(Task::CheckLiterals)
        }
        "csp" => Ok(Task::Csp {
            dir: rest.first().cloned(),
        }),
        "wasm-opt" => Ok(Task::WasmOpt {
            dir: rest.first().cloned(),
        }),
        "post-build" => {
            no_more_args("post-build", rest)?;
            Ok(Task::PostBuild)
        }
        other => Err(Error::usage(format!("unknown command `{other}`"))),
    }
}

/// Fails if a command that takes no options got some.
fn no_more_args(command: &str, rest: &[String]) -> Result<()> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(Error::usage(format!(
            "unexpected argument `{arg}` for `{command}`"
        ))),
    }
}

/// Splits `--flag=value` or takes the next argument as the value of `--flag`.
pub(crate) fn flag_value<'a>(
    flag: &str,
    arg: &'a str,
    iter: &mut impl Iterator<Item = &'a String>,
) -> Result<Option<&'a str>> {
    if arg == flag {
        return iter
            .next()
            .map(|v| Some(v.as_str()))
            .ok_or_else(|| Error::usage(format!("`{flag}` needs a value")));
    }
    Ok(arg
        .strip_prefix(flag)
        .and_then(|rest| rest.strip_prefix('=')))
}

fn parse_serve(rest: &[String]) -> Result<Task> {
    let mut port = DEFAULT_PORT;
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        match flag_value("--port", arg, &mut iter)? {
            Some(value) => {
                port = value
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| Error::usage(format!("invalid port `{value}` (1-65535)")))?;
            }
            None => return Err(Error::usage(format!("unknown option `{arg}` for `serve`"))),
        }
    }
    Ok(Task::Serve { port })
}

fn parse_test(rest: &[String]) -> Result<Task> {
    let mut selection = Selection::default();
    let mut list = false;
    let mut iter = rest.iter();
    let split = |value: &str| -> Vec<String> {
        value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    while let Some(arg) = iter.next() {
        if arg == "--skip-e2e" {
            selection.skip.push("e2e".to_string());
        } else if arg == "--list" {
            list = true;
        } else if let Some(value) = flag_value("--only", arg, &mut iter)? {
            selection.only.extend(split(value));
        } else if let Some(value) = flag_value("--skip", arg, &mut iter)? {
            selection.skip.extend(split(value));
        } else {
            return Err(Error::usage(format!("unknown option `{arg}` for `test`")));
        }
    }
    Ok(Task::Test { selection, list })
}

/// Where cargo builds (`CARGO_TARGET_DIR` or `target/`), or the workspace itself before the
/// first build made that folder: the filesystem whose free space matters.
fn build_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    if target.exists() {
        target
    } else {
        root.to_path_buf()
    }
}

/// Executes a task; `Ok` carries the exit code.
fn run(task: Task) -> Result<ExitCode> {
    let root = workspace_root();
    match task {
        Task::Help => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Task::Setup => {
            tools::ensure(&Tool::ALL, &root)?;
            println!("setup complete");
            Ok(ExitCode::SUCCESS)
        }
        Task::SetupWeb => {
            // npm: Binaryen's wasm-opt for the release build's size (see wasm_opt.rs).
            tools::ensure(
                &[
                    Tool::WasmTarget,
                    Tool::WasmBindgen,
                    Tool::Trunk,
                    Tool::NpmDeps,
                ],
                &root,
            )?;
            println!("web build tools ready");
            Ok(ExitCode::SUCCESS)
        }
        Task::Serve { port } => {
            tools::ensure(&[Tool::WasmTarget, Tool::WasmBindgen, Tool::Trunk], &root)?;
            let trunk = serve_cmd(&root, port);
            println!("==> {}", trunk.display());
            println!(
                "serving netsplit at http://{SERVE_ADDRESS}:{port}/ from {SERVE_DIST}/ (Ctrl-C to stop)"
            );
            pass_through(&trunk)
        }
        Task::Test { selection, list } => {
            let steps = steps::select(steps::plan(&root), &selection)?;
            if list {
                let width = steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
                for step in &steps {
                    println!("{:<width$} {}", step.name, step.cmd.display_with_dir());
                }
                return Ok(ExitCode::SUCCESS);
            }
            // Before the tools: installing them builds too.
            println!("{}", disk::preflight(&build_dir(&root)));
            tools::ensure(&steps::needed_tools(&steps), &root)?;
            let outcomes = steps::run_all(&steps);
            println!("{}", steps::report(&outcomes));
            let failed = steps::totals(&outcomes).failed > 0 || outcomes.iter().any(|o| !o.ok);
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Task::Csp { dir } => {
            csp::run(dir.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Task::CheckLiterals => {
            let (ids, findings) = literals::check(&root);
            if ids.is_empty() {
                eprintln!("check-literals: no protocol ids declared under core/src/protocols/");
                return Ok(ExitCode::FAILURE);
            }
            for f in &findings {
                eprintln!("{f}");
            }
            let names: Vec<String> = ids.iter().map(|o| o.id.clone()).collect();
            println!(
                "check-literals: {} protocol ids ({}), {} misplaced literal(s)",
                ids.len(),
                names.join(", "),
                findings.len()
            );
            Ok(if findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Task::WasmOpt { dir } => {
            wasm_opt::run(dir.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Task::PostBuild => {
            // One hook, in order: Trunk starts the hooks of a stage all at once, and both
            // of these rewrite index.html.
            wasm_opt::run(None)?;
            csp::run(None)?;
            // Last: a copy of the finished index.html (same scripts, same policy).
            embed::run(None)?;
            Ok(ExitCode::SUCCESS)
        }
        Task::Bench(options) => bench::run(&options, root),
    }
}

/// `trunk serve` for `cargo xtask serve`: a debug build into its own folder, so the release
/// `dist/` (what the tests and benchmarks measure) is never overwritten.
fn serve_cmd(root: &std::path::Path, port: u16) -> Cmd {
    Cmd::new("trunk")
        .args([
            "serve",
            "--offline",
            "--release=false",
            "--dist",
            SERVE_DIST,
        ])
        .args(["--address", SERVE_ADDRESS, "--port", &port.to_string()])
        .dir(root)
}

/// Runs a long-lived command with the terminal attached and mirrors its exit code.
fn pass_through(cmd: &Cmd) -> Result<ExitCode> {
    let status = cmd
        .status()
        .map_err(|err| Error::setup(format!("could not start `{}`: {err}", cmd.display())))?;
    if status.success() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "xtask: `{}` failed ({})",
        cmd.display(),
        describe_status(status)
    );
    let code = status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1);
    Ok(ExitCode::from(code.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Task> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_args(&args)
    }

    #[test]
    fn commands() {
        assert_eq!(parse(&["setup"]).unwrap(), Task::Setup);
        assert_eq!(parse(&["help"]).unwrap(), Task::Help);
        assert_eq!(parse(&["test", "--help"]).unwrap(), Task::Help);
        assert_eq!(
            parse(&["bench", "--only", "chaos"]).unwrap(),
            Task::Bench(bench::Options {
                only: vec!["chaos".into()],
                ..bench::Options::default()
            })
        );
        assert_eq!(parse(&["bench", "--help"]).unwrap(), Task::Help);
        assert!(parse(&["bench", "--", "--save-baseline"]).is_err());
        assert!(parse(&[]).unwrap_err().show_usage);
        assert!(parse(&["deploy"]).unwrap_err().message.contains("deploy"));
        assert!(parse(&["setup", "--force"]).is_err());
    }

    #[test]
    fn serve_port() {
        assert_eq!(parse(&["serve"]).unwrap(), Task::Serve { port: 8080 });
        assert_eq!(
            parse(&["serve", "--port", "9000"]).unwrap(),
            Task::Serve { port: 9000 }
        );
        assert_eq!(
            parse(&["serve", "--port=1234"]).unwrap(),
            Task::Serve { port: 1234 }
        );
        for bad in [
            &["serve", "--port"][..],
            &["serve", "--port", "0"],
            &["serve", "--port", "70000"],
            &["serve", "--portx"],
            &["serve", "9000"],
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.code, error::EXIT_SETUP, "{bad:?}");
        }
    }

    #[test]
    fn serve_never_writes_the_release_dist() {
        let cmd = serve_cmd(std::path::Path::new("/repo"), 9000).display();
        assert_eq!(
            cmd,
            "trunk serve --offline --release=false --dist dist-serve --address 127.0.0.1 --port 9000"
        );
    }

    #[test]
    fn test_flags() {
        let Task::Test { selection, list } =
            parse(&["test", "--skip-e2e", "--only", "clippy,wasm", "--skip=fmt"]).unwrap()
        else {
            panic!("expected test task");
        };
        assert!(!list);
        assert_eq!(selection.only, ["clippy", "wasm"]);
        assert_eq!(selection.skip, ["e2e", "fmt"]);
        assert!(matches!(
            parse(&["test", "--list"]).unwrap(),
            Task::Test { list: true, .. }
        ));
        assert!(parse(&["test", "--only"]).is_err());
        assert!(parse(&["test", "--fast"]).is_err());
    }
}
