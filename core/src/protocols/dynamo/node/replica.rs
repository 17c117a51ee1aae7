//! A server as replica and background worker: storing replica writes, answering reads,
//! read repair, hinted handoff and anti-entropy rounds.

use super::*;

impl KvServer {
    /// Bucket digests of the keys this server and `peer` both replicate.
    fn digests_with(&self, peer: NodeId, cluster: usize) -> Vec<u64> {
        let me = self.id;
        bucket_digests(self.store(), |k| self.shared(k, me, peer, cluster))
    }

    /// Whether both `a` and `b` replicate `key` (anti-entropy compares only those keys).
    pub(super) fn shared(&self, key: &str, a: NodeId, b: NodeId, cluster: usize) -> bool {
        let reps = self.ring.replicas(key, self.n(cluster));
        reps.contains(&a) && reps.contains(&b)
    }

    pub(super) fn skips(&self, peer: NodeId, cluster: usize) -> bool {
        self.config.has(Mutant::AntiEntropySkipsReplica) && peer.index() + 1 == cluster
    }

    pub(super) fn start_anti_entropy(&mut self, ctx: &mut Ctx<'_, Dynamo>) {
        let cluster = ctx.servers.len();
        if cluster < 2 || self.skips(self.id, cluster) {
            return;
        }
        let now = ctx.now;
        let peers: Vec<NodeId> = ctx.peers().collect();
        let s = self.server();
        let start = s.ae_next;
        s.ae_next = s.ae_next.wrapping_add(1);
        // Round-robin over peers, skipping those the failure detector calls unavailable.
        let peer = (0..peers.len())
            .map(|i| peers[(start + i) % peers.len()])
            .find(|p| self.health(*p, now) != Health::Unavailable && !self.skips(*p, cluster));
        let Some(peer) = peer else {
            return;
        };
        let buckets = self.digests_with(peer, cluster);
        {
            let s = self.server();
            s.stats.ae_rounds += 1;
        }
        self.send(ctx, peer, KvMsg::AeDigest { buckets });
    }

    pub(super) fn shared_keys_in(
        &self,
        peer: NodeId,
        buckets: &[usize],
        cluster: usize,
    ) -> Vec<(String, u64)> {
        let me = self.id;
        self.store()
            .iter()
            .filter(|(k, _)| buckets.contains(&bucket_of(k)) && self.shared(k, me, peer, cluster))
            .map(|(k, st)| (k.clone(), st.digest()))
            .collect()
    }

    pub(super) fn hand_off(&mut self, ctx: &mut Ctx<'_, Dynamo>) {
        let now = ctx.now;
        let hints: Vec<(NodeId, String)> = self.hints().iter().cloned().collect();
        for (rep, key) in hints {
            if self.health(rep, now) == Health::Unavailable {
                continue;
            }
            let state = self.local_state(&key);
            self.send(ctx, rep, KvMsg::Handoff { key, state });
        }
    }

    pub(super) fn server_message(&mut self, ctx: &mut Ctx<'_, Dynamo>, from: NodeId, msg: KvMsg) {
        let cluster = ctx.servers.len();
        let me = self.id;
        if !from.is_client() {
            {
                let s = self.server();
                if let Some(slot) = s.last_heard.get_mut(from.index()) {
                    *slot = Some(ctx.now);
                }
            }
        }
        match msg {
            KvMsg::ClientOp { req, op } => {
                let s = self.server();
                if let Some(last) = s.client_seen.get(&from).filter(|last| **last >= req) {
                    ctx.count("duplicate_requests");
                    let again = s
                        .answered
                        .get(&from)
                        .filter(|(r, _)| *r == req)
                        .map(|(_, reply)| Box::new(reply.clone()));
                    let Some(reply) = again else {
                        ctx.note(format_args!(
                            "{from}'s request #{req} is not newer than #{last}, the last it sent \
                             here: a duplicate or a late copy, not run again"
                        ));
                        return;
                    };
                    ctx.note(format_args!(
                        "{from}'s request #{req} ran here already: answering again, not running it"
                    ));
                    self.send(ctx, from, KvMsg::ClientReply { req, reply });
                    return;
                }
                // Durable (synchronously, like the store): survives a restart.
                s.client_seen.insert(from, req);
                self.coordinate(ctx, Origin::Remote { client: from, req }, *op);
            }
            KvMsg::ClientReply { .. } | KvMsg::Heartbeat => {}
            KvMsg::Put {
                op,
                key,
                state,
                hint_for,
            } => {
                if !self.config.has(Mutant::AckWithoutStore) {
                    self.absorb(&key, &state);
                    if let Some(h) = hint_for.filter(|h| *h != me) {
                        self.add_hint(h, &key);
                    }
                }
                self.send(ctx, from, KvMsg::PutAck { op });
            }
            KvMsg::PutAck { op } => {
                {
                    let s = self.server();
                    if let Some(Pending::Write { acks, .. }) =
                        s.ops.get_mut(&op).map(|o| &mut o.pending)
                    {
                        acks.insert(from);
                    } else {
                        return;
                    }
                }
                self.progress(ctx, op, false);
            }
            KvMsg::Get { op, key } => {
                let state = self.local_state(&key);
                self.send(ctx, from, KvMsg::GetReply { op, state });
            }
            KvMsg::GetReply { op, state } => {
                {
                    let s = self.server();
                    if let Some(Pending::Read { replies, .. }) =
                        s.ops.get_mut(&op).map(|o| &mut o.pending)
                    {
                        replies.insert(from, state);
                    } else {
                        return;
                    }
                }
                self.progress(ctx, op, false);
            }
            KvMsg::ReadRepair { key, state } => {
                self.absorb(&key, &state);
            }
            KvMsg::Handoff { key, state } => {
                self.absorb(&key, &state);
                let digest = state.digest();
                self.send(ctx, from, KvMsg::HandoffAck { key, digest });
            }
            KvMsg::HandoffAck { key, digest } => {
                if self.local_state(&key).digest() == digest {
                    {
                        let s = self.server();
                        if s.hints.remove(&(from, key)) {
                            s.stats.hints_delivered += 1;
                            ctx.count("hints_delivered");
                        }
                    }
                }
            }
            KvMsg::AeDigest { buckets } => {
                if self.skips(from, cluster) || self.skips(me, cluster) {
                    return;
                }
                let mine = self.digests_with(from, cluster);
                let differ: Vec<usize> = (0..mine.len())
                    .filter(|i| buckets.get(*i) != mine.get(*i))
                    .collect();
                if !differ.is_empty() {
                    let keys = self.shared_keys_in(from, &differ, cluster);
                    self.send(
                        ctx,
                        from,
                        KvMsg::AeKeys {
                            buckets: differ,
                            keys,
                        },
                    );
                }
            }
            KvMsg::AeKeys { buckets, keys } => {
                let theirs: BTreeMap<String, u64> = keys.into_iter().collect();
                let mine: BTreeMap<String, u64> = self
                    .shared_keys_in(from, &buckets, cluster)
                    .into_iter()
                    .collect();
                let states: Vec<(String, KeyState)> = mine
                    .iter()
                    .filter(|(k, d)| theirs.get(*k) != Some(d))
                    .map(|(k, _)| (k.clone(), self.local_state(k)))
                    .collect();
                let want: Vec<String> = theirs
                    .iter()
                    .filter(|(k, d)| mine.get(*k) != Some(d))
                    .map(|(k, _)| k.clone())
                    .collect();
                {
                    let s = self.server();
                    s.stats.ae_keys_sent += states.len() as u64;
                }
                if !states.is_empty() {
                    ctx.count("ae_keys_sent");
                }
                if !states.is_empty() || !want.is_empty() {
                    self.send(ctx, from, KvMsg::AeSync { states, want });
                }
            }
            KvMsg::AeSync { states, want } => {
                for (k, st) in &states {
                    self.absorb(k, st);
                }
                let back: Vec<(String, KeyState)> = want
                    .into_iter()
                    .filter(|k| self.store().contains_key(k))
                    .map(|k| {
                        let st = self.local_state(&k);
                        (k, st)
                    })
                    .collect();
                if !back.is_empty() {
                    {
                        let s = self.server();
                        s.stats.ae_keys_sent += back.len() as u64;
                    }
                    self.send(
                        ctx,
                        from,
                        KvMsg::AeSync {
                            states: back,
                            want: Vec::new(),
                        },
                    );
                }
            }
        }
    }
}
