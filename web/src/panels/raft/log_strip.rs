//! A Raft server's log as a strip of cells, from its typed state: committed cells solid,
//! uncommitted ones dashed and hatched (never hue alone), each with its term and command; the
//! snapshot boundary before them; on a leader, where each follower stands.

use crate::panels::ServerState;
use netsplit_core::checkers::linearizability::Op;
use netsplit_core::kernel::node::Server as _;
use netsplit_core::kernel::view::LogView;
use netsplit_core::protocols::raft::{Command, Entry, Raft};
use netsplit_core::NodeId;
use yew::prelude::*;

/// One drawn entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Log index.
    pub index: u64,
    /// Term that created it.
    pub term: u64,
    /// A few characters for the cell (`x=1`, `get x`, `·` for a no-op).
    pub short: String,
    /// The whole command.
    pub command: String,
}

/// A leader's view of one follower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Follower {
    /// The follower.
    pub node: NodeId,
    /// nextIndex.
    pub next: u64,
    /// matchIndex.
    pub matched: u64,
}

/// Everything the strip shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strip {
    /// The last entries, oldest first.
    pub cells: Vec<Cell>,
    /// Entries before the first cell that are not drawn (beyond the snapshot).
    pub earlier: u64,
    /// Index of the last entry.
    pub last: u64,
    /// What the node knows to be committed (`None`: lost in a crash).
    pub commit: Option<u64>,
    /// What it applied (`None`: lost in a crash).
    pub applied: Option<u64>,
    /// Everything up to here is in the snapshot.
    pub snapshot: u64,
    /// Leaders only: where each follower stands.
    pub followers: Vec<Follower>,
}

/// A few characters for a command's cell.
pub fn short(command: &Command) -> String {
    match command {
        Command::Noop => "·".to_string(),
        Command::Client { op, .. } => match op {
            Op::Put { key, value } => format!("{key}={value}"),
            Op::Get { key } => format!("get {key}"),
            Op::Cas { key, .. } => format!("cas {key}"),
            Op::Delete { key } => format!("del {key}"),
        },
    }
}

fn cells(log: &[Entry], first: u64) -> (Vec<Cell>, u64) {
    let skip = log.len().saturating_sub(LogView::TAIL);
    let cells = log
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, e)| Cell {
            index: first + i as u64,
            term: e.term,
            short: short(&e.command),
            command: e.command.to_string(),
        })
        .collect();
    (cells, skip as u64)
}

/// The strip of server `id`.
pub fn strip(id: NodeId, server: &ServerState<'_, Raft>) -> Strip {
    match server {
        ServerState::Live(s) => {
            let first = s.snapshot_index() + 1;
            let (cells, earlier) = cells(s.log(), first);
            let followers = if s.role().leads {
                s.next_indexes()
                    .iter()
                    .zip(s.match_indexes())
                    .enumerate()
                    .filter(|(i, _)| *i != id.index())
                    .map(|(i, (next, matched))| Follower {
                        node: NodeId::from_index(i),
                        next: *next,
                        matched: *matched,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Strip {
                cells,
                earlier,
                last: s.last_index(),
                commit: Some(s.commit_index()),
                applied: Some(s.last_applied()),
                snapshot: s.snapshot_index(),
                followers,
            }
        }
        ServerState::Crashed(d) => {
            let (cells, earlier) = cells(&d.log, d.first_index());
            Strip {
                cells,
                earlier,
                last: d.last_log_index(),
                commit: None,
                applied: None,
                snapshot: d.snapshot.last_index,
                followers: Vec::new(),
            }
        }
    }
}

impl Strip {
    /// Whether entry `index` is known to be committed (everything in the snapshot is).
    pub fn committed(&self, index: u64) -> bool {
        index <= self.commit.unwrap_or(self.snapshot)
    }

    /// The strip, drawn.
    pub fn view(&self) -> Html {
        let cells: Html = self
            .cells
            .iter()
            .map(|c| {
                let committed = self.committed(c.index);
                let title = format!(
                    "index {} · term {} · {} · {}",
                    c.index,
                    c.term,
                    c.command,
                    if committed { "committed" } else { "not committed" }
                );
                let here: Vec<String> = self
                    .followers
                    .iter()
                    .filter(|f| f.matched == c.index)
                    .map(|f| f.node.to_string())
                    .collect();
                html! {
                    <li key={c.index} class={classes!("cell", if committed { "committed" } else { "uncommitted" })}
                        title={title.clone()} aria-label={title}>
                        <span class="t">{c.term}</span>
                        <span class="c">{c.short.clone()}</span>
                        if !here.is_empty() {
                            <span class="m" aria-hidden="true">{format!("▲{}", here.join(","))}</span>
                        }
                    </li>
                }
            })
            .collect();
        let followers: Html = self
            .followers
            .iter()
            .map(|f| {
                html! {
                    <li>
                        <span class="peer">{f.node.to_string()}</span>
                        <progress class="bar" max={self.last.max(1).to_string()} value={f.matched.to_string()}
                            aria-label={format!("{} holds {} of {} entries", f.node, f.matched, self.last)}></progress>
                        <span class="mono">{format!("match {} · next {}", f.matched, f.next)}</span>
                    </li>
                }
            })
            .collect();
        let known = |v: Option<u64>| v.map_or_else(|| "lost".to_string(), |v| v.to_string());
        html! {
            <div class="log-view">
                <ol class="log-strip" aria-label="Log tail">
                    if self.snapshot > 0 {
                        <li class="cell snapshot" title={format!("entries 1–{} are folded into a snapshot", self.snapshot)}
                            aria-label={format!("snapshot of entries 1 to {}", self.snapshot)}>
                            <span class="t">{"snap"}</span><span class="c">{format!("≤{}", self.snapshot)}</span>
                        </li>
                    }
                    if self.earlier > 0 {
                        <li class="cell more" aria-label={format!("{} earlier entries", self.earlier)}>{format!("+{}", self.earlier)}</li>
                    }
                    {cells}
                </ol>
                <p class="muted">
                    {format!("last {} · commitIndex {} · applied {} · solid = committed, dashed = not yet · ▲ = a follower's matchIndex",
                        self.last, known(self.commit), known(self.applied))}
                </p>
                if !self.followers.is_empty() {
                    <ul class="followers" aria-label="Where each follower stands">{followers}</ul>
                }
            </div>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panels::{server, session};
    use netsplit_core::protocols::raft::ID;
    use netsplit_core::{build, Control, Scenario, Time};

    #[test]
    fn a_leaders_strip_shows_commits_and_followers_and_a_crashed_one_only_its_disk() {
        let mut pg = build(&Scenario::new(ID, 7)).unwrap();
        pg.run_until(Time(2_000), u64::MAX);
        let s = session::<Raft>(pg.as_ref()).unwrap();
        let leader = (0..5)
            .map(NodeId::from_index)
            .find(|id| s.sim().server(*id).is_some_and(|r| r.role().leads))
            .expect("a leader by t=2000");
        let st = strip(leader, &server(s, leader).unwrap());
        assert_eq!(st.followers.len(), 4);
        assert!(st.followers.iter().all(|f| f.node != leader));
        assert_eq!(
            st.cells.last().map(|c| c.short.as_str()),
            Some("·"),
            "a leader's no-op"
        );
        assert!(st.committed(st.last));
        pg.apply(Control::Crash { node: leader }).unwrap();
        let s = session::<Raft>(pg.as_ref()).unwrap();
        let crashed = strip(leader, &server(s, leader).unwrap());
        assert_eq!((crashed.commit, crashed.followers.len()), (None, 0));
        assert_eq!(crashed.last, st.last, "the log is durable");
        assert!(!crashed.committed(crashed.last) || crashed.snapshot >= crashed.last);
    }

    #[test]
    fn cells_read_as_commands() {
        let put = Command::Client {
            client: NodeId::client(0),
            seq: 1,
            op: Op::Put {
                key: "x".into(),
                value: "1".into(),
            },
        };
        assert_eq!(short(&put), "x=1");
        assert_eq!(short(&Command::Noop), "·");
        let del = Command::Client {
            client: NodeId::client(0),
            seq: 2,
            op: Op::Delete { key: "k".into() },
        };
        assert_eq!(short(&del), "del k");
    }
}
