//! The store's gallery: named scenarios, compiled in. The documents live in `core/tests/scenarios/`, where
//! the golden tests run each one and check its trace and promised outcome.

use crate::run::gallery::GalleryEntry;
use crate::run::tour::challenge::{ChallengeEntry, Chapter};

/// The store's named scenarios.
pub const GALLERY: &[GalleryEntry] = &[
    GalleryEntry {
        id: "kv-siblings-partition",
        title: "Dynamo: concurrent writers make siblings, a write with context resolves them",
        json: include_str!("../../../tests/scenarios/kv-siblings-partition.json"),
    },
    GalleryEntry {
        id: "kv-lww-skew",
        title: "Dynamo: last-writer-wins loses a write to clock skew",
        json: include_str!("../../../tests/scenarios/kv-lww-skew.json"),
    },
    GalleryEntry {
        id: "kv-converge-after-heal",
        title: "Dynamo: replicas converge after the heal",
        json: include_str!("../../../tests/scenarios/kv-converge-after-heal.json"),
    },
    GalleryEntry {
        id: "kv-strong-fails-in-minority",
        title: "Dynamo: a STRONG write fails in a minority partition, an EVENTUAL one succeeds",
        json: include_str!("../../../tests/scenarios/kv-strong-fails-in-minority.json"),
    },
    GalleryEntry {
        id: "kv-hinted-handoff",
        title: "Dynamo: a sloppy quorum's hint is handed off after the heal",
        json: include_str!("../../../tests/scenarios/kv-hinted-handoff.json"),
    },
    GalleryEntry {
        id: "kv-duplicate-after-restart",
        title: "Dynamo: a duplicated write arrives after its coordinator restarted",
        json: include_str!("../../../tests/scenarios/kv-duplicate-after-restart.json"),
    },
];

/// The store's tour.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        id: "kv-quorums",
        title: "Quorums and CAP",
        summary: "R, W and N: a STRONG write fails in a minority while an EVENTUAL one succeeds, side by side (Dynamo §4.5).",
        scenarios: &["kv-strong-fails-in-minority"],
    },
    Chapter {
        id: "kv-siblings",
        title: "Siblings and vector clocks",
        summary: "Concurrent writes are kept as siblings and resolved by a write with their context (§4.4).",
        scenarios: &["kv-siblings-partition"],
    },
    Chapter {
        id: "kv-lww",
        title: "Last-writer-wins loses a write",
        summary: "Clock skew makes LWW drop an acknowledged write.",
        scenarios: &["kv-lww-skew"],
    },
    Chapter {
        id: "kv-anti-entropy",
        title: "Anti-entropy and hinted handoff",
        summary: "Replicas converge after a heal; a sloppy quorum's hint is handed off (§4.6, §4.7).",
        scenarios: &["kv-converge-after-heal", "kv-hinted-handoff"],
    },
    Chapter {
        id: "kv-exactly-once",
        title: "Exactly once across restarts",
        summary: "A duplicated write arriving after a restart is not run twice.",
        scenarios: &["kv-duplicate-after-restart"],
    },
];

/// The store's challenges.
pub const CHALLENGES: &[ChallengeEntry] = &[
    ChallengeEntry {
        id: "kv-strong-vs-eventual",
        title: "STRONG fails, EVENTUAL succeeds",
        json: include_str!("../../../tests/challenges/kv-strong-vs-eventual.json"),
    },
    ChallengeEntry {
        id: "kv-lww-lost-write",
        title: "Lose an acknowledged write under LWW",
        json: include_str!("../../../tests/challenges/kv-lww-lost-write.json"),
    },
];
