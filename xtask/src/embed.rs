//! `embed.html`: the page for an `<iframe>` — the very same build as `index.html` (same wasm,
//! same loader script, so the same strict Content-Security-Policy), with
//! `<body data-mode="embed">`: the app reads that attribute and leaves out its top bar.
//!
//! Trunk builds one HTML entry point per build; a second build of the same crate would only
//! duplicate the wasm. So Trunk's `post_build` hook (see `Trunk.toml`) writes `embed.html`
//! from the built `index.html`, for debug and release builds alike, after `wasm-opt` and `csp`
//! have rewritten it. Every URL in the page is relative: it works from any sub-path.

use std::path::Path;

use crate::error::{Error, Result};

/// The mode attribute the app reads (`web/src/model/embed.rs`).
const MODE: &str = "data-mode=\"embed\"";

/// The embed's title (what a screen reader announces for the frame's document).
const TITLE: &str = "<title>netsplit (embedded)</title>";

/// `index.html` turned into `embed.html`.
pub fn embed_page(html: &str) -> std::result::Result<String, String> {
    if html.contains(MODE) {
        return Err("the page is already the embed".into());
    }
    let body = html
        .find("<body")
        .ok_or("the page has no <body> to mark as the embed")?;
    let after = body + "<body".len();
    let mut out = format!("{} {MODE}{}", &html[..after], &html[after..]);
    if let (Some(start), Some(end)) = (out.find("<title>"), out.find("</title>")) {
        if start < end {
            out.replace_range(start..end + "</title>".len(), TITLE);
        }
    }
    Ok(out)
}

/// Write `dir/embed.html` from `dir/index.html` (`$TRUNK_STAGING_DIR` when no directory is
/// given — the Trunk hook).
pub fn run(dir: Option<&str>) -> Result<()> {
    let dir = match dir {
        Some(d) => d.to_string(),
        None => std::env::var("TRUNK_STAGING_DIR")
            .map_err(|_| Error::usage("embed: give a directory (or run as Trunk's hook)"))?,
    };
    let index = Path::new(&dir).join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| Error::setup(format!("embed: cannot read {}: {e}", index.display())))?;
    let page = embed_page(&html).map_err(|e| Error::setup(format!("embed: {e}")))?;
    let out = Path::new(&dir).join("embed.html");
    std::fs::write(&out, page)
        .map_err(|e| Error::setup(format!("embed: cannot write {}: {e}", out.display())))?;
    println!("embed: wrote {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_body_and_keeps_everything_else() {
        let page = "<html><head><meta charset=\"utf-8\" /><title>netsplit — x</title><script type=\"module\">init()</script></head>\n  <body>\n<div id=\"app\"></div></body></html>";
        let out = embed_page(page).unwrap();
        assert!(out.contains("<body data-mode=\"embed\">"), "{out}");
        assert!(out.contains(TITLE));
        assert!(!out.contains("netsplit — x"));
        // The loader script is untouched: the CSP's hash of it still holds.
        assert_eq!(
            crate::csp::inline_scripts(&out),
            crate::csp::inline_scripts(page)
        );
        assert!(embed_page(&out).is_err(), "never applied twice");
        assert!(embed_page("<html></html>").is_err());
    }
}
