//! The table of messages on the wire, indexed by message id.
//!
//! Message ids are handed out in increasing order and most messages arrive soon after they are
//! sent, so the table is a sliding window: a deque of slots starting at the oldest id still in
//! flight. Lookups, inserts and removals are O(1), and iteration is in id order (deterministic).
//!
//! The window holds only small slot numbers; the messages themselves live in a slab whose
//! freed entries are reused. One message held for long (across a partition, say) keeps the
//! window open behind it over every later id: that costs four bytes per id, not a message's
//! size, and the messages are never moved when the window grows.

use crate::kernel::types::MsgId;
use std::collections::VecDeque;

/// No message under this id (delivered, dropped, or never sent).
const NONE: u32 = u32::MAX;

/// Messages in flight (or waiting), by id.
#[derive(Clone, Debug)]
pub struct InFlightTable<T> {
    /// Id of `window[0]`.
    base: u64,
    /// Per id from `base` on: where its message is in `slab`, or `NONE`.
    window: VecDeque<u32>,
    /// The messages; `None` entries are free (their numbers are in `free`).
    slab: Vec<Option<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for InFlightTable<T> {
    fn default() -> Self {
        InFlightTable {
            base: 0,
            window: VecDeque::new(),
            slab: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> InFlightTable<T> {
    /// Position of `id` in the window, if it is not before it.
    fn index(&self, id: MsgId) -> Option<usize> {
        id.0.checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
    }

    /// The slab entry of `id`, if a message is stored under it.
    fn slot(&self, id: MsgId) -> Option<usize> {
        let at = *self.window.get(self.index(id)?)?;
        (at != NONE).then_some(at as usize)
    }

    /// Stores `value` under `id` (ids are inserted in increasing order; replacing is allowed).
    pub fn insert(&mut self, id: MsgId, value: T) {
        if self.window.is_empty() {
            self.base = id.0;
        }
        let Some(i) = self.index(id) else {
            debug_assert!(false, "message ids go up");
            return;
        };
        if self.window.len() <= i {
            self.window.resize(i + 1, NONE);
        }
        if let Some(at) = self.slot(id) {
            self.slab[at] = Some(value);
            return;
        }
        let at = match self.free.pop() {
            Some(at) => {
                self.slab[at as usize] = Some(value);
                at
            }
            None => {
                self.slab.push(Some(value));
                u32::try_from(self.slab.len() - 1).unwrap_or(NONE)
            }
        };
        self.window[i] = at;
        self.len += 1;
    }

    /// The message under `id`.
    pub fn get(&self, id: MsgId) -> Option<&T> {
        self.slab.get(self.slot(id)?)?.as_ref()
    }

    /// The message under `id`, mutably.
    pub fn get_mut(&mut self, id: MsgId) -> Option<&mut T> {
        let at = self.slot(id)?;
        self.slab.get_mut(at)?.as_mut()
    }

    /// Whether a message is stored under `id`.
    pub fn contains(&self, id: MsgId) -> bool {
        self.get(id).is_some()
    }

    /// Takes the message under `id` out of the table.
    pub fn remove(&mut self, id: MsgId) -> Option<T> {
        let i = self.index(id)?;
        let at = *self.window.get(i)?;
        let value = self.slab.get_mut(at as usize)?.take()?;
        self.window[i] = NONE;
        self.free.push(at);
        self.len -= 1;
        while self.window.front() == Some(&NONE) {
            self.window.pop_front();
            self.base += 1;
        }
        Some(value)
    }

    /// How many messages are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no message is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every message with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (MsgId, &T)> {
        let base = self.base;
        self.window.iter().enumerate().filter_map(move |(i, &at)| {
            let value = self.slab.get(at as usize)?.as_ref()?;
            Some((MsgId(base + i as u64), value))
        })
    }

    /// Every message, mutably, in no particular order (for changes that do not depend on
    /// one another).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slab.iter_mut().filter_map(Option::as_mut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut t = InFlightTable::default();
        let mut model = std::collections::BTreeMap::new();
        let mut next = 0u64;
        let mut rng = crate::kernel::rng::SimRng::new(5);
        for _ in 0..5000 {
            if rng.chance(0.55) {
                t.insert(MsgId(next), next * 10);
                model.insert(next, next * 10);
                next += 1;
            } else if next > 0 {
                let id = rng.range_inclusive(0, next - 1);
                assert_eq!(t.remove(MsgId(id)), model.remove(&id));
            }
            assert_eq!(t.len(), model.len());
        }
        let got: Vec<(u64, u64)> = t.iter().map(|(k, v)| (k.0, *v)).collect();
        let want: Vec<(u64, u64)> = model.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(got, want);
        for v in t.values_mut() {
            *v += 1;
        }
        t.insert(MsgId(next - 1), 7); // replacing keeps one entry
        model.insert(next - 1, 6);
        for v in model.values_mut() {
            *v += 1;
        }
        let got: Vec<(u64, u64)> = t.iter().map(|(k, v)| (k.0, *v)).collect();
        let want: Vec<(u64, u64)> = model.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(got, want);
        assert_eq!(t.len(), model.len());
        assert!(t.get(MsgId(next + 5)).is_none());
        assert!(!t.contains(MsgId(u64::MAX)));
    }
}
