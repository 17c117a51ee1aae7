//! `cargo xtask bench`: measure everything, write one JSON report and regenerate the figures
//! of `docs/benchmarks.md` from it.
//!
//! * [`sections`]: one function per measurement (the place to add more);
//! * [`report`]: the report file, merged section by section, each stamped with date, commit
//!   and machine;
//! * [`docs`]: the document's generated blocks;
//! * [`parse`]: reading what the measuring programs print.

pub mod docs;
pub mod parse;
pub mod report;
pub mod sections;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::steps::format_duration;
use crate::tools::{self, Tool};
use sections::{Ctx, Section, SECTIONS};

/// The report, under cargo's (git-ignored) target directory.
pub const REPORT: &str = "target/bench/report.json";
/// The document whose blocks are regenerated.
pub const DOC: &str = "docs/benchmarks.md";

/// Options of `cargo xtask bench`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Options {
    /// Sections to run (all if empty).
    pub only: Vec<String>,
    /// Use the existing `dist/` instead of building the page.
    pub no_build: bool,
    /// Do not rewrite the document.
    pub no_docs: bool,
    /// Only regenerate the document from the existing report.
    pub docs_only: bool,
    /// List the sections and exit.
    pub list: bool,
}

/// Parses the arguments after `bench`.
pub fn parse_args(rest: &[String]) -> Result<Options> {
    let mut opts = Options::default();
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--no-build" => opts.no_build = true,
            "--no-docs" => opts.no_docs = true,
            "--docs-only" => opts.docs_only = true,
            "--list" => opts.list = true,
            _ => match crate::flag_value("--only", arg, &mut iter)? {
                Some(value) => {
                    let names: Vec<String> = value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    if names.is_empty() {
                        return Err(Error::usage("`--only` needs at least one section"));
                    }
                    opts.only.extend(names);
                }
                None => {
                    return Err(Error::usage(format!(
                        "unknown option `{arg}` for `bench` (sections: {})",
                        names().join(", ")
                    )))
                }
            },
        }
    }
    if opts.docs_only && (!opts.only.is_empty() || opts.no_docs) {
        return Err(Error::usage(
            "`--docs-only` measures nothing: it takes neither `--only` nor `--no-docs`",
        ));
    }
    select(&opts.only)?;
    Ok(opts)
}

fn names() -> Vec<&'static str> {
    SECTIONS.iter().map(|s| s.name).collect()
}

/// The sections to run, in their fixed order; unknown names are errors.
pub fn select(only: &[String]) -> Result<Vec<&'static Section>> {
    for name in only {
        if !SECTIONS.iter().any(|s| s.name == name) {
            return Err(Error::usage(format!(
                "unknown section `{name}` (sections: {})",
                names().join(", ")
            )));
        }
    }
    Ok(SECTIONS
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|n| n == s.name))
        .collect())
}

/// Regenerates the document from the report at `report_path`.
fn write_docs(root: &Path, report: &serde_json::Value) -> Result<()> {
    let path = root.join(DOC);
    let doc = std::fs::read_to_string(&path)
        .map_err(|e| Error::setup(format!("cannot read {}: {e}", path.display())))?;
    let out = docs::regenerate(&doc, report)
        .map_err(|e| Error::setup(format!("{}: {e}", path.display())))?;
    if out != doc {
        std::fs::write(&path, out)
            .map_err(|e| Error::setup(format!("cannot write {}: {e}", path.display())))?;
        println!("bench: regenerated the figures of {DOC}");
    } else {
        println!("bench: {DOC} is up to date");
    }
    Ok(())
}

/// Runs `cargo xtask bench`.
pub fn run(opts: &Options, root: PathBuf) -> Result<ExitCode> {
    let chosen = select(&opts.only)?;
    if opts.list {
        for s in SECTIONS {
            println!("{:<16} {}", s.name, s.about);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report_path = root.join(REPORT);
    let mut report = report::load(&report_path).map_err(Error::setup)?;
    if opts.docs_only {
        write_docs(&root, &report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let needed: Vec<Tool> = chosen
        .iter()
        .flat_map(|s| s.tools.iter().copied())
        .collect();
    tools::ensure(&needed, &root)?;
    let mut ctx = Ctx::new(root.clone(), opts.no_build);
    let mut summary = Vec::new();
    for (i, section) in chosen.iter().enumerate() {
        println!(
            "\n==> [{}/{}] bench {}: {}",
            i + 1,
            chosen.len(),
            section.name,
            section.about
        );
        let stamp = report::stamp(&root);
        let start = Instant::now();
        let result = (section.run)(&mut ctx);
        let took = format_duration(start.elapsed());
        let verdict = match result {
            Ok(outcome) => {
                report::merge(&mut report, section.name, stamp, outcome.data);
                report::save(&report_path, &report).map_err(Error::setup)?;
                for p in &outcome.problems {
                    eprintln!("bench {}: PROBLEM: {p}", section.name);
                }
                if outcome.problems.is_empty() {
                    "ok"
                } else {
                    "PROBLEM"
                }
            }
            Err(e) => {
                eprintln!("bench {}: FAILED: {e}", section.name);
                "FAILED"
            }
        };
        println!("<== bench {}: {verdict} in {took}", section.name);
        summary.push((section.name, verdict, took));
    }
    println!("\n==> bench summary (report: {REPORT})");
    for (name, verdict, took) in &summary {
        println!("{name:<16} {verdict:<8} {took:>8}");
    }
    if !opts.no_docs {
        write_docs(&root, &report)?;
    }
    let failed = summary.iter().filter(|(_, v, _)| *v != "ok").count();
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("bench: {failed} section(s) failed or found a problem (recorded as measured)");
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_args(&args)
    }

    #[test]
    fn flags() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        let o = parse(&[
            "--only",
            "page,weight",
            "--only=chaos",
            "--no-build",
            "--no-docs",
        ])
        .unwrap();
        assert_eq!(o.only, ["page", "weight", "chaos"]);
        assert!(o.no_build && o.no_docs && !o.docs_only);
        assert!(parse(&["--docs-only"]).unwrap().docs_only);
        assert!(parse(&["--list"]).unwrap().list);
    }

    #[test]
    fn bad_flags_are_clear_errors() {
        let err = parse(&["--only", "pages"]).unwrap_err();
        assert!(
            err.message.contains("unknown section `pages`"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("first-node"),
            "lists the sections: {}",
            err.message
        );
        assert!(parse(&["--only"])
            .unwrap_err()
            .message
            .contains("needs a value"));
        assert!(parse(&["--only", ","])
            .unwrap_err()
            .message
            .contains("at least one"));
        assert!(parse(&["--fast"])
            .unwrap_err()
            .message
            .contains("unknown option `--fast`"));
        assert!(parse(&["--docs-only", "--only", "page"]).is_err());
        assert_eq!(
            parse(&["--fast"]).unwrap_err().code,
            crate::error::EXIT_SETUP
        );
    }

    #[test]
    fn selection_keeps_the_fixed_order() {
        let chosen = select(&["chaos".into(), "weight".into()]).unwrap();
        let names: Vec<&str> = chosen.iter().map(|s| s.name).collect();
        assert_eq!(names, ["weight", "chaos"]);
        assert_eq!(select(&[]).unwrap().len(), SECTIONS.len());
    }

    /// The committed document's blocks are all known and well formed, and regenerating it from
    /// an empty report changes nothing.
    #[test]
    fn the_committed_document_is_well_formed() {
        let root = crate::process::workspace_root();
        let doc = std::fs::read_to_string(root.join(DOC)).unwrap();
        assert_eq!(docs::regenerate(&doc, &report::empty()).unwrap(), doc);
        for name in docs::block_names() {
            assert!(
                doc.contains(&format!("<!-- bench:{name} -->")),
                "{DOC} has no block for section `{name}`"
            );
        }
    }
}
