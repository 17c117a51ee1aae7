//! PBFT's gallery: named scenarios, compiled in. The documents live in `core/tests/scenarios/`,
//! where the golden tests run each one and check its trace, and `tests/pbft_gallery.rs` its
//! promised outcome.

use crate::run::gallery::GalleryEntry;
use crate::run::tour::challenge::Chapter;

/// PBFT's named scenarios.
pub const GALLERY: &[GalleryEntry] = &[
    GalleryEntry {
        id: "pbft-normal-case",
        title: "PBFT: the normal case — three phases, replies, a checkpoint",
        json: include_str!("../../../tests/scenarios/pbft-normal-case.json"),
    },
    GalleryEntry {
        id: "pbft-primary-crash",
        title: "PBFT: the primary crashes and a view change replaces it",
        json: include_str!("../../../tests/scenarios/pbft-primary-crash.json"),
    },
    GalleryEntry {
        id: "pbft-silent-backup",
        title: "PBFT: a silent backup cannot stop progress",
        json: include_str!("../../../tests/scenarios/pbft-silent-backup.json"),
    },
    GalleryEntry {
        id: "pbft-equivocating-primary",
        title: "PBFT: an equivocating primary is caught and masked",
        json: include_str!("../../../tests/scenarios/pbft-equivocating-primary.json"),
    },
    GalleryEntry {
        id: "pbft-f-plus-one",
        title: "PBFT: f + 1 faulty replicas break agreement",
        json: include_str!("../../../tests/scenarios/pbft-f-plus-one.json"),
    },
];

/// PBFT's tour.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        id: "pbft-normal",
        title: "The normal case",
        summary:
            "Pre-prepare, prepare, commit, replies and checkpoints (Castro & Liskov §4.2, §4.3).",
        scenarios: &["pbft-normal-case"],
    },
    Chapter {
        id: "pbft-masking",
        title: "Masking faulty replicas",
        summary:
            "A silent backup and an equivocating primary cannot stop or fool the correct replicas.",
        scenarios: &["pbft-silent-backup", "pbft-equivocating-primary"],
    },
    Chapter {
        id: "pbft-view-change",
        title: "View change",
        summary: "A crashed primary is replaced (§4.4).",
        scenarios: &["pbft-primary-crash"],
    },
    Chapter {
        id: "pbft-beyond-f",
        title: "Beyond f faults",
        summary: "With f + 1 faulty replicas agreement breaks (§4.5).",
        scenarios: &["pbft-f-plus-one"],
    },
];
