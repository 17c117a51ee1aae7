//! Small value types shared by every module: node identities and virtual time.
//!
//! Everything in the simulator is measured in *virtual* milliseconds. Nothing in the core crate
//! ever reads a real clock: time only moves when the simulator pops the next event.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Identity of a node in the cluster or of a simulated client.
///
/// Servers are dense: `0..node_count`, shown to people 1-based (`n1`, `n2`, …) because that is
/// how the UI and the docs number nodes. Simulated clients live outside the cluster and take the
/// ids from [`CLIENT_BASE`] up, shown as `c1`, `c2`, … In scenario files both are written the
/// same way, as strings (`"n1"`, `"c2"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u8);

/// The first client id: client `k` (0-based) is `NodeId(CLIENT_BASE + k)`, written `c{k+1}`.
pub const CLIENT_BASE: u8 = 128;

impl NodeId {
    /// Parse the human form: `n1`…`n128` for servers, `c1`…`c128` for clients (1-based).
    pub fn parse(text: &str) -> Option<NodeId> {
        let (base, digits) = match text.as_bytes().first() {
            Some(b'n') => (0u16, &text[1..]),
            Some(b'c') => (u16::from(CLIENT_BASE), &text[1..]),
            _ => return None,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u16 = digits.parse().ok()?;
        if number == 0 || number > u16::from(CLIENT_BASE) {
            return None;
        }
        u8::try_from(base + number - 1).ok().map(NodeId)
    }

    /// Simulated client `k` (0-based).
    pub fn client(k: usize) -> NodeId {
        NodeId(CLIENT_BASE + u8::try_from(k).expect("client index fits"))
    }

    /// Whether this id names a simulated client rather than a server.
    pub fn is_client(self) -> bool {
        self.0 >= CLIENT_BASE
    }

    /// For a client, its 0-based client index.
    pub fn client_index(self) -> Option<usize> {
        self.is_client().then(|| usize::from(self.0 - CLIENT_BASE))
    }

    /// Position in a table of every endpoint of a cluster of `servers` servers: servers first
    /// (by index), then clients. The simulator's node slots, the network's link matrix and the
    /// page's drawing positions are all laid out this way.
    pub fn slot(self, servers: usize) -> usize {
        match self.client_index() {
            Some(k) => servers + k,
            None => self.index(),
        }
    }

    /// The endpoint at position `slot` of that table (inverse of [`NodeId::slot`]).
    pub fn at_slot(slot: usize, servers: usize) -> NodeId {
        if slot < servers {
            NodeId::from_index(slot)
        } else {
            NodeId::client(slot - servers)
        }
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
                "invalid node {text:?}: nodes are written \"n1\", \"n2\", …, clients \"c1\", …"
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
        match self.client_index() {
            Some(k) => write!(f, "c{}", k + 1),
            None => write!(f, "n{}", u32::from(self.0) + 1),
        }
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
        assert_eq!(NodeId::client(0).to_string(), "c1");
        assert_eq!(NodeId::parse("c2"), Some(NodeId::client(1)));
        assert_eq!(NodeId::client(1).client_index(), Some(1));
        for slot in 0..8 {
            assert_eq!(NodeId::at_slot(slot, 5).slot(5), slot);
        }
        assert_eq!(NodeId::client(0).slot(5), 5);
        assert!(!NodeId(127).is_client());
        assert_eq!(NodeId::parse("n128"), Some(NodeId(127)));
        for bad in [
            "", "n", "n0", "1", "n-1", "nx", "n129", "n257", "N1", "n1 ", "c0", "c", "c129",
        ] {
            assert_eq!(NodeId::parse(bad), None, "{bad:?}");
        }
        let json = serde_json::to_string(&NodeId(2)).unwrap();
        assert_eq!(json, "\"n3\"");
        let err = serde_json::from_str::<NodeId>("\"x\"").unwrap_err();
        assert!(err.to_string().contains("invalid node"));
    }
}
