//! netsplit's Raft servers, driven directly: no simulator, no checkers, no trace. The harness
//! is the network (every message is delivered at once, in the order it was sent), the clock
//! (virtual time moves only when nothing else can happen: then the earliest armed timer
//! fires) and the one client.

use super::{payload, Outcome, Params};
use netsplit_core::checkers::linearizability::Op;
use netsplit_core::kernel::node::{Ctx, Effect, Effects, Server};
use netsplit_core::kernel::rng::SimRng;
use netsplit_core::protocols::raft::{
    ClientResult, Raft, RaftConfig, RaftMsg, RaftServer, RaftTimer, LEADER,
};
use netsplit_core::{NodeId, Time};
use std::collections::VecDeque;
use std::time::Instant;

/// A cluster of netsplit Raft servers and one pipelining client.
struct Cluster {
    ids: Vec<NodeId>,
    servers: Vec<RaftServer>,
    rngs: Vec<SimRng>,
    /// Armed timers per server, with their deadlines.
    timers: Vec<Vec<(RaftTimer, Time)>>,
    now: Time,
    /// Messages in flight, oldest first: (from, to, message).
    queue: VecDeque<(NodeId, NodeId, RaftMsg)>,
    /// The effects of the input being handled (reused).
    out: Effects<Raft>,
    client: NodeId,
    leader: Option<usize>,
    /// Client sequence numbers applied by each server, in order.
    applied: Vec<Vec<u64>>,
    /// Commands the client saw answered.
    completed: u64,
    /// Next sequence number the client sends.
    next_seq: u64,
    /// How many commands the client sends in all.
    total: u64,
    payload: usize,
    delivered: u64,
    timers_fired: u64,
}

/// An input to one server.
enum Input {
    Message(NodeId, RaftMsg),
    Timer(RaftTimer),
    Start,
}

impl Cluster {
    fn new(p: &Params) -> Cluster {
        let n = p.servers;
        let ids: Vec<NodeId> = (0..n).map(NodeId::from_index).collect();
        let config = RaftConfig {
            max_batch: p.max_batch,
            max_inflight: p.max_inflight,
            batching: true,
            // Collect what arrives until the network is quiet (the harness fires a timer only
            // when no message is in flight), then send at most `max_batch` per AppendEntries.
            batch_delay_ms: 0,
            pipelining: true,
            // tikv's MemStorage is never compacted here either.
            snapshot_every: 0,
            pre_vote: true,
            check_quorum: true,
            ..RaftConfig::default()
        };
        let servers = ids
            .iter()
            .map(|id| <RaftServer as Server<Raft>>::new(*id, &ids, &config, None))
            .collect();
        let root = SimRng::new(1);
        Cluster {
            servers,
            rngs: (0..n).map(|i| root.fork(i as u64)).collect(),
            timers: vec![Vec::new(); n],
            now: Time::ZERO,
            queue: VecDeque::new(),
            out: Vec::new(),
            client: NodeId::client(0),
            leader: None,
            applied: vec![Vec::new(); n],
            completed: 0,
            next_seq: 1,
            total: p.warmup + p.commits,
            payload: p.payload,
            delivered: 0,
            timers_fired: 0,
            ids,
        }
    }

    /// Hand `input` to server `i` and carry out its effects.
    fn handle(&mut self, i: usize, input: Input) {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        {
            let mut ctx = Ctx {
                now: self.now,
                id: self.ids[i],
                servers: &self.ids,
                rng: &mut self.rngs[i],
                out: &mut out,
                // No trace here: the servers' remarks would go nowhere.
                notes: false,
            };
            let server = &mut self.servers[i];
            match input {
                Input::Message(from, msg) => server.on_message(&mut ctx, from, msg),
                Input::Timer(t) => server.on_timer(&mut ctx, t),
                Input::Start => server.on_start(&mut ctx),
            }
        }
        let from = self.ids[i];
        let mut answered = 0;
        for effect in out.drain(..) {
            match effect {
                Effect::Send { to, msg } if to == self.client => {
                    if let RaftMsg::ClientReply {
                        result: ClientResult::Done(_),
                        ..
                    } = msg
                    {
                        answered += 1;
                    }
                }
                Effect::Send { to, msg } => self.queue.push_back((from, to, msg)),
                Effect::SetTimer { timer, after_ms } => {
                    let at = self.now.plus(after_ms);
                    let timers = &mut self.timers[i];
                    match timers.iter_mut().find(|(t, _)| *t == timer) {
                        Some(slot) => slot.1 = at,
                        None => timers.push((timer, at)),
                    }
                }
                Effect::CancelTimer { timer } => self.timers[i].retain(|(t, _)| *t != timer),
                Effect::Reply { .. } | Effect::Note(_) | Effect::Count(_) => {}
            }
        }
        self.out = out;
        self.applied[i].extend(self.servers[i].applied_now().iter().map(|a| a.seq));
        // The client sends its next command as each one is answered.
        for _ in 0..answered {
            self.completed += 1;
            self.send_next();
        }
    }

    /// The client sends its next command to the leader, if it has one left.
    fn send_next(&mut self) {
        let Some(leader) = self.leader else { return };
        if self.next_seq > self.total {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let (key, value) = payload(seq, self.payload);
        let op = Op::Put { key, value };
        self.queue.push_back((
            self.client,
            self.ids[leader],
            RaftMsg::ClientRequest { seq, op },
        ));
    }

    /// Deliver the oldest message, or else fire the earliest timer. False if neither exists.
    fn step(&mut self) -> bool {
        if let Some((from, to, msg)) = self.queue.pop_front() {
            // Server to server only: tikv's proposals are calls, not messages.
            if from != self.client {
                self.delivered += 1;
            }
            self.handle(to.index(), Input::Message(from, msg));
            return true;
        }
        let next = self
            .timers
            .iter()
            .enumerate()
            .flat_map(|(i, ts)| ts.iter().enumerate().map(move |(k, (_, at))| (*at, i, k)))
            .min();
        let Some((at, i, k)) = next else {
            return false;
        };
        let (timer, _) = self.timers[i].swap_remove(k);
        self.now = self.now.max(at);
        self.timers_fired += 1;
        self.handle(i, Input::Timer(timer));
        true
    }

    /// Run until `done` holds; an error if the cluster stalls (nothing left to do).
    fn run_until(&mut self, done: impl Fn(&Cluster) -> bool) -> Result<(), String> {
        while !done(self) {
            if !self.step() {
                return Err("netsplit: the cluster stalled".into());
            }
        }
        Ok(())
    }
}

/// One round: elect, warm up, measure `p.commits` commits, let every server apply everything.
pub fn run(p: &Params) -> Result<Outcome, String> {
    let mut c = Cluster::new(p);
    for i in 0..p.servers {
        c.handle(i, Input::Start);
    }
    // The election: timers fire until a leader has committed its term's no-op.
    c.run_until(|c| {
        c.servers
            .iter()
            .any(|s| s.role() == LEADER && s.last_index() > 0 && s.commit_index() == s.last_index())
    })?;
    c.leader = c.servers.iter().position(|s| s.role() == LEADER);
    for _ in 0..p.depth {
        c.send_next();
    }
    c.run_until(|c| c.completed >= p.warmup)?;
    let (delivered, fired) = (c.delivered, c.timers_fired);
    let start = Instant::now();
    c.run_until(|c| c.completed >= p.warmup + p.commits)?;
    let secs = start.elapsed().as_secs_f64();
    let messages = c.delivered - delivered;
    let timers = c.timers_fired - fired;
    // Untimed: heartbeats carry the last commit index to the followers.
    let target = c.total;
    c.run_until(|c| c.applied.iter().all(|a| a.len() as u64 >= target))?;
    let maps = c.servers.iter().map(|s| s.kv().data.clone()).collect();
    Ok(Outcome {
        secs,
        completed: c.completed,
        applied: c.applied,
        maps,
        messages,
        timers,
    })
}
