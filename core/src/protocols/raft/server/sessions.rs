//! Client interaction (§8): followers redirect clients to the leader they know; the leader
//! appends each command once — a retry or a network duplicate carrying a sequence number the
//! session already holds is answered from the session or waits for the entry in the log — and
//! answers when it applies.

use super::{RaftRole, RaftServer};
use crate::kernel::node::Ctx;
use crate::kernel::types::NodeId;
use crate::protocols::raft::machine::{Command, RaftHost, StateMachine};
use crate::protocols::raft::msg::{ClientResult, Entry, RaftMsg, RaftTimer};
use crate::protocols::raft::{Mutant, ReadMode};

impl<M: RaftHost> RaftServer<M> {
    pub(super) fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        seq: u64,
        op: <M::Sm as StateMachine>::Op,
    ) {
        if self.role != RaftRole::Leader {
            if let Some(outcome) = self.state.follower_answer(&op) {
                ctx.note(format_args!(
                    "answers {from} from its own table without the leader: {outcome}"
                ));
                ctx.send(
                    from,
                    RaftMsg::ClientReply {
                        seq,
                        result: ClientResult::Done(outcome),
                    },
                );
                return;
            }
            ctx.note(format_args!(
                "redirects {from} to {}",
                self.leader
                    .map_or("nobody (no known leader)".to_string(), |l| l.to_string())
            ));
            ctx.send(
                from,
                RaftMsg::ClientReply {
                    seq,
                    result: ClientResult::Redirect {
                        leader: self.leader,
                    },
                },
            );
            return;
        }
        if M::Sm::read_key(&op).is_some() && self.config.read_mode != ReadMode::Log {
            self.start_read(ctx, from, seq, op);
            return;
        }
        // Exactly once: a command already applied is answered from the session; one already
        // in the log waits for it (a retry or a network duplicate appends nothing new).
        let sessions = self.mutant() != Some(Mutant::NoClientSessions);
        if let Some((s_seq, s_outcome)) = self.state.session(from).filter(|_| sessions) {
            if seq < s_seq {
                ctx.count("duplicates_caught");
                return;
            }
            if seq == s_seq {
                ctx.count("duplicates_caught");
                let outcome = s_outcome.clone();
                ctx.send(
                    from,
                    RaftMsg::ClientReply {
                        seq,
                        result: ClientResult::Done(outcome),
                    },
                );
                return;
            }
        }
        if sessions && self.lead.waiting.values().any(|w| *w == (from, seq)) {
            ctx.count("duplicates_caught");
            return;
        }
        self.durable.log.push(Entry {
            term: self.durable.current_term,
            command: Command::Client {
                client: from,
                seq,
                op,
            },
        });
        let index = self.last_index();
        self.lead.waiting.insert(index, (from, seq));
        self.lead.match_index[self.id.index()] = index;
        self.advance_commit(ctx);
        if self.config.batching {
            if !self.lead.batch_open {
                self.lead.batch_open = true;
                ctx.set_timer(RaftTimer::Batch, self.config.batch_delay_ms);
            }
        } else {
            self.push_entries(ctx);
        }
    }
}
