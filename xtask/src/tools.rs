//! "Ensure" logic: detect each external tool (by version where it has one) and install or
//! replace it when missing or wrong. Every tool prints one `ok: ...` or `installing: ...` line.
//!
//! Cargo-installed tools go to cargo's default root (`~/.cargo/bin`), so later runs on the
//! same machine reuse them.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::lockfile;
use crate::process::Cmd;

/// Rust target needed for the web app and the wasm tests.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Pinned Trunk version.
pub const TRUNK_VERSION: &str = "0.21.14";
/// Pinned wasm-pack version.
pub const WASM_PACK_VERSION: &str = "0.15.1";
/// Pinned twiggy version (the size breakdown of `cargo xtask bench`).
pub const TWIGGY_VERSION: &str = "0.8.0";
/// Chromium binary used by the wasm and end-to-end tests (Debian package `chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Chromedriver binary used by `wasm-bindgen-test-runner` (Debian package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Trunk builds and serves the web app.
const TRUNK: CargoTool<'static> = CargoTool {
    krate: "trunk",
    version: TRUNK_VERSION,
    binaries: &["trunk"],
    duration_hint: "about 12 minutes on 2 cores",
};

/// wasm-pack, so that `wasm-pack test --headless --chrome core` works for contributors.
const WASM_PACK: CargoTool<'static> = CargoTool {
    krate: "wasm-pack",
    version: WASM_PACK_VERSION,
    binaries: &["wasm-pack"],
    duration_hint: "a few minutes",
};

/// twiggy, the code-size profiler behind the benchmark's size breakdown.
const TWIGGY: CargoTool<'static> = CargoTool {
    krate: "twiggy",
    version: TWIGGY_VERSION,
    binaries: &["twiggy"],
    duration_hint: "about 2 minutes on 2 cores",
};

/// An external prerequisite. The declaration order is the order in which they are ensured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    /// The `wasm32-unknown-unknown` rustup target.
    WasmTarget,
    /// `wasm-bindgen` + `wasm-bindgen-test-runner`, matching the locked `wasm-bindgen` crate.
    WasmBindgen,
    /// Trunk, pinned to [`TRUNK_VERSION`].
    Trunk,
    /// wasm-pack, pinned to [`WASM_PACK_VERSION`].
    WasmPack,
    /// twiggy, pinned to [`TWIGGY_VERSION`].
    Twiggy,
    /// Chromium and chromedriver from apt.
    Chromium,
    /// npm packages of the end-to-end tests in `tests/`.
    NpmDeps,
}

impl Tool {
    /// Every tool, in ensure order (what `cargo xtask setup` installs).
    pub const ALL: [Tool; 7] = [
        Tool::WasmTarget,
        Tool::WasmBindgen,
        Tool::Trunk,
        Tool::WasmPack,
        Tool::Twiggy,
        Tool::Chromium,
        Tool::NpmDeps,
    ];
}

/// Ensures every tool in `tools` (duplicates allowed, order normalised), stopping at the
/// first failure.
pub fn ensure(tools: &[Tool], root: &Path) -> Result<()> {
    let mut tools = tools.to_vec();
    tools.sort();
    tools.dedup();
    if tools.is_empty() {
        return Ok(());
    }
    println!("==> checking tools");
    for tool in tools {
        match tool {
            Tool::WasmTarget => ensure_wasm_target(root)?,
            Tool::WasmBindgen => {
                let version = locked_wasm_bindgen_version(root)?;
                ensure_cargo_tool(
                    &CargoTool {
                        krate: "wasm-bindgen-cli",
                        version: &version,
                        binaries: &["wasm-bindgen", "wasm-bindgen-test-runner"],
                        duration_hint: "a few minutes",
                    },
                    root,
                )?;
            }
            Tool::Trunk => ensure_cargo_tool(&TRUNK, root)?,
            Tool::WasmPack => ensure_cargo_tool(&WASM_PACK, root)?,
            Tool::Twiggy => ensure_cargo_tool(&TWIGGY, root)?,
            Tool::Chromium => ensure_chromium()?,
            Tool::NpmDeps => ensure_npm_deps(root)?,
        }
    }
    Ok(())
}

/// Extracts the first version-looking word (`0.21.14`, `v1.2.3`, `0.2.0-rc.1`) from a
/// `--version` output such as `trunk 0.21.14`.
pub fn parse_version(output: &str) -> Option<String> {
    output
        .split_whitespace()
        .map(|word| {
            let word = word.strip_prefix('v').unwrap_or(word);
            word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        })
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()) && word.contains('.'))
        .map(str::to_string)
}

/// The version reported by `<binary> --version`, or `None` if it is missing or broken.
fn installed_version(binary: &str) -> Option<String> {
    parse_version(&Cmd::new(binary).args(["--version"]).quiet_output()?)
}

/// Ensures the wasm32 rustup target for the toolchain pinned by `rust-toolchain.toml`.
fn ensure_wasm_target(root: &Path) -> Result<()> {
    let list = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .dir(root)
        .quiet_output()
        .ok_or_else(|| {
            Error::setup(
                "`rustup target list --installed` failed; is rustup installed and on PATH?",
            )
        })?;
    if list.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("ok: rust target {WASM_TARGET}");
        return Ok(());
    }
    let add = Cmd::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .dir(root);
    println!(
        "installing: rust target {WASM_TARGET} via `{}`",
        add.display()
    );
    add.run_checked()?;
    println!("ok: rust target {WASM_TARGET}");
    Ok(())
}

/// Reads the `wasm-bindgen` version from the workspace `Cargo.lock`, after letting
/// `cargo metadata` create or refresh the lock file.
fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let metadata = Cmd::new("cargo")
        .args(["metadata", "--format-version", "1"])
        .dir(root);
    if metadata.quiet_output().is_none() {
        // Re-run visibly so the user sees cargo's explanation.
        metadata.run_checked()?;
    }
    let lock_path = root.join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .map_err(|err| Error::setup(format!("cannot read {}: {err}", lock_path.display())))?;
    lockfile::single_version(&lock, "wasm-bindgen")
        .map_err(|msg| Error::setup(format!("{}: {msg}", lock_path.display())))
}

/// A tool installed with `cargo install --locked --force <krate> --version <version>`.
struct CargoTool<'a> {
    krate: &'a str,
    version: &'a str,
    /// Binaries that must all report `version`.
    binaries: &'a [&'a str],
    /// Rough build time, shown before installing.
    duration_hint: &'a str,
}

/// Installs or replaces a cargo tool unless every binary already reports the right version.
fn ensure_cargo_tool(tool: &CargoTool<'_>, root: &Path) -> Result<()> {
    let mismatches: Vec<String> = tool
        .binaries
        .iter()
        .filter_map(|bin| match installed_version(bin) {
            Some(v) if v == tool.version => None,
            Some(v) => Some(format!("{bin} is {v}")),
            None => Some(format!("{bin} missing")),
        })
        .collect();
    let label = format!("{} {}", tool.krate, tool.version);
    if mismatches.is_empty() {
        println!("ok: {label}");
        return Ok(());
    }
    // Run from the workspace root so the toolchain pinned by rust-toolchain.toml builds it.
    let install = Cmd::new("cargo")
        .args([
            "install",
            "--locked",
            "--force",
            tool.krate,
            "--version",
            tool.version,
        ])
        .dir(root);
    println!(
        "installing: {label} ({}); building from source takes {}: `{}`",
        mismatches.join(", "),
        tool.duration_hint,
        install.display()
    );
    install.run_checked()?;
    for bin in tool.binaries {
        let found = installed_version(bin);
        if found.as_deref() != Some(tool.version) {
            return Err(Error::setup(format!(
                "installed {label}, but `{bin} --version` reports {}; is another `{bin}` \
                 earlier on PATH?",
                found.as_deref().unwrap_or("nothing")
            )));
        }
    }
    println!("ok: {label}");
    Ok(())
}

/// Ensures Chromium and chromedriver from Debian packages.
fn ensure_chromium() -> Result<()> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        println!("ok: chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})");
        return Ok(());
    }
    println!(
        "installing: chromium chromium-driver with apt-get ({} missing)",
        missing.join(", ")
    );
    apt_get(&["update"])?.run_checked()?;
    apt_get(&["install", "-y", "chromium", "chromium-driver"])?.run_checked()?;
    if let Some(still) = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .find(|p| !Path::new(p).exists())
    {
        return Err(Error::setup(format!(
            "apt-get installed chromium and chromium-driver, but {still} does not exist"
        )));
    }
    println!("ok: chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})");
    Ok(())
}

/// An `apt-get` command, non-interactive, run directly as root or through `sudo` otherwise.
fn apt_get(args: &[&str]) -> Result<Cmd> {
    let is_root = Cmd::new("id")
        .args(["-u"])
        .quiet_output()
        .is_some_and(|uid| uid.trim() == "0");
    if is_root {
        return Ok(Cmd::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(args.iter().copied()));
    }
    if Cmd::new("sudo")
        .args(["--version"])
        .quiet_output()
        .is_some()
    {
        // sudo may reset the environment, so pass DEBIAN_FRONTEND through `env`.
        return Ok(Cmd::new("sudo")
            .args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"])
            .args(args.iter().copied()));
    }
    Err(Error::setup(format!(
        "installing Chromium needs root: run `apt-get install chromium chromium-driver` as \
         root (or install sudo), then retry (missing {CHROMIUM} or {CHROMEDRIVER})"
    )))
}

/// Runs `npm ci` (or `npm install` without a lock file) in `tests/` when `node_modules` is
/// missing or older than the lock file. Skipped with a note if `tests/package.json` is absent.
fn ensure_npm_deps(root: &Path) -> Result<()> {
    let tests = root.join("tests");
    if !tests.join("package.json").is_file() {
        println!("skip: tests/package.json not found, no npm packages to install");
        return Ok(());
    }
    let lock = tests.join("package-lock.json");
    let manifest = if lock.is_file() {
        lock.clone()
    } else {
        tests.join("package.json")
    };
    let node_modules = tests.join("node_modules");
    // npm rewrites node_modules/.package-lock.json on every install; fall back to the folder.
    let marker = node_modules.join(".package-lock.json");
    let installed_at = mtime(&marker).or_else(|| mtime(&node_modules));
    let reason = match (installed_at, mtime(&manifest)) {
        (None, _) => "tests/node_modules missing",
        (Some(installed), Some(changed)) if installed < changed => {
            "tests/node_modules older than the lock file"
        }
        _ => {
            println!("ok: tests/node_modules up to date");
            return Ok(());
        }
    };
    let subcommand = if lock.is_file() { "ci" } else { "install" };
    let npm = Cmd::new("npm")
        .args([subcommand, "--no-audit", "--no-fund"])
        .dir(&tests)
        // Browsers come from apt; never try to download one (no general internet access).
        .env("PUPPETEER_SKIP_DOWNLOAD", "1")
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    println!(
        "installing: npm packages of tests/ ({reason}) via `{}` in tests/",
        npm.display()
    );
    npm.run_checked()?;
    println!("ok: tests/node_modules up to date");
    Ok(())
}

/// Modification time of a path, if it exists.
fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tool_version_outputs() {
        let v = |s: &str| parse_version(s);
        assert_eq!(v("trunk 0.21.14\n").as_deref(), Some("0.21.14"));
        assert_eq!(v("wasm-bindgen 0.2.129").as_deref(), Some("0.2.129"));
        assert_eq!(
            v("wasm-bindgen-test-runner 0.2.129\n").as_deref(),
            Some("0.2.129")
        );
        assert_eq!(v("wasm-pack 0.15.1").as_deref(), Some("0.15.1"));
        assert_eq!(v("node v20.20.2").as_deref(), Some("20.20.2"));
        assert_eq!(
            v("wasm-bindgen 0.2.129 (a1b2c3d)").as_deref(),
            Some("0.2.129")
        );
        assert_eq!(v("tool 1.0.0-rc.1,").as_deref(), Some("1.0.0-rc.1"));
        assert_eq!(v("command not found"), None);
        assert_eq!(v(""), None);
    }

    #[test]
    fn ensure_order_is_declaration_order() {
        let mut tools = vec![
            Tool::NpmDeps,
            Tool::WasmTarget,
            Tool::Trunk,
            Tool::WasmTarget,
        ];
        tools.sort();
        tools.dedup();
        assert_eq!(tools, vec![Tool::WasmTarget, Tool::Trunk, Tool::NpmDeps]);
        assert!(Tool::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}
