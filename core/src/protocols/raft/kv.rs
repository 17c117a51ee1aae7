//! The replicated state machine: a key-value map with client sessions (Raft paper §8).
//!
//! Log entries carry [`Command`]s. Applying them in log order to a [`KvState`] is the whole
//! point of Raft: every server applies the same commands in the same order and so holds the
//! same map. Client *sessions* make retries safe: each command carries its client's id and a
//! sequence number, and a session remembers the last sequence number applied per client with
//! its result, so a command retried after a timeout, or duplicated by the network, is applied
//! exactly once and the retry gets the original answer.

use super::machine::StateMachine;
pub use super::machine::{AppliedCommand, Command};
use crate::checkers::linearizability::{apply, Op, Outcome};
use crate::kernel::probe::{Fact, Probe};
use crate::kernel::types::NodeId;
use std::collections::BTreeMap;

/// Longest key a client may use, in bytes.
pub const MAX_KEY: usize = 64;
/// Longest value a client may store, in bytes.
pub const MAX_VALUE: usize = 256;

/// A compact text form of an operation, as typed: `put x 1`, `get x`, `cas x 1 2`, `delete x`.
pub fn short(op: &Op) -> String {
    match op {
        Op::Put { key, value } => format!("put {key} {value}"),
        Op::Get { key } => format!("get {key}"),
        Op::Cas { key, expected, new } => {
            format!("cas {key} {} {new}", expected.as_deref().unwrap_or("-"))
        }
        Op::Delete { key } => format!("delete {key}"),
    }
}

/// What a client session remembers: the last command applied for the client and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Sequence number of the last applied command.
    pub seq: u64,
    /// What it returned.
    pub outcome: Outcome,
}

/// The key-value map plus the client sessions. Snapshots hold exactly this.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvState {
    /// The map.
    pub data: BTreeMap<String, String>,
    /// Per client: the last applied command and its result (exactly-once semantics).
    pub sessions: BTreeMap<NodeId, Session>,
}

/// The result of applying one key-value command.
pub type Applied = super::machine::Applied<Outcome>;

impl KvState {
    /// Apply one command: a command its client's session already holds is not applied again.
    pub fn apply(&mut self, command: &Command) -> Applied {
        self.apply_with(command, true)
    }

    /// Apply one command, consulting the client sessions or not (`sessions: false` is the
    /// `no-client-sessions` mutant: a retry or a duplicate takes effect again).
    pub(crate) fn apply_with(&mut self, command: &Command, sessions: bool) -> Applied {
        let Command::Client { client, seq, op } = command else {
            return Applied::Nothing;
        };
        if let Some(s) = self.sessions.get(client).filter(|_| sessions) {
            if *seq <= s.seq {
                let cached = (*seq == s.seq).then(|| s.outcome.clone());
                return Applied::Duplicate(cached);
            }
        }
        let outcome = apply(&mut self.data, op);
        self.sessions.insert(
            *client,
            Session {
                seq: *seq,
                outcome: outcome.clone(),
            },
        );
        Applied::Fresh(outcome)
    }

    /// Answer a read from the current state (for ReadIndex and lease reads).
    pub fn read(&self, key: &str) -> Outcome {
        Outcome::Value(self.data.get(key).cloned())
    }

    /// A one-line summary for the inspector: `x=1 y=2` (at most `max` keys).
    pub fn summary(&self, max: usize) -> String {
        if self.data.is_empty() {
            return "(empty)".to_string();
        }
        let mut parts: Vec<String> = self
            .data
            .iter()
            .take(max)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if self.data.len() > max {
            parts.push(format!("… {} more", self.data.len() - max));
        }
        parts.join(" ")
    }
}

impl StateMachine for KvState {
    fn probe(&self, probe: &Probe<'_>) -> Fact {
        match probe {
            Probe::Key(key) => Fact::Values(self.data.get(*key).cloned().into_iter().collect()),
            _ => Fact::Unsupported,
        }
    }

    type Op = Op;
    type Outcome = Outcome;

    fn short(op: &Op) -> String {
        short(op)
    }

    fn apply_entry(&mut self, _index: u64, command: &Command, sessions: bool) -> Applied {
        self.apply_with(command, sessions)
    }

    fn read_key(op: &Op) -> Option<&str> {
        match op {
            Op::Get { key } => Some(key),
            _ => None,
        }
    }

    fn read(&self, op: &Op) -> Outcome {
        match op {
            Op::Get { key } => KvState::read(self, key),
            _ => Outcome::Value(None),
        }
    }

    fn session(&self, client: NodeId) -> Option<(u64, &Outcome)> {
        self.sessions.get(&client).map(|s| (s.seq, &s.outcome))
    }

    fn session_count(&self) -> usize {
        self.sessions.len()
    }

    fn forget_sessions(&mut self) {
        self.sessions.clear();
    }

    fn snapshot_label(&self) -> String {
        format!("keys={}", self.data.len())
    }

    fn snapshot_contents(&self) -> String {
        format!("{} keys, {} sessions", self.data.len(), self.sessions.len())
    }

    fn summary(&self, max: usize) -> String {
        KvState::summary(self, max)
    }
}

fn check_key(key: &str) -> Result<String, String> {
    if key.is_empty() {
        return Err("the key is empty".to_string());
    }
    if key.len() > MAX_KEY {
        return Err(format!(
            "the key is {} bytes long; at most {MAX_KEY} allowed",
            key.len()
        ));
    }
    Ok(key.to_string())
}

fn check_value(value: &str) -> Result<String, String> {
    if value.len() > MAX_VALUE {
        return Err(format!(
            "the value is {} bytes long; at most {MAX_VALUE} allowed",
            value.len()
        ));
    }
    Ok(value.to_string())
}

/// Parse a typed command: `put KEY VALUE`, `get KEY`, `cas KEY EXPECTED NEW` (`-` for
/// "absent"), `delete KEY`. Errors say what is wrong.
pub fn parse_op(text: &str) -> Result<Op, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let usage = "commands are: put KEY VALUE · get KEY · cas KEY EXPECTED NEW (EXPECTED - = absent) · delete KEY";
    let Some((verb, args)) = words.split_first() else {
        return Err(format!("the command is empty; {usage}"));
    };
    let want = |n: usize, form: &str| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "{verb} takes {n} argument{} ({form}), got {}",
                if n == 1 { "" } else { "s" },
                args.len()
            ))
        }
    };
    match verb.to_ascii_lowercase().as_str() {
        "put" | "set" => {
            want(2, "put KEY VALUE")?;
            Ok(Op::Put {
                key: check_key(args[0])?,
                value: check_value(args[1])?,
            })
        }
        "get" | "read" => {
            want(1, "get KEY")?;
            Ok(Op::Get {
                key: check_key(args[0])?,
            })
        }
        "cas" => {
            want(3, "cas KEY EXPECTED NEW")?;
            let expected = match args[1] {
                "-" => None,
                v => Some(check_value(v)?),
            };
            Ok(Op::Cas {
                key: check_key(args[0])?,
                expected,
                new: check_value(args[2])?,
            })
        }
        "delete" | "del" => {
            want(1, "delete KEY")?;
            Ok(Op::Delete {
                key: check_key(args[0])?,
            })
        }
        other => Err(format!("unknown command {other:?}; {usage}")),
    }
}

/// How a finished operation reads to a person: `ok`, `"1"`, `(absent)`, `cas failed: x is
/// missing`…
pub fn describe(op: &Op, outcome: &Outcome) -> String {
    match (op, outcome) {
        (Op::Get { .. }, Outcome::Value(Some(v))) => format!("{v:?}"),
        (Op::Get { key }, Outcome::Value(None)) => format!("{key} is absent"),
        (Op::Cas { key, .. }, Outcome::CasFailed { current: None }) => {
            format!("cas failed: {key} is missing")
        }
        (Op::Cas { .. }, Outcome::CasFailed { current: Some(v) }) => {
            format!("cas failed: found {v:?}")
        }
        _ => "ok".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command_and_explains_mistakes() {
        assert_eq!(
            parse_op("put x 1"),
            Ok(Op::Put {
                key: "x".into(),
                value: "1".into()
            })
        );
        assert_eq!(parse_op(" get  x "), Ok(Op::Get { key: "x".into() }));
        assert_eq!(
            parse_op("cas x - 2"),
            Ok(Op::Cas {
                key: "x".into(),
                expected: None,
                new: "2".into()
            })
        );
        assert_eq!(parse_op("delete x"), Ok(Op::Delete { key: "x".into() }));
        assert!(parse_op("").unwrap_err().contains("empty"));
        assert!(parse_op("put x").unwrap_err().contains("takes 2 arguments"));
        assert!(parse_op("frob x").unwrap_err().contains("unknown command"));
        let long = "v".repeat(MAX_VALUE + 1);
        assert!(parse_op(&format!("put x {long}"))
            .unwrap_err()
            .contains("at most 256"));
        let key = "k".repeat(MAX_KEY + 1);
        assert!(parse_op(&format!("get {key}"))
            .unwrap_err()
            .contains("key is 65 bytes"));
    }

    #[test]
    fn sessions_apply_each_command_once() {
        let mut s = KvState::default();
        let c = NodeId::client(0);
        let put = |seq, v: &str| Command::Client {
            client: c,
            seq,
            op: Op::Put {
                key: "x".into(),
                value: v.into(),
            },
        };
        assert_eq!(s.apply(&put(1, "a")), Applied::Fresh(Outcome::Ok));
        assert_eq!(s.apply(&put(2, "b")), Applied::Fresh(Outcome::Ok));
        // A late duplicate of command 1 must not bring "a" back.
        assert_eq!(s.apply(&put(1, "a")), Applied::Duplicate(None));
        assert_eq!(s.read("x"), Outcome::Value(Some("b".into())));
        // A retry of the latest command gets the recorded answer.
        assert_eq!(s.apply(&put(2, "b")), Applied::Duplicate(Some(Outcome::Ok)));
        assert_eq!(s.apply(&Command::Noop), Applied::Nothing);
    }

    #[test]
    fn cas_on_a_missing_key_reads_clearly() {
        let op = parse_op("cas x 1 2").unwrap();
        let mut s = KvState::default();
        let out = apply(&mut s.data, &op);
        assert_eq!(describe(&op, &out), "cas failed: x is missing");
    }
}
