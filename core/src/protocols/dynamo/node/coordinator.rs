//! A server as coordinator: choosing targets from the ring and the failure detector, writing
//! locally and replicating, collecting R/W answers, read repair.

use super::*;

impl KvServer {
    /// Pick the targets of an operation on `key`: the N replicas the failure detector does not
    /// call unavailable, plus (sloppy) the next healthy nodes standing in for the others.
    pub(super) fn targets(
        &self,
        key: &str,
        n: usize,
        sloppy: bool,
        now: Time,
    ) -> (Vec<(NodeId, Option<NodeId>)>, Vec<NodeId>) {
        let pref = self.ring.preference_list(key);
        let mut targets = Vec::new();
        let mut down = Vec::new();
        for r in pref.iter().take(n) {
            if self.health(*r, now) == Health::Unavailable {
                down.push(*r);
            } else {
                targets.push((*r, None));
            }
        }
        if sloppy {
            let mut spare = pref
                .iter()
                .skip(n)
                .filter(|p| self.health(**p, now) != Health::Unavailable);
            for d in &down {
                if let Some(f) = spare.next() {
                    targets.push((*f, Some(*d)));
                }
            }
        }
        (targets, down)
    }

    // ----- server: coordination ------------------------------------------------------------

    pub(super) fn coordinate(&mut self, ctx: &mut Ctx<'_, Dynamo>, origin: Origin, op: KvOp) {
        let key = op.key().to_string();
        let default_n = self.n(ctx.servers.len());
        let (n, r, w) = match op.consistency().resolve(default_n, ctx.servers.len()) {
            Ok(x) => x,
            Err(reason) => {
                let reply = KvReply::Failed {
                    key,
                    reason: format!("invalid request: {reason}"),
                    unknown: false,
                };
                self.answer(ctx, &origin, reply);
                return;
            }
        };
        {
            let s = self.server();
            s.stats.coordinated += 1;
        }
        let me = self.id;
        let mode = self.mode();
        let level = op.consistency().level;
        let sloppy = op.consistency().sloppy.unwrap_or(self.config.sloppy_quorum);
        if level == Level::Local {
            match op {
                KvOp::Put {
                    value, ctx: wctx, ..
                } => {
                    let ts = self.clock(ctx.now);
                    let dot = self.write_local(&key, &wctx, value.clone(), ts, mode);
                    self.record_execution(&origin, &key, value, dot);
                    // Asynchronous replication: a hint per replica, handed off until acknowledged.
                    let replicas = self.ring.replicas(&key, n);
                    let state = self.local_state(&key);
                    for rep in replicas.into_iter().filter(|r| *r != me) {
                        self.add_hint(rep, &key);
                        self.send(
                            ctx,
                            rep,
                            KvMsg::Handoff {
                                key: key.clone(),
                                state: state.clone(),
                            },
                        );
                    }
                    ctx.note(format_args!(
                        "local write {key} dot={dot}; replicating asynchronously"
                    ));
                    let reply = KvReply::Written {
                        key,
                        dot,
                        acked: vec![me],
                    };
                    self.answer(ctx, &origin, reply);
                }
                KvOp::Get { .. } => {
                    let st = self.local_state(&key);
                    let reply = KvReply::Read {
                        values: st.read_values(mode),
                        ctx: st.read_context(),
                        key,
                        answered: vec![me],
                    };
                    self.answer(ctx, &origin, reply);
                }
            }
            return;
        }
        let (targets, down) = self.targets(&key, n, sloppy, ctx.now);
        let need = if op.is_write() { w } else { r };
        if targets.len() < need {
            let list = |v: &[NodeId]| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let reason =
                format!(
                "insufficient replicas: {}={need} of N={n} needed, but {me} sees {} unavailable{}",
                if op.is_write() { "W" } else { "R" },
                list(&down),
                if sloppy { " and no fallback is reachable" } else { "" }
            );
            // A write is refused before anything is stored.
            ctx.count("insufficient_replicas");
            self.answer(
                ctx,
                &origin,
                KvReply::Failed {
                    key,
                    reason,
                    unknown: false,
                },
            );
            return;
        }
        let s = self.server();
        let id = s.next_op;
        s.next_op += 1;
        match op {
            KvOp::Put {
                value, ctx: wctx, ..
            } => {
                let ts = self.clock(ctx.now);
                let dot = self.write_local(&key, &wctx, value.clone(), ts, mode);
                self.record_execution(&origin, &key, value, dot);
                let state = self.local_state(&key);
                let mut acks = BTreeSet::new();
                for (t, hint_for) in &targets {
                    if *t == me {
                        if let Some(h) = hint_for {
                            self.add_hint(*h, &key);
                        }
                        acks.insert(me);
                    } else {
                        let msg = KvMsg::Put {
                            op: id,
                            key: key.clone(),
                            state: state.clone(),
                            hint_for: *hint_for,
                        };
                        self.send(ctx, *t, msg);
                    }
                }
                self.open(
                    ctx,
                    id,
                    PendingOp {
                        origin,
                        key,
                        targets,
                        pending: Pending::Write { dot, need, acks },
                        answered: false,
                    },
                );
            }
            KvOp::Get { .. } => {
                let mut replies = BTreeMap::new();
                for (t, _) in &targets {
                    if *t == me {
                        replies.insert(me, self.local_state(&key));
                    } else {
                        let msg = KvMsg::Get {
                            op: id,
                            key: key.clone(),
                        };
                        self.send(ctx, *t, msg);
                    }
                }
                self.open(
                    ctx,
                    id,
                    PendingOp {
                        origin,
                        key,
                        targets,
                        pending: Pending::Read { need, replies },
                        answered: false,
                    },
                );
            }
        }
    }

    pub(super) fn write_local(
        &mut self,
        key: &str,
        wctx: &VersionVector,
        value: String,
        ts: i64,
        mode: ConflictMode,
    ) -> Dot {
        let me = self.id;
        let s = self.server();
        s.epoch += 1;
        s.store
            .entry(key.to_string())
            .or_default()
            .write(me, wctx, value, ts, mode)
    }

    /// Tell the checkers a client actor's write ran here with `dot`.
    fn record_execution(&mut self, origin: &Origin, key: &str, value: String, dot: Dot) {
        if let Origin::Remote { client, req } = origin {
            self.server().executed.push(Executed {
                client: *client,
                req: *req,
                key: key.to_string(),
                value,
                dot,
            });
        }
    }

    pub(super) fn add_hint(&mut self, replica: NodeId, key: &str) {
        {
            let s = self.server();
            if s.hints.insert((replica, key.to_string())) {
                s.stats.hints_recorded += 1;
            }
        }
    }

    pub(super) fn open(&mut self, ctx: &mut Ctx<'_, Dynamo>, id: u64, op: PendingOp) {
        let timeout = self.config.request_timeout_ms;
        {
            let s = self.server();
            s.ops.insert(id, op);
        }
        ctx.set_timer(KvTimer::Deadline(id), timeout);
        self.progress(ctx, id, false);
    }

    /// Answer the client once enough replicas did; finish (read repair) once all did or the
    /// deadline passed.
    pub(super) fn progress(&mut self, ctx: &mut Ctx<'_, Dynamo>, id: u64, deadline: bool) {
        let mode = self.mode();
        let me = self.id;
        let timeout = self.config.request_timeout_ms;
        let read_repair = self.config.read_repair;
        let s = self.server();
        let Some(op) = s.ops.get(&id).cloned() else {
            return;
        };
        let (have, need, all) = match &op.pending {
            Pending::Write { acks, need, .. } => {
                (acks.len(), *need, acks.len() == op.targets.len())
            }
            Pending::Read { replies, need } => {
                (replies.len(), *need, replies.len() == op.targets.len())
            }
        };
        let merged = || {
            let mut m = KeyState::default();
            if let Pending::Read { replies, .. } = &op.pending {
                for st in replies.values() {
                    m.merge(st, mode);
                }
            }
            m
        };
        if !op.answered && (have >= need || deadline) {
            let reply = if have >= need {
                match &op.pending {
                    Pending::Write { dot, acks, .. } => KvReply::Written {
                        key: op.key.clone(),
                        dot: *dot,
                        acked: acks.iter().copied().collect(),
                    },
                    Pending::Read { replies, .. } => {
                        let m = merged();
                        KvReply::Read {
                            key: op.key.clone(),
                            values: m.read_values(mode),
                            ctx: m.read_context(),
                            answered: replies.keys().copied().collect(),
                        }
                    }
                }
            } else {
                let asked: Vec<String> = op.targets.iter().map(|(t, _)| t.to_string()).collect();
                KvReply::Failed {
                    key: op.key.clone(),
                    reason: format!(
                        "insufficient replicas: {have} of {}={need} answered within {timeout} ms \
                         (asked {})",
                        if matches!(op.pending, Pending::Write { .. }) {
                            "W"
                        } else {
                            "R"
                        },
                        asked.join(",")
                    ),
                    // A write stored on some replicas may still spread.
                    unknown: matches!(op.pending, Pending::Write { .. }),
                }
            };
            {
                let s = self.server();
                if let Some(o) = s.ops.get_mut(&id) {
                    o.answered = true;
                }
            }
            self.answer(ctx, &op.origin, reply);
        }
        if all || deadline {
            if let (Pending::Read { replies, .. }, true) = (&op.pending, read_repair) {
                let m = merged();
                let digest = m.digest();
                for (rep, st) in replies {
                    if st.digest() == digest {
                        continue;
                    }
                    if *rep == me {
                        self.absorb(&op.key, &m);
                    } else {
                        let msg = KvMsg::ReadRepair {
                            key: op.key.clone(),
                            state: m.clone(),
                        };
                        self.send(ctx, *rep, msg);
                    }
                    {
                        let s = self.server();
                        s.stats.read_repairs += 1;
                    }
                    ctx.count("read_repairs");
                }
            }
            {
                let s = self.server();
                s.ops.remove(&id);
            }
            if !deadline {
                ctx.cancel_timer(KvTimer::Deadline(id));
            }
        }
    }
}
