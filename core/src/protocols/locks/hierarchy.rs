//! Lock modes and the lock tree (Gray, Lorie, Putzolu & Traiger, "Granularity of Locks in a
//! Shared Data Base", VLDB 1975 / "Granularity of Locks and Degrees of Consistency", 1976).
//!
//! Lock names are paths in a tree of resources: `db`, `db/t1`, `db/t1/r3` (database → table
//! → row). A name without `/` is a root with no ancestors, so flat names behave as plain
//! shared/exclusive locks. A tree cannot have a cycle: a node's parent is its path minus the
//! last segment.
//!
//! Modes: IS (intention shared), IX (intention exclusive), S (shared), SIX (shared and
//! intention exclusive), X (exclusive), with the paper's compatibility matrix
//! ([`COMPATIBLE`]).
//!
//! **The intention rule** (the paper's protocol): before requesting S or IS on a node, the
//! requester must hold IS, IX or SIX on every ancestor; before requesting IX, SIX or X, it
//! must hold IX or SIX on every ancestor. Locks are acquired root to leaf and released leaf
//! to root (a job lists them root first; the worker releases in reverse). The table refuses
//! an acquire that breaks the rule, and releasing a node releases what the client holds or
//! waits for beneath it, so no holder is ever left without its intentions.

use std::fmt;

/// Longest lock name (path), in bytes.
pub const MAX_NAME: usize = 48;

/// How a lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Shared (readers): compatible with other shared holders.
    Shared,
    /// Exclusive (a writer): compatible with nobody.
    Exclusive,
    /// Intention shared: the holder will take S (or IS) on descendants.
    IntentionShared,
    /// Intention exclusive: the holder will take X (or anything) on descendants.
    IntentionExclusive,
    /// Shared and intention exclusive: reads the whole subtree, writes some descendants.
    SharedIntentionExclusive,
}

/// The modes in the order of [`COMPATIBLE`]'s rows and columns.
pub const MODES: [Mode; 5] = [
    Mode::IntentionShared,
    Mode::IntentionExclusive,
    Mode::Shared,
    Mode::SharedIntentionExclusive,
    Mode::Exclusive,
];

/// The compatibility matrix of Gray et al. (Table 1): rows and columns IS, IX, S, SIX, X.
pub const COMPATIBLE: [[bool; 5]; 5] = [
    // IS    IX     S      SIX    X
    [true, true, true, true, false],     // IS
    [true, true, false, false, false],   // IX
    [true, false, true, false, false],   // S
    [true, false, false, false, false],  // SIX
    [false, false, false, false, false], // X
];

impl Mode {
    fn row(self) -> usize {
        match self {
            Mode::IntentionShared => 0,
            Mode::IntentionExclusive => 1,
            Mode::Shared => 2,
            Mode::SharedIntentionExclusive => 3,
            Mode::Exclusive => 4,
        }
    }

    /// Whether a holder in `self` mode and one in `other` mode may hold the lock together.
    pub fn compatible(self, other: Mode) -> bool {
        COMPATIBLE[self.row()][other.row()]
    }

    /// The modes the requester must hold on every ancestor before asking for `self`.
    pub fn ancestor_modes(self) -> &'static [Mode] {
        match self {
            Mode::IntentionShared | Mode::Shared => &[
                Mode::IntentionShared,
                Mode::IntentionExclusive,
                Mode::SharedIntentionExclusive,
            ],
            _ => &[Mode::IntentionExclusive, Mode::SharedIntentionExclusive],
        }
    }

    /// Parse `s`/`shared`, `x`/`exclusive`, `is`, `ix`, `six`.
    pub fn parse(text: &str) -> Result<Mode, String> {
        match text.to_ascii_lowercase().as_str() {
            "s" | "shared" => Ok(Mode::Shared),
            "x" | "exclusive" => Ok(Mode::Exclusive),
            "is" => Ok(Mode::IntentionShared),
            "ix" => Ok(Mode::IntentionExclusive),
            "six" => Ok(Mode::SharedIntentionExclusive),
            other => Err(format!(
                "unknown mode {other:?}; modes are s (shared), x (exclusive), is, ix, six \
                 (intention modes for lock trees)"
            )),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Shared => "s",
            Mode::Exclusive => "x",
            Mode::IntentionShared => "is",
            Mode::IntentionExclusive => "ix",
            Mode::SharedIntentionExclusive => "six",
        })
    }
}

/// Check a lock name: a path of non-empty segments separated by `/`, at most [`MAX_NAME`]
/// bytes, no spaces.
pub fn check_name(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("the lock name is empty".to_string());
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "the lock name is {} bytes long; at most {MAX_NAME} allowed",
            name.len()
        ));
    }
    if name.chars().any(char::is_whitespace) {
        return Err("the lock name contains a space".to_string());
    }
    if name.split('/').any(str::is_empty) {
        return Err(format!(
            "malformed lock path {name:?}: segments separated by single '/', none empty \
             (db/t1/r3)"
        ));
    }
    Ok(name.to_string())
}

/// A path's ancestors, root first: `db/t1/r3` → `db`, `db/t1`.
pub fn ancestors(name: &str) -> Vec<&str> {
    name.match_indices('/').map(|(i, _)| &name[..i]).collect()
}

/// Whether `name` lies strictly beneath `ancestor` in the tree.
pub fn is_beneath(name: &str, ancestor: &str) -> bool {
    name.len() > ancestor.len() + 1
        && name.starts_with(ancestor)
        && name.as_bytes()[ancestor.len()] == b'/'
}

/// Check a job's locks against the intention rule: every ancestor of each lock appears
/// earlier in the job in a mode the rule asks for.
pub fn check_job_order(locks: &[(String, Mode)]) -> Result<(), String> {
    for (i, (name, mode)) in locks.iter().enumerate() {
        for a in ancestors(name) {
            let earlier = locks[..i].iter().find(|(l, _)| l == a);
            let ok = earlier.is_some_and(|(_, m)| mode.ancestor_modes().contains(m));
            if !ok {
                let wanted: Vec<String> = mode
                    .ancestor_modes()
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                return Err(format!(
                    "{name} {mode} needs {a} in {} earlier in the job (intention locks are \
                     taken root to leaf)",
                    wanted.join(" or ")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix, as printed in Gray et al.: "yes" where two modes may share a node.
    #[test]
    fn the_compatibility_matrix_is_grays() {
        let yes = [
            "is-is", "is-ix", "is-s", "is-six", "ix-is", "ix-ix", "s-is", "s-s", "six-is",
        ];
        for a in MODES {
            for b in MODES {
                let pair = format!("{a}-{b}");
                assert_eq!(a.compatible(b), yes.contains(&pair.as_str()), "{pair}");
                assert_eq!(a.compatible(b), b.compatible(a), "symmetric {pair}");
            }
        }
    }

    #[test]
    fn paths_and_the_intention_rule() {
        assert_eq!(ancestors("db/t1/r3"), ["db", "db/t1"]);
        assert!(ancestors("a").is_empty());
        assert!(is_beneath("db/t1/r3", "db"));
        assert!(!is_beneath("db2", "db"));
        assert!(check_name("db//r").unwrap_err().contains("malformed"));
        assert!(check_name("/db").unwrap_err().contains("malformed"));
        assert!(check_name("db/").unwrap_err().contains("malformed"));
        let m = |s: &str| Mode::parse(s).unwrap();
        let job = |v: &[(&str, &str)]| -> Vec<(String, Mode)> {
            v.iter().map(|(l, x)| (l.to_string(), m(x))).collect()
        };
        check_job_order(&job(&[("db", "ix"), ("db/t1", "ix"), ("db/t1/r3", "x")])).unwrap();
        check_job_order(&job(&[("db", "is"), ("db/t1", "s")])).unwrap();
        check_job_order(&job(&[("db", "six"), ("db/t2", "x")])).unwrap();
        let err = check_job_order(&job(&[("db", "is"), ("db/t1", "x")])).unwrap_err();
        assert!(err.contains("needs db in ix or six"), "{err}");
        let err = check_job_order(&job(&[("db/t1", "s")])).unwrap_err();
        assert!(err.contains("root to leaf"), "{err}");
        assert!(Mode::parse("q").unwrap_err().contains("unknown mode"));
    }
}
