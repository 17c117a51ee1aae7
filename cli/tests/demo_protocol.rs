//! Adding a protocol through the registry alone: a two-server ping-pong, written here in full,
//! registered next to the built-in protocols, then run by `netsplit run` and attacked by
//! `netsplit chaos` — without touching any other file. `docs/adding-a-protocol.md` walks
//! through this file.
//!
//! The protocol: every server pings the next one every `every_ms`; a server answers a ping with
//! a pong carrying the same number. A client command `ping nK` makes a client ask server `nK`
//! for a pong. The one safety property: nobody receives a pong for a ping it never sent.
#![cfg(not(target_arch = "wasm32"))]

use netsplit_cli::{main_with, output};
use netsplit_core::kernel::check::{Checker, CheckerInfo, Finding};
use netsplit_core::kernel::config::ConfigError;
use netsplit_core::kernel::harness::{sends, Harness};
use netsplit_core::kernel::node::{Actor, Client, ClientId, Ctx, Message, Model, Server};
use netsplit_core::kernel::sim::Simulator;
use netsplit_core::kernel::view::{Field, NodeView, Outline, Role};
use netsplit_core::run::chaos::{run_seed, ChaosOptions, ChaosProtocol, SeedReport, Workload};
use netsplit_core::run::gallery::GalleryEntry;
use netsplit_core::run::playground::Playground;
use netsplit_core::run::registry::{
    build_session, checkers_of, Look, MsgColor, MsgLook, MsgShape, MutantInfo, Protocol, Registry,
    ServerRange,
};
use netsplit_core::{Control, NodeId, Scenario, Time};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::process::ExitCode;

// ----- 1. The model: messages, timers, requests, replies, configuration ----------------------

/// The id, declared once (the literal check allows it only in the protocol's own module).
const ID: &str = "ping-pong";

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Msg {
    Ping(u64),
    Pong(u64),
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Ping(n) => write!(f, "ping #{n}"),
            Msg::Pong(n) => write!(f, "pong #{n}"),
        }
    }
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Ping(_) => "Ping",
            Msg::Pong(_) => "Pong",
        }
    }
    fn is_reply(&self) -> bool {
        matches!(self, Msg::Pong(_))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Tick,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tick")
    }
}

/// A client command: ping this server.
#[derive(Clone, Debug)]
struct Request(NodeId);

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ping {}", self.0)
    }
}

/// What a client reports: the pong came back.
#[derive(Clone, Debug)]
struct Reply(u64);

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pong #{}", self.0)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Config {
    every_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config { every_ms: 100 }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct PingPong;

impl Model for PingPong {
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Reply = Reply;
    type Config = Config;
    type Server = PingServer;
    type Client = PingClient;
    type Checker = PongChecker;

    fn validate_config(config: &Config, path: &str) -> Result<(), ConfigError> {
        if (1..=60_000).contains(&config.every_ms) {
            Ok(())
        } else {
            Err(ConfigError::new(
                format!("{path}.every_ms"),
                "must be between 1 and 60000",
            ))
        }
    }

    fn parse_request(_node: NodeId, text: &str) -> Result<Request, String> {
        match text.split_whitespace().collect::<Vec<_>>()[..] {
            ["ping", node] => NodeId::parse(node)
                .filter(|n| !n.is_client())
                .map(Request)
                .ok_or_else(|| format!("{node:?} is not a server")),
            _ => Err("use `ping nK`".to_string()),
        }
    }
}

// ----- 2. The actors: a server (with its durable state) and a client -------------------------

const PINGER: Role = Role::plain("pinger", Outline::Thin);

#[derive(Clone, Debug)]
struct PingServer {
    id: NodeId,
    next: NodeId,
    every_ms: u64,
    /// Durable: the next ping number (so numbers never repeat across restarts).
    seq: u64,
    /// Pings sent and not answered yet (volatile).
    waiting: BTreeSet<u64>,
    /// Pongs received for pings never sent (what the checker looks at).
    strays: u64,
}

impl Server<PingPong> for PingServer {
    type Durable = u64;

    fn new(id: NodeId, servers: &[NodeId], config: &Config, durable: Option<u64>) -> Self {
        let at = servers.iter().position(|s| *s == id).unwrap_or(0);
        PingServer {
            id,
            next: servers[(at + 1) % servers.len()],
            every_ms: config.every_ms,
            seq: durable.unwrap_or(0),
            waiting: BTreeSet::new(),
            strays: 0,
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, PingPong>) {
        ctx.set_timer(Timer::Tick, self.every_ms);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, PingPong>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Ping(n) => ctx.send(from, Msg::Pong(n)),
            Msg::Pong(n) => {
                if !self.waiting.remove(&n) && n >= self.seq {
                    self.strays += 1;
                }
                ctx.count("pongs");
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, PingPong>, _timer: Timer) {
        if self.next != self.id {
            self.waiting.insert(self.seq);
            ctx.send(self.next, Msg::Ping(self.seq));
            self.seq += 1;
        }
        ctx.set_timer(Timer::Tick, self.every_ms);
    }

    fn durable(&self) -> u64 {
        self.seq
    }

    fn role(&self) -> Role {
        PINGER
    }

    fn view(&self) -> NodeView {
        let mut v = NodeView::plain(PINGER);
        v.fields = vec![
            Field::durable("next ping", self.seq),
            Field::volatile("unanswered", self.waiting.len()),
        ];
        v
    }
}

#[derive(Clone, Debug)]
struct PingClient {
    asked: u64,
}

impl Client<PingPong> for PingClient {
    fn new(_id: NodeId, _servers: &[NodeId], _config: &Config) -> Self {
        PingClient { asked: 0 }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, PingPong>, _from: NodeId, msg: Msg) {
        if let Msg::Pong(n) = msg {
            ctx.reply(0, Reply(n));
        }
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, PingPong>, _timer: Timer) {}

    fn on_request(&mut self, ctx: &mut Ctx<'_, PingPong>, _client: ClientId, request: Request) {
        self.asked += 1;
        ctx.send(request.0, Msg::Ping(u64::MAX - self.asked));
    }

    fn view(&self) -> NodeView {
        NodeView::plain(Role::CLIENT)
    }
}

// ----- 3. The checker -----------------------------------------------------------------------

static PROPERTIES: &[CheckerInfo] = &[CheckerInfo {
    name: "no-stray-pong",
    source: "docs/adding-a-protocol.md (the demo's one property)",
    summary: "nobody receives a pong for a ping it never sent",
}];

#[derive(Clone, Debug, Default)]
struct PongChecker;

impl Checker<PingPong> for PongChecker {
    fn properties() -> &'static [CheckerInfo] {
        PROPERTIES
    }

    fn observe(&mut self, _now: Time, id: NodeId, node: &Actor<PingPong>, f: &mut Vec<Finding>) {
        if let Some(s) = node.server().filter(|s| s.strays > 0) {
            f.push(Finding {
                checker: "no-stray-pong",
                node: Some(id),
                detail: format!("{id} got {} pong(s) it never asked for", s.strays),
            });
        }
    }
}

// ----- 4. Chaos hooks -------------------------------------------------------------------------

impl ChaosProtocol for PingPong {
    fn chaos_config(_options: &ChaosOptions) -> Config {
        Config::default()
    }

    fn config_json(config: &Config) -> serde_json::Value {
        serde_json::to_value(config).unwrap_or_default()
    }

    fn settle_bound_ms(config: &Config) -> u64 {
        10 * config.every_ms
    }

    /// Settled once every server has had a pong since the heal would be stricter; running is
    /// enough for the demo.
    fn settled(sim: &Simulator<PingPong>, _healed_at: Time) -> bool {
        sim.members().iter().all(|m| sim.server(*m).is_some())
    }

    fn client_op(
        rng: &mut netsplit_core::kernel::rng::SimRng,
        sim: &Simulator<PingPong>,
        _workload: &Workload,
    ) -> Option<Control> {
        let node = sim.members()[rng.index(sim.members().len())];
        (sim.cluster().clients > 0).then(|| Control::Submit {
            client: NodeId::client(0),
            node,
            op: format!("ping {node}"),
        })
    }
}

// ----- 5. The registry entry --------------------------------------------------------------------

static LOOK: Look = Look {
    roles: &[PINGER],
    messages: &[
        MsgLook {
            kind: "Ping",
            label: "PING",
            shape: MsgShape::Circle,
            color: MsgColor::Sky,
            meaning: "are you there?",
        },
        MsgLook {
            kind: "Pong",
            label: "PONG",
            shape: MsgShape::Circle,
            color: MsgColor::Orange,
            meaning: "yes",
        },
    ],
    timer_arc: Some("tick"),
    timer_arc_meaning: "time to the next ping",
};

struct PingPongProtocol;

static PING_PONG: PingPongProtocol = PingPongProtocol;

impl Protocol for PingPongProtocol {
    fn id(&self) -> &'static str {
        ID
    }
    fn label(&self) -> &'static str {
        "Ping-pong"
    }
    fn summary(&self) -> &'static str {
        "servers ping each other around a ring (a demo)"
    }
    fn servers(&self) -> ServerRange {
        ServerRange {
            min: 2,
            max: 9,
            default: 2,
        }
    }
    fn build(&self, scenario: &Scenario) -> Result<Box<dyn Playground>, ConfigError> {
        build_session::<PingPong>(ID, scenario, |_, _| Ok(()))
    }
    fn chaos_seed(&self, seed: u64, options: &ChaosOptions) -> SeedReport {
        run_seed::<PingPong>(ID, seed, options)
    }
    fn mutants(&self) -> Vec<MutantInfo> {
        Vec::new()
    }
    fn gallery(&self) -> &'static [GalleryEntry] {
        &[]
    }
    fn checkers(&self) -> &'static [CheckerInfo] {
        checkers_of::<PingPong>()
    }
    fn look(&self) -> &'static Look {
        &LOOK
    }
}

// ----- The tests ------------------------------------------------------------------------------

fn registry() -> Registry {
    Registry::builtin().with(&PING_PONG)
}

fn cli(args: &[&str]) -> (ExitCode, String) {
    let argv: Vec<String> = std::iter::once("netsplit")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect();
    output::capture(|| main_with(&registry(), argv))
}

#[test]
fn a_handler_is_tested_with_the_shared_harness() {
    let h = Harness::new(2).at(100);
    let mut n1 =
        <PingServer as Server<PingPong>>::new(NodeId(0), &h.servers, &Config::default(), None);
    let out = h.run::<PingPong, _>(NodeId(0), &mut n1, |s, ctx| s.on_timer(ctx, Timer::Tick));
    assert_eq!(sends::<PingPong>(&out), vec![(NodeId(1), &Msg::Ping(0))]);
}

#[test]
fn it_is_listed_and_runs_in_netsplit_run() {
    let (code, text) = cli(&["protocols"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(
        text.contains("ping-pong") && text.contains("Ping-pong"),
        "{text}"
    );

    let (code, text) = cli(&["run", "--protocol", ID, "--until", "1s", "--seed", "3"]);
    assert_eq!(code, ExitCode::SUCCESS, "{text}");
    assert!(text.contains("n1 → n2") && text.contains("Ping"), "{text}");
    assert!(text.contains("n2 → n1") && text.contains("Pong"), "{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("# end t=1000") && last.contains("violations=0"),
        "{last}"
    );
    assert!(last.contains("n1:pinger n2:pinger"), "{last}");

    // A scenario file naming it replays the same run.
    let mut s = Scenario::new(ID, 3);
    s.cluster.nodes = 2;
    let mut p = registry().build(&s).expect("builds");
    p.run_until(Time(1000), u64::MAX);
    assert!(last.contains(&format!("trace_hash={:016x}", p.trace_hash())));
}

#[test]
fn chaos_attacks_it_and_its_checker_runs() {
    let (code, text) = cli(&[
        "chaos",
        "--protocol",
        ID,
        "--nodes",
        "2,3",
        "--seeds",
        "20",
        "--events",
        "3000",
        "--threads",
        "1",
        "--clients",
        "1",
        "--json",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{text}");
    let json: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
    assert_eq!(json["protocol"], ID);
    assert_eq!(json["runs"], 40);
    assert_eq!(json["violations"].as_array().map(Vec::len), Some(0));
    assert!(
        json["coverage"]["pongs"].as_u64().unwrap_or(0) > 1000,
        "{json}"
    );
    assert!(
        json["coverage"]["crashes"].as_u64().unwrap_or(0) > 0,
        "{json}"
    );
}

#[test]
fn its_checker_has_teeth() {
    let mut c = PongChecker;
    let mut n2 = <PingServer as Server<PingPong>>::new(
        NodeId(1),
        &[NodeId(0), NodeId(1)],
        &Config::default(),
        None,
    );
    n2.strays = 1;
    let mut f = Vec::new();
    c.observe(Time(5), NodeId(1), &Actor::Server(n2), &mut f);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].checker, "no-stray-pong");
}

#[test]
fn bad_input_is_refused_with_the_field() {
    let mut s = Scenario::new(ID, 1);
    s.config = serde_json::json!({ "every_ms": 0 });
    let e = registry().build(&s).err().expect("refused");
    assert_eq!(e.path, "config.every_ms");
    assert!(PingPong::parse_request(NodeId(0), "pong n1").is_err());
    assert!(PingPong::parse_request(NodeId(0), "ping c1").is_err());
}
