//! PBFT's gallery: named scenarios, compiled in. The documents live in `core/tests/scenarios/`,
//! where the golden tests run each one and check its trace, and `tests/pbft_gallery.rs` its
//! promised outcome.

use crate::run::gallery::GalleryEntry;

/// PBFT's named scenarios.
pub const GALLERY: &[GalleryEntry] = &[];
