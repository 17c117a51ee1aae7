//! Simulated authentication: digests and signatures (OSDI §2 system model, §5.2).
//!
//! **What is modelled.** PBFT assumes collision-resistant digests and signatures (or MAC
//! vectors) that a faulty replica cannot forge. Here a [`Digest`] is a 64-bit FNV-1a hash of a
//! message's content, and a signature is a value derived from *(signer, digest)* with a secret
//! that stands for the signer's private key. Every actor holds exactly one [`Signer`] — its own
//! — and the code only ever signs through it, so a faulty replica that claims another
//! replica's identity signs with its own key, and [`verify`] against the claimed identity
//! fails. That is how forgery is detected, counted and never believed.
//!
//! **What is not.** There is no real cryptography: the hash is not collision-resistant against
//! an adversary and the "keys" are derived from node ids. Digests stand for SHA-style
//! digests and signatures for public-key signatures (the OSDI paper's §4.4 view change
//! uses signatures; its §5.2 replaces them by MAC vectors for speed — modelled here as
//! signatures throughout, which is what makes certificates relayable).

use crate::kernel::trace::Fnv64;
use crate::kernel::types::NodeId;
use std::fmt;

/// A message digest (stands for a collision-resistant hash of the content).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub u64);

impl fmt::Display for Digest {
    /// The first four hex digits, as traces show them (`d=3fa1`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}", self.0 >> 48)
    }
}

/// A simulated signature: only the signer's own [`Signer`] makes one that [`verify`] accepts
/// for that signer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sig(pub u64);

/// Builds digests: feed the content's parts in a fixed order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hasher(Fnv64);

impl Hasher {
    /// A digest of a message of kind `tag` (so different kinds never share a digest).
    pub fn new(tag: &str) -> Hasher {
        let mut h = Hasher(Fnv64::default());
        h.0.write(tag.as_bytes());
        h.0.write(&[0]);
        h
    }

    /// Add a number.
    pub fn u64(mut self, v: u64) -> Hasher {
        self.0.write(&v.to_le_bytes());
        self
    }

    /// Add a node id.
    pub fn node(self, n: NodeId) -> Hasher {
        self.u64(u64::from(n.0))
    }

    /// Add a string (length-prefixed).
    pub fn str(mut self, s: &str) -> Hasher {
        self = self.u64(s.len() as u64);
        self.0.write(s.as_bytes());
        self
    }

    /// Add another digest.
    pub fn digest(self, d: Digest) -> Hasher {
        self.u64(d.0)
    }

    /// The digest.
    pub fn finish(self) -> Digest {
        Digest(self.0.finish())
    }
}

/// The simulated private key of `node`.
fn key(node: NodeId) -> u64 {
    // SplitMix64's finalizer over the id: distinct, well-mixed, and never exposed.
    let mut z = u64::from(node.0).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn tag(node: NodeId, digest: Digest) -> Sig {
    Sig(Hasher::new("sig").u64(key(node)).digest(digest).finish().0)
}

/// A node's signing key. Each actor makes one for itself (`Signer::new(own id)`) and never for
/// anyone else; tests may make any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signer {
    id: NodeId,
}

impl Signer {
    /// The key of node `id`.
    pub fn new(id: NodeId) -> Signer {
        Signer { id }
    }

    /// Whose key this is.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Sign `digest`.
    pub fn sign(&self, digest: Digest) -> Sig {
        tag(self.id, digest)
    }
}

/// Whether `sig` is `claimed`'s signature of `digest`.
pub fn verify(claimed: NodeId, digest: Digest, sig: Sig) -> bool {
    tag(claimed, digest) == sig
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_signer_can_sign_for_itself() {
        let d = Hasher::new("x").u64(1).finish();
        let s2 = Signer::new(NodeId(1)).sign(d);
        assert!(verify(NodeId(1), d, s2));
        assert!(!verify(NodeId(2), d, s2), "n2's key made no such signature");
        let other = Hasher::new("x").u64(2).finish();
        assert!(
            !verify(NodeId(1), other, s2),
            "a signature covers its digest only"
        );
        assert_ne!(Hasher::new("a").finish(), Hasher::new("b").finish());
        assert_eq!(format!("{}", Digest(0x3fa1_0000_0000_0000)), "3fa1");
    }
}
