//! The reducer, natively: every action at least once, with what it changes and the effects
//! it asks the browser for.

use crate::model::action::{Action, DomEffect};
use crate::model::engine::{Engine, SPEED_STEPS};
use crate::model::explain::ExplainKind;
use crate::model::form::WHOLE_FORM;
use crate::model::keys::Command;
use crate::model::panes::Tab;
use crate::model::state::{default_protocol, parse_seed, State, DEFAULT_SEED, DROP_FADE_MS};
use crate::model::timebar::TimeAction;
use crate::panels::{atomic_commit, dynamo, panel_for, raft};
use netsplit_core::kernel::net::LinkState;
use netsplit_core::kernel::trace::Category;
use netsplit_core::kernel::view::NodeStatus;
use netsplit_core::protocols::atomic_commit::THREE_PC;
use netsplit_core::protocols::raft::{Raft, ReadMode, ID as RAFT};
use netsplit_core::run::registry::{Protocol as _, Registry};
use netsplit_core::{Control, NodeId, Time};

const BASE: &str = "https://example.test/play/";

fn page() -> State {
    State::start("", BASE)
}

/// Run about `ms` of virtual time at full speed.
fn advance(s: &mut State, ms: u64) {
    s.handle(Action::SpeedStep(SPEED_STEPS), 0.0);
    s.engine.set_playing(true);
    let until = s.engine.vt() + ms as f64;
    let mut wall = 0.0;
    while s.engine.vt() < until {
        // A narrated scenario pauses at its captions: run on through them.
        if !s.engine.playing() {
            s.engine.set_playing(true);
        }
        wall += 100.0;
        s.frame(100.0, wall);
    }
}

fn status(s: &State, i: usize) -> NodeStatus {
    s.snapshot.nodes[i].status
}

fn notice(s: &State) -> (String, bool) {
    let n = s.ui.notice.clone().expect("a notice");
    (n.text, n.error)
}

/// Type `value` into `field` of form `form`.
fn type_in(s: &mut State, form: &'static str, field: &str, value: &str) {
    let (field, value) = (field.to_string(), value.to_string());
    s.handle(
        Action::Field {
            form,
            field,
            value,
            choice: false,
        },
        0.0,
    );
}

fn leader_index(s: &State) -> usize {
    s.leader().expect("a leader").index()
}

#[test]
fn a_fresh_page_runs_the_registrys_default_protocol() {
    let s = page();
    let p = default_protocol();
    assert_eq!(s.ui.protocol, p.id());
    assert_eq!((s.ui.nodes, s.ui.seed), (p.servers().default, DEFAULT_SEED));
    assert_eq!(s.snapshot.servers(), p.servers().default);
    assert_eq!(
        s.snapshot.nodes.len() - s.snapshot.servers(),
        p.default_clients()
    );
    assert!(s.engine.playing());
    assert!(s.ui.notice.is_none());
    assert_eq!(s.base_url, BASE);
    assert!(!s.ui.forms.get(raft::forms::CLIENT).get("client").is_empty());
    assert_eq!(parse_seed(" 42 "), Ok(42));
    assert!(parse_seed("-1").unwrap_err().contains("whole number"));
    assert!(parse_seed("18446744073709551616").is_err());
}

#[test]
fn play_pause_step_and_speed() {
    let mut s = page();
    s.handle(Action::TogglePlay, 0.0);
    assert!(!s.engine.playing());
    s.handle(Action::TogglePlay, 0.0);
    assert!(s.engine.playing());
    let before = s.engine.playground().events();
    s.handle(Action::Step, 0.0);
    assert!(!s.engine.playing(), "a step pauses");
    assert_eq!(s.engine.playground().events(), before + 1);
    s.handle(Action::SpeedStep(0), 0.0);
    let slow = s.engine.speed();
    s.handle(Action::SpeedNudge(5), 0.0);
    assert!(s.engine.speed() > slow);
    s.handle(Action::SpeedNudge(1000), 0.0);
    s.handle(Action::SpeedNudge(1), 0.0);
    assert_eq!(s.engine.speed(), crate::model::engine::MAX_SPEED, "clamped");
}

#[test]
fn a_step_with_nothing_left_says_so() {
    let mut scenario = netsplit_core::Scenario::new(RAFT, 1);
    scenario.cluster.nodes = 1;
    let mut s = State::with_engine(Engine::new(&scenario, false).unwrap());
    s.handle(Action::Control(Control::Crash { node: NodeId(0) }), 0.0);
    s.handle(Action::Step, 0.0);
    assert_eq!(notice(&s), ("nothing left to happen".into(), false));
}

#[test]
fn time_actions_reach_the_engine() {
    let mut s = page();
    advance(&mut s, 1_000);
    s.handle(Action::Time(TimeAction::Seek(500)), 0.0);
    assert!(!s.engine.playing());
    assert_eq!(s.engine.playground().now(), Time(500));
    s.handle(Action::Time(TimeAction::Seek(0)), 0.0);
    s.handle(Action::Time(TimeAction::StepBack), 0.0);
    assert_eq!(notice(&s), ("already at the start".into(), true));
    s.handle(Action::Time(TimeAction::Switch(7)), 0.0);
    assert!(notice(&s).1);
}

#[test]
fn selection_and_the_escape_order_of_dialogs() {
    let mut s = page();
    s.handle(Action::Select(Some(2)), 0.0);
    assert_eq!(s.ui.selected, Some(2));
    s.handle(Action::Select(Some(99)), 0.0);
    assert_eq!(s.ui.selected, None, "no such node");
    s.handle(Action::Select(Some(2)), 0.0);
    s.handle(Action::ToggleHelp, 0.0);
    let fx = s.handle(Action::Share, 0.0);
    assert_eq!(fx.len(), 1);
    s.handle(Action::Export, 0.0);
    s.handle(Action::ShowImport, 0.0);
    let open = |s: &State| {
        (
            s.ui.export.is_some() || s.ui.import.is_some(),
            s.ui.share.is_some(),
            s.ui.help,
            s.ui.selected.is_some(),
        )
    };
    assert_eq!(open(&s), (true, true, true, true));
    s.handle(Action::Escape, 0.0);
    assert_eq!(open(&s), (false, true, true, true), "export/import first");
    s.handle(Action::Escape, 0.0);
    assert_eq!(
        open(&s),
        (false, false, true, true),
        "then the share dialog"
    );
    s.handle(Action::Escape, 0.0);
    assert_eq!(open(&s), (false, false, false, true), "then help");
    s.handle(Action::Escape, 0.0);
    assert_eq!(open(&s), (false, false, false, false), "then the selection");
    s.handle(Action::ToggleHelp, 0.0);
    s.handle(Action::ToggleHelp, 0.0);
    assert!(!s.ui.help);
    s.handle(Action::Legend(true), 0.0);
    s.handle(Action::SwitchProtocol(THREE_PC.id().into()), 0.0);
    assert!(s.ui.legend, "the legend stays open across sessions");
    s.handle(Action::Legend(false), 0.0);
    assert!(!s.ui.legend);
}

#[test]
fn shortcuts_act_on_the_selection() {
    let mut s = page();
    s.handle(Action::Key(Command::CrashOrRestart), 0.0);
    assert!(notice(&s).0.contains("select a node first"));
    s.handle(Action::Key(Command::Select(2)), 0.0);
    assert_eq!(s.ui.selected, Some(2));
    s.handle(Action::Key(Command::CrashOrRestart), 0.0);
    assert_eq!(status(&s, 2), NodeStatus::Crashed);
    s.handle(Action::Key(Command::Select(3)), 0.0);
    s.handle(Action::Key(Command::PauseOrResume), 0.0);
    assert_eq!(status(&s, 3), NodeStatus::Paused);
    s.handle(Action::Key(Command::TogglePlay), 0.0);
    assert!(!s.engine.playing());
    s.handle(Action::Key(Command::Step), 0.0);
    s.handle(Action::Key(Command::StepBack), 0.0);
    let step = || crate::model::engine::step_for_speed;
    let speed = step()(s.engine.speed());
    s.handle(Action::Key(Command::Faster), 0.0);
    assert_eq!(step()(s.engine.speed()), speed + 5);
    s.handle(Action::Key(Command::Slower), 0.0);
    assert_eq!(step()(s.engine.speed()), speed);
    s.handle(
        Action::Control(Control::Cut {
            a: NodeId(0),
            b: NodeId(1),
        }),
        0.0,
    );
    s.handle(Action::Key(Command::HealAll), 0.0);
    assert!(s.snapshot.links.is_empty());
    s.handle(Action::Key(Command::Help), 0.0);
    assert!(s.ui.help);
    s.handle(Action::Key(Command::Escape), 0.0);
    assert!(!s.ui.help);
    let fx = s.handle(Action::Key(Command::Share), 0.0);
    assert!(matches!(fx[..], [DomEffect::SetFragment(_)]));
    s.handle(Action::Key(Command::Timeout), 0.0);
    assert!(
        notice(&s).0.contains("n4"),
        "the selected node: {:?}",
        notice(&s)
    );
}

#[test]
fn servers_crash_restart_pause_and_resume_clients_do_not() {
    let mut s = page();
    s.handle(Action::CrashOrRestart(1), 0.0);
    assert_eq!(status(&s, 1), NodeStatus::Crashed);
    assert_eq!(notice(&s), ("applied: crash n2".into(), false));
    s.handle(Action::CrashOrRestart(1), 0.0);
    assert_eq!(status(&s, 1), NodeStatus::Up);
    s.handle(Action::PauseOrResume(4), 0.0);
    assert_eq!(status(&s, 4), NodeStatus::Paused);
    s.handle(Action::PauseOrResume(4), 0.0);
    assert_eq!(status(&s, 4), NodeStatus::Up);
    let client = s.snapshot.servers();
    assert!(s.snapshot.nodes[client].id.is_client());
    for action in [
        Action::CrashOrRestart(client),
        Action::PauseOrResume(client),
        Action::Timeout(client),
    ] {
        s.ui.notice = None;
        s.handle(action, 0.0);
        let (text, error) = notice(&s);
        assert!(error && text.starts_with("clients cannot"), "{text}");
    }
    assert_eq!(
        s.engine.marks().len(),
        4,
        "only the servers' actions were recorded"
    );
    // Out of range: nothing happens.
    s.handle(Action::CrashOrRestart(99), 0.0);
    assert_eq!(s.engine.marks().len(), 4);
}

#[test]
fn force_timeout_only_where_the_protocol_has_one() {
    let mut s = page();
    advance(&mut s, 2_000);
    let follower = (0..5).find(|i| *i != leader_index(&s)).unwrap();
    let before = s.engine.playground().trace_len();
    s.handle(Action::Timeout(follower), 0.0);
    assert!(!notice(&s).1, "{:?}", notice(&s));
    advance(&mut s, 1);
    // The follower heard the leader's last round, so (CheckQuorum's vote promise, thesis
    // §4.2.3 — what lease reads rest on) it postpones its campaign and says why.
    let pg = s.engine.playground();
    let said = (before..pg.trace_len())
        .filter_map(|i| pg.trace_line(i))
        .any(|l| l.text.contains("does not campaign yet"));
    assert!(
        said,
        "the forced timeout is postponed, and the trace says so"
    );
    let leader = leader_index(&s);
    s.handle(Action::Timeout(leader), 0.0);
    assert!(
        notice(&s).0.contains("no timeout to force"),
        "{:?}",
        notice(&s)
    );
    s.handle(
        Action::SwitchProtocol(dynamo::DynamoPanel.entries()[0].id().into()),
        0.0,
    );
    s.handle(Action::Timeout(0), 0.0);
    assert_eq!(
        notice(&s),
        ("Dynamo-style store has no timeout to force".into(), true)
    );
    assert!(s.engine.marks().is_empty());
}

use crate::panels::Panel as _;

#[test]
fn link_clicks_cut_cut_one_way_and_heal() {
    let mut s = page();
    // Click the link n1–n2 (shift: one way), then read both directions.
    let click = |s: &mut State, one_way: bool| {
        s.handle(
            Action::LinkClicked {
                a: 0,
                b: 1,
                one_way,
            },
            0.0,
        );
        let state = |from: usize, to: usize| {
            s.snapshot
                .links
                .iter()
                .find(|l| l.from == NodeId::from_index(from) && l.to == NodeId::from_index(to))
                .map_or(LinkState::Up, |l| l.state)
        };
        (state(0, 1), state(1, 0))
    };
    use LinkState::{Down, Up};
    assert_eq!(click(&mut s, false), (Down, Down));
    assert_eq!(
        click(&mut s, true),
        (Up, Up),
        "a click on a cut link heals it"
    );
    assert_eq!(click(&mut s, true), (Down, Up));
    assert_eq!(click(&mut s, false), (Up, Up));
    // With n2 selected, shift-click cuts the direction leaving it.
    s.handle(Action::Select(Some(1)), 0.0);
    assert_eq!(click(&mut s, true), (Up, Down));
}

#[test]
fn share_writes_a_link_to_this_moment_and_a_link_reopens_it() {
    let mut s = page();
    advance(&mut s, 1_500);
    s.handle(Action::CrashOrRestart(2), 0.0);
    advance(&mut s, 300);
    let fx = s.handle(Action::Share, 0.0);
    assert!(!s.engine.playing(), "sharing pauses");
    let link = s.ui.share.clone().expect("the dialog shows the link");
    let [DomEffect::SetFragment(fragment)] = &fx[..] else {
        panic!("one SetFragment effect: {fx:?}");
    };
    assert_eq!(link, format!("{BASE}#{fragment}"));
    let scenario = netsplit_core::run::link::decode(fragment).unwrap();
    let opened = Engine::open(&scenario).unwrap();
    assert_eq!(opened.fingerprint(), s.engine.fingerprint());
    // Our own fragment coming back through `hashchange` is not a new link.
    let at = s.engine.playground().now();
    s.handle(Action::OpenFragment(fragment.clone()), 0.0);
    assert_eq!(s.engine.playground().now(), at);
    assert_eq!(
        s.handle(Action::CopyShareLink, 0.0),
        [DomEffect::CopyToClipboard(link)]
    );
    s.handle(Action::CloseShare, 0.0);
    assert!(s.ui.share.is_none());
    assert!(s.handle(Action::CopyShareLink, 0.0).is_empty());
    // Another tab gets the link: same state, paused, log filters kept.
    let mut other = page();
    other.handle(Action::ToggleCategory(Category::Timer), 0.0);
    other.handle(Action::OpenFragment(fragment.clone()), 0.0);
    assert_eq!(other.engine.fingerprint(), s.engine.fingerprint());
    assert!(!other.engine.playing());
    assert!(notice(&other)
        .0
        .starts_with("opened a shared scenario at t="));
    assert!(other.ui.hidden.contains(&Category::Timer));
    assert_eq!(other.base_url, BASE);
    other.handle(Action::ToggleCategory(Category::Timer), 0.0);
    assert!(other.ui.hidden.is_empty());
    // A damaged link opens the default cluster and says why in full, in plain words, in a
    // banner (the status strip only says it failed); the session it replaced is kept.
    let before = other.engine.fingerprint();
    other.handle(Action::OpenFragment("s1.@@@".into()), 0.0);
    let (text, error) = notice(&other);
    assert!(
        error && text.starts_with("the link could not be opened"),
        "{text}"
    );
    let banner = other.ui.link_error.clone().expect("the reason in a banner");
    assert_eq!(
        banner,
        "This link cannot be opened: it is damaged (not valid base64); copy the whole link."
    );
    assert!(!banner.contains("(link)"), "no internal prefixes");
    assert_eq!(other.ui.protocol, default_protocol().id());
    assert_eq!(
        other.previous.len(),
        2,
        "the first page and the shared session"
    );
    other.handle(Action::Dismiss, 0.0);
    assert!(other.ui.link_error.is_none());
    other.handle(Action::GoBack(1), 0.0);
    assert_eq!(
        other.engine.fingerprint(),
        before,
        "the shared session is back"
    );
    let state = State::start("nonsense", BASE);
    assert!(notice(&state).1);
    assert_eq!(
        state.ui.link_error.as_deref(),
        Some("This link cannot be opened: it is not a netsplit scenario link.")
    );
    other.ui.notice = None;
    other.handle(Action::OpenFragment(String::new()), 0.0);
    assert!(other.ui.notice.is_none());
}

#[test]
fn export_offers_a_download_and_import_opens_good_text_and_explains_bad() {
    let mut s = page();
    advance(&mut s, 800);
    s.handle(Action::CrashOrRestart(3), 0.0);
    let fx = s.handle(Action::Export, 0.0);
    let json = s.ui.export.clone().expect("the export dialog");
    assert_eq!(fx, [DomEffect::OfferDownload { json: json.clone() }]);
    assert!(json.contains("\"type\": \"crash\""), "{json}");
    s.handle(Action::CloseDialogs, 0.0);
    assert!(s.ui.export.is_none());

    let mut other = page();
    other.handle(Action::ShowImport, 0.0);
    assert_eq!(other.ui.import, Some(None));
    other.handle(Action::ImportText("{ not json".into()), 0.0);
    let error = other.ui.import.clone().flatten().expect("an error");
    assert!(
        error.starts_with("Cannot open this scenario: it is not valid JSON"),
        "{error}"
    );
    other.handle(
        Action::ImportText(json.replace("\"nodes\": 5", "\"nodes\": 12")),
        0.0,
    );
    let error = other.ui.import.clone().flatten().unwrap();
    assert!(
        error.contains("cluster.nodes: must be between 1 and 9, got 12"),
        "{error}"
    );
    other.handle(Action::ImportFailed("too big".into()), 0.0);
    assert_eq!(other.ui.import, Some(Some("too big".into())));
    other.handle(Action::ImportText(json), 0.0);
    assert!(other.ui.import.is_none(), "the dialog closes");
    assert_eq!(other.engine.fingerprint(), s.engine.fingerprint());
    assert!(notice(&other).0.starts_with("imported"));
}

#[test]
fn the_gallery_opens_named_scenarios() {
    let mut s = page();
    let entry = &Registry::builtin().get(RAFT).unwrap().gallery()[0];
    s.handle(Action::OpenGallery(entry.id.into()), 0.0);
    assert_eq!(s.ui.scenario_name.as_deref(), Some(entry.title));
    let scenario = Registry::builtin().load_gallery(entry.id).unwrap();
    assert_eq!(notice(&s), (scenario.description, false));
    s.handle(Action::OpenGallery("no-such-scenario".into()), 0.0);
    assert!(notice(&s).1);
    assert_eq!(
        s.ui.scenario_name.as_deref(),
        Some(entry.title),
        "still running"
    );
}

#[test]
fn the_protocol_menu_reads_the_registry() {
    let mut s = page();
    s.handle(Action::Select(Some(1)), 0.0);
    for p in Registry::builtin().iter() {
        s.handle(Action::SwitchProtocol(p.id().into()), 0.0);
        assert_eq!(s.ui.protocol, p.id());
        assert_eq!(s.snapshot.protocol, p.id());
        assert_eq!(s.ui.nodes, p.servers().default);
        assert_eq!(s.ui.seed, DEFAULT_SEED, "the seed is kept");
        assert_eq!(s.ui.selected, None, "a fresh session");
        assert!(std::ptr::eq(s.look(), p.look()));
        let panel = panel_for(p.id());
        for (id, _) in panel.forms(s.engine.playground()) {
            assert!(s.ui.forms.get_mut(id).is_some(), "{}: form {id}", p.id());
        }
        assert!(
            !panel.lead_line(s.engine.playground()).is_empty(),
            "{}",
            p.id()
        );
    }
    // An old id opens under the new one.
    s.handle(
        Action::SwitchProtocol(netsplit_core::protocols::dynamo::ALIASES[0].into()),
        0.0,
    );
    assert_eq!(s.ui.protocol, netsplit_core::protocols::dynamo::ID);
    s.handle(Action::SwitchProtocol("paxos".into()), 0.0);
    assert!(notice(&s).1);
    assert_eq!(s.ui.protocol, netsplit_core::protocols::dynamo::ID);
}

#[test]
fn restart_with_nodes_and_seed_and_a_new_seed() {
    let mut s = page();
    s.handle(
        Action::Restart {
            protocol: RAFT.into(),
            nodes: 3,
            seed: 42,
        },
        0.0,
    );
    assert_eq!((s.ui.nodes, s.ui.seed, s.snapshot.servers()), (3, 42, 3));
    assert_eq!(
        notice(&s),
        ("started a 3-node cluster with seed 42".into(), false)
    );
    s.handle(
        Action::Restart {
            protocol: RAFT.into(),
            nodes: 20,
            seed: 1,
        },
        0.0,
    );
    assert_eq!(
        s.ui.nodes,
        Registry::builtin().get(RAFT).unwrap().servers().max
    );
    s.handle(
        Action::Restart {
            protocol: "paxos".into(),
            nodes: 3,
            seed: 1,
        },
        0.0,
    );
    assert!(notice(&s).1);
    s.handle(
        Action::Restart {
            protocol: THREE_PC.id().into(),
            nodes: 3,
            seed: 5,
        },
        0.0,
    );
    let (nodes, seed) = (s.ui.nodes, s.ui.seed);
    s.handle(Action::NewSeed, 1234.5);
    assert_eq!((s.ui.protocol, s.ui.nodes), (THREE_PC.id(), nodes));
    assert_ne!(s.ui.seed, seed);
    assert!(s.ui.seed < 1_000_000);
    s.handle(Action::Notice("seed must be a whole number".into()), 0.0);
    assert_eq!(notice(&s), ("seed must be a whole number".into(), true));
}

#[test]
fn the_client_form_keeps_its_text_shows_errors_by_field_and_submits() {
    let mut s = page();
    let form = raft::forms::CLIENT;
    let set = |s: &mut State, field: &str, value: &str| type_in(s, form, field, value);
    set(&mut s, "key", "");
    s.handle(Action::Submit(form), 0.0);
    assert_eq!(notice(&s), ("cannot send: the key is empty".into(), true));
    assert_eq!(s.ui.forms.get(form).error("key"), Some("the key is empty"));
    assert!(s.engine.marks().is_empty(), "nothing was sent");
    set(&mut s, "key", "x");
    assert_eq!(
        s.ui.forms.get(form).error("key"),
        None,
        "typing clears the error"
    );
    set(&mut s, "node", "n3");
    s.handle(Action::Submit(form), 0.0);
    assert_eq!(
        notice(&s),
        ("applied: c1 submits \"put x 1\" to n3".into(), false)
    );
    assert_eq!(s.engine.marks().len(), 1);
    assert_eq!(
        s.ui.forms.get(form).get("node"),
        "n3",
        "the form keeps its text"
    );
    // A field of a form that does not exist changes nothing.
    type_in(&mut s, "nope", "x", "1");
    s.handle(Action::Submit("nope"), 0.0);
    assert_eq!(s.ui.forms.get(WHOLE_FORM).get("x"), "");
    assert!(notice(&s).1);
}

#[test]
fn settings_replay_the_run_and_a_refused_one_says_why_at_its_field() {
    let mut s = page();
    advance(&mut s, 1_000);
    s.handle(Action::Select(Some(1)), 0.0);
    let form = raft::forms::SETTINGS;
    let set = |s: &mut State, field: &str, value: &str| {
        type_in(s, form, field, value);
        s.handle(Action::Submit(form), 0.0);
    };
    let config = |s: &State| {
        crate::panels::session::<Raft>(s.engine.playground())
            .unwrap()
            .sim()
            .config()
            .clone()
    };
    let at = s.engine.playground().now();
    set(&mut s, "pre_vote", "false");
    assert!(!config(&s).pre_vote);
    assert!(
        notice(&s).0.starts_with("replayed to t="),
        "{:?}",
        notice(&s)
    );
    assert_eq!(
        s.engine.playground().now(),
        at,
        "replayed to the same moment"
    );
    assert_eq!(s.ui.selected, Some(1), "the selection is kept");
    assert_eq!(s.ui.forms.get(form).get("pre_vote"), "false");
    set(&mut s, "check_quorum", "false");
    set(&mut s, "read_mode", "lease");
    let (text, error) = notice(&s);
    assert!(
        error && text.contains("lease reads need check_quorum"),
        "{text}"
    );
    let f = s.ui.forms.get(form);
    assert_eq!(
        f.get("read_mode"),
        "lease",
        "the choice stays, with the reason"
    );
    assert!(f
        .error("read_mode")
        .is_some_and(|e| e.contains("check_quorum")));
    assert_eq!(config(&s).read_mode, ReadMode::ReadIndex, "not applied");
    set(&mut s, "snapshot_every", "many");
    assert_eq!(
        s.ui.forms.get(form).get("snapshot_every"),
        "many",
        "kept to fix"
    );
    assert!(s.ui.forms.get(form).error("snapshot_every").is_some());
    assert_eq!(config(&s).snapshot_every, 32);
}

#[test]
fn a_computing_form_keeps_its_result() {
    let mut s = page();
    s.handle(
        Action::SwitchProtocol(netsplit_core::protocols::dynamo::ID.into()),
        0.0,
    );
    let form = dynamo::forms::CAP;
    type_in(&mut s, form, "seed", "x");
    s.handle(Action::Submit(form), 0.0);
    assert_eq!(
        s.ui.forms.get(form).error("seed"),
        Some("seed \"x\" must be a whole number")
    );
    type_in(&mut s, form, "seed", "3");
    s.handle(Action::Submit(form), 0.0);
    let table =
        s.ui.forms
            .get(form)
            .output::<netsplit_core::protocols::dynamo::compare::CompareTable>()
            .expect("the comparison");
    assert_eq!((table.options.seed, table.rows.len()), (3, 3));
}

#[test]
fn a_transaction_goes_to_the_coordinator() {
    let mut s = page();
    s.handle(Action::SwitchProtocol(THREE_PC.id().into()), 0.0);
    s.handle(Action::Submit(atomic_commit::forms::TXN), 0.0);
    assert_eq!(
        notice(&s),
        (
            "applied: c1 submits \"txn n2:x=1 n3:y=2\" to n1".into(),
            false
        )
    );
}

#[test]
fn jump_to_violation_pauses_selects_and_highlights() {
    let mut s = page();
    s.handle(Action::JumpToViolation, 0.0);
    assert!(s.ui.notice.is_none(), "no violation, nothing to jump to");
    let entry = &THREE_PC.gallery()[0];
    s.handle(Action::OpenGallery(entry.id.into()), 0.0);
    s.handle(Action::ToggleCategory(Category::Violation), 0.0);
    let until = Registry::builtin()
        .load_gallery(entry.id)
        .unwrap()
        .until
        .unwrap();
    advance(&mut s, until.0);
    let v = s
        .snapshot
        .violations
        .first()
        .cloned()
        .expect("3PC breaks under a partition");
    s.handle(Action::JumpToViolation, 0.0);
    assert!(!s.engine.playing());
    assert_eq!(
        s.ui.selected.map(|i| s.snapshot.nodes[i].id),
        v.node,
        "its node is selected"
    );
    assert!(
        !s.ui.hidden.contains(&Category::Violation),
        "violations shown again"
    );
    let line = s.ui.highlight.expect("its log line");
    assert!(s
        .log
        .iter()
        .any(|l| l.index == line && l.category == Category::Violation));
    assert!(notice(&s).0.starts_with("first violation at t="));
}

#[test]
fn frames_run_time_render_on_change_and_let_drops_fade() {
    let mut s = page();
    advance(&mut s, 1_000);
    s.rendered(0.0);
    let mut wall = 0.0;
    let mut renders = 0;
    for _ in 0..30 {
        wall += 16.0;
        renders += usize::from(s.frame(16.0, wall));
    }
    assert!(renders > 0 && renders < 30, "throttled: {renders}");
    let leader = s.leader().expect("a leader");
    let other = NodeId::from_index((leader.index() + 1) % 5);
    s.handle(
        Action::Control(Control::Cut {
            a: leader,
            b: other,
        }),
        wall,
    );
    let until = s.engine.vt() + 2_000.0;
    while s.drops.is_empty() && s.engine.vt() < until {
        wall += 16.0;
        s.frame(16.0, wall);
    }
    assert!(!s.drops.is_empty(), "a message died at the cut");
    s.frame(16.0, wall + DROP_FADE_MS + 1.0);
    assert!(s.drops.iter().all(|d| d.wall > wall));
}

#[test]
fn changing_protocol_nodes_seed_or_scenario_keeps_the_old_session_to_go_back_to() {
    let mut s = page();
    advance(&mut s, 1_200);
    s.handle(Action::CrashOrRestart(1), 0.0);
    advance(&mut s, 300);
    s.handle(Action::Key(Command::TogglePlay), 0.0);
    let (fp, marks) = (s.engine.fingerprint(), s.engine.marks().len());
    assert_eq!(marks, 1);
    // Each destructive change puts the session aside; the banner names it.
    s.handle(
        Action::SwitchProtocol(netsplit_core::protocols::dynamo::ID.into()),
        0.0,
    );
    assert_eq!(s.previous.len(), 1);
    let from = s.ui.switched_from.clone().expect("the banner");
    assert!(
        from.contains("1 action") && from.contains("seed 7"),
        "{from}"
    );
    assert!(s.engine.marks().is_empty());
    // Back (u): the very same state, marks and all; the dynamo session is kept in its turn.
    s.handle(Action::Key(Command::Back), 0.0);
    assert_eq!(s.ui.protocol, RAFT);
    assert_eq!(s.engine.fingerprint(), fp);
    assert_eq!(s.engine.marks().len(), 1);
    assert!(!s.engine.playing(), "put aside paused");
    assert_eq!(s.previous.len(), 1);
    assert_eq!(
        s.previous[0].state.ui.protocol,
        netsplit_core::protocols::dynamo::ID
    );
    // Nodes, seed, a new seed, the gallery: each one kept, at most KEEP_SESSIONS.
    type_in(&mut s, crate::model::setup::SEED, "seed", "99");
    s.handle(Action::Submit(crate::model::setup::SEED), 0.0);
    assert_eq!(s.ui.seed, 99);
    s.handle(
        Action::Restart {
            protocol: RAFT.into(),
            nodes: 3,
            seed: 99,
        },
        0.0,
    );
    s.handle(Action::NewSeed, 5.0);
    let entry = &Registry::builtin().get(RAFT).unwrap().gallery()[0];
    s.handle(Action::OpenGallery(entry.id.into()), 0.0);
    assert_eq!(s.previous.len(), crate::model::state::KEEP_SESSIONS);
    let labels: Vec<String> = s.previous.iter().map(|k| k.label.clone()).collect();
    assert!(labels.last().unwrap().contains("3 nodes"), "{labels:?}");
    // Preferences outlive sessions; the tab goes back to Node.
    s.handle(Action::Tab(Tab::Settings), 0.0);
    s.handle(Action::ToggleLog, 0.0);
    s.handle(Action::GoBack(0), 0.0);
    assert_eq!(s.ui.panes.tab, Tab::Node);
    assert!(!s.ui.panes.log_open);
    s.handle(Action::Dismiss, 0.0);
    assert!(s.ui.switched_from.is_none());
    s.handle(Action::GoBack(99), 0.0);
    assert!(notice(&s).1);
}

#[test]
fn a_bad_seed_is_refused_next_to_the_seed_box_and_changes_nothing() {
    let mut s = page();
    let form = crate::model::setup::SEED;
    assert_eq!(s.ui.forms.get(form).get("seed"), "7");
    type_in(&mut s, form, "seed", "12ab");
    s.handle(Action::Submit(form), 0.0);
    let why =
        s.ui.forms
            .get(form)
            .error("seed")
            .expect("an error at the field");
    assert!(why.contains("\"12ab\" is not a seed"), "{why}");
    assert_eq!(s.ui.forms.get(form).get("seed"), "12ab", "the text stays");
    assert_eq!(s.ui.seed, 7);
    assert!(s.previous.is_empty(), "nothing was restarted");
    let (text, error) = notice(&s);
    assert!(error && text.starts_with("cannot restart: "), "{text}");
}

#[test]
fn the_network_form_applies_a_recorded_action_or_names_the_bad_field() {
    let mut s = page();
    let form = crate::model::setup::NET;
    assert_eq!(s.ui.forms.get(form).get("latency_max_ms"), "60");
    type_in(&mut s, form, "loss", "lots");
    s.handle(Action::Submit(form), 0.0);
    assert!(s.ui.forms.get(form).error("loss").is_some());
    assert!(s.engine.marks().is_empty());
    type_in(&mut s, form, "loss", "20");
    s.handle(Action::Submit(form), 0.0);
    assert_eq!(s.engine.marks().len(), 1);
    let net =
        crate::model::setup::current_net(&s.ui.net0, s.engine.marks(), s.engine.playground().now());
    assert!((net.loss - 0.2).abs() < 1e-12);
    assert!(!s.ui.forms.get(form).has_errors());
}

#[test]
fn tabs_presentation_and_the_log_are_page_state() {
    let mut s = page();
    assert_eq!(s.ui.panes.tab, Tab::Node);
    s.handle(Action::Tab(Tab::Clients), 0.0);
    assert_eq!(s.ui.panes.tab, Tab::Clients);
    // Choosing a node shows it.
    s.handle(Action::Key(Command::Select(2)), 0.0);
    assert_eq!((s.ui.panes.tab, s.ui.selected), (Tab::Node, Some(2)));
    s.handle(Action::Key(Command::Present), 0.0);
    assert!(s.ui.panes.present);
    s.handle(Action::Tab(Tab::Protocol), 0.0);
    // A protocol switch keeps presentation mode, goes back to the Node tab.
    s.handle(Action::SwitchProtocol(THREE_PC.id().into()), 0.0);
    assert!(s.ui.panes.present);
    assert_eq!(s.ui.panes.tab, Tab::Node);
    s.handle(Action::TogglePresent, 0.0);
    assert!(!s.ui.panes.present);
    s.handle(
        Action::Analysis(crate::model::analysis::AnalysisAction::SetOpen(true)),
        0.0,
    );
    assert!(s.analysis.open);
    s.handle(Action::SwitchProtocol(RAFT.into()), 0.0);
    assert!(s.analysis.open, "the region's state outlives sessions");
}

#[test]
fn the_default_page_explains_its_split_vote_and_its_first_leader() {
    let mut s = page();
    advance(&mut s, 1_000);
    let kinds: Vec<ExplainKind> = s.explanations.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [ExplainKind::Won, ExplainKind::SplitVote],
        "{:?}",
        s.explanations
    );
    assert!(s.explanations[0].text.contains("expired first"));
    // Seeking back before the split vote forgets both; seeking forward finds them again,
    // and the screen is unchanged by the lookups.
    s.handle(Action::Time(TimeAction::Seek(400)), 0.0);
    assert!(s.explanations.is_empty(), "{:?}", s.explanations);
    let fp = s.engine.fingerprint();
    s.handle(Action::Time(TimeAction::Seek(900)), 0.0);
    assert_eq!(s.explanations.len(), 2);
    s.handle(Action::Time(TimeAction::Seek(400)), 0.0);
    assert_eq!(s.engine.fingerprint(), fp);
}

#[test]
fn pbft_faults_are_picked_per_replica_recorded_in_the_scenario_and_drawn_by_label() {
    use crate::components::graph::{badge_head, node_label};
    use crate::panels::pbft::forms as pbft_forms;
    use netsplit_core::protocols::pbft::PROTOCOL as PBFT;
    let mut s = page();
    s.handle(Action::SwitchProtocol(PBFT.id().into()), 0.0);
    assert_eq!(s.snapshot.servers(), 4);
    // More than f = 1 faulty replicas are refused with the reason.
    type_in(&mut s, pbft_forms::FAULTS, "n1", "equivocate");
    type_in(&mut s, pbft_forms::FAULTS, "n2", "silent");
    s.handle(Action::Submit(pbft_forms::FAULTS), 0.0);
    let (text, error) = notice(&s);
    assert!(error && text.contains("at most f = 1"), "{text}");
    assert!(s.engine.share().config.get("byzantine").is_none());
    // One is fine: the run replays with it, and the scenario records it.
    type_in(&mut s, pbft_forms::FAULTS, "n2", pbft_forms::CORRECT);
    s.handle(Action::Submit(pbft_forms::FAULTS), 0.0);
    assert!(!notice(&s).1, "{:?}", notice(&s));
    assert_eq!(
        s.engine.share().config["byzantine"],
        serde_json::json!({ "n1": "equivocate" })
    );
    let n1 = &s.snapshot.nodes[0];
    assert_eq!(n1.view.role.name, "byzantine-primary");
    assert_eq!(
        badge_head(n1.view.badge.as_deref().unwrap()),
        "☠ equivocate"
    );
    let label = node_label(n1, s.look().epoch);
    assert!(label.ends_with(", ☠ equivocate"), "{label}");
    assert!(
        label.contains(", view 0,"),
        "PBFT's word for its term: {label}"
    );
    // The client form sends a write through a backup.
    type_in(&mut s, pbft_forms::CLIENT, "node", "n2");
    s.handle(Action::Submit(pbft_forms::CLIENT), 0.0);
    assert_eq!(
        notice(&s),
        ("applied: c1 submits \"put x 1\" to n2".into(), false)
    );
    // Another protocol's badge keeps its sign.
    assert_eq!(badge_head("blocked: in doubt about t3"), "blocked");
}
