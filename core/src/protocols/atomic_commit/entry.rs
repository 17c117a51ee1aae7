//! Two-phase and three-phase commit in the protocol registry: two entries over one model, the
//! variant being configuration. A 3PC run says `3pc` wherever it is shown or saved.

use super::{gallery, AtomicCommit, CommitConfig, Mutant, Variant, COORDINATOR, PARTICIPANT};
use crate::kernel::check::CheckerInfo;
use crate::kernel::config::ConfigError;
use crate::kernel::mutant::{self, MutantInfo};
use crate::run::chaos::{run_seed_with, ChaosOptions, ChaosProtocol, SeedReport};
use crate::run::gallery::GalleryEntry;
use crate::run::playground::{parse_config, Playground};
use crate::run::registry::{
    build_session, checkers_of, Look, MsgColor, MsgLook, MsgShape, Protocol, ServerRange,
};
use crate::run::scenario::Scenario;
use crate::run::tour::challenge::{ChallengeEntry, Chapter};

/// How the page draws atomic commit.
pub static LOOK: Look = Look {
    roles: &[COORDINATOR, PARTICIPANT],
    messages: &[
        MsgLook::new(
            "Begin",
            "TXN",
            MsgShape::Square,
            MsgColor::Purple,
            "a client's transaction, to the coordinator",
        ),
        MsgLook::new(
            "Outcome",
            "ANS",
            MsgShape::Square,
            MsgColor::Purple,
            "the answer to a client",
        ),
        MsgLook::new(
            "SetRefuse",
            "SET",
            MsgShape::Square,
            MsgColor::Purple,
            "a client tells a participant to refuse (or accept) from now on",
        ),
        MsgLook::new(
            "Prepare",
            "P",
            MsgShape::Diamond,
            MsgColor::Orange,
            "phase one: prepare this work and vote",
        ),
        MsgLook::new(
            "Vote",
            "V",
            MsgShape::Diamond,
            MsgColor::Orange,
            "a participant's vote: ✓ yes, ✗ no",
        ),
        MsgLook::new(
            "PreCommit",
            "PC",
            MsgShape::Triangle,
            MsgColor::Green,
            "3PC: everyone voted yes; get ready to commit",
        ),
        MsgLook::new(
            "PreAck",
            "PC",
            MsgShape::Triangle,
            MsgColor::Green,
            "3PC: ready to commit",
        ),
        MsgLook::new(
            "Commit",
            "C",
            MsgShape::Circle,
            MsgColor::Sky,
            "phase two: commit",
        ),
        MsgLook::new(
            "Abort",
            "A",
            MsgShape::Circle,
            MsgColor::Vermillion,
            "phase two: abort",
        ),
        MsgLook::new(
            "Ack",
            "ACK",
            MsgShape::Circle,
            MsgColor::Sky,
            "the participant applied the decision",
        ),
        MsgLook::new(
            "Query",
            "?",
            MsgShape::Circle,
            MsgColor::Vermillion,
            "an in-doubt participant asks for the decision",
        ),
        MsgLook::new(
            "StateReq",
            "ST",
            MsgShape::Triangle,
            MsgColor::Green,
            "3PC termination: what state are you in?",
        ),
        MsgLook::new(
            "StateResp",
            "ST",
            MsgShape::Triangle,
            MsgColor::Green,
            "3PC termination: my state",
        ),
    ],
    timer_arc: None,
    timer_arc_meaning: "",
};

/// One of the two variants in the registry.
pub struct AtomicCommitProtocol {
    variant: Variant,
}

/// Two-phase commit with presumed abort.
pub static TWO_PC: AtomicCommitProtocol = AtomicCommitProtocol {
    variant: Variant::TwoPhase,
};

/// Three-phase commit.
pub static THREE_PC: AtomicCommitProtocol = AtomicCommitProtocol {
    variant: Variant::ThreePhase,
};

impl Protocol for AtomicCommitProtocol {
    fn id(&self) -> &'static str {
        self.variant.name()
    }

    fn label(&self) -> &'static str {
        match self.variant {
            Variant::TwoPhase => "Two-phase commit",
            Variant::ThreePhase => "Three-phase commit",
        }
    }

    fn summary(&self) -> &'static str {
        match self.variant {
            Variant::TwoPhase => {
                "atomic commit that blocks when the coordinator fails (Gray 1978; presumed abort)"
            }
            Variant::ThreePhase => {
                "atomic commit that does not block under crashes but breaks under partitions (Skeen 1981)"
            }
        }
    }

    fn servers(&self) -> ServerRange {
        ServerRange {
            min: 3,
            max: 9,
            default: 4,
        }
    }

    /// A 2PC scenario whose config says `"variant": "3pc"` (the form before 3PC had its own
    /// entry) runs as 3PC and says so.
    fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
        let asked: CommitConfig = parse_config(&scenario.config)?;
        let variant = match self.variant {
            Variant::ThreePhase => Variant::ThreePhase,
            Variant::TwoPhase => asked.variant,
        };
        build_session::<AtomicCommit>(variant.name(), scenario, |config, scenario| {
            config.variant = variant;
            if config.coordinator.index() >= scenario.cluster.nodes {
                return Err(ConfigError::new(
                    "config.coordinator",
                    format!(
                        "{} is not in this {}-node cluster",
                        config.coordinator, scenario.cluster.nodes
                    ),
                ));
            }
            Ok(())
        })
    }

    fn chaos_seed(&self, seed: u64, options: &ChaosOptions) -> SeedReport {
        let variant = self.variant;
        run_seed_with::<AtomicCommit>(self.id(), seed, options, |o| CommitConfig {
            variant,
            ..AtomicCommit::chaos_config(o)
        })
    }

    fn mutants(&self) -> Vec<MutantInfo> {
        mutant::infos::<Mutant>()
    }

    fn gallery(&self) -> &'static [GalleryEntry] {
        match self.variant {
            Variant::TwoPhase => gallery::TWO_PC,
            Variant::ThreePhase => gallery::THREE_PC,
        }
    }

    fn chapters(&self) -> &'static [Chapter] {
        match self.variant {
            Variant::TwoPhase => gallery::TWO_PC_CHAPTERS,
            Variant::ThreePhase => gallery::THREE_PC_CHAPTERS,
        }
    }

    fn challenges(&self) -> &'static [ChallengeEntry] {
        match self.variant {
            Variant::TwoPhase => gallery::TWO_PC_CHALLENGES,
            Variant::ThreePhase => gallery::THREE_PC_CHALLENGES,
        }
    }

    fn checkers(&self) -> &'static [CheckerInfo] {
        checkers_of::<AtomicCommit>()
    }

    fn look(&self) -> &'static Look {
        &LOOK
    }
}
