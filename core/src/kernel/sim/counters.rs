//! What happened, counted: coverage counters a chaos run reports.

use crate::kernel::net::DropReason;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counters of what happened, for coverage reports ("did the faults really happen?").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Events processed.
    pub events: u64,
    /// Message copies sent (including duplicates).
    pub sent: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Duplicate copies made by the network.
    pub duplicated: u64,
    /// Messages lost at random.
    pub dropped_lost: u64,
    /// Messages dropped because the link was down at send.
    pub dropped_link_down: u64,
    /// Messages dropped because their link was cut in flight.
    pub dropped_cut_in_flight: u64,
    /// Messages dropped because the receiver was crashed.
    pub dropped_receiver_crashed: u64,
    /// Messages dropped by the user.
    pub dropped_by_user: u64,
    /// Messages that waited (held link or paused receiver).
    pub waited: u64,
    /// Timers fired.
    pub timers_fired: u64,
    /// Crashes applied.
    pub crashes: u64,
    /// Restarts applied.
    pub restarts: u64,
    /// Pauses applied.
    pub pauses: u64,
    /// Partitions applied.
    pub partitions: u64,
    /// Links cut (both ways).
    pub link_cuts: u64,
    /// One-way cuts.
    pub one_way_cuts: u64,
    /// Links held.
    pub link_holds: u64,
    /// Heals (single link or all).
    pub heals: u64,
    /// Forced timeouts.
    pub forced_timeouts: u64,
    /// Client requests handled.
    pub requests: u64,
    /// Protocol-specific coverage counters ([`crate::kernel::node::Effect::Count`]), by name.
    pub protocol: BTreeMap<&'static str, u64>,
}

impl Counters {
    /// Every counter with its name, in a fixed order.
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("events", self.events),
            ("sent", self.sent),
            ("delivered", self.delivered),
            ("duplicated", self.duplicated),
            ("dropped_lost", self.dropped_lost),
            ("dropped_link_down", self.dropped_link_down),
            ("dropped_cut_in_flight", self.dropped_cut_in_flight),
            ("dropped_receiver_crashed", self.dropped_receiver_crashed),
            ("dropped_by_user", self.dropped_by_user),
            ("waited", self.waited),
            ("timers_fired", self.timers_fired),
            ("crashes", self.crashes),
            ("restarts", self.restarts),
            ("pauses", self.pauses),
            ("partitions", self.partitions),
            ("link_cuts", self.link_cuts),
            ("one_way_cuts", self.one_way_cuts),
            ("link_holds", self.link_holds),
            ("heals", self.heals),
            ("forced_timeouts", self.forced_timeouts),
            ("requests", self.requests),
        ]
        .into_iter()
        .chain(self.protocol.iter().map(|(k, v)| (*k, *v)))
        .collect()
    }

    /// The protocol coverage counter `name` (0 if it never moved).
    pub fn protocol(&self, name: &str) -> u64 {
        self.protocol.get(name).copied().unwrap_or(0)
    }

    pub(super) fn count_drop(&mut self, reason: DropReason) {
        match reason {
            DropReason::Lost => self.dropped_lost += 1,
            DropReason::LinkDown => self.dropped_link_down += 1,
            DropReason::LinkCutInFlight => self.dropped_cut_in_flight += 1,
            DropReason::ReceiverCrashed => self.dropped_receiver_crashed += 1,
            DropReason::DroppedByUser => self.dropped_by_user += 1,
        }
    }
}
