//! The network's history for the diagram: from the user actions in the trace, the periods
//! when some link was not up ([`NetEpoch`]), with the islands a partition made, and each
//! node's crashed and paused periods ([`StatusSpan`]).

use super::index::{Tick, TickKind};
use netsplit_core::{Control, NodeId};

/// One direction of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Up,
    Down,
    Held,
}

/// A period in which at least one link between servers was down or held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetEpoch {
    /// From (ms).
    pub from: u64,
    /// Until (ms), or still so.
    pub to: Option<u64>,
    /// The links not up, in words (`n3 ↔ n4 cut`, `n1 → n5 held`).
    pub what: String,
    /// Island of each server (islands connected by links up both ways); all 0 if one.
    pub island: Vec<u8>,
    /// How many islands.
    pub islands: usize,
    /// Servers with a link down (either direction).
    pub cut: Vec<bool>,
    /// Servers with a held link (either direction).
    pub held: Vec<bool>,
}

impl NetEpoch {
    /// How it reads in a tooltip: the islands if the cluster is split, else the links.
    pub fn describe(&self) -> String {
        if self.islands < 2 {
            return self.what.clone();
        }
        let groups: Vec<String> = (0..self.islands)
            .map(|g| {
                let names: Vec<String> = (0..self.island.len())
                    .filter(|i| self.island[*i] as usize == g)
                    .map(|i| NodeId::from_index(i).to_string())
                    .collect();
                format!("{{{}}}", names.join(","))
            })
            .collect();
        format!("partition: islands {}", groups.join(" | "))
    }
}

fn islands(links: &[Link], n: usize) -> (Vec<u8>, usize) {
    let mut island = vec![u8::MAX; n];
    let mut count = 0;
    for start in 0..n {
        if island[start] != u8::MAX {
            continue;
        }
        let mut stack = vec![start];
        island[start] = count as u8;
        while let Some(i) = stack.pop() {
            for j in 0..n {
                let joined = links[i * n + j] != Link::Down && links[j * n + i] != Link::Down;
                if island[j] == u8::MAX && joined {
                    island[j] = count as u8;
                    stack.push(j);
                }
            }
        }
        count += 1;
    }
    (island, count)
}

/// The links not up, in words: `n3 ↔ n4 cut; n1 → n5 held`.
fn links_words(links: &[Link], n: usize) -> String {
    let name = NodeId::from_index;
    let mut out = Vec::new();
    for a in 0..n {
        for b in 0..n {
            let (ab, ba) = (links[a * n + b], links[b * n + a]);
            if ab == Link::Up || (ab == ba && b < a) {
                continue;
            }
            let state = if ab == Link::Down { "cut" } else { "held" };
            if ab == ba {
                out.push(format!("{} ↔ {} {state}", name(a), name(b)));
            } else {
                out.push(format!("{} → {} {state}", name(a), name(b)));
            }
        }
    }
    out.join("; ")
}

/// Every period with a link not up, from the actions `(trace index, time, action)` applied
/// to a cluster of `servers` servers (clients' links are never cut).
pub fn epochs(controls: &[(u32, u64, Control)], servers: usize) -> Vec<NetEpoch> {
    let n = servers;
    let mut links = vec![Link::Up; n * n];
    let mut out: Vec<NetEpoch> = Vec::new();
    let server = |id: &NodeId| (!id.is_client() && id.index() < n).then_some(id.index());
    for (_, at, control) in controls {
        let mut set = |a: &NodeId, b: &NodeId, state: Link| {
            if let (Some(a), Some(b)) = (server(a), server(b)) {
                links[a * n + b] = state;
            }
        };
        match control {
            Control::Partition { groups } => {
                let mut group = vec![groups.len(); n];
                for (g, members) in groups.iter().enumerate() {
                    for m in members {
                        if let Some(i) = server(m) {
                            group[i] = g;
                        }
                    }
                }
                for a in 0..n {
                    for b in 0..n {
                        links[a * n + b] = if group[a] == group[b] {
                            Link::Up
                        } else {
                            Link::Down
                        };
                    }
                }
            }
            Control::Cut { a, b } => {
                set(a, b, Link::Down);
                set(b, a, Link::Down);
            }
            Control::CutOneWay { from, to } => set(from, to, Link::Down),
            Control::Hold { from, to } => set(from, to, Link::Held),
            Control::Heal { a, b } => {
                set(a, b, Link::Up);
                set(b, a, Link::Up);
            }
            Control::HealAll => links.iter_mut().for_each(|l| *l = Link::Up),
            _ => continue,
        }
        if let Some(last) = out.last_mut() {
            if last.to.is_none() {
                last.to = Some(*at);
            }
        }
        if links.iter().all(|l| *l == Link::Up) {
            continue;
        }
        let touches = |i: usize, state: Link| {
            (0..n).any(|j| links[i * n + j] == state || links[j * n + i] == state)
        };
        let (island, count) = islands(&links, n);
        out.push(NetEpoch {
            from: *at,
            to: None,
            what: links_words(&links, n),
            island,
            islands: count,
            cut: (0..n).map(|i| touches(i, Link::Down)).collect(),
            held: (0..n).map(|i| touches(i, Link::Held)).collect(),
        });
    }
    // Several actions at one instant: only the last state counts.
    out.retain(|e| e.to != Some(e.from));
    out
}

/// How a lane is drawn over a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Crashed (dashed, grey).
    Crashed,
    /// Paused (dotted).
    Paused,
}

/// A node's crashed or paused period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSpan {
    /// The node.
    pub node: NodeId,
    /// From (ms).
    pub from: u64,
    /// Until (ms), or still so.
    pub to: Option<u64>,
    /// Crashed or paused.
    pub status: Status,
}

/// Crashed and paused periods, from the ticks (crash … restart, pause … resume).
pub fn status_spans(ticks: &[Tick]) -> Vec<StatusSpan> {
    let mut out: Vec<StatusSpan> = Vec::new();
    let open = |node: NodeId, status: Status, at: u64, out: &mut Vec<StatusSpan>| {
        out.push(StatusSpan {
            node,
            from: at,
            to: None,
            status,
        })
    };
    for t in ticks {
        let close = |status: Status, out: &mut Vec<StatusSpan>| {
            if let Some(s) = out
                .iter_mut()
                .rev()
                .find(|s| s.node == t.node && s.status == status && s.to.is_none())
            {
                s.to = Some(t.at);
            }
        };
        match t.kind {
            TickKind::Crash => {
                // A paused node that crashes is no longer paused.
                close(Status::Paused, &mut out);
                open(t.node, Status::Crashed, t.at, &mut out);
            }
            TickKind::Restart => close(Status::Crashed, &mut out),
            TickKind::Pause => open(t.node, Status::Paused, t.at, &mut out),
            TickKind::Resume => close(Status::Paused, &mut out),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u8) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn partitions_make_islands_and_heals_end_them() {
        let controls = vec![
            (
                0,
                100,
                Control::Partition {
                    groups: vec![vec![n(0), n(1)]],
                },
            ),
            (1, 400, Control::HealAll),
            (2, 500, Control::Cut { a: n(2), b: n(3) }),
            (
                3,
                600,
                Control::Hold {
                    from: n(0),
                    to: n(4),
                },
            ),
            (4, 700, Control::Heal { a: n(2), b: n(3) }),
            (5, 800, Control::Heal { a: n(0), b: n(4) }),
        ];
        let e = epochs(&controls, 5);
        assert_eq!(e.len(), 4);
        assert_eq!((e[0].from, e[0].to, e[0].islands), (100, Some(400), 2));
        assert_eq!(e[0].island, vec![0, 0, 1, 1, 1]);
        assert_eq!(e[0].describe(), "partition: islands {n1,n2} | {n3,n4,n5}");
        // A single cut does not split the cluster: the two ends are marked, no islands.
        assert_eq!((e[1].from, e[1].to, e[1].islands), (500, Some(600), 1));
        assert_eq!(e[1].cut, vec![false, false, true, true, false]);
        assert_eq!(e[1].describe(), "n3 ↔ n4 cut");
        assert_eq!((e[2].from, e[2].to), (600, Some(700)));
        assert_eq!(e[2].held, vec![true, false, false, false, true]);
        assert_eq!(e[2].describe(), "n1 → n5 held; n3 ↔ n4 cut");
        // At 700 the cut healed; the hold remains until 800.
        assert_eq!((e[3].from, e[3].to), (700, Some(800)));
        assert_eq!(e[3].describe(), "n1 → n5 held");
        assert!(epochs(&controls[..1], 5)[0].to.is_none());
    }

    #[test]
    fn crashed_and_paused_periods() {
        let tick = |at, node, kind| Tick {
            at,
            node,
            kind,
            index: at as u32,
        };
        let ticks = vec![
            tick(10, n(1), TickKind::Pause),
            tick(20, n(1), TickKind::Crash),
            tick(30, n(1), TickKind::Restart),
            tick(40, n(2), TickKind::Pause),
        ];
        let spans = status_spans(&ticks);
        assert_eq!(
            spans
                .iter()
                .map(|s| (s.node, s.from, s.to, s.status))
                .collect::<Vec<_>>(),
            vec![
                (n(1), 10, Some(20), Status::Paused),
                (n(1), 20, Some(30), Status::Crashed),
                (n(2), 40, None, Status::Paused),
            ]
        );
    }
}
