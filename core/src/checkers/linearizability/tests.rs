use super::*;

const BUDGET: u64 = 100_000;

fn put(client: u32, key: &str, value: &str, from: u64, to: u64) -> Event {
    let op = Op::Put {
        key: key.into(),
        value: value.into(),
    };
    Event::completed(client, op, from, to, Outcome::Ok)
}

fn put_lost(client: u32, key: &str, value: &str, from: u64) -> Event {
    let op = Op::Put {
        key: key.into(),
        value: value.into(),
    };
    Event::indeterminate(client, op, from)
}

fn get(client: u32, key: &str, seen: Option<&str>, from: u64, to: u64) -> Event {
    let op = Op::Get { key: key.into() };
    let outcome = Outcome::Value(seen.map(String::from));
    Event::completed(client, op, from, to, outcome)
}

fn cas(
    client: u32,
    key: &str,
    expected: Option<&str>,
    new: &str,
    result: Result<(), Option<&str>>,
    from: u64,
    to: u64,
) -> Event {
    let op = Op::Cas {
        key: key.into(),
        expected: expected.map(String::from),
        new: new.into(),
    };
    let outcome = match result {
        Ok(()) => Outcome::CasOk,
        Err(current) => Outcome::CasFailed {
            current: current.map(String::from),
        },
    };
    Event::completed(client, op, from, to, outcome)
}

fn delete(client: u32, key: &str, from: u64, to: u64) -> Event {
    Event::completed(
        client,
        Op::Delete { key: key.into() },
        from,
        to,
        Outcome::Ok,
    )
}

/// Asserts the fast checker and the oracle both accept `history`.
fn good(history: &[Event]) {
    assert_eq!(check(history, BUDGET), Ok(Verdict::Linearizable));
    assert!(brute_force(history), "the oracle disagrees");
}

/// Asserts both reject `history`; returns the fast checker's report.
fn bad(history: &[Event]) -> (String, Vec<usize>, String) {
    assert!(!brute_force(history), "the oracle disagrees");
    match check(history, BUDGET) {
        Ok(Verdict::NotLinearizable { key, ops, reason }) => {
            // The reported set is on its own already a violation.
            let subset: Vec<Event> = ops.iter().map(|&i| history[i].clone()).collect();
            assert!(
                !brute_force(&subset),
                "reported set {ops:?} is linearizable"
            );
            (key, ops, reason)
        }
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn empty_and_read_only_histories() {
    // Nothing happened: trivially linearizable.
    good(&[]);
    // Reading a key nobody wrote sees nothing.
    good(&[get(1, "x", None, 0, 5)]);
}

#[test]
fn stale_read_after_a_completed_write_is_caught() {
    // The write of "b" finished at 30; a read starting at 40 must not see "a" any more.
    let (key, ops, reason) = bad(&[
        put(1, "x", "a", 0, 10),
        put(1, "x", "b", 20, 30),
        get(2, "x", Some("a"), 40, 50),
    ]);
    assert_eq!(key, "x");
    assert_eq!(ops, vec![0, 1, 2]);
    assert!(
        reason.contains("op 2 (client 2: get(\"x\") → \"a\" [40, 50])"),
        "{reason}"
    );
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    // The read overlaps the write of "b": it may be ordered before or after it.
    for seen in ["a", "b"] {
        good(&[
            put(1, "x", "a", 0, 10),
            put(1, "x", "b", 20, 40),
            get(2, "x", Some(seen), 25, 35),
        ]);
    }
    // Touching at one instant counts as overlapping: the read returned at 20, exactly when
    // the write was invoked, so the read may still come first.
    good(&[put(1, "x", "a", 20, 30), get(2, "x", None, 10, 20)]);
}

#[test]
fn a_value_nobody_wrote_is_caught() {
    bad(&[put(1, "x", "a", 0, 10), get(2, "x", Some("z"), 5, 15)]);
}

#[test]
fn a_read_cannot_go_back_in_time_to_before_a_write() {
    // After a completed write, "absent" is a stale read too.
    bad(&[put(1, "x", "a", 0, 10), get(2, "x", None, 11, 12)]);
    // And one client's later read cannot see less than an earlier one did.
    bad(&[
        put(1, "x", "a", 0, 100),
        get(2, "x", Some("a"), 10, 20),
        get(3, "x", None, 30, 40),
    ]);
}

#[test]
fn compare_and_set_successes_and_failures() {
    // Create-if-absent then swap: the classic lock-free update.
    good(&[
        cas(1, "x", None, "a", Ok(()), 0, 10),
        cas(2, "x", Some("a"), "b", Ok(()), 20, 30),
        get(3, "x", Some("b"), 40, 50),
    ]);
    // Two concurrent creates: exactly one wins, the other sees the winner's value.
    good(&[
        cas(1, "x", None, "a", Ok(()), 0, 10),
        cas(2, "x", None, "b", Err(Some("a")), 5, 15),
    ]);
    // Both winning is impossible: the second must have found the first's value.
    bad(&[
        cas(1, "x", None, "a", Ok(()), 0, 10),
        cas(2, "x", None, "b", Ok(()), 5, 15),
    ]);
    // A failure must report the real current value: here nothing could be there but "a".
    bad(&[
        put(1, "x", "a", 0, 10),
        cas(2, "x", Some("b"), "c", Err(Some("z")), 20, 30),
    ]);
    // A failed cas must not have changed anything.
    bad(&[
        put(1, "x", "a", 0, 10),
        cas(2, "x", None, "c", Err(Some("a")), 20, 30),
        get(3, "x", Some("c"), 40, 50),
    ]);
}

#[test]
fn delete_removes_the_key() {
    good(&[
        put(1, "x", "a", 0, 10),
        delete(2, "x", 20, 30),
        get(3, "x", None, 40, 50),
        cas(3, "x", None, "b", Ok(()), 60, 70),
    ]);
    // The value survived a completed delete: a lost delete.
    bad(&[
        put(1, "x", "a", 0, 10),
        delete(2, "x", 20, 30),
        get(3, "x", Some("a"), 40, 50),
    ]);
}

#[test]
fn an_indeterminate_write_may_take_effect_late_or_never() {
    // The client gave up on the write; a much later read saw it, so it did happen.
    good(&[put_lost(1, "x", "a", 0), get(2, "x", Some("a"), 50, 60)]);
    // It may also still be in flight: first unseen, then seen.
    good(&[
        put_lost(1, "x", "a", 0),
        get(2, "x", None, 10, 20),
        get(2, "x", Some("a"), 30, 40),
    ]);
    // Or it never happened at all.
    good(&[put_lost(1, "x", "a", 0), get(2, "x", None, 100, 110)]);
    // But it cannot have happened before it was invoked.
    bad(&[get(2, "x", Some("a"), 0, 10), put_lost(1, "x", "a", 20)]);
}

#[test]
fn an_indeterminate_write_seen_then_unseen_is_caught() {
    // Once a read saw "a", a later read cannot see the key absent again (nothing deletes it).
    bad(&[
        put_lost(1, "x", "a", 0),
        get(2, "x", Some("a"), 10, 20),
        get(3, "x", None, 30, 40),
    ]);
}

#[test]
fn reads_that_order_two_writes_differently_are_caught() {
    // Two concurrent writes; client 3 sees a-then-b, client 4 sees b-then-a at the same
    // times. Each write happens once, so they cannot both be right.
    let history = [
        put(1, "x", "a", 0, 100),
        put(2, "x", "b", 0, 100),
        get(3, "x", Some("a"), 10, 20),
        get(3, "x", Some("b"), 30, 40),
        get(4, "x", Some("b"), 10, 20),
        get(4, "x", Some("a"), 30, 40),
    ];
    bad(&history);
    // Either client alone is fine.
    good(&history[..4]);
    good(&[
        history[0].clone(),
        history[1].clone(),
        history[4].clone(),
        history[5].clone(),
    ]);
}

#[test]
fn only_the_broken_key_is_reported() {
    // Key "a" is fine, key "b" has a stale read, key "c" is fine again.
    let history = [
        put(1, "a", "1", 0, 10),
        put(1, "b", "1", 0, 10),
        get(2, "a", Some("1"), 20, 30),
        put(1, "b", "2", 20, 30),
        get(2, "b", Some("1"), 40, 50),
        put(3, "c", "1", 40, 50),
    ];
    let (key, ops, _) = bad(&history);
    assert_eq!(key, "b");
    assert_eq!(ops, vec![1, 3, 4]);
}

#[test]
fn the_report_is_narrowed_to_the_first_impossible_prefix() {
    // The violation happens early; everything afterwards is irrelevant and left out.
    let mut history = vec![
        put(1, "x", "a", 0, 10),
        get(2, "x", None, 20, 30), // stale: the put finished at 10
    ];
    for i in 0..20u64 {
        history.push(put(1, "x", "b", 100 + 20 * i, 110 + 20 * i));
        history.push(get(2, "x", Some("b"), 105 + 20 * i, 115 + 20 * i));
    }
    let Ok(Verdict::NotLinearizable { ops, reason, .. }) = check(&history, BUDGET) else {
        panic!("expected a violation");
    };
    assert_eq!(ops, vec![0, 1]);
    assert!(
        reason.contains("op 1 (client 2: get(\"x\") → none [20, 30])"),
        "{reason}"
    );
    assert!(reason.contains("up to t=10 still does"), "{reason}");
}

#[test]
fn a_tiny_budget_gives_unknown_instead_of_hanging() {
    // 30 concurrent writes of distinct values, then a read of the last one.
    let mut history: Vec<Event> = (0..30u64)
        .map(|i| put(i as u32, "x", &i.to_string(), 0, 100))
        .collect();
    history.push(get(99, "x", Some("29"), 200, 210));
    assert_eq!(check(&history, 1), Ok(Verdict::Unknown { steps: 1 }));
    assert_eq!(check(&history, 5), Ok(Verdict::Unknown { steps: 5 }));
    // With a real budget it is fine.
    assert_eq!(check(&history, BUDGET), Ok(Verdict::Linearizable));
    // The budget is per key: a key that runs out does not hide a violation on another key
    // (key "y" needs 2 steps to fail and 1 more to narrow the report down).
    history.push(put(1, "y", "a", 0, 10));
    history.push(get(2, "y", None, 20, 30));
    assert!(matches!(
        check(&history, 5),
        Ok(Verdict::NotLinearizable { key, .. }) if key == "y"
    ));
}

#[test]
fn malformed_histories_are_refused() {
    let history = [put(1, "x", "a", 0, 10), get(2, "x", None, 30, 20)];
    let e = check(&history, BUDGET).unwrap_err();
    assert_eq!(e.index, 1);
    assert_eq!(
        e.to_string(),
        "history entry 1: returned at t=20, before it was invoked at t=30"
    );
    let wrong = Event::completed(1, Op::Delete { key: "x".into() }, 0, 1, Outcome::CasOk);
    let e = check(&[wrong], BUDGET).unwrap_err();
    assert_eq!(e.index, 0);
    assert_eq!(
        e.to_string(),
        "history entry 0: a delete cannot return \"ok\""
    );
    let wrong = Event::completed(1, Op::Get { key: "x".into() }, 0, 1, Outcome::Ok);
    assert!(matches!(
        check(&[wrong], BUDGET).unwrap_err().problem,
        HistoryProblem::OutcomeDoesNotFit { op: "get", .. }
    ));
}

#[test]
fn entry_order_does_not_matter() {
    let mut history = vec![
        put(1, "x", "a", 0, 10),
        put(1, "x", "b", 20, 30),
        get(2, "x", Some("a"), 40, 50),
    ];
    history.reverse();
    let (_, ops, _) = bad(&history);
    assert_eq!(ops, vec![0, 1, 2]);
}

#[test]
fn reports_read_well() {
    assert_eq!(
        put_lost(3, "k", "v", 7).to_string(),
        "client 3: put(\"k\", \"v\") → ? [7, …)"
    );
    assert_eq!(
        cas(1, "k", None, "v", Err(Some("w")), 1, 2).to_string(),
        "client 1: cas(\"k\", none → \"v\") → failed, found \"w\" [1, 2]"
    );
    assert_eq!(
        Verdict::Unknown { steps: 5 }.to_string(),
        "unknown: the step budget ran out after 5 steps"
    );
}

#[test]
fn a_deadline_bounds_when_a_lost_write_could_have_applied() {
    let a_lost = |deadline: Option<u64>| {
        let e = put_lost(1, "x", "a", 0);
        Event { deadline, ..e }
    };
    let rest = [put(2, "x", "b", 12, 14), get(3, "x", Some("a"), 20, 22)];
    // Without a deadline the lost write may land after b: the read of a is explained.
    let open: Vec<Event> = std::iter::once(a_lost(None)).chain(rest.clone()).collect();
    assert_eq!(check(&open, BUDGET).unwrap(), Verdict::Linearizable);
    assert!(brute_force(&open));
    // Taking effect by t=10 (if ever) puts it before b: reading a afterwards is impossible.
    let bounded: Vec<Event> = std::iter::once(a_lost(Some(10)))
        .chain(rest.clone())
        .collect();
    assert!(matches!(
        check(&bounded, BUDGET).unwrap(),
        Verdict::NotLinearizable { .. }
    ));
    assert!(!brute_force(&bounded));
    // A deadline after b's invocation still allows it.
    let late: Vec<Event> = std::iter::once(a_lost(Some(13))).chain(rest).collect();
    assert_eq!(check(&late, BUDGET).unwrap(), Verdict::Linearizable);
    // Malformed deadlines are refused.
    let mut early = put_lost(1, "x", "a", 5);
    early.deadline = Some(4);
    assert!(check(&[early], BUDGET).is_err());
    let mut completed = put(1, "x", "a", 0, 2);
    completed.deadline = Some(9);
    assert!(check(&[completed], BUDGET).is_err());
}
