//! Atomic commit's gallery: named scenarios, compiled in. The documents live in `core/tests/scenarios/`, where
//! the golden tests run each one and check its trace and promised outcome.

use crate::run::gallery::GalleryEntry;
use crate::run::tour::challenge::{ChallengeEntry, Chapter};

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

/// Two-phase commit's tour.
pub const TWO_PC_CHAPTERS: &[Chapter] = &[
    Chapter {
        id: "2pc-happy-path",
        title: "The happy path",
        summary: "Prepare, vote, decide, apply; read-only participants leave early (Gray 1978).",
        scenarios: &["2pc-happy-path", "2pc-read-only"],
    },
    Chapter {
        id: "2pc-aborts",
        title: "Votes and aborts",
        summary: "One no vote aborts everything; no-wait locking aborts a conflicting transaction.",
        scenarios: &["2pc-vote-no", "2pc-conflict"],
    },
    Chapter {
        id: "2pc-blocking",
        title: "Blocking",
        summary: "A prepared participant may not decide alone: it blocks while the coordinator is down or cut off.",
        scenarios: &["2pc-coordinator-crash", "2pc-partition"],
    },
    Chapter {
        id: "2pc-recovery",
        title: "Recovery",
        summary: "Durable prepared records and client tables let crashed nodes finish exactly once.",
        scenarios: &["2pc-participant-crash", "2pc-duplicate-begin"],
    },
    Chapter {
        id: "2pc-presumed-abort",
        title: "Presumed abort",
        summary: "No record means abort: aborts are neither logged nor acknowledged (Mohan et al. 1986).",
        scenarios: &["2pc-presumed-abort"],
    },
];

/// Three-phase commit's tour.
pub const THREE_PC_CHAPTERS: &[Chapter] = &[Chapter {
    id: "3pc-partition",
    title: "3PC's partition failure",
    summary: "The same partition that only blocks 2PC breaks 3PC's atomicity (Skeen 1981).",
    scenarios: &["3pc-partition", "2pc-partition"],
}];

/// Two-phase commit's challenges.
pub const TWO_PC_CHALLENGES: &[ChallengeEntry] = &[ChallengeEntry {
    id: "2pc-block",
    title: "Block 2PC for two seconds",
    json: include_str!("../../../tests/challenges/2pc-block.json"),
}];

/// Three-phase commit's challenges.
pub const THREE_PC_CHALLENGES: &[ChallengeEntry] = &[ChallengeEntry {
    id: "3pc-atomicity",
    title: "Break 3PC's atomicity with a partition",
    json: include_str!("../../../tests/challenges/3pc-atomicity.json"),
}];
