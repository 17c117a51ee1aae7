//! Handler tests for client requests, sessions, redirects, PreVote, reads and snapshots.

use super::*;

fn request(seq: u64, value: &str) -> RaftMsg {
    RaftMsg::ClientRequest {
        seq,
        op: Op::Put {
            key: "x".into(),
            value: value.into(),
        },
    }
}

#[test]
fn a_retried_or_duplicated_command_is_appended_once_and_answered_from_the_session() {
    let mut n = leader_with(vec![], 1);
    let c = NodeId::client(0);
    run(&mut n, |n, ctx| n.on_message(ctx, c, request(1, "a")));
    run(&mut n, |n, ctx| n.on_message(ctx, c, request(1, "a")));
    let commands = n
        .log()
        .iter()
        .filter(|e| matches!(e.command, Command::Client { .. }))
        .count();
    assert_eq!(commands, 1, "the duplicate appended nothing");
    // Replicate and commit: the client hears back once.
    let out = run(&mut n, |n, ctx| n.on_message(ctx, NodeId(1), ok(1, 2)));
    assert!(replies(&out).contains(&RaftMsg::ClientReply {
        seq: 1,
        result: ClientResult::Done(Outcome::Ok)
    }));
    // A retry after it applied is answered from the session without a new entry.
    let out = run(&mut n, |n, ctx| n.on_message(ctx, c, request(1, "a")));
    assert_eq!(
        replies(&out),
        vec![RaftMsg::ClientReply {
            seq: 1,
            result: ClientResult::Done(Outcome::Ok)
        }]
    );
    assert_eq!(n.last_index(), 2);
}

#[test]
fn a_follower_redirects_clients_to_the_leader_it_knows() {
    let mut n = node(1, None);
    run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
    });
    let out = run(&mut n, |n, c| {
        n.on_message(c, NodeId::client(0), request(1, "a"))
    });
    assert_eq!(
        replies(&out),
        vec![RaftMsg::ClientReply {
            seq: 1,
            result: ClientResult::Redirect {
                leader: Some(NodeId(0))
            }
        }]
    );
}

#[test]
fn pre_votes_are_refused_while_a_leader_is_heard_and_change_no_term() {
    let config = RaftConfig::default();
    let mut n = server(1, 3, &config, None);
    run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
    });
    let pv = RaftMsg::PreVote {
        term: 2,
        last_log_index: 0,
        last_log_term: 0,
    };
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), pv.clone()));
    assert_eq!(
        replies(&out),
        vec![RaftMsg::PreVoteReply {
            term: 1,
            for_term: 2,
            granted: false
        }]
    );
    assert_eq!(n.current_term(), 1, "a pre-vote never changes the term");
    // A pre-candidate asks without raising its own term.
    let mut m = server(2, 3, &config, None);
    let out = run(&mut m, |m, c| m.on_timer(c, RaftTimer::Election));
    assert_eq!(m.raft_role(), RaftRole::PreCandidate);
    assert_eq!(m.current_term(), 0);
    assert!(replies(&out)
        .iter()
        .all(|r| matches!(r, RaftMsg::PreVote { term: 1, .. })));
}

#[test]
fn with_check_quorum_a_heard_leader_shields_followers_from_vote_requests() {
    let config = RaftConfig {
        pre_vote: false,
        ..RaftConfig::default()
    };
    let mut n = server(1, 3, &config, None);
    run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
    });
    let rv = RaftMsg::RequestVote {
        term: 9,
        last_log_index: 0,
        last_log_term: 0,
    };
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), rv));
    assert!(replies(&out).is_empty());
    assert_eq!(n.current_term(), 1, "the inflated term is not adopted");
}

#[test]
fn a_follower_installs_a_snapshot_and_drops_the_log_it_replaces() {
    let durable = Durable {
        current_term: 1,
        log: vec![entry(1)],
        ..Durable::default()
    };
    let mut n = node(1, Some(durable));
    let mut state = KvState::default();
    state.data.insert("x".into(), "7".into());
    let out = run(&mut n, |n, c| {
        n.on_message(
            c,
            NodeId(0),
            RaftMsg::InstallSnapshot {
                term: 2,
                last_index: 10,
                last_term: 2,
                state: Box::new(state.clone()),
                round: 3,
            },
        )
    });
    assert_eq!(
        replies(&out),
        vec![RaftMsg::InstallSnapshotReply {
            term: 2,
            match_index: 10,
            round: 3
        }]
    );
    assert!(n.log().is_empty());
    assert_eq!(
        (n.snapshot_index(), n.commit_index(), n.last_applied()),
        (10, 10, 10)
    );
    assert_eq!(n.kv(), &state);
    assert_eq!(n.durable().snapshot.state, state, "the snapshot is durable");
}

/// Run `f` on `node` at `ms` (the node's rng seeded 1, as in `run`).
fn run_at(
    node: &mut RaftServer,
    ms: u64,
    f: impl FnOnce(&mut RaftServer, &mut Ctx<'_, Raft>),
) -> Out {
    Harness::new(node.cluster_size())
        .at(ms)
        .run(node.id(), node, f)
}

fn pre_vote(term: u64) -> RaftMsg {
    RaftMsg::PreVote {
        term,
        last_log_index: 0,
        last_log_term: 0,
    }
}

fn request_vote(term: u64) -> RaftMsg {
    RaftMsg::RequestVote {
        term,
        last_log_index: 0,
        last_log_term: 0,
    }
}

fn pre_vote_reply(
    term: u64,
    for_term: u64,
    granted: bool,
) -> Effect<RaftMsg, RaftTimer, RaftReply> {
    Effect::Send {
        to: NodeId(2),
        msg: RaftMsg::PreVoteReply {
            term,
            for_term,
            granted,
        },
    }
}

const RESTARTED: &str = "it restarted less than the minimum election timeout ago and may have \
                         acknowledged a leader's lease";

#[test]
fn a_restarted_server_refuses_votes_for_the_minimum_election_timeout() {
    // Thesis §6.4.1 with §4.2.3: before its crash the server may have acknowledged a leader's
    // heartbeat round, and that round may back the leader's lease. It cannot know when, so it
    // keeps the promise for a whole minimum election timeout after it starts.
    let config = RaftConfig::default();
    let durable = Durable {
        current_term: 1,
        ..Durable::default()
    };
    let mut n = server(1, 3, &config, Some(durable));
    run_at(&mut n, 1000, |n, c| n.on_start(c));
    let out = run_at(&mut n, 1149, |n, c| n.on_message(c, NodeId(2), pre_vote(2)));
    assert_eq!(
        out,
        vec![
            Effect::Count("votes_refused_after_restart"),
            Effect::Note(format!("refuses pre-vote to n3: {RESTARTED}")),
            pre_vote_reply(1, 2, false),
        ]
    );
    let out = run_at(&mut n, 1149, |n, c| {
        n.on_message(c, NodeId(2), request_vote(2))
    });
    assert_eq!(
        out,
        vec![
            Effect::Count("votes_refused_after_restart"),
            Effect::Note(format!(
                "ignores RequestVote from n3 for term 2: {RESTARTED}"
            ))
        ]
    );
    assert_eq!(n.current_term(), 1, "the newer term is not adopted either");
    // The promise ends a minimum election timeout after the restart.
    let out = run_at(&mut n, 1150, |n, c| n.on_message(c, NodeId(2), pre_vote(2)));
    assert_eq!(out, vec![pre_vote_reply(1, 2, true)]);
}

#[test]
fn a_server_that_never_left_term_zero_promises_nothing() {
    // A first start, or a restart of a server that never heard of any term: no leader was
    // ever heard, so there is no lease to protect.
    let config = RaftConfig::default();
    for durable in [None, Some(Durable::default())] {
        let mut n = server(1, 3, &config, durable);
        run_at(&mut n, 0, |n, c| n.on_start(c));
        let out = run_at(&mut n, 1, |n, c| n.on_message(c, NodeId(2), pre_vote(1)));
        assert_eq!(out, vec![pre_vote_reply(0, 1, true)]);
    }
}

#[test]
fn a_timeout_inside_the_promise_postpones_the_campaign() {
    // The server acknowledged the leader's round at t=1000; its timer is forced at t=1040.
    // Its own timeout does not undo the acknowledgement: it may not vote — not even for itself
    // — before t=1150, so it campaigns then, not now.
    let config = RaftConfig::default();
    let mut n = server(1, 3, &config, None);
    run_at(&mut n, 1000, |n, c| {
        n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
    });
    let out = run_at(&mut n, 1040, |n, c| n.on_timer(c, RaftTimer::Election));
    assert_eq!(
        out,
        vec![
            Effect::Count("campaigns_postponed"),
            Effect::Note(
                "does not campaign yet: it heard from a leader at t=1000, so no votes — its own \
                 included — before t=1150, when any lease it helped grant has ended"
                    .into()
            ),
            election_timer(110),
        ]
    );
    assert_eq!((n.raft_role(), n.current_term()), (RaftRole::Follower, 1));
    let out = run_at(&mut n, 1040, |n, c| n.on_message(c, NodeId(2), pre_vote(2)));
    assert_eq!(
        out,
        vec![
            Effect::Note("refuses pre-vote to n3: it hears from a leader".into()),
            pre_vote_reply(1, 2, false),
        ]
    );
    // When the promise ends, the postponed timer starts the pre-vote: elections stay prompt.
    let out = run_at(&mut n, 1150, |n, c| n.on_timer(c, RaftTimer::Election));
    assert_eq!(n.raft_role(), RaftRole::PreCandidate);
    assert_eq!(
        sends::<Raft>(&out).len(),
        2,
        "a PreVote to each other server"
    );
}

#[test]
fn its_own_pre_vote_does_not_erase_having_heard_a_leader() {
    // Without CheckQuorum a timeout is not postponed, but the server still heard the leader at
    // t=1000: as a pre-candidate it refuses other pre-votes until t=1150 (PreVote's rule, §9.6).
    let config = RaftConfig {
        check_quorum: false,
        ..RaftConfig::default()
    };
    let mut n = server(1, 3, &config, None);
    run_at(&mut n, 1000, |n, c| {
        n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
    });
    run_at(&mut n, 1040, |n, c| n.on_timer(c, RaftTimer::Election));
    assert_eq!(n.raft_role(), RaftRole::PreCandidate);
    let out = run_at(&mut n, 1041, |n, c| n.on_message(c, NodeId(2), pre_vote(2)));
    assert_eq!(
        out,
        vec![
            Effect::Note("refuses pre-vote to n3: it hears from a leader".into()),
            pre_vote_reply(1, 2, false),
        ]
    );
}

#[test]
fn a_term_adopted_inside_the_promise_does_not_release_the_vote() {
    // The server heard the leader of term 1, then adopts term 2 from a stray reply (not a vote
    // request, which it would ignore). A candidate of term 2 still gets no vote until the
    // promise ends (§4.2.3: "does not update its term or grant its vote").
    let config = RaftConfig {
        pre_vote: false,
        ..RaftConfig::default()
    };
    let mut n = server(1, 3, &config, None);
    run_at(&mut n, 1000, |n, c| {
        n.on_message(c, NodeId(0), append(1, (0, 0), vec![], 0))
    });
    let stray = RaftMsg::RequestVoteReply {
        term: 2,
        granted: false,
    };
    run_at(&mut n, 1010, |n, c| n.on_message(c, NodeId(2), stray));
    assert_eq!(n.current_term(), 2);
    let out = run_at(&mut n, 1020, |n, c| {
        n.on_message(c, NodeId(2), request_vote(2))
    });
    assert_eq!(
        out,
        vec![
            Effect::Note("refuses vote to n3: it hears from a leader".into()),
            Effect::Send {
                to: NodeId(2),
                msg: RaftMsg::RequestVoteReply {
                    term: 2,
                    granted: false
                }
            },
        ]
    );
    assert_eq!(n.voted_for(), None);
}

#[cfg(feature = "mutants")]
#[test]
fn the_lease_vote_after_restart_mutant_votes_at_once() {
    let config = RaftConfig {
        mutant: Some(Mutant::LeaseVoteAfterRestart),
        ..RaftConfig::default()
    };
    let durable = Durable {
        current_term: 1,
        ..Durable::default()
    };
    let mut n = server(1, 3, &config, Some(durable));
    run_at(&mut n, 1000, |n, c| n.on_start(c));
    let out = run_at(&mut n, 1001, |n, c| n.on_message(c, NodeId(2), pre_vote(2)));
    assert_eq!(out, vec![pre_vote_reply(1, 2, true)]);
}
