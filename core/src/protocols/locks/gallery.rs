//! The lock service's gallery: named scenarios, compiled in. The documents live in
//! `core/tests/scenarios/`, where the golden tests run each one and check its trace.

use crate::run::gallery::GalleryEntry;
use crate::run::tour::challenge::Chapter;

/// The lock service's named scenarios.
pub const GALLERY: &[GalleryEntry] = &[
    GalleryEntry {
        id: "locks-gc-pause-fenced",
        title: "Lock service: a GC pause outlives the lease — the resource rejects the stale token",
        json: include_str!("../../../tests/scenarios/locks-gc-pause-fenced.json"),
    },
    GalleryEntry {
        id: "locks-gc-pause-unfenced",
        title: "Lock service: the same GC pause without fencing corrupts the data",
        json: include_str!("../../../tests/scenarios/locks-gc-pause-unfenced.json"),
    },
    GalleryEntry {
        id: "locks-deadlock",
        title: "Lock service: three workers deadlock — detection aborts the youngest wait",
        json: include_str!("../../../tests/scenarios/locks-deadlock.json"),
    },
    GalleryEntry {
        id: "locks-leader-crash-handoff",
        title: "Lock service: the leader crashes during a lock handoff — the new leader finishes it",
        json: include_str!("../../../tests/scenarios/locks-leader-crash-handoff.json"),
    },
    GalleryEntry {
        id: "locks-intention-locks",
        title: "Lock service: intention locks on a tree — a row writer and a table reader share the database, a whole-database reader waits",
        json: include_str!("../../../tests/scenarios/locks-intention-locks.json"),
    },
];

/// The lock service's tours, first principles to the hardest case.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        id: "locks-fencing",
        title: "Leases and fencing tokens",
        summary:
            "A lease expires under a paused holder; a fencing token at the resource keeps the \
                  zombie's write out, and without it the data is corrupted (Kleppmann 2016).",
        scenarios: &["locks-gc-pause-fenced", "locks-gc-pause-unfenced"],
    },
    Chapter {
        id: "locks-availability",
        title: "A leader crash during a handoff",
        summary: "The lock table is a Raft state machine: a new leader carries every grant on \
                  (Raft §5.4).",
        scenarios: &["locks-leader-crash-handoff"],
    },
    Chapter {
        id: "locks-granularity",
        title: "Deadlocks and intention locks",
        summary: "A wait-for cycle broken by aborting the youngest wait; intention modes on a \
                  tree of resources (Gray et al. 1976).",
        scenarios: &["locks-deadlock", "locks-intention-locks"],
    },
];
