//! The built-in gallery: named scenarios, compiled into the binary.
//!
//! The files live in `core/tests/scenarios/`, where `tests/golden.rs` runs each one and checks
//! its trace and its promised outcome; the page's gallery and `netsplit run --scenario
//! gallery:NAME` load the very same documents.

use crate::kernel::config::ConfigError;
use crate::run::scenario::Scenario;

/// Every named scenario: (id, title — equal to the document's `name`, JSON document).
pub const ALL: &[(&str, &str, &str)] = &[
    (
        "raft-leader-crash",
        "Raft: the leader crashes",
        include_str!("../../tests/scenarios/raft-leader-crash.json"),
    ),
    (
        "raft-minority-leader",
        "Raft: a leader cut off in a minority",
        include_str!("../../tests/scenarios/raft-minority-leader.json"),
    ),
    (
        "raft-figure-7",
        "Raft: Figure 7 — divergent follower logs repaired",
        include_str!("../../tests/scenarios/raft-figure-7.json"),
    ),
    (
        "raft-figure-8",
        "Raft: Figure 8 — why old-term entries are not committed by counting",
        include_str!("../../tests/scenarios/raft-figure-8.json"),
    ),
    (
        "raft-rejoin-prevote",
        "Raft: a partitioned leader rejoins (PreVote on)",
        include_str!("../../tests/scenarios/raft-rejoin-prevote.json"),
    ),
    (
        "raft-rejoin-no-prevote",
        "Raft: a partitioned leader rejoins (PreVote off)",
        include_str!("../../tests/scenarios/raft-rejoin-no-prevote.json"),
    ),
    (
        "raft-partial-partition",
        "Raft: partial partition — n4 reaches only n2, n5 only n3",
        include_str!("../../tests/scenarios/raft-partial-partition.json"),
    ),
    (
        "raft-install-snapshot",
        "Raft: a follower far behind catches up by InstallSnapshot",
        include_str!("../../tests/scenarios/raft-install-snapshot.json"),
    ),
    (
        "raft-client-redirect",
        "Raft: a client is redirected from a follower to the leader",
        include_str!("../../tests/scenarios/raft-client-redirect.json"),
    ),
    (
        "raft-minority-read",
        "Raft: a read in a minority partition returns no stale data",
        include_str!("../../tests/scenarios/raft-minority-read.json"),
    ),
    (
        "2pc-happy-path",
        "2PC: the happy path",
        include_str!("../../tests/scenarios/2pc-happy-path.json"),
    ),
    (
        "2pc-vote-no",
        "2PC: a participant votes no",
        include_str!("../../tests/scenarios/2pc-vote-no.json"),
    ),
    (
        "2pc-coordinator-crash",
        "2PC: the coordinator crashes after the decision; participants block",
        include_str!("../../tests/scenarios/2pc-coordinator-crash.json"),
    ),
    (
        "2pc-participant-crash",
        "2PC: a participant crashes while prepared",
        include_str!("../../tests/scenarios/2pc-participant-crash.json"),
    ),
    (
        "2pc-presumed-abort",
        "2PC: presumed abort",
        include_str!("../../tests/scenarios/2pc-presumed-abort.json"),
    ),
    (
        "2pc-read-only",
        "2PC: a read-only participant",
        include_str!("../../tests/scenarios/2pc-read-only.json"),
    ),
    (
        "2pc-conflict",
        "2PC: two conflicting transactions",
        include_str!("../../tests/scenarios/2pc-conflict.json"),
    ),
    (
        "3pc-partition",
        "3PC: a partition breaks atomicity",
        include_str!("../../tests/scenarios/3pc-partition.json"),
    ),
    (
        "2pc-partition",
        "2PC: the same partition only blocks",
        include_str!("../../tests/scenarios/2pc-partition.json"),
    ),
    (
        "kv-siblings-partition",
        "Dynamo: concurrent writers make siblings, a write with context resolves them",
        include_str!("../../tests/scenarios/kv-siblings-partition.json"),
    ),
    (
        "kv-lww-skew",
        "Dynamo: last-writer-wins loses a write to clock skew",
        include_str!("../../tests/scenarios/kv-lww-skew.json"),
    ),
    (
        "kv-converge-after-heal",
        "Dynamo: replicas converge after the heal",
        include_str!("../../tests/scenarios/kv-converge-after-heal.json"),
    ),
    (
        "kv-strong-fails-in-minority",
        "Dynamo: a STRONG write fails in a minority partition, an EVENTUAL one succeeds",
        include_str!("../../tests/scenarios/kv-strong-fails-in-minority.json"),
    ),
    (
        "kv-hinted-handoff",
        "Dynamo: a sloppy quorum's hint is handed off after the heal",
        include_str!("../../tests/scenarios/kv-hinted-handoff.json"),
    ),
];

/// Load a named scenario.
pub fn load(id: &str) -> Result<Scenario, ConfigError> {
    let (_, _, json) = ALL.iter().find(|(name, _, _)| *name == id).ok_or_else(|| {
        let names: Vec<&str> = ALL.iter().map(|(n, _, _)| *n).collect();
        ConfigError::new(
            "(gallery)",
            format!("no scenario {id:?}; the gallery has: {}", names.join(", ")),
        )
    })?;
    Scenario::from_json(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gallery_scenario_loads_and_has_a_name() {
        for (id, title, _) in ALL {
            let s = load(id).unwrap();
            assert_eq!(s.name, *title, "{id}");
            assert!(!s.name.is_empty() && !s.description.is_empty(), "{id}");
            assert!(s.until.is_some(), "{id}");
        }
        assert!(load("nope")
            .unwrap_err()
            .message
            .contains("raft-leader-crash"));
    }
}
