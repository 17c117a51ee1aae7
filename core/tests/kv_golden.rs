//! The store's named scenarios promise specific outcomes (their traces are pinned by
//! `golden.rs` like every scenario's). Re-bless traces with
//! `NETSPLIT_BLESS=1 cargo test -p netsplit-core --test golden`.
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::protocols::dynamo::check::{analyze, histories, settled_state};
use netsplit_core::protocols::dynamo::node::OpRecord;
use netsplit_core::protocols::dynamo::{self, Dynamo, KvConfig, KvReply, Level};
use netsplit_core::run::playground::{parse_config, Playground, Session};
use netsplit_core::{NodeId, Scenario, Time};

fn load(name: &str) -> Scenario {
    netsplit_core::run::gallery::load(name).expect("gallery scenario")
}

fn run(name: &str, until: u64) -> Session<Dynamo> {
    let s = load(name);
    let config: KvConfig = parse_config(&s.config).unwrap();
    let mut session = Session::<Dynamo>::new(dynamo::ID, s, config).unwrap();
    session.run_until(Time(until), u64::MAX);
    assert!(
        session.violations().is_empty(),
        "{:?}",
        session.violations()
    );
    assert!(session.refused().is_empty(), "{:?}", session.refused());
    session
}

fn history(s: &Session<Dynamo>, client: usize) -> Vec<OpRecord> {
    s.sim()
        .client(NodeId::client(client))
        .map(|c| c.history().to_vec())
        .unwrap_or_default()
}

fn n(i: usize) -> NodeId {
    NodeId::from_index(i)
}

fn values(r: &OpRecord) -> Vec<String> {
    match &r.reply {
        KvReply::Read { values, .. } => values.iter().map(|(_, v)| v.clone()).collect(),
        other => panic!("not a read: {other}"),
    }
}

#[test]
fn the_scenarios_use_the_keys_they_describe() {
    let s = run("kv-siblings-partition", 0);
    let node = s.sim().server(n(0)).unwrap();
    assert_eq!(node.ring().replicas("cart", 3), vec![n(1), n(3), n(0)]);
    assert_eq!(node.ring().preference_list("cart")[3..], [n(2), n(4)]);
    assert_eq!(node.ring().replicas("profile", 3), vec![n(3), n(4), n(2)]);
}

#[test]
fn concurrent_writers_make_siblings_that_a_write_with_context_resolves() {
    let s = run("kv-siblings-partition", 9000);
    let c1 = history(&s, 0);
    assert!(c1[0].reply.ok() && history(&s, 1)[0].reply.ok());
    let mut seen = values(&c1[1]);
    seen.sort();
    assert_eq!(seen, vec!["book", "pen"], "the read returns both siblings");
    assert!(matches!(c1[2].reply, KvReply::Written { .. }));
    assert_eq!(values(&history(&s, 1)[1]), vec!["book+pen"]);
}

#[test]
fn lww_loses_the_later_write_and_counts_it() {
    let s = run("kv-lww-skew", 4000);
    let c1 = history(&s, 0);
    assert_eq!(values(&c1[1]), vec!["v1"]);
    assert!(matches!(history(&s, 1)[1].reply, KvReply::Written { .. }));
    let all = histories(s.sim(), &[NodeId::client(0), NodeId::client(1)]);
    let stats = analyze(&all, |k| settled_state(s.sim(), k));
    assert_eq!(stats[&Level::Strong].lost_writes, 1);
}

#[test]
fn replicas_converge_by_anti_entropy_after_the_heal() {
    let state =
        |s: &Session<Dynamo>, i: usize| s.sim().server(n(i)).unwrap().store()["profile"].clone();
    let before = run("kv-converge-after-heal", 2999);
    assert_ne!(state(&before, 3), state(&before, 4), "n4 and n5 disagree");
    let after = run("kv-converge-after-heal", 8000);
    let (a, b, c) = (state(&after, 2), state(&after, 3), state(&after, 4));
    assert!(a == b && b == c, "replicas converged");
    assert_eq!(a.versions.len(), 2, "both writes survive as siblings");
    // Nobody read: no read repair helped.
    let stats = |i: usize| after.sim().server(n(i)).unwrap().stats().clone();
    assert!((0..5).all(|i| stats(i).read_repairs == 0));
    assert!((0..5).map(|i| stats(i).ae_keys_sent).sum::<u64>() > 0);
}

#[test]
fn a_strong_write_fails_in_the_minority_and_an_eventual_one_succeeds() {
    let s = run("kv-strong-fails-in-minority", 8000);
    let c1 = history(&s, 0);
    assert!(
        matches!(&c1[0].reply, KvReply::Failed { reason, .. } if reason.contains("insufficient replicas")),
        "{}",
        c1[0].reply
    );
    assert!(matches!(c1[1].reply, KvReply::Written { .. }));
    let c2 = history(&s, 1);
    assert!(matches!(c2[0].reply, KvReply::Written { .. }));
    let mut seen = values(&c2[1]);
    seen.sort();
    assert_eq!(seen, vec!["majority", "minority"]);
}

#[test]
fn a_hint_is_handed_off_after_the_replica_returns() {
    let hint = ("n4".to_string(), "cart".to_string());
    let hints = |s: &Session<Dynamo>, i: usize| -> Vec<(String, String)> {
        s.sim()
            .server(n(i))
            .unwrap()
            .hints()
            .iter()
            .map(|(r, k)| (r.to_string(), k.clone()))
            .collect()
    };
    let during = run("kv-hinted-handoff", 2999);
    assert_eq!(hints(&during, 2), vec![hint], "n3 holds the hint for n4");
    let after = run("kv-hinted-handoff", 5000);
    assert!(hints(&after, 2).is_empty());
    let n4 = after.sim().server(n(3)).unwrap().store()["cart"].clone();
    assert_eq!(n4.versions[0].value, "v1");
}

#[test]
fn a_duplicate_that_arrives_after_its_coordinator_restarted_is_not_run_again() {
    let s = run("kv-duplicate-after-restart", 4000);
    let c1 = history(&s, 0);
    assert_eq!(c1.len(), 4);
    assert!(matches!(c1[0].reply, KvReply::Written { .. }));
    assert_eq!(values(&c1[1]), vec!["v1"]);
    assert!(matches!(c1[2].reply, KvReply::Written { .. }));
    assert_eq!(values(&c1[3]), vec!["v2"], "v1 does not come back");
    let trace = s.sim().trace_text();
    assert!(trace.contains("n1 restarted from durable state"));
    assert!(trace.contains(
        "c1's request #1 is not newer than #3, the last it sent here: a duplicate or a late copy"
    ));
    let n1 = s.sim().server(n(0)).unwrap();
    assert_eq!(n1.client_seen().get(&NodeId::client(0)), Some(&4));
    for i in 0..5 {
        let store = s.sim().server(n(i)).unwrap().store();
        if let Some(x) = store.get("x") {
            assert_eq!(x.versions.len(), 1, "n{}: {}", i + 1, x.compact());
        }
    }
}
