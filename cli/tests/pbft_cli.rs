//! PBFT's faulty replicas from the command line and from scenario files: `netsplit run
//! --config-json` and a scenario's `config.byzantine` accept the behaviours, and refuse a bad
//! one with a message naming the field and the known behaviours.

use netsplit_cli::main_with;
use netsplit_cli::output;
use netsplit_core::protocols::pbft::ID;
use netsplit_core::run::registry::Registry;
use netsplit_core::Scenario;
use std::process::ExitCode;

fn cli(args: &[&str]) -> (ExitCode, String) {
    let argv: Vec<String> = std::iter::once("netsplit")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect();
    output::capture(|| main_with(&Registry::builtin(), argv))
}

#[test]
fn a_faulty_replica_is_chosen_on_the_command_line() {
    let (code, text) = cli(&[
        "run",
        "--protocol",
        ID,
        "--until",
        "2s",
        "--summary",
        "--config-json",
        r#"{"byzantine": {"n1": "equivocate"}}"#,
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(last.contains("n1:byzantine-primary@0"), "{last}");
    assert!(last.contains("violations=0"), "{last}");

    for bad in [
        r#"{"byzantine": {"n1": "evil"}}"#,
        r#"{"byzantine": {"n9": "silent"}}"#,
        r#"{"byzantine": {"n1": "silent", "n2": "silent"}}"#,
        r#"["not", "an", "object"]"#,
        "{byzantine",
    ] {
        let (code, _) = cli(&["run", "--protocol", ID, "--config-json", bad]);
        assert_eq!(code, ExitCode::from(2), "{bad}");
    }
}

#[test]
fn bad_behaviours_in_a_scenario_are_refused_with_the_reason() {
    let registry = Registry::builtin();
    let refused = |config: serde_json::Value| {
        let mut s = Scenario::new(ID, 1);
        s.cluster.nodes = 4;
        s.config = config;
        match registry.build(&s) {
            Ok(_) => panic!("{} was accepted", s.config),
            Err(e) => e.to_string(),
        }
    };
    let e = refused(serde_json::json!({"byzantine": {"n2": "evil"}}));
    assert!(e.contains("unknown Byzantine behaviour \"evil\""), "{e}");
    assert!(e.contains("silent, equivocate, wrong-results"), "{e}");
    let e = refused(serde_json::json!({"byzantine": {"n2": "crash"}}));
    assert!(e.contains("crash action"), "{e}");
    let e = refused(serde_json::json!({"byzantine": {"n9": "silent"}}));
    assert!(e.contains("config.byzantine.n9"), "{e}");
    assert!(e.contains("not a replica of this 4-replica cluster"), "{e}");
    let e = refused(serde_json::json!({"byzantine": {"n1": "silent", "n2": "silent"}}));
    assert!(e.contains("allow_more_than_f"), "{e}");
    // Every behaviour is accepted by name, and f + 1 with the switch.
    for b in netsplit_core::protocols::pbft::Behaviour::ALL {
        let mut s = Scenario::new(ID, 1);
        s.cluster.nodes = 4;
        s.config = serde_json::json!({"byzantine": {"n3": b.name()}});
        assert!(registry.build(&s).is_ok(), "{b}");
    }
    let mut s = Scenario::new(ID, 1);
    s.cluster.nodes = 4;
    s.config = serde_json::json!({"byzantine": {"n1": "silent", "n2": "silent"}, "allow_more_than_f": true});
    assert!(registry.build(&s).is_ok());
}
