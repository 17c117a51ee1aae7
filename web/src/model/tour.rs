//! The tour player's logic, pure: which caption shows at which moment, where Prev / Next /
//! Replay go, and where playing pauses. The captions, their times and their verdicts come from
//! core (`run::tour`); this module only needs the exact state each step fired at (its time and
//! step count, [`Moment`]) and its pause flag.

use netsplit_core::NodeId;

/// What a caption points at, as the page draws it: rings on nodes, a link, messages of one
/// kind on the graph; a column of the log matrix; a key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spot {
    /// Nodes to ring.
    pub nodes: Vec<NodeId>,
    /// A link (either direction).
    pub link: Option<(NodeId, NodeId)>,
    /// A message kind, as the legend names it.
    pub message: Option<String>,
    /// A log index (1-based).
    pub log_index: Option<u64>,
    /// A key of the store.
    pub key: Option<String>,
}

impl Spot {
    /// Whether `node` is ringed.
    pub fn has_node(&self, node: NodeId) -> bool {
        self.nodes.contains(&node)
    }

    /// Whether the link between `a` and `b` (either way) is pointed at.
    pub fn has_link(&self, a: NodeId, b: NodeId) -> bool {
        self.link
            .is_some_and(|(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
    }

    /// Whether nothing is pointed at.
    pub fn is_empty(&self) -> bool {
        self == &Spot::default()
    }

    /// What is pointed at, in words (for screen readers and the caption panel).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.nodes.is_empty() {
            let names: Vec<String> = self.nodes.iter().map(|n| n.to_string()).collect();
            parts.push(names.join(", "));
        }
        if let Some((a, b)) = self.link {
            parts.push(format!("the link {a}–{b}"));
        }
        if let Some(kind) = &self.message {
            parts.push(format!("{kind} messages"));
        }
        if let Some(i) = self.log_index {
            parts.push(format!("log index {i}"));
        }
        if let Some(k) = &self.key {
            parts.push(format!("key {k}"));
        }
        parts.join(" · ")
    }
}

/// One exact state of a run: a virtual time and the number of steps taken to reach it (core's
/// `Playground::steps`). Several events can share one virtual time; the step count tells the
/// states of one instant apart (a caption that fired "after" an event in the middle of an
/// instant shows the state just after that event, not at the end of the instant). Ordered by
/// time, then steps, which in one run is the order the states come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment {
    /// Virtual time (ms).
    pub at: u64,
    /// Steps taken.
    pub steps: u64,
}

impl Moment {
    /// The state after `steps` steps at time `at`.
    pub fn new(at: u64, steps: u64) -> Moment {
        Moment { at, steps }
    }
}

/// Where a step button takes the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Go {
    /// The step that shows.
    pub step: usize,
    /// Seek to this exact state, paused; `None`: the step never happened in this run (stay).
    pub seek: Option<Moment>,
    /// Then play, pausing at this exact state (Replay-this-step).
    pub play_until: Option<Moment>,
}

/// The steps of a tour (the exact states they fired at, when they pause) and the one showing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nav {
    /// When each caption fired in the run (`None`: it never did).
    moments: Vec<Option<Moment>>,
    /// Whether each caption pauses the animation.
    pauses: Vec<bool>,
    /// The caption showing (`None`: before the first).
    current: Option<usize>,
    /// The step the run alone would show, when last looked at: the run moves the caption only
    /// when it crosses a caption's moment, so a step chosen among captions of the same moment
    /// stays.
    by_clock: Option<usize>,
}

impl Nav {
    /// Steps firing at `moments`, pausing where `pauses` says, with the run at `now`.
    pub fn new(moments: Vec<Option<Moment>>, pauses: Vec<bool>, now: Moment) -> Nav {
        let mut nav = Nav {
            moments,
            pauses,
            current: None,
            by_clock: None,
        };
        nav.by_clock = nav.step_at(now);
        nav.current = nav.by_clock;
        nav
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.moments.len()
    }

    /// Whether there are no steps.
    pub fn is_empty(&self) -> bool {
        self.moments.is_empty()
    }

    /// The step showing.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// When step `k` fired (virtual ms).
    pub fn time(&self, k: usize) -> Option<u64> {
        self.moment(k).map(|m| m.at)
    }

    /// The exact state step `k` fired at.
    pub fn moment(&self, k: usize) -> Option<Moment> {
        self.moments.get(k).copied().flatten()
    }

    /// The last step fired at or before `m`.
    pub fn step_at(&self, m: Moment) -> Option<usize> {
        self.moments
            .iter()
            .enumerate()
            .filter(|(_, at)| at.is_some_and(|at| at <= m))
            .map(|(k, _)| k)
            .next_back()
    }

    /// The run is at `now`: follow it if it crossed a step's moment.
    pub fn follow(&mut self, now: Moment) {
        let k = self.step_at(now);
        if k != self.by_clock {
            self.by_clock = k;
            self.current = k;
        }
    }

    /// Show step `k` (seeking to its exact state).
    pub fn go(&mut self, k: usize) -> Option<Go> {
        if k >= self.len() {
            return None;
        }
        let seek = self.moment(k);
        self.current = Some(k);
        if let Some(m) = seek {
            self.by_clock = self.step_at(m);
        }
        Some(Go {
            step: k,
            seek,
            play_until: None,
        })
    }

    /// Show step `k` without moving the clock (a caption just added or edited).
    pub fn keep(&mut self, k: usize) {
        if k < self.len() {
            self.current = Some(k);
        }
    }

    /// The next step.
    pub fn forward(&mut self) -> Option<Go> {
        let k = self.current.map_or(0, |k| k + 1);
        self.go(k)
    }

    /// The previous step.
    pub fn back(&mut self) -> Option<Go> {
        let k = self.current?.checked_sub(1)?;
        self.go(k)
    }

    /// Play the showing step again: from the state of the step before it (or the start) up
    /// to its own state, pausing there.
    pub fn replay(&mut self) -> Option<Go> {
        let k = self.current?;
        let until = self.moment(k)?;
        let from = self
            .moments
            .iter()
            .flatten()
            .copied()
            .filter(|m| *m < until)
            .max()
            .unwrap_or(Moment::new(0, 0));
        self.by_clock = self.step_at(from);
        self.current = self.by_clock;
        Some(Go {
            step: k,
            seek: Some(from),
            play_until: Some(until),
        })
    }

    /// Where playing from `now` must pause: the next step that pauses, else the last step
    /// (a tour stops at its last caption instead of running on).
    pub fn next_stop(&self, now: Moment) -> Option<Moment> {
        let ahead = |k: usize| self.moment(k).filter(|m| *m > now);
        let pausing = (0..self.len()).find_map(|k| ahead(k).filter(|_| self.pauses[k]));
        let last = self
            .moments
            .iter()
            .flatten()
            .copied()
            .max()
            .filter(|m| *m > now);
        pausing.or(last)
    }

    /// `step k of n` for the step showing (`before step 1 of n` before the first).
    pub fn progress(&self) -> String {
        match self.current {
            Some(k) => format!("step {} of {}", k + 1, self.len()),
            None => format!("before step 1 of {}", self.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(at: u64, steps: u64) -> Moment {
        Moment::new(at, steps)
    }

    fn nav() -> Nav {
        // Five steps: t=0, t=500 (pauses), two in the middle of the instant t=1200 (after
        // steps 90 and 93 of the 96 at or before it), one that never fired.
        Nav::new(
            vec![
                Some(m(0, 3)),
                Some(m(500, 40)),
                Some(m(1200, 90)),
                Some(m(1200, 93)),
                None,
            ],
            vec![false, true, false, false, false],
            m(0, 3),
        )
    }

    #[test]
    fn the_run_moves_the_caption_only_across_a_step() {
        let mut n = nav();
        assert_eq!(n.current(), Some(0));
        n.follow(m(400, 30));
        assert_eq!(n.current(), Some(0));
        n.follow(m(500, 40));
        assert_eq!(
            (n.current(), n.progress().as_str()),
            (Some(1), "step 2 of 5")
        );
        n.follow(m(1200, 89));
        assert_eq!(n.current(), Some(1), "not yet at the step of t=1200");
        n.follow(m(1200, 90));
        assert_eq!(n.current(), Some(2), "mid-instant: the first of t=1200");
        n.follow(m(1300, 100));
        assert_eq!(n.current(), Some(3), "the last of the same moment");
        // Prev among captions of one moment seeks to the earlier one's exact state.
        assert_eq!(n.back().unwrap().seek, Some(m(1200, 90)));
        n.follow(m(1200, 90));
        assert_eq!(n.current(), Some(2));
        n.follow(m(100, 8));
        assert_eq!(n.current(), Some(0), "back in time");
        let before = Nav::new(vec![Some(m(100, 1))], vec![false], m(0, 0));
        assert_eq!(before.current(), None);
        assert_eq!(before.progress(), "before step 1 of 1");
    }

    #[test]
    fn prev_next_and_replay_seek_to_the_exact_states() {
        let mut n = nav();
        let go = n.forward().unwrap();
        assert_eq!(
            (go.step, go.seek, go.play_until),
            (1, Some(m(500, 40)), None)
        );
        assert_eq!(n.forward().unwrap().seek, Some(m(1200, 90)));
        assert_eq!(
            n.forward().unwrap().seek,
            Some(m(1200, 93)),
            "the same time, a later step"
        );
        let r = n.replay().unwrap();
        assert_eq!(
            (r.step, r.seek, r.play_until),
            (3, Some(m(1200, 90)), Some(m(1200, 93))),
            "replaying a step of a shared instant starts from the one before it in that instant"
        );
        assert_eq!(
            n.current(),
            Some(2),
            "replaying starts from the step before"
        );
        n.follow(m(1200, 93));
        assert_eq!(n.current(), Some(3));
        let never = n.forward().unwrap();
        assert_eq!(
            (never.step, never.seek),
            (4, None),
            "a step that never fired: no seek"
        );
        assert!(n.forward().is_none(), "after the last");
        assert_eq!(n.go(0).unwrap().seek, Some(m(0, 3)));
        assert!(n.back().is_none(), "before the first");
        assert_eq!(n.replay().unwrap().seek, Some(m(0, 0)));
    }

    #[test]
    fn playing_pauses_at_pausing_steps_and_the_last() {
        let n = nav();
        assert_eq!(n.next_stop(m(0, 3)), Some(m(500, 40)));
        assert_eq!(
            n.next_stop(m(500, 40)),
            Some(m(1200, 93)),
            "the tour ends at its last caption, mid-instant"
        );
        assert_eq!(n.next_stop(m(1200, 93)), None);
        assert_eq!(Nav::default().next_stop(m(0, 0)), None);
    }

    #[test]
    fn spots_say_what_they_point_at() {
        let s = Spot {
            nodes: vec![NodeId(0), NodeId(4)],
            link: Some((NodeId(0), NodeId(1))),
            message: Some("AppendEntries".into()),
            log_index: Some(2),
            key: None,
        };
        assert!(s.has_node(NodeId(4)) && !s.has_node(NodeId(1)));
        assert!(s.has_link(NodeId(1), NodeId(0)));
        assert_eq!(
            s.describe(),
            "n1, n5 · the link n1–n2 · AppendEntries messages · log index 2"
        );
        assert!(Spot::default().is_empty());
    }
}
