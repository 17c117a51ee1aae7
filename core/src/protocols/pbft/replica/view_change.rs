//! View changes (§4.4) and the liveness rules (§4.5.2).
//!
//! - A backup whose view-change timer expires in view v multicasts ⟨VIEW-CHANGE, v+1, n, C,
//!   P, i⟩: its stable checkpoint n with the proof C, and a prepared certificate P_m for every
//!   request that prepared here above n. From then on it accepts only checkpoint, view-change
//!   and new-view messages (and learns decisions from commit certificates, see `normal.rs`).
//! - Once it holds `2f + 1` view-change messages for v+1 it starts its timer; if no NEW-VIEW
//!   arrives in time it moves on to v+2 and waits twice as long (exponential timeouts).
//! - A replica that holds view-change messages from `f + 1` other replicas for views above its
//!   own joins the smallest of those views, even before its timer expires.
//! - The primary of v+1, with `2f + 1` valid view-change messages (its own among them), sends
//!   ⟨NEW-VIEW, v+1, V, O⟩: V the view-change messages, O a pre-prepare in v+1 for every
//!   sequence number between min-s (the latest stable checkpoint in V) and max-s (the highest
//!   prepared sequence number in V) — the request of the certificate with the highest view, or
//!   the null request where none prepared ([`compute_o`]).
//! - A backup accepts NEW-VIEW if it is signed by the new primary, V holds `2f + 1` valid
//!   view-change messages for v+1 from different replicas (signatures, checkpoint proofs and
//!   prepared certificates all checked), and O is exactly what it computes from V. It then
//!   logs O, multicasts a PREPARE for each entry and enters v+1; if min-s is above its stable
//!   checkpoint it adopts that checkpoint and fetches the state if it lacks it.

use super::*;
use crate::kernel::node::Ctx;
use crate::protocols::pbft::msg::VoteKind;

/// What NEW-VIEW's V determines (§4.4): the latest stable checkpoint (min-s), the highest
/// prepared sequence number (max-s), and O's entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewViewPlan {
    /// min-s: the latest stable checkpoint in V.
    pub min_s: u64,
    /// Its state digest.
    pub stable_digest: Digest,
    /// Its proof (from the view-change message that carried it).
    pub proof: Vec<Checkpoint>,
    /// max-s: the highest sequence number in a prepared certificate of V (at least min-s).
    pub max_s: u64,
    /// O: (sequence number, digest, request) for every number in (min-s, max-s].
    pub entries: Vec<(u64, Digest, Option<ClientRequest>)>,
}

/// Compute NEW-VIEW's O from the view-change messages V (§4.4), in the order given. For each
/// sequence number the certificate of the highest view wins (certificates of the same view
/// agree when at most f replicas are faulty; a later one in V wins a tie).
pub fn compute_o(view_changes: &[Rc<ViewChange>], mutant: Option<Mutant>) -> NewViewPlan {
    let mut min_s = 0;
    let mut stable_digest = Digest::default();
    let mut proof = Vec::new();
    for vc in view_changes {
        if vc.stable_seq > min_s {
            min_s = vc.stable_seq;
            stable_digest = vc.stable_digest;
            proof = vc.proof.clone();
        }
    }
    let mut best: BTreeMap<u64, &PreparedCert> = BTreeMap::new();
    for cert in view_changes.iter().flat_map(|vc| vc.prepared.iter()) {
        if cert.seq() > min_s
            && best
                .get(&cert.seq())
                .is_none_or(|b| cert.view() >= b.view())
        {
            best.insert(cert.seq(), cert);
        }
    }
    let max_s = best.keys().next_back().copied().unwrap_or(min_s).max(min_s);
    let mut entries: Vec<(u64, Digest, Option<ClientRequest>)> = (min_s + 1..=max_s)
        .map(|n| match best.get(&n) {
            Some(cert) => (n, cert.digest(), cert.pre_prepare.request.clone()),
            None => (n, NULL, None),
        })
        .collect();
    if mutant == Some(Mutant::DropPrepared) {
        if let Some(e) = entries.iter_mut().rev().find(|e| e.1 != NULL) {
            *e = (e.0, NULL, None);
        }
    }
    NewViewPlan {
        min_s,
        stable_digest,
        proof,
        max_s,
        entries,
    }
}

/// Why a view-change message is not valid.
enum Invalid {
    /// A signature is not the claimed signer's.
    Forged(NodeId, &'static str),
    /// Malformed (wrong view, duplicate sequence numbers, too few prepares…).
    Malformed(&'static str),
}

impl Replica {
    /// The view-change timer fired (or a user forced it).
    pub(super) fn on_view_change_timeout(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        let armed = std::mem::replace(&mut self.vc_timer, false);
        if self.d.changing && !armed {
            // §4.5.2: while changing views the timer runs only once 2f + 1 view-change
            // messages for the target view are in; a forced expiry before that changes nothing.
            ctx.note(format_args!(
                "waits for 2f+1 view-changes for view {} before its timer runs",
                self.d.view
            ));
            return;
        }
        if self.d.changing {
            self.backoff = (self.backoff + 1).min(self.config.view_change_backoff_max);
            ctx.note(format_args!(
                "no NEW-VIEW for view {} in time: moves on, timeout now {} ms",
                self.d.view,
                self.view_change_timeout_ms()
            ));
        } else {
            ctx.note(format_args!(
                "a request waited {} ms without executing: suspects primary {}",
                self.view_change_timeout_ms(),
                self.primary()
            ));
        }
        self.start_view_change(ctx, self.d.view + 1);
    }

    /// Multicast VIEW-CHANGE for `target` and stop voting in the current view.
    pub(super) fn start_view_change(&mut self, ctx: &mut Ctx<'_, Pbft>, target: u64) {
        if target <= self.d.view {
            return;
        }
        self.d.view = target;
        self.d.changing = true;
        if self.vc_timer {
            ctx.cancel_timer(PbftTimer::ViewChange);
            self.vc_timer = false;
        }
        self.byz.held.clear();
        let vc = Rc::new(self.build_view_change(target));
        self.view_changes
            .entry(target)
            .or_default()
            .insert(self.id, Rc::clone(&vc));
        ctx.count("view_change_messages");
        self.multicast(ctx, PbftMsg::ViewChange(vc));
        self.try_complete_view_change(ctx);
    }

    /// This replica's VIEW-CHANGE for `target`: its stable checkpoint and proof, and its
    /// prepared certificates above it.
    fn build_view_change(&self, target: u64) -> ViewChange {
        let prepared: Vec<PreparedCert> = if self.behaviour == Some(Behaviour::ForgeVotes) {
            self.forged_certificates(target)
        } else {
            self.d
                .slots
                .values()
                .filter(|s| s.seq > self.d.stable.seq)
                .filter_map(|s| s.prepared.clone())
                .collect()
        };
        ViewChange {
            view: target,
            stable_seq: self.d.stable.seq,
            stable_digest: self.d.stable.digest,
            proof: self.d.stable.proof.clone(),
            prepared,
            replica: self.id,
            sig: Default::default(),
        }
        .signed(&self.signer)
    }

    /// Re-multicast this replica's VIEW-CHANGE (retransmission; also after a restart), and
    /// relay the latest quorum of view-changes it saw, so replicas short of it catch up.
    pub(super) fn resend_view_change(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        let target = self.d.view;
        let vc = match self.view_changes.get(&target).and_then(|m| m.get(&self.id)) {
            Some(vc) => vc.clone(),
            None => {
                let vc = Rc::new(self.build_view_change(target));
                self.view_changes
                    .entry(target)
                    .or_default()
                    .insert(self.id, Rc::clone(&vc));
                vc
            }
        };
        self.multicast(ctx, PbftMsg::ViewChange(vc));
        let quorum: Vec<Rc<ViewChange>> = self
            .d
            .vc_quorum
            .iter()
            .filter(|vc| vc.view < target)
            .cloned()
            .collect();
        for vc in quorum {
            self.multicast(ctx, PbftMsg::ViewChange(vc));
        }
        self.try_complete_view_change(ctx);
    }

    /// Check a view-change message for `view`: its signature, its checkpoint proof and every
    /// prepared certificate (§4.4).
    fn check_view_change(&self, vc: &ViewChange, view: u64) -> Result<(), Invalid> {
        if vc.view != view || vc.replica.is_client() || vc.replica.index() >= self.n {
            return Err(Invalid::Malformed(
                "it is for another view or from no replica",
            ));
        }
        if !vc.authentic() {
            return Err(Invalid::Forged(vc.replica, "view-change"));
        }
        if self.config.mutant() == Some(Mutant::SkipViewChangeCheck) {
            return Ok(());
        }
        if !self.valid_checkpoint_proof(vc.stable_seq, vc.stable_digest, &vc.proof) {
            return Err(Invalid::Forged(vc.replica, "checkpoint proof"));
        }
        let mut seen = BTreeSet::new();
        for cert in &vc.prepared {
            let (seq, v, digest) = (cert.seq(), cert.view(), cert.digest());
            if seq <= vc.stable_seq || seq > vc.stable_seq + self.config.log_size {
                return Err(Invalid::Malformed("a certificate outside the water marks"));
            }
            if !seen.insert(seq) {
                return Err(Invalid::Malformed(
                    "two certificates for one sequence number",
                ));
            }
            if v >= view {
                return Err(Invalid::Malformed("a certificate from a view not yet left"));
            }
            if !cert.pre_prepare.authentic(self.n) {
                return Err(Invalid::Forged(
                    primary_of(v, self.n),
                    "pre-prepare in a certificate",
                ));
            }
            let primary = primary_of(v, self.n);
            let mut voters = BTreeSet::new();
            for p in &cert.prepares {
                if p.view != v || p.seq != seq || p.digest != digest || p.replica == primary {
                    return Err(Invalid::Malformed(
                        "a prepare that does not match its certificate",
                    ));
                }
                if !p.authentic(VoteKind::Prepare) {
                    return Err(Invalid::Forged(p.replica, "prepare in a certificate"));
                }
                voters.insert(p.replica);
            }
            if voters.len() < self.prepare_quorum() {
                return Err(Invalid::Malformed("a certificate with too few prepares"));
            }
        }
        Ok(())
    }

    /// A VIEW-CHANGE message.
    pub(super) fn on_view_change(&mut self, ctx: &mut Ctx<'_, Pbft>, vc: Rc<ViewChange>) {
        let view = vc.view;
        if view < self.d.view {
            // A replica still behind (a retransmission): show it the current view.
            if let Some(nv) = self.d.new_view.as_ref().filter(|nv| nv.view == self.d.view) {
                if !self.d.changing && vc.authentic() && vc.replica != self.id {
                    ctx.send(vc.replica, PbftMsg::NewView(Rc::clone(nv)));
                }
            }
            return;
        }
        if view == self.d.view && !self.d.changing {
            return;
        }
        let known = self
            .view_changes
            .get(&view)
            .and_then(|m| m.get(&vc.replica))
            .is_some_and(|old| old.sig == vc.sig);
        if known {
            return;
        }
        match self.check_view_change(&vc, view) {
            Ok(()) => {}
            Err(Invalid::Forged(who, what)) => {
                self.reject_forged(ctx, what, who);
                return;
            }
            Err(Invalid::Malformed(why)) => {
                ctx.count("view_change_rejected");
                ctx.note(format_args!(
                    "rejects {}'s view-change for view {view}: {why}",
                    vc.replica
                ));
                return;
            }
        }
        let from = vc.replica;
        self.view_changes.entry(view).or_default().insert(from, vc);
        let latest = self.vc_latest.entry(from).or_default();
        *latest = (*latest).max(view);
        self.join_if_f_plus_one(ctx);
        self.try_complete_view_change(ctx);
    }

    /// §4.5.2: with view-change messages from `f + 1` other replicas for views above its own, a
    /// replica joins the smallest view among the `f + 1` highest.
    fn join_if_f_plus_one(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        let mine = self.d.view;
        let mut higher: Vec<u64> = self
            .vc_latest
            .iter()
            .filter(|(r, v)| **r != self.id && **v > mine)
            .map(|(_, v)| *v)
            .collect();
        if higher.len() <= self.f {
            return;
        }
        higher.sort_unstable_by(|a, b| b.cmp(a));
        let target = higher[self.f];
        ctx.note(format_args!(
            "{} replicas moved past view {mine}: joins the view change to view {target}",
            self.f + 1
        ));
        self.start_view_change(ctx, target);
    }

    /// With `2f + 1` view-change messages for the target view: the new primary sends
    /// NEW-VIEW; a backup starts its timer.
    fn try_complete_view_change(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        if !self.d.changing {
            return;
        }
        let target = self.d.view;
        let Some(vcs) = self.view_changes.get(&target) else {
            return;
        };
        if vcs.len() < self.quorum() {
            return;
        }
        if self.d.vc_quorum.first().is_none_or(|vc| vc.view < target) {
            self.d.vc_quorum = vcs.values().cloned().collect();
        }
        if primary_of(target, self.n) == self.id {
            if vcs.contains_key(&self.id) {
                self.send_new_view(ctx);
            }
        } else if !self.vc_timer {
            ctx.set_timer(PbftTimer::ViewChange, self.view_change_timeout_ms());
            self.vc_timer = true;
        }
    }

    /// The new primary: build and multicast NEW-VIEW, then enter the view.
    fn send_new_view(&mut self, ctx: &mut Ctx<'_, Pbft>) {
        let view = self.d.view;
        let vcs: Vec<Rc<ViewChange>> = self
            .view_changes
            .get(&view)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        let plan = compute_o(&vcs, self.config.mutant());
        let o: Vec<PrePrepare> = plan
            .entries
            .iter()
            .map(|(seq, _, request)| PrePrepare::new(&self.signer, view, *seq, request.clone()))
            .collect();
        let mut nv = NewView {
            view,
            view_changes: vcs,
            pre_prepares: o,
            sig: Default::default(),
        };
        nv.sig = self.signer.sign(nv.content());
        ctx.count("new_views");
        let nv = Rc::new(nv);
        self.multicast(ctx, PbftMsg::NewView(Rc::clone(&nv)));
        self.install_new_view(ctx, nv, plan);
    }

    /// Check a NEW-VIEW (§4.4): V holds `2f + 1` valid view-change messages for its view from
    /// different replicas, and O is what V determines. Returns the plan, or why not.
    pub(super) fn check_new_view(&self, nv: &NewView) -> Result<NewViewPlan, String> {
        let mut from = BTreeSet::new();
        for vc in &nv.view_changes {
            match self.check_view_change(vc, nv.view) {
                Ok(()) => {}
                Err(Invalid::Forged(who, what)) => {
                    return Err(format!("V holds a {what} that {who} did not sign"))
                }
                Err(Invalid::Malformed(why)) => {
                    return Err(format!(
                        "{}'s view-change in V is invalid: {why}",
                        vc.replica
                    ))
                }
            }
            if !from.insert(vc.replica) {
                return Err(format!("V holds two view-changes from {}", vc.replica));
            }
        }
        if from.len() < self.quorum() {
            return Err(format!(
                "V holds {} view-changes, fewer than 2f+1 = {}",
                from.len(),
                self.quorum()
            ));
        }
        let plan = compute_o(&nv.view_changes, self.config.mutant());
        let same = nv.pre_prepares.len() == plan.entries.len()
            && nv
                .pre_prepares
                .iter()
                .zip(&plan.entries)
                .all(|(pp, (seq, digest, _))| {
                    pp.view == nv.view
                        && pp.seq == *seq
                        && pp.digest == *digest
                        && pp.authentic(self.n)
                });
        if !same {
            return Err("O is not what its view-changes determine".to_string());
        }
        Ok(plan)
    }

    /// A NEW-VIEW message.
    pub(super) fn on_new_view(&mut self, ctx: &mut Ctx<'_, Pbft>, nv: Rc<NewView>) {
        if nv.view < self.d.view {
            self.reject_stale(ctx, "new-view", nv.view);
            return;
        }
        if nv.view == self.d.view && !self.d.changing {
            return;
        }
        if !nv.authentic(self.n) {
            self.reject_forged(ctx, "new-view", primary_of(nv.view, self.n));
            return;
        }
        match self.check_new_view(&nv) {
            Ok(plan) => self.install_new_view(ctx, nv, plan),
            Err(why) => {
                self.rejections.bad_new_views += 1;
                ctx.count("new_view_rejected");
                ctx.note(format_args!("rejects NEW-VIEW for view {}: {why}", nv.view));
            }
        }
    }

    /// Enter the view of `nv`: adopt min-s, log O (backups prepare each entry), and as the
    /// new primary carry on assigning.
    fn install_new_view(&mut self, ctx: &mut Ctx<'_, Pbft>, nv: Rc<NewView>, plan: NewViewPlan) {
        let view = nv.view;
        self.d.view = view;
        self.d.changing = false;
        self.d.active_view = view;
        if self.vc_timer {
            ctx.cancel_timer(PbftTimer::ViewChange);
            self.vc_timer = false;
        }
        for slot in self.d.slots.values_mut() {
            slot.prepares.retain(|(v, _, _), _| *v >= view);
        }
        if plan.min_s > self.d.stable.seq {
            match self.d.snapshots.get(&plan.min_s) {
                Some((own, state)) if *own == plan.stable_digest => {
                    let state = state.clone();
                    self.make_stable(ctx, plan.min_s, plan.stable_digest, plan.proof, state);
                }
                _ if self.last_exec < plan.min_s => {
                    self.start_fetch(ctx, plan.min_s, plan.stable_digest, &plan.proof);
                }
                _ => {}
            }
        }
        ctx.count("view_changes");
        let o = if plan.max_s > plan.min_s {
            format!("O re-issues n={}..{}", plan.min_s + 1, plan.max_s)
        } else {
            format!("nothing prepared above n={}, O is empty", plan.min_s)
        };
        ctx.note(format_args!(
            "enters view {view} (primary {}): {o}",
            primary_of(view, self.n)
        ));
        for pp in &nv.pre_prepares {
            if pp.seq > self.d.stable.seq {
                self.accept_pre_prepare(ctx, pp.clone());
            }
        }
        self.view_changes = self.view_changes.split_off(&(view + 1));
        self.d.new_view = Some(nv);
        self.rebuild_assignments();
        self.assign(ctx);
    }
}
