//! The vocabulary of atomic commit: transaction ids, work, votes, outcomes and the messages
//! exchanged by clients, the coordinator and the participants.

use crate::kernel::node::Message;
use crate::kernel::types::NodeId;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A transaction, as numbered by the coordinator (`t1`, `t2`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxnId(pub u64);

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// The fate of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every write is applied everywhere.
    Commit,
    /// No write is applied anywhere.
    Abort,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Commit => "commit",
            Outcome::Abort => "abort",
        })
    }
}

/// A participant's answer to Prepare (2PC) or CanCommit (3PC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Vote {
    /// Prepared: the writes are durably recorded and the locks held; the participant will do
    /// whatever the coordinator decides.
    Yes,
    /// Refused (lock conflict, failed constraint, told to refuse): the transaction must abort.
    No,
    /// Only reads here: nothing to commit or abort, so leave phase two (read-only optimization).
    ReadOnly,
}

impl fmt::Display for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vote::Yes => "yes",
            Vote::No => "no",
            Vote::ReadOnly => "read-only",
        })
    }
}

/// What one participant does for a transaction: keys written (with values) and keys read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Work {
    /// Keys written, with their new values.
    pub writes: BTreeMap<String, i64>,
    /// Keys only read.
    pub reads: BTreeSet<String>,
}

impl Work {
    /// Whether this participant only reads.
    pub fn read_only(&self) -> bool {
        self.writes.is_empty()
    }

    /// Every key touched.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.writes.keys().chain(self.reads.iter())
    }
}

impl fmt::Display for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (k, v) in &self.writes {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{k}={v}")?;
        }
        for k in &self.reads {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{k}?")?;
        }
        Ok(())
    }
}

/// A transaction as a client submits it: the work of every participant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TxnSpec {
    /// Work per participant, in node order.
    pub parts: BTreeMap<NodeId, Work>,
}

impl TxnSpec {
    /// Participants that write (they prepare and take part in phase two).
    pub fn writers(&self) -> Vec<NodeId> {
        self.parts
            .iter()
            .filter(|(_, w)| !w.read_only())
            .map(|(n, _)| *n)
            .collect()
    }
}

impl fmt::Display for TxnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (node, work) in &self.parts {
            for (k, v) in &work.writes {
                if !first {
                    f.write_str(" ")?;
                }
                first = false;
                write!(f, "{node}:{k}={v}")?;
            }
            for k in &work.reads {
                if !first {
                    f.write_str(" ")?;
                }
                first = false;
                write!(f, "{node}:{k}")?;
            }
        }
        Ok(())
    }
}

/// Longest accepted key name.
pub const MAX_KEY_LEN: usize = 16;
/// Most items (reads + writes) in one transaction.
pub const MAX_ITEMS: usize = 32;

/// A client command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommitRequest {
    /// Run a transaction (sent to the coordinator).
    Txn(TxnSpec),
    /// Tell participant `node` to vote no on every Prepare from now on (`on`) or to vote
    /// normally again.
    Refuse {
        /// The participant.
        node: NodeId,
        /// Refuse (`true`) or accept (`false`).
        on: bool,
    },
}

impl fmt::Display for CommitRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitRequest::Txn(spec) => write!(f, "txn {spec}"),
            CommitRequest::Refuse { node, on: true } => write!(f, "refuse {node}"),
            CommitRequest::Refuse { node, on: false } => write!(f, "accept {node}"),
        }
    }
}

/// Parse one client command. Grammar (whitespace separates items):
///
/// - `txn n2:x=1 n3:y=-2 n4:z` — write `x=1` on n2 and `y=-2` on n3, read `z` on n4;
/// - `refuse` — participant `node` (the one the command is sent to, or the one named as in
///   `refuse n3`) votes no from now on; `accept` undoes it.
///
/// Errors say what is wrong in plain words: empty transactions, unknown participants, duplicate
/// keys, malformed items. Whether a participant exists in *this* cluster is checked by the
/// coordinator, which knows the cluster size.
pub fn parse_request(node: NodeId, text: &str) -> Result<CommitRequest, String> {
    let mut words = text.split_whitespace();
    match words.next() {
        None => Err("empty command: try `txn n2:x=1 n3:y=2`, `refuse` or `accept`".into()),
        Some(cmd @ ("refuse" | "accept")) => {
            let on = cmd == "refuse";
            let node = match words.next() {
                None => node,
                Some(name) => NodeId::parse(name)
                    .filter(|id| id.index() < crate::kernel::config::MAX_NODES)
                    .ok_or_else(|| format!("`{cmd} {name}`: unknown participant `{name}`"))?,
            };
            if let Some(extra) = words.next() {
                return Err(format!(
                    "`{cmd}` takes at most one participant; unexpected `{extra}`"
                ));
            }
            Ok(CommitRequest::Refuse { node, on })
        }
        Some("txn") => parse_txn(words).map(CommitRequest::Txn),
        Some(other) => Err(format!(
            "unknown command `{other}`: try `txn n2:x=1 n3:y=2`, `refuse` or `accept`"
        )),
    }
}

fn parse_txn<'a>(items: impl Iterator<Item = &'a str>) -> Result<TxnSpec, String> {
    let mut spec = TxnSpec::default();
    let mut count = 0;
    for item in items {
        count += 1;
        if count > MAX_ITEMS {
            return Err(format!(
                "too many items: a transaction has at most {MAX_ITEMS}"
            ));
        }
        let (node, rest) = item.split_once(':').ok_or_else(|| {
            format!("`{item}`: expected NODE:KEY=VALUE (write) or NODE:KEY (read)")
        })?;
        let id = NodeId::parse(node)
            .filter(|id| id.index() < crate::kernel::config::MAX_NODES)
            .ok_or_else(|| {
                format!(
                    "`{item}`: unknown participant `{node}` (participants are n2, n3, …, up to n{})",
                    crate::kernel::config::MAX_NODES
                )
            })?;
        let (key, value) = match rest.split_once('=') {
            Some((k, v)) => {
                let value: i64 = v
                    .parse()
                    .map_err(|_| format!("`{item}`: value `{v}` is not a whole number"))?;
                (k, Some(value))
            }
            None => (rest, None),
        };
        if key.is_empty()
            || key.len() > MAX_KEY_LEN
            || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(format!(
                "`{item}`: key `{key}` must be 1–{MAX_KEY_LEN} letters, digits or _"
            ));
        }
        let work = spec.parts.entry(id).or_default();
        if work.writes.contains_key(key) || work.reads.contains(key) {
            return Err(format!(
                "duplicate key {id}:{key}: name each key once per participant"
            ));
        }
        match value {
            Some(v) => {
                work.writes.insert(key.to_string(), v);
            }
            None => {
                work.reads.insert(key.to_string());
            }
        }
    }
    if spec.parts.is_empty() {
        return Err("empty transaction: write at least one key, e.g. `txn n2:x=1 n3:y=2`".into());
    }
    Ok(spec)
}

/// What a client is told.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CommitReply {
    /// The transaction committed (the decision is on the coordinator's durable log).
    Committed(TxnId),
    /// The transaction aborted, and why.
    Aborted(TxnId, String),
    /// The command was refused before anything happened.
    Rejected(String),
    /// No answer came back in time: the outcome is unknown to the client.
    Unknown,
    /// A participant acknowledged a `refuse`/`accept` command.
    Done(String),
}

impl fmt::Display for CommitReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitReply::Committed(t) => write!(f, "{t} committed"),
            CommitReply::Aborted(t, why) => write!(f, "{t} aborted ({why})"),
            CommitReply::Rejected(why) => write!(f, "rejected: {why}"),
            CommitReply::Unknown => f.write_str("outcome unknown (no answer in time)"),
            CommitReply::Done(what) => f.write_str(what),
        }
    }
}

/// A participant's state for one transaction, as reported to peers in 3PC's termination
/// protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PState {
    /// Never prepared it (or forgot it after voting no / read-only).
    Unknown,
    /// Voted yes, waiting for the decision (in doubt).
    Prepared,
    /// 3PC: received pre-commit.
    PreCommitted,
    /// Committed.
    Committed,
    /// Aborted.
    Aborted,
}

impl fmt::Display for PState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PState::Unknown => "unknown",
            PState::Prepared => "prepared",
            PState::PreCommitted => "pre-committed",
            PState::Committed => "committed",
            PState::Aborted => "aborted",
        })
    }
}

/// A message of the atomic commit protocols.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CommitMsg {
    /// Client → coordinator: run this transaction (`req` numbers the client's requests).
    Begin {
        /// Client's request number.
        req: u64,
        /// The transaction.
        spec: TxnSpec,
        /// The client's oldest request still waiting for an answer: every request numbered
        /// below it is finished for the client (answered or given up), so the coordinator may
        /// forget it. Not printed in the trace.
        floor: u64,
    },
    /// Coordinator or participant → client: the answer to request `req`.
    Outcome {
        /// Client's request number.
        req: u64,
        /// The answer.
        reply: CommitReply,
    },
    /// Client → participant: vote no from now on (`true`) or normally again.
    SetRefuse {
        /// Client's request number.
        req: u64,
        /// Refuse or accept.
        on: bool,
    },
    /// Coordinator → participant: phase one (2PC Prepare, 3PC CanCommit) with its work.
    Prepare {
        /// Transaction.
        txn: TxnId,
        /// This participant's reads and writes.
        work: Work,
        /// Every participant that writes (3PC's termination protocol asks them).
        writers: Vec<NodeId>,
    },
    /// Participant → coordinator: the vote.
    Vote {
        /// Transaction.
        txn: TxnId,
        /// Yes, no or read-only.
        vote: Vote,
    },
    /// Coordinator → participant (3PC): everyone voted yes; get ready to commit.
    PreCommit {
        /// Transaction.
        txn: TxnId,
    },
    /// Participant → coordinator (3PC): pre-commit received.
    PreAck {
        /// Transaction.
        txn: TxnId,
    },
    /// The decision: commit (3PC: do-commit).
    Commit {
        /// Transaction.
        txn: TxnId,
    },
    /// The decision: abort.
    Abort {
        /// Transaction.
        txn: TxnId,
    },
    /// Participant → coordinator: commit applied (the coordinator may write its end record).
    Ack {
        /// Transaction.
        txn: TxnId,
    },
    /// Prepared participant → coordinator: what was decided?
    Query {
        /// Transaction.
        txn: TxnId,
        /// The asker is the only writer (3PC: then no peer can have decided, so a coordinator
        /// without a record may presume abort).
        alone: bool,
    },
    /// 3PC termination: participant → peer: what is your state?
    StateReq {
        /// Transaction.
        txn: TxnId,
    },
    /// 3PC termination: the peer's state.
    StateResp {
        /// Transaction.
        txn: TxnId,
        /// The peer's state.
        state: PState,
    },
}

impl Message for CommitMsg {
    fn kind(&self) -> &'static str {
        match self {
            CommitMsg::Begin { .. } => "Begin",
            CommitMsg::Outcome { .. } => "Outcome",
            CommitMsg::SetRefuse { .. } => "SetRefuse",
            CommitMsg::Prepare { .. } => "Prepare",
            CommitMsg::Vote { .. } => "Vote",
            CommitMsg::PreCommit { .. } => "PreCommit",
            CommitMsg::PreAck { .. } => "PreAck",
            CommitMsg::Commit { .. } => "Commit",
            CommitMsg::Abort { .. } => "Abort",
            CommitMsg::Ack { .. } => "Ack",
            CommitMsg::Query { .. } => "Query",
            CommitMsg::StateReq { .. } => "StateReq",
            CommitMsg::StateResp { .. } => "StateResp",
        }
    }

    fn is_reply(&self) -> bool {
        matches!(
            self,
            CommitMsg::Outcome { .. }
                | CommitMsg::Vote { .. }
                | CommitMsg::PreAck { .. }
                | CommitMsg::Ack { .. }
                | CommitMsg::StateResp { .. }
        )
    }

    fn outcome(&self) -> Option<bool> {
        match self {
            CommitMsg::Vote { vote, .. } => Some(*vote != Vote::No),
            _ => None,
        }
    }
}

/// A message's contents, without its kind: traces and the page show the kind (`Message::kind`)
/// beside it, as for every protocol.
impl fmt::Display for CommitMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitMsg::Begin { req, spec, .. } => write!(f, "#{req} {spec}"),
            CommitMsg::Outcome { req, reply } => write!(f, "#{req} {reply}"),
            CommitMsg::SetRefuse { req, on } => {
                write!(f, "#{req} {}", if *on { "refuse" } else { "accept" })
            }
            CommitMsg::Prepare { txn, work, .. } => write!(f, "{txn} {work}"),
            CommitMsg::Vote { txn, vote } => write!(f, "{txn} {vote}"),
            CommitMsg::PreCommit { txn }
            | CommitMsg::PreAck { txn }
            | CommitMsg::Commit { txn }
            | CommitMsg::Abort { txn }
            | CommitMsg::Ack { txn }
            | CommitMsg::Query { txn, .. }
            | CommitMsg::StateReq { txn } => write!(f, "{txn}"),
            CommitMsg::StateResp { txn, state } => write!(f, "{txn} {state}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(text: &str) -> TxnSpec {
        match parse_request(NodeId(0), text) {
            Ok(CommitRequest::Txn(s)) => s,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn parses_writes_and_reads_and_prints_them_back() {
        let s = txn("txn n2:x=1 n3:y=-2 n4:z");
        assert_eq!(s.to_string(), "n2:x=1 n3:y=-2 n4:z");
        assert_eq!(s.writers(), vec![NodeId(1), NodeId(2)]);
        assert!(s.parts[&NodeId(3)].read_only());
        let n3 = NodeId(2);
        assert_eq!(
            parse_request(n3, "refuse"),
            Ok(CommitRequest::Refuse { node: n3, on: true })
        );
        assert_eq!(
            parse_request(NodeId(0), " accept n3 "),
            Ok(CommitRequest::Refuse {
                node: n3,
                on: false
            })
        );
        // The text form parses back to the same request.
        let again = parse_request(n3, &CommitRequest::Txn(s.clone()).to_string());
        assert_eq!(again, Ok(CommitRequest::Txn(s)));
    }

    #[test]
    fn bad_input_gets_a_clear_error() {
        let err = |t: &str| parse_request(NodeId(1), t).unwrap_err();
        assert!(err("").contains("empty command"));
        assert!(err("txn").contains("empty transaction"));
        assert!(err("txn   ").contains("empty transaction"));
        assert!(err("txn n12:x=1").contains("unknown participant `n12`"));
        assert!(err("txn n0:x=1").contains("unknown participant"));
        assert!(err("txn q2:x=1").contains("unknown participant"));
        assert!(err("txn n2:x=1 n2:x=2").contains("duplicate key n2:x"));
        assert!(err("txn n2:x=1 n2:x").contains("duplicate key n2:x"));
        assert!(err("txn n2x=1").contains("expected NODE:KEY=VALUE"));
        assert!(err("txn n2:x=one").contains("not a whole number"));
        assert!(err("txn n2:=1").contains("key ``"));
        assert!(err("txn n2:a-b=1").contains("letters, digits"));
        assert!(err("refuse now").contains("unknown participant `now`"));
        assert!(err("refuse n2 n3").contains("at most one participant"));
        assert!(err("put x 1").contains("unknown command `put`"));
        let many: String = (0..40).map(|i| format!(" n2:k{i}=1")).collect();
        assert!(err(&format!("txn{many}")).contains("too many items"));
    }

    #[test]
    fn same_key_on_different_participants_is_fine() {
        let s = txn("txn n2:x=1 n3:x=1");
        assert_eq!(s.parts.len(), 2);
    }
}
