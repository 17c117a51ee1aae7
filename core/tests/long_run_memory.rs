//! A page left running for hours stays bounded: a timeline with the page's trace window, run
//! for hours of virtual time, holds about as much memory after the third hour as after the
//! first (a counting allocator measures the live heap). Without the window it grows with every
//! event (checked too, so the measurement has teeth).

use netsplit_core::run::timeline::Timeline;
use netsplit_core::{build, Scenario, Time};

#[path = "support/counting_heap.rs"]
mod heap;

const HOUR: u64 = 3_600_000;
/// The page's window (`netsplit_web::model::engine::TRACE_WINDOW`).
const WINDOW: usize = 200_000;

/// Live heap after each of `hours` virtual hours of the page's default cluster.
fn heap_by_hour(window: Option<usize>, hours: u64) -> Vec<usize> {
    let s = Scenario::new(netsplit_core::protocols::raft::ID, 1);
    let mut tl = Timeline::new(build(&s).expect("the default scenario builds"));
    tl.set_trace_window(window);
    (1..=hours)
        .map(|h| {
            tl.run_until(Time(h * HOUR), u64::MAX);
            let live = heap::live();
            eprintln!(
                "window {window:?}: {h} h, {} events, {} checkpoints, trace {}..{}, heap {:.1} MB",
                tl.playground().events(),
                tl.checkpoints(),
                tl.playground().trace_first(),
                tl.playground().trace_len(),
                live as f64 / 1e6
            );
            live
        })
        .collect()
}

#[test]
fn hours_of_virtual_time_hold_a_bounded_heap() {
    let windowed = heap_by_hour(Some(WINDOW), 3);
    // Past the first hour the window is full and the checkpoints are thinned: what is held
    // moves with the number of checkpoints (at most 1,024) but does not grow with the run.
    // (Without the window, the second hour alone adds more than half again.)
    let (first, last) = (windowed[0], windowed[2]);
    assert!(
        last <= first + first / 4,
        "the heap grew from {first} bytes after 1 h to {last} after 3 h"
    );
}

#[test]
fn without_a_window_the_heap_grows_with_the_run() {
    let whole = heap_by_hour(None, 2);
    assert!(
        whole[1] > whole[0] + whole[0] / 2,
        "the whole trace is kept: {} then {} bytes",
        whole[0],
        whole[1]
    );
}
