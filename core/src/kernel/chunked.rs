//! An append-only log whose clones share everything already written.
//!
//! The simulator's trace grows for as long as a run lasts, and the timeline keeps a clone of
//! the simulator every second or so of virtual time. A `Vec` trace would make every checkpoint
//! copy the whole trace (quadratic memory over a long run). [`ChunkedLog`] stores entries in
//! reference-counted chunks instead: cloning copies one pointer per chunk, and a push into a
//! tail that a clone also holds first freezes that tail as a shared chunk and starts a new one,
//! so entries are never copied.
//!
//! A long run can also **forget** its oldest entries ([`ChunkedLog::forget_before`]): whole
//! chunks are dropped from the front, the indices of the rest do not change, and
//! [`ChunkedLog::first`] says where the kept part begins. That is how the page keeps a
//! bounded window of a run that goes on for hours.

use std::ops::Index;
use std::sync::Arc;

/// Most entries in one chunk before it is frozen and a new tail starts.
const CHUNK: usize = 4096;

/// An append-only sequence with cheap, sharing clones (see the module docs).
#[derive(Clone, Debug)]
pub struct ChunkedLog<T> {
    /// Frozen chunks, each paired with the index of its first entry.
    frozen: Vec<(usize, Arc<Vec<T>>)>,
    /// The chunk being written (shared with clones until the next push).
    tail: Arc<Vec<T>>,
    /// Index of the tail's first entry.
    tail_start: usize,
    /// Index of the first entry still kept (entries before it were forgotten).
    first: usize,
}

impl<T> Default for ChunkedLog<T> {
    fn default() -> Self {
        ChunkedLog {
            frozen: Vec::new(),
            tail: Arc::new(Vec::new()),
            tail_start: 0,
            first: 0,
        }
    }
}

impl<T> ChunkedLog<T> {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tail_start + self.tail.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of the first entry still kept: 0 unless older entries were forgotten.
    pub fn first(&self) -> usize {
        self.first
    }

    /// Number of entries still kept.
    pub fn kept(&self) -> usize {
        self.len() - self.first
    }

    /// Forget entries before `index`, a whole chunk at a time: every frozen chunk that ends at
    /// or before `index` is dropped (from this log; clones keep theirs), and so is the tail when
    /// `index` is the log's length. `on_forget` sees each forgotten entry, in order. The kept
    /// entries keep their indices; [`ChunkedLog::get`] answers `None` below [`ChunkedLog::first`].
    pub fn forget_before(&mut self, index: usize, mut on_forget: impl FnMut(&T)) {
        let index = index.min(self.len());
        let whole = self
            .frozen
            .iter()
            .take_while(|(start, chunk)| start + chunk.len() <= index)
            .count();
        for (_, chunk) in self.frozen.drain(..whole) {
            chunk.iter().for_each(&mut on_forget);
        }
        if index == self.len() && self.frozen.is_empty() {
            let tail = std::mem::replace(&mut self.tail, Arc::new(Vec::new()));
            tail.iter().for_each(&mut on_forget);
            self.tail_start = index;
        }
        self.first = self
            .frozen
            .first()
            .map_or(self.tail_start, |(start, _)| *start);
    }

    /// Number of chunks (frozen ones plus the tail), for memory accounting.
    pub fn chunks(&self) -> usize {
        self.frozen.len() + 1
    }

    /// Append an entry. Never copies entries: a tail shared with a clone is frozen first.
    pub fn push(&mut self, entry: T) {
        let shared = Arc::get_mut(&mut self.tail).is_none();
        if self.tail.len() >= CHUNK || shared {
            let len = self.len();
            // Clones tend to come at a steady pace (checkpoints): size the next tail like the
            // last one, so the chunk frozen at the next clone wastes little capacity.
            let hint = if shared {
                (self.tail.len() + self.tail.len() / 8).min(CHUNK)
            } else {
                0
            };
            let full = std::mem::replace(&mut self.tail, Arc::new(Vec::with_capacity(hint)));
            if !full.is_empty() {
                self.frozen.push((self.tail_start, full));
            }
            self.tail_start = len;
        }
        if let Some(tail) = Arc::get_mut(&mut self.tail) {
            tail.push(entry);
        }
    }

    /// Entry `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.tail_start {
            return self.tail.get(index - self.tail_start);
        }
        // The last frozen chunk starting at or before `index`.
        let at = self.frozen.partition_point(|(start, _)| *start <= index);
        let (start, chunk) = self.frozen.get(at.checked_sub(1)?)?;
        chunk.get(index - start)
    }

    /// Every kept entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.iter_from(0)
    }

    /// Kept entries from `start` on, in order.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &T> + '_ {
        let first = self
            .frozen
            .partition_point(|(s, _)| *s <= start)
            .saturating_sub(1);
        let frozen =
            self.frozen[first.min(self.frozen.len())..]
                .iter()
                .flat_map(move |(s, chunk)| {
                    let skip = start.saturating_sub(*s);
                    chunk.iter().skip(skip)
                });
        let skip = start.saturating_sub(self.tail_start);
        frozen.chain(self.tail.iter().skip(skip))
    }
}

impl<T> Index<usize> for ChunkedLog<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(entry) => entry,
            None => panic!("index {index} out of range for a log of {}", self.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_across_chunks_and_clones() {
        let mut log = ChunkedLog::new();
        let mut reference = Vec::new();
        let mut clones = Vec::new();
        for i in 0..(3 * CHUNK + 17) {
            log.push(i);
            reference.push(i);
            if i % 1000 == 3 {
                // A clone shares the tail; the next push must not disturb it.
                clones.push((log.clone(), reference.clone()));
            }
        }
        assert_eq!(log.len(), reference.len());
        for (i, v) in reference.iter().enumerate() {
            assert_eq!(log.get(i), Some(v));
        }
        assert_eq!(log.get(reference.len()), None);
        for start in [
            0,
            1,
            999,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            2 * CHUNK + 5,
            log.len(),
        ] {
            let got: Vec<_> = log.iter_from(start).copied().collect();
            assert_eq!(got, reference[start..], "from {start}");
        }
        for (c, r) in &clones {
            assert_eq!(c.iter().copied().collect::<Vec<_>>(), *r);
            assert_eq!(c[r.len() - 1], r[r.len() - 1]);
        }
    }

    #[test]
    fn clones_share_entries_instead_of_copying_them() {
        let mut log = ChunkedLog::new();
        for i in 0..100 {
            log.push(vec![i; 8]);
        }
        let copy = log.clone();
        log.push(vec![0]);
        // Both read the same allocation for the shared entries.
        assert!(std::ptr::eq(log.get(5).unwrap(), copy.get(5).unwrap()));
        assert_eq!(copy.len(), 100);
        assert_eq!(log.len(), 101);
        // Diverging clones each go their own way.
        let mut other = copy.clone();
        other.push(vec![7]);
        assert_eq!(other[100], vec![7]);
        assert_eq!(log[100], vec![0]);
    }

    #[test]
    fn forgetting_drops_whole_chunks_and_keeps_indices() {
        let mut log = ChunkedLog::new();
        for i in 0..(3 * CHUNK + 10) {
            log.push(i);
        }
        let copy = log.clone();
        let mut forgotten = Vec::new();
        // Inside the second chunk: only the first chunk can go.
        log.forget_before(CHUNK + 5, |e| forgotten.push(*e));
        assert_eq!(forgotten, (0..CHUNK).collect::<Vec<_>>());
        assert_eq!(log.first(), CHUNK);
        assert_eq!(log.len(), 3 * CHUNK + 10);
        assert_eq!(log.kept(), 2 * CHUNK + 10);
        assert_eq!(log.get(CHUNK - 1), None);
        assert_eq!(log.get(CHUNK), Some(&CHUNK));
        assert_eq!(log.iter().next(), Some(&CHUNK));
        assert_eq!(log.iter_from(0).count(), 2 * CHUNK + 10);
        assert_eq!(log.iter_from(CHUNK + 1).next(), Some(&(CHUNK + 1)));
        // A clone taken before keeps everything.
        assert_eq!(copy.first(), 0);
        assert_eq!(copy.get(3), Some(&3));
        // Pushing on goes on counting from the same indices.
        log.push(99);
        assert_eq!(log[3 * CHUNK + 10], 99);
        // Forgetting everything empties the log but keeps its length.
        forgotten.clear();
        log.forget_before(log.len(), |e| forgotten.push(*e));
        assert_eq!(forgotten.len(), 2 * CHUNK + 11);
        assert_eq!(log.first(), log.len());
        assert_eq!(log.kept(), 0);
        assert_eq!(log.iter().count(), 0);
        log.push(7);
        assert_eq!(log[3 * CHUNK + 11], 7);
        assert_eq!(log.first(), 3 * CHUNK + 11);
    }
}
