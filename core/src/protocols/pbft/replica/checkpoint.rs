//! Checkpoints, water marks and garbage collection (§4.3), and state transfer (TOCS §6.3.2).
//!
//! - After executing a sequence number that is a multiple of K, a replica keeps a snapshot of
//!   its state and multicasts ⟨CHECKPOINT, n, d, i⟩ with the state's digest.
//! - `2f + 1` matching checkpoint messages (its own among them, or not) make the checkpoint
//!   *stable*: it becomes the low water mark h, the log at or below it, older snapshots and
//!   older checkpoint messages are discarded, and the window `(h, h + L]` moves up.
//! - A replica that learns a stable checkpoint beyond what it executed fetches the state from
//!   one of the certificate's signers (another on each retry) and installs it only if its
//!   digest matches the certificate — a faulty replica serving a corrupt state is caught.

use super::*;
use crate::kernel::node::Ctx;
use crate::protocols::pbft::msg::{state_digest, Fetch, StateReply};

impl Replica {
    /// Take a checkpoint after executing `seq`.
    pub(super) fn take_checkpoint(&mut self, ctx: &mut Ctx<'_, Pbft>, seq: u64) {
        let digest = state_digest(&self.kv);
        self.d.snapshots.insert(seq, (digest, self.kv.clone()));
        self.records.checkpoints.push((seq, digest));
        let c = Checkpoint::new(&self.signer, seq, digest);
        self.checkpoint_votes
            .entry(seq)
            .or_default()
            .insert(self.id, c.clone());
        if !self.replaying {
            self.multicast(ctx, PbftMsg::Checkpoint(c.clone()));
            self.forge_checkpoint(ctx, &c);
        }
        self.check_stable(ctx, seq);
    }

    /// A CHECKPOINT message.
    pub(super) fn on_checkpoint(&mut self, ctx: &mut Ctx<'_, Pbft>, c: Checkpoint) {
        if !c.authentic() {
            self.reject_forged(ctx, "checkpoint", c.replica);
            return;
        }
        if c.seq <= self.d.stable.seq {
            return;
        }
        let seq = c.seq;
        self.checkpoint_votes
            .entry(seq)
            .or_default()
            .insert(c.replica, c);
        self.check_stable(ctx, seq);
    }

    /// The certificate for `seq`, if `2f + 1` replicas sent the same digest.
    fn certificate(&self, seq: u64) -> Option<(Digest, Vec<Checkpoint>)> {
        let votes = self.checkpoint_votes.get(&seq)?;
        let mut by_digest: BTreeMap<Digest, Vec<Checkpoint>> = BTreeMap::new();
        for c in votes.values() {
            by_digest.entry(c.state).or_default().push(c.clone());
        }
        by_digest
            .into_iter()
            .find(|(_, proof)| proof.len() >= self.quorum())
    }

    /// Make checkpoint `seq` stable if it has a certificate, fetching its state if this
    /// replica has not executed that far.
    pub(super) fn check_stable(&mut self, ctx: &mut Ctx<'_, Pbft>, seq: u64) {
        if seq <= self.d.stable.seq {
            return;
        }
        let Some((digest, proof)) = self.certificate(seq) else {
            return;
        };
        match self.d.snapshots.get(&seq) {
            Some((own, state)) if *own == digest => {
                let state = state.clone();
                self.make_stable(ctx, seq, digest, proof, state);
            }
            Some(_) => {
                ctx.note(format_args!(
                    "its own state at n={seq} differs from the certified one: fetches it"
                ));
                self.start_fetch(ctx, seq, digest, &proof);
            }
            None if self.last_exec < seq => self.start_fetch(ctx, seq, digest, &proof),
            None => {}
        }
    }

    /// Checkpoint `seq` is stable: move the low water mark and collect garbage.
    pub(super) fn make_stable(
        &mut self,
        ctx: &mut Ctx<'_, Pbft>,
        seq: u64,
        digest: Digest,
        proof: Vec<Checkpoint>,
        state: KvState,
    ) {
        if seq <= self.d.stable.seq {
            return;
        }
        self.d.stable = StableCheckpoint {
            seq,
            digest,
            proof,
            state,
        };
        self.d.slots = self.d.slots.split_off(&(seq + 1));
        self.d.snapshots = self.d.snapshots.split_off(&(seq + 1));
        self.checkpoint_votes = self.checkpoint_votes.split_off(&(seq + 1));
        let kv = &self.kv;
        self.d.bodies.retain(|_, r| {
            kv.sessions
                .get(&r.client)
                .is_none_or(|s| s.seq < r.timestamp)
        });
        if self.fetching.as_ref().is_some_and(|f| f.seq <= seq) {
            self.fetching = None;
            ctx.cancel_timer(PbftTimer::Fetch);
        }
        self.records.stable.push((seq, digest));
        if !self.replaying {
            ctx.count("checkpoints_stable");
            ctx.note(format_args!(
                "checkpoint n={seq} is stable (state {digest}): water marks ({seq}, {}]",
                self.high_water_mark()
            ));
        }
        self.assign(ctx);
    }

    /// Start fetching the state of stable checkpoint `seq` (certified digest `digest`).
    pub(super) fn start_fetch(
        &mut self,
        ctx: &mut Ctx<'_, Pbft>,
        seq: u64,
        digest: Digest,
        proof: &[Checkpoint],
    ) {
        if self.fetching.as_ref().is_some_and(|f| f.seq >= seq) {
            return;
        }
        let candidates: Vec<NodeId> = proof
            .iter()
            .map(|c| c.replica)
            .filter(|r| *r != self.id)
            .collect();
        if candidates.is_empty() {
            return;
        }
        ctx.note(format_args!(
            "is behind the stable checkpoint n={seq} (executed {}): fetches its state",
            self.last_exec
        ));
        self.fetching = Some(Fetching {
            seq,
            digest,
            candidates,
            asked: 0,
        });
        self.ask_for_state(ctx);
    }

    /// Ask the next candidate for the state (also the fetch timer's retry).
    pub(super) fn ask_for_state(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        let Some(f) = self.fetching.as_mut() else {
            return;
        };
        let to = f.candidates[f.asked % f.candidates.len()];
        f.asked += 1;
        let seq = f.seq;
        ctx.send(to, PbftMsg::Fetch(Fetch::new(&self.signer, seq)));
        ctx.count("fetches");
        ctx.set_timer(PbftTimer::Fetch, 3 * self.config.status_ms);
    }

    /// A FETCH: send the stable checkpoint if it is at least as recent as asked.
    pub(super) fn on_fetch(&mut self, ctx: &mut Ctx<'_, Pbft>, from: NodeId, m: Fetch) {
        if !super::super::auth::verify(m.replica, m.content(), m.sig) {
            self.reject_forged(ctx, "fetch", m.replica);
            return;
        }
        if self.d.stable.seq < m.seq || self.d.stable.seq == 0 {
            return;
        }
        let mut reply = StateReply {
            seq: self.d.stable.seq,
            digest: self.d.stable.digest,
            state: Box::new(self.corrupt_state(self.d.stable.state.clone())),
            proof: self.d.stable.proof.clone(),
            replica: self.id,
            sig: Default::default(),
        };
        reply.sig = self.signer.sign(reply.content());
        ctx.send(from, PbftMsg::State(Box::new(reply)));
    }

    /// A STATE reply: install it if the certificate is valid and the state matches it.
    pub(super) fn on_state(&mut self, ctx: &mut Ctx<'_, Pbft>, s: StateReply) {
        if !s.authentic() {
            self.reject_forged(ctx, "state", s.replica);
            return;
        }
        if s.seq <= self.last_exec {
            return;
        }
        if !self.valid_checkpoint_proof(s.seq, s.digest, &s.proof) {
            self.rejections.bad_states += 1;
            ctx.count("state_rejected");
            ctx.note(format_args!(
                "rejects {}'s state for n={}: no valid certificate",
                s.replica, s.seq
            ));
            return;
        }
        if state_digest(&s.state) != s.digest {
            self.rejections.bad_states += 1;
            ctx.count("state_rejected");
            ctx.note(format_args!(
                "rejects {}'s state for n={}: it does not match the certified digest {}",
                s.replica, s.seq, s.digest
            ));
            return;
        }
        let state = *s.state;
        self.kv = state.clone();
        self.last_exec = s.seq;
        ctx.count("state_transfers");
        ctx.note(format_args!(
            "installs the state of checkpoint n={} from {} (digest {} matches the certificate)",
            s.seq, s.replica, s.digest
        ));
        let kv = &self.kv;
        self.waiting
            .retain(|(c, t), _| kv.sessions.get(c).is_none_or(|x| x.seq < *t));
        self.assigned
            .retain(|(c, t), _| kv.sessions.get(c).is_none_or(|x| x.seq < *t));
        self.make_stable(ctx, s.seq, s.digest, s.proof, state);
        if self.fetching.as_ref().is_some_and(|f| f.seq <= s.seq) {
            self.fetching = None;
            ctx.cancel_timer(PbftTimer::Fetch);
        }
    }

    /// Whether `proof` holds `2f + 1` authentic checkpoint messages from different replicas
    /// for `(seq, digest)` (the initial state needs none).
    pub(super) fn valid_checkpoint_proof(
        &self,
        seq: u64,
        digest: Digest,
        proof: &[Checkpoint],
    ) -> bool {
        if seq == 0 {
            return true;
        }
        let signers: BTreeSet<NodeId> = proof
            .iter()
            .filter(|c| c.seq == seq && c.state == digest && c.authentic())
            .map(|c| c.replica)
            .filter(|r| r.index() < self.n)
            .collect();
        signers.len() >= self.quorum()
    }
}
