use super::*;
use crate::kernel::control::Control;
use crate::kernel::trace::TraceEvent;
use crate::protocols::raft::{Raft, RaftConfig};

fn sim(seed: u64) -> Simulator<Raft> {
    Simulator::new(ClusterConfig::default(), RaftConfig::default(), seed).unwrap()
}

/// Message ids delivered on `from → to`, in delivery order, after trace position `start`.
fn delivered(s: &Simulator<Raft>, start: usize, from: NodeId, to: NodeId) -> Vec<MsgId> {
    s.trace()
        .iter_from(start)
        .filter_map(|e| match &e.event {
            TraceEvent::Deliver {
                id, from: f, to: t, ..
            } if (*f, *t) == (from, to) => Some(*id),
            _ => None,
        })
        .collect()
}

#[test]
fn a_held_link_releases_in_arrival_order_before_later_traffic() {
    let mut s = sim(3);
    s.run_until(Time(1500)); // a leader exists and heartbeats flow everywhere
    let (a, b) = (NodeId(0), NodeId(1));
    let leader = (0..5)
        .map(NodeId::from_index)
        .find(|n| s.node(*n).is_some_and(|x| x.role().leads))
        .unwrap();
    let other = if leader == a { b } else { a };
    s.apply(Control::Hold {
        from: leader,
        to: other,
    })
    .unwrap();
    s.run_until(Time(2500));
    assert!(
        s.counters().waited >= 3,
        "heartbeats waited on the held link"
    );
    let start = s.trace().len();
    s.apply(Control::HealAll).unwrap();
    s.run_until(Time(3000));
    let ids = delivered(&s, start, leader, other);
    assert!(ids.len() >= 4);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "FIFO per link: {ids:?}"
    );
}

#[test]
fn resume_handles_what_waited_in_order_and_skips_stale_timers() {
    let mut s = sim(4);
    s.run_until(Time(1500));
    s.apply(Control::Pause { node: NodeId(2) }).unwrap();
    s.run_until(Time(2500));
    let start = s.trace().len();
    s.apply(Control::Resume { node: NodeId(2) }).unwrap();
    // Everything that waited was handled as part of the resume.
    assert!(s.slots[2].deferred.is_empty());
    let ids: Vec<MsgId> = s
        .trace()
        .iter_from(start)
        .filter_map(|e| match &e.event {
            TraceEvent::Deliver { id, to, .. } if *to == NodeId(2) => Some(*id),
            _ => None,
        })
        .collect();
    assert!(!ids.is_empty());
    s.run_until(Time(6000));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn crash_drops_what_waits_and_restart_traces_the_role() {
    let mut s = sim(5);
    s.run_until(Time(1500));
    s.apply(Control::Pause { node: NodeId(1) }).unwrap();
    s.run_until(Time(1800));
    s.apply(Control::Crash { node: NodeId(1) }).unwrap();
    assert!(s.counters().dropped_receiver_crashed > 0);
    assert!(s.apply(Control::Crash { node: NodeId(1) }).is_err());
    let start = s.trace().len();
    s.apply(Control::Restart { node: NodeId(1) }).unwrap();
    assert!(s
        .trace()
        .iter_from(start)
        .any(|e| matches!(e.event, TraceEvent::Role { node, .. } if node == NodeId(1))));
}

#[test]
fn a_crashed_node_shows_what_a_restart_recovers() {
    let mut s = sim(3);
    s.run_until(Time(1500));
    let leader = (0..5)
        .map(NodeId::from_index)
        .find(|n| s.node(*n).is_some_and(|x| x.role().leads))
        .unwrap();
    let before = s.node(leader).map(|n| n.view()).unwrap();
    s.apply(Control::Crash { node: leader }).unwrap();
    let shown = |s: &Simulator<Raft>| {
        s.snapshot()
            .nodes
            .into_iter()
            .find(|n| n.id == leader)
            .map(|n| (n.status, n.view))
            .unwrap()
    };
    let (status, view) = shown(&s);
    assert_eq!(status, NodeStatus::Crashed);
    // Its term and log survive the crash (Raft's durable state); leadership does not.
    assert_eq!(view.term, before.term);
    let last = |v: &NodeView| v.log.as_ref().map(|l| l.last_index);
    assert_eq!(last(&view), last(&before));
    assert!(last(&view) > Some(0), "the leader had appended its no-op");
    assert!(!view.role.leads);
    // Asked again (made once, then kept): the same.
    assert_eq!(shown(&s).1, view);
}
