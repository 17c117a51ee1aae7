//! A bounded trace for runs that last for hours.
//!
//! The trace is what the page's event log and space-time diagram read, and it grows with every
//! event. Left alone for an hour at top speed it would hold millions of entries. A simulator can
//! be told to keep only a window of its most recent entries ([`Simulator::set_trace_window`]):
//! older ones are forgotten a chunk at a time, the indices of the rest do not change, and the
//! determinism fingerprint ([`Simulator::trace_hash`]) stays the hash of the *whole* trace, since
//! every entry is folded into it before it is forgotten. Nothing else reads the trace back, so
//! the run itself is unchanged: same seed, same actions, same events, windowed or not.

use super::Simulator;
use crate::kernel::node::Model;
use crate::kernel::trace::Fnv64;
use std::fmt::Write as _;

/// What a simulator keeps of its trace, and the fingerprint of what it forgot.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TraceWindow {
    /// Most entries kept (`None`: all of them).
    limit: Option<usize>,
    /// FNV-1a state over the entries before `hashed`.
    hash: Fnv64,
    /// Entries folded into `hash` (never fewer than the trace's first kept index).
    hashed: usize,
}

/// Entries allowed past the window before forgetting: a quarter of it, so forgetting happens
/// a batch of chunks at a time.
pub(crate) fn slack(limit: usize) -> usize {
    limit / 4 + 1
}

impl<M: Model> Simulator<M> {
    /// Keep at most about `limit` of the most recent trace entries (`None`: keep everything,
    /// the default). The run is unaffected; see the module docs.
    pub fn set_trace_window(&mut self, limit: Option<usize>) {
        self.window.limit = limit;
        self.keep_window();
    }

    /// The window set by [`Simulator::set_trace_window`].
    pub fn trace_window(&self) -> Option<usize> {
        self.window.limit
    }

    /// Forget entries past the window, if any; called after every recorded entry.
    pub(super) fn keep_window(&mut self) {
        if let Some(limit) = self.window.limit {
            let len = self.trace.len();
            if len - self.trace.first() > limit + slack(limit) {
                self.forget_trace_before(len - limit);
            }
        }
    }

    /// Fold every entry so far into the fingerprint, so a clone taken now can forget its whole
    /// trace later without formatting anything ([`Simulator::forget_trace_before`]). A no-op
    /// unless a window is set.
    pub fn settle_trace_hash(&mut self) {
        if self.window.limit.is_some() {
            self.fold_until(self.trace.len());
        }
    }

    /// Forget the trace before `index` (whole chunks), folding it into the fingerprint first.
    pub fn forget_trace_before(&mut self, index: usize) {
        self.fold_until(index);
        self.trace.forget_before(index, |_| {});
    }

    /// The fingerprint over entries `..index` (entries already folded are skipped).
    fn fold_until(&mut self, index: usize) {
        let from = self.window.hashed.max(self.trace.first());
        let mut h = self.window.hash;
        for e in self.trace.iter_from(from).take(index.saturating_sub(from)) {
            // Writing into an FNV hasher cannot fail.
            let _ = writeln!(h, "{e}");
        }
        self.window.hash = h;
        self.window.hashed = self.window.hashed.max(index);
    }

    /// FNV-1a hash of the trace's text form (the determinism fingerprint), over the whole run
    /// even when older entries were forgotten.
    pub fn trace_hash(&self) -> u64 {
        let mut h = self.window.hash;
        let from = self.window.hashed.max(self.trace.first());
        for e in self.trace.iter_from(from) {
            // Writing into an FNV hasher cannot fail.
            let _ = writeln!(h, "{e}");
        }
        h.finish()
    }
}
