//! PBFT's entry in the protocol registry: its id, how the page draws it, and how the drivers
//! build, attack and list it.

use super::{gallery, Mutant, Pbft, BACKUP, BYZANTINE, BYZANTINE_PRIMARY, PRIMARY, VIEW_CHANGING};
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
use crate::run::tour::challenge::Chapter;

/// PBFT's id in scenario files, share links and the CLI.
pub const ID: &str = "pbft";

/// How the page draws PBFT. The three phases differ in shape, label and colour: PRE-PREPARE a
/// triangle, PREPARE a circle, COMMIT a diamond.
pub static LOOK: Look = Look {
    roles: &[PRIMARY, BACKUP, VIEW_CHANGING, BYZANTINE, BYZANTINE_PRIMARY],
    messages: &[
        MsgLook::new(
            "Request",
            "REQ",
            MsgShape::Square,
            MsgColor::Purple,
            "a client's signed request (client id + timestamp), or a backup relaying it to the primary (§4.1)",
        ),
        MsgLook::new(
            "Reply",
            "ANS",
            MsgShape::Square,
            MsgColor::Purple,
            "a replica's signed reply; the client waits for f + 1 matching ones (§4.1)",
        ),
        MsgLook::new(
            "PrePrepare",
            "PP",
            MsgShape::Triangle,
            MsgColor::Orange,
            "phase 1, pre-prepare: the primary assigns a sequence number to a request (§4.2)",
        ),
        MsgLook::new(
            "Prepare",
            "P",
            MsgShape::Circle,
            MsgColor::Sky,
            "phase 2, prepare: a backup agrees to the assignment; 2f matching make it prepared (§4.2)",
        ),
        MsgLook::new(
            "Commit",
            "C",
            MsgShape::Diamond,
            MsgColor::Green,
            "phase 3, commit: prepared here; 2f + 1 matching commit it (§4.2)",
        ),
        MsgLook::new(
            "Checkpoint",
            "CK",
            MsgShape::Circle,
            MsgColor::Green,
            "the state's digest every K requests; 2f + 1 matching make it stable (§4.3)",
        ),
        MsgLook::new(
            "ViewChange",
            "VC",
            MsgShape::Diamond,
            MsgColor::Vermillion,
            "view change: move to the next view, with my checkpoint proof and prepared certificates (§4.4)",
        ),
        MsgLook::new(
            "NewView",
            "NV",
            MsgShape::Triangle,
            MsgColor::Vermillion,
            "the new primary's 2f + 1 view changes and the pre-prepares it re-issues (§4.4)",
        ),
        MsgLook::new(
            "Status",
            "ST",
            MsgShape::Circle,
            MsgColor::Purple,
            "retransmission: my view, executed and stable sequence numbers (TOCS §6.2)",
        ),
        MsgLook::new(
            "Fetch",
            "GET",
            MsgShape::Square,
            MsgColor::Sky,
            "state transfer: send me a stable checkpoint's state (TOCS §6.3.2)",
        ),
        MsgLook::new(
            "State",
            "ST8",
            MsgShape::Square,
            MsgColor::Green,
            "state transfer: a checkpoint's state and the certificate it must match",
        ),
    ],
    timer_arc: Some("view-change"),
    timer_arc_meaning: "time left before a backup gives up on the primary and starts a view change",
};

/// PBFT in the registry.
pub struct PbftProtocol;

/// The registry entry.
pub static PROTOCOL: PbftProtocol = PbftProtocol;

impl Protocol for PbftProtocol {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "PBFT"
    }

    fn summary(&self) -> &'static str {
        "Byzantine consensus: 3f + 1 replicas agree while f of them lie (Castro & Liskov, 1999)"
    }

    fn servers(&self) -> ServerRange {
        ServerRange {
            min: 4,
            max: 9,
            default: 4,
        }
    }

    fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
        build_session::<Pbft>(ID, scenario, |config, scenario| {
            config.check_cluster(scenario.cluster.nodes, "config")
        })
    }

    fn chaos_seed(&self, seed: u64, options: &ChaosOptions) -> SeedReport {
        run_seed::<Pbft>(ID, seed, options)
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

    fn checkers(&self) -> &'static [CheckerInfo] {
        checkers_of::<Pbft>()
    }

    fn look(&self) -> &'static Look {
        &LOOK
    }
}
