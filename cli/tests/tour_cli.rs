//! `netsplit run` plays a narrated scenario's captions and prints ✓/✗ per expectation; an
//! unmet expectation makes the run fail (exit status 1).

use netsplit_cli::main_with;
use netsplit_cli::output;
use netsplit_core::run::registry::Registry;
use netsplit_core::run::tour::{Caption, Expectation};
use netsplit_core::{NodeId, Time};
use std::process::ExitCode;

fn cli(args: &[&str]) -> (ExitCode, String) {
    let argv: Vec<String> = std::iter::once("netsplit")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect();
    output::capture(|| main_with(&Registry::builtin(), argv))
}

#[test]
fn a_gallery_tour_prints_every_caption_with_its_checks() {
    let (code, text) = cli(&["run", "--scenario", "gallery:raft-figure-8", "--summary"]);
    assert_eq!(code, ExitCode::SUCCESS, "{text}");
    let s = Registry::builtin()
        .load_gallery("raft-figure-8")
        .expect("loads");
    assert!(
        text.contains(&format!("# tour: {} captions", s.captions.len())),
        "{text}"
    );
    let claims: usize = s.captions.iter().map(|c| c.expect.len()).sum();
    assert_eq!(text.matches("#     ✓ ").count(), claims, "{text}");
    assert!(!text.contains('✗'), "{text}");
    assert!(text.contains("# captions: every expectation met"), "{text}");
    // Markdown is printed as plain text.
    assert!(text.contains("The paper's Figure 8, §5.4.2"), "{text}");
}

#[test]
fn a_false_claim_is_marked_and_fails_the_run() {
    let mut s = Registry::builtin()
        .load_gallery("raft-leader-crash")
        .expect("loads");
    let mut wrong = Caption::at(Time(3600), "n1 leads term 1 (it does not)");
    wrong.expect.push(Expectation::Leads {
        node: NodeId(0),
        term: 1,
    });
    s.captions.push(wrong);
    let k = s.captions.len() - 1;
    let dir = std::env::temp_dir().join(format!("netsplit-tour-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("wrong.json");
    std::fs::write(&path, s.to_json()).expect("write");
    let (code, text) = cli(&[
        "run",
        "--scenario",
        path.to_str().expect("utf-8"),
        "--summary",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, ExitCode::from(1), "{text}");
    assert!(
        text.contains("#     ✗ {\"type\":\"leads\",\"node\":\"n1\",\"term\":1}: n1 is follower in term 2, not leader of term 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!("# CAPTION FAILED captions[{k}].expect[0]")),
        "{text}"
    );
    // Every other caption still holds.
    assert_eq!(text.matches("# CAPTION FAILED").count(), 1, "{text}");
}
