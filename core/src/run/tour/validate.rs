//! Validation of captions and expectations: sizes, node ids, and (with the protocol at hand)
//! message kinds, roles and checker names. Errors name the field's path.

use super::markdown::{link_targets, safe_url};
use super::{
    Caption, EventMatch, Expectation, Highlight, MAX_CAPTIONS, MAX_DEPTH, MAX_EXPECT, MAX_LIST,
    MAX_NAME, MAX_TEXT,
};
use crate::kernel::config::ConfigError;
use crate::kernel::types::{NodeId, Time};
use crate::run::registry::Protocol;
use crate::run::scenario::MAX_TIME_MS;

/// The cluster captions are checked against.
#[derive(Clone, Copy)]
struct Cluster {
    servers: usize,
    clients: usize,
}

impl Cluster {
    fn node(&self, n: NodeId, path: &str) -> Result<(), ConfigError> {
        match n.client_index() {
            Some(k) if k >= self.clients => Err(ConfigError::new(
                path,
                format!(
                    "no client {n}: the scenario has {} client{}",
                    self.clients,
                    if self.clients == 1 { "" } else { "s" }
                ),
            )),
            None if n.index() >= self.servers => Err(ConfigError::new(
                path,
                format!("no node {n} in a {}-server cluster", self.servers),
            )),
            _ => Ok(()),
        }
    }

    fn server(&self, n: NodeId, path: &str) -> Result<(), ConfigError> {
        if n.is_client() {
            return Err(ConfigError::new(
                path,
                format!("{n} is a client; a server (n1…) is expected here"),
            ));
        }
        self.node(n, path)
    }

    fn servers(&self, nodes: &[NodeId], path: &str) -> Result<(), ConfigError> {
        list_len(nodes.len(), path)?;
        if nodes.is_empty() {
            return Err(ConfigError::new(path, "names no node"));
        }
        for (i, n) in nodes.iter().enumerate() {
            self.server(*n, &format!("{path}[{i}]"))?;
        }
        Ok(())
    }
}

fn list_len(len: usize, path: &str) -> Result<(), ConfigError> {
    if len > MAX_LIST {
        return Err(ConfigError::new(
            path,
            format!("has {len} entries; at most {MAX_LIST} are allowed"),
        ));
    }
    Ok(())
}

fn name(value: &str, path: &str) -> Result<(), ConfigError> {
    if value.is_empty() || value.len() > MAX_NAME || value.chars().any(char::is_control) {
        return Err(ConfigError::new(
            path,
            format!("{value:?} must be 1 to {MAX_NAME} bytes without control characters"),
        ));
    }
    Ok(())
}

fn time(t: Time, path: &str) -> Result<(), ConfigError> {
    if t.0 > MAX_TIME_MS {
        return Err(ConfigError::new(
            path,
            format!("{t} ms is beyond the {MAX_TIME_MS} ms (one hour) a scenario may run"),
        ));
    }
    Ok(())
}

/// Check captions for everything that does not need the protocol: sizes, times, node ids
/// against a cluster of `servers` servers and `clients` clients. Paths start with `path`
/// (`captions`).
pub fn validate_captions(
    captions: &[Caption],
    servers: usize,
    clients: usize,
    path: &str,
) -> Result<(), ConfigError> {
    let cluster = Cluster { servers, clients };
    if captions.len() > MAX_CAPTIONS {
        return Err(ConfigError::new(
            path,
            format!(
                "has {} entries; at most {MAX_CAPTIONS} are allowed",
                captions.len()
            ),
        ));
    }
    let mut last_at = Time::ZERO;
    for (i, c) in captions.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match (&c.at, &c.after) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    &p,
                    "gives both `at` and `after`; a caption fires at a time or after an event",
                ))
            }
            (None, None) => {
                return Err(ConfigError::new(
                    &p,
                    "needs `at` (a virtual time) or `after` (an event to wait for)",
                ))
            }
            (Some(at), None) => {
                time(*at, &format!("{p}.at"))?;
                if *at < last_at {
                    return Err(ConfigError::new(
                        format!("{p}.at"),
                        format!("captions must be in time order ({at} comes after {last_at})"),
                    ));
                }
                last_at = *at;
            }
            (None, Some(m)) => event(m, &cluster, &format!("{p}.after"))?,
        }
        if c.text.trim().is_empty() {
            return Err(ConfigError::new(format!("{p}.text"), "is empty"));
        }
        if c.text.len() > MAX_TEXT {
            return Err(ConfigError::new(
                format!("{p}.text"),
                format!("is {} bytes; a caption is at most {MAX_TEXT}", c.text.len()),
            ));
        }
        for url in link_targets(&c.text) {
            if !safe_url(&url) {
                return Err(ConfigError::new(
                    format!("{p}.text"),
                    format!("links only to https://, http:// or #… addresses, not {url:?}"),
                ));
            }
        }
        highlight(&c.highlight, &cluster, &format!("{p}.highlight"))?;
        expectations(&c.expect, &cluster, &format!("{p}.expect"))?;
    }
    Ok(())
}

/// Check a list of expectations (a caption's or a challenge's goal) against a cluster.
pub fn validate_expectations(
    list: &[Expectation],
    servers: usize,
    clients: usize,
    path: &str,
) -> Result<(), ConfigError> {
    expectations(list, &Cluster { servers, clients }, path)
}

fn expectations(list: &[Expectation], cluster: &Cluster, path: &str) -> Result<(), ConfigError> {
    if list.len() > MAX_EXPECT {
        return Err(ConfigError::new(
            path,
            format!(
                "has {} entries; at most {MAX_EXPECT} are allowed",
                list.len()
            ),
        ));
    }
    for (i, e) in list.iter().enumerate() {
        expectation(e, cluster, &format!("{path}[{i}]"), 0)?;
    }
    Ok(())
}

fn expectation(
    e: &Expectation,
    cluster: &Cluster,
    path: &str,
    depth: usize,
) -> Result<(), ConfigError> {
    if depth > MAX_DEPTH {
        return Err(ConfigError::new(
            path,
            format!("nests `not` / `any` / `held` deeper than {MAX_DEPTH}"),
        ));
    }
    match e {
        Expectation::Role { nodes, role, .. } => {
            cluster.servers(nodes, &format!("{path}.nodes"))?;
            name(role, &format!("{path}.role"))
        }
        Expectation::Leads { node, .. } => cluster.server(*node, &format!("{path}.node")),
        Expectation::LogTerm { nodes, index, .. }
        | Expectation::LogShorter { nodes, index }
        | Expectation::Committed { nodes, index } => {
            if *index == 0 {
                return Err(ConfigError::new(
                    format!("{path}.index"),
                    "log indexes start at 1",
                ));
            }
            cluster.servers(nodes, &format!("{path}.nodes"))
        }
        Expectation::CommitIndex { nodes, .. } | Expectation::Status { nodes, .. } => {
            cluster.servers(nodes, &format!("{path}.nodes"))
        }
        Expectation::Value { key, values, nodes } => {
            name(key, &format!("{path}.key"))?;
            values_ok(values, &format!("{path}.values"))?;
            cluster.servers(nodes, &format!("{path}.nodes"))
        }
        Expectation::Read {
            client,
            key,
            values,
        } => {
            if !client.is_client() {
                return Err(ConfigError::new(
                    format!("{path}.client"),
                    format!("{client} is a server; a client (c1…) is expected here"),
                ));
            }
            cluster.node(*client, &format!("{path}.client"))?;
            name(key, &format!("{path}.key"))?;
            values_ok(values, &format!("{path}.values"))
        }
        Expectation::Txn { txn, nodes, .. } => {
            name(txn, &format!("{path}.txn"))?;
            cluster.servers(nodes, &format!("{path}.nodes"))
        }
        Expectation::Violation { checker, .. } => match checker {
            Some(c) => name(c, &format!("{path}.checker")),
            None => Ok(()),
        },
        Expectation::InFlight { kind, min, max } => {
            name(kind, &format!("{path}.kind"))?;
            if max.is_some_and(|m| m < *min) {
                return Err(ConfigError::new(
                    format!("{path}.max"),
                    format!("is below min ({min})"),
                ));
            }
            Ok(())
        }
        Expectation::Counter { name: n, .. } => name(n, &format!("{path}.name")),
        Expectation::Happened { event: m, .. } => event(m, cluster, &format!("{path}.event")),
        Expectation::SplitTerm { role, winner, .. } => {
            name(role, &format!("{path}.role"))?;
            name(winner, &format!("{path}.winner"))
        }
        Expectation::Held { ms, expect } => {
            if *ms > MAX_TIME_MS {
                return Err(ConfigError::new(
                    format!("{path}.ms"),
                    format!("is beyond the {MAX_TIME_MS} ms a scenario may run"),
                ));
            }
            expectation(expect, cluster, &format!("{path}.expect"), depth + 1)
        }
        Expectation::Not { expect } => {
            expectation(expect, cluster, &format!("{path}.expect"), depth + 1)
        }
        Expectation::Any { of } => {
            if of.is_empty() || of.len() > MAX_EXPECT {
                return Err(ConfigError::new(
                    format!("{path}.of"),
                    format!("must list 1 to {MAX_EXPECT} alternatives"),
                ));
            }
            for (i, e) in of.iter().enumerate() {
                expectation(e, cluster, &format!("{path}.of[{i}]"), depth + 1)?;
            }
            Ok(())
        }
    }
}

fn values_ok(values: &[String], path: &str) -> Result<(), ConfigError> {
    list_len(values.len(), path)?;
    for (i, v) in values.iter().enumerate() {
        if v.len() > MAX_NAME {
            return Err(ConfigError::new(
                format!("{path}[{i}]"),
                format!("is longer than {MAX_NAME} bytes"),
            ));
        }
    }
    Ok(())
}

fn event(m: &EventMatch, cluster: &Cluster, path: &str) -> Result<(), ConfigError> {
    let node = |n: &Option<NodeId>, field: &str| match n {
        Some(n) => cluster.node(*n, &format!("{path}.{field}")),
        None => Ok(()),
    };
    let opt = |v: &Option<String>, field: &str| match v {
        Some(v) => name(v, &format!("{path}.{field}")),
        None => Ok(()),
    };
    match m {
        EventMatch::Send { kind, from, to }
        | EventMatch::Deliver { kind, from, to }
        | EventMatch::Drop { kind, from, to } => {
            opt(kind, "kind")?;
            node(from, "from")?;
            node(to, "to")
        }
        EventMatch::Role { node: n, role, .. } => {
            node(n, "node")?;
            opt(role, "role")
        }
        EventMatch::Control { control } => opt(control, "control"),
        EventMatch::Reply { node: n, contains } => {
            node(n, "node")?;
            opt(contains, "contains")
        }
        EventMatch::Start { node: n } => node(n, "node"),
        EventMatch::Violation { checker } => opt(checker, "checker"),
    }
}

fn highlight(h: &Highlight, cluster: &Cluster, path: &str) -> Result<(), ConfigError> {
    list_len(h.nodes.len(), &format!("{path}.nodes"))?;
    for (i, n) in h.nodes.iter().enumerate() {
        cluster.node(*n, &format!("{path}.nodes[{i}]"))?;
    }
    if let Some([a, b]) = h.link {
        cluster.node(a, &format!("{path}.link[0]"))?;
        cluster.node(b, &format!("{path}.link[1]"))?;
        if a == b {
            return Err(ConfigError::new(
                format!("{path}.link"),
                format!("joins {a} to itself; a link has two different ends"),
            ));
        }
    }
    if let Some(kind) = &h.message {
        name(kind, &format!("{path}.message"))?;
    }
    if h.log_index == Some(0) {
        return Err(ConfigError::new(
            format!("{path}.log_index"),
            "log indexes start at 1",
        ));
    }
    if let Some(key) = &h.key {
        name(key, &format!("{path}.key"))?;
    }
    Ok(())
}

/// What a protocol declares, for checking names.
struct Vocabulary<'a> {
    protocol: &'a dyn Protocol,
}

impl Vocabulary<'_> {
    fn kind(&self, kind: &str, path: &str) -> Result<(), ConfigError> {
        let look = self.protocol.look();
        if look.message(kind).is_some() {
            return Ok(());
        }
        let known: Vec<&str> = look.messages.iter().map(|m| m.kind).collect();
        Err(ConfigError::new(
            path,
            format!(
                "{} has no message kind {kind:?}; it has: {}",
                self.protocol.label(),
                known.join(", ")
            ),
        ))
    }

    fn role(&self, role: &str, path: &str) -> Result<(), ConfigError> {
        let roles = self.protocol.look().roles;
        if roles.iter().any(|r| r.name == role) || role == crate::kernel::view::Role::CLIENT.name {
            return Ok(());
        }
        let known: Vec<&str> = roles.iter().map(|r| r.name).collect();
        Err(ConfigError::new(
            path,
            format!(
                "{} has no role {role:?}; it has: {}",
                self.protocol.label(),
                known.join(", ")
            ),
        ))
    }

    fn checker(&self, checker: &str, path: &str) -> Result<(), ConfigError> {
        let props = self.protocol.checkers();
        if props.iter().any(|c| c.name == checker) {
            return Ok(());
        }
        let known: Vec<&str> = props.iter().map(|c| c.name).collect();
        Err(ConfigError::new(
            path,
            format!(
                "{} checks no property {checker:?}; it checks: {}",
                self.protocol.label(),
                known.join(", ")
            ),
        ))
    }

    fn event(&self, m: &EventMatch, path: &str) -> Result<(), ConfigError> {
        match m {
            EventMatch::Send { kind: Some(k), .. }
            | EventMatch::Deliver { kind: Some(k), .. }
            | EventMatch::Drop { kind: Some(k), .. } => self.kind(k, &format!("{path}.kind")),
            EventMatch::Role { role: Some(r), .. } => self.role(r, &format!("{path}.role")),
            EventMatch::Violation { checker: Some(c) } => {
                self.checker(c, &format!("{path}.checker"))
            }
            EventMatch::Control { control: Some(c) } => {
                if CONTROL_TYPES.contains(&c.as_str()) {
                    Ok(())
                } else {
                    Err(ConfigError::new(
                        format!("{path}.control"),
                        format!(
                            "no action type {c:?}; the action types are: {}",
                            CONTROL_TYPES.join(", ")
                        ),
                    ))
                }
            }
            _ => Ok(()),
        }
    }

    fn expectation(&self, e: &Expectation, path: &str) -> Result<(), ConfigError> {
        match e {
            Expectation::Role { role, .. } => self.role(role, &format!("{path}.role")),
            Expectation::Violation {
                checker: Some(c), ..
            } => self.checker(c, &format!("{path}.checker")),
            Expectation::InFlight { kind, .. } => self.kind(kind, &format!("{path}.kind")),
            Expectation::Happened { event, .. } => self.event(event, &format!("{path}.event")),
            Expectation::SplitTerm { role, winner, .. } => {
                self.role(role, &format!("{path}.role"))?;
                self.role(winner, &format!("{path}.winner"))
            }
            Expectation::Held { expect, .. } | Expectation::Not { expect } => {
                self.expectation(expect, &format!("{path}.expect"))
            }
            Expectation::Any { of } => {
                for (i, e) in of.iter().enumerate() {
                    self.expectation(e, &format!("{path}.of[{i}]"))?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The `type` of every [`crate::kernel::control::Control`], as written in action logs.
pub const CONTROL_TYPES: &[&str] = &[
    "crash",
    "restart",
    "pause",
    "resume",
    "timeout",
    "partition",
    "cut",
    "cut_one_way",
    "heal",
    "hold",
    "heal_all",
    "drop_message",
    "set_net",
    "submit",
    "deliver",
    "fire",
];

/// Check the names captions use against what `protocol` declares: message kinds (its
/// legend), roles, checker names.
pub fn validate_against(
    captions: &[Caption],
    protocol: &dyn Protocol,
    path: &str,
) -> Result<(), ConfigError> {
    let v = Vocabulary { protocol };
    for (i, c) in captions.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if let Some(m) = &c.after {
            v.event(m, &format!("{p}.after"))?;
        }
        if let Some(kind) = &c.highlight.message {
            v.kind(kind, &format!("{p}.highlight.message"))?;
        }
        for (j, e) in c.expect.iter().enumerate() {
            v.expectation(e, &format!("{p}.expect[{j}]"))?;
        }
    }
    Ok(())
}

/// [`validate_against`] for a list of expectations (a challenge's goal).
pub fn validate_expectations_against(
    list: &[Expectation],
    protocol: &dyn Protocol,
    path: &str,
) -> Result<(), ConfigError> {
    let v = Vocabulary { protocol };
    for (j, e) in list.iter().enumerate() {
        v.expectation(e, &format!("{path}[{j}]"))?;
    }
    Ok(())
}
