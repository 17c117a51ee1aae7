//! `cargo xtask check-literals`: no protocol id as a string literal outside its own module.
//!
//! A protocol's id (`"raft"`) and its aliases are declared once, in its folder under
//! `core/src/protocols/<name>/` (`pub const ID: &str = "raft";`, `pub const ALIASES: &[&str] =
//! &["kv"];`, or any `…_ID: &str = "…"` constant). Everywhere else — the rest of `core/src`,
//! `web/src` and `cli/src` — code must name the constant, so renaming a protocol or adding one
//! never means hunting for strings. Allowed: the protocol's own core folder, its own page panel
//! (`web/src/panels/<name>.rs` or `web/src/panels/<name>/`), comments, and test code (files
//! named `tests.rs` / `*_tests.rs`, anything under a `tests/` folder, and everything after a
//! `#[cfg(test)]` line).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// One protocol id and the folder name of the protocol that owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    /// The id or alias.
    pub id: String,
    /// The owning protocol's folder under `core/src/protocols/`.
    pub owner: String,
}

/// A literal found where it must not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// File, relative to the workspace root.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The id.
    pub id: String,
    /// Its owner.
    pub owner: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: protocol id \"{}\" as a literal outside its own module (use netsplit_core::protocols::{}'s constant)",
            self.path, self.line, self.id, self.owner
        )
    }
}

/// The string literals of one line of Rust, outside `//` comments (block comments are not used
/// in this code base; a literal spanning lines is never a protocol id and is skipped).
pub fn literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == '/' && bytes.get(i + 1) == Some(&'/') {
            break;
        }
        if c == '\'' {
            // A char literal ('"' or '\'') or a lifetime: skip a char literal whole.
            if bytes.get(i + 2) == Some(&'\'') {
                i += 3;
                continue;
            }
            if bytes.get(i + 1) == Some(&'\\') && bytes.get(i + 3) == Some(&'\'') {
                i += 4;
                continue;
            }
            i += 1;
            continue;
        }
        if c == '"' {
            let mut text = String::new();
            let mut j = i + 1;
            let mut closed = false;
            while j < bytes.len() {
                match bytes[j] {
                    '\\' => {
                        if let Some(n) = bytes.get(j + 1) {
                            text.push(*n);
                        }
                        j += 2;
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    other => {
                        text.push(other);
                        j += 1;
                    }
                }
            }
            if closed {
                out.push(text);
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// The lines of `text` before its test code: everything up to a `#[cfg(test)]` that opens an
/// inline module or item (a `#[cfg(test)] mod name;` declaration only names another file).
fn non_test_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len())
        .find(|&i| {
            lines[i].trim_start().starts_with("#[cfg(test)]") && {
                let next = lines.get(i + 1).map_or("", |l| l.trim());
                !(next.starts_with("mod ") && next.ends_with(';'))
            }
        })
        .unwrap_or(lines.len());
    lines.into_iter().take(end).enumerate()
}

/// Whether `path` (relative, `/`-separated) is test code as a whole.
fn is_test_file(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    file == "tests.rs" || file.ends_with("_tests.rs") || path.split('/').any(|p| p == "tests")
}

/// Whether a literal of `owner`'s id may appear in `path`.
fn allowed_in(path: &str, owner: &str) -> bool {
    path.starts_with(&format!("core/src/protocols/{owner}/"))
        || path == format!("web/src/panels/{owner}.rs")
        || path.starts_with(&format!("web/src/panels/{owner}/"))
}

/// Ids declared in one protocol folder's source text.
pub fn declared_ids(source: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in source.lines() {
        let code = line.trim_start();
        if !code.starts_with("pub const ") {
            continue;
        }
        let Some((name, rest)) = code["pub const ".len()..].split_once(':') else {
            continue;
        };
        let name = name.trim();
        let declares = name == "ID" || name.ends_with("_ID") || name == "ALIASES";
        if declares && (rest.trim_start().starts_with("&str") || name == "ALIASES") {
            ids.extend(literals(rest));
        }
    }
    ids
}

/// Scan one file's text for literals of `ids` that do not belong there.
pub fn scan(path: &str, text: &str, ids: &[Owned]) -> Vec<Finding> {
    if is_test_file(path) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (n, line) in non_test_lines(text) {
        for lit in literals(line) {
            for owned in ids.iter().filter(|o| o.id == lit) {
                if !allowed_in(path, &owned.owner) {
                    out.push(Finding {
                        path: path.to_string(),
                        line: n + 1,
                        id: owned.id.clone(),
                        owner: owned.owner.clone(),
                    });
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every declared id with its owner, found under `root/core/src/protocols/`.
pub fn discover(root: &Path) -> Vec<Owned> {
    let mut by_owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let protocols = root.join("core/src/protocols");
    let Ok(entries) = fs::read_dir(&protocols) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let owner = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        for f in files {
            let path = relative(root, &f);
            if is_test_file(&path) {
                continue;
            }
            if let Ok(text) = fs::read_to_string(&f) {
                let code: String = non_test_lines(&text)
                    .map(|(_, l)| l)
                    .collect::<Vec<_>>()
                    .join("\n");
                by_owner
                    .entry(owner.clone())
                    .or_default()
                    .extend(declared_ids(&code));
            }
        }
    }
    by_owner
        .into_iter()
        .flat_map(|(owner, ids)| {
            ids.into_iter().map(move |id| Owned {
                id,
                owner: owner.clone(),
            })
        })
        .collect()
}

/// Scan `core/src`, `web/src` and `cli/src` under `root`. Returns the ids found (so a caller
/// can tell "nothing declared" from "all clean") and the findings.
pub fn check(root: &Path) -> (Vec<Owned>, Vec<Finding>) {
    let ids = discover(root);
    let mut findings = Vec::new();
    for dir in ["core/src", "web/src", "cli/src"] {
        let mut files = Vec::new();
        rust_files(&root.join(dir), &mut files);
        for f in files {
            if let Ok(text) = fs::read_to_string(&f) {
                findings.extend(scan(&relative(root, &f), &text, &ids));
            }
        }
    }
    (ids, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(id: &str, owner: &str) -> Owned {
        Owned {
            id: id.into(),
            owner: owner.into(),
        }
    }

    #[test]
    fn literals_skip_comments_chars_and_escapes() {
        assert_eq!(
            literals(r#"let a = "raft"; // "kv" in a comment"#),
            vec!["raft"]
        );
        assert_eq!(literals(r#"f('"', "x\"y", "z")"#), vec!["x\"y", "z"]);
        assert_eq!(literals(r#"fn f<'a>(x: &'a str) -> "2pc""#), vec!["2pc"]);
        assert!(literals("no strings here").is_empty());
    }

    #[test]
    fn ids_are_read_from_declarations_only() {
        let src = r#"
/// Raft's id.
pub const ID: &str = "raft";
pub const ALIASES: &[&str] = &["kv", "store"];
pub const TWO_PC_ID: &str = "2pc";
pub const NAME: &str = "Raft";
let x = "ignored";
"#;
        assert_eq!(declared_ids(src), vec!["raft", "kv", "store", "2pc"]);
    }

    #[test]
    fn a_literal_is_allowed_only_in_its_own_module_comments_and_tests() {
        let ids = vec![owned("raft", "raft"), owned("kv", "dynamo")];
        let code = "let s = Scenario::new(\"raft\", 1);\n// \"raft\" in a comment\n";
        let found = scan("web/src/app.rs", code, &ids);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 1);
        assert!(found[0].to_string().contains("web/src/app.rs:1"));
        assert!(scan("core/src/protocols/raft/entry.rs", code, &ids).is_empty());
        assert!(scan("web/src/panels/raft.rs", code, &ids).is_empty());
        assert!(scan("web/src/panels/raft/form.rs", code, &ids).is_empty());
        assert!(scan("core/src/run/timeline/tests.rs", code, &ids).is_empty());
        let after_tests = "fn f() {}\n#[cfg(test)]\nmod tests { const X: &str = \"raft\"; }\n";
        assert!(scan("core/src/run/link.rs", after_tests, &ids).is_empty());
        // A `#[cfg(test)] mod x;` declaration does not start test code.
        let declared = "#[cfg(test)]\nmod sim_tests;\nlet p = \"raft\";\n";
        assert_eq!(scan("core/src/run/link.rs", declared, &ids).len(), 1);
        // Another protocol's folder is not the owner's.
        let kv = "let id = \"kv\";\n";
        assert_eq!(scan("core/src/protocols/raft/mod.rs", kv, &ids).len(), 1);
        assert!(scan("core/src/protocols/dynamo/mod.rs", kv, &ids).is_empty());
    }
}
