//! Builds the scripted Raft scenarios whose timing depends on what the cluster does (e.g. "crash
//! n1 the moment n3 acknowledges index 2"): it drives a session reactively and prints the
//! resulting scenario (with every action at its exact time) as JSON. The golden files in
//! `core/tests/scenarios/` were made with it: `cargo run -p netsplit-core --example
//! gen_scenarios -- figure-8`.

use netsplit_core::kernel::view::{Role, Snapshot};
use netsplit_core::protocols::raft;
use netsplit_core::run::scenario::Scenario;
use netsplit_core::{build, Control, NodeId, Playground, Time};

fn n(i: usize) -> NodeId {
    NodeId::from_index(i - 1)
}

struct Driver {
    p: Box<dyn Playground>,
}

impl Driver {
    fn new(s: &Scenario) -> Driver {
        Driver {
            p: build(s).expect("valid scenario"),
        }
    }
    fn snap(&self) -> Snapshot {
        self.p.snapshot()
    }
    /// Step until `cond` holds (or panic after `limit` ms).
    fn until(&mut self, limit: u64, what: &str, cond: impl Fn(&Snapshot) -> bool) {
        let end = self.p.now().0 + limit;
        while !cond(&self.snap()) {
            assert!(
                self.p.now().0 < end && self.p.step(),
                "never happened: {what}"
            );
        }
    }
    fn wait(&mut self, ms: u64) {
        let t = self.p.now().0 + ms;
        self.p.run_until(Time(t), u64::MAX);
    }
    fn act(&mut self, c: Control) {
        self.p.apply(c).expect("action applies");
    }
    fn role(&self, i: usize) -> Role {
        self.snap().nodes[i - 1].view.role
    }
    fn last(&self, i: usize) -> u64 {
        self.snap().nodes[i - 1]
            .view
            .log
            .as_ref()
            .map_or(0, |l| l.last_index)
    }
    /// Force `i`'s election timeout until it leads.
    fn elect(&mut self, i: usize) {
        for _ in 0..20 {
            if self.role(i) == raft::LEADER {
                return;
            }
            if self.snap().nodes[i - 1].status == netsplit_core::kernel::view::NodeStatus::Up
                && self.role(i) == raft::FOLLOWER
            {
                let _ = self.p.apply(Control::Timeout { node: n(i) });
            }
            let end = self.p.now().0 + 150;
            while self.p.now().0 < end && self.role(i) != raft::LEADER && self.p.step() {}
        }
        assert_eq!(self.role(i), raft::LEADER, "n{i} should lead");
    }
}

fn figure_8() -> Scenario {
    let mut s = Scenario::new("raft", 1);
    s.name = "Raft: Figure 8 — why old-term entries are not committed by counting".into();
    s.description = "The Raft paper's Figure 8. n1 leads term 1 and writes x=1 to itself and n2 only (a partition). n5 wins term 2 and appends its no-op alone. n1 returns as leader of term 3 and copies its term-1 entry to n3, so a majority (n1, n2, n3) stores index 2 — but it is from an old term, so n1 must not count it as committed. n1 crashes; n5, whose last entry has the later term 2, wins term 4 with votes from n3 and n4 and overwrites index 2 everywhere. Correct Raft never called index 2 committed, so nothing committed is lost. With the commit-old-term mutant, n1 commits it by counting and the state-machine-safety checker fires.".into();
    s.cluster.nodes = 5;
    s.cluster.clients = 1;
    s.config = serde_json::json!({
        "max_batch": 1, "batching": false, "pipelining": false, "snapshot_every": 0
    });
    let mut d = Driver::new(&s);
    d.wait(10);
    d.elect(1);
    d.wait(300);
    // (a) n1 and n2 split off; a client write lands on n1 and reaches n2 only.
    d.act(Control::Partition {
        groups: vec![vec![n(1), n(2)], vec![n(3), n(4), n(5)]],
    });
    d.act(Control::Submit {
        client: NodeId::client(0),
        node: n(1),
        op: "put x 1".into(),
    });
    d.until(400, "n2 stores index 2", |s| {
        s.nodes[1]
            .view
            .log
            .as_ref()
            .is_some_and(|l| l.last_index >= 2)
    });
    // (b) The majority side elects a leader w of term 2, cut off the moment it leads, so its
    // no-op stays with it alone.
    let w = {
        d.until(2000, "the majority elects a leader", |s| {
            s.nodes[2..].iter().any(|x| x.view.role == raft::LEADER)
        });
        let snap = d.snap();
        (3..=5)
            .find(|i| snap.nodes[i - 1].view.role == raft::LEADER)
            .unwrap_or(5)
    };
    let others: Vec<usize> = (3..=5).filter(|i| *i != w).collect();
    let (x, y) = (others[0], others[1]);
    d.act(Control::Partition {
        groups: vec![vec![n(1), n(2)], vec![n(x), n(y)], vec![n(w)]],
    });
    d.wait(400);
    // (c) n1 and n2 come back with x; one of them, l, leads term 3 (x's log is behind, so x
    // cannot win). x gets index 2, and l's next message to x is held, so x never sees the
    // term-3 no-op.
    d.act(Control::Partition {
        groups: vec![vec![n(1), n(2), n(x)], vec![n(y)], vec![n(w)]],
    });
    d.until(3000, "n1 or n2 leads term 3", |s| {
        s.nodes[..2]
            .iter()
            .any(|x| x.view.role == raft::LEADER && x.view.term >= Some(3))
    });
    let l = if d.role(1) == raft::LEADER { 1 } else { 2 };
    let m = 3 - l;
    d.until(400, "x stores index 2", |s| {
        s.nodes[x - 1]
            .view
            .log
            .as_ref()
            .is_some_and(|g| g.last_index >= 2)
    });
    d.act(Control::Hold {
        from: n(l),
        to: n(x),
    });
    d.until(400, "l learns that x matches index 2", |s| {
        s.nodes[l - 1]
            .view
            .log
            .as_ref()
            .is_some_and(|g| g.followers.iter().any(|f| f.node == n(x) && f.matched >= 2))
    });
    // (d) l crashes; w comes back, m stays away; w wins with x and y.
    d.act(Control::Crash { node: n(l) });
    d.act(Control::Partition {
        groups: vec![vec![n(l)], vec![n(m)], vec![n(x), n(y), n(w)]],
    });
    d.wait(200);
    d.elect(w);
    d.wait(400);
    // (e) Everyone back: l and m drop their term-1 entry at index 2.
    d.act(Control::HealAll);
    d.act(Control::Restart { node: n(l) });
    d.wait(1500);
    assert!(d.last(l) >= 3);
    eprintln!("l = n{l}, m = n{m}");
    eprintln!("w = n{w}, x = n{x}, y = n{y}");
    let mut out = d.p.to_scenario();
    out.until = Some(d.p.now());
    out
}

fn leader(s: &Snapshot) -> Option<usize> {
    s.nodes
        .iter()
        .position(|x| x.view.role == raft::LEADER)
        .map(|i| i + 1)
}

fn submit(d: &mut Driver, client: usize, node: usize, op: &str) {
    d.act(Control::Submit {
        client: NodeId::client(client - 1),
        node: n(node),
        op: op.into(),
    });
}

fn finish(d: Driver, extra_ms: u64) -> Scenario {
    let mut d = d;
    d.wait(extra_ms);
    let mut out = d.p.to_scenario();
    out.until = Some(d.p.now());
    out
}

fn figure_7() -> Scenario {
    let mut s = Scenario::new("raft", 3);
    s.name = "Raft: Figure 7 — divergent follower logs repaired".into();
    s.description = "Like the Raft paper's Figure 7: followers whose logs differ from the leader's in both ways. After some committed writes, the leader and one follower are split off; the leader appends writes only that follower stores (uncommitted, and soon abandoned when CheckQuorum makes it step down). Meanwhile another follower is cut off and misses everything. The remaining four of seven servers elect a new leader that commits more writes. When the network heals, the new leader's AppendEntries consistency check finds both kinds of divergence: fast backtracking by conflict term skips the stale suffix, which is truncated, and the lagging follower is filled in. All logs end identical.".into();
    s.cluster.nodes = 7;
    s.cluster.clients = 2;
    s.config = serde_json::json!({ "max_batch": 4, "snapshot_every": 0 });
    let mut d = Driver::new(&s);
    d.until(3000, "a leader", |s| leader(s).is_some());
    let l = leader(&d.snap()).unwrap_or(1);
    let peers: Vec<usize> = (1..=7).filter(|i| *i != l).collect();
    let (f, lag) = (peers[0], peers[1]);
    for (k, v) in ["put a 1", "put b 2"].iter().enumerate() {
        submit(&mut d, 1 + k, l, v);
    }
    d.wait(300);
    // The lagging follower is cut off; then the leader and f are split from the rest.
    let rest: Vec<NodeId> = (1..=7)
        .filter(|i| ![l, f, lag].contains(i))
        .map(n)
        .collect();
    d.act(Control::Partition {
        groups: vec![vec![n(l), n(f)], vec![n(lag)], rest.clone()],
    });
    for v in ["put x 1", "put x 2", "put y 1"] {
        submit(&mut d, 1, l, v);
        d.wait(20);
    }
    d.wait(200);
    let majority_side: Vec<usize> = (1..=7).filter(|i| ![l, f, lag].contains(i)).collect();
    d.until(3000, "the majority elects a leader", |s| {
        leader(s).is_some_and(|x| majority_side.contains(&x))
    });
    let nl = leader(&d.snap()).unwrap_or(1);
    for v in ["put x 7", "put z 3", "delete a", "put y 9"] {
        submit(&mut d, 2, nl, v);
        d.wait(40);
    }
    d.wait(600);
    d.act(Control::HealAll);
    eprintln!("old leader n{l}, its follower n{f}, lagging n{lag}, new leader n{nl}");
    finish(d, 1500)
}

/// A partitioned leader rejoins, with PreVote (and CheckQuorum) on or off.
fn rejoin(pre_vote: bool) -> Scenario {
    let mut s = Scenario::new("raft", 7);
    s.cluster.nodes = 5;
    s.cluster.clients = 1;
    if pre_vote {
        s.name = "Raft: a partitioned leader rejoins (PreVote on)".into();
        s.description = "The leader is cut off from everyone for three seconds. CheckQuorum makes it step down; alone, it keeps timing out — but with PreVote it only asks whether it could win, so its term stays where it was. The others elect a new leader and keep committing. When the old leader rejoins, its term is not higher than the cluster's: it simply follows the new leader. Compare with the same run with PreVote off.".into();
    } else {
        s.name = "Raft: a partitioned leader rejoins (PreVote off)".into();
        s.description = "The same run as \"PreVote on\", with PreVote switched off. Cut off, the old leader steps down (CheckQuorum) and then keeps timing out — and without PreVote every timeout is a real election that raises its term. When it rejoins, its inflated term reaches the healthy new leader in a reply and forces it to step down: a needless election, and a pause for every client.".into();
        s.config = serde_json::json!({ "pre_vote": false });
    }
    let mut d = Driver::new(&s);
    d.until(3000, "a leader", |s| leader(s).is_some());
    d.wait(300);
    let l = leader(&d.snap()).unwrap_or(1);
    let others: Vec<NodeId> = (1..=5).filter(|i| *i != l).map(n).collect();
    d.act(Control::Partition {
        groups: vec![vec![n(l)], others],
    });
    let other = if l == 1 { 2 } else { 1 };
    submit(&mut d, 1, other, "put x 1");
    d.wait(3000);
    d.act(Control::HealAll);
    submit(&mut d, 1, other, "put x 2");
    eprintln!("leader n{l}");
    finish(d, 2000)
}

/// Cut every link of `a` except the one to `keep`.
fn only_reaches(d: &mut Driver, nodes: usize, a: usize, keep: usize) {
    for b in (1..=nodes).filter(|b| *b != a && *b != keep) {
        d.act(Control::Cut { a: n(a), b: n(b) });
    }
}

fn partial_partition() -> Scenario {
    let mut s = Scenario::new("raft", 7);
    s.name = "Raft: partial partition — n4 reaches only n2, n5 only n3".into();
    s.description = "A 5-node cluster where n4 can reach only n2 and n5 only n3 (the kind of fault behind real outages). n4 and n5 hear no leader and time out again and again — but with PreVote they only ask, and n2 and n3, which hear from the leader, refuse; and with CheckQuorum, a vote request reaching a server that hears from a leader is ignored. The leader stays put, clients keep committing for the whole five seconds.".into();
    s.cluster.nodes = 5;
    s.cluster.clients = 2;
    let mut d = Driver::new(&s);
    d.until(3000, "a leader", |s| leader(s).is_some_and(|l| l <= 3));
    d.wait(200);
    only_reaches(&mut d, 5, 4, 2);
    only_reaches(&mut d, 5, 5, 3);
    for k in 0..10 {
        submit(&mut d, 1 + k % 2, 1 + k % 5, &format!("put k{k} {k}"));
        d.wait(500);
    }
    d.act(Control::HealAll);
    finish(d, 1000)
}

fn install_snapshot() -> Scenario {
    let mut s = Scenario::new("raft", 11);
    s.name = "Raft: a follower far behind catches up by InstallSnapshot".into();
    s.description = "Servers snapshot their state machine every 8 applied entries and discard the log before it. n5 crashes; while it is down, clients commit 30 writes, and the leader compacts its log past everything n5 has. When n5 restarts, the entries it needs no longer exist: the leader sends its snapshot instead (InstallSnapshot, Figure 13), then the few entries after it. n5's state machine ends identical to the others'.".into();
    s.cluster.nodes = 5;
    s.cluster.clients = 2;
    s.config = serde_json::json!({ "snapshot_every": 8 });
    let mut d = Driver::new(&s);
    d.until(3000, "a leader", |s| leader(s).is_some_and(|l| l != 5));
    d.wait(200);
    d.act(Control::Crash { node: n(5) });
    for k in 0..30 {
        submit(&mut d, 1 + k % 2, 1 + k % 4, &format!("put k{} {k}", k % 7));
        d.wait(60);
    }
    d.wait(300);
    d.act(Control::Restart { node: n(5) });
    finish(d, 3000)
}

fn client_redirect() -> Scenario {
    let mut s = Scenario::new("raft", 7);
    s.name = "Raft: a client is redirected from a follower to the leader".into();
    s.description = "Client c1 sends put x 1 to a follower. The follower does not lead, so it answers with a redirect naming the leader; c1 follows it, the leader appends the command, replicates it, commits it and answers. Every hop is a message on the wire. Then c1 reads x back through the leader (ReadIndex: one heartbeat round confirms it still leads).".into();
    s.cluster.nodes = 5;
    s.cluster.clients = 1;
    let mut d = Driver::new(&s);
    d.until(3000, "a leader", |s| leader(s).is_some());
    d.wait(200);
    let l = leader(&d.snap()).unwrap_or(1);
    let f = if l == 1 { 2 } else { 1 };
    submit(&mut d, 1, f, "put x 1");
    d.wait(300);
    submit(&mut d, 1, f, "get x");
    finish(d, 500)
}

fn minority_read() -> Scenario {
    let mut s = Scenario::new("raft", 7);
    s.name = "Raft: a read in a minority partition returns no stale data".into();
    s.description = "CheckQuorum is off here, so the leader cut off in a minority keeps believing it leads. Client c1 writes x=1. The leader and n1 are split off; the majority elects a new leader, and c2 writes x=2 there. Then c1 reads x from the old leader. Answering from its own state would return the stale 1 — instead, ReadIndex makes it confirm its leadership with a heartbeat round a majority must acknowledge, which never happens: c1 times out there, retries elsewhere, and reads 2 from the new leader.".into();
    s.cluster.nodes = 5;
    s.cluster.clients = 2;
    s.config = serde_json::json!({ "check_quorum": false });
    let mut d = Driver::new(&s);
    d.until(3000, "a leader", |s| leader(s).is_some());
    d.wait(200);
    let l = leader(&d.snap()).unwrap_or(1);
    let buddy = if l == 1 { 2 } else { 1 };
    submit(&mut d, 1, l, "put x 1");
    d.wait(300);
    let rest: Vec<usize> = (1..=5).filter(|i| *i != l && *i != buddy).collect();
    d.act(Control::Partition {
        groups: vec![vec![n(l), n(buddy)], rest.iter().map(|i| n(*i)).collect()],
    });
    d.until(3000, "the majority elects a leader", |s| {
        s.nodes
            .iter()
            .enumerate()
            .any(|(i, x)| rest.contains(&(i + 1)) && x.view.role == raft::LEADER)
    });
    submit(&mut d, 2, rest[0], "put x 2");
    d.wait(400);
    submit(&mut d, 1, l, "get x");
    eprintln!("old leader n{l}");
    finish(d, 3000)
}

/// The leader's lease end as its inspector shows it (`lease until: t=…`), if it has one.
fn lease_until(s: &Snapshot, node: usize) -> Option<u64> {
    s.nodes[node - 1]
        .view
        .fields
        .iter()
        .find(|f| f.name == "lease until")
        .and_then(|f| f.value.strip_prefix("t=")?.parse().ok())
}

/// A lease read after voters that acknowledged the leader's round restart or time out (issue
/// 11): the restarted voters and the forced candidate must still honour the lease they granted.
fn lease_restart() -> Scenario {
    let mut s = Scenario::new("raft", 7);
    s.name = "Raft: voters restart inside the leader's lease".into();
    s.description = "Reads are served under a leader lease (read_mode lease, CheckQuorum and PreVote on), on a fast network (5–10 ms). c1 writes x=1. The moment the leader's lease is extended by a heartbeat round that every follower acknowledged, the leader and one follower are split from the other three; two of those restart (so they cannot remember when they last heard the leader) and the third is forced to time out. A voter that acknowledged the round promised not to help elect anyone until the lease it granted could have ended — even after a restart or its own timeout: the restarted servers refuse pre-votes for the minimum election timeout after they start, and the forced candidate postpones its campaign until its promise ends. So the old leader's lease read of x (c1, 1) is still linearizable: the new leader is elected, and c2's put x 2 commits, only after the lease ran out; c1 then reads 2. Without the rule (mutant lease-vote-after-restart) the three elect a new leader at once, x=2 commits, and the old leader still answers 1 from its lease: the linearizability checker fires.".into();
    s.cluster.nodes = 5;
    s.cluster.clients = 2;
    s.cluster.net.latency_min_ms = 5;
    s.cluster.net.latency_max_ms = 10;
    s.config = serde_json::json!({ "read_mode": "lease" });
    let mut d = Driver::new(&s);
    d.until(3000, "a leader", |s| leader(s).is_some());
    d.wait(200);
    let l = leader(&d.snap()).unwrap_or(1);
    submit(&mut d, 1, l, "put x 1");
    d.wait(200);
    let others: Vec<usize> = (1..=5).filter(|i| *i != l).collect();
    let (a, b, c, e) = (others[0], others[1], others[2], others[3]);
    // Act the moment a heartbeat round extends the lease.
    let before = lease_until(&d.snap(), l).unwrap_or(0);
    d.until(500, "the lease is extended", |s| {
        lease_until(s, l).is_some_and(|t| t > before)
    });
    d.act(Control::Partition {
        groups: vec![vec![n(l), n(a)], vec![n(b), n(c), n(e)]],
    });
    for x in [c, e] {
        d.act(Control::Crash { node: n(x) });
        d.act(Control::Restart { node: n(x) });
    }
    d.act(Control::Timeout { node: n(b) });
    d.wait(45);
    submit(&mut d, 2, b, "put x 2");
    d.wait(50);
    submit(&mut d, 1, l, "get x");
    d.wait(1500);
    submit(&mut d, 1, b, "get x");
    eprintln!("leader n{l}, its partner n{a}; n{b} forced to time out, n{c} and n{e} restarted");
    finish(d, 1500)
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let s = match which.as_str() {
        "figure-8" => figure_8(),
        "figure-7" => figure_7(),
        "rejoin-prevote" => rejoin(true),
        "rejoin-no-prevote" => rejoin(false),
        "partial-partition" => partial_partition(),
        "install-snapshot" => install_snapshot(),
        "client-redirect" => client_redirect(),
        "minority-read" => minority_read(),
        "lease-restart" => lease_restart(),
        other => {
            eprintln!("unknown scenario {other:?}; known: figure-7, figure-8, rejoin-prevote, rejoin-no-prevote, partial-partition, install-snapshot, client-redirect, minority-read, lease-restart");
            std::process::exit(2);
        }
    };
    println!("{}", s.to_json());
}
