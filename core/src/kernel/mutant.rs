//! Deliberately broken protocol variants ("mutants"): how a protocol lists them, and the one
//! place that decides whether they exist in this build.
//!
//! A checker only earns trust by catching real bugs, so every protocol re-introduces known
//! ones on purpose — behind the `mutants` cargo feature, never in the page or a default CLI
//! build. A protocol names its mutants with an enum implementing [`Mutants`]; its config holds
//! an `Option` of it; its code asks [`active`] whether one is switched on.

use super::config::ConfigError;
use serde::Serialize;

/// A deliberately broken variant, described for lists (`--list-mutants`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MutantInfo {
    /// Name used on the command line and in scenario configs (`"forget-vote"`).
    pub name: &'static str,
    /// The bug it re-introduces, in one sentence.
    pub bug: &'static str,
}

/// A protocol's mutant enum: every variant with its name and the bug it re-introduces.
pub trait Mutants: Copy + PartialEq + 'static {
    /// Every mutant, in a fixed order: (variant, name, bug).
    const ALL: &'static [(Self, &'static str, &'static str)];
}

/// Whether this build has mutants at all (the `mutants` cargo feature).
pub const BUILT: bool = cfg!(feature = "mutants");

/// The mutant called `name`, if `T` has one.
pub fn by_name<T: Mutants>(name: &str) -> Option<T> {
    T::ALL
        .iter()
        .find(|(_, n, _)| *n == name)
        .map(|(m, _, _)| *m)
}

/// `T`'s mutants, described.
pub fn infos<T: Mutants>() -> Vec<MutantInfo> {
    T::ALL
        .iter()
        .map(|(_, name, bug)| MutantInfo { name, bug })
        .collect()
}

/// The configured mutant, if this build has mutants; `None` otherwise (a release build never
/// runs broken code, whatever a config says).
pub fn active<T: Mutants>(configured: Option<T>) -> Option<T> {
    configured.filter(|_| BUILT)
}

/// Refuse a configured mutant (at `path.mutant`) in a build without mutants.
pub fn check<T>(configured: &Option<T>, path: &str) -> Result<(), ConfigError> {
    if configured.is_some() && !BUILT {
        return Err(ConfigError::new(
            format!("{path}.mutant"),
            "mutants are only available in builds with the `mutants` feature",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Demo {
        A,
        B,
    }

    impl Mutants for Demo {
        const ALL: &'static [(Demo, &'static str, &'static str)] =
            &[(Demo::A, "a", "bug a"), (Demo::B, "b", "bug b")];
    }

    #[test]
    fn names_round_trip_and_gating_follows_the_feature() {
        for (m, name, _) in Demo::ALL {
            assert_eq!(by_name::<Demo>(name), Some(*m));
        }
        assert_eq!(by_name::<Demo>("c"), None);
        assert_eq!(
            infos::<Demo>()[1],
            MutantInfo {
                name: "b",
                bug: "bug b"
            }
        );
        assert_eq!(active(Some(Demo::A)), BUILT.then_some(Demo::A));
        assert_eq!(check(&Some(Demo::A), "config").is_ok(), BUILT);
        assert!(check::<Demo>(&None, "config").is_ok());
    }
}
