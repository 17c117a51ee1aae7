//! The tour player and the caption editor, natively: a gallery tour played with Prev / Next /
//! Replay, handed to the sandbox and back, captions authored, exported, shared and reopened.

use crate::model::action::{Action, DomEffect};
use crate::model::keys::Command;
use crate::model::state::State;
use crate::model::touring::{TourAction, NEW_CAPTION};
use netsplit_core::Scenario;

const BASE: &str = "https://example.test/play/";
const TOUR: &str = "raft-leader-crash";

fn tour(s: &mut State, a: TourAction) {
    s.handle(Action::Tour(a), 0.0);
}

fn opened() -> State {
    let mut s = State::start("", BASE);
    s.handle(Action::OpenGallery(TOUR.into()), 0.0);
    assert!(
        s.tour.is_some(),
        "a narrated gallery scenario opens as a tour"
    );
    s
}

/// Play at full speed until the engine pauses by itself (or `limit` frames).
fn play_to_stop(s: &mut State, limit: usize) {
    s.handle(Action::SpeedStep(crate::model::engine::SPEED_STEPS), 0.0);
    s.engine.set_playing(true);
    let mut wall = 0.0;
    for _ in 0..limit {
        if !s.engine.playing() {
            return;
        }
        wall += 100.0;
        s.frame(100.0, wall);
    }
}

#[test]
fn a_tour_steps_with_prev_next_and_replay() {
    let mut s = opened();
    let n = s.tour.as_ref().unwrap().nav.len();
    assert!(n >= 4);
    let report = s.tour.as_ref().unwrap().report.clone().unwrap();
    assert!(report.all_met(), "{:?}", report.failures());
    tour(&mut s, TourAction::Next);
    let t = s.tour.as_ref().unwrap();
    let k = t.nav.current().unwrap();
    let at = t.nav.time(k).unwrap();
    assert_eq!(
        s.engine.playground().now().0,
        at,
        "Next seeks to the step's moment"
    );
    assert!(!s.engine.playing());
    let step = t.step().unwrap();
    assert!(!step.spans.is_empty());
    assert!(step.checks.iter().all(|c| c.met && !c.reason.is_empty()));
    tour(&mut s, TourAction::Next);
    tour(&mut s, TourAction::Prev);
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(k));
    // ← → step too.
    s.handle(Action::Key(Command::TourNext), 0.0);
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(k + 1));
    s.handle(Action::Key(Command::TourPrev), 0.0);
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(k));
    // Replay: back to the step before, then play to this step's moment and pause there.
    tour(&mut s, TourAction::Next);
    let t = s.tour.as_ref().unwrap();
    let (k2, at2) = (
        t.nav.current().unwrap(),
        t.nav.time(t.nav.current().unwrap()).unwrap(),
    );
    tour(&mut s, TourAction::Replay);
    assert!(s.engine.playing());
    assert!(s.engine.playground().now().0 < at2);
    play_to_stop(&mut s, 10_000);
    assert_eq!(s.engine.playground().now().0, at2);
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(k2));
    // Without a tour the arrows say nothing.
    tour(&mut s, TourAction::Close);
    assert!(s.tour.is_none());
    s.ui.notice = None;
    s.handle(Action::Key(Command::TourNext), 0.0);
    assert!(s.ui.notice.is_none());
}

#[test]
fn playing_a_tour_pauses_at_pausing_captions_and_the_last() {
    let mut s = opened();
    let last = {
        let t = s.tour.as_ref().unwrap();
        (0..t.nav.len())
            .filter_map(|k| t.nav.time(k))
            .max()
            .unwrap()
    };
    for _ in 0..20 {
        play_to_stop(&mut s, 10_000);
        if s.engine.playground().now().0 >= last {
            break;
        }
    }
    assert_eq!(
        s.engine.playground().now().0,
        last,
        "stops at its last caption"
    );
    let t = s.tour.as_ref().unwrap();
    assert_eq!(t.nav.current(), Some(t.nav.len() - 1));
}

#[test]
fn try_it_hands_over_to_the_sandbox_and_back_returns_to_the_step() {
    let mut s = opened();
    tour(&mut s, TourAction::Next);
    tour(&mut s, TourAction::Next);
    let k = s.tour.as_ref().unwrap().nav.current();
    let now = s.engine.playground().now();
    let fingerprint = s.engine.fingerprint();
    tour(&mut s, TourAction::TryIt);
    assert!(s.tour.is_none(), "the sandbox is no tour");
    assert_eq!(s.engine.playground().now(), now, "same moment");
    assert_eq!(s.engine.fingerprint(), fingerprint, "same state");
    assert!(s.previous.last().unwrap().label.starts_with("tour "));
    assert!(
        s.ui.notice
            .as_ref()
            .unwrap()
            .text
            .starts_with(&format!("your sandbox, from step {} of ", k.unwrap() + 1)),
        "{:?}",
        s.ui.notice
    );
    // Every control works there.
    s.handle(Action::Select(Some(0)), 0.0);
    s.handle(Action::Key(Command::CrashOrRestart), 0.0);
    assert_ne!(s.engine.fingerprint(), fingerprint);
    s.handle(Action::Key(Command::Back), 0.0);
    let t = s.tour.as_ref().expect("back in the tour");
    assert_eq!(t.nav.current(), k);
    assert_eq!(s.engine.playground().now(), now);
    assert_eq!(s.engine.fingerprint(), fingerprint);
}

#[test]
fn authored_captions_travel_with_export_and_links() {
    let mut s = State::start("", BASE);
    s.handle(
        Action::Time(crate::model::timebar::TimeAction::Seek(0)),
        0.0,
    );
    tour(&mut s, TourAction::Write);
    assert!(s.tour.as_ref().unwrap().editing);
    s.engine.seek_to(700);
    tour(&mut s, TourAction::Add);
    tour(
        &mut s,
        TourAction::Text {
            index: 0,
            text: "A *leader* is elected.".into(),
        },
    );
    s.engine.seek_to(300);
    tour(&mut s, TourAction::Add);
    let t = s.tour.as_ref().unwrap();
    assert_eq!(t.captions.len(), 2);
    assert_eq!(t.captions[0].text, NEW_CAPTION, "inserted in time order");
    assert_eq!(t.captions[1].text, "A *leader* is elected.");
    tour(&mut s, TourAction::MoveDown(0));
    let t = s.tour.as_ref().unwrap();
    assert_eq!(
        t.captions[0].text, "A *leader* is elected.",
        "texts trade moments"
    );
    assert_eq!(t.captions[0].at.unwrap().0, 300);
    tour(
        &mut s,
        TourAction::Text {
            index: 1,
            text: "Then **nothing** happens.".into(),
        },
    );
    // An empty caption is refused for export, with the reason.
    tour(
        &mut s,
        TourAction::Text {
            index: 1,
            text: "  ".into(),
        },
    );
    assert!(s
        .tour
        .as_ref()
        .unwrap()
        .problem
        .as_deref()
        .unwrap()
        .contains("captions[1].text"));
    s.handle(Action::Export, 0.0);
    assert!(s.ui.export.is_none());
    assert!(s
        .ui
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("fix the captions first"));
    tour(
        &mut s,
        TourAction::Text {
            index: 1,
            text: "Then **nothing** happens.".into(),
        },
    );
    // Export → import.
    let effects = s.handle(Action::Export, 0.0);
    let json = s.ui.export.clone().unwrap();
    assert!(matches!(&effects[0], DomEffect::OfferDownload { .. }));
    let doc = Scenario::from_json(&json).unwrap();
    assert_eq!(doc.captions.len(), 2);
    let mut other = State::start("", BASE);
    other.handle(Action::ImportText(json), 0.0);
    let t = other
        .tour
        .as_ref()
        .expect("an imported narrated scenario is a tour");
    assert_eq!(t.captions[1].text, "Then **nothing** happens.");
    assert_eq!(t.nav.len(), 2);
    assert!(t.nav.time(1).is_some(), "both fire in the re-run");
    // Share link → open.
    s.handle(Action::Share, 0.0);
    let link = s.ui.share.clone().unwrap();
    let fragment = link.split_once('#').unwrap().1;
    let opened = State::start(fragment, BASE);
    let t = opened
        .tour
        .as_ref()
        .expect("a tour opened from a link plays as a tour");
    assert_eq!(t.captions[0].text, "A *leader* is elected.");
    // Delete.
    tour(&mut s, TourAction::Delete(0));
    assert_eq!(s.tour.as_ref().unwrap().captions.len(), 1);
}

/// A tour whose captions fire "after" the first and the second heartbeat delivery of one
/// instant: with one fixed latency, a leader's heartbeats to its four followers all
/// arrive at the same millisecond, so the two captions share a virtual time and differ only
/// in the step they fired at.
const SAME_INSTANT: &str = r#"{
  "format": "netsplit-scenario", "version": 2, "name": "one instant, two captions",
  "protocol": "raft", "seed": 3,
  "cluster": { "nodes": 5, "net": { "latency_min_ms": 30, "latency_max_ms": 30 } },
  "captions": [
    { "at": 100, "text": "Before any leader." },
    { "after": { "event": "deliver", "kind": "Heartbeat" },
      "text": "The first heartbeat lands.", "pause": true },
    { "after": { "event": "deliver", "kind": "Heartbeat" },
      "text": "The second lands at the same millisecond." }
  ]
}"#;

/// The engine's exact state: time and step count.
fn moment(s: &State) -> (u64, u64) {
    let pg = s.engine.playground();
    (pg.now().0, pg.steps())
}

#[test]
fn prev_next_and_replay_seek_to_the_exact_step_a_caption_fired_at() {
    let mut s = State::start("", BASE);
    s.handle(Action::ImportText(SAME_INSTANT.into()), 0.0);
    let report = s.tour.as_ref().expect("a tour").report.clone().unwrap();
    assert!(report.all_met(), "{:?}", report.failures());
    let fired: Vec<(u64, u64)> = report
        .steps
        .iter()
        .map(|r| (r.fired_at.unwrap().0, r.fired_step.unwrap()))
        .collect();
    let (first, second) = (fired[1], fired[2]);
    assert_eq!(first.0, second.0, "the two captions share one virtual time");
    assert!(first.1 < second.1, "…and fired at different steps");
    // The instant holds more than these two steps: seeking by time lands after all of them.
    s.engine.seek_to(first.0);
    let end_of_instant = moment(&s).1;
    assert!(
        end_of_instant > second.1,
        "more deliveries follow in the same instant ({end_of_instant} steps at its end)"
    );

    tour(&mut s, TourAction::Prev);
    tour(&mut s, TourAction::Prev);
    tour(&mut s, TourAction::Prev);
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(0));
    assert_eq!(moment(&s), fired[0]);
    tour(&mut s, TourAction::Next);
    assert_eq!(
        moment(&s),
        first,
        "Next: exactly the step of the first delivery"
    );
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(1));
    tour(&mut s, TourAction::Next);
    assert_eq!(moment(&s), second, "Next: exactly the step of the second");
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(2));
    tour(&mut s, TourAction::Prev);
    assert_eq!(moment(&s), first, "Prev within the instant");
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(1));

    // Replay the second: from the first's exact state, playing, pausing at the second's.
    tour(&mut s, TourAction::Next);
    tour(&mut s, TourAction::Replay);
    assert!(s.engine.playing());
    assert_eq!(moment(&s), first);
    play_to_stop(&mut s, 10_000);
    assert_eq!(moment(&s), second, "Replay pauses at the exact step");
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(2));

    // Played from the start, the pausing caption stops the run at its exact step too.
    tour(&mut s, TourAction::Prev);
    tour(&mut s, TourAction::Prev);
    assert_eq!(moment(&s), fired[0]);
    play_to_stop(&mut s, 10_000);
    assert_eq!(
        moment(&s),
        first,
        "playing pauses mid-instant at a pausing caption"
    );
    assert_eq!(s.tour.as_ref().unwrap().nav.current(), Some(1));
}

#[test]
fn the_claims_summary_agrees_in_number() {
    use crate::model::touring::claims_summary;
    assert_eq!(claims_summary(1, 1), "the claim holds");
    assert_eq!(claims_summary(0, 1), "the claim does not hold");
    assert_eq!(claims_summary(3, 3), "all 3 claims hold");
    assert_eq!(claims_summary(1, 2), "1 of 2 claims holds");
    assert_eq!(claims_summary(0, 2), "0 of 2 claims hold");
    assert_eq!(claims_summary(2, 5), "2 of 5 claims hold");
}

#[test]
fn counts_agree_in_number() {
    use crate::model::count;
    assert_eq!(count(1, "violation"), "1 violation");
    assert_eq!(count(2, "violation"), "2 violations");
    assert_eq!(count(0, "check"), "0 checks");
}
