//! Handler tests: each rule of the paper as an exact list of effects.

use super::*;
use crate::checkers::linearizability::{Op, Outcome};
use crate::kernel::harness::{sends, Harness};
use crate::kernel::node::{Effect, Effects};
use crate::kernel::rng::SimRng;
use crate::protocols::raft::kv::Command;
use crate::protocols::raft::msg::{ClientResult, RaftReply, RaftRequest};
use crate::protocols::raft::KvState;

type Out = Effects<Raft>;

fn ids(servers: usize) -> Vec<NodeId> {
    (0..servers).map(NodeId::from_index).collect()
}

/// Server `id` of a `servers`-server cluster.
fn server(id: u8, servers: usize, config: &RaftConfig, durable: Option<Durable>) -> RaftServer {
    <RaftServer as Server<Raft>>::new(NodeId(id), &ids(servers), config, durable)
}

/// Elections without PreVote, as in the paper's Figure 2 (PreVote has its own tests).
fn config() -> RaftConfig {
    RaftConfig {
        pre_vote: false,
        ..RaftConfig::default()
    }
}

fn node(id: u8, durable: Option<Durable>) -> RaftServer {
    server(id, 3, &config(), durable)
}

fn cmd(n: u64) -> Command {
    Command::Client {
        client: NodeId::client(0),
        seq: n,
        op: Op::Put {
            key: "k".into(),
            value: n.to_string(),
        },
    }
}

/// Run `f` on `node` at t=1000 with a fresh context and return the effects it produced.
fn run(node: &mut RaftServer, f: impl FnOnce(&mut RaftServer, &mut Ctx<'_, Raft>)) -> Out {
    Harness::new(node.cluster_size())
        .at(1000)
        .run(node.id(), node, f)
}

fn election_timer(after_ms: u64) -> Effect<RaftMsg, RaftTimer, RaftReply> {
    Effect::SetTimer {
        timer: RaftTimer::Election,
        after_ms,
    }
}

/// The timeout the node's rng (seeded 1 in `run`) draws first.
fn first_timeout() -> u64 {
    SimRng::new(1).range_inclusive(150, 300)
}

#[test]
fn start_arms_a_randomized_election_timer() {
    let mut n = node(0, None);
    let out = run(&mut n, |n, c| n.on_start(c));
    assert_eq!(out, vec![election_timer(first_timeout())]);
    assert_eq!(n.raft_role(), RaftRole::Follower);
}

#[test]
fn election_timeout_starts_an_election() {
    let mut n = node(0, None);
    let out = run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    let rv = RaftMsg::RequestVote {
        term: 1,
        last_log_index: 0,
        last_log_term: 0,
    };
    assert_eq!(
        out,
        vec![
            election_timer(first_timeout()),
            Effect::Send {
                to: NodeId(1),
                msg: rv.clone()
            },
            Effect::Send {
                to: NodeId(2),
                msg: rv
            },
        ]
    );
    assert_eq!(n.raft_role(), RaftRole::Candidate);
    assert_eq!(n.current_term(), 1);
    assert_eq!(n.voted_for(), Some(NodeId(0)));
}

#[test]
fn election_timeouts_are_rerandomized_each_time() {
    let mut rng = SimRng::new(3);
    let mut out = Vec::new();
    let mut n = node(0, None);
    let mut timeouts = BTreeSet::new();
    let servers = ids(3);
    for _ in 0..20 {
        let mut ctx = Ctx {
            now: Time(0),
            id: NodeId(0),
            servers: &servers,
            rng: &mut rng,
            out: &mut out,
            notes: true,
        };
        n.on_timer(&mut ctx, RaftTimer::Election);
    }
    for e in &out {
        if let Effect::SetTimer { after_ms, .. } = e {
            assert!((150..=300).contains(after_ms));
            timeouts.insert(*after_ms);
        }
    }
    assert!(timeouts.len() > 10, "timeouts must vary: {timeouts:?}");
}

#[test]
fn grants_vote_once_per_term_and_resets_timer() {
    let mut n = node(1, None);
    let rv = RaftMsg::RequestVote {
        term: 1,
        last_log_index: 0,
        last_log_term: 0,
    };
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(0), rv.clone()));
    assert_eq!(
        out,
        vec![
            election_timer(first_timeout()),
            Effect::Note("votes for n1 in term 1".into()),
            Effect::Send {
                to: NodeId(0),
                msg: RaftMsg::RequestVoteReply {
                    term: 1,
                    granted: true
                }
            },
        ]
    );
    // A second candidate in the same term is refused, and the timer is not reset.
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), rv));
    assert_eq!(
        out,
        vec![
            Effect::Note("refuses vote to n3: already voted for n1".into()),
            Effect::Send {
                to: NodeId(2),
                msg: RaftMsg::RequestVoteReply {
                    term: 1,
                    granted: false
                }
            },
        ]
    );
}

#[test]
fn refuses_vote_to_a_candidate_with_a_stale_log() {
    let durable = Durable {
        current_term: 3,
        voted_for: None,
        log: vec![
            Entry {
                term: 1,
                command: cmd(1),
            },
            Entry {
                term: 3,
                command: cmd(2),
            },
        ],
        ..Durable::default()
    };
    // Longer log but older last term: not up to date.
    let mut n = node(1, Some(durable));
    let rv = RaftMsg::RequestVote {
        term: 4,
        last_log_index: 5,
        last_log_term: 2,
    };
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(0), rv));
    assert_eq!(
        out,
        vec![
            Effect::Note("refuses vote to n1: candidate's log is behind".into()),
            Effect::Send {
                to: NodeId(0),
                msg: RaftMsg::RequestVoteReply {
                    term: 4,
                    granted: false
                }
            },
        ]
    );
    assert_eq!(
        n.current_term(),
        4,
        "the newer term is adopted even when refusing"
    );
    assert_eq!(n.voted_for(), None);
    // Same last term and at least as long: up to date.
    assert!(n.state().is_up_to_date(2, 3));
    assert!(!n.state().is_up_to_date(1, 3));
    assert!(n.state().is_up_to_date(1, 4));
}

#[test]
fn majority_of_votes_makes_a_leader_that_replicates_a_noop() {
    let mut n = node(0, None);
    run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    let out = run(&mut n, |n, c| {
        n.on_message(
            c,
            NodeId(2),
            RaftMsg::RequestVoteReply {
                term: 1,
                granted: true,
            },
        )
    });
    let hb = RaftMsg::AppendEntries {
        term: 1,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: vec![Entry {
            term: 1,
            command: Command::Noop,
        }],
        leader_commit: 0,
        round: 1,
    };
    assert_eq!(
        out,
        vec![
            Effect::CancelTimer {
                timer: RaftTimer::Election
            },
            Effect::Note("won term 1 with votes from n1,n3".into()),
            Effect::Send {
                to: NodeId(1),
                msg: hb.clone()
            },
            Effect::Send {
                to: NodeId(2),
                msg: hb
            },
            Effect::SetTimer {
                timer: RaftTimer::Heartbeat,
                after_ms: 50
            },
        ]
    );
    assert_eq!(n.raft_role(), RaftRole::Leader);
}

fn entry(term: u64) -> Entry {
    Entry {
        term,
        command: cmd(term),
    }
}

fn append(term: u64, prev: (u64, u64), entries: Vec<Entry>, commit: u64) -> RaftMsg {
    RaftMsg::AppendEntries {
        term,
        prev_log_index: prev.0,
        prev_log_term: prev.1,
        entries,
        leader_commit: commit,
        round: 0,
    }
}

fn replies(out: &Out) -> Vec<RaftMsg> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Send { msg, .. } => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn follower_appends_and_commits_at_most_its_last_new_entry() {
    let mut n = node(1, None);
    let out = run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(1, (0, 0), vec![entry(1), entry(1)], 5))
    });
    assert_eq!(n.log().len(), 2);
    // leaderCommit is 5 but only 2 entries are known to match: commit min(5, 2).
    assert_eq!(n.commit_index(), 2);
    assert_eq!(n.last_applied(), 2);
    assert_eq!(
        replies(&out),
        vec![RaftMsg::AppendEntriesReply {
            term: 1,
            success: true,
            match_index: 2,
            conflict_index: 0,
            conflict_term: None,
            round: 0,
        }]
    );
}

#[test]
fn mismatch_replies_with_backtracking_hints() {
    let durable = Durable {
        current_term: 3,
        voted_for: None,
        log: vec![entry(1), entry(2), entry(2), entry(2)],
        ..Durable::default()
    };
    let mut n = node(1, Some(durable));
    // Leader thinks index 4 has term 3: we have term 2 there, first index of term 2 is 2.
    let out = run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(3, (4, 3), vec![], 0))
    });
    assert_eq!(
        replies(&out),
        vec![RaftMsg::AppendEntriesReply {
            term: 3,
            success: false,
            match_index: 0,
            conflict_index: 2,
            conflict_term: Some(2),
            round: 0,
        }]
    );
    // Past our end: retry from one past our last entry.
    let out = run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(3, (9, 3), vec![], 0))
    });
    assert!(matches!(
        replies(&out)[0],
        RaftMsg::AppendEntriesReply {
            success: false,
            conflict_index: 5,
            conflict_term: None,
            ..
        }
    ));
}

#[test]
fn conflicting_suffix_is_replaced_but_a_stale_matching_append_truncates_nothing() {
    let durable = Durable {
        current_term: 3,
        voted_for: None,
        log: vec![entry(1), entry(2), entry(2)],
        ..Durable::default()
    };
    let mut n = node(1, Some(durable));
    run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(3, (1, 1), vec![entry(3), entry(3)], 0))
    });
    let terms: Vec<u64> = n.log().iter().map(|e| e.term).collect();
    assert_eq!(terms, vec![1, 3, 3]);
    // A delayed copy of an older, shorter AppendEntries must not cut the log.
    run(&mut n, |n, c| {
        n.on_message(c, NodeId(0), append(3, (1, 1), vec![entry(3)], 0))
    });
    assert_eq!(n.log().len(), 3);
}

/// A leader of term `term` whose log holds `log`, in a 3-node cluster.
fn leader_with(log: Vec<Entry>, term: u64) -> RaftServer {
    let mut n = node(
        0,
        Some(Durable {
            current_term: term - 1,
            voted_for: None,
            log,
            ..Durable::default()
        }),
    );
    run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    run(&mut n, |n, c| {
        n.on_message(
            c,
            NodeId(1),
            RaftMsg::RequestVoteReply {
                term,
                granted: true,
            },
        )
    });
    assert_eq!(n.raft_role(), RaftRole::Leader);
    n
}

fn ok(term: u64, m: u64) -> RaftMsg {
    RaftMsg::AppendEntriesReply {
        term,
        success: true,
        match_index: m,
        conflict_index: 0,
        conflict_term: None,
        round: 0,
    }
}

#[test]
fn previous_term_entries_are_not_committed_by_counting() {
    // Figure 8: the leader of term 4 holds an entry of term 2 at index 2 (its no-op is 3).
    let mut n = leader_with(vec![entry(1), entry(2)], 4);
    assert_eq!(n.log().len(), 3);
    // A majority stores index 2 (a term-2 entry): still not committed.
    run(&mut n, |n, c| n.on_message(c, NodeId(1), ok(4, 2)));
    assert_eq!(n.commit_index(), 0);
    // Once the term-4 no-op is on a majority, everything up to it commits.
    run(&mut n, |n, c| n.on_message(c, NodeId(1), ok(4, 3)));
    assert_eq!(n.commit_index(), 3);
    assert_eq!(n.match_indexes()[1], 3);
}

fn mismatch(term: u64, conflict_index: u64, conflict_term: u64) -> RaftMsg {
    RaftMsg::AppendEntriesReply {
        term,
        success: false,
        match_index: 0,
        conflict_index,
        conflict_term: Some(conflict_term),
        round: 0,
    }
}

#[test]
fn leader_backtracks_over_a_whole_conflicting_term() {
    let mut n = leader_with(vec![entry(1), entry(1), entry(2)], 3);
    // The follower has term 5 entries from index 2 on (a term the leader never had).
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), mismatch(3, 2, 5)));
    match &replies(&out)[..] {
        [RaftMsg::AppendEntries {
            prev_log_index,
            entries,
            ..
        }] => {
            assert_eq!(*prev_log_index, 1);
            assert_eq!(entries.len(), 3);
        }
        other => panic!("expected one retry, got {other:?}"),
    }
    // The follower holds term 1 at the conflict: skip to after the leader's last term-1.
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), mismatch(3, 1, 1)));
    assert!(matches!(
        replies(&out)[..],
        [RaftMsg::AppendEntries {
            prev_log_index: 2,
            ..
        }]
    ));
}

#[test]
fn a_refused_or_stale_vote_does_not_count() {
    let mut n = node(0, None);
    run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election)); // term 2 now
    let out = run(&mut n, |n, c| {
        n.on_message(
            c,
            NodeId(1),
            RaftMsg::RequestVoteReply {
                term: 1,
                granted: true,
            },
        )
    });
    assert!(out.is_empty());
    assert_eq!(n.raft_role(), RaftRole::Candidate);
}

#[test]
fn higher_term_makes_a_leader_step_down() {
    let mut n = node(0, None);
    run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    run(&mut n, |n, c| {
        n.on_message(
            c,
            NodeId(1),
            RaftMsg::RequestVoteReply {
                term: 1,
                granted: true,
            },
        )
    });
    assert_eq!(n.raft_role(), RaftRole::Leader);
    let out = run(&mut n, |n, c| {
        n.on_message(
            c,
            NodeId(2),
            RaftMsg::AppendEntriesReply {
                term: 5,
                success: false,
                match_index: 0,
                conflict_index: 0,
                conflict_term: None,
                round: 1,
            },
        )
    });
    assert_eq!(
        out,
        vec![
            Effect::CancelTimer {
                timer: RaftTimer::Heartbeat
            },
            Effect::CancelTimer {
                timer: RaftTimer::Batch
            },
            election_timer(first_timeout()),
        ]
    );
    assert_eq!(n.raft_role(), RaftRole::Follower);
    assert_eq!(n.current_term(), 5);
    assert_eq!(n.voted_for(), None);
}

#[test]
fn heartbeat_from_current_leader_resets_timer_and_stale_one_is_rejected() {
    let mut n = node(1, None);
    let hb = |term| RaftMsg::AppendEntries {
        term,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: vec![],
        leader_commit: 0,
        round: 0,
    };
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(0), hb(2)));
    assert_eq!(
        out,
        vec![
            election_timer(first_timeout()),
            Effect::Send {
                to: NodeId(0),
                msg: RaftMsg::AppendEntriesReply {
                    term: 2,
                    success: true,
                    match_index: 0,
                    conflict_index: 0,
                    conflict_term: None,
                    round: 0,
                }
            },
        ]
    );
    assert_eq!(n.leader(), Some(NodeId(0)));
    let out = run(&mut n, |n, c| n.on_message(c, NodeId(2), hb(1)));
    assert_eq!(
        out,
        vec![Effect::Send {
            to: NodeId(2),
            msg: RaftMsg::AppendEntriesReply {
                term: 2,
                success: false,
                match_index: 0,
                conflict_index: 0,
                conflict_term: None,
                round: 0,
            }
        }]
    );
    assert_eq!(n.leader(), Some(NodeId(0)));
}

#[test]
fn candidate_steps_down_on_same_term_heartbeat_keeping_its_vote() {
    let mut n = node(0, None);
    run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    run(&mut n, |n, c| {
        n.on_message(
            c,
            NodeId(1),
            RaftMsg::AppendEntries {
                term: 1,
                prev_log_index: 0,
                prev_log_term: 0,
                entries: vec![],
                leader_commit: 0,
                round: 0,
            },
        )
    });
    assert_eq!(n.raft_role(), RaftRole::Follower);
    assert_eq!(
        n.voted_for(),
        Some(NodeId(0)),
        "votedFor survives a same-term AE"
    );
}

#[test]
fn single_node_cluster_elects_itself() {
    let mut n = server(0, 1, &RaftConfig::default(), None);
    let out = run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    assert_eq!(n.raft_role(), RaftRole::Leader);
    assert!(out.contains(&Effect::SetTimer {
        timer: RaftTimer::Heartbeat,
        after_ms: 50
    }));
}

#[test]
fn durable_state_keeps_term_vote_and_log() {
    let mut n = node(0, None);
    run(&mut n, |n, c| n.on_timer(c, RaftTimer::Election));
    let d = n.durable();
    assert_eq!(d.current_term, 1);
    assert_eq!(d.voted_for, Some(NodeId(0)));
    let restarted = server(0, 3, &config(), Some(d));
    assert_eq!(restarted.raft_role(), RaftRole::Follower);
    assert_eq!(restarted.current_term(), 1);
    assert_eq!(restarted.voted_for(), Some(NodeId(0)));
}

#[test]
fn who_leads_answers() {
    let mut n = node(1, None);
    let out = run(&mut n, |n, c| n.on_request(c, 7, RaftRequest::WhoLeads));
    assert_eq!(
        out,
        vec![Effect::Reply {
            client: 7,
            reply: RaftReply::NoLeader
        }]
    );
}

mod clients;
