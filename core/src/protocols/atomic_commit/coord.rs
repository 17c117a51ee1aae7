//! The coordinator's handlers: begin, collect votes, decide, force the decision, finish phase
//! two, recover from the log, answer in-doubt participants (presumed abort).

use super::msg::{CommitMsg, CommitReply, Outcome, TxnId, TxnSpec, Vote};
use super::node::{Audit, CommitServer, CommitTimer, Finishing, LogRec, Origin, Phase2, Voting};
use super::{AtomicCommit, Mutant};
use crate::kernel::node::Ctx;
use crate::kernel::types::NodeId;
use std::collections::BTreeSet;

/// What the coordinator knows of a transaction's fate.
enum Known {
    /// The commit record is on the log.
    Committed,
    /// Still collecting votes or in phase two.
    Deciding,
    /// Nothing: presumed abort (2PC), or the participants decide (3PC).
    NoRecord,
}

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
            ctx.note(format_args!(
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

    /// A Begin from client actor `client`: run request `req` exactly once. The client table
    /// (durable) says whether the request was begun already — then it is answered from what
    /// the coordinator knows, never run again — or is older than the client's oldest waiting
    /// request (the client gave up on it or was answered: ignored). Otherwise it begins, and the
    /// table records it in the same durable step that hands out the transaction number.
    fn on_begin(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        client: NodeId,
        req: u64,
        spec: TxnSpec,
        floor: u64,
    ) {
        let origin = Origin::Actor { node: client, req };
        if !self.config.mutant_is(Mutant::DuplicateBeginReruns) {
            let table = self.d.clients.entry(client).or_default();
            if floor > table.floor {
                table.floor = floor;
                table.begun = table.begun.split_off(&floor);
            }
            if req < table.floor {
                let oldest = table.floor;
                ctx.count("stale_begins");
                ctx.note(format_args!(
                    "Begin #{req} from {client} is older than its oldest waiting request \
                     #{oldest}: {client} no longer waits for it; not run"
                ));
                return;
            }
            if let Some(txn) = table.begun.get(&req).copied() {
                self.duplicate_begin(ctx, origin, txn, &spec);
                return;
            }
        }
        if let Some(txn) = self.begin(ctx, spec, origin) {
            let table = self.d.clients.entry(client).or_default();
            table.begun.insert(req, txn);
        }
    }

    /// A request that already began as `txn` arrives again: answer it from what the coordinator
    /// knows — committed (on the log), still deciding (the answer will come), aborted (presumed:
    /// a writing transaction without a commit record never committed) — and never run it again.
    fn duplicate_begin(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        origin: Origin,
        txn: TxnId,
        spec: &TxnSpec,
    ) {
        ctx.count("duplicate_begins");
        let what = match origin {
            Origin::Actor { node, req } => format!("duplicate Begin #{req} from {node}"),
            Origin::Direct(c) => format!("duplicate request from client {c}"),
        };
        let reply = match self.known(txn) {
            Known::Committed => {
                ctx.note(format_args!(
                    "{what}: {txn} is committed (on the log); answering again, not running it"
                ));
                Some(CommitReply::Committed(txn))
            }
            Known::Deciding => {
                ctx.note(format_args!(
                    "{what}: {txn} is still being decided; its answer will follow"
                ));
                None
            }
            Known::NoRecord => match self.recent.get(&txn).cloned() {
                Some((Outcome::Commit, _)) => {
                    ctx.note(format_args!("{what}: {txn} committed; answering again"));
                    Some(CommitReply::Committed(txn))
                }
                Some((Outcome::Abort, why)) => {
                    ctx.note(format_args!("{what}: {txn} aborted; answering again"));
                    Some(CommitReply::Aborted(txn, why))
                }
                None if spec.writers().is_empty() || self.three_phase() => {
                    // An all-read commit leaves no record; a 3PC coordinator without a record
                    // leaves the outcome to the participants' termination protocol.
                    ctx.note(format_args!(
                        "{what}: {txn} finished, its outcome is not on the log; not running it again"
                    ));
                    None
                }
                None => {
                    self.presume_abort(ctx, txn);
                    ctx.note(format_args!(
                        "{what}: no commit record of {txn}: presumed abort; not running it again"
                    ));
                    Some(CommitReply::Aborted(
                        txn,
                        "no commit record: presumed abort".into(),
                    ))
                }
            },
        };
        if let Some(reply) = reply {
            Self::answer(ctx, origin, reply);
        }
    }

    /// A transaction arrives from a client: number it, send Prepare (CanCommit) to every
    /// participant, start the vote timer. Returns the new transaction, or `None` when the
    /// request was rejected.
    pub(crate) fn begin(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        spec: TxnSpec,
        origin: Origin,
    ) -> Option<TxnId> {
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
            return None;
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
        ctx.note(format_args!("{txn} begins: {spec}"));
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
        Some(txn)
    }

    pub(crate) fn coord_message(
        &mut self,
        ctx: &mut Ctx<'_, AtomicCommit>,
        from: NodeId,
        msg: CommitMsg,
    ) {
        match msg {
            CommitMsg::Begin { req, spec, floor } => {
                self.on_begin(ctx, from, req, spec, floor);
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
        match self.known(txn) {
            Known::Committed => ctx.send(to, CommitMsg::Commit { txn }),
            Known::Deciding => ctx.note(format_args!("{to} asks about {txn}: still deciding")),
            Known::NoRecord if !self.three_phase() || alone => {
                self.presume_abort(ctx, txn);
                ctx.note(format_args!("no record of {txn}: presumed abort"));
                ctx.send(to, CommitMsg::Abort { txn });
            }
            Known::NoRecord => {}
        }
    }

    /// What the coordinator knows of `txn`: committed if the log (or, mutant, the memory) says
    /// so; deciding while it collects votes or runs phase two; otherwise no record.
    fn known(&self, txn: TxnId) -> Known {
        if self.logged.contains_key(&txn) || self.unlogged.contains(&txn) {
            Known::Committed
        } else if self.voting.contains_key(&txn) || self.finishing.contains_key(&txn) {
            Known::Deciding
        } else {
            Known::NoRecord
        }
    }

    /// No record of `txn`: it aborted (presumed abort). Audited and remembered once.
    fn presume_abort(&mut self, ctx: &mut Ctx<'_, AtomicCommit>, txn: TxnId) {
        if self.recent.get(&txn).map(|(o, _)| *o) != Some(Outcome::Abort) {
            self.audit.push(Audit::Decided {
                txn,
                outcome: Outcome::Abort,
            });
            self.remember(txn, Outcome::Abort, "no record: presumed abort".into());
        }
        ctx.count("presumed_aborts");
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
            ctx.note(format_args!(
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
        ctx.note(format_args!("{txn}: commit record forced to the log"));
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
        ctx.note(format_args!(
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
            ctx.note(format_args!(
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
            ctx.note(format_args!("{txn}: every writer voted yes; PreCommit"));
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
        ctx.note(format_args!("{txn} commit{ro}"));
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
        ctx.note(format_args!("{txn}: DoCommit"));
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
                    ctx.note(format_args!(
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
