//! Bad input for atomic commit: every typo is refused with a clear message and changes nothing;
//! arbitrary text never panics the parser; anything the parser accepts prints back to itself.
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::protocols::atomic_commit::{msg::parse_request, CommitRequest};
use netsplit_core::{build, Control, NodeId, Playground, Scenario, Time};
use proptest::prelude::*;

fn session() -> Box<dyn Playground> {
    let mut s = Scenario::new("2pc", 1);
    s.cluster.nodes = 4;
    s.cluster.clients = 1;
    build(&s).expect("valid")
}

fn submit(p: &mut Box<dyn Playground>, node: &str, op: &str) -> Result<(), String> {
    p.apply(Control::Submit {
        client: NodeId::parse("c1").expect("client"),
        node: NodeId::parse(node).expect("node"),
        op: op.to_string(),
    })
    .map_err(|e| e.to_string())
}

#[test]
fn typos_are_refused_and_change_nothing() {
    let mut p = session();
    let before = p.trace_len();
    for (op, want) in [
        ("txn", "empty transaction"),
        ("", "empty"),
        ("   ", "empty"),
        ("txn n12:x=1", "unknown participant `n12`"),
        ("txn n2:x=1 n2:x=2", "duplicate key n2:x"),
        ("txn n2:x=1.5", "not a whole number"),
        ("commit everything", "unknown command"),
    ] {
        let err = submit(&mut p, "n1", op).expect_err(op);
        assert!(err.contains(want), "{op:?}: {err}");
    }
    assert_eq!(p.trace_len(), before, "refused commands leave no trace");
}

#[test]
fn participants_outside_the_cluster_are_rejected_by_the_coordinator() {
    let mut p = session();
    submit(&mut p, "n1", "txn n2:x=1 n7:y=2").expect("parses");
    submit(&mut p, "n1", "txn n1:x=1").expect("parses");
    p.run_until(Time(1000), u64::MAX);
    let text: String = (0..p.trace_len())
        .filter_map(|i| p.trace_line(i))
        .map(|l| l.text + "\n")
        .collect();
    assert!(text.contains("rejected: unknown participant n7"), "{text}");
    assert!(text.contains("rejected: n1 is the coordinator"), "{text}");
    assert!(!text.contains("begins"), "nothing started");
    assert!(p.violations().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn the_parser_never_panics(text in ".{0,120}") {
        let _ = parse_request(NodeId(1), &text);
    }

    #[test]
    fn accepted_transactions_print_back_to_themselves(
        items in proptest::collection::vec((1u8..9, "[a-z_][a-z0-9_]{0,5}", proptest::option::of(-99i64..99)), 1..8)
    ) {
        let text: Vec<String> = items
            .iter()
            .map(|(n, k, v)| match v {
                Some(v) => format!("n{}:{k}={v}", n + 1),
                None => format!("n{}:{k}", n + 1),
            })
            .collect();
        let op = format!("txn {}", text.join(" "));
        if let Ok(req) = parse_request(NodeId(0), &op) {
            prop_assert!(matches!(req, CommitRequest::Txn(_)));
            prop_assert_eq!(parse_request(NodeId(0), &req.to_string()), Ok(req));
        } else {
            // Only duplicates are refused here.
            let err = parse_request(NodeId(0), &op).unwrap_err();
            prop_assert!(err.contains("duplicate key"), "{}", err);
        }
    }
}

#[test]
fn a_scenario_with_a_bad_transaction_is_refused_when_it_loads() {
    let mut s = Scenario::new("2pc", 1);
    s.cluster.clients = 1;
    s.actions.push(netsplit_core::run::scenario::TimedAction {
        at: Time(10),
        control: Control::Submit {
            client: NodeId::client(0),
            node: NodeId(0),
            op: "txn n2:x=1 n2:x=2".into(),
        },
    });
    let e = build(&s).err().expect("refused");
    assert_eq!(e.path, "actions[0].control.op");
    assert!(e.message.contains("duplicate key n2:x"), "{e}");
}
