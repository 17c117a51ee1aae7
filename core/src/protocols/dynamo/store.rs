//! One replica's data: per key, the surviving versions (siblings) and the key's causal context.
//!
//! Merging is the only way state changes, and it is a join: union the versions, drop every
//! version whose dot lies in another version's past, join the contexts. In last-writer-wins
//! mode the survivors are then cut down to the one with the highest `(timestamp, dot)` —
//! causality ignored, which is exactly how skewed clocks lose writes.

use super::clock::{Dot, Dotted, VersionVector};
use super::ConflictMode;
use crate::kernel::trace::Fnv64;
use crate::kernel::types::NodeId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

/// One stored version of a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Version {
    /// Its dot and the past its writer had seen.
    pub clock: Dotted,
    /// The value written.
    pub value: String,
    /// The coordinator's own clock at the write (virtual time plus its skew), for LWW.
    pub ts: i64,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{}", self.value, self.clock.dot)
    }
}

/// The state of one key at one replica.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyState {
    /// Surviving versions, sorted by dot; pairwise concurrent in siblings mode.
    pub versions: Vec<Version>,
    /// Every dot ever merged into this key here (for issuing fresh dots).
    pub context: VersionVector,
}

impl KeyState {
    /// Merge `other` in. Returns whether anything changed.
    pub fn merge(&mut self, other: &KeyState, mode: ConflictMode) -> bool {
        // A version's contents never change here: versions are only added (a dot not yet
        // held), dropped or reordered. So the state changed exactly when the context grew or
        // the sequence of dots differs — no copy of the whole state needed to tell.
        let dots_before: Vec<Dot> = self.versions.iter().map(|v| v.clock.dot).collect();
        for v in &other.versions {
            if !self.versions.iter().any(|x| x.clock.dot == v.clock.dot) {
                self.versions.push(v.clone());
            }
        }
        let context_grew = self.context.merge(&other.context);
        let raised = self.normalize(mode);
        context_grew
            || raised
            || !self
                .versions
                .iter()
                .map(|v| v.clock.dot)
                .eq(dots_before.iter().copied())
    }

    /// Drop obsolete versions; in LWW mode keep only the version with the highest
    /// `(timestamp, dot)`, whatever the causality. Returns whether the context grew.
    pub fn normalize(&mut self, mode: ConflictMode) -> bool {
        // Every dot ever held stays in the context, even if LWW drops its version: dots are
        // never issued twice.
        let mut raised = false;
        for v in &self.versions {
            raised |= self.context.raise(v.clock.dot.node, v.clock.dot.counter);
        }
        if mode != ConflictMode::Lww {
            let obsolete: Vec<bool> = self
                .versions
                .iter()
                .map(|v| self.versions.iter().any(|w| v.clock.obsoleted_by(&w.clock)))
                .collect();
            let mut i = 0;
            self.versions.retain(|_| {
                i += 1;
                !obsolete[i - 1]
            });
        } else if let Some(best) = (0..self.versions.len())
            .max_by_key(|&i| (self.versions[i].ts, self.versions[i].clock.dot))
        {
            self.versions.swap(0, best);
            self.versions.truncate(1);
        }
        self.versions.sort_by_key(|v| v.clock.dot);
        raised
    }

    /// A new write coordinated by `node` with client context `ctx`: issue the next dot of
    /// `node` for this key and merge the version in. Returns the dot.
    pub fn write(
        &mut self,
        node: NodeId,
        ctx: &VersionVector,
        value: String,
        ts: i64,
        mode: ConflictMode,
    ) -> Dot {
        let counter = self.context.get(node).max(ctx.get(node)) + 1;
        let dot = Dot { node, counter };
        let version = Version {
            clock: Dotted {
                dot,
                past: ctx.clone(),
            },
            value,
            ts,
        };
        let delta = KeyState {
            versions: vec![version],
            context: ctx.clone(),
        };
        self.merge(&delta, mode);
        dot
    }

    /// Whether `dot` is stored here or causally superseded by a stored version.
    pub fn covers(&self, dot: Dot) -> bool {
        self.versions.iter().any(|v| v.clock.covers(dot))
    }

    /// The causal context a reader gets: the join of every surviving version's history.
    pub fn read_context(&self) -> VersionVector {
        let mut ctx = VersionVector::new();
        for v in &self.versions {
            ctx.merge(&v.clock.to_vector());
        }
        ctx
    }

    /// Stable fingerprint (equal states have equal digests).
    pub fn digest(&self) -> u64 {
        let mut h = Fnv64::default();
        super::digest::key_state(&mut h, self);
        h.finish()
    }

    /// The values a read returns: each sibling, or in set mode their union as one value.
    pub fn read_values(&self, mode: ConflictMode) -> Vec<(Dot, String)> {
        if mode == ConflictMode::Set && self.versions.len() > 1 {
            let union: BTreeSet<&str> = self
                .versions
                .iter()
                .flat_map(|v| v.value.split(',').filter(|e| !e.is_empty()))
                .collect();
            let first = self.versions[0].clock.dot;
            return vec![(first, union.into_iter().collect::<Vec<_>>().join(","))];
        }
        self.versions
            .iter()
            .map(|v| (v.clock.dot, v.value.clone()))
            .collect()
    }

    /// Compact rendering for the inspector: `"x"@n1:2 | "y"@n2:1 [n1:2,n2:1]`.
    pub fn compact(&self) -> String {
        let mut s = String::new();
        for (i, v) in self.versions.iter().enumerate() {
            if i > 0 {
                s.push_str(" | ");
            }
            let _ = write!(s, "{v}");
        }
        let _ = write!(s, " [{}]", self.context);
        s
    }
}

/// Number of digest buckets (leaves of the anti-entropy hash tree).
pub const BUCKETS: usize = 16;

/// The bucket of `key` in the anti-entropy tree.
pub fn bucket_of(key: &str) -> usize {
    (super::ring::hash(key) % BUCKETS as u64) as usize
}

/// A replica's keys: key → state.
pub type Store = BTreeMap<String, KeyState>;

/// The two-level digest of the keys in `store` that `include` selects: one hash per bucket
/// (the root is the vector itself). Only differing buckets are then compared key by key.
pub fn bucket_digests(store: &Store, include: impl Fn(&str) -> bool) -> Vec<u64> {
    let mut hashers: Vec<Fnv64> = (0..BUCKETS).map(|_| Fnv64::default()).collect();
    for (k, st) in store {
        if include(k) {
            super::digest::bucket_entry(&mut hashers[bucket_of(k)], k, st.digest());
        }
    }
    hashers.into_iter().map(Fnv64::finish).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u8) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn concurrent_writes_become_siblings_and_a_write_with_context_resolves_them() {
        let m = ConflictMode::Siblings;
        let mut a = KeyState::default();
        let mut b = KeyState::default();
        let d1 = a.write(n(0), &VersionVector::new(), "x".into(), 10, m);
        let d2 = b.write(n(1), &VersionVector::new(), "y".into(), 5, m);
        assert!(a.merge(&b, m));
        assert_eq!(a.versions.len(), 2, "{}", a.compact());
        assert!(a.covers(d1) && a.covers(d2));
        let ctx = a.read_context();
        let d3 = a.write(n(0), &ctx, "z".into(), 20, m);
        assert_eq!(d3.counter, 2);
        assert_eq!(a.versions.len(), 1);
        assert!(a.covers(d1) && a.covers(d2) && a.covers(d3));
        // Merging the old sibling again changes nothing: it is obsolete.
        assert!(!a.merge(&b, m));
        assert_eq!(a.read_values(m), vec![(d3, "z".to_string())]);
    }

    #[test]
    fn lww_keeps_the_highest_timestamp_even_against_causality() {
        let m = ConflictMode::Lww;
        let mut s = KeyState::default();
        let d1 = s.write(n(0), &VersionVector::new(), "first".into(), 1000, m);
        // A later write (it saw the first) from a node whose clock lags: it loses.
        let ctx = s.read_context();
        let d2 = s.write(n(1), &ctx, "second".into(), 400, m);
        assert_eq!(s.versions.len(), 1);
        assert_eq!(s.versions[0].clock.dot, d1);
        assert!(!s.covers(d2), "the acknowledged second write is lost");
        // Dots stay unique even though the loser is gone.
        let d3 = s.write(n(1), &VersionVector::new(), "third".into(), 2000, m);
        assert_eq!(d3.counter, 2);
    }

    #[test]
    fn set_mode_reads_the_union() {
        let m = ConflictMode::Set;
        let mut a = KeyState::default();
        let mut b = KeyState::default();
        a.write(n(0), &VersionVector::new(), "x,y".into(), 0, m);
        b.write(n(1), &VersionVector::new(), "y,z".into(), 0, m);
        a.merge(&b, m);
        assert_eq!(a.read_values(m)[0].1, "x,y,z");
    }

    #[test]
    fn merge_is_order_independent() {
        let m = ConflictMode::Siblings;
        let mut a = KeyState::default();
        let mut b = KeyState::default();
        let mut c = KeyState::default();
        a.write(n(0), &VersionVector::new(), "a".into(), 0, m);
        b.write(n(1), &VersionVector::new(), "b".into(), 0, m);
        let ctx = a.read_context();
        c.write(n(2), &ctx, "c".into(), 0, m);
        let mut x = a.clone();
        x.merge(&b, m);
        x.merge(&c, m);
        let mut y = c.clone();
        y.merge(&b, m);
        y.merge(&a, m);
        assert_eq!(x, y);
        assert_eq!(x.digest(), y.digest());
        assert_eq!(x.versions.len(), 2);
    }
}
