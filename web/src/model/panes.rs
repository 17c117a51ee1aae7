//! Where things sit on the screen, as state: the side panel's tabs, presentation mode, the event
//! log's open/closed state. Pure data; the reducer changes it, `app.rs` and the components draw
//! it.

/// The side panel's tabs, in order. The Node tab (the inspector) exists for every protocol;
/// Clients and Settings are filled by the protocol's panel (with protocol-neutral parts of
/// their own); the last one is the protocol's own (its label comes from the panel).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tab {
    /// The selected node (the inspector).
    #[default]
    Node,
    /// The simulated clients: send commands, see what came back.
    Clients,
    /// The network and the protocol's settings.
    Settings,
    /// The protocol's own panel.
    Protocol,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 4] = [Tab::Node, Tab::Clients, Tab::Settings, Tab::Protocol];

    /// A stable name (element ids, `data-tab`).
    pub fn name(self) -> &'static str {
        match self {
            Tab::Node => "node",
            Tab::Clients => "clients",
            Tab::Settings => "settings",
            Tab::Protocol => "protocol",
        }
    }

    /// The tab a key pressed on tab `self` moves to (the ARIA tabs pattern: arrows wrap, Home
    /// and End go to the ends); `None`: not a tab key.
    pub fn after_key(self, key: &str) -> Option<Tab> {
        let i = Tab::ALL.iter().position(|t| *t == self).unwrap_or(0);
        let n = Tab::ALL.len();
        Some(match key {
            "ArrowRight" | "ArrowDown" => Tab::ALL[(i + 1) % n],
            "ArrowLeft" | "ArrowUp" => Tab::ALL[(i + n - 1) % n],
            "Home" => Tab::ALL[0],
            "End" => Tab::ALL[n - 1],
            _ => return None,
        })
    }
}

/// The page's arrangement (UI only; kept when the session changes, except the tab).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panes {
    /// The side panel's open tab (back to [`Tab::Node`] when the protocol changes).
    pub tab: Tab,
    /// Presentation mode: the graph and the explanations large, panels and the log folded away
    /// (for a projector).
    pub present: bool,
    /// The event log is open.
    pub log_open: bool,
}

impl Default for Panes {
    fn default() -> Self {
        Panes {
            tab: Tab::Node,
            present: false,
            log_open: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_keys_wrap_and_jump() {
        assert_eq!(Tab::Node.after_key("ArrowRight"), Some(Tab::Clients));
        assert_eq!(Tab::Node.after_key("ArrowLeft"), Some(Tab::Protocol));
        assert_eq!(Tab::Protocol.after_key("ArrowRight"), Some(Tab::Node));
        assert_eq!(Tab::Settings.after_key("Home"), Some(Tab::Node));
        assert_eq!(Tab::Clients.after_key("End"), Some(Tab::Protocol));
        assert_eq!(Tab::Clients.after_key("x"), None);
        let names: Vec<&str> = Tab::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names, ["node", "clients", "settings", "protocol"]);
        assert!(Panes::default().log_open && !Panes::default().present);
    }
}
