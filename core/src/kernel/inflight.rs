//! The table of messages on the wire, indexed by message id.
//!
//! Message ids are handed out in increasing order and most messages arrive soon after they are
//! sent, so the table is a sliding window: a deque of slots starting at the oldest id still in
//! flight. Lookups, inserts and removals are O(1), and iteration is in id order (deterministic).

use crate::kernel::types::MsgId;
use std::collections::VecDeque;

/// Messages in flight (or waiting), by id.
#[derive(Clone, Debug)]
pub struct InFlightTable<T> {
    /// Id of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<T>>,
    len: usize,
}

impl<T> Default for InFlightTable<T> {
    fn default() -> Self {
        InFlightTable {
            base: 0,
            slots: VecDeque::new(),
            len: 0,
        }
    }
}

impl<T> InFlightTable<T> {
    fn index(&self, id: MsgId) -> Option<usize> {
        id.0.checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
    }

    /// Insert a message. Ids must be inserted in increasing order (the simulator's counter).
    pub fn insert(&mut self, id: MsgId, value: T) {
        if self.slots.is_empty() {
            self.base = id.0;
        }
        let Some(i) = self.index(id) else {
            debug_assert!(false, "message ids go up");
            return;
        };
        while self.slots.len() <= i {
            self.slots.push_back(None);
        }
        if self.slots[i].replace(value).is_none() {
            self.len += 1;
        }
    }

    /// The message with this id, if in flight.
    pub fn get(&self, id: MsgId) -> Option<&T> {
        self.slots.get(self.index(id)?)?.as_ref()
    }

    /// The message with this id, mutably.
    pub fn get_mut(&mut self, id: MsgId) -> Option<&mut T> {
        let i = self.index(id)?;
        self.slots.get_mut(i)?.as_mut()
    }

    /// Whether a message with this id is in flight.
    pub fn contains(&self, id: MsgId) -> bool {
        self.get(id).is_some()
    }

    /// Take a message out.
    pub fn remove(&mut self, id: MsgId) -> Option<T> {
        let i = self.index(id)?;
        let value = self.slots.get_mut(i)?.take()?;
        self.len -= 1;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(value)
    }

    /// Number of messages in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every message, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (MsgId, &T)> {
        let base = self.base;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_ref().map(|v| (MsgId(base + i as u64), v)))
    }

    /// Every message, mutably, in id order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().filter_map(|s| s.as_mut())
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
        assert!(t.get(MsgId(next + 5)).is_none());
        assert!(!t.contains(MsgId(u64::MAX)));
    }
}
