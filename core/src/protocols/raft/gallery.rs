//! Raft's gallery: named scenarios, compiled in. The documents live in `core/tests/scenarios/`, where
//! the golden tests run each one and check its trace and promised outcome.

use crate::run::gallery::GalleryEntry;
use crate::run::tour::challenge::{ChallengeEntry, Chapter};

/// Raft's named scenarios.
pub const GALLERY: &[GalleryEntry] = &[
    GalleryEntry {
        id: "raft-leader-crash",
        title: "Raft: the leader crashes",
        json: include_str!("../../../tests/scenarios/raft-leader-crash.json"),
    },
    GalleryEntry {
        id: "raft-minority-leader",
        title: "Raft: a leader cut off in a minority",
        json: include_str!("../../../tests/scenarios/raft-minority-leader.json"),
    },
    GalleryEntry {
        id: "raft-figure-7",
        title: "Raft: Figure 7 — divergent follower logs repaired",
        json: include_str!("../../../tests/scenarios/raft-figure-7.json"),
    },
    GalleryEntry {
        id: "raft-figure-8",
        title: "Raft: Figure 8 — why old-term entries are not committed by counting",
        json: include_str!("../../../tests/scenarios/raft-figure-8.json"),
    },
    GalleryEntry {
        id: "raft-rejoin-prevote",
        title: "Raft: a partitioned leader rejoins (PreVote on)",
        json: include_str!("../../../tests/scenarios/raft-rejoin-prevote.json"),
    },
    GalleryEntry {
        id: "raft-rejoin-no-prevote",
        title: "Raft: a partitioned leader rejoins (PreVote off)",
        json: include_str!("../../../tests/scenarios/raft-rejoin-no-prevote.json"),
    },
    GalleryEntry {
        id: "raft-partial-partition",
        title: "Raft: partial partition — n4 reaches only n2, n5 only n3",
        json: include_str!("../../../tests/scenarios/raft-partial-partition.json"),
    },
    GalleryEntry {
        id: "raft-install-snapshot",
        title: "Raft: a follower far behind catches up by InstallSnapshot",
        json: include_str!("../../../tests/scenarios/raft-install-snapshot.json"),
    },
    GalleryEntry {
        id: "raft-client-redirect",
        title: "Raft: a client is redirected from a follower to the leader",
        json: include_str!("../../../tests/scenarios/raft-client-redirect.json"),
    },
    GalleryEntry {
        id: "raft-minority-read",
        title: "Raft: a read in a minority partition returns no stale data",
        json: include_str!("../../../tests/scenarios/raft-minority-read.json"),
    },
    GalleryEntry {
        id: "raft-split-vote",
        title: "Raft: a split vote, then a winner",
        json: include_str!("../../../tests/scenarios/raft-split-vote.json"),
    },
    GalleryEntry {
        id: "raft-minority-write",
        title: "Raft: a write to a cut-off leader is never committed",
        json: include_str!("../../../tests/scenarios/raft-minority-write.json"),
    },
    GalleryEntry {
        id: "raft-lease-restart",
        title: "Raft: voters restart inside the leader's lease",
        json: include_str!("../../../tests/scenarios/raft-lease-restart.json"),
    },
];

/// Raft's tour, from first principles to its hardest cases.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        id: "raft-election",
        title: "Leader election",
        summary: "Randomized timeouts, split votes, and electing a new leader when one crashes or is cut off (§5.2).",
        scenarios: &["raft-split-vote", "raft-leader-crash", "raft-minority-leader"],
    },
    Chapter {
        id: "raft-replication",
        title: "Log replication",
        summary: "A client write goes to the leader, is replicated to a majority and committed; a write in a minority never is (§5.3, §8).",
        scenarios: &["raft-client-redirect", "raft-minority-write"],
    },
    Chapter {
        id: "raft-figure-7",
        title: "Repairing divergent logs (Figure 7)",
        summary: "The AppendEntries consistency check fills in missing entries and truncates extra ones (§5.3).",
        scenarios: &["raft-figure-7"],
    },
    Chapter {
        id: "raft-figure-8",
        title: "Committing safely (Figure 8)",
        summary: "Why a leader never commits an earlier term's entry by counting replicas (§5.4.2).",
        scenarios: &["raft-figure-8"],
    },
    Chapter {
        id: "raft-prevote",
        title: "PreVote and CheckQuorum",
        summary: "How a rejoining or half-connected server is kept from disrupting a healthy leader (dissertation §9.6).",
        scenarios: &["raft-rejoin-no-prevote", "raft-rejoin-prevote", "raft-partial-partition"],
    },
    Chapter {
        id: "raft-snapshots",
        title: "Snapshots",
        summary: "Log compaction and InstallSnapshot for a follower that fell too far behind (§7).",
        scenarios: &["raft-install-snapshot"],
    },
    Chapter {
        id: "raft-reads",
        title: "Linearizable reads",
        summary: "ReadIndex and leases: answering reads without returning stale data (§8, dissertation §6.4).",
        scenarios: &["raft-minority-read", "raft-lease-restart"],
    },
];

/// Raft's challenges.
pub const CHALLENGES: &[ChallengeEntry] = &[
    ChallengeEntry {
        id: "raft-split-vote",
        title: "Cause a split vote",
        json: include_str!("../../../tests/challenges/raft-split-vote.json"),
    },
    ChallengeEntry {
        id: "raft-needless-election",
        title: "Force a needless election with PreVote off",
        json: include_str!("../../../tests/challenges/raft-needless-election.json"),
    },
];
