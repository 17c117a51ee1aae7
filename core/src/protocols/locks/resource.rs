//! The protected resource (`c1`): a storage node that, with fencing on, accepts a write only
//! if its token is at least the highest token it has seen for that lock (Kleppmann, "How to
//! do distributed locking", 2016).

use super::client::LockClient;
use super::table::{LockOp, LockOutcome};
use super::{LockMutant, Locks};
use crate::kernel::node::Ctx;
use crate::kernel::types::{NodeId, Time};
use crate::protocols::raft::msg::{ClientResult, RaftMsg};

/// A write the resource received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteRecord {
    /// When.
    pub at: Time,
    /// The writer.
    pub from: NodeId,
    /// The lock it wrote under.
    pub lock: String,
    /// Its token.
    pub token: u64,
    /// The highest token the resource had seen for the lock before it.
    pub highest_before: u64,
    /// Whether the resource accepted it.
    pub accepted: bool,
}

impl LockClient {
    pub(super) fn on_resource_write(
        &mut self,
        ctx: &mut Ctx<'_, Locks>,
        from: NodeId,
        seq: u64,
        op: LockOp,
    ) {
        let LockOp::Write { lock, token } = op else {
            return;
        };
        let highest = self.highest.get(&lock).copied().unwrap_or(0);
        let check = self.config.fencing && self.mutant() != Some(LockMutant::NoFencingCheck);
        let accepted = !check || token >= highest;
        if accepted {
            if token < highest {
                ctx.count("stale_writes_accepted");
                ctx.note(format_args!(
                    "accepts {from}'s write under {lock} with stale token {token} (it has seen \
                     {highest}): the data is corrupted"
                ));
            }
            self.highest.insert(lock.clone(), highest.max(token));
        } else {
            ctx.count("fenced_writes_rejected");
            ctx.note(format_args!(
                "rejects {from}'s write under {lock}: token {token} is below {highest}"
            ));
        }
        self.writes.push(WriteRecord {
            at: ctx.now,
            from,
            lock,
            token,
            highest_before: highest,
            accepted,
        });
        let outcome = if accepted {
            LockOutcome::WriteAccepted
        } else {
            LockOutcome::WriteRejected { highest }
        };
        ctx.send(
            from,
            RaftMsg::ClientReply {
                seq,
                result: ClientResult::Done(outcome),
            },
        );
    }
}
