//! What the PBFT panel shows, as pure functions of the typed state: a replica's standing in a
//! few lines, the log matrix (replicas × sequence numbers, each cell a phase), the replicas'
//! table and the clients' operations with the replicas whose `f + 1` matching replies were
//! accepted.

use netsplit_core::checkers::linearizability::Outcome;
use netsplit_core::protocols::pbft::{Mode, PbftClient, PbftDurable, PbftOp, Phase, Replica};
use netsplit_core::protocols::raft::kv;
use netsplit_core::NodeId;

/// Sequence numbers the log matrix shows at most.
pub const MATRIX_WIDTH: usize = 8;

/// A phase as a cell of the log matrix: letters, so it reads without colour.
pub fn phase_mark(p: Phase) -> &'static str {
    match p {
        Phase::Empty => "·",
        Phase::PrePrepared => "PP",
        Phase::Prepared => "P",
        Phase::Committed => "C",
        Phase::Executed => "E",
    }
}

/// A replica's role in its view in words: `primary of view 0`, `backup in view 2 (primary
/// n3)` or `changing to view 1 (VIEW-CHANGE from n2 n3, needs 3)`.
pub fn standing(r: &Replica) -> String {
    let view = r.current_view();
    match r.mode() {
        Mode::ViewChange => {
            let votes = r.view_change_votes(view);
            format!(
                "changing to view {view} (VIEW-CHANGE from {}, needs {}; new primary {})",
                if votes.is_empty() {
                    "nobody yet".to_string()
                } else {
                    crate::panels::names(votes)
                },
                r.quorum(),
                r.primary()
            )
        }
        Mode::Normal if r.is_primary() => format!("primary of view {view}"),
        Mode::Normal => format!("backup in view {view} (primary {})", r.primary()),
    }
}

/// A replica's role in a word or two, for the replicas' table: `primary`, `backup` or
/// `→ v1 (2/3)` (a view change with the VIEW-CHANGE messages it holds and needs).
pub fn role_word(r: &Replica) -> String {
    let view = r.current_view();
    match r.mode() {
        Mode::ViewChange => format!(
            "→ v{view} ({}/{})",
            r.view_change_votes(view).len(),
            r.quorum()
        ),
        Mode::Normal if r.is_primary() => "primary".to_string(),
        Mode::Normal => "backup".to_string(),
    }
}

/// What a replica has seen through so far: forged, stale, bad NEW-VIEW and bad state
/// messages.
pub fn detected(r: &Replica) -> String {
    let rej = r.rejections();
    format!(
        "{} forged · {} stale · {} bad NEW-VIEW · {} bad state",
        rej.forged, rej.stale, rej.bad_new_views, rej.bad_states
    )
}

/// The proofs that a primary equivocated: two pre-prepares it signed for one sequence
/// number, `view 0 n=1: d=0000 and d=68d7 (1 proof)`.
pub fn equivocation(r: &Replica) -> Option<String> {
    let proofs = r.equivocation_proofs();
    let p = proofs.last()?;
    Some(format!(
        "view {} n={}: two pre-prepares signed by {}, d={} and d={} ({} proof{})",
        p.view,
        p.seq,
        netsplit_core::protocols::pbft::msg::primary_of(p.view, r.cluster_size()),
        p.accepted,
        p.other,
        proofs.len(),
        if proofs.len() == 1 { "" } else { "s" }
    ))
}

/// Lines describing a running replica, for its inspector.
pub fn replica_lines(r: &Replica) -> Vec<(String, String)> {
    let stable = r.stable_checkpoint();
    let mut lines = vec![
        ("standing".to_string(), standing(r)),
        (
            "faulty".to_string(),
            r.behaviour().map_or_else(
                || "no: follows the protocol".to_string(),
                |b| format!("☠ {b}: {}", b.summary()),
            ),
        ),
        (
            "water marks".to_string(),
            format!(
                "h = {} < n ≤ H = {} (accepted now)",
                r.low_water_mark(),
                r.high_water_mark()
            ),
        ),
        (
            "stable checkpoint".to_string(),
            format!(
                "n = {}, state d={}, {} matching CHECKPOINT messages",
                stable.seq,
                stable.digest,
                stable.proof.len()
            ),
        ),
        ("executed up to".to_string(), r.last_executed().to_string()),
        ("rejected".to_string(), detected(r)),
    ];
    if let Some(e) = equivocation(r) {
        lines.push(("primary equivocated".to_string(), e));
    }
    if let Some(f) = r.fetching() {
        lines.push((
            "state transfer".to_string(),
            format!("fetching checkpoint n = {} ({} asked)", f.seq, f.asked),
        ));
    }
    lines
}

/// Lines describing a crashed replica: only its disk.
pub fn crashed_lines(d: &PbftDurable) -> Vec<(String, String)> {
    vec![
        ("view".to_string(), d.view.to_string()),
        (
            "stable checkpoint".to_string(),
            format!("n = {}, state d={}", d.stable.seq, d.stable.digest),
        ),
        (
            "log".to_string(),
            format!("{} sequence numbers on disk", d.slots.len()),
        ),
    ]
}

/// The sequence numbers the matrix shows: the last [`MATRIX_WIDTH`] up to the highest any
/// replica holds or executed (none before the first request).
pub fn matrix_columns(replicas: &[&Replica]) -> Vec<u64> {
    let top = replicas
        .iter()
        .map(|r| {
            r.slots()
                .keys()
                .next_back()
                .copied()
                .unwrap_or(0)
                .max(r.last_executed())
        })
        .max()
        .unwrap_or(0);
    let first = top.saturating_sub(MATRIX_WIDTH as u64 - 1).max(1);
    (first..=top).collect()
}

/// One replica's row of the log matrix over `columns`: each cell its phase mark, with the
/// prepares and commits it counted for the pre-prepare it accepted (`P 2p 3c`).
pub fn matrix_row(r: &Replica, columns: &[u64]) -> Vec<String> {
    columns
        .iter()
        .map(|seq| {
            let phase = r.phase(*seq);
            let counts = r.slots().get(seq).and_then(|s| {
                let (view, digest) = s.accepted()?;
                let p = s.matching_prepares(view, digest, r.cluster_size()).len();
                let c = s.commit_count(view, digest);
                Some(format!(" {p}p {c}c"))
            });
            match (phase, counts) {
                (Phase::Executed, _) | (Phase::Empty, None) => phase_mark(phase).to_string(),
                (_, Some(counts)) => format!("{}{counts}", phase_mark(phase)),
                (_, None) => phase_mark(phase).to_string(),
            }
        })
        .collect()
}

/// One client operation in words: `c1 #1 put x 1 → ok in 84 ms (f + 1 = 2 matching: n1 n2)`.
pub fn op_line(client: NodeId, op: &PbftOp) -> String {
    let result = match (&op.returned, op.gave_up) {
        (Some((at, outcome)), _) => format!(
            "{} in {} ms (matching replies from {})",
            kv::describe(&op.op, outcome),
            at.0.saturating_sub(op.invoked_at.0),
            crate::panels::names(op.agreeing.iter().copied())
        ),
        (None, true) => "gave up: outcome unknown".to_string(),
        (None, false) => "waiting…".to_string(),
    };
    let resent = match op.broadcasts {
        0 => String::new(),
        k => format!(", resent to all {k}×"),
    };
    format!(
        "{client} #{} {} → {result} (sent to {}{resent})",
        op.timestamp,
        kv::short(&op.op),
        op.first_contact
    )
}

/// A client's latest operation in a few words (its tooltip on the graph).
pub fn latest(op: &PbftOp) -> String {
    let status = match (&op.returned, op.gave_up) {
        (Some((_, outcome)), _) => kv::describe(&op.op, outcome),
        (None, true) => "gave up (outcome unknown)".to_string(),
        (None, false) => "waiting…".to_string(),
    };
    format!("#{} {}: {status}", op.timestamp, kv::short(&op.op))
}

/// The replies a client holds for its request in progress, grouped by result: `ok from n1
/// n2` — and how many matching it needs.
pub fn pending_replies(c: &PbftClient) -> Option<String> {
    c.current()?;
    let mut groups: Vec<(&Outcome, Vec<NodeId>)> = Vec::new();
    for (node, (outcome, _)) in c.replies() {
        match groups.iter_mut().find(|(o, _)| *o == outcome) {
            Some((_, nodes)) => nodes.push(*node),
            None => groups.push((outcome, vec![*node])),
        }
    }
    let got: Vec<String> = groups
        .iter()
        .map(|(o, nodes)| format!("{o} from {}", crate::panels::names(nodes.iter().copied())))
        .collect();
    Some(format!(
        "waiting for {} matching replies; {}",
        c.replies_needed(),
        if got.is_empty() {
            "none yet".to_string()
        } else {
            got.join("; ")
        }
    ))
}
