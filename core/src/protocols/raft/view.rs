//! How a Raft server looks in the inspector: durable and volatile fields, the log tail with the
//! commit index and snapshot boundary, and the leader's next/match index per follower.

use super::machine::{RaftHost, StateMachine};
use super::ReadMode;
use super::{RaftRole, RaftServer};
use crate::kernel::view::{Field, FollowerMark, LogCell, LogView, NodeView};

/// The inspector view of a server.
pub(crate) fn server_view<M: RaftHost>(n: &RaftServer<M>) -> NodeView {
    let d = n.state();
    let role = n.raft_role();
    let votes = n.votes_view();
    let show = |v: Option<crate::kernel::types::NodeId>| {
        v.map_or_else(|| "—".to_string(), |v| v.to_string())
    };
    let entries = d.log.len();
    let mut fields = vec![
        Field::durable("currentTerm", d.current_term),
        Field::durable("votedFor", show(d.voted_for)),
        Field::durable(
            "log",
            format!(
                "{entries} {}, last {}@{}",
                if entries == 1 { "entry" } else { "entries" },
                d.last_log_index(),
                d.last_log_term()
            ),
        ),
        Field::durable(
            "snapshot",
            if d.snapshot.last_index == 0 {
                "none".to_string()
            } else {
                format!(
                    "up to {}@{} ({})",
                    d.snapshot.last_index,
                    d.snapshot.last_term,
                    d.snapshot.state.snapshot_contents()
                )
            },
        ),
        Field::volatile("commitIndex", n.commit_index()),
        Field::volatile("lastApplied", n.last_applied()),
        Field::volatile("state machine", n.kv().summary(6)),
        Field::volatile("client sessions", n.kv().session_count()),
        Field::volatile("role", role.role().name()),
        Field::volatile("leader", show(n.leader())),
    ];
    if let Some(promise) = n.vote_promise_view() {
        fields.push(Field::volatile("vote promise", promise));
    }
    if let Some((got, need)) = votes {
        let what = if role == RaftRole::PreCandidate {
            "pre-votes"
        } else {
            "votes"
        };
        fields.push(Field::volatile(what, format!("{got}/{need}")));
    }
    let mut followers = Vec::new();
    if role == RaftRole::Leader {
        let (writes, reads) = n.pending_counts();
        fields.push(Field::volatile(
            "waiting clients",
            format!("{writes} commands, {reads} reads"),
        ));
        if let Some(until) = n.lease_until() {
            fields.push(Field::volatile("lease until", format!("t={until}")));
        }
        for (i, (next, matched)) in n.next_indexes().iter().zip(n.match_indexes()).enumerate() {
            if i != n.id().index() {
                followers.push(FollowerMark {
                    node: crate::kernel::types::NodeId::from_index(i),
                    next: *next,
                    matched: *matched,
                });
            }
        }
        let list = |f: &dyn Fn(&FollowerMark) -> u64| {
            followers
                .iter()
                .map(|m| format!("{}:{}", m.node, f(m)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        fields.push(Field::volatile("nextIndex", list(&|m| m.next)));
        fields.push(Field::volatile("matchIndex", list(&|m| m.matched)));
    }
    let c = n.config();
    fields.push(Field::volatile(
        "features",
        format!(
            "PreVote {} · CheckQuorum {} · batching {} · pipelining {} · reads: {}",
            on(c.pre_vote),
            on(c.check_quorum),
            on(c.batching),
            on(c.pipelining),
            match c.read_mode {
                ReadMode::Log => "through the log".to_string(),
                ReadMode::ReadIndex => "ReadIndex".to_string(),
                ReadMode::Lease => format!("lease (assumes clock drift < {} ms)", c.lease_drift_ms),
            }
        ),
    ));
    if c.read_mode == ReadMode::Lease {
        fields.push(Field::volatile("lease assumption", lease_assumption(c)));
    }
    let skip = entries.saturating_sub(LogView::TAIL);
    let first = d.first_index();
    let tail = d
        .log
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, e)| LogCell {
            index: first + i as u64,
            term: e.term,
            label: e.command.to_string(),
        })
        .collect();
    NodeView {
        role: role.role(),
        term: Some(d.current_term),
        leader: n.leader(),
        votes,
        fields,
        log: Some(LogView {
            tail,
            last_index: d.last_log_index(),
            commit_index: n.commit_index(),
            applied_index: n.last_applied(),
            snapshot_index: d.snapshot.last_index,
            followers,
        }),
        lists: Vec::new(),
        badge: None,
        tables: Vec::new(),
    }
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// What a lease read assumes, in the words the inspector shows (thesis §6.4.1 with §4.2.3).
pub(crate) fn lease_assumption(c: &super::RaftConfig) -> String {
    let min = c.election_timeout_min_ms;
    let lease = min.saturating_sub(c.lease_drift_ms);
    format!(
        "the leader answers reads alone for {lease} ms (election_timeout_min {min} ms − drift \
         {} ms) after a heartbeat round a majority acknowledged. Safe only if over that time no two \
         servers' clocks drift apart by more than {} ms — the simulator's clocks never drift — and \
         every server that acknowledged the round refuses to vote, itself included, for \
         {min} ms: after its own timeout too, and for {min} ms after a restart, since it \
         cannot remember when it last heard a leader.",
        c.lease_drift_ms, c.lease_drift_ms
    )
}
