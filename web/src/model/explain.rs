//! Explanations shown where the eye is (over the graph, in the protocol's tab): a sentence per
//! thing worth understanding — who won an election and why, a term that ended in a split vote.
//! A panel computes them from its protocol's typed trace and state
//! (`Panel::explanations`); this module holds the plain data and the cache that decides when
//! to ask again and remembers past states looked up on the timeline.

use netsplit_core::kernel::view::Snapshot;
use netsplit_core::{NodeId, Time};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What an explanation is about (drawn with a glyph and a word, never colour alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainKind {
    /// A node won an election.
    Won,
    /// A term ended with two or more candidates and no winner.
    SplitVote,
    /// A term ended with one candidate that did not win.
    NoLeader,
    /// Anything else worth a sentence.
    Note,
}

impl ExplainKind {
    /// A stable name (CSS class, `data-kind`).
    pub fn name(self) -> &'static str {
        match self {
            ExplainKind::Won => "won",
            ExplainKind::SplitVote => "split-vote",
            ExplainKind::NoLeader => "no-leader",
            ExplainKind::Note => "note",
        }
    }

    /// A short heading ("elected", "split vote"…), the word next to the glyph.
    pub fn heading(self) -> &'static str {
        match self {
            ExplainKind::Won => "elected",
            ExplainKind::SplitVote => "split vote",
            ExplainKind::NoLeader => "no leader",
            ExplainKind::Note => "note",
        }
    }
}

/// One sentence about the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// When it happened (the election won, the term ended…).
    pub at: Time,
    /// What kind of thing it is.
    pub kind: ExplainKind,
    /// The node it is about, if one (selecting the explanation selects it).
    pub node: Option<NodeId>,
    /// The sentence: "n3 won term 4: its election timeout (212 ms) expired first; votes from
    /// n1, n3, n4".
    pub text: String,
}

/// What a panel answers: its explanations, newest first, and the past moments whose state it
/// still needs to finish them (the page looks them up on the timeline and asks again).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explained {
    /// The explanations, newest first.
    pub items: Vec<Explanation>,
    /// Times `t` whose state (after every event due at or before `t`) the panel needs.
    pub need: Vec<Time>,
}

/// Past states looked up so far, per history: the state at a time never changes while the
/// branch's history does not.
#[derive(Clone, Debug, Default)]
pub struct Lookups {
    epoch: u64,
    states: BTreeMap<Time, Rc<Snapshot>>,
}

/// Past states kept at most (a run with many elections asks for a few per election).
const KEEP: usize = 64;

impl Lookups {
    /// Forget everything if the history changed (a new `epoch`).
    pub fn follow(&mut self, epoch: u64) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.states.clear();
        }
    }

    /// The state at `t`, if looked up already.
    pub fn get(&self, t: Time) -> Option<Rc<Snapshot>> {
        self.states.get(&t).cloned()
    }

    /// Remember the state at `t`.
    pub fn put(&mut self, t: Time, snap: Snapshot) {
        if self.states.len() >= KEEP {
            // The oldest moments are the least likely to be asked for again.
            let first = self.states.keys().next().copied();
            if let Some(first) = first {
                self.states.remove(&first);
            }
        }
        self.states.insert(t, Rc::new(snap));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_follow_the_history_and_stay_bounded() {
        let mut l = Lookups::default();
        let snap = Snapshot {
            protocol: "",
            now: Time(0),
            events: 0,
            nodes: Vec::new(),
            in_flight: Vec::new(),
            links: Vec::new(),
            violations: Vec::new(),
            undecided: Vec::new(),
        };
        l.follow(1);
        l.put(Time(5), snap.clone());
        assert!(l.get(Time(5)).is_some());
        l.follow(1);
        assert!(l.get(Time(5)).is_some(), "same history: kept");
        l.follow(2);
        assert!(l.get(Time(5)).is_none(), "new history: forgotten");
        for t in 0..(KEEP as u64 + 10) {
            l.put(Time(t), snap.clone());
        }
        assert_eq!(l.states.len(), KEEP);
        assert!(l.get(Time(0)).is_none() && l.get(Time(KEEP as u64 + 9)).is_some());
        assert_eq!(ExplainKind::SplitVote.name(), "split-vote");
        assert_eq!(ExplainKind::Won.heading(), "elected");
    }
}
