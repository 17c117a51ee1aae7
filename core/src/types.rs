//! Small value types shared by every module: node identities and virtual time.
//!
//! Everything in the simulator is measured in *virtual* milliseconds. Nothing in the core crate
//! ever reads a real clock: time only moves when the simulator pops the next event.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Identity of a node in the cluster. Node ids are dense: `0..node_count`.
///
/// Shown to people 1-based (`n1`, `n2`, …) because that is how the UI and the docs number nodes.
///
/// In scenario files a node is written the same way, as the string `"n1"`…`"n9"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u8);

impl NodeId {
    /// Parse the human form `n1`…`n256` (1-based; index 0–255).
    pub fn parse(text: &str) -> Option<NodeId> {
        let digits = text.strip_prefix('n')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u16 = digits.parse().ok()?;
        if number == 0 {
            return None;
        }
        u8::try_from(number - 1).ok().map(NodeId)
    }
}

impl Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NodeId, D::Error> {
        let text = String::deserialize(d)?;
        NodeId::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid node {text:?}: nodes are written \"n1\", \"n2\", …"
            ))
        })
    }
}

impl NodeId {
    /// The zero-based index of this node (for indexing `Vec`s of per-node state).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The node with the given zero-based index.
    ///
    /// Panics if `index` does not fit a `u8`; cluster sizes are validated to 1–9 long before this.
    pub fn from_index(index: usize) -> NodeId {
        NodeId(u8::try_from(index).expect("node index fits in u8"))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", u32::from(self.0) + 1)
    }
}

/// A point in virtual time, in milliseconds since the simulation started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(pub u64);

impl Time {
    /// The start of every simulation.
    pub const ZERO: Time = Time(0);

    /// Milliseconds since the start.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// This time plus `ms` milliseconds (saturating; virtual time never wraps).
    pub fn plus(self, ms: u64) -> Time {
        Time(self.0.saturating_add(ms))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Identity of one message copy on the wire. A duplicated message gets a fresh id per copy.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MsgId(pub u64);

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_written_one_based() {
        assert_eq!(NodeId(0).to_string(), "n1");
        assert_eq!(NodeId::parse("n1"), Some(NodeId(0)));
        assert_eq!(NodeId::parse("n9"), Some(NodeId(8)));
        for bad in ["", "n", "n0", "1", "n-1", "nx", "n257", "N1", "n1 "] {
            assert_eq!(NodeId::parse(bad), None, "{bad:?}");
        }
        let json = serde_json::to_string(&NodeId(2)).unwrap();
        assert_eq!(json, "\"n3\"");
        let err = serde_json::from_str::<NodeId>("\"x\"").unwrap_err();
        assert!(err.to_string().contains("invalid node"));
    }
}
