//! The store's gallery: named scenarios, compiled in. The documents live in `core/tests/scenarios/`, where
//! the golden tests run each one and check its trace and promised outcome.

use crate::run::gallery::GalleryEntry;

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
