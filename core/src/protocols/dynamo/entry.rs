//! The store's entry in the protocol registry.

use super::{gallery, Dynamo, Mutant, REPLICA};
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

/// The store's id in scenario files, share links and the CLI.
pub const ID: &str = "dynamo";
/// Its id before the rename (scenario files and links written then still open).
pub const ALIASES: &[&str] = &["kv"];

/// How the page draws the store.
pub static LOOK: Look = Look {
    roles: &[REPLICA],
    messages: &[
        MsgLook::new(
            "ClientPut",
            "PUT",
            MsgShape::Square,
            MsgColor::Purple,
            "a client's write, to its coordinator",
        ),
        MsgLook::new(
            "ClientGet",
            "GET",
            MsgShape::Square,
            MsgColor::Purple,
            "a client's read, to its coordinator",
        ),
        MsgLook::new(
            "ClientReply",
            "ANS",
            MsgShape::Square,
            MsgColor::Purple,
            "the coordinator's answer to a client",
        ),
        MsgLook::new(
            "Heartbeat",
            "HB",
            MsgShape::Circle,
            MsgColor::Green,
            "failure-detector heartbeat",
        ),
        MsgLook::new(
            "Put",
            "W",
            MsgShape::Circle,
            MsgColor::Sky,
            "a replica write from the coordinator",
        ),
        MsgLook::new(
            "HintedPut",
            "W*",
            MsgShape::Circle,
            MsgColor::Sky,
            "a write held for an unreachable replica (sloppy quorum)",
        ),
        MsgLook::new(
            "PutAck",
            "W",
            MsgShape::Circle,
            MsgColor::Sky,
            "a replica acknowledged a write",
        ),
        MsgLook::new(
            "Get",
            "R",
            MsgShape::Diamond,
            MsgColor::Orange,
            "a replica read from the coordinator",
        ),
        MsgLook::new(
            "GetReply",
            "R",
            MsgShape::Diamond,
            MsgColor::Orange,
            "a replica's versions of a key",
        ),
        MsgLook::new(
            "ReadRepair",
            "RR",
            MsgShape::Diamond,
            MsgColor::Orange,
            "read repair: a stale replica gets the merged versions",
        ),
        MsgLook::new(
            "Handoff",
            "HO",
            MsgShape::Triangle,
            MsgColor::Vermillion,
            "hinted handoff to the replica it was meant for",
        ),
        MsgLook::new(
            "HandoffAck",
            "HO",
            MsgShape::Triangle,
            MsgColor::Vermillion,
            "the replica took the handed-off write",
        ),
        MsgLook::new(
            "AeDigest",
            "AE",
            MsgShape::Triangle,
            MsgColor::Green,
            "anti-entropy: bucket digests",
        ),
        MsgLook::new(
            "AeKeys",
            "AE",
            MsgShape::Triangle,
            MsgColor::Green,
            "anti-entropy: key digests of differing buckets",
        ),
        MsgLook::new(
            "AeSync",
            "AE",
            MsgShape::Triangle,
            MsgColor::Green,
            "anti-entropy: the keys that differ",
        ),
    ],
    timer_arc: None,
    timer_arc_meaning: "",
};

/// The store in the registry.
pub struct DynamoProtocol;

/// The registry entry.
pub static PROTOCOL: DynamoProtocol = DynamoProtocol;

impl Protocol for DynamoProtocol {
    fn id(&self) -> &'static str {
        ID
    }

    fn aliases(&self) -> &'static [&'static str] {
        ALIASES
    }

    fn label(&self) -> &'static str {
        "Dynamo-style store"
    }

    fn summary(&self) -> &'static str {
        "leaderless replication with vector clocks and tunable N/R/W (DeCandia et al., 2007)"
    }

    fn servers(&self) -> ServerRange {
        ServerRange {
            min: 3,
            max: 9,
            default: 5,
        }
    }

    fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
        build_session::<Dynamo>(ID, scenario, |config, scenario| {
            if config.replicas > scenario.cluster.nodes {
                return Err(ConfigError::new(
                    "config.replicas",
                    format!(
                        "{} replicas per key need at least {} nodes (cluster has {})",
                        config.replicas, config.replicas, scenario.cluster.nodes
                    ),
                ));
            }
            Ok(())
        })
    }

    fn chaos_seed(&self, seed: u64, options: &ChaosOptions) -> SeedReport {
        run_seed::<Dynamo>(ID, seed, options)
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
        checkers_of::<Dynamo>()
    }

    fn look(&self) -> &'static Look {
        &LOOK
    }
}
