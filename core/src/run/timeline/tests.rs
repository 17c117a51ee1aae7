use super::*;
use crate::kernel::types::NodeId;
use crate::run::playground::build;
use crate::run::scenario::Scenario;

fn scenario(seed: u64) -> Scenario {
    let mut s = Scenario::new("raft", seed);
    let at = |ms, control| TimedAction {
        at: Time(ms),
        control,
    };
    s.actions = vec![
        at(2_500, Control::Crash { node: NodeId(0) }),
        at(
            4_000,
            Control::Partition {
                groups: vec![vec![NodeId(1), NodeId(2)]],
            },
        ),
        at(6_200, Control::Restart { node: NodeId(0) }),
        at(8_000, Control::HealAll),
    ];
    s
}

fn timeline(s: &Scenario) -> Timeline {
    Timeline::new(build(s).unwrap())
}

/// A straight run of `s` to `t`, from scratch.
fn straight(s: &Scenario, t: Time) -> Box<dyn Playground> {
    let mut p = build(s).unwrap();
    p.run_until(t, u64::MAX);
    p
}

fn assert_same(a: &dyn Playground, b: &dyn Playground, what: &str) {
    assert_eq!(a.now(), b.now(), "{what}: now");
    assert_eq!(a.steps(), b.steps(), "{what}: steps");
    assert_eq!(a.trace_len(), b.trace_len(), "{what}: trace length");
    assert_eq!(a.trace_hash(), b.trace_hash(), "{what}: trace hash");
    assert_eq!(a.snapshot(), b.snapshot(), "{what}: snapshot");
    assert_eq!(a.counters(), b.counters(), "{what}: counters");
}

#[test]
fn seeking_anywhere_equals_a_straight_run() {
    let s = scenario(3);
    let mut tl = timeline(&s);
    // Play like the page does: small frames with an event budget.
    let mut t = 0;
    while t < 12_000 {
        t += 37;
        while tl.run_until(Time(t), 50) == RunOutcome::Capped {}
    }
    assert!(tl.checkpoints() >= 12, "{} checkpoints", tl.checkpoints());
    for ms in [
        0, 1, 999, 1_000, 1_001, 2_500, 2_501, 7_777, 3_000, 11_999, 12_000, 15_000, 500,
    ] {
        tl.seek(Time(ms));
        assert_same(
            tl.playground(),
            straight(&s, Time(ms)).as_ref(),
            &format!("t={ms}"),
        );
    }
}

#[test]
fn stepping_back_returns_to_the_exact_previous_state() {
    let s = scenario(5);
    let mut tl = timeline(&s);
    tl.run_until(Time(2_400), u64::MAX);
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..400 {
        if i == 150 {
            // A live action at the frontier is a step too (after finishing its instant).
            tl.apply(Control::Timeout { node: NodeId(2) }).unwrap();
        }
        // States right after a step (a run to a time also moves the clock past the event).
        assert!(tl.step());
        let p = tl.playground();
        seen.insert(p.steps(), (p.trace_hash(), p.snapshot()));
    }
    let marks = tl.marks().to_vec();
    let first = *seen.keys().next().unwrap();
    let mut checked = 0;
    while tl.playground().steps() > first {
        let before = tl.playground().steps();
        assert!(tl.step_back());
        let p = tl.playground();
        assert_eq!(p.steps(), before - 1);
        if let Some((hash, snap)) = seen.get(&p.steps()) {
            assert_eq!(p.trace_hash(), *hash, "at step {}", p.steps());
            assert_eq!(p.snapshot(), *snap, "at step {}", p.steps());
            checked += 1;
        }
    }
    // Every recorded state but the last (where stepping back started).
    assert_eq!(checked, seen.len() - 1);
    // Stepping back is not acting: the branch and its marks are unchanged.
    assert_eq!(tl.branches().len(), 1);
    assert_eq!(tl.marks(), &marks[..]);
    tl.seek_steps(0);
    assert!(!tl.step_back());
}

#[test]
fn acting_in_the_past_forks_and_the_old_branch_stays() {
    let s = scenario(8);
    let mut tl = timeline(&s);
    tl.run_until(Time(10_000), u64::MAX);
    // At the frontier: no fork.
    assert_eq!(
        tl.apply(Control::Pause { node: NodeId(4) }).unwrap(),
        Edited::InPlace
    );
    let old_hash = tl.playground().trace_hash();
    let old_scenario = tl.playground().to_scenario();
    assert_eq!(old_scenario.actions.len(), 5);
    // Back in time, then act: a new branch without the old future.
    tl.seek(Time(3_000));
    assert!(tl.in_past());
    assert!(tl.apply(Control::Crash { node: NodeId(9) }).is_err());
    assert_eq!(tl.branches().len(), 1, "a refused action does not fork");
    assert_eq!(
        tl.apply(Control::Crash { node: NodeId(3) }).unwrap(),
        Edited::Forked
    );
    let branches = tl.branches();
    assert_eq!(branches.len(), 2);
    assert_eq!(branches[1].forked_from, Some((1, Time(3_000))));
    assert!(branches[1].current);
    let new_scenario = tl.playground().to_scenario();
    // The crash at 2.5 s stays, the later actions are gone, the new one is recorded.
    assert_eq!(new_scenario.actions.len(), 2);
    assert_eq!(
        new_scenario.actions[1].control,
        Control::Crash { node: NodeId(3) }
    );
    tl.run_until(Time(9_000), u64::MAX);
    assert_same(
        tl.playground(),
        straight(&new_scenario, Time(9_000)).as_ref(),
        "new branch",
    );
    // Back to the first branch, where it was left; its future is intact.
    assert!(tl.switch(0));
    assert_eq!(tl.now(), Time(3_000));
    assert_same(
        tl.playground(),
        straight(&old_scenario, Time(3_000)).as_ref(),
        "old branch",
    );
    tl.seek(Time(10_000));
    assert_eq!(tl.playground().trace_hash(), old_hash);
    // Seeking within the new branch after switching back to it.
    assert!(tl.switch(1));
    assert_eq!(tl.now(), Time(9_000));
    tl.seek(Time(4_000));
    assert_same(
        tl.playground(),
        straight(&new_scenario, Time(4_000)).as_ref(),
        "new branch, rewound",
    );
    assert!(!tl.switch(7));
}

#[test]
fn moving_and_removing_marks_replays_the_edited_schedule() {
    let s = scenario(9);
    let mut tl = timeline(&s);
    tl.run_until(Time(9_000), u64::MAX);
    // Move the restart (index 2) earlier, twice: one branch.
    assert_eq!(tl.move_mark(2, Time(5_000)).unwrap(), Edited::Forked);
    assert_eq!(tl.marks()[2].at, Time(5_000));
    assert_eq!(tl.move_mark(2, Time(4_900)).unwrap(), Edited::InPlace);
    assert_eq!(tl.branches().len(), 2);
    assert_eq!(tl.now(), Time(9_000), "the same moment is shown again");
    let mut edited = s.clone();
    edited.actions[2].at = Time(4_900);
    assert_same(
        tl.playground(),
        straight(&edited, Time(9_000)).as_ref(),
        "moved",
    );
    // Moving past a later action reorders the schedule.
    assert_eq!(tl.move_mark(0, Time(4_500)).unwrap(), Edited::Forked);
    let times: Vec<u64> = tl.marks().iter().map(|a| a.at.0).collect();
    assert_eq!(times, vec![4_000, 4_500, 4_900, 8_000]);
    assert_eq!(tl.marks()[1].control, Control::Crash { node: NodeId(0) });
    // Removing a mark forks too, and replays without it.
    assert_eq!(tl.remove_mark(3).unwrap(), Edited::Forked);
    assert_eq!(tl.marks().len(), 3);
    let expect = Scenario {
        actions: tl.marks().to_vec(),
        ..s.clone()
    };
    tl.seek(Time(12_000));
    assert_same(
        tl.playground(),
        straight(&expect, Time(12_000)).as_ref(),
        "removed",
    );
    assert_eq!(tl.playground().to_scenario().actions, expect.actions);
    assert!(tl.move_mark(9, Time(1)).is_err());
    assert!(tl.remove_mark(9).is_err());
    assert!(tl.move_mark(0, Time(MAX_TIME_MS + 1)).is_err());
    // A mark whose action no longer applies is refused, not fatal.
    assert!(tl.move_mark(1, Time(200)).is_ok());
}

#[test]
fn manual_picks_are_recorded_and_replay() {
    let s = Scenario::new("raft", 4);
    let mut tl = timeline(&s);
    tl.run_until(Time(1_200), u64::MAX);
    for round in 0..30 {
        let picks = tl.picks();
        assert!(!picks.is_empty());
        assert!(picks.windows(2).all(|w| w[0].due <= w[1].due));
        // Deliver the latest message, drop another, fire a timer: out of natural order.
        let pick = match round % 3 {
            0 => picks
                .iter()
                .rev()
                .find(|p| matches!(p.control, Control::Deliver { .. })),
            1 => picks
                .iter()
                .find(|p| matches!(p.control, Control::DropMessage { .. })),
            _ => picks
                .iter()
                .find(|p| matches!(p.control, Control::Fire { .. })),
        };
        if let Some(pick) = pick {
            tl.apply(pick.control.clone()).unwrap();
        }
        tl.step();
    }
    tl.run_until(Time(tl.now().0 + 500), u64::MAX);
    let sc = tl.playground().to_scenario();
    assert!(sc.actions.len() >= 25, "{}", sc.actions.len());
    // The recorded picks survive a JSON round trip and reproduce the run.
    let back = Scenario::from_json(&sc.to_json()).unwrap();
    assert_same(
        tl.playground(),
        straight(&back, tl.now()).as_ref(),
        "manual",
    );
    // And seeking back into the manual stretch is exact too.
    let mid = Time(1_300);
    tl.seek(mid);
    assert_same(
        tl.playground(),
        straight(&back, mid).as_ref(),
        "manual, rewound",
    );
}

#[test]
fn a_long_run_keeps_memory_bounded() {
    let s = Scenario::new("raft", 2);
    let mut tl = timeline(&s);
    tl.run_until(Time(600_000), u64::MAX);
    assert_eq!(tl.checkpoints(), 601);
    // Checkpoints share the trace: only a chunk per checkpoint, no copies of entries.
    tl.run_until(Time(MAX_TIME_MS), u64::MAX);
    assert!(tl.checkpoints() <= MAX_CHECKPOINTS, "{}", tl.checkpoints());
    tl.seek(Time(1_234_567));
    assert_same(
        tl.playground(),
        straight(&s, Time(1_234_567)).as_ref(),
        "after thinning",
    );
}

#[test]
fn a_trace_window_bounds_the_trace_and_changes_nothing_else() {
    let s = scenario(3);
    let limit = 5_000;
    let mut tl = timeline(&s);
    tl.set_trace_window(Some(limit));
    let mut t = 0;
    while t < 240_000 {
        t += 160;
        while tl.run_until(Time(t), 400) == RunOutcome::Capped {}
        let live = tl.playground();
        let kept = live.trace_len() - live.trace_first();
        assert!(
            kept <= limit + limit / 4 + 4096,
            "{kept} entries kept at {t} ms"
        );
    }
    let live = tl.playground();
    assert!(live.trace_first() > 0, "the run was long enough to forget");
    // The fingerprint covers the whole run, forgotten part included.
    assert_same(live, straight(&s, Time(t)).as_ref(), "windowed, at the end");
    // Checkpoints behind the window hold no trace; the rest are within about one window.
    let first = live.trace_first();
    let checkpoints = &tl.branch().checkpoints;
    let stripped = checkpoints
        .iter()
        .filter(|c| c.state.trace_first() == c.state.trace_len())
        .count();
    assert!(stripped > checkpoints.len() / 2, "{stripped} stripped");
    for c in checkpoints {
        let (f, len) = (c.state.trace_first(), c.state.trace_len());
        assert!(
            f == len || len > first,
            "a checkpoint at {} keeps {f}..{len}",
            c.at
        );
    }
    // Seeking into forgotten history lands on exactly the straight run's state, and the trace
    // there starts at the checkpoint it was replayed from.
    for ms in [0, 2_600, 7_777, 61_001, 150_000, 239_999, 12_345] {
        tl.seek(Time(ms));
        assert_same(
            tl.playground(),
            straight(&s, Time(ms)).as_ref(),
            &format!("seek {ms}"),
        );
    }
    tl.seek(Time(t));
    assert_same(
        tl.playground(),
        straight(&s, Time(t)).as_ref(),
        "back at the end",
    );
}

#[test]
fn branches_are_capped() {
    let s = Scenario::new("raft", 6);
    let mut tl = timeline(&s);
    tl.run_until(Time(3_000), u64::MAX);
    for i in 0..(MAX_BRANCHES as u64 + 3) {
        tl.seek(Time(100 + i));
        tl.apply(Control::HealAll).unwrap();
        tl.run_until(Time(3_000), u64::MAX);
    }
    let branches = tl.branches();
    assert_eq!(branches.len(), MAX_BRANCHES);
    assert!(branches.last().unwrap().current);
    assert_eq!(branches.iter().filter(|b| b.current).count(), 1);
}
