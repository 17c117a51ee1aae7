//! The lock service's entry in the protocol registry: its id, how the page draws it, and how
//! the drivers build, attack and list it.

use super::{gallery, LockMutant, Locks, RESOURCE};
use crate::kernel::check::CheckerInfo;
use crate::kernel::config::ConfigError;
use crate::kernel::mutant::{self, MutantInfo};
use crate::protocols::raft::entry::MESSAGES;
use crate::protocols::raft::{CANDIDATE, FOLLOWER, LEADER, PRE_CANDIDATE};
use crate::run::chaos::{run_seed, ChaosOptions, SeedReport};
use crate::run::gallery::GalleryEntry;
use crate::run::playground::Playground;
use crate::run::registry::{build_session, checkers_of, Epoch, Look, Protocol, ServerRange};
use crate::run::scenario::Scenario;
use crate::run::tour::challenge::Chapter;

/// The lock service's id in scenario files, share links and the CLI.
pub const ID: &str = "locks";

/// How the page draws the lock service: Raft's roles and messages, plus the resource.
pub static LOOK: Look = Look {
    roles: &[FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER, RESOURCE],
    messages: MESSAGES,
    timer_arc: Some("election"),
    timer_arc_meaning: "time left before the node's election timeout",
    epoch: Epoch::TERM,
};

/// The lock service in the registry.
pub struct LocksProtocol;

/// The registry entry.
pub static PROTOCOL: LocksProtocol = LocksProtocol;

impl Protocol for LocksProtocol {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Lock service"
    }

    fn summary(&self) -> &'static str {
        "a lock service on Raft: leases, fencing tokens, fair queues with priorities (Chubby, 2006)"
    }

    fn servers(&self) -> ServerRange {
        ServerRange {
            min: 1,
            max: 9,
            default: 3,
        }
    }

    /// The resource `c1` and three workers, so a fresh page can queue jobs behind each other.
    fn default_clients(&self) -> usize {
        4
    }

    fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
        build_session::<Locks>(ID, scenario, |_, _| Ok(()))
    }

    fn chaos_seed(&self, seed: u64, options: &ChaosOptions) -> SeedReport {
        run_seed::<Locks>(ID, seed, options)
    }

    fn mutants(&self) -> Vec<MutantInfo> {
        mutant::infos::<LockMutant>()
    }

    fn chapters(&self) -> &'static [Chapter] {
        gallery::CHAPTERS
    }

    fn gallery(&self) -> &'static [GalleryEntry] {
        gallery::GALLERY
    }

    fn checkers(&self) -> &'static [CheckerInfo] {
        checkers_of::<Locks>()
    }

    fn look(&self) -> &'static Look {
        &LOOK
    }
}
