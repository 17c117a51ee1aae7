//! The linearizability checker against its brute-force oracle, on many small random histories,
//! plus a performance sanity check on a large, highly concurrent one.
//!
//! Histories are generated from [`SimRng`] seeds, so every failure names a seed that reproduces
//! it. Most get their results by actually running a random linearization through the
//! sequential specification — linearizable by construction — and half of those then get one
//! read or cas result perturbed; the rest get random results. Both verdicts must be common, or
//! the test proves little.
#![cfg(not(target_arch = "wasm32"))]

use netsplit_core::checkers::linearizability::{
    apply, brute_force, check, Event, LiveHistories, Op, Outcome, Verdict,
};
use netsplit_core::kernel::rng::SimRng;
use std::collections::BTreeMap;

/// Random histories compared against the oracle.
const HISTORIES: u64 = 10_000;
/// Budget for the small histories: far more than any of them needs.
const BUDGET: u64 = 1_000_000;

fn pick<'a>(rng: &mut SimRng, items: &[&'a str]) -> &'a str {
    items[rng.range_inclusive(0, items.len() as u64 - 1) as usize]
}

fn maybe_value(rng: &mut SimRng, values: &[&str]) -> Option<String> {
    if rng.chance(0.3) {
        None
    } else {
        Some(pick(rng, values).to_string())
    }
}

/// A random operation on one of `keys`, with values from `values`.
fn random_op(rng: &mut SimRng, keys: &[&str], values: &[&str]) -> Op {
    let key = pick(rng, keys).to_string();
    match rng.range_inclusive(0, 99) {
        0..=34 => Op::Put {
            key,
            value: pick(rng, values).to_string(),
        },
        35..=69 => Op::Get { key },
        70..=89 => Op::Cas {
            key,
            expected: maybe_value(rng, values),
            new: pick(rng, values).to_string(),
        },
        _ => Op::Delete { key },
    }
}

/// A random result of the right shape for `op` (possibly wrong).
fn random_outcome(rng: &mut SimRng, op: &Op, values: &[&str]) -> Outcome {
    match op {
        Op::Put { .. } | Op::Delete { .. } => Outcome::Ok,
        Op::Get { .. } => Outcome::Value(maybe_value(rng, values)),
        Op::Cas { .. } => {
            if rng.chance(0.5) {
                Outcome::CasOk
            } else {
                Outcome::CasFailed {
                    current: maybe_value(rng, values),
                }
            }
        }
    }
}

/// Shape of a generated history.
struct Shape {
    keys: Vec<&'static str>,
    clients: u64,
    ops: u64,
    values: Vec<&'static str>,
    /// Pause between a client's operations: `0..=gap` ms.
    gap: u64,
    /// Duration of an operation: `0..=duration` ms.
    duration: u64,
    /// Probability that the client never hears back.
    lost: f64,
}

/// Generates a history of `shape`. Each client's operations are sequential (a client that
/// timed out moves on); clients overlap freely. Results come from running a random
/// linearization through the specification.
fn linearized_history(rng: &mut SimRng, shape: &Shape) -> Vec<Event> {
    let mut free_at = vec![0u64; shape.clients as usize];
    // (event, linearization point, tie-break); point None = an indeterminate op that never
    // took effect.
    let mut planned: Vec<(Event, Option<(u64, u64)>)> = Vec::new();
    for _ in 0..shape.ops {
        let client = rng.range_inclusive(0, shape.clients - 1);
        let invoked_at = free_at[client as usize] + rng.range_inclusive(0, shape.gap);
        let returned_at = invoked_at + rng.range_inclusive(0, shape.duration);
        free_at[client as usize] = returned_at;
        let op = random_op(rng, &shape.keys, &shape.values);
        let tie = rng.next_u64();
        if rng.chance(shape.lost) {
            // Took effect somewhere after its invocation, possibly after everything else,
            // or never.
            let point = if rng.chance(0.3) {
                None
            } else {
                Some((
                    invoked_at + rng.range_inclusive(0, 3 * shape.duration + 3),
                    tie,
                ))
            };
            planned.push((Event::indeterminate(client as u32, op, invoked_at), point));
        } else {
            let point = rng.range_inclusive(invoked_at, returned_at);
            let event = Event::completed(client as u32, op, invoked_at, returned_at, Outcome::Ok);
            planned.push((event, Some((point, tie))));
        }
    }
    let mut order: Vec<usize> = (0..planned.len())
        .filter(|&i| planned[i].1.is_some())
        .collect();
    order.sort_by_key(|&i| planned[i].1);
    let mut store = BTreeMap::new();
    for i in order {
        let event = &mut planned[i].0;
        let outcome = apply(&mut store, &event.op);
        if let Some((_, recorded)) = &mut event.returned {
            *recorded = outcome;
        }
    }
    planned.into_iter().map(|(event, _)| event).collect()
}

/// One random small history for `seed`.
fn small_history(seed: u64) -> Vec<Event> {
    let mut rng = SimRng::new(seed);
    let keys = ["x", "y"];
    let shape = Shape {
        keys: keys[..rng.range_inclusive(1, 2) as usize].to_vec(),
        clients: rng.range_inclusive(2, 3),
        ops: rng.range_inclusive(1, 6),
        values: vec!["a", "b", "c"],
        gap: 4,
        duration: 8,
        lost: 0.2,
    };
    let mut history = linearized_history(&mut rng, &shape);
    match rng.range_inclusive(0, 9) {
        // Keep the true results.
        0..=2 => {}
        // Perturb one completed read or cas result (which may or may not break
        // linearizability; `put` and `delete` can only return `Ok`).
        3..=7 => {
            let completed: Vec<usize> = (0..history.len())
                .filter(|&i| {
                    history[i].returned.is_some()
                        && matches!(history[i].op, Op::Get { .. } | Op::Cas { .. })
                })
                .collect();
            if !completed.is_empty() {
                let i = completed[rng.range_inclusive(0, completed.len() as u64 - 1) as usize];
                let outcome = random_outcome(&mut rng, &history[i].op, &shape.values);
                if let Some((_, recorded)) = &mut history[i].returned {
                    *recorded = outcome;
                }
            }
        }
        // Random results everywhere.
        _ => {
            for event in &mut history {
                let outcome = random_outcome(&mut rng, &event.op, &shape.values);
                if let Some((_, recorded)) = &mut event.returned {
                    *recorded = outcome;
                }
            }
        }
    }
    // Half the indeterminate operations get a deadline ("took effect by then, if ever"), drawn
    // from their own stream so the histories above stay what they were. A deadline may fall
    // before the operation's true linearization point, which can make the history impossible:
    // the oracle decides.
    let mut deadlines = SimRng::new(seed).fork(0xD1);
    for event in history.iter_mut().filter(|e| e.returned.is_none()) {
        if deadlines.chance(0.5) {
            let d = event.invoked_at + deadlines.range_inclusive(0, 3 * shape.duration + 3);
            event.deadline = Some(d);
        }
    }
    history
}

fn show(history: &[Event]) -> String {
    history
        .iter()
        .enumerate()
        .map(|(i, e)| format!("  {i}: {e}\n"))
        .collect()
}

#[test]
fn checker_agrees_with_the_brute_force_oracle() {
    let (mut linearizable, mut not) = (0u64, 0u64);
    let mut failures = Vec::new();
    for seed in 0..HISTORIES {
        let history = small_history(seed);
        let expected = brute_force(&history);
        let verdict = match check(&history, BUDGET) {
            Ok(verdict) => verdict,
            Err(e) => panic!("seed {seed}: generated an invalid history: {e}"),
        };
        let agrees = match &verdict {
            Verdict::Linearizable => expected,
            Verdict::NotLinearizable { key, ops, .. } => {
                // The reported operations are all on the named key, and on their own already
                // not linearizable.
                let subset: Vec<Event> = ops.iter().map(|&i| history[i].clone()).collect();
                !expected
                    && !ops.is_empty()
                    && subset.iter().all(|e| e.op.key() == key)
                    && !brute_force(&subset)
            }
            Verdict::Unknown { .. } => false,
        };
        // Entry order must not matter.
        let mut reversed = history.clone();
        reversed.reverse();
        let same_when_reversed = matches!(
            (&verdict, check(&reversed, BUDGET)),
            (Verdict::Linearizable, Ok(Verdict::Linearizable))
                | (
                    Verdict::NotLinearizable { .. },
                    Ok(Verdict::NotLinearizable { .. })
                )
        );
        if !agrees || !same_when_reversed {
            failures.push(format!(
                "seed {seed}: oracle says {}, checker says {verdict}{}\n{}",
                if expected {
                    "linearizable"
                } else {
                    "not linearizable"
                },
                if same_when_reversed {
                    ""
                } else {
                    " (and differently when reversed)"
                },
                show(&history)
            ));
        }
        if expected {
            linearizable += 1;
        } else {
            not += 1;
        }
    }
    println!(
        "{HISTORIES} random histories: {linearizable} linearizable, {not} not linearizable, {} disagreements",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements; the first few:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        linearizable * 5 >= HISTORIES && not * 5 >= HISTORIES,
        "both verdicts must be common (>= 20% each): {linearizable} vs {not}"
    );
}

/// A big, highly concurrent, linearizable single-key history.
fn big_history(seed: u64) -> Vec<Event> {
    let mut rng = SimRng::new(seed);
    let shape = Shape {
        keys: vec!["x"],
        clients: 10,
        ops: 200,
        values: vec!["a", "b", "c", "d", "e"],
        gap: 10,
        duration: 60,
        lost: 0.05,
    };
    linearized_history(&mut rng, &shape)
}

#[test]
fn a_big_concurrent_history_checks_within_budget() {
    for seed in 0..5 {
        let history = big_history(seed);
        // How concurrent it is: the most completed operations in flight at once.
        let most_in_flight = history
            .iter()
            .map(|e| {
                history
                    .iter()
                    .filter(|o| {
                        o.invoked_at <= e.invoked_at
                            && matches!(o.returned, Some((at, _)) if at >= e.invoked_at)
                    })
                    .count()
            })
            .max()
            .unwrap_or(0);
        assert!(
            most_in_flight >= 8,
            "seed {seed}: only {most_in_flight} concurrent"
        );
        assert_eq!(
            check(&history, 1_000_000),
            Ok(Verdict::Linearizable),
            "seed {seed}"
        );
    }
}

#[test]
fn a_big_history_with_one_impossible_read_is_caught() {
    // Append, after everything else has returned, a read of a value nobody wrote.
    let mut history = big_history(0);
    let end = history
        .iter()
        .filter_map(|e| e.returned.as_ref().map(|(at, _)| *at))
        .max()
        .unwrap_or(0);
    // No order can explain it, and proving that means exhausting the search over all 200
    // operations first (a read at the very end is the worst case); the memo cache and the
    // reductions keep that within the budget.
    history.push(Event::completed(
        99,
        Op::Get { key: "x".into() },
        end + 1,
        end + 2,
        Outcome::Value(Some("never written".into())),
    ));
    let index = history.len() - 1;
    match check(&history, 1_000_000) {
        Ok(Verdict::NotLinearizable { key, ops, reason }) => {
            assert_eq!(key, "x");
            assert_eq!(ops.last(), Some(&index));
            assert!(reason.contains(&format!("op {index} (")), "{reason}");
        }
        other => panic!("expected a violation, got {other:?}"),
    }
}

/// A longer one-key history with quiet moments between bursts of operations, as a live run
/// has them, and (in most seeds) one result perturbed so that it may break linearizability.
fn live_history(seed: u64) -> Vec<Event> {
    let mut rng = SimRng::new(seed);
    let shape = Shape {
        keys: vec!["x"],
        clients: rng.range_inclusive(2, 3),
        ops: rng.range_inclusive(10, 40),
        values: vec!["a", "b", "c", "d"],
        gap: rng.range_inclusive(2, 12),
        duration: rng.range_inclusive(1, 6),
        lost: 0.15,
    };
    let mut history = linearized_history(&mut rng, &shape);
    if rng.chance(0.6) {
        let i = rng.range_inclusive(0, history.len() as u64 - 1) as usize;
        let outcome = random_outcome(&mut rng, &history[i].op, &shape.values);
        if let Some((_, recorded)) = &mut history[i].returned {
            *recorded = outcome;
        }
    }
    for event in history.iter_mut().filter(|e| e.returned.is_none()) {
        if rng.chance(0.6) {
            event.deadline = Some(event.invoked_at + rng.range_inclusive(0, 12));
        }
    }
    history
}

#[test]
fn live_histories_agree_with_whole_checks_as_the_history_grows() {
    // Each history is replayed as a live checker sees it: an operation appears when it is
    // invoked (still in progress: no answer yet), then again when it returns or when its
    // deadline becomes known; after every instant the key is checked both ways. Settling
    // after every 4 operations exercises the cuts far more often than the default would.
    let (mut linearizable, mut not, mut settled_checks) = (0u64, 0u64, 0u64);
    for seed in 0..1_500u64 {
        let history = live_history(seed);
        // (time, index, what the checker learns then, whether the client is done with it)
        let mut news: Vec<(u64, usize, Event, bool)> = Vec::new();
        for (i, e) in history.iter().enumerate() {
            let in_progress = Event::indeterminate(e.client, e.op.clone(), e.invoked_at);
            news.push((e.invoked_at, i, in_progress, false));
            match (&e.returned, e.deadline) {
                (Some((at, _)), _) => news.push((*at, i, e.clone(), true)),
                (None, Some(deadline)) => news.push((deadline, i, e.clone(), true)),
                // The client gives up on it a little later.
                (None, None) => news.push((e.invoked_at + 1 + i as u64 % 7, i, e.clone(), true)),
            }
        }
        news.sort_by_key(|(at, i, _, _)| (*at, *i));
        let mut live = LiveHistories::settling_at(4);
        let mut known: BTreeMap<usize, Event> = BTreeMap::new();
        let mut k = 0;
        while k < news.len() {
            let now = news[k].0;
            while k < news.len() && news[k].0 == now {
                let (_, i, e, done) = news[k].clone();
                known.insert(i, e.clone());
                live.record(i, e, done);
                k += 1;
            }
            let whole: Vec<&Event> = known.values().collect();
            let expected = check(&whole, BUDGET);
            let got = live.check("x", now, BUDGET);
            if live.settled("x") > 0 {
                settled_checks += 1;
            }
            match (&expected, &got) {
                (Ok(Verdict::Unknown { .. }), _) => {}
                _ => assert_eq!(
                    got,
                    expected,
                    "seed {seed}, at t={now} ({} settled):\n{}",
                    live.settled("x"),
                    show(&whole.iter().map(|e| (*e).clone()).collect::<Vec<_>>())
                ),
            }
            match got {
                Ok(Verdict::Linearizable) => linearizable += 1,
                Ok(Verdict::NotLinearizable { .. }) => not += 1,
                _ => {}
            }
        }
    }
    eprintln!("{linearizable} linearizable, {not} not, {settled_checks} past a cut");
    // Both verdicts common, and most checks ran past a cut: otherwise this proves little.
    assert!(
        linearizable > 5_000 && not > 1_000,
        "{linearizable} / {not}"
    );
    assert!(
        settled_checks > linearizable / 2,
        "{settled_checks} of {linearizable}"
    );
}
