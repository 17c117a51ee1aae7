//! Raft's entry in the protocol registry: its id, how the page draws it, and how the drivers
//! build, attack and list it.

use super::{gallery, Mutant, Raft, CANDIDATE, FOLLOWER, LEADER, PRE_CANDIDATE};
use crate::kernel::check::CheckerInfo;
use crate::kernel::config::ConfigError;
use crate::kernel::mutant::{self, MutantInfo};
use crate::run::chaos::{run_seed, ChaosOptions, SeedReport};
use crate::run::gallery::GalleryEntry;
use crate::run::playground::Playground;
use crate::run::registry::{
    build_session, checkers_of, Look, MsgColor, MsgLook, MsgShape, Protocol, ServerRange,
};
use crate::run::scenario::Scenario;
use crate::run::tour::challenge::{ChallengeEntry, Chapter};

/// Raft's id in scenario files, share links and the CLI.
pub const ID: &str = "raft";

/// How the page draws Raft.
pub static LOOK: Look = Look {
    roles: &[FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER],
    messages: &[
        MsgLook::new(
            "PreVote",
            "PV",
            MsgShape::Diamond,
            MsgColor::Orange,
            "PreVote: would you vote for me? (§9.6)",
        ),
        MsgLook::new(
            "PreVoteReply",
            "PV",
            MsgShape::Diamond,
            MsgColor::Orange,
            "PreVote answer: ✓ would vote, ✗ would not",
        ),
        MsgLook::new(
            "RequestVote",
            "RV",
            MsgShape::Diamond,
            MsgColor::Orange,
            "RequestVote: vote for me in this term (§5.2)",
        ),
        MsgLook::new(
            "RequestVoteReply",
            "RV",
            MsgShape::Diamond,
            MsgColor::Orange,
            "vote: ✓ granted, ✗ refused",
        ),
        MsgLook::new(
            "Heartbeat",
            "HB",
            MsgShape::Circle,
            MsgColor::Sky,
            "heartbeat: an AppendEntries with no entries",
        ),
        MsgLook::new(
            "AppendEntries",
            "AE",
            MsgShape::Circle,
            MsgColor::Sky,
            "AppendEntries: log entries to replicate (§5.3)",
        ),
        MsgLook::new(
            "AppendEntriesReply",
            "AE",
            MsgShape::Circle,
            MsgColor::Sky,
            "AppendEntries answer: ✓ stored, ✗ log mismatch",
        ),
        MsgLook::new(
            "InstallSnapshot",
            "SNAP",
            MsgShape::Circle,
            MsgColor::Sky,
            "InstallSnapshot: the state machine for a follower far behind (§7)",
        ),
        MsgLook::new(
            "InstallSnapshotReply",
            "SNAP",
            MsgShape::Circle,
            MsgColor::Sky,
            "InstallSnapshot answer",
        ),
        MsgLook::new(
            "ClientRequest",
            "REQ",
            MsgShape::Square,
            MsgColor::Purple,
            "a client's command",
        ),
        MsgLook::new(
            "Redirect",
            "→L",
            MsgShape::Square,
            MsgColor::Purple,
            "redirect: not the leader, try the one named",
        ),
        MsgLook::new(
            "ClientReply",
            "ANS",
            MsgShape::Square,
            MsgColor::Purple,
            "the answer to a client's command",
        ),
    ],
    timer_arc: Some("election"),
    timer_arc_meaning: "time left before the node's election timeout",
};

/// Raft in the registry.
pub struct RaftProtocol;

/// The registry entry.
pub static PROTOCOL: RaftProtocol = RaftProtocol;

impl Protocol for RaftProtocol {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Raft"
    }

    fn summary(&self) -> &'static str {
        "consensus: a leader replicates a log to a majority (Ongaro & Ousterhout, 2014)"
    }

    fn servers(&self) -> ServerRange {
        ServerRange {
            min: 1,
            max: 9,
            default: 5,
        }
    }

    fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
        build_session::<Raft>(ID, scenario, |_, _| Ok(()))
    }

    fn chaos_seed(&self, seed: u64, options: &ChaosOptions) -> SeedReport {
        run_seed::<Raft>(ID, seed, options)
    }

    fn mutants(&self) -> Vec<MutantInfo> {
        mutant::infos::<Mutant>()
    }

    fn gallery(&self) -> &'static [GalleryEntry] {
        gallery::GALLERY
    }

    fn chapters(&self) -> &'static [Chapter] {
        gallery::CHAPTERS
    }

    fn challenges(&self) -> &'static [ChallengeEntry] {
        gallery::CHALLENGES
    }

    fn checkers(&self) -> &'static [CheckerInfo] {
        checkers_of::<Raft>()
    }

    fn look(&self) -> &'static Look {
        &LOOK
    }
}
