//! Client operations as text, and their answers.
//!
//! ```text
//! get KEY [local|eventual|strong] [n=N] [r=R] [sloppy|strict]
//! put KEY VALUE [local|eventual|strong] [n=N] [w=W] [ctx=n1:2,n2:1 | ctx=last] [sloppy|strict]
//! ```
//! Without a level the request is STRONG (majority of N); `n=`/`r=`/`w=` alone make a custom
//! quorum. `ctx=last` makes the client write back the context of its own last read of the key
//! (read-modify-write). Bad input gets a clear error, never a panic.

use super::clock::{Dot, VersionVector};
use super::{MAX_KEY_LEN, MAX_VALUE_LEN};
use crate::kernel::types::NodeId;
use serde::Serialize;
use std::fmt;

/// A consistency level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The coordinator alone answers; replication happens afterwards.
    Local,
    /// One replica answers (R = W = 1).
    Eventual,
    /// A majority of the N replicas answers ("quorum": not linearizable, no read write-back).
    Strong,
    /// Explicit N/R/W.
    Custom,
}

impl Level {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Local => "local",
            Level::Eventual => "eventual",
            Level::Strong => "strong",
            Level::Custom => "custom",
        }
    }

    /// What the level guarantees, honestly.
    pub fn label(self) -> &'static str {
        match self {
            Level::Local => "local (asynchronous replication)",
            Level::Eventual => "eventual (R=W=1)",
            Level::Strong => "quorum (majority R and W; not linearizable)",
            Level::Custom => "custom N/R/W",
        }
    }
}

/// The consistency a request asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Consistency {
    /// The level.
    pub level: Level,
    /// Replicas (N); `None` = the configured default.
    pub n: Option<usize>,
    /// Replies a read needs (R); `None` = from the level.
    pub r: Option<usize>,
    /// Acknowledgements a write needs (W); `None` = from the level.
    pub w: Option<usize>,
    /// Sloppy quorum override; `None` = the configured default.
    pub sloppy: Option<bool>,
}

impl Consistency {
    /// A plain level with every default.
    pub fn level(level: Level) -> Consistency {
        Consistency {
            level,
            n: None,
            r: None,
            w: None,
            sloppy: None,
        }
    }

    /// The effective (N, R, W) for a cluster of `cluster` servers whose keys are replicated
    /// on `default_n` servers (the configured replication factor), or a clear error.
    ///
    /// An explicit `n=` may ask for fewer copies than the replication factor, never more: only
    /// the key's `default_n` replicas are kept in sync by hinted handoff and anti-entropy, so
    /// copies beyond them would be written once and then left to go stale (and a read from
    /// them would disagree with the store's own view of the key). Such a request is refused.
    pub fn resolve(
        &self,
        default_n: usize,
        cluster: usize,
    ) -> Result<(usize, usize, usize), String> {
        let factor = default_n.min(cluster);
        let n = self.n.unwrap_or(factor);
        if n == 0 {
            return Err("N must be at least 1".into());
        }
        if n > cluster {
            return Err(format!("N={n} exceeds the cluster size ({cluster} nodes)"));
        }
        if n > factor {
            return Err(format!(
                "N={n} exceeds the replication factor N={factor}: only {factor} replicas per key \
                 are kept in sync"
            ));
        }
        let majority = n / 2 + 1;
        let (r, w) = match self.level {
            Level::Local => (0, 0),
            Level::Eventual => (1, 1),
            Level::Strong => (majority, majority),
            Level::Custom => (self.r.unwrap_or(majority), self.w.unwrap_or(majority)),
        };
        if r > n {
            return Err(format!("R={r} exceeds N={n}"));
        }
        if w > n {
            return Err(format!("W={w} exceeds N={n}"));
        }
        Ok((n, r, w))
    }
}

impl fmt::Display for Consistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.level != Level::Custom {
            f.write_str(self.level.name())?;
        }
        let mut sep = if self.level == Level::Custom { "" } else { " " };
        for (name, v) in [("n", self.n), ("r", self.r), ("w", self.w)] {
            if let Some(v) = v {
                write!(f, "{sep}{name}={v}")?;
                sep = " ";
            }
        }
        match self.sloppy {
            Some(true) => write!(f, "{sep}sloppy"),
            Some(false) => write!(f, "{sep}strict"),
            None => Ok(()),
        }
    }
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum KvOp {
    /// Read a key.
    Get {
        /// The key.
        key: String,
        /// Consistency.
        consistency: Consistency,
    },
    /// Write a key.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The causal context this write supersedes (from an earlier read); empty = blind.
        ctx: VersionVector,
        /// `ctx=last`: the client fills `ctx` in from its last read of the key before sending.
        ctx_last: bool,
        /// Consistency.
        consistency: Consistency,
    },
}

impl KvOp {
    /// The key.
    pub fn key(&self) -> &str {
        match self {
            KvOp::Get { key, .. } | KvOp::Put { key, .. } => key,
        }
    }

    /// The consistency asked for.
    pub fn consistency(&self) -> &Consistency {
        match self {
            KvOp::Get { consistency, .. } | KvOp::Put { consistency, .. } => consistency,
        }
    }

    /// Whether this is a write.
    pub fn is_write(&self) -> bool {
        matches!(self, KvOp::Put { .. })
    }

    /// Parse the text form.
    pub fn parse(text: &str) -> Result<KvOp, String> {
        let mut words = text.split_whitespace();
        let verb = words
            .next()
            .ok_or("empty operation: try `put KEY VALUE strong` or `get KEY eventual`")?;
        let is_put = match verb.to_ascii_lowercase().as_str() {
            "put" | "set" => true,
            "get" => false,
            other => return Err(format!("unknown operation {other:?}: use put or get")),
        };
        let key = words.next().ok_or("missing key")?;
        check_key(key)?;
        let value = if is_put {
            let v = words.next().ok_or("missing value: put KEY VALUE")?;
            if v.len() > MAX_VALUE_LEN {
                return Err(format!(
                    "value is {} bytes; at most {MAX_VALUE_LEN} are accepted",
                    v.len()
                ));
            }
            Some(v.to_string())
        } else {
            None
        };
        let mut c = Consistency::level(Level::Strong);
        let mut level: Option<Level> = None;
        let mut ctx = VersionVector::new();
        let mut seen_ctx = false;
        let mut ctx_last = false;
        for word in words {
            let lower = word.to_ascii_lowercase();
            let set_level = |l: Level, level: &mut Option<Level>| match level {
                Some(prev) => Err(format!(
                    "two levels given: {} and {}",
                    prev.name(),
                    l.name()
                )),
                None => {
                    *level = Some(l);
                    Ok(())
                }
            };
            match lower.as_str() {
                "local" | "one-local" => set_level(Level::Local, &mut level)?,
                "eventual" | "one" => set_level(Level::Eventual, &mut level)?,
                "strong" | "quorum" | "majority" => set_level(Level::Strong, &mut level)?,
                "sloppy" => c.sloppy = Some(true),
                "strict" => c.sloppy = Some(false),
                _ => {
                    let (name, v) = lower
                        .split_once('=')
                        .ok_or_else(|| format!("unknown option {word:?}"))?;
                    if name == "ctx" {
                        if !is_put {
                            return Err("ctx= is for writes (a read returns the context)".into());
                        }
                        if seen_ctx {
                            return Err("ctx= given twice".into());
                        }
                        seen_ctx = true;
                        if v == "last" {
                            ctx_last = true;
                        } else {
                            ctx = VersionVector::parse(&word[4..])?;
                        }
                        continue;
                    }
                    let num: usize = v
                        .parse()
                        .map_err(|_| format!("{name}= needs a whole number, got {v:?}"))?;
                    let slot = match name {
                        "n" => &mut c.n,
                        "r" if !is_put => &mut c.r,
                        "w" if is_put => &mut c.w,
                        "r" => return Err("r= is for reads; a write takes w=".into()),
                        "w" => return Err("w= is for writes; a read takes r=".into()),
                        _ => return Err(format!("unknown option {word:?}")),
                    };
                    if slot.is_some() {
                        return Err(format!("{name}= given twice"));
                    }
                    if num == 0 {
                        return Err(format!("{name}= must be at least 1"));
                    }
                    *slot = Some(num);
                }
            }
        }
        let custom = c.r.is_some() || c.w.is_some();
        c.level = match (level, custom) {
            (Some(l), true) => {
                return Err(format!(
                    "r=/w= make a custom quorum; drop the level {:?}",
                    l.name()
                ))
            }
            (Some(l), false) => l,
            (None, true) => Level::Custom,
            (None, false) if c.n.is_some() => Level::Custom,
            (None, false) => Level::Strong,
        };
        // What can be checked without knowing the cluster: R or W above N.
        if let Some(n) = c.n {
            for (name, v) in [("R", c.r), ("W", c.w)] {
                if let Some(v) = v.filter(|v| *v > n) {
                    return Err(format!("{name}={v} exceeds N={n}"));
                }
            }
        }
        Ok(match value {
            Some(value) => KvOp::Put {
                key: key.to_string(),
                value,
                ctx,
                ctx_last,
                consistency: c,
            },
            None => KvOp::Get {
                key: key.to_string(),
                consistency: c,
            },
        })
    }
}

fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("empty key".into());
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!(
            "key is {} bytes; at most {MAX_KEY_LEN} are accepted",
            key.len()
        ));
    }
    if key.contains('=') {
        return Err(format!("key {key:?} may not contain '='"));
    }
    Ok(())
}

impl fmt::Display for KvOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvOp::Get { key, consistency } => write!(f, "get {key} {consistency}"),
            KvOp::Put {
                key,
                value,
                ctx,
                ctx_last,
                consistency,
            } => {
                write!(f, "put {key} {value} {consistency}")?;
                if *ctx_last {
                    f.write_str(" ctx=last")?;
                } else if !ctx.is_empty() {
                    write!(f, " ctx={ctx}")?;
                }
                Ok(())
            }
        }
    }
}

/// A client request: the operation and the server to send it to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KvRequest {
    /// The server that coordinates it.
    pub node: NodeId,
    /// The operation.
    pub op: KvOp,
}

impl fmt::Display for KvRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} via {}", self.op, self.node)
    }
}

/// The answer to a client request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum KvReply {
    /// The write was stored by enough replicas.
    Written {
        /// The key.
        key: String,
        /// The write's dot.
        dot: Dot,
        /// Nodes that stored it (and, for a fallback, whom it holds a hint for).
        acked: Vec<NodeId>,
    },
    /// The read's answer.
    Read {
        /// The key.
        key: String,
        /// Every sibling (one value unless writes were concurrent); empty = not found.
        values: Vec<(Dot, String)>,
        /// The causal context to write back with (`ctx=`).
        ctx: VersionVector,
        /// Replicas whose answers were merged.
        answered: Vec<NodeId>,
    },
    /// The request failed (insufficient replicas, bad input, no answer in time).
    Failed {
        /// The key.
        key: String,
        /// Why.
        reason: String,
        /// Whether the outcome is unknown (a write may still have been stored).
        unknown: bool,
    },
}

impl KvReply {
    /// Whether the operation succeeded.
    pub fn ok(&self) -> bool {
        !matches!(self, KvReply::Failed { .. })
    }
}

fn nodes(list: &[NodeId]) -> String {
    list.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl fmt::Display for KvReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvReply::Written { key, dot, acked } => {
                write!(f, "ok put {key} dot={dot} stored on {}", nodes(acked))
            }
            KvReply::Read {
                key,
                values,
                ctx,
                answered,
            } => {
                write!(f, "ok get {key} = ")?;
                if values.is_empty() {
                    f.write_str("(not found)")?;
                }
                for (i, (d, v)) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{v:?}@{d}")?;
                }
                if values.len() > 1 {
                    write!(f, " ({} siblings)", values.len())?;
                }
                write!(f, " ctx={ctx} from {}", nodes(answered))
            }
            KvReply::Failed {
                key,
                reason,
                unknown,
            } => {
                write!(f, "failed {key}: {reason}")?;
                if *unknown {
                    f.write_str(" (outcome unknown)")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_parse_and_print() {
        let op = KvOp::parse("put k v strong").unwrap();
        assert_eq!(op.to_string(), "put k v strong");
        let op = KvOp::parse("get k eventual").unwrap();
        assert_eq!(op.consistency().level, Level::Eventual);
        let op = KvOp::parse("put k v n=3 w=2").unwrap();
        assert_eq!(op.consistency().level, Level::Custom);
        assert_eq!(op.consistency().resolve(3, 5), Ok((3, 2, 2)));
        assert_eq!(op.to_string(), "put k v n=3 w=2");
        let op = KvOp::parse("put k v ctx=n1:2,n2:1 sloppy").unwrap();
        assert_eq!(op.to_string(), "put k v strong sloppy ctx=n1:2,n2:1");
        assert_eq!(KvOp::parse(&op.to_string()).unwrap(), op);
        let op = KvOp::parse("put k v eventual ctx=last").unwrap();
        assert!(matches!(op, KvOp::Put { ctx_last: true, .. }));
        assert_eq!(op.to_string(), "put k v eventual ctx=last");
        let op = KvOp::parse("get k").unwrap();
        assert_eq!(op.consistency().level, Level::Strong);
        assert_eq!(op.consistency().resolve(3, 5), Ok((3, 2, 2)));
        assert_eq!(
            KvOp::parse("get k local")
                .unwrap()
                .consistency()
                .resolve(3, 5),
            Ok((3, 0, 0))
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_printing_round_trips(text in "\\PC{0,60}") {
            if let Ok(op) = KvOp::parse(&text) {
                proptest::prop_assert_eq!(KvOp::parse(&op.to_string()), Ok(op));
            }
        }

        #[test]
        fn command_shaped_input_never_panics(
            verb in "(put|get|PUT|del)", key in "[a-zé=]{0,4}", rest in "( (n|r|w|ctx)=[0-9a-z:,é]{0,6}| strong| local| sloppy){0,4}",
        ) {
            let _ = KvOp::parse(&format!("{verb} {key} v{rest}"));
        }
    }

    #[test]
    fn bad_input_gets_clear_errors() {
        let cases = [
            ("", "empty operation"),
            ("del k", "unknown operation"),
            ("get", "missing key"),
            ("put k", "missing value"),
            ("put k v n=2 w=3", "W=3 exceeds N=2"),
            ("get k n=1 r=2", "R=2 exceeds N=1"),
            ("get k r=x", "whole number"),
            ("get k r=0", "at least 1"),
            ("get k w=1", "w= is for writes"),
            ("put k v strong eventual", "two levels"),
            ("put k v strong w=1", "custom quorum"),
            ("get k ctx=n1:1", "ctx= is for writes"),
            ("put k v ctx=bogus", "not of the form"),
            ("put a=b v", "may not contain"),
            ("put k v bogus", "unknown option"),
        ];
        for (text, want) in cases {
            let e = KvOp::parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        assert!(KvOp::parse(&format!("put k {long}"))
            .unwrap_err()
            .contains("at most"));
        let long_key = "k".repeat(MAX_KEY_LEN + 1);
        assert!(KvOp::parse(&format!("get {long_key}")).is_err());
        let op = KvOp::parse("put k v n=7").unwrap();
        assert_eq!(
            op.consistency().resolve(3, 5),
            Err("N=7 exceeds the cluster size (5 nodes)".to_string())
        );
    }

    #[test]
    fn n_above_the_replication_factor_is_refused() {
        let op = KvOp::parse("get k n=4 r=1").unwrap();
        assert_eq!(
            op.consistency().resolve(3, 5),
            Err(
                "N=4 exceeds the replication factor N=3: only 3 replicas per key are kept in sync"
                    .to_string()
            )
        );
        assert_eq!(op.consistency().resolve(4, 5), Ok((4, 1, 3)));
        let fewer = KvOp::parse("put k v n=2 w=2").unwrap();
        assert_eq!(fewer.consistency().resolve(3, 5), Ok((2, 2, 2)));
    }
}
