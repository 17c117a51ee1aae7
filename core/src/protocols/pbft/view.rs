//! How a PBFT replica looks in the generic inspector: durable and volatile fields, the log
//! (sequence numbers with their phase) as a [`LogView`] and a table, the checkpoints, and a
//! badge naming a faulty replica's behaviour or a view change under way.

use super::msg::NULL;
use super::replica::{Mode, Phase, Replica};
use crate::kernel::view::{Field, LogCell, LogView, NodeView, ViewTable};

/// One letter per phase, for log cells: `·` empty, `P` pre-prepared, `p` prepared… spelled
/// out so a cell reads without colour.
fn phase_tag(p: Phase) -> &'static str {
    match p {
        Phase::Empty => "…",
        Phase::PrePrepared => "PP",
        Phase::Prepared => "P",
        Phase::Committed => "C",
        Phase::Executed => "E",
    }
}

/// The inspector view of a replica.
pub(crate) fn replica_view(r: &Replica) -> NodeView {
    let d = r.state();
    let stable = r.stable_checkpoint();
    let mut fields = vec![
        Field::durable("view", d.view),
        Field::durable(
            "mode",
            match r.mode() {
                Mode::Normal => "normal".to_string(),
                Mode::ViewChange => format!("changing to view {}", d.view),
            },
        ),
        Field::durable(
            "stable checkpoint",
            format!(
                "n={} state {} ({} proofs)",
                stable.seq,
                stable.digest,
                stable.proof.len()
            ),
        ),
        Field::durable(
            "water marks",
            format!("({}, {}]", r.low_water_mark(), r.high_water_mark()),
        ),
        Field::durable("log", format!("{} slots", d.slots.len())),
        Field::volatile("last executed", r.last_executed()),
        Field::volatile("state machine", r.kv().summary(6)),
        Field::volatile("client sessions", r.kv().sessions.len()),
        Field::volatile("primary", r.primary()),
        Field::volatile(
            "f / quorum",
            format!("f={} · 2f+1={} · n={}", r.f(), r.quorum(), r.cluster_size()),
        ),
        Field::volatile(
            "view-change timeout",
            format!("{} ms", r.view_change_timeout_ms()),
        ),
        Field::volatile("waiting requests", r.waiting_requests().len()),
    ];
    let rej = r.rejections();
    fields.push(Field::volatile(
        "rejected",
        format!(
            "{} forged · {} stale · {} bad new-views · {} bad states",
            rej.forged, rej.stale, rej.bad_new_views, rej.bad_states
        ),
    ));
    if let Some(f) = r.fetching() {
        fields.push(Field::volatile(
            "state transfer",
            format!("fetching checkpoint n={} ({} asked)", f.seq, f.asked),
        ));
    }
    if !r.equivocation_proofs().is_empty() {
        fields.push(Field::volatile(
            "equivocation proofs",
            r.equivocation_proofs().len(),
        ));
    }
    if let Some(b) = r.behaviour() {
        fields.push(Field::durable("faulty", format!("{b}: {}", b.summary())));
    }
    let label = |seq: u64| {
        let slot = d.slots.get(&seq);
        let what = slot
            .and_then(|s| s.pre_prepare.as_ref())
            .map_or_else(|| "—".to_string(), |pp| pp.label());
        format!("{} {what}", phase_tag(r.phase(seq)))
    };
    let last = d
        .slots
        .keys()
        .next_back()
        .copied()
        .unwrap_or(0)
        .max(r.last_executed());
    let committed = d
        .slots
        .values()
        .filter(|s| s.committed.is_some())
        .map(|s| s.seq)
        .max()
        .unwrap_or(0)
        .max(r.last_executed());
    let tail: Vec<LogCell> = d
        .slots
        .values()
        .rev()
        .take(LogView::TAIL)
        .rev()
        .map(|s| LogCell {
            index: s.seq,
            term: s.pre_prepare.as_ref().map_or(d.view, |pp| pp.view),
            label: label(s.seq),
        })
        .collect();
    let mut log_table = ViewTable {
        title: "Log".to_string(),
        columns: ["n", "view", "request", "phase", "prepares", "commits"]
            .iter()
            .map(ToString::to_string)
            .collect(),
        rows: Vec::new(),
        durable: true,
    };
    for s in d.slots.values().rev().take(LogView::TAIL).rev() {
        let (view, digest) = s.accepted().unwrap_or((d.view, NULL));
        log_table.rows.push(vec![
            s.seq.to_string(),
            view.to_string(),
            s.pre_prepare
                .as_ref()
                .map_or_else(|| "—".to_string(), |pp| pp.label()),
            r.phase(s.seq).name().to_string(),
            s.matching_prepares(view, digest, r.cluster_size())
                .len()
                .to_string(),
            s.commit_count(view, digest).to_string(),
        ]);
    }
    let mut checkpoints = ViewTable {
        title: "Checkpoints".to_string(),
        columns: ["n", "state", "votes", "status"]
            .iter()
            .map(ToString::to_string)
            .collect(),
        rows: vec![vec![
            stable.seq.to_string(),
            stable.digest.to_string(),
            stable.proof.len().to_string(),
            "stable".to_string(),
        ]],
        durable: true,
    };
    let own = r.own_checkpoints();
    for (seq, votes) in r.checkpoint_votes() {
        let digest = own.get(&seq).copied();
        let agree = digest.map_or(0, |d| votes.values().filter(|v| **v == d).count());
        checkpoints.rows.push(vec![
            seq.to_string(),
            digest.map_or_else(|| "—".to_string(), |d| d.to_string()),
            format!("{agree}/{}", votes.len()),
            "pending".to_string(),
        ]);
    }
    let badge = match (r.behaviour(), r.mode(), r.fetching()) {
        (Some(b), _, _) => Some(format!("☠ {b}")),
        (None, Mode::ViewChange, _) => Some(format!("⟳ view change → v{}", d.view)),
        (None, Mode::Normal, Some(f)) => Some(format!("⇣ fetching state n={}", f.seq)),
        _ => None,
    };
    // A faulty replica's label under it names its behaviour, never its votes.
    let votes = (r.mode() == Mode::ViewChange && r.behaviour().is_none())
        .then(|| (r.view_change_votes(d.view).len(), r.quorum()));
    NodeView {
        role: crate::kernel::node::Server::role(r),
        term: Some(d.view),
        leader: Some(r.primary()),
        votes,
        fields,
        log: Some(LogView {
            tail,
            last_index: last,
            commit_index: committed,
            applied_index: r.last_executed(),
            snapshot_index: r.low_water_mark(),
            followers: Vec::new(),
        }),
        lists: Vec::new(),
        badge,
        tables: vec![log_table, checkpoints],
    }
}
