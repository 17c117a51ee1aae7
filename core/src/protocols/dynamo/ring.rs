//! Consistent hashing: nodes own positions (virtual nodes) on a 64-bit ring; a key's
//! *preference list* is the distinct nodes met walking clockwise from the key's hash. The first
//! `n` are its replicas; the rest, in order, are the fallbacks a sloppy quorum borrows.

use crate::kernel::trace::Fnv64;
use crate::kernel::types::NodeId;
use serde::Serialize;
use std::fmt::Write;

/// FNV-1a of `text` (the ring's hash: stable across platforms and runs).
pub fn hash(text: &str) -> u64 {
    let mut h = Fnv64::default();
    h.write(text.as_bytes());
    fold(h)
}

/// FNV's low bits mix poorly for short inputs; fold the high half in.
fn fold(h: Fnv64) -> u64 {
    let x = h.finish();
    x ^ (x >> 29).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// [`hash`] of virtual node `v`'s label `"{node}#{v}"`, hashed as it is written (the checkers
/// build a ring after every event while a cluster settles: no string each time).
fn token_hash(node: NodeId, v: usize) -> u64 {
    let mut h = Fnv64::default();
    // Writing into a hasher cannot fail.
    let _ = write!(h, "{node}#{v}");
    fold(h)
}

/// One position on the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Token {
    /// Position.
    pub at: u64,
    /// Owner.
    pub node: NodeId,
}

/// The ring of a fixed cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ring {
    tokens: Vec<Token>,
    nodes: usize,
}

impl Ring {
    /// A ring of `nodes` nodes with `vnodes` positions each.
    pub fn new(nodes: usize, vnodes: usize) -> Ring {
        let mut tokens: Vec<Token> = (0..nodes)
            .flat_map(|i| {
                let node = NodeId::from_index(i);
                (0..vnodes.max(1)).map(move |v| Token {
                    at: token_hash(node, v),
                    node,
                })
            })
            .collect();
        tokens.sort_by_key(|t| (t.at, t.node));
        Ring { tokens, nodes }
    }

    /// Every position, in ring order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Every node in the order met walking clockwise from `key`'s position.
    pub fn preference_list(&self, key: &str) -> Vec<NodeId> {
        let h = hash(key);
        let start = self.tokens.partition_point(|t| t.at < h);
        let mut out = Vec::with_capacity(self.nodes);
        for i in 0..self.tokens.len() {
            let t = self.tokens[(start + i) % self.tokens.len()];
            if !out.contains(&t.node) {
                out.push(t.node);
                if out.len() == self.nodes {
                    break;
                }
            }
        }
        out
    }

    /// The first `n` nodes of `key`'s preference list: its replicas.
    pub fn replicas(&self, key: &str, n: usize) -> Vec<NodeId> {
        let mut list = self.preference_list(key);
        list.truncate(n);
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_lists_are_permutations_and_stable() {
        let ring = Ring::new(5, 8);
        assert_eq!(ring.tokens().len(), 40);
        for key in ["a", "b", "user:42", ""] {
            let list = ring.preference_list(key);
            let mut sorted = list.clone();
            sorted.sort();
            assert_eq!(sorted, (0..5).map(NodeId::from_index).collect::<Vec<_>>());
            assert_eq!(list, Ring::new(5, 8).preference_list(key));
            assert_eq!(ring.replicas(key, 3), list[..3].to_vec());
        }
    }

    #[test]
    fn keys_spread_over_nodes() {
        let ring = Ring::new(5, 8);
        let mut first = [0usize; 5];
        for i in 0..500 {
            first[ring.preference_list(&format!("k{i}"))[0].index()] += 1;
        }
        assert!(first.iter().all(|c| *c > 30), "{first:?}");
    }
}
