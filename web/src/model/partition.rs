//! "Split the network" presets, computed from the cluster size and the current leader.

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

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(p: &Preset) -> Vec<Vec<NodeId>> {
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
                    let count: usize = groups(&p).iter().map(|g| g.len()).sum();
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
        let g = groups(p);
        assert_eq!(g[0], vec![NodeId(2), NodeId(0)]);
        assert_eq!(g[1].len(), 3);
        assert_eq!(p.label, "Leader in a minority: {n3,n1} | {n2,n4,n5}");
    }
}
