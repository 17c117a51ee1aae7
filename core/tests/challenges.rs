//! Chapters and challenges, through the registry: every chapter names real gallery scenarios
//! and every gallery scenario is in a chapter; every challenge's solution replay reaches its
//! goal, and the plain scenario without the solution does not.
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::run::registry::Registry;
use netsplit_core::run::tour::challenge::{attempt, replay_solution, Challenge};
use std::collections::BTreeSet;

#[test]
fn chapters_list_real_gallery_scenarios_and_cover_the_gallery() {
    let r = Registry::builtin();
    let gallery: BTreeSet<&str> = r.gallery().map(|g| g.id).collect();
    let mut covered = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for p in r.iter() {
        assert!(!p.chapters().is_empty(), "{} has no chapters", p.id());
        for c in p.chapters() {
            assert!(ids.insert(c.id), "chapter id {} twice", c.id);
            assert!(!c.title.is_empty() && !c.summary.is_empty() && !c.scenarios.is_empty());
            for s in c.scenarios {
                assert!(
                    gallery.contains(s),
                    "chapter {} names {s}, not in the gallery",
                    c.id
                );
                covered.insert(*s);
            }
            // A chapter's own protocol's scenarios come first: the tour opens on this protocol.
            let first = r.load_gallery(c.scenarios[0]).expect("loads");
            assert_eq!(
                r.get(&first.protocol).map(|q| q.id()),
                Some(p.id()),
                "chapter {} opens on another protocol",
                c.id
            );
        }
    }
    let missing: Vec<_> = gallery.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "gallery scenarios in no chapter: {missing:?}"
    );
    assert_eq!(r.chapters().count(), ids.len());
}

#[test]
fn every_challenge_is_solved_by_its_solution_and_not_without_it() {
    let r = Registry::builtin();
    let mut n = 0;
    for entry in r.challenges() {
        n += 1;
        let c = r
            .load_challenge(entry.id)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        let solved = replay_solution(&r, &c).expect("runs");
        assert!(
            solved.reached.is_some(),
            "{}: the solution does not reach the goal: {:?}",
            entry.id,
            solved.verdicts
        );
        let plain = attempt(&r, &c, &c.start).expect("runs");
        assert!(
            plain.reached.is_none(),
            "{}: the goal is reached without doing anything (t={:?})",
            entry.id,
            plain.reached
        );
        assert!(plain.verdicts.iter().any(|v| !v.met), "{}", entry.id);
    }
    assert!(n >= 6, "only {n} challenges");
    assert!(r.load_challenge("nope").is_err());
}

#[test]
fn a_challenge_document_is_validated_with_paths() {
    let r = Registry::builtin();
    let entry = r.challenges().next().expect("one");
    let bad = entry.json.replace(
        "\"check\": [",
        "\"check\": [{\"type\": \"leads\", \"node\": \"n9\", \"term\": 1},",
    );
    let e = Challenge::from_json(&r, &bad).unwrap_err();
    assert_eq!(e.path, "check[0].node", "{e}");
    assert!(e.message.contains("no node n9"), "{e}");
    let no_limit = entry.json.replace("\"until\":", "\"_until\":");
    assert!(Challenge::from_json(&r, &no_limit).is_err());
}
