//! `netsplit bench-raft` (feature `tikv-compare`): Raft's commit path, netsplit's servers
//! against tikv's `raft` crate, in the same in-memory harness.
//!
//! Both harnesses play the network (every message delivered at once, oldest first), keep
//! storage in memory and run one client that keeps `depth` commands in flight, sending the
//! next as soon as the leader has applied one. Same cluster size, payload, entries per
//! AppendEntries and AppendEntries in flight per follower. One thread; the median of several
//! rounds, each a fresh cluster: elect, warm up, then time a fixed number of commits.
//!
//! A round counts only if it checks out ([`check`]): every node of both implementations
//! applied the same commands in the same order — each client command once, in the order
//! sent — and ended with the same key-value map.

mod netsplit;
mod tikv;

use crate::outln;
use clap::Args;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Arguments of `netsplit bench-raft`.
#[derive(Args, Debug)]
pub struct BenchRaftArgs {
    /// Cluster sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "3,5")]
    servers: Vec<usize>,
    /// Client pipeline depths (commands in flight), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,64")]
    depths: Vec<usize>,
    /// Commits timed per round.
    #[arg(long, default_value_t = 100_000)]
    commits: u64,
    /// Commits before the timing starts, per round.
    #[arg(long, default_value_t = 10_000)]
    warmup: u64,
    /// Rounds per implementation and configuration (the median is reported).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Bytes of each command's value.
    #[arg(long, default_value_t = 64)]
    payload: usize,
    /// Most entries per AppendEntries (netsplit's `max_batch`; tikv's `max_size_per_msg` is
    /// this many encoded entries).
    #[arg(long, default_value_t = 16)]
    max_batch: usize,
    /// Most AppendEntries with entries in flight per follower (netsplit's `max_inflight`,
    /// tikv's `max_inflight_msgs`).
    #[arg(long, default_value_t = 4)]
    max_inflight: usize,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// One configuration of the harness.
#[derive(Clone, Debug)]
pub struct Params {
    /// Servers in the cluster.
    pub servers: usize,
    /// Commands the client keeps in flight.
    pub depth: usize,
    /// Commits timed.
    pub commits: u64,
    /// Commits before the timing starts.
    pub warmup: u64,
    /// Bytes of each value.
    pub payload: usize,
    /// Most entries per AppendEntries.
    pub max_batch: usize,
    /// Most AppendEntries in flight per follower.
    pub max_inflight: usize,
}

/// What one round of one implementation did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Wall time of the timed commits, seconds.
    pub secs: f64,
    /// Commands the client saw committed and applied on the leader.
    pub completed: u64,
    /// Per node, the client sequence numbers it applied, in order.
    pub applied: Vec<Vec<u64>>,
    /// Per node, its key-value map at the end.
    pub maps: Vec<BTreeMap<String, String>>,
    /// Messages between servers delivered during the timed commits (the client's requests to
    /// netsplit's leader are not counted: tikv's proposals are calls).
    pub messages: u64,
    /// Timers fired (netsplit) or ticks (tikv) during the timed commits.
    pub timers: u64,
}

/// The key and value of command `seq`: one of 1,000 keys (`k000`…`k999`), and `seq` in
/// decimal, zero-padded to `len` bytes. Built without `format!`: the client's cost is the same
/// for both implementations and should not drown what is measured.
pub fn payload(seq: u64, len: usize) -> (String, String) {
    let k = seq % 1000;
    let key = [b'k', digit(k / 100), digit(k / 10 % 10), digit(k % 10)];
    let mut value = vec![b'0'; len];
    let (mut n, mut at) = (seq, len);
    while n > 0 && at > 0 {
        at -= 1;
        value[at] = digit(n % 10);
        n /= 10;
    }
    let ascii = |b: Vec<u8>| String::from_utf8(b).expect("ASCII digits");
    (ascii(key.to_vec()), ascii(value))
}

fn digit(d: u64) -> u8 {
    b'0' + (d % 10) as u8
}

/// Did both implementations commit and apply the same `expected` commands? Every node of
/// each applied exactly the client's commands 1..=expected, in order; every map is the
/// same, within and across implementations.
pub fn check(ns: &Outcome, tikv: &Outcome, expected: u64) -> Result<(), String> {
    for (name, o) in [("netsplit", ns), ("tikv", tikv)] {
        if o.completed != expected {
            return Err(format!(
                "{name}: the client saw {} commands committed, expected {expected}",
                o.completed
            ));
        }
        for (i, seqs) in o.applied.iter().enumerate() {
            let in_order =
                seqs.len() as u64 == expected && seqs.iter().zip(1..).all(|(s, want)| *s == want);
            if !in_order {
                let at = seqs.iter().zip(1..).position(|(s, want)| *s != want);
                return Err(format!(
                    "{name}: node {} applied {} commands, not 1..={expected} in order (first \
                     difference at position {at:?})",
                    i + 1,
                    seqs.len()
                ));
            }
        }
        if let Some(i) = o.maps.iter().position(|m| *m != o.maps[0]) {
            return Err(format!(
                "{name}: node {}'s map differs from node 1's",
                i + 1
            ));
        }
    }
    if ns.maps.first() != tikv.maps.first() {
        return Err("the two implementations ended with different maps".into());
    }
    Ok(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Measure one configuration: `rounds` rounds of each implementation, alternating.
fn measure(p: &Params, rounds: usize) -> Result<Value, String> {
    let expected = p.warmup + p.commits;
    let (mut ns_rates, mut tk_rates) = (Vec::new(), Vec::new());
    let (mut ns_msgs, mut tk_msgs, mut ns_timers, mut tk_ticks) = (0, 0, 0, 0);
    for _ in 0..rounds {
        let ns = netsplit::run(p)?;
        let tk = tikv::run(p)?;
        check(&ns, &tk, expected)?;
        ns_rates.push(p.commits as f64 / ns.secs);
        tk_rates.push(p.commits as f64 / tk.secs);
        (ns_msgs, tk_msgs, ns_timers, tk_ticks) = (ns.messages, tk.messages, ns.timers, tk.timers);
    }
    let (ns, tk) = (median(ns_rates.clone()), median(tk_rates.clone()));
    let per_commit = |m: u64| m as f64 / p.commits as f64;
    Ok(json!({
        "servers": p.servers,
        "depth": p.depth,
        "netsplit": {
            "commits_per_s": ns,
            "rounds": ns_rates,
            "messages_per_commit": per_commit(ns_msgs),
            "timers": ns_timers,
        },
        "tikv": {
            "commits_per_s": tk,
            "rounds": tk_rates,
            "messages_per_commit": per_commit(tk_msgs),
            "ticks": tk_ticks,
        },
        "ratio": ns / tk,
        "checked": true,
    }))
}

/// Run `netsplit bench-raft`.
pub fn bench_raft(args: BenchRaftArgs) -> Result<ExitCode, String> {
    if args.rounds == 0 || args.commits == 0 {
        return Err("--rounds and --commits must be at least 1".into());
    }
    if !(1..=64).contains(&args.max_inflight) || !(1..=1024).contains(&args.max_batch) {
        return Err(
            "--max-inflight must be 1–64 and --max-batch 1–1024 (netsplit's limits)".into(),
        );
    }
    if let Some(n) = args.servers.iter().find(|n| !(1..=9).contains(*n)) {
        return Err(format!("--servers: {n} is not between 1 and 9"));
    }
    let mut runs = Vec::new();
    let mut failed = Vec::new();
    for &servers in &args.servers {
        for &depth in &args.depths {
            let p = Params {
                servers,
                depth: depth.max(1),
                commits: args.commits,
                warmup: args.warmup,
                payload: args.payload,
                max_batch: args.max_batch,
                max_inflight: args.max_inflight,
            };
            match measure(&p, args.rounds) {
                Ok(run) => {
                    if !args.json {
                        outln!(
                            "{servers} servers, depth {depth:>3}: netsplit {:>9.0} commits/s, \
                             tikv {:>9.0} commits/s, ratio {:.2}× (messages per commit {:.2} / \
                             {:.2})",
                            run["netsplit"]["commits_per_s"].as_f64().unwrap_or(0.0),
                            run["tikv"]["commits_per_s"].as_f64().unwrap_or(0.0),
                            run["ratio"].as_f64().unwrap_or(0.0),
                            run["netsplit"]["messages_per_commit"]
                                .as_f64()
                                .unwrap_or(0.0),
                            run["tikv"]["messages_per_commit"].as_f64().unwrap_or(0.0),
                        );
                    }
                    runs.push(run);
                }
                Err(e) => {
                    if !args.json {
                        outln!("{servers} servers, depth {depth}: FAILED: {e}");
                    }
                    failed.push(json!({ "servers": servers, "depth": depth, "error": e }));
                }
            }
        }
    }
    if args.json {
        let report = json!({
            "commits": args.commits,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "payload": args.payload,
            "max_batch": args.max_batch,
            "max_inflight": args.max_inflight,
            "tikv_entry_bytes": tikv::entry_size(args.warmup + args.commits / 2, args.payload),
            "runs": runs,
            "failed": failed,
        });
        outln!("{report}");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(servers: usize, depth: usize) -> Params {
        Params {
            servers,
            depth,
            commits: 300,
            warmup: 50,
            payload: 16,
            max_batch: 16,
            max_inflight: 4,
        }
    }

    #[test]
    fn both_commit_and_apply_the_same_entries() {
        for (servers, depth) in [(3, 1), (3, 64), (5, 8)] {
            let p = small(servers, depth);
            let ns = netsplit::run(&p).unwrap();
            let tk = tikv::run(&p).unwrap();
            assert_eq!(ns.applied.len(), servers);
            assert_eq!(tk.applied.len(), servers);
            check(&ns, &tk, 350).unwrap();
            // 350 commands over keys k000…k999: 350 keys.
            assert_eq!(ns.maps[0].len(), 350);
            assert!(ns.messages > 0 && tk.messages > 0);
        }
    }

    #[test]
    fn payloads() {
        assert_eq!(
            payload(1234, 8),
            ("k234".to_string(), "00001234".to_string())
        );
        assert_eq!(payload(7, 1), ("k007".to_string(), "7".to_string()));
        assert_eq!(payload(5, 0).1, "");
    }

    #[test]
    fn the_check_catches_a_lie() {
        let p = small(3, 4);
        let ns = netsplit::run(&p).unwrap();
        let tk = tikv::run(&p).unwrap();
        check(&ns, &tk, 350).unwrap();
        // A node that skipped a command.
        let mut bad = ns.clone();
        bad.applied[2].remove(10);
        assert!(check(&bad, &tk, 350).unwrap_err().contains("node 3"));
        // Commands applied out of order.
        let mut bad = tk.clone();
        bad.applied[1].swap(3, 4);
        assert!(check(&ns, &bad, 350).unwrap_err().contains("tikv: node 2"));
        // Fewer commits than claimed.
        assert!(check(&ns, &tk, 351).is_err());
        // A different final state.
        let mut bad = tk.clone();
        for m in &mut bad.maps {
            m.insert("k000".into(), "x".into());
        }
        assert!(check(&ns, &bad, 350)
            .unwrap_err()
            .contains("different maps"));
    }
}
