//! User actions on the simulated world: faults and repairs.
//!
//! Controls are inputs like any other: applied at a virtual time, recorded in the trace, and
//! replayable from a scenario's action log.

use crate::kernel::config::ConfigError;
use crate::kernel::net::NetConfig;
use crate::kernel::types::{MsgId, NodeId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One user action on the world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Control {
    /// Crash a node: volatile state and timers are lost, durable state kept.
    Crash {
        /// Node to crash.
        node: NodeId,
    },
    /// Restart a crashed node from its durable state.
    Restart {
        /// Node to restart.
        node: NodeId,
    },
    /// Pause a node: it keeps its memory but processes nothing; timers fire late.
    Pause {
        /// Node to pause.
        node: NodeId,
    },
    /// Resume a paused node: everything that waited is processed, in order.
    Resume {
        /// Node to resume.
        node: NodeId,
    },
    /// Fire the node's main timeout now (Raft: the election timer).
    Timeout {
        /// Node whose timer fires.
        node: NodeId,
    },
    /// Split into groups: links inside each group up, between groups down. Unlisted nodes form
    /// one more group.
    Partition {
        /// The groups.
        groups: Vec<Vec<NodeId>>,
    },
    /// Cut the link between two nodes in both directions.
    Cut {
        /// One end.
        a: NodeId,
        /// Other end.
        b: NodeId,
    },
    /// Cut only the direction `from → to`.
    CutOneWay {
        /// Sending end.
        from: NodeId,
        /// Receiving end.
        to: NodeId,
    },
    /// Heal the link between two nodes in both directions (releasing held messages).
    Heal {
        /// One end.
        a: NodeId,
        /// Other end.
        b: NodeId,
    },
    /// Hold the direction `from → to`: arriving messages wait until released.
    Hold {
        /// Sending end.
        from: NodeId,
        /// Receiving end.
        to: NodeId,
    },
    /// Bring every link up and release every held message.
    HealAll,
    /// Drop one in-flight message.
    DropMessage {
        /// The message.
        id: MsgId,
    },
    /// Change the network parameters from now on.
    SetNet {
        /// New parameters.
        net: NetConfig,
    },
    /// A simulated client starts an operation: `op` is a protocol command in its text form
    /// (Raft: `put x 1`, `get x`, `cas x 1 2`, `delete x`), sent first to server `node`.
    Submit {
        /// The client (`c1`, `c2`, …).
        client: NodeId,
        /// The server the client contacts first.
        node: NodeId,
        /// The command, as text.
        op: String,
    },
    /// Deliver one in-flight message now (a manual-mode pick); the clock moves on to its
    /// arrival time if that is later.
    Deliver {
        /// The message.
        id: MsgId,
    },
    /// Fire one armed timer of a running node now (a manual-mode pick); the clock moves on to
    /// the timer's due time if that is later.
    Fire {
        /// The node.
        node: NodeId,
        /// The timer, by the name the trace shows (Raft: `election`, `heartbeat`).
        timer: String,
    },
}

/// Longest accepted client command text.
pub const MAX_OP_LEN: usize = 1024;

/// Longest timer name a [`Control::Fire`] may carry.
pub const MAX_TIMER_NAME: usize = 64;

impl Control {
    /// Check node ids against the cluster size (`cluster_size` servers, `clients` simulated
    /// clients) and parameters for sanity.
    pub fn validate(
        &self,
        cluster_size: usize,
        clients: usize,
        path: &str,
    ) -> Result<(), ConfigError> {
        let check = |n: NodeId, field: &str| {
            if n.is_client() {
                Err(ConfigError::new(
                    format!("{path}.{field}"),
                    format!("{n} is a client; this needs a server (n1…n{cluster_size})"),
                ))
            } else if n.index() < cluster_size {
                Ok(())
            } else {
                Err(ConfigError::new(
                    format!("{path}.{field}"),
                    format!("no node {n} in a {cluster_size}-node cluster"),
                ))
            }
        };
        match self {
            Control::Crash { node }
            | Control::Restart { node }
            | Control::Pause { node }
            | Control::Resume { node }
            | Control::Timeout { node } => check(*node, "node"),
            Control::Fire { node, timer } => {
                // Clients have timers too (retries, backoff).
                match node.client_index() {
                    Some(k) if k < clients => {}
                    Some(_) => {
                        return Err(ConfigError::new(
                            format!("{path}.node"),
                            format!("no client {node} (this cluster has {clients})"),
                        ))
                    }
                    None => check(*node, "node")?,
                }
                if timer.is_empty() || timer.len() > MAX_TIMER_NAME {
                    return Err(ConfigError::new(
                        format!("{path}.timer"),
                        format!("must be a timer name of 1 to {MAX_TIMER_NAME} bytes"),
                    ));
                }
                Ok(())
            }
            Control::Partition { groups } => {
                let mut seen = vec![false; cluster_size];
                for (g, members) in groups.iter().enumerate() {
                    for (m, node) in members.iter().enumerate() {
                        check(*node, &format!("groups[{g}][{m}]"))?;
                        if std::mem::replace(&mut seen[node.index()], true) {
                            return Err(ConfigError::new(
                                format!("{path}.groups[{g}][{m}]"),
                                format!("{node} appears in more than one group"),
                            ));
                        }
                    }
                }
                Ok(())
            }
            Control::Cut { a, b } | Control::Heal { a, b } => {
                check(*a, "a")?;
                check(*b, "b")?;
                same_node(*a, *b, path)
            }
            Control::CutOneWay { from, to } | Control::Hold { from, to } => {
                check(*from, "from")?;
                check(*to, "to")?;
                same_node(*from, *to, path)
            }
            Control::HealAll | Control::DropMessage { .. } | Control::Deliver { .. } => Ok(()),
            Control::SetNet { net } => net.validate(&format!("{path}.net")),
            Control::Submit { client, node, op } => {
                match client.client_index() {
                    Some(k) if k < clients => {}
                    _ => {
                        return Err(ConfigError::new(
                            format!("{path}.client"),
                            if clients == 0 {
                                format!("no client {client}: this cluster has no simulated clients (set cluster.clients)")
                            } else {
                                format!("no client {client}: the clients are c1…c{clients}")
                            },
                        ))
                    }
                }
                check(*node, "node")?;
                if op.trim().is_empty() {
                    return Err(ConfigError::new(
                        format!("{path}.op"),
                        "the command is empty",
                    ));
                }
                if op.len() > MAX_OP_LEN {
                    return Err(ConfigError::new(
                        format!("{path}.op"),
                        format!(
                            "the command is {} bytes; at most {MAX_OP_LEN} allowed",
                            op.len()
                        ),
                    ));
                }
                Ok(())
            }
        }
    }
}

fn same_node(a: NodeId, b: NodeId, path: &str) -> Result<(), ConfigError> {
    if a == b {
        Err(ConfigError::new(
            path.to_string(),
            format!("a link joins two different nodes, got {a} twice"),
        ))
    } else {
        Ok(())
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Control::Crash { node } => write!(f, "crash {node}"),
            Control::Restart { node } => write!(f, "restart {node}"),
            Control::Pause { node } => write!(f, "pause {node}"),
            Control::Resume { node } => write!(f, "resume {node}"),
            Control::Timeout { node } => write!(f, "force timeout {node}"),
            Control::Partition { groups } => {
                write!(f, "partition")?;
                for g in groups {
                    let names: Vec<String> = g.iter().map(|n| n.to_string()).collect();
                    write!(f, " {{{}}}", names.join(","))?;
                }
                Ok(())
            }
            Control::Cut { a, b } => write!(f, "cut {a} ↔ {b}"),
            Control::CutOneWay { from, to } => write!(f, "cut {from} → {to}"),
            Control::Heal { a, b } => write!(f, "heal {a} ↔ {b}"),
            Control::Hold { from, to } => write!(f, "hold {from} → {to}"),
            Control::HealAll => write!(f, "heal all"),
            Control::DropMessage { id } => write!(f, "drop {id}"),
            Control::Submit { client, node, op } => {
                write!(f, "{client} submits \"{op}\" to {node}")
            }
            Control::Deliver { id } => write!(f, "deliver {id}"),
            Control::Fire { node, timer } => write!(f, "fire {node} {timer}"),
            Control::SetNet { net } => write!(
                f,
                "set network latency={}..{}ms loss={} dup={} reorder={}",
                net.latency_min_ms, net.latency_max_ms, net.loss, net.duplicate, net.reorder
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_tagged() {
        let c = Control::Crash { node: NodeId(2) };
        let s = serde_json::to_string(&c).unwrap();
        assert_eq!(s, r#"{"type":"crash","node":"n3"}"#);
        let back: Control = serde_json::from_str(&s).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn validation() {
        assert!(Control::Crash { node: NodeId(5) }
            .validate(5, 0, "a")
            .is_err());
        let dup = Control::Partition {
            groups: vec![vec![NodeId(0), NodeId(1)], vec![NodeId(1)]],
        };
        let e = dup.validate(3, 0, "actions[0]").unwrap_err();
        assert_eq!(e.path, "actions[0].groups[1][0]");
        assert!(Control::Cut {
            a: NodeId(1),
            b: NodeId(1)
        }
        .validate(3, 0, "x")
        .is_err());
        assert!(Control::HealAll.validate(3, 0, "x").is_ok());
        let submit = |client: NodeId, node: NodeId, op: &str| Control::Submit {
            client,
            node,
            op: op.to_string(),
        };
        let ok = submit(NodeId::client(1), NodeId(2), "put x 1");
        assert!(ok.validate(3, 2, "x").is_ok());
        let e = ok.validate(3, 1, "a").unwrap_err();
        assert_eq!(e.path, "a.client");
        assert!(e.message.contains("c1…c1"), "{e}");
        assert!(ok
            .validate(3, 0, "a")
            .unwrap_err()
            .message
            .contains("no simulated clients"));
        let e = submit(NodeId::client(0), NodeId::client(1), "get x")
            .validate(3, 2, "a")
            .unwrap_err();
        assert_eq!(e.path, "a.node");
        assert!(e.message.contains("is a client"), "{e}");
        let e = submit(NodeId::client(0), NodeId(0), "  ")
            .validate(3, 2, "a")
            .unwrap_err();
        assert_eq!(e.path, "a.op");
        let json = serde_json::to_string(&ok).unwrap();
        assert_eq!(
            json,
            r#"{"type":"submit","client":"c2","node":"n3","op":"put x 1"}"#
        );
        let fire = |timer: &str| Control::Fire {
            node: NodeId(0),
            timer: timer.into(),
        };
        assert!(fire("election").validate(3, 0, "x").is_ok());
        assert_eq!(fire("").validate(3, 0, "x").unwrap_err().path, "x.timer");
        assert!(fire(&"t".repeat(65)).validate(3, 0, "x").is_err());
    }

    #[test]
    fn manual_picks_have_a_json_form() {
        let c = Control::Fire {
            node: NodeId(1),
            timer: "election".into(),
        };
        let s = serde_json::to_string(&c).unwrap();
        assert_eq!(s, r#"{"type":"fire","node":"n2","timer":"election"}"#);
        assert_eq!(serde_json::from_str::<Control>(&s).unwrap(), c);
        let d: Control = serde_json::from_str(r#"{"type":"deliver","id":4}"#).unwrap();
        assert_eq!(d.to_string(), "deliver m4");
    }
}
