//! Fair queues with priorities and aging: the order in which a lock's waiters are served.
//!
//! Waiters are served first come first served, unless they asked for a priority. Every
//! request carries a priority from 0 (the default) to [`MAX_PRIORITY`]; a waiter's **effective
//! priority** rises by one for every `aging_entries` log entries it has waited, up to
//! [`MAX_PRIORITY`]:
//!
//! ```text
//! effective = min(MAX_PRIORITY, priority + (index − since) / aging_entries)
//! ```
//!
//! where `since` is the log index of the entry that queued it and `index` the entry being
//! applied. Waiting is measured in log entries — time every replica knows alike — never in a
//! clock. The queue is served in order of effective priority (highest first), then arrival
//! (lowest `since` first). Among equal priorities this is plain FIFO; and aging bounds
//! starvation: once a waiter has waited `(MAX_PRIORITY − priority) × aging_entries` entries its
//! effective priority is the highest there is, so no request that arrives later is served
//! before it (the **aging bound**, checked by `fifo-modulo-priorities`). Grants go from the
//! head of that order while the head is compatible with every holder: nobody skips the head.
//!
//! (Priority with aging as in operating-system schedulers — Silberschatz, Galvin & Gagne,
//! *Operating System Concepts*, §5.3.4 "Priority scheduling": "aging … gradually increasing
//! the priority of processes that wait in the system for a long time".)

use super::table::Waiter;

/// The highest priority a request may ask for (0 is the default, the lowest).
pub const MAX_PRIORITY: u8 = 3;

/// Log entries a waiter waits per step of aging, unless configured (`aging_entries`).
pub const DEFAULT_AGING_ENTRIES: u64 = 16;

/// A waiter's effective priority at log index `index`: its priority raised by one per
/// `aging_entries` entries waited since `since`, capped at [`MAX_PRIORITY`].
pub fn effective_priority(priority: u8, since: u64, index: u64, aging_entries: u64) -> u8 {
    let aged = index.saturating_sub(since) / aging_entries.max(1);
    let p = u64::from(priority.min(MAX_PRIORITY)).saturating_add(aged);
    u8::try_from(p.min(u64::from(MAX_PRIORITY))).unwrap_or(MAX_PRIORITY)
}

/// How the table orders a queue (the correct rule, or a mutant's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// Log entries per step of aging (0: [`DEFAULT_AGING_ENTRIES`]).
    pub aging_entries: u64,
    /// Mutant `no-aging`: priorities are served as asked, never aged.
    pub no_aging: bool,
    /// Mutant `lifo-queue`: among equal effective priorities the newest waiter goes first.
    pub lifo: bool,
}

impl Rule {
    /// Entries per step of aging.
    pub fn aging(&self) -> u64 {
        if self.aging_entries == 0 {
            DEFAULT_AGING_ENTRIES
        } else {
            self.aging_entries
        }
    }

    /// `w`'s effective priority at `index` under this rule.
    pub fn effective(&self, w: &Waiter, index: u64) -> u8 {
        if self.no_aging {
            w.priority.min(MAX_PRIORITY)
        } else {
            effective_priority(w.priority, w.since, index, self.aging())
        }
    }

    /// The positions in `queue` (arrival order) in the order they are served at `index`.
    pub fn order<'a>(&self, queue: impl Iterator<Item = &'a Waiter>, index: u64) -> Vec<usize> {
        let mut keyed: Vec<(u8, u64, usize)> = queue
            .enumerate()
            .map(|(i, w)| (self.effective(w, index), w.since, i))
            .collect();
        let lifo = self.lifo;
        keyed.sort_by(|a, b| {
            let arrival = if lifo {
                (b.1, b.2).cmp(&(a.1, a.2))
            } else {
                (a.1, a.2).cmp(&(b.1, b.2))
            };
            b.0.cmp(&a.0).then(arrival)
        });
        keyed.into_iter().map(|(_, _, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::types::NodeId;
    use crate::protocols::locks::table::Mode;

    fn w(client: u32, since: u64, priority: u8) -> Waiter {
        Waiter {
            client: NodeId::client(client as usize),
            mode: Mode::Exclusive,
            since,
            priority,
        }
    }

    #[test]
    fn effective_priority_ages_by_log_entries_and_caps() {
        assert_eq!(effective_priority(0, 10, 10, 4), 0);
        assert_eq!(effective_priority(0, 10, 13, 4), 0);
        assert_eq!(effective_priority(0, 10, 14, 4), 1);
        assert_eq!(effective_priority(1, 10, 22, 4), 3);
        assert_eq!(effective_priority(0, 10, 1000, 4), MAX_PRIORITY);
        assert_eq!(effective_priority(9, 10, 10, 4), MAX_PRIORITY);
        // An index before `since` (never in the table) is no age at all.
        assert_eq!(effective_priority(2, 10, 3, 4), 2);
    }

    #[test]
    fn fifo_among_equals_priority_first_and_aging_lifts_the_old() {
        let rule = Rule {
            aging_entries: 4,
            ..Rule::default()
        };
        // Equal priorities: arrival order.
        let q = [w(2, 5, 0), w(3, 6, 0), w(4, 7, 0)];
        assert_eq!(rule.order(q.iter(), 8), vec![0, 1, 2]);
        // A later, higher priority goes first while the old waiter is young...
        let q = [w(2, 5, 0), w(3, 6, 2)];
        assert_eq!(rule.order(q.iter(), 7), vec![1, 0]);
        // (both age: at index 13 the newcomer is still above, 3 against 2)...
        assert_eq!(rule.order(q.iter(), 13), vec![1, 0]);
        // ...but not once the old waiter has aged to the top (the aging bound: 3 × 4
        // entries): a tie, and ties go by arrival.
        assert_eq!(rule.order(q.iter(), 17), vec![0, 1]);
        // The mutants: no aging keeps the newcomer first; LIFO serves the newest of equals.
        let no_aging = Rule {
            no_aging: true,
            ..rule
        };
        assert_eq!(no_aging.order(q.iter(), 1000), vec![1, 0]);
        let lifo = Rule { lifo: true, ..rule };
        let q = [w(2, 5, 0), w(3, 6, 0)];
        assert_eq!(lifo.order(q.iter(), 7), vec![1, 0]);
    }
}
