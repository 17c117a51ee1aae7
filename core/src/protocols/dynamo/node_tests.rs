//! Handler tests (effect lists) and small whole-cluster runs of the store.

use super::clock::VersionVector;
use super::node::{Health, KvClient, KvServer, KvTimer};
use super::request::{KvOp, KvReply, KvRequest};
use super::Dynamo;
use super::{ConflictMode, KvConfig, KvMsg};
use crate::kernel::config::ClusterConfig;
use crate::kernel::control::Control;
use crate::kernel::harness::Harness;
use crate::kernel::node::{Client, Ctx, Effect, Effects, Message, Server};
use crate::kernel::sim::Simulator;
use crate::kernel::trace::TraceEvent;
use crate::kernel::types::{NodeId, Time};

type Out = Effects<Dynamo>;

fn n(i: usize) -> NodeId {
    NodeId::from_index(i)
}

fn req(node: usize, text: &str) -> KvRequest {
    KvRequest {
        node: n(node),
        op: KvOp::parse(text).unwrap(),
    }
}

/// Actors that know their id (what the harness needs to play them).
trait Id {
    fn id(&self) -> NodeId;
}

impl Id for KvServer {
    fn id(&self) -> NodeId {
        KvServer::id(self)
    }
}

impl Id for KvClient {
    fn id(&self) -> NodeId {
        KvClient::id(self)
    }
}

/// Run one handler of `node` at `now` in a 5-server cluster and return its effects.
fn handle<A: Id>(node: &mut A, now: u64, f: impl FnOnce(&mut A, &mut Ctx<'_, Dynamo>)) -> Out {
    let id = node.id();
    Harness::new(5).at(now).run(id, node, f)
}

fn sends(out: &Out) -> Vec<String> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Send { to, msg } => Some(format!("{}→{to}", msg.kind())),
            _ => None,
        })
        .collect()
}

fn only_sends(out: Out) -> Out {
    out.into_iter()
        .filter(|e| matches!(e, Effect::Send { .. }))
        .collect()
}

fn replies(out: &Out) -> Vec<KvReply> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Reply { reply, .. } => Some(reply.clone()),
            _ => None,
        })
        .collect()
}

/// A key whose first replica is node `first`.
fn key_led_by(node: &KvServer, first: usize) -> String {
    (0..1000)
        .map(|i| format!("k{i}"))
        .find(|k| node.ring().replicas(k, 3)[0] == n(first))
        .unwrap()
}

fn ids(servers: usize) -> Vec<NodeId> {
    (0..servers).map(NodeId::from_index).collect()
}

fn server(i: usize, config: &KvConfig) -> KvServer {
    let mut s = <KvServer as Server<Dynamo>>::new(n(i), &ids(5), config, None);
    handle(&mut s, 0, |s, ctx| s.on_start(ctx));
    s
}

#[test]
fn a_strong_write_goes_to_the_other_replicas_and_answers_after_w_acks() {
    let config = KvConfig::default();
    let mut s = server(0, &config);
    let key = key_led_by(&s, 0);
    let reps = s.ring().replicas(&key, 3);
    let out = handle(&mut s, 10, |s, ctx| {
        s.on_request(ctx, 7, req(0, &format!("put {key} v strong")))
    });
    assert_eq!(
        sends(&out),
        vec![format!("Put→{}", reps[1]), format!("Put→{}", reps[2])]
    );
    assert!(
        replies(&out).is_empty(),
        "W=2: the local copy is one of two"
    );
    assert!(out.contains(&Effect::SetTimer {
        timer: KvTimer::Deadline(1),
        after_ms: config.request_timeout_ms
    }));
    let out = handle(&mut s, 20, |s, ctx| {
        s.on_message(ctx, reps[1], KvMsg::PutAck { op: 1 })
    });
    let r = replies(&out);
    assert_eq!(r.len(), 1);
    let KvReply::Written { dot, acked, .. } = &r[0] else {
        panic!("{r:?}")
    };
    assert_eq!((dot.node, dot.counter), (n(0), 1));
    assert_eq!(acked, &vec![n(0), reps[1]]);
    // The last ack finishes the operation without a second answer.
    let out = handle(&mut s, 25, |s, ctx| {
        s.on_message(ctx, reps[2], KvMsg::PutAck { op: 1 })
    });
    assert!(replies(&out).is_empty());
    assert!(out.contains(&Effect::CancelTimer {
        timer: KvTimer::Deadline(1)
    }));
}

#[test]
fn unavailable_replicas_make_a_strict_write_fail_at_once_and_a_sloppy_one_use_fallbacks() {
    let config = KvConfig::default();
    let mut s = server(0, &config);
    let key = key_led_by(&s, 0);
    let pref = s.ring().preference_list(&key);
    // Nobody has been heard from for a long time.
    let late = config.unavailable_after_ms + 10;
    assert_eq!(s.health(pref[1], Time(late)), Health::Unavailable);
    let out = handle(&mut s, late, |s, ctx| {
        s.on_request(ctx, 1, req(0, &format!("put {key} v strong")))
    });
    assert!(sends(&out).is_empty());
    let r = replies(&out);
    assert!(
        matches!(&r[0], KvReply::Failed { reason, unknown: false, .. } if reason.contains("insufficient replicas")),
        "{r:?}"
    );
    // Eventual consistency: the coordinator's own copy is enough.
    let out = handle(&mut s, late, |s, ctx| {
        s.on_request(ctx, 1, req(0, &format!("put {key} v eventual")))
    });
    assert!(matches!(replies(&out)[0], KvReply::Written { .. }));
    // Heard from the fallbacks only: a sloppy write stands them in, with hints.
    for f in &pref[3..] {
        handle(&mut s, late, |s, ctx| {
            s.on_message(ctx, *f, KvMsg::Heartbeat)
        });
    }
    let out = handle(&mut s, late + 1, |s, ctx| {
        s.on_request(ctx, 1, req(0, &format!("put {key} w sloppy")))
    });
    assert_eq!(
        sends(&out),
        vec![
            format!("HintedPut→{}", pref[3]),
            format!("HintedPut→{}", pref[4])
        ]
    );
}

#[test]
fn a_replica_stores_a_hinted_put_and_keeps_the_hint() {
    let config = KvConfig::default();
    let mut s = server(3, &config);
    let mut state = super::store::KeyState::default();
    state.write(
        n(0),
        &VersionVector::new(),
        "v".into(),
        0,
        ConflictMode::Siblings,
    );
    let out = handle(&mut s, 5, |s, ctx| {
        s.on_message(
            ctx,
            n(0),
            KvMsg::Put {
                op: 9,
                key: "k".into(),
                state: state.clone(),
                hint_for: Some(n(1)),
            },
        )
    });
    assert_eq!(sends(&out), vec!["PutAck→n1".to_string()]);
    assert_eq!(s.store()["k"], state);
    assert!(s.hints().contains(&(n(1), "k".to_string())));
    assert_eq!(s.durable().hints.len(), 1, "hints are durable");
    // The handoff timer sends it to n2; the ack for that state clears it.
    let out = handle(&mut s, 100, |s, ctx| s.on_timer(ctx, KvTimer::Handoff));
    assert!(sends(&out).contains(&"Handoff→n2".to_string()));
    let digest = state.digest();
    handle(&mut s, 120, |s, ctx| {
        s.on_message(
            ctx,
            n(1),
            KvMsg::HandoffAck {
                key: "k".into(),
                digest,
            },
        )
    });
    assert!(s.hints().is_empty());
}

#[test]
fn anti_entropy_exchanges_only_differing_keys() {
    let config = KvConfig::default();
    let mut a = server(0, &config);
    let mut b = server(1, &config);
    // Keys both replicate.
    let shared: Vec<String> = (0..200)
        .map(|i| format!("k{i}"))
        .filter(|k| {
            let r = a.ring().replicas(k, 3);
            r.contains(&n(0)) && r.contains(&n(1))
        })
        .take(3)
        .collect();
    let m = ConflictMode::Siblings;
    for k in &shared {
        let mut st = super::store::KeyState::default();
        st.write(n(2), &VersionVector::new(), "same".into(), 0, m);
        for node in [&mut a, &mut b] {
            handle(node, 1, |s, ctx| {
                s.on_message(
                    ctx,
                    n(2),
                    KvMsg::ReadRepair {
                        key: k.clone(),
                        state: st.clone(),
                    },
                )
            });
        }
    }
    // One key differs: only a has a newer write.
    let mut newer = super::store::KeyState::default();
    newer.write(n(3), &VersionVector::new(), "new".into(), 0, m);
    handle(&mut a, 2, |s, ctx| {
        s.on_message(
            ctx,
            n(3),
            KvMsg::ReadRepair {
                key: shared[1].clone(),
                state: newer.clone(),
            },
        )
    });
    let out = handle(&mut a, 3, |s, ctx| s.on_timer(ctx, KvTimer::AntiEntropy));
    let Some(Effect::Send { to, msg }) = out.iter().find(|e| matches!(e, Effect::Send { .. }))
    else {
        panic!("no digest sent")
    };
    assert_eq!(*to, n(1));
    let out = only_sends(handle(&mut b, 4, |s, ctx| {
        s.on_message(ctx, n(0), msg.clone())
    }));
    let [Effect::Send {
        msg: keys @ KvMsg::AeKeys { buckets, .. },
        ..
    }] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(buckets.len(), 1, "one bucket differs");
    let out = only_sends(handle(&mut a, 5, |s, ctx| {
        s.on_message(ctx, n(1), keys.clone())
    }));
    let [Effect::Send {
        msg: sync @ KvMsg::AeSync { states, want },
        ..
    }] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(states.len(), 1, "only the differing key travels");
    assert_eq!(states[0].0, shared[1]);
    assert!(want.contains(&shared[1]));
    let out = handle(&mut b, 6, |s, ctx| s.on_message(ctx, n(0), sync.clone()));
    assert_eq!(a.store()[&shared[1]], b.store()[&shared[1]]);
    assert_eq!(sends(&out), vec!["AeSync→n1".to_string()]);
}

#[test]
fn a_duplicate_client_request_is_not_run_again_even_after_a_restart() {
    let config = KvConfig::default();
    let c1 = NodeId::client(0);
    let mut s = server(0, &config);
    let key = key_led_by(&s, 0);
    let put = |req: u64, value: &str| KvMsg::ClientOp {
        req,
        op: Box::new(KvOp::parse(&format!("put {key} {value} eventual")).unwrap()),
    };
    let out = handle(&mut s, 10, |s, ctx| s.on_message(ctx, c1, put(1, "v1")));
    assert!(!only_sends(out).is_empty(), "request #1 runs");
    assert_eq!(s.executed().len(), 1);
    // The table is durable: a restarted server still knows #1.
    let durable = s.durable();
    assert_eq!(durable.client_seen.get(&c1), Some(&1));
    let mut s = <KvServer as Server<Dynamo>>::new(n(0), &ids(5), &config, Some(durable));
    handle(&mut s, 20, |s, ctx| s.on_start(ctx));
    let out = handle(&mut s, 30, |s, ctx| s.on_message(ctx, c1, put(1, "v1")));
    assert_eq!(
        out,
        vec![
            Effect::Count("duplicate_requests"),
            Effect::Note(
                "c1's request #1 is not newer than #1, the last it sent here: a duplicate or a \
                 late copy, not run again"
                    .into()
            ),
        ]
    );
    assert!(s.executed().is_empty());
    assert_eq!(s.store()[&key].versions.len(), 1, "no second version");
}

#[test]
fn a_retry_of_a_request_that_ran_is_answered_again_not_run_again() {
    let config = KvConfig::default();
    let c1 = NodeId::client(0);
    let mut s = server(0, &config);
    let key = key_led_by(&s, 0);
    let op = KvOp::parse(&format!("put {key} v1 local")).unwrap();
    let msg = KvMsg::ClientOp {
        req: 7,
        op: Box::new(op),
    };
    let out = handle(&mut s, 10, |s, ctx| s.on_message(ctx, c1, msg.clone()));
    let first = replies_to(&out, c1);
    assert_eq!(first.len(), 1, "a local write answers at once");
    let out = handle(&mut s, 20, |s, ctx| s.on_message(ctx, c1, msg.clone()));
    assert_eq!(
        out,
        vec![
            Effect::Count("duplicate_requests"),
            Effect::Note(
                "c1's request #7 ran here already: answering again, not running it".into()
            ),
            Effect::Send {
                to: c1,
                msg: KvMsg::ClientReply {
                    req: 7,
                    reply: Box::new(first[0].clone())
                }
            },
        ]
    );
}

/// Client replies sent to `client` (what a client actor receives).
fn replies_to(out: &Out, client: NodeId) -> Vec<KvReply> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Send {
                to,
                msg: KvMsg::ClientReply { reply, .. },
            } if *to == client => Some((**reply).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_client_resends_the_same_request_to_the_same_server_then_gives_up() {
    let config = KvConfig {
        client_retries: 1,
        ..KvConfig::default()
    };
    let mut c = client_node(&config);
    let sent = handle(&mut c, 10, |c, ctx| c.on_request(ctx, 0, req(2, "put k v")));
    let original = only_sends(sent);
    let out = handle(&mut c, 2010, |c, ctx| {
        c.on_timer(ctx, KvTimer::ClientWait(1))
    });
    let mut want = vec![
        Effect::Count("client_retries"),
        Effect::Note("no answer to #1 within 2000 ms: resending it to n3 (retry 1 of 1)".into()),
    ];
    want.extend(original);
    want.push(Effect::SetTimer {
        timer: KvTimer::ClientWait(1),
        after_ms: 2000,
    });
    assert_eq!(out, want);
    let out = handle(&mut c, 4010, |c, ctx| {
        c.on_timer(ctx, KvTimer::ClientWait(1))
    });
    let r = replies(&out);
    assert!(
        matches!(&r[..], [KvReply::Failed { reason, unknown: true, .. }] if reason == "no answer from n3 within 2000 ms (2 tries)"),
        "{r:?}"
    );
    assert!(c.idle());
}

fn sim(config: KvConfig, seed: u64) -> Simulator<Dynamo> {
    let cluster = ClusterConfig {
        nodes: 5,
        ..ClusterConfig::default()
    };
    Simulator::new(cluster, config, seed).unwrap()
}

fn last_reply(sim: &Simulator<Dynamo>) -> KvReply {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::Reply { reply, .. } => Some(reply.clone()),
            _ => None,
        })
        .last()
        .expect("a reply")
}

fn run(sim: &mut Simulator<Dynamo>, node: usize, text: &str) -> KvReply {
    let t = sim.now();
    sim.request(n(node), 1, req(node, text)).unwrap();
    sim.run_until(t.plus(1500));
    last_reply(sim)
}

#[test]
fn concurrent_writes_in_a_partition_become_siblings_that_a_write_with_context_resolves() {
    let mut s = sim(KvConfig::default(), 3);
    let ring = s.server(n(0)).unwrap().ring().clone();
    let x = (0..1000)
        .map(|i| format!("x{i}"))
        .find(|k| {
            let r = ring.replicas(k, 3);
            r.contains(&n(0)) && r.contains(&n(3))
        })
        .unwrap();
    s.run_until(Time(500));
    s.apply(Control::Partition {
        groups: vec![vec![n(0), n(1)], vec![n(2), n(3), n(4)]],
    })
    .unwrap();
    s.run_until(Time(2000));
    assert!(run(&mut s, 0, &format!("put {x} left eventual")).ok());
    assert!(run(&mut s, 3, &format!("put {x} right eventual")).ok());
    s.apply(Control::HealAll).unwrap();
    s.run_until(Time(8000));
    let KvReply::Read { values, ctx, .. } = run(&mut s, 2, &format!("get {x} strong")) else {
        panic!()
    };
    assert_eq!(values.len(), 2, "{values:?}");
    let resolve = format!("put {x} both strong ctx={ctx}");
    assert!(run(&mut s, 2, &resolve).ok());
    let KvReply::Read { values, .. } = run(&mut s, 4, &format!("get {x} strong")) else {
        panic!()
    };
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].1, "both");
    s.run_until(Time(15_000));
    assert!(super::check::converged(&s));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn lww_with_a_lagging_clock_loses_an_acknowledged_write() {
    let config = KvConfig {
        conflict: ConflictMode::Lww,
        clock_skew_ms: vec![0, -5000, 0, 0, 0],
        ..KvConfig::default()
    };
    let mut s = sim(config, 1);
    s.run_until(Time(500));
    assert!(run(&mut s, 0, "put y first strong").ok());
    let second = run(&mut s, 1, "put y second strong");
    assert!(second.ok());
    let KvReply::Read { values, .. } = run(&mut s, 2, "get y strong") else {
        panic!()
    };
    assert_eq!(values.len(), 1);
    assert_eq!(
        values[0].1, "first",
        "the later write lost to the earlier clock"
    );
    assert!(s.violations().is_empty(), "LWW losses are not violations");
}

#[test]
fn direct_requests_reject_bad_consistency_clearly() {
    let mut s = sim(KvConfig::default(), 1);
    let r = run(&mut s, 0, "put k v n=7");
    assert!(
        matches!(&r, KvReply::Failed { reason, .. } if reason.contains("N=7 exceeds the cluster size")),
        "{r:?}"
    );
}

#[test]
fn a_coordinator_refuses_an_n_above_the_replication_factor_and_sends_nothing() {
    let config = KvConfig {
        replicas: 2,
        ..KvConfig::default()
    };
    let mut s = server(0, &config);
    let key = key_led_by(&s, 0);
    let out = handle(&mut s, 10, |s, ctx| {
        s.on_request(ctx, 7, req(0, &format!("put {key} v n=3 w=2")))
    });
    let reason = "invalid request: N=3 exceeds the replication factor N=2: only 2 replicas per \
                  key are kept in sync";
    assert_eq!(
        out,
        vec![Effect::Reply {
            client: 7,
            reply: KvReply::Failed {
                key: key.clone(),
                reason: reason.to_string(),
                unknown: false,
            },
        }]
    );
    // Up to the factor, the same request is coordinated.
    let reps = s.ring().replicas(&key, 2);
    let out = handle(&mut s, 20, |s, ctx| {
        s.on_request(ctx, 8, req(0, &format!("put {key} v n=2 w=2")))
    });
    assert!(replies(&out).is_empty(), "{out:?}");
    assert_eq!(sends(&out), vec![format!("Put→{}", reps[1])]);
}

fn client_node(config: &KvConfig) -> KvClient {
    let mut c = <KvClient as Client<Dynamo>>::new(NodeId::client(0), &ids(5), config);
    handle(&mut c, 0, |c, ctx| c.on_start(ctx));
    c
}

#[test]
fn a_client_runs_one_operation_at_a_time_and_writes_back_its_last_read_context() {
    let config = KvConfig::default();
    let mut c = client_node(&config);
    let out = handle(&mut c, 10, |c, ctx| {
        c.on_request(ctx, 0, req(1, "get k strong"))
    });
    assert_eq!(sends(&out), vec!["ClientGet→n2".to_string()]);
    assert!(out.contains(&Effect::SetTimer {
        timer: KvTimer::ClientWait(1),
        after_ms: config.client_timeout_ms
    }));
    // A second operation queues behind the first.
    let out = handle(&mut c, 11, |c, ctx| {
        c.on_request(ctx, 0, req(2, "put k v strong ctx=last"))
    });
    assert!(sends(&out).is_empty());
    assert!(!c.idle());
    let mut ctx_vv = VersionVector::new();
    ctx_vv.raise(n(3), 4);
    let answer = KvReply::Read {
        key: "k".into(),
        values: vec![],
        ctx: ctx_vv.clone(),
        answered: vec![n(1)],
    };
    let out = handle(&mut c, 50, |c, ctx| {
        c.on_message(
            ctx,
            n(1),
            KvMsg::ClientReply {
                req: 1,
                reply: Box::new(answer.clone()),
            },
        )
    });
    // The answer goes to the history and the trace; the queued write goes out with ctx=n4:4.
    assert_eq!(replies(&out), vec![answer]);
    let sent = out.iter().find_map(|e| match e {
        Effect::Send {
            to,
            msg: KvMsg::ClientOp { req, op },
        } => Some((*to, *req, op.clone())),
        _ => None,
    });
    let (to, r, op) = sent.expect("the queued put is sent");
    assert_eq!((to, r), (n(2), 2));
    assert!(
        matches!(*op, KvOp::Put { ref ctx, ctx_last: false, .. } if *ctx == ctx_vv),
        "{op}"
    );
    assert_eq!(c.history().len(), 1);
    assert_eq!(c.history()[0].sent, Time(10));
    // A late duplicate of the first answer is ignored; a timeout ends the second operation.
    let out = handle(&mut c, 60, |c, ctx| {
        c.on_message(
            ctx,
            n(1),
            KvMsg::ClientReply {
                req: 1,
                reply: Box::new(KvReply::Failed {
                    key: "k".into(),
                    reason: "x".into(),
                    unknown: false,
                }),
            },
        )
    });
    assert!(replies(&out).is_empty());
    let out = handle(&mut c, 3000, |c, ctx| {
        c.on_timer(ctx, KvTimer::ClientWait(2))
    });
    let r = replies(&out);
    assert!(
        matches!(&r[0], KvReply::Failed { unknown: true, reason, .. } if reason.contains("no answer from n3")),
        "{r:?}"
    );
    assert!(c.idle());
}

#[test]
fn a_client_refuses_what_the_cluster_cannot_serve_without_sending() {
    let mut c = client_node(&KvConfig::default());
    let out = handle(&mut c, 1, |c, ctx| {
        c.on_request(ctx, 0, req(0, "put k v n=6"))
    });
    assert!(sends(&out).is_empty());
    assert!(
        matches!(&replies(&out)[0], KvReply::Failed { reason, .. } if reason.contains("N=6 exceeds the cluster size")),
        "{out:?}"
    );
}

#[test]
fn submitted_commands_are_parsed_and_typos_change_nothing() {
    let cluster = ClusterConfig {
        nodes: 5,
        clients: 2,
        ..ClusterConfig::default()
    };
    let mut s = Simulator::<Dynamo>::new(cluster, KvConfig::default(), 9).unwrap();
    s.run_until(Time(300));
    for (bad, why) in [
        ("put k", "missing value"),
        ("get  ", "missing key"),
        ("put k v n=2 w=3", "W=3 exceeds N=2"),
        ("frobnicate", "unknown operation"),
    ] {
        let e = s
            .apply(Control::Submit {
                client: NodeId::client(0),
                node: n(0),
                op: bad.into(),
            })
            .unwrap_err();
        assert!(e.0.contains(why), "{bad:?}: {e}");
    }
    let submit = |s: &mut Simulator<Dynamo>, op: &str| {
        s.apply(Control::Submit {
            client: NodeId::client(1),
            node: n(2),
            op: op.into(),
        })
        .unwrap();
        let t = s.now();
        s.run_until(t.plus(1000));
    };
    submit(&mut s, "put k hello strong");
    submit(&mut s, "get k eventual");
    let h = s.client(NodeId::client(1)).unwrap().history().to_vec();
    assert_eq!(h.len(), 2);
    assert!(matches!(h[0].reply, KvReply::Written { .. }));
    let KvReply::Read { values, .. } = &h[1].reply else {
        panic!("{}", h[1].reply)
    };
    assert_eq!(values[0].1, "hello");
    assert!(s.violations().is_empty());
}
