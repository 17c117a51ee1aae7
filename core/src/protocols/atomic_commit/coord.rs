//! The coordinator's handlers: begin, collect votes, decide, force the decision, finish phase
//! two, recover from the log, answer in-doubt participants (presumed abort).

use super::msg::{CommitMsg, CommitReply, Outcome, TxnId, TxnSpec, Vote};
use super::node::{Audit, CommitServer, CommitTimer, Finishing, LogRec, Origin, Phase2, Voting};
use super::{AtomicCommit, Mutant};
use crate::kernel::node::Ctx;
use crate::kernel::types::NodeId;
use std::collections::BTreeSet;

impl CommitServer {
    /// (Re)start: finish phase two of every commit on the log without an end record.
    pub(crate) fn coord_start(&mut self, ctx: &mut Ctx<'_, AtomicCommit>) {
        let open: Vec<(TxnId, Vec<NodeId>)> = self
            .d
            .log
            .iter()
            .filter_map(|r| match r {
                LogRec::Commit { txn, writers } if self.logged.get(txn) == Some(&false) => {
                    Some((*txn, writers.clone()))
                }
                _ => None,
            })
            .collect();
        for (txn, writers) in open {
            ctx.count("coordinator_recoveries");
            ctx.note(format!(
                "recovery: log has commit {txn} without end record: resending Commit"
            ));
            for w in &writers {
                ctx.send(*w, CommitMsg::Commit { txn });
            }
            self.finishing.insert(
                txn,
                Finishing {
                    writers,
                    acked: BTreeSet::new(),
                    phase: Phase2::Commit,
                    origin: None,
                },
            );
            ctx.set_timer(CommitTimer::Resend(txn), self.config.retry_ms);
        }
    }

    /// A transaction arrives from a client: number it, send Prepare (CanCommit) to every
    /// participant, start the vote timer.
    pub(crate) fn begin(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, spec: TxnSpec, origin: Origin) {
        if let Some(bad) = spec
            .parts
            .keys()
            .find(|p| p.index() >= self.servers || **p == self.id)
        {
            let why = if *bad == self.id {
                format!("{bad} is the coordinator, not a participant")
            } else {
                format!(
                    "unknown participant {bad}: this cluster has n1–n{} and {} coordinates",
                    self.servers, self.id
                )
            };
            Self::answer(ctx, origin, CommitReply::Rejected(why));
            return;
        }
        self.d.next_txn += 1;
        let txn = TxnId(self.d.next_txn);
        let writers = spec.writers();
        let readers: Vec<NodeId> = spec
            .parts
            .keys()
            .filter(|p| !writers.contains(p))
            .copied()
            .collect();
        self.audit.push(Audit::Begin {
            txn,
            writers: writers.clone(),
            readers,
            request: origin.request(),
        });
        ctx.note(format!("{txn} begins: {spec}"));
        for (p, work) in &spec.parts {
            ctx.send(
                *p,
                CommitMsg::Prepare {
                    txn,
                    work: work.clone(),
                    writers: writers.clone(),
                },
            );
        }
        self.voting.insert(
            txn,
            Voting {
                spec,
                origin,
                votes: Default::default(),
            },
        );
        ctx.set_timer(CommitTimer::Votes(txn), self.config.vote_timeout_ms);
    }

    pub(crate) fn coord_message(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        from: NodeId,
        msg: CommitMsg,
    ) {
        match msg {
            CommitMsg::Begin { req, spec } => {
                self.begin(ctx, spec, Origin::Actor { node: from, req });
            }
            CommitMsg::SetRefuse { req, .. } => ctx.send(
                from,
                CommitMsg::Outcome {
                    req,
                    reply: CommitReply::Rejected(format!(
                        "{} coordinates; `refuse`/`accept` are for participants",
                        self.id
                    )),
                },
            ),
            CommitMsg::Vote { txn, vote } => self.on_vote(ctx, from, txn, vote),
            CommitMsg::PreAck { txn } => {
                let Some(f) = self.finishing.get_mut(&txn) else {
                    return;
                };
                if f.phase == Phase2::PreCommit {
                    f.acked.insert(from);
                    if f.writers.iter().all(|w| f.acked.contains(w)) {
                        self.do_commit(ctx, txn);
                    }
                }
            }
            CommitMsg::Ack { txn } => self.on_ack(ctx, from, txn),
            CommitMsg::Query { txn, alone } => self.on_query(ctx, from, txn, alone),
            _ => {}
        }
    }

    fn on_vote(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, from: NodeId, txn: TxnId, vote: Vote) {
        let Some(v) = self.voting.get_mut(&txn) else {
            // Late or duplicate vote. A yes voter is in doubt: tell it what we know.
            if vote == Vote::Yes {
                self.tell_outcome(ctx, from, txn, false);
            }
            return;
        };
        if !v.spec.parts.contains_key(&from) || v.votes.contains_key(&from) {
            // Not a participant, or a duplicate: the first vote counts.
            return;
        }
        v.votes.insert(from, vote);
        if vote == Vote::No {
            self.decide_abort(ctx, txn, format!("{from} voted no"));
            return;
        }
        let all_voted = v.spec.parts.keys().all(|p| v.votes.contains_key(p));
        let yes: Vec<NodeId> = v
            .votes
            .iter()
            .filter(|(_, vote)| **vote == Vote::Yes)
            .map(|(p, _)| *p)
            .collect();
        let writers = v.spec.writers();
        let sloppy = self.config.mutant_is(Mutant::CommitWithoutAllVotes)
            && !writers.is_empty()
            && yes.len() * 2 > writers.len();
        if all_voted || sloppy {
            self.decide_commit(ctx, txn, if sloppy { writers } else { yes });
        }
    }

    /// What an in-doubt participant is told about `txn`: commit if the log (or, mutant, the
    /// memory) says so; nothing while still deciding; otherwise abort — presumed abort: no
    /// record means abort (2PC; a 3PC coordinator without a record stays silent and lets the
    /// participants' termination protocol decide — unless the asker is the only writer, when no
    /// peer can have decided anything).
    fn tell_outcome(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        to: NodeId,
        txn: TxnId,
        alone: bool,
    ) {
        if self.logged.contains_key(&txn) || self.unlogged.contains(&txn) {
            ctx.send(to, CommitMsg::Commit { txn });
        } else if self.voting.contains_key(&txn) || self.finishing.contains_key(&txn) {
            ctx.note(format!("{to} asks about {txn}: still deciding"));
        } else if !self.three_phase() || alone {
            if self.recent.get(&txn).map(|(o, _)| *o) != Some(Outcome::Abort) {
                self.audit.push(Audit::Decided {
                    txn,
                    outcome: Outcome::Abort,
                });
                self.remember(txn, Outcome::Abort, "no record: presumed abort".into());
            }
            ctx.count("presumed_aborts");
            ctx.note(format!("no record of {txn}: presumed abort"));
            ctx.send(to, CommitMsg::Abort { txn });
        }
    }

    fn on_query(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, from: NodeId, txn: TxnId, alone: bool) {
        self.tell_outcome(ctx, from, txn, alone);
    }

    fn on_ack(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, from: NodeId, txn: TxnId) {
        if self.unlogged.remove(&txn) {
            self.force_commit_record(ctx, txn);
        }
        let Some(f) = self.finishing.get_mut(&txn) else {
            return;
        };
        if f.phase != Phase2::Commit {
            return;
        }
        f.acked.insert(from);
        if f.writers.iter().all(|w| f.acked.contains(w)) {
            self.finishing.remove(&txn);
            self.d.log.push(LogRec::End { txn });
            self.logged.insert(txn, true);
            ctx.cancel_timer(CommitTimer::Resend(txn));
            ctx.note(format!(
                "{txn}: every writer acknowledged; end record written"
            ));
        }
    }

    fn force_commit_record(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, txn: TxnId) {
        let writers = self
            .finishing
            .get(&txn)
            .map(|f| f.writers.clone())
            .unwrap_or_default();
        self.d.log.push(LogRec::Commit { txn, writers });
        self.logged.insert(txn, false);
        ctx.note(format!("{txn}: commit record forced to the log"));
    }

    fn decide_abort(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, txn: TxnId, why: String) {
        let Some(v) = self.voting.remove(&txn) else {
            return;
        };
        ctx.cancel_timer(CommitTimer::Votes(txn));
        ctx.count("aborts");
        self.audit.push(Audit::Decided {
            txn,
            outcome: Outcome::Abort,
        });
        ctx.note(format!(
            "{txn} abort ({why}); not logged (presumed abort), no acks awaited"
        ));
        // Everyone who may be prepared hears it once; anyone who misses it will ask.
        for (p, work) in &v.spec.parts {
            if !work.read_only() && v.votes.get(p) != Some(&Vote::No) {
                ctx.send(*p, CommitMsg::Abort { txn });
            }
        }
        Self::answer(ctx, v.origin, CommitReply::Aborted(txn, why.clone()));
        self.remember(txn, Outcome::Abort, why);
    }

    fn decide_commit(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, txn: TxnId, writers: Vec<NodeId>) {
        let Some(v) = self.voting.remove(&txn) else {
            return;
        };
        ctx.cancel_timer(CommitTimer::Votes(txn));
        ctx.count("commits");
        if writers.is_empty() {
            // Everyone only read: nothing to make durable, no phase two.
            self.audit.push(Audit::Decided {
                txn,
                outcome: Outcome::Commit,
            });
            ctx.note(format!(
                "{txn} commit: every participant read-only, no log write, no phase two"
            ));
            Self::answer(ctx, v.origin, CommitReply::Committed(txn));
            self.remember(txn, Outcome::Commit, "all read-only".into());
            return;
        }
        let readonly = v.spec.parts.len() - writers.len();
        if self.three_phase() {
            // 3PC: nobody commits before everybody is pre-committed (or timed out). The
            // decision is made (and audited) when the commit record is forced, in `do_commit`.
            ctx.note(format!("{txn}: every writer voted yes; PreCommit"));
            for w in &writers {
                ctx.send(*w, CommitMsg::PreCommit { txn });
            }
            self.finishing.insert(
                txn,
                Finishing {
                    writers,
                    acked: BTreeSet::new(),
                    phase: Phase2::PreCommit,
                    origin: Some(v.origin),
                },
            );
            ctx.set_timer(CommitTimer::Resend(txn), self.config.retry_ms);
            return;
        }
        self.finishing.insert(
            txn,
            Finishing {
                writers: writers.clone(),
                acked: BTreeSet::new(),
                phase: Phase2::Commit,
                origin: None,
            },
        );
        self.audit.push(Audit::Decided {
            txn,
            outcome: Outcome::Commit,
        });
        if self.config.mutant_is(Mutant::CommitBeforeLog) {
            // Bug: the record is written later (on the first ack or retry).
            self.unlogged.insert(txn);
        } else {
            self.force_commit_record(ctx, txn);
        }
        let ro = if readonly > 0 {
            format!(" ({readonly} read-only participant(s) left after phase one)")
        } else {
            String::new()
        };
        ctx.note(format!("{txn} commit{ro}"));
        for w in &writers {
            ctx.send(*w, CommitMsg::Commit { txn });
        }
        ctx.set_timer(CommitTimer::Resend(txn), self.config.retry_ms);
        Self::answer(ctx, v.origin, CommitReply::Committed(txn));
        self.remember(txn, Outcome::Commit, "every writer voted yes".into());
    }

    /// 3PC: the pre-commit round is over (all acknowledged, or timed out): force the commit
    /// record and send DoCommit.
    fn do_commit(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, txn: TxnId) {
        let Some(f) = self.finishing.get_mut(&txn) else {
            return;
        };
        f.phase = Phase2::Commit;
        f.acked.clear();
        let writers = f.writers.clone();
        let origin = f.origin.take();
        self.audit.push(Audit::Decided {
            txn,
            outcome: Outcome::Commit,
        });
        self.force_commit_record(ctx, txn);
        ctx.note(format!("{txn}: DoCommit"));
        for w in &writers {
            ctx.send(*w, CommitMsg::Commit { txn });
        }
        ctx.set_timer(CommitTimer::Resend(txn), self.config.retry_ms);
        if let Some(origin) = origin {
            Self::answer(ctx, origin, CommitReply::Committed(txn));
        }
        self.remember(txn, Outcome::Commit, "every writer voted yes".into());
    }

    pub(crate) fn coord_timer(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, timer: CommitTimer) {
        match timer {
            CommitTimer::Votes(txn) => {
                let missing: Vec<String> = self
                    .voting
                    .get(&txn)
                    .map(|v| {
                        v.spec
                            .parts
                            .keys()
                            .filter(|p| !v.votes.contains_key(p))
                            .map(|p| p.to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                self.decide_abort(
                    ctx,
                    txn,
                    format!("vote timeout, no vote from {}", missing.join(" ")),
                );
            }
            CommitTimer::Resend(txn) => {
                if self.unlogged.remove(&txn) {
                    self.force_commit_record(ctx, txn);
                }
                let Some(f) = self.finishing.get(&txn) else {
                    return;
                };
                if f.phase == Phase2::PreCommit {
                    ctx.note(format!(
                        "{txn}: not every PreAck came back in time; committing anyway"
                    ));
                    self.do_commit(ctx, txn);
                    return;
                }
                ctx.count("phase_two_resends");
                for w in f.writers.iter().filter(|w| !f.acked.contains(w)) {
                    ctx.send(*w, CommitMsg::Commit { txn });
                }
                ctx.set_timer(CommitTimer::Resend(txn), self.config.retry_ms);
            }
            _ => {}
        }
    }
}
