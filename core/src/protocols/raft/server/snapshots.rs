//! Log compaction and InstallSnapshot (§7, Figure 13): the applied prefix is folded into a
//! snapshot of the state machine (with its client sessions), and a follower whose next entry
//! was compacted away receives the snapshot instead.

use super::RaftServer;
use crate::kernel::node::Ctx;
use crate::kernel::types::NodeId;
use crate::protocols::raft::machine::{RaftHost, StateMachine};
use crate::protocols::raft::msg::RaftMsg;
use crate::protocols::raft::storage::SnapshotData;
use crate::protocols::raft::Mutant;

impl<M: RaftHost> RaftServer<M> {
    /// Fold the applied prefix into a snapshot once `snapshot_every` entries piled up (§7).
    /// Run at the start of an input, so the checkers have seen every entry before it goes.
    pub(super) fn maybe_compact(&mut self, ctx: &mut Ctx<'_, M>) {
        let every = self.config.snapshot_every;
        let upto = self.last_applied;
        if every == 0 || upto < self.durable.snapshot.last_index + every {
            return;
        }
        let Some(term) = self.durable.term_at(upto) else {
            return;
        };
        let drop = usize::try_from(upto - self.durable.snapshot.last_index).unwrap_or(0);
        self.durable.log.drain(..drop.min(self.durable.log.len()));
        let mut state = self.state.clone();
        if self.mutant() == Some(Mutant::SnapshotForgetsSessions) {
            state.forget_sessions();
        }
        self.durable.snapshot = SnapshotData {
            last_index: upto,
            last_term: term,
            state,
        };
        if let Some(u) = self.unsynced_from {
            self.unsynced_from = Some(u.max(upto + 1));
        }
        ctx.count("snapshots_taken");
        ctx.note(format_args!(
            "snapshot up to index {upto}@{term}; log compacted"
        ));
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_install_snapshot(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
        state: M::Sm,
        round: u64,
    ) {
        let current = self.durable.current_term;
        let reply = |ctx: &mut Ctx<'_, M>, match_index: u64| {
            ctx.send(
                from,
                RaftMsg::InstallSnapshotReply {
                    term: current,
                    match_index,
                    round,
                },
            );
        };
        if term < current {
            reply(ctx, 0);
            return;
        }
        self.follow(ctx, from);
        if last_index <= self.commit_index {
            // We already hold everything it covers (committed entries match everywhere).
            reply(ctx, last_index);
            return;
        }
        // Figure 13: keep the log after the snapshot if it agrees there; else drop it all.
        if self.durable.term_at(last_index) == Some(last_term) {
            let keep_from = usize::try_from(last_index - self.durable.snapshot.last_index)
                .unwrap_or(usize::MAX)
                .min(self.durable.log.len());
            self.durable.log.drain(..keep_from);
        } else {
            self.durable.log.clear();
            self.truncations += 1;
        }
        self.durable.snapshot = SnapshotData {
            last_index,
            last_term,
            state: state.clone(),
        };
        if self.mutant() != Some(Mutant::FollowerIgnoresSnapshotState) {
            self.state = state;
        }
        self.commit_index = last_index;
        self.last_applied = last_index;
        self.unsynced_from = None;
        ctx.count("snapshots_installed");
        if self.durable.snapshot.state.session_count() > 0 {
            ctx.count("snapshots_installed_with_sessions");
        }
        ctx.note(format_args!(
            "installed snapshot up to {last_index}@{last_term} from {from}"
        ));
        reply(ctx, last_index);
    }
}
