//! Cluster configuration and its validation.

use crate::kernel::net::NetConfig;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Smallest supported cluster.
pub const MIN_NODES: usize = 1;
/// Largest supported cluster (the UI's ring and keyboard shortcuts `1`–`9` assume this).
pub const MAX_NODES: usize = 9;
/// Most simulated clients.
pub const MAX_CLIENTS: usize = 8;

/// A configuration problem: which field (as a dotted path) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the offending field, e.g. `cluster.net.loss`.
    pub path: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl ConfigError {
    /// An error about `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Check that field `field` (under `path`) lies in `lo..=hi`; `unit` follows the bounds in the
/// message (`"ms"`, or `""` for plain numbers): `config.retry_ms: must be between 1 and
/// 600000 ms, got 0`.
pub fn check_range(
    path: &str,
    field: &str,
    value: u64,
    (lo, hi): (u64, u64),
    unit: &str,
) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        return Ok(());
    }
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    Err(ConfigError::new(
        format!("{path}.{field}"),
        format!("must be between {lo} and {hi}{unit}, got {value}"),
    ))
}

/// The range of a timeout or interval setting: 1 ms to 10 minutes.
pub const MS_RANGE: (u64, u64) = (1, 600_000);

/// The cluster the simulator runs: how many nodes and what network joins them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Number of nodes, 1–9.
    pub nodes: usize,
    /// Number of simulated clients (`c1`…), 0–8. Clients sit outside the cluster: they talk to
    /// servers over the network but are never partitioned, crashed or paused.
    #[serde(skip_serializing_if = "is_zero")]
    pub clients: usize,
    /// Network parameters.
    pub net: NetConfig,
    /// Whether to keep the full trace in memory (the UI and golden tests do; chaos runs don't).
    pub record_trace: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nodes: 5,
            clients: 0,
            net: NetConfig::default(),
            record_trace: true,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ClusterConfig {
    /// Check every field; errors name the field under `path`.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        if !(MIN_NODES..=MAX_NODES).contains(&self.nodes) {
            return Err(ConfigError::new(
                format!("{path}.nodes"),
                format!(
                    "must be between {MIN_NODES} and {MAX_NODES}, got {}",
                    self.nodes
                ),
            ));
        }
        if self.clients > MAX_CLIENTS {
            return Err(ConfigError::new(
                format!("{path}.clients"),
                format!("must be at most {MAX_CLIENTS}, got {}", self.clients),
            ));
        }
        self.net.validate(&format!("{path}.net"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_count_bounds() {
        let mut c = ClusterConfig {
            nodes: 0,
            ..ClusterConfig::default()
        };
        let e = c.validate("cluster").unwrap_err();
        assert_eq!(e.path, "cluster.nodes");
        assert!(e.to_string().contains("between 1 and 9"));
        c.nodes = 10;
        assert!(c.validate("cluster").is_err());
        c.nodes = 9;
        assert!(c.validate("cluster").is_ok());
        c.net.duplicate = -0.1;
        assert_eq!(
            c.validate("cluster").unwrap_err().path,
            "cluster.net.duplicate"
        );
    }
}
