//! The participant's handlers: vote (no-wait locking, a constraint, refusal, read-only), force
//! the prepared record, block in doubt and ask, apply the decision, recover, and — in 3PC — run
//! the termination protocol with its peers.

use super::msg::{CommitMsg, CommitReply, Outcome, PState, TxnId, Vote, Work};
use super::node::{Audit, CommitServer, CommitTimer, PreparedRec, Via};
use super::{AtomicCommit, Mutant};
use crate::kernel::node::Ctx;
use crate::kernel::types::NodeId;

/// How many recent votes a participant remembers to answer duplicate Prepares alike.
const RECENT_VOTES: usize = 256;

impl CommitServer {
    /// (Re)start: every prepared record is still in doubt — its locks are held again (they are
    /// derived from the records) and the coordinator is asked at once.
    pub(crate) fn part_start(&mut self, ctx: &mut Ctx<'_, AtomicCommit>) {
        let txns: Vec<TxnId> = self.d.prepared.keys().copied().collect();
        for txn in txns {
            ctx.count("participant_recoveries");
            ctx.note(format_args!(
                "recovery: prepared record for {txn}, still in doubt: asking {}",
                self.config.coordinator
            ));
            let alone = self.alone(txn);
            ctx.send(self.config.coordinator, CommitMsg::Query { txn, alone });
            self.asks.insert(txn, 1);
            ctx.set_timer(CommitTimer::InDoubt(txn), self.in_doubt_ms());
        }
    }

    /// How long a freshly prepared participant waits before it first asks (2PC) or starts
    /// the termination protocol (3PC): long enough for the coordinator to have collected the
    /// votes or timed out on them. 3PC relies on this bound being right (a synchronous
    /// network); 2PC only asks earlier or later.
    fn in_doubt_ms(&self) -> u64 {
        self.config.vote_timeout_ms + self.config.retry_ms
    }

    pub(crate) fn set_refuse(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, on: bool) -> String {
        self.refuse = on;
        let what = if on {
            format!("{} will vote no on every Prepare", self.id)
        } else {
            format!("{} votes normally again", self.id)
        };
        ctx.note(what.clone());
        what
    }

    pub(crate) fn part_message(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        from: NodeId,
        msg: CommitMsg,
    ) {
        match msg {
            CommitMsg::Prepare { txn, work, writers } => {
                self.on_prepare(ctx, from, txn, work, writers);
            }
            CommitMsg::PreCommit { txn } => {
                if let Some(rec) = self.d.prepared.get_mut(&txn) {
                    if rec.state == PState::Prepared {
                        rec.state = PState::PreCommitted;
                        ctx.note(format_args!("{txn} pre-committed"));
                    }
                    ctx.send(from, CommitMsg::PreAck { txn });
                    ctx.set_timer(CommitTimer::InDoubt(txn), self.in_doubt_ms());
                }
            }
            CommitMsg::Commit { txn } => {
                let via = if from == self.config.coordinator {
                    Via::Coordinator
                } else {
                    Via::Peers
                };
                self.apply(ctx, txn, Outcome::Commit, via);
                if from == self.config.coordinator {
                    ctx.send(from, CommitMsg::Ack { txn });
                }
            }
            CommitMsg::Abort { txn } => {
                let via = if from == self.config.coordinator {
                    Via::Coordinator
                } else {
                    Via::Peers
                };
                self.apply(ctx, txn, Outcome::Abort, via);
            }
            CommitMsg::StateReq { txn } => {
                let state = self.state_of(txn);
                ctx.send(from, CommitMsg::StateResp { txn, state });
            }
            CommitMsg::StateResp { txn, state } => {
                if let Some(heard) = self.terminating.get_mut(&txn) {
                    heard.insert(from, state);
                }
            }
            CommitMsg::SetRefuse { req, on } => {
                let done = self.set_refuse(ctx, on);
                ctx.send(
                    from,
                    CommitMsg::Outcome {
                        req,
                        reply: CommitReply::Done(done),
                    },
                );
            }
            CommitMsg::Begin { req, .. } => ctx.send(
                from,
                CommitMsg::Outcome {
                    req,
                    reply: CommitReply::Rejected(format!(
                        "{} is a participant; send transactions to the coordinator {}",
                        self.id, self.config.coordinator
                    )),
                },
            ),
            _ => {}
        }
    }

    /// Whether this participant is the only writer of `txn`.
    fn alone(&self, txn: TxnId) -> bool {
        self.d
            .prepared
            .get(&txn)
            .is_some_and(|r| r.writers.iter().all(|w| *w == self.id))
    }

    fn state_of(&self, txn: TxnId) -> PState {
        if let Some(rec) = self.d.prepared.get(&txn) {
            rec.state
        } else {
            match self.d.done.get(&txn) {
                Some(Outcome::Commit) => PState::Committed,
                Some(Outcome::Abort) => PState::Aborted,
                None => PState::Unknown,
            }
        }
    }

    /// The vote, and why (no-wait locking: a conflict is a no, never a wait).
    fn decide_vote(&mut self, txn: TxnId, work: &Work) -> (Vote, String) {
        if self.refuse {
            return (Vote::No, "told to refuse".into());
        }
        if let Some((k, v)) = work.writes.iter().find(|(_, v)| **v < 0) {
            return (Vote::No, format!("constraint: {k} must be ≥ 0, not {v}"));
        }
        let conflict = {
            let locks = self.locks();
            work.keys().find_map(|key| {
                let (holder, written) = locks.get(key.as_str())?;
                // Reads share with reads; anything else conflicts.
                (*holder != txn && (*written || work.writes.contains_key(key)))
                    .then(|| format!("lock conflict: {key} is locked by {holder} (no-wait)"))
            })
        };
        if let Some(why) = conflict {
            self.conflicts += 1;
            return (Vote::No, why);
        }
        if work.read_only() {
            let values: Vec<String> = work
                .reads
                .iter()
                .map(|k| match self.d.store.get(k) {
                    Some(v) => format!("{k}={v}"),
                    None => format!("{k}=∅"),
                })
                .collect();
            return (Vote::ReadOnly, format!("read {}", values.join(",")));
        }
        (Vote::Yes, String::new())
    }

    fn on_prepare(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        from: NodeId,
        txn: TxnId,
        work: Work,
        writers: Vec<NodeId>,
    ) {
        // Duplicates get the same answer.
        if self.d.prepared.contains_key(&txn) {
            ctx.send(
                from,
                CommitMsg::Vote {
                    txn,
                    vote: Vote::Yes,
                },
            );
            return;
        }
        match self.d.done.get(&txn) {
            Some(Outcome::Abort) => {
                ctx.send(
                    from,
                    CommitMsg::Vote {
                        txn,
                        vote: Vote::No,
                    },
                );
                return;
            }
            Some(Outcome::Commit) => {
                ctx.send(
                    from,
                    CommitMsg::Vote {
                        txn,
                        vote: Vote::Yes,
                    },
                );
                return;
            }
            None => {}
        }
        if let Some(vote) = self.votes.get(&txn) {
            ctx.send(from, CommitMsg::Vote { txn, vote: *vote });
            return;
        }
        let (vote, why) = self.decide_vote(txn, &work);
        self.audit.push(Audit::Voted { txn, vote });
        self.votes.insert(txn, vote);
        while self.votes.len() > RECENT_VOTES {
            self.votes.pop_first();
        }
        match vote {
            Vote::No => {
                ctx.count(if why.starts_with("lock conflict") {
                    "lock_conflicts"
                } else {
                    "votes_no"
                });
                if work.read_only() {
                    // Nothing was written here: nothing to abort, nothing to remember.
                    ctx.note(format_args!("{txn}: votes no ({why})"));
                } else {
                    ctx.note(format_args!("{txn}: votes no ({why}); aborts at once"));
                    self.apply(ctx, txn, Outcome::Abort, Via::Alone);
                }
            }
            Vote::ReadOnly => {
                ctx.count("read_only_votes");
                ctx.note(format_args!(
                    "{txn}: {why}; votes read-only and leaves phase two"
                ));
            }
            Vote::Yes => {
                let keys: Vec<&String> = work.keys().collect();
                ctx.note(format_args!(
                    "{txn}: prepared record forced ({work}); locks {}; votes yes",
                    keys.iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ));
                self.d.prepared.insert(
                    txn,
                    PreparedRec {
                        work,
                        writers,
                        state: PState::Prepared,
                        since: ctx.now,
                    },
                );
                self.audit.push(Audit::Prepared { txn });
                ctx.count("prepared");
                self.asks.insert(txn, 0);
                ctx.set_timer(CommitTimer::InDoubt(txn), self.in_doubt_ms());
            }
        }
        ctx.send(from, CommitMsg::Vote { txn, vote });
    }

    /// Apply an outcome: commit writes the prepared values to the store; both release the
    /// locks and drop the prepared record. Repeats are harmless.
    pub(crate) fn apply(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        txn: TxnId,
        outcome: Outcome,
        via: Via,
    ) {
        if let Some(prev) = self.d.done.get(&txn) {
            if *prev != outcome {
                ctx.note(format_args!(
                    "{txn}: told {outcome} but already applied {prev} — ignored"
                ));
            }
            return;
        }
        let rec = self.d.prepared.remove(&txn);
        if rec.is_none() && outcome == Outcome::Commit {
            // Never prepared here (e.g. a stale or stray Commit): there is nothing to apply.
            ctx.note(format_args!(
                "{txn}: commit for a transaction never prepared here — ignored"
            ));
            return;
        }
        if let Some(rec) = &rec {
            if outcome == Outcome::Commit {
                for (k, v) in &rec.work.writes {
                    self.d.store.insert(k.clone(), *v);
                }
            }
            let how = match via {
                Via::Coordinator => "from the coordinator",
                Via::Peers => "from the termination protocol",
                Via::Alone => "on its own",
            };
            ctx.note(format_args!("{txn} {outcome} ({how}); locks released"));
        }
        self.d.done.insert(txn, outcome);
        self.asks.remove(&txn);
        self.terminating.remove(&txn);
        ctx.cancel_timer(CommitTimer::InDoubt(txn));
        ctx.cancel_timer(CommitTimer::Terminate(txn));
        self.audit.push(Audit::Applied { txn, outcome, via });
    }

    pub(crate) fn part_timer(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, timer: CommitTimer) {
        match timer {
            CommitTimer::InDoubt(txn) => {
                let Some(rec) = self.d.prepared.get(&txn) else {
                    return;
                };
                if self.config.mutant_is(Mutant::PreparedAbortsOnTimeout) {
                    ctx.note(format_args!("{txn}: gave up waiting; aborting alone (bug)"));
                    self.apply(ctx, txn, Outcome::Abort, Via::Alone);
                    return;
                }
                if self.three_phase() {
                    // Ask the coordinator too: it may have the decision on its log.
                    let alone = rec.writers.iter().all(|w| *w == self.id);
                    ctx.send(self.config.coordinator, CommitMsg::Query { txn, alone });
                    let mut heard = std::collections::BTreeMap::new();
                    heard.insert(self.id, rec.state);
                    for w in rec.writers.iter().filter(|w| **w != self.id) {
                        ctx.send(*w, CommitMsg::StateReq { txn });
                    }
                    self.terminating.insert(txn, heard);
                    ctx.count("terminations");
                    ctx.note(format_args!(
                        "{txn}: coordinator silent; termination protocol asks the other writers"
                    ));
                    ctx.set_timer(CommitTimer::Terminate(txn), self.config.retry_ms);
                    return;
                }
                let since = rec.since;
                ctx.count("in_doubt_asks");
                let asks = self.asks.entry(txn).or_insert(0);
                *asks += 1;
                ctx.note(format_args!(
                    "{txn}: in doubt since t={since}, blocked holding its locks; asking {} (#{asks})",
                    self.config.coordinator
                ));
                let alone = self.alone(txn);
                ctx.send(self.config.coordinator, CommitMsg::Query { txn, alone });
                ctx.set_timer(CommitTimer::InDoubt(txn), self.config.retry_ms);
            }
            CommitTimer::Terminate(txn) => self.terminate(ctx, txn),
            _ => {}
        }
    }

    /// 3PC termination: decide from the states heard. Any committed ⇒ commit; any aborted or
    /// never-prepared ⇒ abort; any pre-committed ⇒ commit; all merely prepared ⇒ abort (under
    /// crash failures nobody can have committed). Under a partition the two sides can decide
    /// differently — the flaw the `2pc-vs-3pc-partition` scenario shows.
    fn terminate(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, txn: TxnId) {
        let Some(heard) = self.terminating.remove(&txn) else {
            return;
        };
        if !self.d.prepared.contains_key(&txn) {
            return;
        }
        if heard.len() < 2 {
            // Nobody answered: deciding from our own state alone is how a recovered
            // participant would contradict peers it cannot hear. Keep waiting and try again.
            ctx.note(format_args!(
                "{txn}: termination protocol heard no peer; still in doubt"
            ));
            ctx.set_timer(CommitTimer::InDoubt(txn), self.config.retry_ms);
            return;
        }
        let has = |s: PState| heard.values().any(|x| *x == s);
        let outcome = if has(PState::Committed) {
            Outcome::Commit
        } else if has(PState::Aborted) || has(PState::Unknown) {
            Outcome::Abort
        } else if has(PState::PreCommitted) {
            Outcome::Commit
        } else {
            Outcome::Abort
        };
        let states: Vec<String> = heard.iter().map(|(n, s)| format!("{n} {s}")).collect();
        ctx.note(format_args!(
            "{txn}: termination protocol heard [{}] ⇒ {outcome}",
            states.join(", ")
        ));
        let writers = self
            .d
            .prepared
            .get(&txn)
            .map(|r| r.writers.clone())
            .unwrap_or_default();
        self.apply(ctx, txn, outcome, Via::Peers);
        let msg = match outcome {
            Outcome::Commit => CommitMsg::Commit { txn },
            Outcome::Abort => CommitMsg::Abort { txn },
        };
        for w in writers.iter().filter(|w| **w != self.id) {
            ctx.send(*w, msg.clone());
        }
    }
}
