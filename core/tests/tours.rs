//! Captions in the scenario format: old documents still load, captions validate with paths,
//! and expectations are really decided against the run (met and unmet, with reasons).
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::run::registry::Registry;
use netsplit_core::run::tour::runner::check_captions;
use netsplit_core::run::tour::{Caption, EventMatch, Expectation};
use netsplit_core::{NodeId, Scenario, Time};

/// A version-1 document, exactly as this project wrote them before captions existed.
const OLD: &str = r#"{
  "format": "netsplit-scenario",
  "version": 1,
  "name": "leader crash",
  "protocol": "raft",
  "seed": 7,
  "cluster": { "nodes": 5, "net": { "latency_min_ms": 20, "latency_max_ms": 60 } },
  "actions": [ { "at": 1000, "control": { "type": "crash", "node": "n3" } } ],
  "until": 3000
}"#;

fn leader_crash() -> Scenario {
    let mut s = Scenario::from_json(OLD).expect("a version-1 document still loads");
    s.until = Some(Time(3000));
    s
}

fn parse_err(s: &Scenario) -> String {
    let text = s.to_json();
    match Scenario::from_json(&text) {
        Ok(s) => match Registry::builtin().build(&s) {
            Ok(_) => "accepted".into(),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_old_document_loads_without_captions_and_writes_back_as_it_was() {
    let s = Scenario::from_json(OLD).expect("loads");
    assert_eq!(s.version, 1);
    assert!(s.captions.is_empty());
    // No captions: it still says version 1, so older builds can read it.
    assert!(s.to_json().contains("\"version\": 1"), "{}", s.to_json());
    // With captions it says version 2 and round-trips.
    let mut s = s;
    s.captions.push(Caption::at(Time(500), "n3 *leads* term 2"));
    let text = s.to_json();
    assert!(text.contains("\"version\": 2"), "{text}");
    let back = Scenario::from_json(&text).expect("round trip");
    assert_eq!(back.captions, s.captions);
    assert_eq!(s.end(), Some(Time(3000)));
    let mut no_until = back;
    no_until.until = None;
    assert_eq!(
        no_until.end(),
        Some(Time(500)),
        "until defaults to the last caption"
    );
}

#[test]
fn captions_are_validated_with_the_path_of_the_field() {
    let mut s = leader_crash();
    for t in [100, 200, 300, 400] {
        s.captions.push(Caption::at(Time(t), "step"));
    }
    s.captions[3].highlight.nodes = vec![NodeId(0), NodeId(6)];
    assert_eq!(
        parse_err(&s),
        "captions[3].highlight.nodes[1]: no node n7 in a 5-server cluster"
    );
    s.captions[3].highlight.nodes = vec![NodeId(0)];
    s.captions[3].highlight.message = Some("Prepare".into());
    let e = parse_err(&s);
    assert!(
        e.starts_with("captions[3].highlight.message: Raft has no message kind \"Prepare\""),
        "{e}"
    );
    s.captions[3].highlight.message = Some("AppendEntries".into());
    assert_eq!(parse_err(&s), "accepted");
    s.captions[1].expect.push(Expectation::Role {
        nodes: vec![NodeId(1)],
        role: "primary".into(),
        term: None,
    });
    let e = parse_err(&s);
    assert!(
        e.starts_with("captions[1].expect[0].role: Raft has no role"),
        "{e}"
    );
    s.captions[1].expect.clear();
    s.captions[2].text = "see [this](javascript:alert(1))".into();
    let e = parse_err(&s);
    assert!(e.starts_with("captions[2].text: links only to"), "{e}");
    s.captions[2].text = "x".repeat(5000);
    assert!(parse_err(&s).starts_with("captions[2].text: is 5000 bytes"));
    s.captions[2].text = "ok".into();
    s.captions[2].after = Some(EventMatch::Control { control: None });
    assert!(parse_err(&s).starts_with("captions[2]: gives both"));
    s.captions[2].at = None;
    s.captions[2].after = Some(EventMatch::Control {
        control: Some("explode".into()),
    });
    assert!(parse_err(&s).starts_with("captions[2].after.control: no action type"));
    s.captions[2].after = Some(EventMatch::Control {
        control: Some("crash".into()),
    });
    s.captions[1].at = Some(Time(50));
    assert!(parse_err(&s).starts_with("captions[1].at: captions must be in time order"));
    s.captions[1].at = Some(Time(200));
    s.captions[0].expect.push(Expectation::Violation {
        checker: Some("no-such-property".into()),
        present: false,
    });
    assert!(parse_err(&s).starts_with("captions[0].expect[0].checker: Raft checks no property"));
    s.captions[0].expect[0] = Expectation::Read {
        client: NodeId::client(3),
        key: "x".into(),
        values: vec![],
    };
    assert_eq!(
        parse_err(&s),
        "captions[0].expect[0].client: no client c4: the scenario has 0 clients"
    );
    // Unknown fields are refused too.
    let text = leader_crash().to_json().replace(
        "\"seed\"",
        "\"captions\": [{\"at\": 1, \"text\": \"x\", \"colour\": 1}], \"seed\"",
    );
    assert!(Scenario::from_json(&text).is_err());
}

#[test]
fn expectations_are_decided_against_the_run_with_reasons() {
    let mut s = leader_crash();
    let mut before = Caption::at(Time(999), "n3 leads term 2; nobody is crashed yet.");
    before.expect = vec![
        Expectation::Leads {
            node: NodeId(2),
            term: 2,
        },
        Expectation::Committed {
            index: 1,
            nodes: vec![NodeId(0), NodeId(1), NodeId(2), NodeId(3), NodeId(4)],
        },
        // A false claim: it must come out unmet.
        Expectation::Leads {
            node: NodeId(0),
            term: 2,
        },
    ];
    let mut crashed = Caption {
        at: None,
        after: Some(EventMatch::Control {
            control: Some("crash".into()),
        }),
        ..Caption::at(Time(0), "n3 crashes.")
    };
    crashed.expect = vec![
        Expectation::Status {
            nodes: vec![NodeId(2)],
            status: netsplit_core::kernel::view::NodeStatus::Crashed,
        },
        Expectation::Not {
            expect: Box::new(Expectation::Violation {
                checker: None,
                present: true,
            }),
        },
    ];
    let mut campaign = Caption {
        at: None,
        after: Some(EventMatch::Role {
            node: None,
            role: Some("candidate".into()),
            term: Some(3),
        }),
        ..Caption::at(Time(0), "someone stands for term 3")
    };
    campaign.expect = vec![Expectation::Happened {
        event: EventMatch::Send {
            kind: Some("RequestVote".into()),
            from: None,
            to: None,
        },
        min: 1,
    }];
    s.captions = vec![before, crashed, campaign];
    let report = check_captions(&Registry::builtin(), &s).expect("runs");
    let step0 = &report.steps[0];
    assert_eq!(step0.fired_at, Some(Time(999)));
    assert!(step0.checks[0].verdict.met, "{:?}", step0.checks[0]);
    assert_eq!(step0.checks[0].verdict.reason, "n3 leads term 2");
    assert!(step0.checks[1].verdict.met, "{:?}", step0.checks[1]);
    assert!(!step0.checks[2].verdict.met);
    assert_eq!(
        step0.checks[2].verdict.reason,
        "n1 is follower in term 2, not leader of term 2"
    );
    assert_eq!(report.steps[1].fired_at, Some(Time(1000)));
    assert!(report.steps[1].all_met(), "{:?}", report.steps[1]);
    let t = report.steps[2].fired_at.expect("fires");
    assert!(t > Time(1000), "{t}");
    assert!(report.steps[2].all_met());
    assert_eq!(report.ends_at, t, "the tour stops at its last caption");
    // Replaying exactly `fired_step` steps reaches each caption's state.
    for step in &report.steps {
        let mut p = Registry::builtin().build(&s).expect("builds");
        for _ in 0..step.fired_step.expect("fired") {
            p.step();
        }
        let again = netsplit_core::run::tour::eval::Watcher::new()
            .check(p.as_ref(), &s.captions[step.index].expect);
        let before: Vec<_> = step.checks.iter().map(|c| c.verdict.clone()).collect();
        assert_eq!(again, before, "caption {}", step.index);
    }
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("captions[0].expect[2]"),
        "{failures:?}"
    );
}

#[test]
fn held_claims_need_the_whole_duration() {
    use netsplit_core::kernel::probe::TxnState;
    // 2PC, coordinator crashed after the votes: n2 is in doubt from t=120 on.
    let registry = Registry::builtin();
    let mut s = registry
        .load_gallery("2pc-coordinator-crash")
        .expect("loads");
    let in_doubt = |ms| Expectation::Held {
        ms,
        expect: Box::new(Expectation::Txn {
            txn: "t1".into(),
            state: TxnState::InDoubt,
            nodes: vec![NodeId(1)],
        }),
    };
    let mut c = Caption::at(Time(1120), "blocked for a second");
    c.expect = vec![in_doubt(990), in_doubt(1010)];
    s.captions = vec![c];
    let report = check_captions(&registry, &s).expect("runs");
    let checks = &report.steps[0].checks;
    assert!(checks[0].verdict.met, "{:?}", checks[0]);
    assert!(!checks[1].verdict.met, "{:?}", checks[1]);
    assert!(
        checks[1]
            .verdict
            .reason
            .contains("for 1000 of the 1010 ms needed"),
        "{:?}",
        checks[1]
    );
}

#[test]
fn captions_survive_a_share_link_and_say_version_2() {
    let mut s = Scenario::from_json(OLD).expect("loads");
    s.captions.push(Caption::at(Time(500), "n3 *leads* term 2"));
    let link = netsplit_core::run::link::encode(&s).expect("fits");
    let back = netsplit_core::run::link::decode(&link).expect("decodes");
    assert_eq!(back.captions, s.captions);
    assert_eq!(back.version, 2);
}
