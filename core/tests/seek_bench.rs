//! Seek times on the timeline: a 10-minute simulated 5-node Raft run (with faults), then seeks
//! to 300 scattered times and 300 steps back, natively and in WebAssembly (under Node.js).
//!
//! A measurement, not a timed test: ignored by default, asserts nothing about speed.
//! Native: `cargo test --release -p netsplit-core --test seek_bench -- --include-ignored --nocapture`
//! Wasm: `cargo xtask bench` (or the same with `--target wasm32-unknown-unknown` and
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner`).

use netsplit_core::kernel::control::Control;
use netsplit_core::run::scenario::TimedAction;
use netsplit_core::run::timeline::Timeline;
use netsplit_core::{build, NodeId, Scenario, Time};

const RUN_MS: u64 = 600_000;
const SEEKS: usize = 300;

/// Natively, a counting allocator: live heap bytes, to show what the checkpoints cost.
#[cfg(not(target_arch = "wasm32"))]
#[path = "support/counting_heap.rs"]
mod counting_heap;

#[cfg(not(target_arch = "wasm32"))]
mod heap {
    /// Live heap bytes.
    pub fn live() -> Option<usize> {
        Some(super::counting_heap::live())
    }
}

#[cfg(target_arch = "wasm32")]
mod heap {
    /// Not counted in wasm.
    pub fn live() -> Option<usize> {
        None
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    // performance.now() (sub-millisecond) where there is one, else Date.now().
    use wasm_bindgen::JsCast;
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"performance".into())
        .ok()
        .and_then(|p| {
            let now = js_sys::Reflect::get(&p, &"now".into()).ok()?;
            now.dyn_into::<js_sys::Function>().ok()?.call0(&p).ok()
        })
        .and_then(|v| v.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

/// A 10-minute scenario: a crash and restart, a partition and heal, every 30 s.
fn scenario() -> Scenario {
    let mut s = Scenario::new("raft", 7);
    for k in 0..(RUN_MS / 30_000) {
        let t = k * 30_000;
        let node = NodeId::from_index((k % 5) as usize);
        let mut at = |ms: u64, control| {
            s.actions.push(TimedAction {
                at: Time(t + ms),
                control,
            })
        };
        at(5_000, Control::Crash { node });
        at(12_000, Control::Restart { node });
        at(
            15_000,
            Control::Partition {
                groups: vec![vec![NodeId(0), NodeId(1)]],
            },
        );
        at(22_000, Control::HealAll);
    }
    s
}

struct Stats {
    mean: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn stats(mut xs: Vec<f64>) -> Stats {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    Stats {
        mean: xs.iter().sum::<f64>() / xs.len() as f64,
        p50: at(0.5),
        p99: at(0.99),
        max: at(1.0),
    }
}

fn report(name: &str, s: &Stats) -> String {
    format!(
        "{name}: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        s.mean, s.p50, s.p99, s.max
    )
}

/// Runs the workload and returns the report lines.
fn measure() -> Vec<String> {
    let mut out = Vec::new();
    // The same run without a timeline, for the memory comparison.
    let heap0 = heap::live();
    let mut plain = build(&scenario()).expect("valid scenario");
    plain.run_until(Time(RUN_MS), u64::MAX);
    let plain_bytes = heap::live().zip(heap0).map(|(a, b)| a.saturating_sub(b));
    drop(plain);
    let heap0 = heap::live();
    let start = now_ms();
    let mut tl = Timeline::new(build(&scenario()).expect("valid scenario"));
    tl.run_until(Time(RUN_MS), u64::MAX);
    let tl_bytes = heap::live().zip(heap0).map(|(a, b)| a.saturating_sub(b));
    let p = tl.playground();
    out.push(format!(
        "run 10 min: {:.1} ms wall, {} steps, {} events, {} trace lines, {} checkpoints",
        now_ms() - start,
        p.steps(),
        p.events(),
        p.trace_len(),
        tl.checkpoints()
    ));
    if let (Some(plain), Some(with)) = (plain_bytes, tl_bytes) {
        let per = (with.saturating_sub(plain)) / tl.checkpoints().max(1);
        out.push(format!(
            "heap: {:.1} MB without a timeline, {:.1} MB with {} checkpoints ({:.1} KB each)",
            plain as f64 / 1e6,
            with as f64 / 1e6,
            tl.checkpoints(),
            per as f64 / 1e3
        ));
    }
    // Deterministic scattered targets (an LCG), each a seek plus the snapshot the page draws.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut seeks = Vec::with_capacity(SEEKS);
    for _ in 0..SEEKS {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let t = Time((x >> 33) % (RUN_MS + 1));
        let t0 = now_ms();
        tl.seek(t);
        std::hint::black_box(tl.playground().snapshot());
        seeks.push(now_ms() - t0);
        assert_eq!(tl.now(), t);
    }
    out.push(report("seek + snapshot", &stats(seeks)));
    let mut backs = Vec::with_capacity(SEEKS);
    for _ in 0..SEEKS {
        let t0 = now_ms();
        tl.step_back();
        std::hint::black_box(tl.playground().snapshot());
        backs.push(now_ms() - t0);
    }
    out.push(report("step back + snapshot", &stats(backs)));
    out
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore]
fn native_seek_times() {
    for line in measure() {
        println!("native {line}");
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    #[ignore]
    fn wasm_seek_times() {
        for line in super::measure() {
            console_log!("wasm {line}");
        }
    }
}
