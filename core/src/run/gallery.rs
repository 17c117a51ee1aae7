//! The built-in gallery: named scenarios, compiled into the binary.
//!
//! Each protocol lists its own ([`crate::run::registry::Protocol::gallery`]); the files live
//! in `core/tests/scenarios/`, where `tests/golden.rs` runs each one and checks its trace and
//! its promised outcome; the page's gallery and `netsplit run --scenario gallery:NAME` load the
//! very same documents.

use crate::kernel::config::ConfigError;
use crate::run::registry::Registry;
use crate::run::scenario::Scenario;
use serde::Serialize;

/// One named scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct GalleryEntry {
    /// Id used in `gallery:ID` and the page's menu.
    pub id: &'static str,
    /// Title, equal to the document's `name`.
    pub title: &'static str,
    /// The scenario document (JSON).
    #[serde(skip)]
    pub json: &'static str,
}

/// Load a named scenario of a built-in protocol.
pub fn load(id: &str) -> Result<Scenario, ConfigError> {
    Registry::builtin().load_gallery(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gallery_scenario_loads_and_has_a_name() {
        let registry = Registry::builtin();
        for g in registry.gallery() {
            let s = load(g.id).unwrap();
            assert_eq!(s.name, g.title, "{}", g.id);
            assert!(!s.name.is_empty() && !s.description.is_empty(), "{}", g.id);
            assert!(s.until.is_some(), "{}", g.id);
            let owner = registry.get(&s.protocol).unwrap();
            assert!(
                owner.gallery().contains(g),
                "{} is listed by its own protocol",
                g.id
            );
        }
        assert!(load("nope")
            .unwrap_err()
            .message
            .contains("raft-leader-crash"));
    }
}
