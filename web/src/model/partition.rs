//! "Split the network" presets, computed from the cluster size and the current leader; and the
//! islands the network is split into right now ([`groups`]), drawn as shaded groups.

use netsplit_core::kernel::net::LinkState;
use netsplit_core::kernel::view::Snapshot;
use netsplit_core::{Control, NodeId};

/// A named partition.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    /// What the menu shows.
    pub label: String,
    /// What it does.
    pub control: Control,
}

fn names(group: &[NodeId]) -> String {
    let v: Vec<String> = group.iter().map(|n| n.to_string()).collect();
    v.join(",")
}

fn preset(groups: Vec<Vec<NodeId>>, what: &str) -> Preset {
    let shown: Vec<String> = groups.iter().map(|g| format!("{{{}}}", names(g))).collect();
    Preset {
        label: format!("{what}: {}", shown.join(" | ")),
        control: Control::Partition { groups },
    }
}

/// The presets for an `n`-node cluster whose leader (if any) is `leader`.
pub fn presets(n: usize, leader: Option<NodeId>) -> Vec<Preset> {
    let all: Vec<NodeId> = (0..n).map(NodeId::from_index).collect();
    let mut out = Vec::new();
    if n < 2 {
        return out;
    }
    if let Some(l) = leader {
        let rest: Vec<NodeId> = all.iter().copied().filter(|x| *x != l).collect();
        out.push(preset(vec![vec![l], rest.clone()], "Isolate the leader"));
        if n >= 4 {
            // The leader keeps a minority: it stays leader there but can commit nothing.
            let minority = (n - 1) / 2;
            let mut with_leader = vec![l];
            with_leader.extend(rest.iter().take(minority - 1));
            let others: Vec<NodeId> = rest.iter().skip(minority - 1).copied().collect();
            out.push(preset(vec![with_leader, others], "Leader in a minority"));
        }
    }
    let half = n / 2;
    out.push(preset(
        vec![all[..half].to_vec(), all[half..].to_vec()],
        "Minority | majority",
    ));
    if n >= 5 {
        let third = n.div_ceil(3);
        let groups: Vec<Vec<NodeId>> = all.chunks(third).map(|c| c.to_vec()).collect();
        out.push(preset(groups, "Three groups"));
    }
    out.push(preset(
        all.iter().map(|x| vec![*x]).collect(),
        "Every node alone",
    ));
    out
}

/// The islands of the network: the servers grouped so that two servers share a group when a
/// path of links joins them on which neither direction is cut (a held link still joins: its
/// messages wait, they are not lost). Each group is sorted, groups come in the order of their
/// smallest member; one group means the network is whole. A one-way cut alone does not split
/// the network: the nodes still hear each other one way.
pub fn groups(snap: &Snapshot) -> Vec<Vec<NodeId>> {
    let n = snap.servers();
    // Union–find over server indexes.
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let down = |a: NodeId, b: NodeId| {
        snap.links
            .iter()
            .any(|l| l.from == a && l.to == b && l.state == LinkState::Down)
    };
    for a in 0..n {
        for b in (a + 1)..n {
            let (na, nb) = (NodeId::from_index(a), NodeId::from_index(b));
            if down(na, nb) && down(nb, na) {
                continue;
            }
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut out: Vec<Vec<NodeId>> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        match roots.iter().position(|x| *x == r) {
            Some(k) => out[k].push(NodeId::from_index(i)),
            None => {
                roots.push(r);
                out.push(vec![NodeId::from_index(i)]);
            }
        }
    }
    out
}

/// How an island is named on the graph: `3 of 5 · majority`, `2 of 5 · minority`.
pub fn island_label(size: usize, servers: usize) -> String {
    let side = if 2 * size > servers {
        "majority"
    } else if 2 * size == servers {
        "half"
    } else {
        "minority"
    };
    format!("{size} of {servers} · {side}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsplit_core::{build, Scenario};

    fn snap_after(n: usize, controls: &[Control]) -> Snapshot {
        let mut s = Scenario::new(netsplit_core::protocols::raft::ID, 1);
        s.cluster.nodes = n;
        let mut p = build(&s).unwrap();
        for c in controls {
            p.apply(c.clone()).unwrap();
        }
        p.snapshot()
    }

    #[test]
    fn islands_follow_two_way_cuts_only() {
        let ids = |v: &[usize]| v.iter().map(|i| NodeId::from_index(*i)).collect::<Vec<_>>();
        let whole = snap_after(5, &[]);
        assert_eq!(groups(&whole), vec![ids(&[0, 1, 2, 3, 4])]);
        let split = snap_after(
            5,
            &[Control::Partition {
                groups: vec![ids(&[2, 0]), ids(&[1, 3, 4])],
            }],
        );
        assert_eq!(groups(&split), vec![ids(&[0, 2]), ids(&[1, 3, 4])]);
        // One-way cuts and held links do not split; a partial partition (n4 reaches only n2)
        // is still one island.
        let one_way = snap_after(
            3,
            &[
                Control::CutOneWay {
                    from: NodeId(0),
                    to: NodeId(1),
                },
                Control::Cut {
                    a: NodeId(0),
                    b: NodeId(2),
                },
                Control::Hold {
                    from: NodeId(1),
                    to: NodeId(2),
                },
            ],
        );
        assert_eq!(groups(&one_way).len(), 1);
        let alone = snap_after(
            4,
            &[Control::Partition {
                groups: vec![ids(&[0]), ids(&[1]), ids(&[2])],
            }],
        );
        assert_eq!(groups(&alone).len(), 4);
        assert_eq!(island_label(3, 5), "3 of 5 · majority");
        assert_eq!(island_label(2, 5), "2 of 5 · minority");
        assert_eq!(island_label(2, 4), "2 of 4 · half");
    }

    fn preset_groups(p: &Preset) -> Vec<Vec<NodeId>> {
        match &p.control {
            Control::Partition { groups } => groups.clone(),
            other => panic!("not a partition: {other:?}"),
        }
    }

    #[test]
    fn presets_are_valid_partitions_of_the_cluster() {
        for n in 2..=9 {
            for leader in [None, Some(NodeId(1))] {
                for p in presets(n, leader) {
                    p.control.validate(n, 0, "preset").unwrap();
                    let count: usize = preset_groups(&p).iter().map(|g| g.len()).sum();
                    assert_eq!(count, n, "{}", p.label);
                }
            }
        }
        assert!(presets(1, None).is_empty());
    }

    #[test]
    fn leader_in_a_minority_keeps_it_a_minority() {
        let ps = presets(5, Some(NodeId(2)));
        let p = ps
            .iter()
            .find(|p| p.label.starts_with("Leader in"))
            .unwrap();
        let g = preset_groups(p);
        assert_eq!(g[0], vec![NodeId(2), NodeId(0)]);
        assert_eq!(g[1].len(), 3);
        assert_eq!(p.label, "Leader in a minority: {n3,n1} | {n2,n4,n5}");
    }
}
