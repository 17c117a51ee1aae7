//! Every expectation of every gallery scenario, checked against its run: the narration can
//! never drift from what the screen shows again. A failure names the scenario, the caption
//! and the expectation, with what was found instead.
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::run::registry::Registry;
use netsplit_core::run::tour::runner::{check_captions, TourReport};
use netsplit_core::run::tour::Expectation;
use netsplit_core::{NodeId, Scenario, Time};

fn failures_of(id: &str, s: &Scenario, report: &TourReport) -> Vec<String> {
    report
        .failures()
        .into_iter()
        .map(|f| {
            let step: Option<usize> = f
                .strip_prefix("captions[")
                .and_then(|r| r.split(']').next())
                .and_then(|n| n.parse().ok());
            let text = step
                .and_then(|k| s.captions.get(k))
                .map(|c| c.text.chars().take(70).collect::<String>())
                .unwrap_or_default();
            format!("gallery:{id} {f}\n      caption: {text:?}")
        })
        .collect()
}

#[test]
fn every_expectation_of_every_gallery_scenario_holds() {
    let registry = Registry::builtin();
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in registry.gallery() {
        let s = registry
            .load_gallery(entry.id)
            .unwrap_or_else(|e| panic!("gallery:{}: {e}", entry.id));
        let report = check_captions(&registry, &s).unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        assert_eq!(report.steps.len(), s.captions.len(), "{}", entry.id);
        checked += report.steps.iter().map(|s| s.checks.len()).sum::<usize>();
        failures.extend(failures_of(entry.id, &s, &report));
    }
    assert!(
        failures.is_empty(),
        "{} unmet (repro: netsplit run --scenario gallery:NAME --summary):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 0, "no expectation was checked at all");
}

#[test]
fn every_gallery_scenario_is_narrated_with_claims() {
    let registry = Registry::builtin();
    let mut bare = Vec::new();
    for entry in registry.gallery() {
        let s = registry.load_gallery(entry.id).expect("loads");
        let claims: usize = s.captions.iter().map(|c| c.expect.len()).sum();
        if s.captions.len() < 2 || claims < 2 {
            bare.push(entry.id);
        }
        // The tour must stop inside the run: its last timed caption is no later than `until`.
        if let (Some(until), Some(last)) = (s.until, s.captions.iter().filter_map(|c| c.at).max()) {
            assert!(
                last <= until,
                "{}: caption at {last} after until {until}",
                entry.id
            );
        }
    }
    assert!(
        bare.is_empty(),
        "gallery scenarios without a narration: {bare:?}"
    );
}

#[test]
fn a_false_claim_in_a_gallery_scenario_is_caught_and_named() {
    // The check has teeth: add a claim the run contradicts to a real gallery scenario.
    let registry = Registry::builtin();
    let id = registry.gallery().next().expect("a gallery").id;
    let mut s = registry.load_gallery(id).expect("loads");
    let mut caption = netsplit_core::run::tour::Caption::at(Time(1), "nothing has crashed");
    caption.expect.push(Expectation::Status {
        nodes: vec![NodeId(0)],
        status: netsplit_core::kernel::view::NodeStatus::Crashed,
    });
    s.captions.insert(0, caption);
    let report = check_captions(&registry, &s).expect("runs");
    let failures = failures_of(id, &s, &report);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with(&format!("gallery:{id} captions[0].expect[0]")),
        "{failures:?}"
    );
    assert!(
        failures[0].contains("n1 is up, not crashed"),
        "{failures:?}"
    );
}

/// The narration has teeth against the bug it explains: with Figure 8's mutant, exactly the
/// claims "n2 does not commit index 2" and "no checker fired" come out unmet.
#[cfg(feature = "mutants")]
#[test]
fn figure_8_narration_catches_the_commit_old_term_mutant() {
    let registry = Registry::builtin();
    let mut s = registry.load_gallery("raft-figure-8").expect("loads");
    s.config["mutant"] = serde_json::json!("commit-old-term");
    let report = check_captions(&registry, &s).expect("runs");
    let failures = report.failures();
    let last = s.captions.len() - 1;
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(
        failures[0].starts_with("captions[5].expect[1]"),
        "{failures:#?}"
    );
    assert!(
        failures[0].contains("n2's commit index is 2, not 1"),
        "{failures:#?}"
    );
    assert!(
        failures[1].starts_with(&format!("captions[{last}].expect[1]")),
        "{failures:#?}"
    );
}
