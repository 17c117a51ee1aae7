//! `cargo xtask csp [DIR]`: give the built page a strict Content-Security-Policy.
//!
//! Trunk loads the wasm with one inline `<script type="module">`. Rather than allowing every
//! inline script (`'unsafe-inline'`), this hashes that exact script and allows only it. Run by
//! Trunk's `post_build` hook (see `Trunk.toml`) on release builds, on `TRUNK_STAGING_DIR`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::path::Path;

use crate::error::{Error, Result};

/// The policy, with `{scripts}` replaced by the allowed inline-script hashes.
/// - no `unsafe-inline`, no `unsafe-eval`: only `wasm-unsafe-eval`, which WebAssembly needs;
/// - everything else only from the page's own origin (and `data:` images for the favicon).
const POLICY: &str = "default-src 'none'; script-src 'self' {scripts} 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
manifest-src 'self'; base-uri 'none'; form-action 'none'";

/// The contents of every inline `<script>` (one without `src`), in order.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            out.push(&after[body_start..body_start + close]);
        }
        rest = &after[body_start + close + "</script>".len()..];
    }
    out
}

/// `'sha256-…'` source expression for a script body.
pub fn hash_source(script: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(script.as_bytes()))
    )
}

/// The page with its CSP `<meta>` inserted right after `<meta charset>` (before any script).
pub fn with_policy(html: &str) -> std::result::Result<String, String> {
    if html.contains("Content-Security-Policy") {
        return Err("the page already has a Content-Security-Policy".into());
    }
    let scripts: Vec<String> = inline_scripts(html).into_iter().map(hash_source).collect();
    let policy = POLICY.replace("{scripts}", &scripts.join(" "));
    let meta =
        format!("\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\" />");
    let anchor = html
        .find("<meta charset")
        .and_then(|i| html[i..].find('>').map(|j| i + j + 1))
        .ok_or("the page has no <meta charset> to put the policy after")?;
    Ok(format!("{}{meta}{}", &html[..anchor], &html[anchor..]))
}

/// Apply the policy to `dir/index.html` (or to `$TRUNK_STAGING_DIR` for release builds when
/// no directory is given — the Trunk hook).
pub fn run(dir: Option<&str>) -> Result<()> {
    let dir = match dir {
        Some(d) => d.to_string(),
        None => {
            if std::env::var("TRUNK_PROFILE").as_deref() != Ok("release") {
                println!("csp: not a release build; leaving the page alone");
                return Ok(());
            }
            std::env::var("TRUNK_STAGING_DIR")
                .map_err(|_| Error::usage("csp: give a directory (or run as Trunk's hook)"))?
        }
    };
    let path = Path::new(&dir).join("index.html");
    let html = std::fs::read_to_string(&path)
        .map_err(|e| Error::setup(format!("csp: cannot read {}: {e}", path.display())))?;
    let out =
        with_policy(&html).map_err(|e| Error::setup(format!("csp: {}: {e}", path.display())))?;
    std::fs::write(&path, out)
        .map_err(|e| Error::setup(format!("csp: cannot write {}: {e}", path.display())))?;
    println!(
        "csp: strict Content-Security-Policy written into {}",
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><head><meta charset=\"utf-8\" />\n<script type=\"module\">\nimport init from './a.js';\n</script><script src=\"x.js\"></script></head></html>";

    #[test]
    fn finds_only_inline_scripts() {
        assert_eq!(inline_scripts(PAGE), vec!["\nimport init from './a.js';\n"]);
    }

    #[test]
    fn hashes_like_browsers_do() {
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            hash_source("alert(1)"),
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
    }

    #[test]
    fn inserts_the_policy_before_any_script() {
        let out = with_policy(PAGE).unwrap();
        let meta = out.find("Content-Security-Policy").unwrap();
        assert!(meta < out.find("<script").unwrap());
        assert!(out.contains("'wasm-unsafe-eval'"));
        assert!(!out.contains("unsafe-inline") && !out.contains("'unsafe-eval'"));
        assert!(with_policy(&out).is_err(), "never applied twice");
        assert!(with_policy("<html></html>").is_err());
    }
}
