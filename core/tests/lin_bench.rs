//! Linearizability check time for client histories of 100, 1,000 and 10,000 operations.
//!
//! A measurement, not a timed test: ignored by default, it asserts nothing about speed (only
//! that every generated history is found linearizable, which it is by construction).
//! `cargo xtask bench --only linearizability` runs it; each size prints one line
//! `BENCH {"ops":…,"ms_median":…,…}`.
//!
//! Histories: `CLIENTS` clients, each issuing its operations one after another (a client that
//! times out moves on), over `KEYS` keys; put/get/cas/delete at random, some operations
//! never answered. Results come from running a random linearization through the sequential
//! specification, so every history is linearizable and the checker has to find an order.
//! A fixed seed per size: the same histories on every run and every machine.
//!
//! Native: `cargo test --release -p netsplit-core --test lin_bench -- --include-ignored --nocapture`
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::time::Instant;

// The checker's only call site in this file: its module is about to move (to
// `netsplit_core::checkers::linearizability`); change these two lines when it does.
use netsplit_core::checkers::linearizability as lin;

/// `lin::check` on a history: `Ok` if linearizable, else the verdict (or error) in words.
fn check(history: &[lin::Event]) -> Result<(), String> {
    match lin::check(history, BUDGET) {
        Ok(lin::Verdict::Linearizable) => Ok(()),
        other => Err(format!("{other:?}")),
    }
}

/// History sizes measured.
const SIZES: [u64; 3] = [100, 1_000, 10_000];
const CLIENTS: u64 = 5;
const KEYS: [&str; 4] = ["x", "y", "z", "w"];
const VALUES: [&str; 5] = ["a", "b", "c", "d", "e"];
/// Pause between a client's operations and duration of one, at most (virtual ms).
const GAP_MS: u64 = 10;
const DURATION_MS: u64 = 60;
/// Share of operations whose client never hears back.
const LOST: f64 = 0.03;
/// Step budget per key: far more than these histories need.
const BUDGET: u64 = 50_000_000;
/// Timed repetitions per size (the median counts).
const ROUNDS: usize = 5;

/// SplitMix64: a small, fixed generator (the crate's own may move; this one never changes).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len() as u64 - 1) as usize]
    }
}

fn random_op(rng: &mut Rng) -> lin::Op {
    let key = rng.pick(&KEYS).to_string();
    match rng.range(0, 99) {
        0..=34 => lin::Op::Put {
            key,
            value: rng.pick(&VALUES).to_string(),
        },
        35..=69 => lin::Op::Get { key },
        70..=89 => lin::Op::Cas {
            key,
            expected: (!rng.chance(0.3)).then(|| rng.pick(&VALUES).to_string()),
            new: rng.pick(&VALUES).to_string(),
        },
        _ => lin::Op::Delete { key },
    }
}

/// A linearizable history of `ops` operations.
fn history(ops: u64, seed: u64) -> Vec<lin::Event> {
    let mut rng = Rng(seed);
    let mut free_at = [0u64; CLIENTS as usize];
    // (event, linearization point and tie-break; None = an unanswered op that never happened)
    let mut planned: Vec<(lin::Event, Option<(u64, u64)>)> = Vec::new();
    for _ in 0..ops {
        let client = rng.range(0, CLIENTS - 1);
        let invoked = free_at[client as usize] + rng.range(0, GAP_MS);
        let returned = invoked + rng.range(0, DURATION_MS);
        free_at[client as usize] = returned;
        let op = random_op(&mut rng);
        let tie = rng.next();
        if rng.chance(LOST) {
            let point =
                (!rng.chance(0.3)).then(|| (invoked + rng.range(0, 3 * DURATION_MS + 3), tie));
            planned.push((lin::Event::indeterminate(client as u32, op, invoked), point));
        } else {
            let point = rng.range(invoked, returned);
            let event =
                lin::Event::completed(client as u32, op, invoked, returned, lin::Outcome::Ok);
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
        let outcome = lin::apply(&mut store, &event.op);
        if let Some((_, recorded)) = &mut event.returned {
            *recorded = outcome;
        }
    }
    planned.into_iter().map(|(event, _)| event).collect()
}

#[test]
#[ignore]
fn linearizability_check_time() {
    for ops in SIZES {
        let h = history(ops, 0x5EED + ops);
        check(&h).expect("linearizable by construction"); // warm-up
        let mut ms = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t0 = Instant::now();
            let verdict = check(std::hint::black_box(&h));
            ms.push(t0.elapsed().as_secs_f64() * 1000.0);
            verdict.expect("linearizable by construction");
        }
        ms.sort_by(f64::total_cmp);
        let unanswered = h.iter().filter(|e| e.returned.is_none()).count();
        println!(
            "BENCH {}",
            serde_json::json!({
                "ops": ops,
                "clients": CLIENTS,
                "keys": KEYS.len(),
                "unanswered": unanswered,
                "rounds": ROUNDS,
                "ms_median": ms[ROUNDS / 2],
                "ms_min": ms[0],
                "ms_max": ms[ROUNDS - 1],
            })
        );
    }
}
