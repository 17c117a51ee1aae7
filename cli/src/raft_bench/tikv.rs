//! tikv's `raft` crate (`RawNode` over `MemStorage`), driven by the same kind of harness: the
//! network delivers every message at once, in the order it was sent; each node runs the
//! standard Ready loop (send what may go before persisting, apply committed entries, persist
//! entries and hard state, send what had to wait for it, advance, apply what the light ready
//! commits); the client proposes its next command as the leader applies one.

use super::{payload, Outcome, Params};
use protobuf::Message as _;
use raft::prelude::{ConfState, Entry, EntryType, Message};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole};
use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

/// One node: the raft state machine and what it applied.
struct Node {
    raw: RawNode<MemStorage>,
    /// The key-value map the node's applied entries built.
    map: BTreeMap<String, String>,
    /// The client session (sequence number of the last command applied per client), as
    /// netsplit's key-value store keeps.
    sessions: BTreeMap<u8, u64>,
    /// Client sequence numbers applied, in order.
    applied: Vec<u64>,
}

struct Cluster {
    nodes: Vec<Node>,
    queue: VecDeque<Message>,
    leader: Option<usize>,
    /// Commands the client saw applied on the leader.
    completed: u64,
    /// Answered but not yet followed by the next proposal.
    to_propose: u64,
    next_seq: u64,
    total: u64,
    payload: usize,
    delivered: u64,
    ticks: u64,
}

/// The encoded size of one client entry at `index` (what `max_size_per_msg` counts).
pub fn entry_size(index: u64, payload_len: usize) -> u64 {
    let e = Entry {
        index,
        term: 2,
        data: encode(index, payload_len).into(),
        ..Entry::default()
    };
    u64::from(e.compute_size())
}

/// A client command as entry data: its sequence number, then key and value.
fn encode(seq: u64, payload_len: usize) -> Vec<u8> {
    let (key, value) = payload(seq, payload_len);
    let mut data = Vec::with_capacity(8 + 1 + key.len() + value.len());
    data.extend_from_slice(&seq.to_le_bytes());
    data.push(key.len() as u8);
    data.extend_from_slice(key.as_bytes());
    data.extend_from_slice(value.as_bytes());
    data
}

impl Node {
    /// Apply committed entries; returns how many client commands it applied.
    fn apply(&mut self, entries: Vec<Entry>) -> u64 {
        let mut n = 0;
        for e in entries {
            if e.get_entry_type() != EntryType::EntryNormal || e.data.is_empty() {
                continue; // the leader's empty entry of its term
            }
            let d = &e.data[..];
            let seq = u64::from_le_bytes(d[..8].try_into().expect("8 bytes"));
            let klen = usize::from(d[8]);
            let key = std::str::from_utf8(&d[9..9 + klen]).expect("utf-8 key");
            let value = std::str::from_utf8(&d[9 + klen..]).expect("utf-8 value");
            let last = self.sessions.entry(0).or_insert(0);
            if seq > *last {
                *last = seq;
                // In place, as netsplit's key-value store does (`linearizability::apply`).
                match self.map.get_mut(key) {
                    Some(old) => {
                        old.clear();
                        old.push_str(value);
                    }
                    None => {
                        self.map.insert(key.to_owned(), value.to_owned());
                    }
                }
            }
            self.applied.push(seq);
            n += 1;
        }
        n
    }
}

impl Cluster {
    fn new(p: &Params) -> Result<Cluster, String> {
        let voters: Vec<u64> = (1..=p.servers as u64).collect();
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        // Bytes per AppendEntries: `max_batch` entries of the measured range (tikv limits bytes;
        // every entry here has the same size up to the varint of its index).
        let max_size = p.max_batch as u64 * entry_size(p.warmup + p.commits / 2, p.payload);
        let mut nodes = Vec::new();
        for id in &voters {
            let config = Config {
                id: *id,
                election_tick: 10,
                heartbeat_tick: 1,
                max_size_per_msg: max_size,
                max_inflight_msgs: p.max_inflight,
                pre_vote: true,
                check_quorum: true,
                // Its merging ignores `max_size_per_msg`: off, so batches stay within it.
                batch_append: false,
                // Followers learn the commit index with the next append, as netsplit's do (no
                // extra round of empty appends each time the leader commits).
                skip_bcast_commit: true,
                ..Config::default()
            };
            let storage =
                MemStorage::new_with_conf_state(ConfState::from((voters.clone(), vec![])));
            let raw = RawNode::new(&config, storage, &logger).map_err(|e| e.to_string())?;
            nodes.push(Node {
                raw,
                map: BTreeMap::new(),
                sessions: BTreeMap::new(),
                applied: Vec::new(),
            });
        }
        Ok(Cluster {
            nodes,
            queue: VecDeque::new(),
            leader: None,
            completed: 0,
            to_propose: 0,
            next_seq: 1,
            total: p.warmup + p.commits,
            payload: p.payload,
            delivered: 0,
            ticks: 0,
        })
    }

    /// The Ready loop of node `i`; returns whether it had anything ready.
    fn ready(&mut self, i: usize) -> bool {
        let node = &mut self.nodes[i];
        if !node.raw.has_ready() {
            return false;
        }
        let mut rd = node.raw.ready();
        self.queue.extend(rd.take_messages());
        let mut answered = node.apply(rd.take_committed_entries());
        if !rd.entries().is_empty() {
            node.raw
                .mut_store()
                .wl()
                .append(rd.entries())
                .expect("append to MemStorage");
        }
        if let Some(hs) = rd.hs() {
            node.raw.mut_store().wl().set_hardstate(hs.clone());
        }
        self.queue.extend(rd.take_persisted_messages());
        let mut light = node.raw.advance(rd);
        if let Some(commit) = light.commit_index() {
            node.raw
                .mut_store()
                .wl()
                .mut_hard_state()
                .set_commit(commit);
        }
        self.queue.extend(light.take_messages());
        answered += node.apply(light.take_committed_entries());
        node.raw.advance_apply();
        if self.leader == Some(i) {
            self.completed += answered;
            self.to_propose += answered;
        }
        true
    }

    /// One pass: the client's proposals, every message in flight, every node's Ready. False
    /// if there was nothing to do.
    fn pass(&mut self) -> Result<bool, String> {
        let mut busy = false;
        if let Some(l) = self.leader {
            while self.to_propose > 0 && self.next_seq <= self.total {
                self.to_propose -= 1;
                let data = encode(self.next_seq, self.payload);
                self.next_seq += 1;
                self.nodes[l]
                    .raw
                    .propose(Vec::new(), data)
                    .map_err(|e| format!("tikv: propose: {e}"))?;
                busy = true;
            }
        }
        while let Some(m) = self.queue.pop_front() {
            self.delivered += 1;
            let to = usize::try_from(m.to - 1).expect("node id");
            self.nodes[to]
                .raw
                .step(m)
                .map_err(|e| format!("tikv: step: {e}"))?;
            busy = true;
        }
        for i in 0..self.nodes.len() {
            busy |= self.ready(i);
        }
        Ok(busy)
    }

    /// Run until `done` holds; when nothing is left to do, time passes (every node ticks).
    fn run_until(&mut self, done: impl Fn(&Cluster) -> bool) -> Result<(), String> {
        let mut idle = 0;
        while !done(self) {
            if self.pass()? {
                idle = 0;
                continue;
            }
            idle += 1;
            if idle > 1000 {
                return Err("tikv: the cluster stalled".into());
            }
            for n in &mut self.nodes {
                n.raw.tick();
            }
            self.ticks += 1;
        }
        Ok(())
    }
}

/// One round: elect, warm up, measure `p.commits` commits, let every node apply everything.
pub fn run(p: &Params) -> Result<Outcome, String> {
    let mut c = Cluster::new(p)?;
    c.nodes[0]
        .raw
        .campaign()
        .map_err(|e| format!("tikv: campaign: {e}"))?;
    c.run_until(|c| {
        c.nodes.iter().any(|n| {
            let r = n.raw.raft.raft_log.committed;
            n.raw.raft.state == StateRole::Leader && r > 0 && r == n.raw.raft.raft_log.last_index()
        })
    })?;
    c.leader = c
        .nodes
        .iter()
        .position(|n| n.raw.raft.state == StateRole::Leader);
    c.to_propose = p.depth as u64;
    c.run_until(|c| c.completed >= p.warmup)?;
    let (delivered, ticks) = (c.delivered, c.ticks);
    let start = Instant::now();
    c.run_until(|c| c.completed >= p.warmup + p.commits)?;
    let secs = start.elapsed().as_secs_f64();
    let messages = c.delivered - delivered;
    let timers = c.ticks - ticks;
    let target = c.total;
    c.run_until(|c| c.nodes.iter().all(|n| n.applied.len() as u64 >= target))?;
    Ok(Outcome {
        secs,
        completed: c.completed,
        applied: c.nodes.iter().map(|n| n.applied.clone()).collect(),
        maps: c.nodes.iter().map(|n| n.map.clone()).collect(),
        messages,
        timers,
    })
}
