//! The teaching scenarios of the gallery state what happens; these tests hold them to it (their
//! traces are checked against the golden files by `golden.rs`, like every scenario).
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::protocols::raft::{self, Command, Raft};
use netsplit_core::run::playground::Session;
use netsplit_core::{build, NodeId, Playground, Scenario, Time};
use std::path::Path;

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/scenarios/{name}.json"));
    let text = std::fs::read_to_string(&path).expect("scenario file");
    Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run_to(s: &Scenario, t: u64) -> Box<dyn Playground> {
    let mut p = build(s).expect("valid scenario");
    p.run_until(Time(t), u64::MAX);
    p
}

fn trace(p: &dyn Playground) -> Vec<String> {
    (0..p.trace_len())
        .filter_map(|i| p.trace_line(i))
        .map(|l| l.text)
        .collect()
}

fn raft(p: &dyn Playground) -> &Session<Raft> {
    p.as_any().downcast_ref().expect("a Raft session")
}

fn leaders(p: &dyn Playground) -> Vec<(NodeId, u64)> {
    p.snapshot()
        .nodes
        .iter()
        .filter(|n| n.status == NodeStatus::Up && n.view.role == raft::LEADER)
        .map(|n| (n.id, n.view.term.unwrap_or(0)))
        .collect()
}

#[test]
fn a_split_vote_leaves_term_1_without_a_leader_then_n3_wins_term_2() {
    let s = load("raft-split-vote");
    let end = run_to(&s, s.until.unwrap().0);
    let lines = trace(end.as_ref());
    let candidates: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(" is candidate term=1"))
        .collect();
    assert_eq!(
        candidates.len(),
        4,
        "four candidates in term 1: {candidates:?}"
    );
    assert!(!lines.iter().any(|l| l.contains(" is leader term=1")));
    assert!(lines.iter().any(|l| l == "t=332 n1 votes for n3 in term 1"));
    assert!(lines.iter().any(|l| l == "t=478 n3 timer election fired"));
    assert!(lines
        .iter()
        .any(|l| l == "t=628 n3 won term 2 with votes from n1,n2,n3"));
    assert!(
        leaders(run_to(&s, 600).as_ref()).is_empty(),
        "nobody leads at t=600"
    );
    assert_eq!(leaders(end.as_ref()), vec![(NodeId(2), 2)]);
}

#[test]
fn a_write_to_a_cut_off_leader_is_never_committed_and_is_truncated_after_the_heal() {
    let s = load("raft-minority-write");
    let is_c1_put = |c: &Command| matches!(c, Command::Client { client, seq: 1, .. } if *client == NodeId::client(0));
    // Before the heal: n3 and n1 hold c1's put at index 2 of term 2, neither knows it committed,
    // and n3 no longer leads.
    let before = run_to(&s, 2_999);
    let sim = raft(before.as_ref()).sim();
    for id in [NodeId(2), NodeId(0)] {
        let server = sim.server(id).expect("running");
        let at2 = &server.log()[1];
        assert_eq!(at2.term, 2);
        assert!(is_c1_put(&at2.command), "{id}: {:?}", at2.command);
        assert!(server.commit_index() < 2, "{id} never commits it");
    }
    assert_eq!(leaders(before.as_ref()), vec![(NodeId(1), 6)]);
    let c1 = sim.client(NodeId::client(0)).expect("c1");
    let op = &c1.history()[0];
    assert!(op.gave_up && op.returned.is_none(), "c1 gave up: {op:?}");
    // After: no server holds it anywhere; every state machine has x=2; c2 read 2.
    let end = run_to(&s, s.until.unwrap().0);
    let sim = raft(end.as_ref()).sim();
    for id in sim.members() {
        let server = sim.server(*id).expect("running");
        assert!(!server.log().iter().any(|e| is_c1_put(&e.command)), "{id}");
        assert_eq!(
            server.kv().data.get("x").map(String::as_str),
            Some("2"),
            "{id}"
        );
    }
    let lines = trace(end.as_ref());
    for line in [
        "t=1278 n3 is follower term=2",
        "t=1335 c1 returns #1 put x 1 gave up: outcome unknown",
        "t=2203 n2 is leader term=6",
        "t=2642 n2 → c2 m426 ClientReply #1 ok (arrives t=2688)",
        "t=3193 n1 truncates its log from index 2",
        "t=3207 n3 truncates its log from index 2",
        "t=3647 c2 returns #2 get x → \"2\" (via n2)",
    ] {
        assert!(lines.iter().any(|l| l == line), "missing: {line}");
    }
    assert!(end.violations().is_empty());
}
