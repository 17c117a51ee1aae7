//! Lowe's cache of configurations already explored by the search, as an open-addressing hash
//! set over one arena of bitsets (no allocation per entry: this runs on every search step).

/// SplitMix64's finalizer: a cheap, well-mixed, deterministic hash of one word.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether `stored` starts with `bits` (a loop the compiler inlines: the bitsets are a few
/// words, too short for a `memcmp` call to pay).
fn same(stored: &[u64], bits: &[u64]) -> bool {
    stored.iter().zip(bits).all(|(a, b)| a == b)
}

/// An empty slot of the table.
const EMPTY: u32 = u32::MAX;

/// Lowe's cache of `(linearized set, state)` configurations already explored. The set is kept
/// as a bitset (plus the state in its last word) and hashed Zobrist-style — one fixed random
/// word per operation, XORed in and out as operations are linearized and undone, so hashing
/// costs O(1) per step instead of O(operations). Bitsets are stored in one arena and compared
/// word for word on a hash hit: a hash collision costs a comparison, never a wrong verdict.
/// Deterministic (no per-process random keys), and only ever queried, never iterated.
pub(super) struct Memo {
    /// The Zobrist word of each operation.
    words_of: Vec<u64>,
    /// Open-addressing table (linear probing, power-of-two size): entry numbers or `EMPTY`.
    slots: Vec<u32>,
    /// The full hash of each entry, by entry number.
    hashes: Vec<u64>,
    /// Stored bitsets, `width` words each, by entry number.
    arena: Vec<u64>,
    width: usize,
}

impl Memo {
    /// A cache for bitsets of `width` words over `ops` operations.
    pub(super) fn new(ops: usize, width: usize) -> Memo {
        Memo {
            words_of: (0..ops as u64).map(mix).collect(),
            slots: vec![EMPTY; (4 * ops).next_power_of_two().max(64)],
            hashes: Vec::new(),
            arena: Vec::new(),
            width,
        }
    }

    /// The Zobrist word of operation `i` (XOR it into the set's hash to add or remove `i`).
    pub(super) fn word(&self, i: usize) -> u64 {
        self.words_of[i]
    }

    /// Remember `bits` (whose set hashes to `set_hash`) unless it is known; `true` if it was new.
    pub(super) fn insert(&mut self, set_hash: u64, bits: &[u64]) -> bool {
        let hash = set_hash ^ mix(bits[self.width - 1] ^ 0xA5A5_A5A5);
        let mask = self.slots.len() - 1;
        let mut slot = (hash as usize) & mask;
        loop {
            let entry = self.slots[slot];
            if entry == EMPTY {
                break;
            }
            let e = entry as usize;
            if self.hashes[e] == hash && same(&self.arena[e * self.width..], bits) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        let entry = self.hashes.len() as u32;
        self.slots[slot] = entry;
        self.hashes.push(hash);
        self.arena.extend_from_slice(bits);
        if 2 * self.hashes.len() > self.slots.len() {
            self.grow();
        }
        true
    }

    /// Doubles the table and re-inserts every entry (keeping at most half the slots full).
    fn grow(&mut self) {
        let size = 2 * self.slots.len();
        let mask = size - 1;
        let mut slots = vec![EMPTY; size];
        for (entry, &hash) in self.hashes.iter().enumerate() {
            let mut slot = (hash as usize) & mask;
            while slots[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            slots[slot] = entry as u32;
        }
        self.slots = slots;
    }
}
