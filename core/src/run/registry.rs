//! The protocol registry: one [`Protocol`] entry per protocol, one list of entries.
//!
//! Everything that offers a choice of protocol reads the registry — the scenario loader
//! ([`Registry::build`]), chaos ([`Protocol::chaos_seed`]), the CLI's `--protocol` choices and
//! `--list-mutants`, the gallery and the page's Protocol menu. Adding a protocol means adding
//! its folder under `protocols/` and one line to [`crate::protocols::BUILTIN`]; nothing here
//! changes (see `docs/adding-a-protocol.md`).

use super::chaos::{ChaosOptions, SeedReport};
use super::gallery::GalleryEntry;
use super::playground::{parse_config, Playground, Session};
use super::scenario::Scenario;
use super::tour::challenge::{Challenge, ChallengeEntry, Chapter};
use crate::kernel::check::{Checker, CheckerInfo};
use crate::kernel::config::ConfigError;
pub use crate::kernel::mutant::MutantInfo;
use crate::kernel::node::Model;
use crate::kernel::view::Role;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How many servers a protocol runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ServerRange {
    /// Fewest servers.
    pub min: usize,
    /// Most servers.
    pub max: usize,
    /// What a fresh page or CLI run uses.
    pub default: usize,
}

/// How a message travelling on the graph is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgShape {
    /// A disc.
    Circle,
    /// A diamond.
    Diamond,
    /// A square.
    Square,
    /// A triangle.
    Triangle,
}

/// The colour family of a message kind (an Okabe–Ito hue; always paired with a label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgColor {
    /// Orange (#E69F00).
    Orange,
    /// Sky blue (#56B4E9).
    Sky,
    /// Bluish green (#009E73).
    Green,
    /// Vermillion (#D55E00).
    Vermillion,
    /// Reddish purple (#CC79A7).
    Purple,
}

/// How one message kind looks on the graph and in the legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MsgLook {
    /// The kind, as [`crate::kernel::node::Message::kind`] names it (`"RequestVote"`).
    pub kind: &'static str,
    /// The short label drawn beside the moving shape (`"RV"`).
    pub label: &'static str,
    /// The shape.
    pub shape: MsgShape,
    /// The colour family.
    pub color: MsgColor,
    /// What it is, for the legend and tooltips.
    pub meaning: &'static str,
}

/// What a protocol tells the page about drawing it: its roles, its message kinds, and which
/// timer the arc around a node shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Look {
    /// Every role its servers take (clients are the kernel's [`Role::CLIENT`]).
    pub roles: &'static [Role],
    /// Every message kind (requests and replies).
    pub messages: &'static [MsgLook],
    /// The timer drawn as a draining arc around a server (`"election"`), if any.
    pub timer_arc: Option<&'static str>,
    /// What the arc means, in words ("time left before the election timeout").
    pub timer_arc_meaning: &'static str,
}

impl MsgLook {
    /// A message kind's look (for the `static` tables protocols declare).
    pub const fn new(
        kind: &'static str,
        label: &'static str,
        shape: MsgShape,
        color: MsgColor,
        meaning: &'static str,
    ) -> MsgLook {
        MsgLook {
            kind,
            label,
            shape,
            color,
            meaning,
        }
    }
}

impl Look {
    /// How `kind` looks (`None` for a kind the protocol did not describe).
    pub fn message(&self, kind: &str) -> Option<&'static MsgLook> {
        self.messages.iter().find(|m| m.kind == kind)
    }
}

/// One registered protocol: everything the drivers need to offer it.
pub trait Protocol: Sync {
    /// The id used in scenario files, share links and `--protocol` (`"raft"`).
    fn id(&self) -> &'static str;
    /// Older ids this protocol also answers to (scenario files written before a rename).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// Human name (`"Raft"`).
    fn label(&self) -> &'static str;
    /// One sentence on what it is.
    fn summary(&self) -> &'static str;
    /// How many servers it runs with.
    fn servers(&self) -> ServerRange;
    /// Simulated clients a fresh page starts with.
    fn default_clients(&self) -> usize {
        2
    }
    /// Build a running playground from a scenario naming this protocol (or an alias). The
    /// scenario's generic parts are already validated; check and parse `config`.
    fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError>;
    /// Run one seed of randomized faults with every checker on.
    fn chaos_seed(&self, seed: u64, options: &ChaosOptions) -> SeedReport;
    /// Its deliberately broken variants.
    fn mutants(&self) -> Vec<MutantInfo>;
    /// Its named scenarios.
    fn gallery(&self) -> &'static [GalleryEntry];
    /// Its narrated tours, from first principles to its hardest case, in order.
    fn chapters(&self) -> &'static [Chapter] {
        &[]
    }
    /// Its challenges: goals checked by predicates, each with a solution.
    fn challenges(&self) -> &'static [ChallengeEntry] {
        &[]
    }
    /// The properties its checkers enforce.
    fn checkers(&self) -> &'static [CheckerInfo];
    /// How the page draws it.
    fn look(&self) -> &'static Look;
}

/// The properties `M`'s checker bundle enforces (for [`Protocol::checkers`]).
pub fn checkers_of<M: Model>() -> &'static [CheckerInfo] {
    M::Checker::properties()
}

/// Parse `scenario.config` as `M`'s configuration, validate it, and start a session that says
/// it runs protocol `id` — the body of most [`Protocol::build`]s. `check` runs extra checks
/// that need the cluster (e.g. "the coordinator is one of the servers").
pub fn build_session<M: Model>(
    id: &'static str,
    scenario: &Scenario,
    check: impl FnOnce(&mut M::Config, &Scenario) -> Result<(), ConfigError>,
) -> Result<Box<dyn Playground>, ConfigError>
where
    M::Config: DeserializeOwned,
{
    let mut config: M::Config = parse_config(&scenario.config)?;
    M::validate_config(&config, "config")?;
    check(&mut config, scenario)?;
    let mut scenario = scenario.clone();
    scenario.protocol = id.to_string();
    Ok(Box::new(Session::<M>::new(id, scenario, config)?))
}

/// A list of protocols.
#[derive(Clone)]
pub struct Registry {
    entries: Vec<&'static dyn Protocol>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

impl Registry {
    /// A registry of exactly these protocols, in this order.
    pub fn new(entries: &[&'static dyn Protocol]) -> Registry {
        Registry {
            entries: entries.to_vec(),
        }
    }

    /// Every protocol this build ships ([`crate::protocols::BUILTIN`]).
    pub fn builtin() -> Registry {
        Registry::new(crate::protocols::BUILTIN)
    }

    /// This registry plus `protocol` (for tests and embedders that bring their own).
    pub fn with(mut self, protocol: &'static dyn Protocol) -> Registry {
        self.entries.push(protocol);
        self
    }

    /// The protocols, in menu order.
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn Protocol> + '_ {
        self.entries.iter().copied()
    }

    /// Every id, in menu order.
    pub fn ids(&self) -> Vec<&'static str> {
        self.iter().map(|p| p.id()).collect()
    }

    /// The protocol with this id or alias.
    pub fn get(&self, id: &str) -> Option<&'static dyn Protocol> {
        self.iter()
            .find(|p| p.id() == id || p.aliases().contains(&id))
    }

    /// The protocol with this id or alias, or an error at `path` listing the known ones.
    pub fn resolve(&self, id: &str, path: &str) -> Result<&'static dyn Protocol, ConfigError> {
        self.get(id).ok_or_else(|| {
            ConfigError::new(
                path,
                format!("unknown protocol {id:?}; known: {}", self.ids().join(", ")),
            )
        })
    }

    /// The first protocol (what a fresh page shows).
    pub fn default_protocol(&self) -> Option<&'static dyn Protocol> {
        self.entries.first().copied()
    }

    /// Validate `scenario` and build a running playground of its protocol.
    pub fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
        scenario.validate()?;
        let protocol = self.resolve(&scenario.protocol, "protocol")?;
        crate::run::tour::validate_against(&scenario.captions, protocol, "captions")?;
        protocol.build(scenario)
    }

    /// Every named scenario of every protocol, in menu order.
    pub fn gallery(&self) -> impl Iterator<Item = &'static GalleryEntry> + '_ {
        self.iter().flat_map(|p| p.gallery().iter())
    }

    /// Every chapter of every protocol, with the protocol's id, in menu order.
    pub fn chapters(&self) -> impl Iterator<Item = (&'static str, &'static Chapter)> + '_ {
        self.iter()
            .flat_map(|p| p.chapters().iter().map(move |c| (p.id(), c)))
    }

    /// Every challenge of every protocol, in menu order.
    pub fn challenges(&self) -> impl Iterator<Item = &'static ChallengeEntry> + '_ {
        self.iter().flat_map(|p| p.challenges().iter())
    }

    /// The challenge `id`, parsed and validated.
    pub fn load_challenge(&self, id: &str) -> Result<Challenge, ConfigError> {
        let entry = self.challenges().find(|c| c.id == id).ok_or_else(|| {
            let names: Vec<&str> = self.challenges().map(|c| c.id).collect();
            ConfigError::new(
                "(challenge)",
                format!("no challenge {id:?}; there are: {}", names.join(", ")),
            )
        })?;
        Challenge::from_json(self, entry.json)
    }

    /// The named scenario `id`, parsed and validated.
    pub fn load_gallery(&self, id: &str) -> Result<Scenario, ConfigError> {
        let entry = self.gallery().find(|g| g.id == id).ok_or_else(|| {
            let names: Vec<&str> = self.gallery().map(|g| g.id).collect();
            ConfigError::new(
                "(gallery)",
                format!("no scenario {id:?}; the gallery has: {}", names.join(", ")),
            )
        })?;
        let scenario = Scenario::from_json(entry.json)?;
        let protocol = self.resolve(&scenario.protocol, "protocol")?;
        crate::run::tour::validate_against(&scenario.captions, protocol, "captions")?;
        Ok(scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::types::Time;

    #[test]
    fn ids_are_unique_and_every_protocol_resolves_by_id_and_alias() {
        let r = Registry::builtin();
        let mut seen = std::collections::BTreeSet::new();
        for p in r.iter() {
            for id in std::iter::once(p.id()).chain(p.aliases().iter().copied()) {
                assert!(seen.insert(id), "{id} is claimed twice");
                assert_eq!(r.get(id).map(|q| q.id()), Some(p.id()));
            }
            let range = p.servers();
            assert!(
                range.min <= range.default && range.default <= range.max,
                "{}",
                p.id()
            );
            assert!(!p.checkers().is_empty(), "{} checks nothing", p.id());
            for role in p.look().roles {
                assert!(!role.name.is_empty());
            }
        }
    }

    #[test]
    fn an_unknown_protocol_is_refused_with_the_known_ones() {
        let e = Registry::builtin()
            .build(&Scenario::new("paxos", 1))
            .err()
            .expect("refused");
        assert_eq!(e.path, "protocol");
        assert!(e.message.contains("unknown protocol \"paxos\""), "{e}");
        for p in Registry::builtin().iter() {
            assert!(e.message.contains(p.id()), "{e}");
        }
        let e = Registry::builtin()
            .build(&Scenario::new("Raft Two", 1))
            .err()
            .expect("refused");
        assert!(e.message.contains("is not a protocol id"), "{e}");
    }

    #[test]
    fn an_old_id_opens_under_the_new_one_with_the_same_run() {
        let r = Registry::builtin();
        let dynamo = r.get(crate::protocols::dynamo::ID).expect("registered");
        let old = dynamo.aliases()[0];
        let mut a = r
            .build(&Scenario::new(old, 3))
            .expect("the old id still opens");
        let mut b = r.build(&Scenario::new(dynamo.id(), 3)).expect("opens");
        a.run_until(Time(3000), u64::MAX);
        b.run_until(Time(3000), u64::MAX);
        assert_eq!(a.trace_hash(), b.trace_hash());
        assert_eq!(a.protocol(), dynamo.id());
        assert_eq!(a.to_scenario().protocol, dynamo.id());
    }

    #[test]
    fn three_phase_commit_says_so_whichever_way_it_was_asked_for() {
        use crate::protocols::atomic_commit::{THREE_PC, TWO_PC};
        let r = Registry::builtin();
        let mut old_form = Scenario::new(TWO_PC.id(), 1);
        old_form.config = serde_json::json!({ "variant": THREE_PC.id() });
        let mut a = r.build(&old_form).expect("opens");
        let mut b = r.build(&Scenario::new(THREE_PC.id(), 1)).expect("opens");
        assert_eq!(a.protocol(), THREE_PC.id());
        assert_eq!(a.snapshot().protocol, THREE_PC.id());
        assert_eq!(b.snapshot().protocol, THREE_PC.id());
        a.run_until(Time(2000), u64::MAX);
        b.run_until(Time(2000), u64::MAX);
        assert_eq!(a.trace_hash(), b.trace_hash());
        let two = r.build(&Scenario::new(TWO_PC.id(), 1)).expect("opens");
        assert_eq!(two.snapshot().protocol, TWO_PC.id());
    }

    #[test]
    fn every_gallery_scenario_belongs_to_the_protocol_that_lists_it() {
        let r = Registry::builtin();
        for p in r.iter() {
            for g in p.gallery() {
                let s = r.load_gallery(g.id).expect("loads");
                let owner = r.get(&s.protocol).expect("known");
                assert_eq!(owner.id(), p.id(), "{}", g.id);
            }
        }
    }
}
