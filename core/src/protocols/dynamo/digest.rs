//! The replicas' fingerprints of their keys (anti-entropy's hash tree, handoff acks), written
//! straight into the hash.
//!
//! A key's digest is FNV-1a of its text form: the causal context, then each version's clock,
//! quoted value and timestamp, `|`-separated — exactly the bytes `format!("{}|", context)` and
//! `format!("{}|{:?}|{}|", clock, value, ts)` produce (digests show in traces, so they must not
//! change). Formatting them through `core::fmt` cost a sixth of a chaos run's time; this writes
//! the same bytes without it (a test compares the two on random states), falling back to `fmt`
//! only for a value that `{:?}` would escape.

use super::clock::{Dotted, VersionVector};
use super::store::KeyState;
use crate::kernel::trace::Fnv64;
use crate::kernel::types::NodeId;

/// Where the bytes go: the hash, or (in tests) a buffer to compare with the formatted text.
pub(super) trait Sink: std::fmt::Write {
    /// Append `bytes`.
    fn bytes(&mut self, bytes: &[u8]);
}

impl Sink for Fnv64 {
    fn bytes(&mut self, bytes: &[u8]) {
        self.write(bytes);
    }
}

impl Sink for String {
    fn bytes(&mut self, bytes: &[u8]) {
        self.push_str(std::str::from_utf8(bytes).unwrap_or_default());
    }
}

/// `n` in decimal.
fn unsigned<S: Sink>(s: &mut S, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.bytes(&buf[at..]);
}

/// `n` in decimal, with a `-` if negative.
fn signed<S: Sink>(s: &mut S, n: i64) {
    if n < 0 {
        s.bytes(b"-");
    }
    unsigned(s, n.unsigned_abs());
}

/// A node as it displays: `n1`, `c2`.
fn node<S: Sink>(s: &mut S, id: NodeId) {
    match id.client_index() {
        Some(k) => {
            s.bytes(b"c");
            unsigned(s, k as u64 + 1);
        }
        None => {
            s.bytes(b"n");
            unsigned(s, u64::from(id.0) + 1);
        }
    }
}

/// A version vector as it displays: `n1:2,n2:1`, or `∅`.
fn vector<S: Sink>(s: &mut S, vv: &VersionVector) {
    let mut first = true;
    for (n, c) in vv.entries() {
        if !first {
            s.bytes(b",");
        }
        first = false;
        node(s, n);
        s.bytes(b":");
        unsigned(s, c);
    }
    if first {
        s.bytes("∅".as_bytes());
    }
}

/// A dotted version vector as it displays: `(n1:2)[n2:1]`.
fn dotted<S: Sink>(s: &mut S, d: &Dotted) {
    s.bytes(b"(");
    node(s, d.dot.node);
    s.bytes(b":");
    unsigned(s, d.dot.counter);
    s.bytes(b")[");
    vector(s, &d.past);
    s.bytes(b"]");
}

/// A string as `{:?}` writes it: quoted, escaped where needed.
fn quoted<S: Sink>(s: &mut S, text: &str) {
    let plain = text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        s.bytes(b"\"");
        s.bytes(text.as_bytes());
        s.bytes(b"\"");
    } else {
        let _ = write!(s, "{text:?}");
    }
}

/// The text a key's digest hashes (see the module documentation).
pub(super) fn key_state<S: Sink>(s: &mut S, state: &KeyState) {
    vector(s, &state.context);
    s.bytes(b"|");
    for v in &state.versions {
        dotted(s, &v.clock);
        s.bytes(b"|");
        quoted(s, &v.value);
        s.bytes(b"|");
        signed(s, v.ts);
        s.bytes(b"|");
    }
}

/// One key's entry in its bucket's hash: `key=digest;`.
pub(super) fn bucket_entry<S: Sink>(s: &mut S, key: &str, digest: u64) {
    s.bytes(key.as_bytes());
    s.bytes(b"=");
    unsigned(s, digest);
    s.bytes(b";");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::SimRng;
    use crate::protocols::dynamo::clock::Dot;
    use crate::protocols::dynamo::store::Version;

    fn random_vector(rng: &mut SimRng) -> VersionVector {
        let mut vv = VersionVector::new();
        for _ in 0..rng.range_inclusive(0, 3) {
            let n = NodeId(rng.range_inclusive(0, 12) as u8);
            vv.raise(n, rng.range_inclusive(0, 1 << 40));
        }
        vv
    }

    #[test]
    fn the_written_text_is_the_formatted_text() {
        let values = [
            "",
            "a",
            "x1",
            "with space",
            "quote\"d",
            "back\\slash",
            "tab\t",
            "é",
            "a,b",
        ];
        let mut rng = SimRng::new(7);
        for _ in 0..2_000 {
            let mut state = KeyState {
                context: random_vector(&mut rng),
                ..KeyState::default()
            };
            for _ in 0..rng.range_inclusive(0, 3) {
                let value = values[rng.range_inclusive(0, values.len() as u64 - 1) as usize];
                let ts = rng.range_inclusive(0, u64::MAX) as i64;
                state.versions.push(Version {
                    clock: Dotted {
                        dot: Dot {
                            node: NodeId(rng.range_inclusive(0, 200) as u8),
                            counter: rng.range_inclusive(0, u64::MAX),
                        },
                        past: random_vector(&mut rng),
                    },
                    value: value.to_string(),
                    ts,
                });
            }
            let mut expected = format!("{}|", state.context);
            for v in &state.versions {
                expected += &format!("{}|{:?}|{}|", v.clock, v.value, v.ts);
            }
            let mut written = String::new();
            key_state(&mut written, &state);
            assert_eq!(written, expected);
            let digest = rng.next_u64();
            let mut entry = String::new();
            bucket_entry(&mut entry, "k7", digest);
            assert_eq!(entry, format!("k7={digest};"));
        }
    }
}
