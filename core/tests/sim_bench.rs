//! Simulator throughput per protocol: events per second and the trace hash of one fixed
//! workload, natively, in WebAssembly under Node.js and in WebAssembly in headless Chromium.
//!
//! A measurement, not a timed test: ignored by default, it asserts nothing about speed.
//! `cargo xtask bench --only simulator` runs it three ways and compares the trace hashes (they
//! must be identical everywhere). Each run prints one line per protocol:
//! `BENCH {"protocol":"raft","events":…,"secs":…,"events_per_s":…,"trace_hash":"…"}`.
//!
//! Only the stable entry points are used (`Scenario`, `build`, the `Playground` trait), so the
//! crate's internal modules can move without touching this file. The protocols come from the
//! `NETSPLIT_BENCH_PROTOCOLS` environment variable at compile time (comma-separated; xtask reads
//! the list from the CLI, so it is never written down twice); without it, only `raft` runs.
//!
//! Native: `cargo test --release -p netsplit-core --test sim_bench -- --include-ignored --nocapture`

use netsplit_core::{build, Scenario, Time};
use serde_json::json;

/// Virtual time each run covers: one minute, and ten (the checkers' work grows with the clients'
/// history, so the longer run is slower per event).
const RUNS_MS: [u64; 2] = [60_000, 600_000];
/// Client commands: one every this many virtual milliseconds, clients taking turns.
const SUBMIT_EVERY_MS: u64 = 200;
/// Cluster size and simulated clients (the page's default cluster: 5 servers, 2 clients).
const NODES: u64 = 5;
const CLIENTS: u64 = 2;
/// Warm-up before measuring, at least (wasm engines compile hot code again, optimized, a
/// little while after it first runs; the first rounds would measure the baseline compiler).
const WARM_UP_MS: f64 = 1_000.0;
/// Measuring: at least this many rounds, and at least this long.
const MIN_ROUNDS: usize = 5;
const MIN_MEASURE_MS: f64 = 1_000.0;

/// The protocols to measure.
fn protocols() -> Vec<String> {
    option_env!("NETSPLIT_BENCH_PROTOCOLS")
        .unwrap_or("raft")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `n`-th client command for `protocol`, and the server it is sent to (`None`: this
/// protocol has no client workload here; it runs on its own timers only).
fn command(protocol: &str, n: u64) -> Option<(String, String)> {
    let key = format!("k{}", n % 8);
    let server = format!("n{}", 1 + n % NODES);
    match protocol {
        "raft" | "kv" => Some((
            server,
            if n.is_multiple_of(2) {
                format!("put {key} {n}")
            } else {
                format!("get {key}")
            },
        )),
        // The coordinator is n1; a transaction writes on two participants.
        "2pc" | "3pc" => Some((
            "n1".to_string(),
            format!(
                "txn n{}:{key}={} n{}:{key}={}",
                2 + n % (NODES - 1),
                n % 10,
                2 + (n + 1) % (NODES - 1),
                (n + 3) % 10
            ),
        )),
        _ => None,
    }
}

/// The workload: the protocol's default configuration, `NODES` servers, `CLIENTS` clients
/// taking turns to send a command every `SUBMIT_EVERY_MS`, for `run_ms` of virtual time.
fn scenario(protocol: &str, run_ms: u64) -> Scenario {
    let mut actions = Vec::new();
    let mut n = 0;
    let mut at = 1_000;
    while at < run_ms {
        if let Some((node, op)) = command(protocol, n) {
            let client = format!("c{}", 1 + n % CLIENTS);
            actions.push(json!({
                "at": at,
                "control": { "type": "submit", "client": client, "node": node, "op": op },
            }));
        }
        n += 1;
        at += SUBMIT_EVERY_MS;
    }
    let mut doc = serde_json::to_value(Scenario::new(protocol, 7)).expect("a scenario serialises");
    doc["cluster"]["nodes"] = json!(NODES);
    doc["cluster"]["clients"] = json!(CLIENTS);
    doc["actions"] = json!(actions);
    doc["until"] = json!(run_ms);
    // Not `Scenario::from_json`: the document is bigger than a share link may be; `build`
    // validates it all the same.
    serde_json::from_value(doc).expect("a valid scenario document")
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
    // performance.now() (sub-millisecond) in Node.js and in browsers, else Date.now().
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

/// One run: (events processed, actions refused, trace hash).
fn run(scenario: &Scenario, run_ms: u64) -> (u64, usize, u64) {
    let mut p = build(scenario).expect("the workload builds");
    p.run_until(Time(run_ms), u64::MAX);
    (p.events(), p.refused().len(), p.trace_hash())
}

/// Every protocol and run length to measure, in order.
fn plan() -> Vec<(String, u64)> {
    protocols()
        .into_iter()
        .flat_map(|p| RUNS_MS.map(|ms| (p.clone(), ms)))
        .collect()
}

/// One protocol, one run length, measured one run at a time (so that in a browser the event
/// loop can get a turn between runs: a renderer blocked for half a minute loses its driver).
struct Measure {
    protocol: String,
    run_ms: u64,
    scenario: Scenario,
    /// The first run's events, refused actions and trace hash: every run must repeat them.
    reference: (u64, usize, u64),
    warm_up_from: f64,
    measuring_from: Option<f64>,
    secs: Vec<f64>,
}

impl Measure {
    /// Builds the workload and does the reference run.
    fn new(protocol: &str, run_ms: u64) -> Measure {
        let scenario = scenario(protocol, run_ms);
        let warm_up_from = now_ms();
        let reference = run(&scenario, run_ms);
        Measure {
            protocol: protocol.to_string(),
            run_ms,
            scenario,
            reference,
            warm_up_from,
            measuring_from: None,
            secs: Vec::new(),
        }
    }

    /// One more run (warm-up, then measured); the `BENCH` line once it is done.
    fn step(&mut self) -> Option<String> {
        let Some(from) = self.measuring_from else {
            if now_ms() - self.warm_up_from < WARM_UP_MS {
                run(&self.scenario, self.run_ms);
            } else {
                self.measuring_from = Some(now_ms());
            }
            return None;
        };
        if self.secs.len() >= MIN_ROUNDS && now_ms() - from >= MIN_MEASURE_MS {
            return Some(self.line());
        }
        let t0 = now_ms();
        let (events, refused, hash) = run(&self.scenario, self.run_ms);
        self.secs.push((now_ms() - t0) / 1000.0);
        assert_eq!(
            (events, refused, hash),
            self.reference,
            "{}: the same run twice differs",
            self.protocol
        );
        None
    }

    fn line(&self) -> String {
        let mut secs = self.secs.clone();
        secs.sort_by(f64::total_cmp);
        let median = secs[secs.len() / 2];
        let (events, refused, hash) = self.reference;
        format!(
            "BENCH {}",
            json!({
                "protocol": self.protocol,
                "nodes": NODES,
                "clients": CLIENTS,
                "virtual_ms": self.run_ms,
                "commands": self.scenario.actions.len(),
                "refused": refused,
                "events": events,
                "rounds": secs.len(),
                "secs_median": median,
                "secs_min": secs[0],
                "events_per_s": events as f64 / median,
                "trace_hash": format!("{hash:016x}"),
            })
        )
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore]
fn native_simulator_throughput() {
    for (protocol, run_ms) in plan() {
        let mut m = Measure::new(&protocol, run_ms);
        let line = loop {
            if let Some(line) = m.step() {
                break line;
            }
        };
        println!("{line}");
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::cell::{Cell, RefCell};
    use std::future::Future;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::{Context, Poll, Waker};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::*;

    /// Resolves after a `setTimeout(0)`: one turn of the event loop (Node.js and browsers).
    #[derive(Default)]
    struct NextTurn {
        done: Rc<Cell<bool>>,
        waker: Rc<RefCell<Option<Waker>>>,
        timer: Option<Closure<dyn FnMut()>>,
    }

    impl Future for NextTurn {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.done.get() {
                return Poll::Ready(());
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            if self.timer.is_none() {
                let (done, waker) = (self.done.clone(), self.waker.clone());
                let timer = Closure::<dyn FnMut()>::new(move || {
                    done.set(true);
                    if let Some(w) = waker.borrow_mut().take() {
                        w.wake();
                    }
                });
                let global = js_sys::global();
                let set_timeout: js_sys::Function =
                    js_sys::Reflect::get(&global, &"setTimeout".into())
                        .expect("setTimeout exists")
                        .dyn_into()
                        .expect("setTimeout is a function");
                set_timeout
                    .call2(&global, timer.as_ref().unchecked_ref(), &JsValue::from(0))
                    .expect("setTimeout accepts a callback");
                self.timer = Some(timer);
            }
            Poll::Pending
        }
    }

    #[wasm_bindgen_test]
    #[ignore]
    async fn wasm_simulator_throughput() {
        for (protocol, run_ms) in super::plan() {
            let mut m = super::Measure::new(&protocol, run_ms);
            let line = loop {
                NextTurn::default().await;
                if let Some(line) = m.step() {
                    break line;
                }
            };
            console_log!("{line}");
        }
    }
}
