//! The one scenario format: protocol, configuration, seed and a timed action log (JSON).
//!
//! The same document serves golden tests, the CLI (`netsplit run --scenario FILE`), share links
//! and the UI's gallery. It is versioned: `format` is always `"netsplit-scenario"`, `version`
//! says which revision of this format wrote it. Documents from a newer version are refused with
//! a message saying so, never misread.
//!
//! ```json
//! {
//!   "format": "netsplit-scenario",
//!   "version": 1,
//!   "name": "leader crash",
//!   "protocol": "raft",
//!   "seed": 7,
//!   "cluster": { "nodes": 5, "net": { "latency_min_ms": 20, "latency_max_ms": 60 } },
//!   "config": { "election_timeout_min_ms": 150, "election_timeout_max_ms": 300 },
//!   "actions": [ { "at": 2000, "control": { "type": "crash", "node": "n1" } } ],
//!   "until": 6000
//! }
//! ```

use crate::kernel::config::{ClusterConfig, ConfigError};
use crate::kernel::control::Control;
use crate::kernel::types::Time;
use crate::run::tour::{validate_captions, Caption};
use serde::{Deserialize, Serialize};

/// The value of every scenario's `format` field.
pub const FORMAT: &str = "netsplit-scenario";
/// The newest format version this build reads and the one it writes. Version 2 added
/// `captions`; a version-1 document is read as having none.
pub const VERSION: u32 = 2;
/// Largest accepted scenario document, in bytes.
pub const MAX_BYTES: usize = 256 * 1024;
/// Largest accepted action log.
pub const MAX_ACTIONS: usize = 100_000;
/// Latest virtual time a scenario may mention (`until`, action times): one hour. Opening a
/// scenario replays it up to `until`, so this bounds the work a link or a file can ask for.
pub const MAX_TIME_MS: u64 = 3_600_000;

/// A user action at a virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedAction {
    /// When (virtual ms). Applied after every event due before `at` and before any event due
    /// at `at`; actions with the same time apply in order.
    pub at: Time,
    /// What.
    pub control: Control,
}

/// A complete, replayable description of a simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version ([`VERSION`] when written by this build).
    pub version: u32,
    /// Short title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// What the scenario shows.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Protocol name (`"raft"`).
    pub protocol: String,
    /// The seed of every random choice.
    pub seed: u64,
    /// Cluster size and network.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// Protocol configuration (its fields depend on `protocol`; missing fields take defaults).
    #[serde(default)]
    pub config: serde_json::Value,
    /// User actions, in non-decreasing time order.
    #[serde(default)]
    pub actions: Vec<TimedAction>,
    /// Suggested end of the run (virtual ms), used by the CLI when no `--until` is given.
    /// Without it, a narrated scenario ends at its last caption ([`Scenario::end`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Time>,
    /// Narration: timed captions with the claims they make (format version 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captions: Vec<Caption>,
}

/// Longest protocol id a scenario may name.
pub const MAX_PROTOCOL_ID: usize = 32;

impl Scenario {
    /// A scenario with default configuration and no actions.
    pub fn new(protocol: &str, seed: u64) -> Scenario {
        Scenario {
            format: FORMAT.to_string(),
            version: VERSION,
            name: String::new(),
            description: String::new(),
            protocol: protocol.to_string(),
            seed,
            cluster: ClusterConfig::default(),
            config: serde_json::Value::Object(serde_json::Map::new()),
            actions: Vec::new(),
            until: None,
            captions: Vec::new(),
        }
    }

    /// Where a run of this scenario ends by default: `until`, else the last caption's time
    /// (a caption waiting for an event counts from the last timed one), else `None`.
    pub fn end(&self) -> Option<Time> {
        self.until
            .or_else(|| self.captions.iter().filter_map(|c| c.at).max())
    }

    /// Parse and validate a scenario document.
    pub fn from_json(text: &str) -> Result<Scenario, ConfigError> {
        if text.len() > MAX_BYTES {
            return Err(ConfigError::new(
                "(document)",
                format!(
                    "is {} bytes; scenarios are limited to {MAX_BYTES} bytes",
                    text.len()
                ),
            ));
        }
        // Look at format/version first, so a newer document gets the right message rather
        // than a complaint about a field this build does not know.
        let raw: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ConfigError::new("(document)", format!("is not valid JSON: {e}")))?;
        check_header(&raw)?;
        let scenario: Scenario = serde_json::from_value(raw)
            .map_err(|e| ConfigError::new("(document)", e.to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The document as pretty JSON. A document with captions says version 2 at least, so an
    /// older build refuses it as newer rather than misreading it.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(&self.as_written()).unwrap_or_default()
    }

    /// The document as this build writes it: a scenario with captions says version 2 at
    /// least (captions arrived in version 2), one without keeps its version.
    pub fn as_written(&self) -> std::borrow::Cow<'_, Scenario> {
        if !self.captions.is_empty() && self.version < 2 {
            let mut newer = self.clone();
            newer.version = 2;
            return std::borrow::Cow::Owned(newer);
        }
        std::borrow::Cow::Borrowed(self)
    }

    /// Check everything that types alone do not: version, the protocol id's shape, ranges,
    /// action order.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.format != FORMAT {
            return Err(ConfigError::new(
                "format",
                format!("must be {FORMAT:?}, got {:?}", self.format),
            ));
        }
        check_version(u64::from(self.version))?;
        // Which protocols exist is the registry's business (`Registry::build` refuses an
        // unknown one and lists the known ones); here only the id's shape is checked.
        let id_ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if self.protocol.is_empty()
            || self.protocol.len() > MAX_PROTOCOL_ID
            || !self.protocol.chars().all(id_ok)
        {
            return Err(ConfigError::new(
                "protocol",
                format!(
                    "{:?} is not a protocol id (lower-case letters, digits and '-', at most \
                     {MAX_PROTOCOL_ID})",
                    self.protocol
                ),
            ));
        }
        self.cluster.validate("cluster")?;
        if self.actions.len() > MAX_ACTIONS {
            return Err(ConfigError::new(
                "actions",
                format!(
                    "has {} entries; at most {MAX_ACTIONS} are allowed",
                    self.actions.len()
                ),
            ));
        }
        if let Some(until) = self.until.filter(|t| t.0 > MAX_TIME_MS) {
            return Err(ConfigError::new(
                "until",
                format!("{until} ms is beyond the {MAX_TIME_MS} ms (one hour) a scenario may run"),
            ));
        }
        let mut last = Time::ZERO;
        for (i, a) in self.actions.iter().enumerate() {
            if a.at.0 > MAX_TIME_MS {
                return Err(ConfigError::new(
                    format!("actions[{i}].at"),
                    format!(
                        "{} ms is beyond the {MAX_TIME_MS} ms (one hour) a scenario may run",
                        a.at
                    ),
                ));
            }
            if a.at < last {
                return Err(ConfigError::new(
                    format!("actions[{i}].at"),
                    format!(
                        "actions must be in time order ({} comes after {})",
                        a.at, last
                    ),
                ));
            }
            last = a.at;
            a.control.validate(
                self.cluster.nodes,
                self.cluster.clients,
                &format!("actions[{i}].control"),
            )?;
        }
        validate_captions(
            &self.captions,
            self.cluster.nodes,
            self.cluster.clients,
            "captions",
        )?;
        Ok(())
    }
}

fn check_version(version: u64) -> Result<(), ConfigError> {
    if version > u64::from(VERSION) {
        return Err(ConfigError::new(
            "version",
            format!(
                "this scenario was made by a newer version of netsplit (format version \
                 {version}); this build reads versions up to {VERSION}"
            ),
        ));
    }
    if version == 0 {
        return Err(ConfigError::new("version", "must be at least 1"));
    }
    Ok(())
}

fn check_header(raw: &serde_json::Value) -> Result<(), ConfigError> {
    let Some(obj) = raw.as_object() else {
        return Err(ConfigError::new("(document)", "must be a JSON object"));
    };
    match obj.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(ConfigError::new(
                "format",
                format!("must be {FORMAT:?}, got {other:?}"),
            ))
        }
        None => {
            return Err(ConfigError::new(
                "format",
                format!("missing; must be {FORMAT:?}"),
            ))
        }
    }
    match obj.get("version").and_then(|v| v.as_u64()) {
        Some(v) => check_version(v),
        None => Err(ConfigError::new("version", "missing or not a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::types::NodeId;

    fn sample() -> Scenario {
        let mut s = Scenario::new("raft", 7);
        s.name = "crash".into();
        s.actions.push(TimedAction {
            at: Time(2000),
            control: Control::Crash { node: NodeId(0) },
        });
        s
    }

    #[test]
    fn round_trips() {
        let s = sample();
        let back = Scenario::from_json(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn newer_version_is_refused_clearly() {
        let text = sample()
            .to_json()
            .replace(&format!("\"version\": {VERSION}"), "\"version\": 9");
        let e = Scenario::from_json(&text).unwrap_err();
        assert_eq!(e.path, "version");
        assert!(e.message.contains("newer version"), "{e}");
        // Even if the newer version also has fields this build does not know.
        let text = text.replace("\"seed\"", "\"future_field\": 1, \"seed\"");
        assert!(Scenario::from_json(&text)
            .unwrap_err()
            .message
            .contains("newer version"));
    }

    #[test]
    fn errors_name_the_field() {
        let mut s = sample();
        s.actions.push(TimedAction {
            at: Time(100),
            control: Control::HealAll,
        });
        assert_eq!(s.validate().unwrap_err().path, "actions[1].at");
        let mut s = sample();
        s.actions[0].control = Control::Crash { node: NodeId(7) };
        assert_eq!(s.validate().unwrap_err().path, "actions[0].control.node");
        let mut s = sample();
        // Whether "paxos" exists is the registry's question (see run::registry's tests); the
        // scenario only refuses what cannot be an id at all.
        s.protocol = "paxos".into();
        assert!(s.validate().is_ok());
        s.protocol = "Pax os".into();
        let e = s.validate().unwrap_err();
        assert_eq!(e.path, "protocol");
        assert!(e.message.contains("is not a protocol id"), "{e}");
        let e = Scenario::from_json("{\"format\": \"netsplit-scenario\", \"version\": 1, \"protocol\": \"raft\", \"seed\": 1, \"cluster\": {\"nodes\": 12}}").unwrap_err();
        assert_eq!(e.path, "cluster.nodes");
        assert!(Scenario::from_json("not json")
            .unwrap_err()
            .message
            .contains("not valid JSON"));
        assert_eq!(Scenario::from_json("[]").unwrap_err().path, "(document)");
        let mut s = sample();
        s.until = Some(Time(MAX_TIME_MS + 1));
        assert_eq!(s.validate().unwrap_err().path, "until");
        let big = " ".repeat(MAX_BYTES + 1);
        assert!(Scenario::from_json(&big)
            .unwrap_err()
            .message
            .contains("limited"));
    }
}
