//! Causality: version vectors, dots and dotted versions (Preguiça, Baquero, Almeida et al.,
//! "Dotted Version Vectors: Logical Clocks for Optimistic Replication", 2010).
//!
//! A [`Dot`] `(node, counter)` names one write: the `counter`-th write that `node` coordinated
//! for that key. A [`VersionVector`] summarises a causal past: it *covers* a dot when its entry
//! for the dot's node is at least the dot's counter. A stored version ([`Dotted`]) keeps its own
//! dot apart from the vector of what its writer had seen; that is what keeps siblings bounded by
//! the number of truly concurrent writes (no "sibling explosion").

use crate::kernel::types::NodeId;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// One write's identity: the `counter`-th write coordinated by `node` for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Dot {
    /// The coordinating node.
    pub node: NodeId,
    /// 1-based sequence number of the node's writes to this key.
    pub counter: u64,
}

impl fmt::Display for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.counter)
    }
}

/// How two causal histories relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Causality {
    /// Identical histories.
    Equal,
    /// The left one happened before the right one.
    Before,
    /// The left one happened after the right one.
    After,
    /// Neither saw the other.
    Concurrent,
}

impl Causality {
    /// The relation seen from the other side.
    pub fn flip(self) -> Causality {
        match self {
            Causality::Before => Causality::After,
            Causality::After => Causality::Before,
            other => other,
        }
    }
}

/// A version vector: for each node, how many of its writes (to one key) are in the past.
/// Zero entries are never stored, so equal histories have equal representations.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct VersionVector(BTreeMap<NodeId, u64>);

impl VersionVector {
    /// The empty past.
    pub fn new() -> VersionVector {
        VersionVector::default()
    }

    /// The entry for `node` (0 when absent).
    pub fn get(&self, node: NodeId) -> u64 {
        self.0.get(&node).copied().unwrap_or(0)
    }

    /// Raise the entry for `node` to at least `counter`; `true` if that changed it.
    pub fn raise(&mut self, node: NodeId, counter: u64) -> bool {
        if counter == 0 {
            return false;
        }
        let e = self.0.entry(node).or_insert(0);
        let raised = counter > *e;
        *e = (*e).max(counter);
        raised
    }

    /// Whether `dot` is in this past.
    pub fn covers(&self, dot: Dot) -> bool {
        self.get(dot.node) >= dot.counter
    }

    /// Pointwise maximum (the join of two pasts); `true` if that changed this vector.
    pub fn merge(&mut self, other: &VersionVector) -> bool {
        let mut raised = false;
        for (n, c) in &other.0 {
            raised |= self.raise(*n, *c);
        }
        raised
    }

    /// The join, as a new vector.
    pub fn joined(&self, other: &VersionVector) -> VersionVector {
        let mut v = self.clone();
        v.merge(other);
        v
    }

    /// Whether every entry of `self` is ≤ the one in `other`.
    pub fn le(&self, other: &VersionVector) -> bool {
        self.0.iter().all(|(n, c)| other.get(*n) >= *c)
    }

    /// The partial order: equal, before, after or concurrent.
    pub fn compare(&self, other: &VersionVector) -> Causality {
        match (self.le(other), other.le(self)) {
            (true, true) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (false, false) => Causality::Concurrent,
        }
    }

    /// Entries in node order.
    pub fn entries(&self) -> impl Iterator<Item = (NodeId, u64)> + '_ {
        self.0.iter().map(|(n, c)| (*n, *c))
    }

    /// Whether the past is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parse the compact form `n1:3,n2:1` (the empty string is the empty vector).
    pub fn parse(text: &str) -> Result<VersionVector, String> {
        let mut v = VersionVector::new();
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let (node, counter) = part
                .split_once(':')
                .ok_or_else(|| format!("context entry {part:?} is not of the form n1:3"))?;
            let node = NodeId::parse(node)
                .ok_or_else(|| format!("context entry {part:?}: {node:?} is not a node (n1…)"))?;
            let counter: u64 = counter
                .parse()
                .map_err(|_| format!("context entry {part:?}: {counter:?} is not a count"))?;
            if v.get(node) != 0 {
                return Err(format!("context names {node} twice"));
            }
            v.raise(node, counter);
        }
        Ok(v)
    }
}

impl fmt::Display for VersionVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (n, c) in &self.0 {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{n}:{c}")?;
        }
        if first {
            f.write_str("∅")?;
        }
        Ok(())
    }
}

/// A causal history made of a version vector plus one dot that may lie beyond it (the history
/// of one stored version: what its writer had seen, plus the write itself).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Dotted {
    /// The version's own write.
    pub dot: Dot,
    /// What the writer had seen (the context it wrote with).
    pub past: VersionVector,
}

impl Dotted {
    /// Whether `dot` is in this history (the version's own dot or its past).
    pub fn covers(&self, dot: Dot) -> bool {
        self.dot == dot || self.past.covers(dot)
    }

    /// Whether this version is made obsolete by `other` (its dot is in `other`'s past).
    pub fn obsoleted_by(&self, other: &Dotted) -> bool {
        self.dot != other.dot && other.past.covers(self.dot)
    }

    /// The whole history as a plain vector (the dot folded in).
    pub fn to_vector(&self) -> VersionVector {
        let mut v = self.past.clone();
        v.raise(self.dot.node, self.dot.counter);
        v
    }

    /// The partial order between two versions' histories (by their dots: a version is before
    /// another when its dot is in the other's past).
    pub fn compare(&self, other: &Dotted) -> Causality {
        if self.dot == other.dot {
            return Causality::Equal;
        }
        match (self.obsoleted_by(other), other.obsoleted_by(self)) {
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            // Both covering each other's dot cannot arise from real writes; order by dot so
            // the relation stays antisymmetric.
            (true, true) => match self.dot.cmp(&other.dot) {
                Ordering::Less => Causality::Before,
                _ => Causality::After,
            },
            (false, false) => Causality::Concurrent,
        }
    }
}

impl fmt::Display for Dotted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({})[{}]", self.dot, self.past)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    fn n(i: u8) -> NodeId {
        NodeId(i)
    }

    fn vv(entries: &[(u8, u64)]) -> VersionVector {
        let mut v = VersionVector::new();
        for (i, c) in entries {
            v.raise(n(*i), *c);
        }
        v
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn arb_vv() -> impl Strategy<Value = VersionVector> {
        proptest::collection::vec((0u8..4, 0u64..5), 0..5).prop_map(|e| vv(&e))
    }

    #[test]
    fn order_basics() {
        let a = vv(&[(0, 1)]);
        let b = vv(&[(0, 2)]);
        let c = vv(&[(1, 1)]);
        assert_eq!(a.compare(&b), Causality::Before);
        assert_eq!(b.compare(&a), Causality::After);
        assert_eq!(a.compare(&c), Causality::Concurrent);
        assert_eq!(a.compare(&a.clone()), Causality::Equal);
        assert_eq!(VersionVector::new().compare(&a), Causality::Before);
        assert_eq!(vv(&[(0, 0)]), VersionVector::new(), "zero entries vanish");
    }

    #[test]
    fn compact_form_round_trips_and_bad_input_is_explained() {
        let v = vv(&[(0, 3), (2, 1)]);
        assert_eq!(v.to_string(), "n1:3,n3:1");
        assert_eq!(VersionVector::parse("n1:3,n3:1").unwrap(), v);
        assert_eq!(VersionVector::parse("").unwrap(), VersionVector::new());
        for bad in ["n1", "x:1", "n1:x", "n1:1,n1:2", "n0:1"] {
            assert!(VersionVector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dotted_versions_keep_their_dot_apart() {
        // n1 wrote twice without seeing its first write's sibling by n2: both stay siblings.
        let x = Dotted {
            dot: Dot {
                node: n(0),
                counter: 2,
            },
            past: vv(&[(0, 1)]),
        };
        let y = Dotted {
            dot: Dot {
                node: n(1),
                counter: 1,
            },
            past: vv(&[(0, 1)]),
        };
        assert_eq!(x.compare(&y), Causality::Concurrent);
        let z = Dotted {
            dot: Dot {
                node: n(2),
                counter: 1,
            },
            past: x.to_vector().joined(&y.to_vector()),
        };
        assert_eq!(x.compare(&z), Causality::Before);
        assert_eq!(z.compare(&y), Causality::After);
        assert!(x.obsoleted_by(&z) && !z.obsoleted_by(&x));
    }

    // Property tests run natively (proptest is a native-only dev-dependency).
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn merge_is_commutative(a in arb_vv(), b in arb_vv()) {
            prop_assert_eq!(a.joined(&b), b.joined(&a));
        }

        #[test]
        fn merge_is_associative(a in arb_vv(), b in arb_vv(), c in arb_vv()) {
            prop_assert_eq!(a.joined(&b).joined(&c), a.joined(&b.joined(&c)));
        }

        #[test]
        fn merge_is_idempotent(a in arb_vv(), b in arb_vv()) {
            prop_assert_eq!(a.joined(&a), a.clone());
            // …and an upper bound of both inputs.
            let j = a.joined(&b);
            prop_assert!(a.le(&j) && b.le(&j));
        }

        #[test]
        fn order_is_antisymmetric(a in arb_vv(), b in arb_vv()) {
            if a.le(&b) && b.le(&a) {
                prop_assert_eq!(&a, &b);
            }
            prop_assert_eq!(a.compare(&b), b.compare(&a).flip());
        }

        #[test]
        fn order_is_transitive(a in arb_vv(), b in arb_vv(), c in arb_vv()) {
            if a.le(&b) && b.le(&c) {
                prop_assert!(a.le(&c));
            }
            let strict = |x: &VersionVector, y: &VersionVector| x.compare(y) == Causality::Before;
            if strict(&a, &b) && strict(&b, &c) {
                prop_assert!(strict(&a, &c));
            }
        }

        #[test]
        fn concurrency_is_symmetric(a in arb_vv(), b in arb_vv()) {
            prop_assert_eq!(
                a.compare(&b) == Causality::Concurrent,
                b.compare(&a) == Causality::Concurrent
            );
        }

        #[test]
        fn dotted_order_is_antisymmetric_and_concurrency_symmetric(
            a in arb_vv(), b in arb_vv(), an in 0u8..4, bn in 0u8..4,
        ) {
            // Realistic versions: the dot lies just beyond the writer's past.
            let mk = |past: VersionVector, node: u8| Dotted {
                dot: Dot { node: n(node), counter: past.get(n(node)) + 1 },
                past,
            };
            let (x, y) = (mk(a, an), mk(b, bn));
            prop_assert_eq!(x.compare(&y), y.compare(&x).flip());
        }
    }
}
