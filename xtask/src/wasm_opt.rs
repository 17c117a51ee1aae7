//! `cargo xtask wasm-opt [DIR]`: shrink the built page's wasm with Binaryen's `wasm-opt -Oz`.
//!
//! Run by Trunk's `post_build` hook (see `Trunk.toml`) on release builds, on
//! `TRUNK_STAGING_DIR`. Not Trunk's own `data-wasm-opt`: Trunk would use Debian's binaryen
//! (version 108), which cannot read what wasm-bindgen 0.2.129 writes (`table.fill`, from
//! reference types), and it would download a newer one otherwise (no network here). Binaryen
//! 132 comes from npm with the end-to-end test packages (`tests/node_modules/.bin/wasm-opt`,
//! installed by `cargo xtask setup` / `setup-web`); a `wasm-opt` of version ≥ 116 on `PATH`
//! is used too. After optimizing, the wasm's Subresource-Integrity hash in `index.html` is
//! updated (Trunk writes one on the preload link).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha384};

use crate::error::{Error, Result};
use crate::process::{workspace_root, Cmd};

/// Oldest Binaryen that reads wasm-bindgen 0.2.129's output.
const MIN_VERSION: u32 = 116;

/// Features rustc (1.95) enables for wasm32-unknown-unknown by default.
const FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Version number in `wasm-opt version 132 (version_132)`.
pub fn parse_version(output: &str) -> Option<u32> {
    let rest = output.split("version").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// `integrity="sha384-…"` value for these bytes.
pub fn sri(bytes: &[u8]) -> String {
    format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)))
}

/// The page with the integrity hash of the element referencing `file` replaced by `hash`.
pub fn with_integrity(html: &str, file: &str, hash: &str) -> std::result::Result<String, String> {
    let href = format!("href=\"./{file}\"");
    let at = html
        .find(&href)
        .ok_or_else(|| format!("index.html does not reference {file}"))?;
    let tag_end = html[at..]
        .find('>')
        .map(|i| at + i)
        .ok_or("unterminated tag")?;
    let tag_start = html[..at].rfind('<').ok_or("no tag start")?;
    let tag = &html[tag_start..tag_end];
    let Some(i) = tag.find("integrity=\"") else {
        // No integrity attribute: nothing to update.
        return Ok(html.to_string());
    };
    let value_start = tag_start + i + "integrity=\"".len();
    let value_end = html[value_start..]
        .find('"')
        .map(|j| value_start + j)
        .ok_or("unterminated integrity attribute")?;
    Ok(format!(
        "{}{hash}{}",
        &html[..value_start],
        &html[value_end..]
    ))
}

/// The optimization flags of the release build (after the feature flags).
pub const OPT_FLAGS: &[&str] = &["-Oz"];

/// The `wasm-opt` command that optimizes `input` into `output` exactly as the release build
/// does, plus `extra` flags (e.g. `-g` to keep function names for a size analysis).
pub fn command(wasm_opt: &Path, input: &Path, output: &Path, extra: &[&str]) -> Cmd {
    Cmd::new(wasm_opt.to_string_lossy())
        .args(OPT_FLAGS.iter().copied())
        .args(FEATURES.iter().copied())
        .args(extra.iter().copied())
        .args([
            input.to_string_lossy(),
            "-o".into(),
            output.to_string_lossy(),
        ])
}

/// A usable `wasm-opt`: the npm one of `tests/`, else one on `PATH`, if new enough.
pub fn find_wasm_opt() -> Option<(PathBuf, u32)> {
    let mut candidates = Vec::new();
    candidates.push(workspace_root().join("tests/node_modules/.bin/wasm-opt"));
    candidates.push(PathBuf::from("wasm-opt"));
    candidates.into_iter().find_map(|path| {
        let out = Cmd::new(path.to_string_lossy())
            .args(["--version"])
            .quiet_output()?;
        let version = parse_version(&out)?;
        (version >= MIN_VERSION).then_some((path, version))
    })
}

/// Optimize the wasm in `dir` (or `$TRUNK_STAGING_DIR` for release builds — the Trunk hook).
pub fn run(dir: Option<&str>) -> Result<()> {
    let dir = match dir {
        Some(d) => d.to_string(),
        None => {
            if std::env::var("TRUNK_PROFILE").as_deref() != Ok("release") {
                println!("wasm-opt: not a release build; leaving the wasm alone");
                return Ok(());
            }
            std::env::var("TRUNK_STAGING_DIR")
                .map_err(|_| Error::usage("wasm-opt: give a directory (or run as Trunk's hook)"))?
        }
    };
    let Some((wasm_opt, version)) = find_wasm_opt() else {
        // The page works unoptimized; say loudly that it is bigger than it should be.
        eprintln!(
            "wasm-opt: WARNING no Binaryen ≥ {MIN_VERSION} found (run `cargo xtask setup-web` \
             to install it from npm into tests/node_modules); the wasm stays unoptimized"
        );
        return Ok(());
    };
    let dir = Path::new(&dir);
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::setup(format!("wasm-opt: cannot list {}: {e}", dir.display())))?;
    let wasm = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("_bg.wasm"))
        .ok_or_else(|| Error::setup(format!("wasm-opt: no *_bg.wasm in {}", dir.display())))?;
    let before = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0);
    let out = wasm.with_extension("opt.wasm");
    let cmd = command(&wasm_opt, &wasm, &out, &[]);
    let status = cmd
        .status()
        .map_err(|e| Error::setup(format!("wasm-opt: cannot run {}: {e}", cmd.display())))?;
    if !status.success() {
        return Err(Error::setup(format!(
            "wasm-opt: `{}` failed",
            cmd.display()
        )));
    }
    std::fs::rename(&out, &wasm)
        .map_err(|e| Error::setup(format!("wasm-opt: cannot replace the wasm: {e}")))?;
    let bytes = std::fs::read(&wasm)
        .map_err(|e| Error::setup(format!("wasm-opt: cannot read the wasm: {e}")))?;
    let index = dir.join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| Error::setup(format!("wasm-opt: cannot read {}: {e}", index.display())))?;
    let name = wasm
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let html = with_integrity(&html, &name, &sri(&bytes))
        .map_err(|e| Error::setup(format!("wasm-opt: {e}")))?;
    std::fs::write(&index, html)
        .map_err(|e| Error::setup(format!("wasm-opt: cannot write {}: {e}", index.display())))?;
    println!(
        "wasm-opt: Binaryen {version} {}: {before} → {} bytes ({name})",
        OPT_FLAGS.join(" "),
        bytes.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            parse_version("wasm-opt version 132 (version_132)\n"),
            Some(132)
        );
        assert_eq!(parse_version("wasm-opt version 108\n"), Some(108));
        assert_eq!(parse_version("nonsense"), None);
    }

    #[test]
    fn integrity_is_replaced_on_the_right_tag_only() {
        let page = r#"<link rel="modulepreload" href="./a.js" integrity="sha384-AAA"><link rel="preload" href="./a_bg.wasm" crossorigin="anonymous" integrity="sha384-BBB" as="fetch">"#;
        let out = with_integrity(page, "a_bg.wasm", "sha384-NEW").unwrap();
        assert!(out.contains(r#"href="./a.js" integrity="sha384-AAA""#));
        assert!(out.contains(r#"integrity="sha384-NEW" as="fetch""#));
        assert!(!out.contains("BBB"));
        assert!(with_integrity(page, "b.wasm", "x").is_err());
        assert_eq!(
            with_integrity("<a href=\"./c\">", "c", "x").unwrap(),
            "<a href=\"./c\">"
        );
    }

    #[test]
    fn sri_matches_openssl() {
        // printf abc | openssl dgst -sha384 -binary | base64
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}
