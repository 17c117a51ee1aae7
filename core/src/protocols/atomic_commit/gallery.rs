//! Atomic commit's gallery: named scenarios, compiled in. The documents live in `core/tests/scenarios/`, where
//! the golden tests run each one and check its trace and promised outcome.

use crate::run::gallery::GalleryEntry;

/// Two-phase commit's named scenarios.
pub const TWO_PC: &[GalleryEntry] = &[
    GalleryEntry {
        id: "2pc-happy-path",
        title: "2PC: the happy path",
        json: include_str!("../../../tests/scenarios/2pc-happy-path.json"),
    },
    GalleryEntry {
        id: "2pc-vote-no",
        title: "2PC: a participant votes no",
        json: include_str!("../../../tests/scenarios/2pc-vote-no.json"),
    },
    GalleryEntry {
        id: "2pc-coordinator-crash",
        title: "2PC: the coordinator crashes after the decision; participants block",
        json: include_str!("../../../tests/scenarios/2pc-coordinator-crash.json"),
    },
    GalleryEntry {
        id: "2pc-participant-crash",
        title: "2PC: a participant crashes while prepared",
        json: include_str!("../../../tests/scenarios/2pc-participant-crash.json"),
    },
    GalleryEntry {
        id: "2pc-presumed-abort",
        title: "2PC: presumed abort",
        json: include_str!("../../../tests/scenarios/2pc-presumed-abort.json"),
    },
    GalleryEntry {
        id: "2pc-read-only",
        title: "2PC: a read-only participant",
        json: include_str!("../../../tests/scenarios/2pc-read-only.json"),
    },
    GalleryEntry {
        id: "2pc-conflict",
        title: "2PC: two conflicting transactions",
        json: include_str!("../../../tests/scenarios/2pc-conflict.json"),
    },
    GalleryEntry {
        id: "2pc-duplicate-begin",
        title: "2PC: a duplicated Begin runs once, even after the coordinator restarts",
        json: include_str!("../../../tests/scenarios/2pc-duplicate-begin.json"),
    },
    GalleryEntry {
        id: "2pc-partition",
        title: "2PC: the same partition only blocks",
        json: include_str!("../../../tests/scenarios/2pc-partition.json"),
    },
];

/// Three-phase commit's named scenarios.
pub const THREE_PC: &[GalleryEntry] = &[GalleryEntry {
    id: "3pc-partition",
    title: "3PC: a partition breaks atomicity",
    json: include_str!("../../../tests/scenarios/3pc-partition.json"),
}];
