//! Why each election ended the way it did, from Raft's typed trace and past states: who won
//! a term and why ("n3 won term 4: its election timeout (212 ms) expired first — n5's would
//! have expired 37 ms later; votes from n1, n3, n4"), and which terms ended without a leader
//! ("split vote in term 3: n2 got 2 votes (n2, n5), n4 got 2 (n4, n1); 3 needed").
//!
//! The facts: `Role` events (who became candidate or leader, in which term), election `Timer`
//! events (whose timeout fired, and whether the user forced it), `RequestVoteReply` deliveries
//! (who granted whom a vote), and the timers armed just before a campaign began (a past state,
//! looked up on the timeline: how long the winner's timeout was, when the others' would have
//! fired).

use crate::model::explain::{ExplainKind, Explained, Explanation};
use crate::panels::{names, Before};
use netsplit_core::kernel::chunked::ChunkedLog;
use netsplit_core::kernel::trace::{TraceEntry, TraceEvent};
use netsplit_core::kernel::view::{NodeStatus, Snapshot};
use netsplit_core::protocols::raft::{Raft, RaftMsg, RaftTimer, CANDIDATE, LEADER};
use netsplit_core::{NodeId, Time};
use std::collections::{BTreeMap, BTreeSet};

/// How Raft's trace begins the remark of a server whose timeout fired inside its vote promise.
const POSTPONED: &str = "does not campaign yet";

/// Terms explained at most (newest first).
pub const SHOWN: usize = 4;

/// One node's candidacy in a term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// The candidate.
    pub node: NodeId,
    /// When it became a candidate of the term.
    pub since: Time,
    /// The election timeout that started it: when it fired, and whether the user forced it.
    pub trigger: Option<(Time, bool)>,
    /// An earlier timeout whose campaign the vote promise postponed ("does not campaign yet"):
    /// when it fired, whether the user forced it, and what the promise rested on ("it heard
    /// from a leader at t=1000"). The trigger is then, most likely, the timer re-armed for the
    /// promise's end.
    pub held: Option<(Time, bool, String)>,
    /// Who granted it a vote (itself included).
    pub votes: BTreeSet<NodeId>,
}

/// What happened in one term that had candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermStory {
    /// The term.
    pub term: u64,
    /// Its candidates, in the order they stood.
    pub campaigns: Vec<Campaign>,
    /// Who won it, and when.
    pub leader: Option<(NodeId, Time)>,
    /// When a later term began (the term is over), if it did.
    pub ended: Option<Time>,
}

/// Every term with candidates in `entries` (time-ordered), and every election timeout that
/// fired (node, time, forced).
pub fn stories<'a>(
    entries: impl Iterator<Item = &'a TraceEntry<Raft>>,
) -> (Vec<TermStory>, Vec<(NodeId, Time, bool)>) {
    let mut terms: BTreeMap<u64, TermStory> = BTreeMap::new();
    let mut fires: Vec<(NodeId, Time, bool)> = Vec::new();
    let mut last_fire: BTreeMap<NodeId, (Time, bool)> = BTreeMap::new();
    // Timeouts whose campaign the vote promise postponed, and the fire after such a one.
    let mut postponed: BTreeMap<NodeId, (Time, bool, String)> = BTreeMap::new();
    let mut held: BTreeMap<NodeId, (Time, bool, String)> = BTreeMap::new();
    let mut highest = 0;
    for e in entries {
        match &e.event {
            TraceEvent::Timer {
                node,
                timer: RaftTimer::Election,
                forced,
            } => {
                fires.push((*node, e.at, *forced));
                last_fire.insert(*node, (e.at, *forced));
                match postponed.remove(node) {
                    Some(first) => held.insert(*node, first),
                    None => held.remove(node),
                };
            }
            TraceEvent::Note { node, text } if text.starts_with(POSTPONED) => {
                let first = held.get(node).map(|(at, forced, _)| (*at, *forced));
                if let Some((at, forced)) = first.or(last_fire.get(node).copied()) {
                    let since = text
                        .trim_start_matches(POSTPONED)
                        .trim_start_matches(": ")
                        .split(", so no votes")
                        .next()
                        .unwrap_or_default();
                    postponed.insert(*node, (at, forced, since.to_string()));
                }
            }
            TraceEvent::Role {
                node,
                role,
                term: Some(term),
            } => {
                if *term > highest {
                    for story in terms.values_mut() {
                        if story.term < *term && story.ended.is_none() {
                            story.ended = Some(e.at);
                        }
                    }
                    highest = *term;
                }
                let story = || TermStory {
                    term: *term,
                    campaigns: Vec::new(),
                    leader: None,
                    ended: None,
                };
                if *role == CANDIDATE {
                    let s = terms.entry(*term).or_insert_with(story);
                    if !s.campaigns.iter().any(|c| c.node == *node) {
                        s.campaigns.push(Campaign {
                            node: *node,
                            since: e.at,
                            trigger: last_fire.get(node).copied(),
                            held: held.get(node).cloned(),
                            votes: BTreeSet::from([*node]),
                        });
                    }
                } else if *role == LEADER {
                    terms.entry(*term).or_insert_with(story).leader = Some((*node, e.at));
                }
            }
            TraceEvent::Deliver {
                from,
                to,
                msg:
                    RaftMsg::RequestVoteReply {
                        term,
                        granted: true,
                    },
                ..
            } => {
                // Votes that came after the election was won do not make the majority.
                if let Some(c) = terms
                    .get_mut(term)
                    .filter(|s| s.leader.is_none())
                    .and_then(|s| s.campaigns.iter_mut().find(|c| c.node == *to))
                {
                    c.votes.insert(*from);
                }
            }
            _ => {}
        }
    }
    (terms.into_values().collect(), fires)
}

/// Where to start reading the trace so that the last [`SHOWN`] terms with candidates are
/// whole: back past their first campaign by `lead_ms` (room for the timeouts that started
/// them).
pub fn window_start(trace: &ChunkedLog<TraceEntry<Raft>>, lead_ms: u64) -> usize {
    let mut terms = BTreeSet::new();
    let mut stop: Option<Time> = None;
    let mut i = trace.len();
    while i > 0 {
        let Some(e) = trace.get(i - 1) else {
            break;
        };
        if stop.is_some_and(|s| e.at < s) {
            break;
        }
        if let TraceEvent::Role {
            role,
            term: Some(term),
            ..
        } = &e.event
        {
            if (*role == CANDIDATE || *role == LEADER) && terms.insert(*term) && terms.len() > SHOWN
            {
                stop.get_or_insert(Time(e.at.0.saturating_sub(lead_ms)));
            }
        }
        i -= 1;
    }
    i
}

/// Nodes as `n1, n3, n4`.
fn listed(nodes: &BTreeSet<NodeId>) -> String {
    names(nodes.iter().copied()).replace(' ', ", ")
}

/// The armed election timer of `node` in `snap`: (set at, due at).
fn election_timer(snap: &Snapshot, node: NodeId) -> Option<(Time, Time)> {
    let name = RaftTimer::Election.to_string();
    snap.nodes
        .iter()
        .find(|n| n.id == node && n.status != NodeStatus::Crashed)
        .and_then(|n| n.timers.iter().find(|t| t.name == name))
        .map(|t| (t.set_at, t.fires_at))
}

/// Why `winner`'s campaign began, in words (`None`: a past state is needed first, its time
/// pushed on `need`).
fn why_it_started(
    c: &Campaign,
    servers: usize,
    fires: &[(NodeId, Time, bool)],
    before: Before<'_>,
    need: &mut Vec<Time>,
) -> Option<String> {
    let Some((fired, forced)) = c.trigger else {
        return Some(format!("it became a candidate at t={}", c.since));
    };
    if forced {
        return Some(format!("its timeout was forced by the user at t={fired}"));
    }
    let at = Time(fired.0.saturating_sub(1));
    let Some(snap) = before(at) else {
        need.push(at);
        return None;
    };
    // A timeout the vote promise postponed: the timer re-armed then (set at that instant)
    // is the one that fired now.
    if let Some((first, by_user, since)) = &c.held {
        if election_timer(&snap, c.node).is_some_and(|(set, due)| set == *first && due == fired) {
            let how = if *by_user {
                format!("its timeout was forced by the user at t={first}")
            } else {
                format!("its election timeout fired at t={first}")
            };
            return Some(format!(
                "{how}, but {since}, so it had promised no votes before t={fired}, and campaigned then"
            ));
        }
    }
    let Some((set_at, due)) = election_timer(&snap, c.node).filter(|(_, due)| *due == fired) else {
        return Some(format!("its election timeout fired at t={fired}"));
    };
    let length = fired.0.saturating_sub(set_at.0);
    let earlier = fires
        .iter()
        .filter(|(n, t, forced)| *n != c.node && !forced && *t >= set_at && *t < fired)
        .map(|(n, _, _)| *n)
        .next();
    let next = (0..servers)
        .map(NodeId::from_index)
        .filter(|n| *n != c.node)
        .filter_map(|n| election_timer(&snap, n).map(|(_, due)| (due, n)))
        .filter(|(d, _)| *d >= due)
        .min();
    Some(match (earlier, next) {
        (Some(first), _) => format!(
            "its election timeout ({length} ms) expired at t={fired}; {first}'s expired earlier, but {first} did not win"
        ),
        (None, Some((d, n))) => format!(
            "its election timeout ({length} ms) expired first — {n}'s would have expired {} ms later",
            d.0 - due.0
        ),
        (None, None) => format!("its election timeout ({length} ms) expired first"),
    })
}

/// The explanations of `stories` (newest first, at most [`SHOWN`]) for a cluster of
/// `servers` servers.
pub fn explain(
    stories: &[TermStory],
    fires: &[(NodeId, Time, bool)],
    servers: usize,
    before: Before<'_>,
) -> Explained {
    let majority = servers / 2 + 1;
    let mut out = Explained::default();
    let mut items: Vec<Explanation> = Vec::new();
    for s in stories.iter().rev() {
        if items.len() >= SHOWN {
            break;
        }
        match s.leader {
            Some((winner, at)) => {
                let campaign = s.campaigns.iter().find(|c| c.node == winner);
                let text = match campaign {
                    None => format!("{winner} won term {} at t={at}", s.term),
                    Some(c) => {
                        let Some(why) = why_it_started(c, servers, fires, before, &mut out.need)
                        else {
                            continue;
                        };
                        format!(
                            "{winner} won term {}: {why}; votes from {} ({} of {servers}, {majority} needed)",
                            s.term,
                            listed(&c.votes),
                            c.votes.len()
                        )
                    }
                };
                items.push(Explanation {
                    at,
                    kind: ExplainKind::Won,
                    node: Some(winner),
                    text,
                });
            }
            None => {
                let Some(ended) = s.ended else {
                    continue;
                };
                if s.campaigns.is_empty() {
                    continue;
                }
                let tallies: Vec<String> = s
                    .campaigns
                    .iter()
                    .map(|c| {
                        let n = c.votes.len();
                        format!(
                            "{} got {} ({})",
                            c.node,
                            crate::model::words::counted(n as u64, "vote"),
                            listed(&c.votes)
                        )
                    })
                    .collect();
                let (kind, text) = if s.campaigns.len() > 1 {
                    (
                        ExplainKind::SplitVote,
                        format!(
                            "split vote in term {}: {}; {majority} needed, so nobody won — the next election timeout starts term {}",
                            s.term,
                            tallies.join(", "),
                            s.term + 1
                        ),
                    )
                } else {
                    (
                        ExplainKind::NoLeader,
                        format!(
                            "no leader in term {}: {} of the {majority} needed — the next election timeout starts term {}",
                            s.term,
                            tallies.join(", "),
                            s.term + 1
                        ),
                    )
                };
                items.push(Explanation {
                    at: ended,
                    kind,
                    node: s.campaigns.first().map(|c| c.node),
                    text,
                });
            }
        }
    }
    items.sort_by_key(|e| std::cmp::Reverse(e.at));
    out.items = items;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::explain::Lookups;
    use crate::panels::session;
    use netsplit_core::{build, Control, Scenario};

    /// Explain the session at its current time, looking past states up on a fresh replay.
    fn explained(scenario: &Scenario, until: u64) -> Explained {
        let mut pg = build(scenario).unwrap();
        pg.run_until(Time(until), u64::MAX);
        let mut lookups = Lookups::default();
        for _ in 0..2 {
            let s = session::<Raft>(pg.as_ref()).unwrap();
            let trace = s.sim().trace();
            let start = window_start(trace, 900);
            let (stories, fires) = stories(trace.iter_from(start));
            let answer = explain(&stories, &fires, s.sim().cluster_size(), &|t| {
                lookups.get(t)
            });
            if answer.need.is_empty() {
                return answer;
            }
            for t in answer.need {
                let mut past = build(scenario).unwrap();
                past.run_until(t, u64::MAX);
                lookups.put(t, past.snapshot());
            }
        }
        panic!("the second answer needs nothing more");
    }

    #[test]
    fn seed_7_splits_the_vote_in_term_1_then_the_first_timeout_wins_term_2() {
        // The default page (seed 7): four nodes pass the pre-vote at once and split term 1's
        // votes; n3's next timeout expires first and it wins term 2.
        let s = Scenario::new(netsplit_core::protocols::raft::ID, 7);
        let e = explained(&s, 1_000);
        assert_eq!(e.items.len(), 2, "{:?}", e.items);
        let (won, split) = (&e.items[0], &e.items[1]);
        assert_eq!(
            (won.kind, split.kind),
            (ExplainKind::Won, ExplainKind::SplitVote)
        );
        assert!(won.at > split.at, "newest first");
        assert!(
            split.text.starts_with("split vote in term 1: "),
            "{}",
            split.text
        );
        assert!(
            split.text.contains("3 needed, so nobody won"),
            "{}",
            split.text
        );
        assert_eq!(split.text.matches(" got ").count(), 4, "{}", split.text);
        assert_eq!(won.node, Some(NodeId(2)));
        assert!(
            won.text
                .starts_with("n3 won term 2: its election timeout ("),
            "{}",
            won.text
        );
        assert!(won.text.contains("ms) expired first — "), "{}", won.text);
        assert!(
            won.text
                .contains("votes from n1, n2, n3 (3 of 5, 3 needed)"),
            "{}",
            won.text
        );
        // The length given is the timer's: armed at F - length, due at F (the firing).
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(1_000), u64::MAX);
        let raft = session::<Raft>(pg.as_ref()).unwrap();
        let (stories, _) = stories(raft.sim().trace().iter());
        let campaign = stories
            .iter()
            .find(|t| t.term == 2)
            .and_then(|t| t.campaigns.iter().find(|c| c.node == NodeId(2)))
            .unwrap();
        let (fired, forced) = campaign.trigger.unwrap();
        assert!(!forced);
        let length: u64 = won.text["n3 won term 2: its election timeout (".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let mut past = build(&s).unwrap();
        past.run_until(Time(fired.0 - 1), u64::MAX);
        assert_eq!(
            election_timer(&past.snapshot(), NodeId(2)),
            Some((Time(fired.0 - length), fired))
        );
    }

    #[test]
    fn a_forced_timeout_is_named_as_such() {
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, 7);
        s.actions.push(netsplit_core::run::scenario::TimedAction {
            at: Time(2_000),
            control: Control::Timeout { node: NodeId(0) },
        });
        let e = explained(&s, 3_000);
        let newest = &e.items[0];
        if newest.node == Some(NodeId(0)) {
            assert!(
                newest.text.contains("forced by the user"),
                "{}",
                newest.text
            );
        }
        assert!(e.items.len() >= 2, "{:?}", e.items);
    }

    #[test]
    fn a_forced_timeout_held_back_by_the_vote_promise_is_told_as_such() {
        // Seed 1: crash the leader at t=2 s and force a follower's timeout at once. It heard
        // the leader 2 ms before, so it campaigns only when its vote promise ends (t=2148) —
        // and wins: the reason is the forced timeout, not a 148-ms "election timeout".
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, 1);
        let mut pg = build(&s).unwrap();
        pg.run_until(Time(2_000), u64::MAX);
        let snap = pg.snapshot();
        let leader = snap.nodes.iter().find(|n| n.view.role.leads).unwrap().id;
        let follower = snap.nodes.iter().find(|n| n.id != leader).unwrap().id;
        for control in [
            Control::Crash { node: leader },
            Control::Timeout { node: follower },
        ] {
            s.actions.push(netsplit_core::run::scenario::TimedAction {
                at: Time(2_000),
                control,
            });
        }
        let e = explained(&s, 4_000);
        let newest = &e.items[0];
        assert_eq!(newest.node, Some(follower), "{:?}", e.items);
        assert!(
            newest.text.contains(
                "its timeout was forced by the user at t=2000, but it heard from a leader at \
                 t=1998, so it had promised no votes before t=2148, and campaigned then"
            ),
            "{}",
            newest.text
        );
    }

    #[test]
    fn terms_without_a_leader_are_told_apart() {
        // Hand-made stories: two candidates splitting the vote, then one alone.
        let c = |n: u8, votes: &[u8]| Campaign {
            node: NodeId(n),
            since: Time(10),
            trigger: Some((Time(10), true)),
            held: None,
            votes: votes.iter().map(|v| NodeId(*v)).collect(),
        };
        let split = TermStory {
            term: 3,
            campaigns: vec![c(1, &[1, 4]), c(3, &[3, 0])],
            leader: None,
            ended: Some(Time(400)),
        };
        let alone = TermStory {
            term: 4,
            campaigns: vec![c(2, &[2])],
            leader: None,
            ended: Some(Time(800)),
        };
        let ongoing = TermStory {
            term: 5,
            campaigns: vec![c(2, &[2])],
            leader: None,
            ended: None,
        };
        let e = explain(&[split, alone, ongoing], &[], 5, &|_| None);
        assert!(e.need.is_empty());
        assert_eq!(e.items.len(), 2, "the ongoing term is not over");
        assert_eq!(e.items[0].kind, ExplainKind::NoLeader);
        assert_eq!(
            e.items[0].text,
            "no leader in term 4: n3 got 1 vote (n3) of the 3 needed — the next election timeout starts term 5"
        );
        assert_eq!(e.items[1].kind, ExplainKind::SplitVote);
        assert_eq!(
            e.items[1].text,
            "split vote in term 3: n2 got 2 votes (n2, n5), n4 got 2 votes (n1, n4); 3 needed, so nobody won — the next election timeout starts term 4"
        );
    }
}
