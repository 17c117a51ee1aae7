//! The benchmark sections: one function each, measuring one thing and returning its figures as
//! JSON (rendered into `docs/benchmarks.md` by `docs.rs`).
//!
//! To add a section: write `fn name(ctx: &mut Ctx) -> Result<Outcome, String>`, list it in
//! [`SECTIONS`] with the tools it needs, add a renderer to `docs.rs`'s `BLOCKS`, and put a
//! `<!-- bench:name -->` … `<!-- /bench -->` block in the document. Heavy shared work (building
//! the page, the CLI, the protocol list) goes through [`Ctx`], which does it at most once per
//! run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Map, Value};

use super::parse;
use crate::process::Cmd;
use crate::tools::{Tool, CHROMEDRIVER, CHROMIUM, WASM_TARGET};
use crate::wasm_opt;

/// What a section measured, plus anything wrong that the figures show (a trace hash that
/// differs between builds, a chaos violation): those make the run fail, but are still recorded.
#[derive(Debug)]
pub struct Outcome {
    /// The figures.
    pub data: Value,
    /// Problems found while measuring.
    pub problems: Vec<String>,
}

impl From<Value> for Outcome {
    fn from(data: Value) -> Self {
        Outcome {
            data,
            problems: Vec::new(),
        }
    }
}

/// One benchmark section.
pub struct Section {
    /// Name in `--only`, in the report and in the document's markers.
    pub name: &'static str,
    /// One line for `--list`.
    pub about: &'static str,
    /// Tools it needs (ensured before anything runs).
    pub tools: &'static [Tool],
    /// The measurement.
    pub run: fn(&mut Ctx) -> Result<Outcome, String>,
}

const WEB: &[Tool] = &[
    Tool::WasmTarget,
    Tool::WasmBindgen,
    Tool::Trunk,
    Tool::NpmDeps,
];
const BROWSER: &[Tool] = &[
    Tool::WasmTarget,
    Tool::WasmBindgen,
    Tool::Trunk,
    Tool::Chromium,
    Tool::NpmDeps,
];

/// Every section, in the order `cargo xtask bench` runs them.
pub const SECTIONS: &[Section] = &[
    Section {
        name: "weight",
        about: "every file of the release dist/: raw, gzip, brotli; first-load totals",
        tools: WEB,
        run: weight,
    },
    Section {
        name: "size-breakdown",
        about: "where the wasm's bytes go (twiggy): kinds, crates, modules, biggest items",
        tools: &[
            Tool::WasmTarget,
            Tool::WasmBindgen,
            Tool::Trunk,
            Tool::Twiggy,
            Tool::NpmDeps,
        ],
        run: size_breakdown,
    },
    Section {
        name: "first-node",
        about: "navigation → first node drawn, median of cold loads (headless Chromium)",
        tools: BROWSER,
        run: first_node,
    },
    Section {
        name: "page",
        about: "main thread busy, frames/s, p95 frame, long tasks; 5 and 9 nodes, 1× and 4× CPU",
        tools: BROWSER,
        run: page,
    },
    Section {
        name: "seek",
        about: "seek latency in a 10-minute run: native, wasm (Node.js), the page (Chromium)",
        tools: BROWSER,
        run: seek,
    },
    Section {
        name: "diagram",
        about: "space-time diagram repaint cost while scrolling a 10-minute run; session memory",
        tools: BROWSER,
        run: diagram,
    },
    Section {
        name: "memory",
        about: "the page's memory after 1 to 10 virtual hours (renderer, JS heap, wasm)",
        tools: BROWSER,
        run: memory,
    },
    Section {
        name: "simulator",
        about: "events/s per protocol: native, wasm in Node.js and in Chromium; trace hashes",
        tools: &[Tool::WasmTarget, Tool::WasmBindgen, Tool::Chromium],
        run: simulator,
    },
    Section {
        name: "chaos",
        about: "chaos seeds/s per core per protocol (netsplit chaos --threads 1)",
        tools: &[],
        run: chaos,
    },
    Section {
        name: "raft-vs-tikv",
        about: "Raft commits/s per core: netsplit's servers against tikv's raft crate (bench-raft)",
        tools: &[],
        run: raft_vs_tikv,
    },
    Section {
        name: "mutants",
        about: "seeds to first catch per mutant (swarm chaos, 10 disjoint ranges of 200 seeds)",
        tools: &[],
        run: mutants,
    },
    Section {
        name: "linearizability",
        about: "linearizability check time for histories of 100, 1,000 and 10,000 operations",
        tools: &[],
        run: linearizability,
    },
];

/// Seeds per protocol in the chaos section.
const CHAOS_SEEDS: u64 = 200;
/// Events per seed in the chaos section (the CLI's default).
const CHAOS_EVENTS: u64 = 20_000;
/// Chromium flags for the wasm run in the browser (as the end-to-end harness uses).
const CHROMIUM_ARGS: &[&str] = &[
    "headless",
    "no-sandbox",
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
];

/// Shared state of one `cargo xtask bench` run: what is built, once.
pub struct Ctx {
    /// The workspace root.
    pub root: PathBuf,
    /// Use the existing `dist/` instead of building the page.
    pub no_build: bool,
    page: Option<Result<(), String>>,
    cli: Option<Result<PathBuf, String>>,
    protocols: Option<Result<Vec<String>, String>>,
}

impl Ctx {
    /// A fresh context.
    pub fn new(root: PathBuf, no_build: bool) -> Self {
        Ctx {
            root,
            no_build,
            page: None,
            cli: None,
            protocols: None,
        }
    }

    /// Cargo's target directory.
    fn target(&self) -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("target"))
    }

    /// Where the benchmark's own files go (git-ignored with `target/`).
    pub fn bench_dir(&self) -> PathBuf {
        self.target().join("bench")
    }

    fn dist(&self) -> PathBuf {
        self.root.join("dist")
    }

    /// The release page in `dist/`: built once per run (`trunk build --release --offline`),
    /// or the existing one with `--no-build`.
    fn page(&mut self) -> Result<(), String> {
        if self.page.is_none() {
            let result = if self.no_build {
                Ok(())
            } else {
                run(Cmd::new("trunk")
                    .args(["build", "--release", "--offline"])
                    .dir(&self.root))
                .map(drop)
            };
            let index = self.dist().join("index.html");
            self.page = Some(result.and_then(|()| {
                index
                    .is_file()
                    .then_some(())
                    .ok_or_else(|| format!("no built page at {}", index.display()))
            }));
        }
        self.page.clone().unwrap_or(Ok(()))
    }

    /// The release CLI (`cargo build --release -p netsplit-cli`), built once per run.
    /// The CLI built with the deliberately broken variants compiled in (its own target
    /// directory, so the plain release binary stays as it is).
    fn mutants_cli(&mut self) -> Result<PathBuf, String> {
        let dir = self.target().join("bench-mutants");
        run(Cmd::new("cargo")
            .args(["build", "--release", "-p", "netsplit-cli"])
            .args(["--features", "mutants", "--target-dir"])
            .args([dir.to_string_lossy()])
            .dir(&self.root))?;
        Ok(dir.join("release").join("netsplit"))
    }

    /// The release CLI with tikv's `raft` crate compiled in (`--features tikv-compare`), in a
    /// target directory of its own so the default CLI is not rebuilt.
    fn tikv_cli(&mut self) -> Result<PathBuf, String> {
        let dir = self.target().join("bench-tikv");
        run(Cmd::new("cargo")
            .args(["build", "--release", "-p", "netsplit-cli"])
            .args(["--features", "tikv-compare", "--target-dir"])
            .args([dir.to_string_lossy()])
            .dir(&self.root))?;
        Ok(dir.join("release").join("netsplit"))
    }

    fn cli(&mut self) -> Result<PathBuf, String> {
        if self.cli.is_none() {
            let bin = self.target().join("release").join("netsplit");
            let built = run(Cmd::new("cargo")
                .args(["build", "--release", "-p", "netsplit-cli"])
                .dir(&self.root));
            self.cli = Some(built.map(|_| bin));
        }
        self.cli
            .clone()
            .unwrap_or_else(|| Err("unreachable".into()))
    }

    /// The protocol ids, as `netsplit protocols` lists them (the first word of each line), so
    /// the list is never written down a second time.
    fn protocols(&mut self) -> Result<Vec<String>, String> {
        if self.protocols.is_none() {
            let listed = self.cli().and_then(|bin| {
                let cmd = Cmd::new(bin.to_string_lossy())
                    .args(["protocols"])
                    .dir(&self.root);
                let out = cmd
                    .output_any()
                    .map_err(|e| format!("could not run `{}`: {e}", cmd.display()))?;
                parse::protocols(&out).ok_or_else(|| {
                    format!(
                        "`{}` did not list the protocols (it said: {})",
                        cmd.display(),
                        out.trim()
                    )
                })
            });
            self.protocols = Some(listed);
        }
        self.protocols.clone().unwrap_or_else(|| Ok(Vec::new()))
    }

    /// The cargo profile the page's wasm is built with: `index.html`'s
    /// `data-cargo-profile-release` on the rust link, else `release`.
    pub fn page_profile(&self) -> String {
        let html = std::fs::read_to_string(self.root.join("index.html")).unwrap_or_default();
        profile_of(&html)
    }

    /// Runs `node tests/bench/<script>.js` against `dist/` and returns its result.
    fn node(&self, script: &str, envs: &[(&str, String)]) -> Result<Value, String> {
        let tests = self.root.join("tests");
        let mut cmd = Cmd::new("node")
            .args([format!("bench/{script}.js")])
            .dir(&tests)
            .env("NETSPLIT_DIST", self.dist().display().to_string())
            .env("CHROMIUM", CHROMIUM);
        for (k, v) in envs {
            cmd = cmd.env(*k, v.clone());
        }
        parse::single_result(&run(cmd)?).map_err(|e| format!("tests/bench/{script}.js: {e}"))
    }

    /// `cargo test -p netsplit-core --test NAME` of an ignored measuring test (`profile`,
    /// optionally for wasm32 under Node.js or in headless Chromium); returns the output.
    fn core_bench(
        &self,
        test: &str,
        profile: &str,
        target: Target,
        envs: &[(&str, String)],
    ) -> Result<String, String> {
        let mut cmd = Cmd::new("cargo")
            .args(["test", "--profile", profile, "-p", "netsplit-core"])
            .dir(&self.root);
        if target != Target::Native {
            cmd = cmd.args(["--target", WASM_TARGET]).env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            );
        }
        if target == Target::Chromium {
            let webdriver = self.bench_dir().join("webdriver.json");
            write_webdriver_json(&webdriver)?;
            cmd = cmd
                .env("WASM_BINDGEN_USE_BROWSER", "1")
                .env("CHROMEDRIVER", CHROMEDRIVER)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "900")
                .env(
                    "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                    webdriver.display().to_string(),
                );
        }
        for (k, v) in envs {
            cmd = cmd.env(*k, v.clone());
        }
        run(cmd.args(["--test", test, "--", "--include-ignored", "--nocapture"]))
    }
}

/// Where a core benchmark runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Native,
    Node,
    Chromium,
}

/// Runs a command (output shown live and captured); a failure is an error naming it.
fn run(cmd: Cmd) -> Result<String, String> {
    println!("--> {}", cmd.display_with_dir());
    let (status, output) = cmd
        .run_tee()
        .map_err(|e| format!("could not start `{}`: {e}", cmd.display()))?;
    if status.success() {
        Ok(output)
    } else {
        Err(format!(
            "`{}` failed ({})",
            cmd.display(),
            crate::process::describe_status(status)
        ))
    }
}

/// The profile in `data-cargo-profile-release="…"` of the page's rust link, or `release`.
pub fn profile_of(index_html: &str) -> String {
    let key = "data-cargo-profile-release=\"";
    index_html
        .find(key)
        .map(|i| &index_html[i + key.len()..])
        .and_then(|rest| rest.split('"').next())
        .filter(|p| !p.is_empty())
        .unwrap_or("release")
        .to_string()
}

/// Chrome options for wasm-bindgen-test-runner: Debian's Chromium with the harness's flags.
fn write_webdriver_json(path: &Path) -> Result<(), String> {
    let caps = json!({
        "goog:chromeOptions": { "binary": CHROMIUM, "args": CHROMIUM_ARGS }
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, caps.to_string())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// The sections.
// ---------------------------------------------------------------------------------------------

fn weight(ctx: &mut Ctx) -> Result<Outcome, String> {
    ctx.page()?;
    let preopt = ctx
        .target()
        .join("wasm-bindgen/release/netsplit-web_bg.wasm");
    let mut envs = Vec::new();
    if preopt.is_file() {
        envs.push(("NETSPLIT_PREOPT_WASM", preopt.display().to_string()));
    }
    let mut data = ctx.node("weight", &envs)?;
    data["cargo_profile"] = json!(ctx.page_profile());
    Ok(data.into())
}

fn size_breakdown(ctx: &mut Ctx) -> Result<Outcome, String> {
    ctx.page()?;
    // Trunk leaves wasm-bindgen's output (before wasm-opt, function names included) here.
    let preopt = ctx
        .target()
        .join("wasm-bindgen/release/netsplit-web_bg.wasm");
    if !preopt.is_file() {
        return Err(format!(
            "no {} (build the page without --no-build)",
            preopt.display()
        ));
    }
    let (wasm_opt, _) =
        wasm_opt::find_wasm_opt().ok_or("no Binaryen wasm-opt (run `cargo xtask setup-web`)")?;
    // The shipped optimization, keeping the function names (-g) so twiggy can name them.
    let analysis = ctx.bench_dir().join("analysis_bg.wasm");
    std::fs::create_dir_all(ctx.bench_dir())
        .map_err(|e| format!("cannot create {}: {e}", ctx.bench_dir().display()))?;
    run(wasm_opt::command(&wasm_opt, &preopt, &analysis, &["-g"]))?;
    let json_path = ctx.bench_dir().join("twiggy-top.json");
    run(Cmd::new("twiggy").args([
        "top".to_string(),
        "--format".into(),
        "json".into(),
        "-o".into(),
        json_path.display().to_string(),
        analysis.display().to_string(),
    ]))?;
    let text = std::fs::read_to_string(&json_path)
        .map_err(|e| format!("cannot read {}: {e}", json_path.display()))?;
    let items: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| format!("twiggy's JSON: {e}"))?;
    let mut data = parse::breakdown(&items, 25)?;
    data["cargo_profile"] = json!(ctx.page_profile());
    data["wasm_opt_flags"] = json!(wasm_opt::OPT_FLAGS);
    Ok(data.into())
}

fn first_node(ctx: &mut Ctx) -> Result<Outcome, String> {
    ctx.page()?;
    Ok(ctx.node("first-node", &[])?.into())
}

fn page(ctx: &mut Ctx) -> Result<Outcome, String> {
    ctx.page()?;
    let data = ctx.node("page", &[])?;
    let mut problems = Vec::new();
    for c in data["conditions"].as_array().into_iter().flatten() {
        let errors = c["page"]["errors"].as_array().map_or(0, Vec::len);
        if errors > 0 {
            problems.push(format!(
                "{} at {}×: {errors} page errors",
                c["condition"], c["throttle"]
            ));
        }
    }
    Ok(Outcome { data, problems })
}

fn seek(ctx: &mut Ctx) -> Result<Outcome, String> {
    let profile = ctx.page_profile();
    let native = ctx.core_bench("seek_bench", "release", Target::Native, &[])?;
    let wasm = ctx.core_bench("seek_bench", &profile, Target::Node, &[])?;
    ctx.page()?;
    let chromium = ctx.node("seek", &[])?;
    Ok(json!({
        "native": parse::seek_lines(&native, "native")?,
        "wasm_node": parse::seek_lines(&wasm, "wasm")?,
        "wasm_profile": profile,
        "chromium": chromium,
    })
    .into())
}

fn diagram(ctx: &mut Ctx) -> Result<Outcome, String> {
    ctx.page()?;
    Ok(ctx.node("diagram", &[])?.into())
}

fn memory(ctx: &mut Ctx) -> Result<Outcome, String> {
    ctx.page()?;
    Ok(ctx.node("memory", &[])?.into())
}

fn simulator(ctx: &mut Ctx) -> Result<Outcome, String> {
    let protocols = ctx.protocols()?.join(",");
    let envs = [("NETSPLIT_BENCH_PROTOCOLS", protocols.clone())];
    let profile = ctx.page_profile();
    let runs = [
        (
            "native",
            ctx.core_bench("sim_bench", "release", Target::Native, &envs)?,
        ),
        (
            "wasm_node",
            ctx.core_bench("sim_bench", &profile, Target::Node, &envs)?,
        ),
        (
            "wasm_chromium",
            ctx.core_bench("sim_bench", &profile, Target::Chromium, &envs)?,
        ),
    ];
    let mut by_run: Vec<(String, u64, Map<String, Value>)> = Vec::new();
    for (platform, output) in &runs {
        let lines = parse::bench_lines(output)?;
        if lines.is_empty() {
            return Err(format!("the {platform} run printed no results"));
        }
        for line in lines {
            let protocol = line["protocol"].as_str().unwrap_or("?").to_string();
            let virtual_ms = line["virtual_ms"].as_u64().unwrap_or(0);
            let entry = match by_run
                .iter_mut()
                .find(|(p, v, _)| *p == protocol && *v == virtual_ms)
            {
                Some(e) => e,
                None => {
                    by_run.push((protocol, virtual_ms, Map::new()));
                    by_run.last_mut().ok_or("unreachable")?
                }
            };
            entry.2.insert((*platform).to_string(), line);
        }
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (protocol, virtual_ms, platforms) in by_run {
        let hash = |p: &str| platforms.get(p).map(|l| l["trace_hash"].clone());
        let hashes: Vec<Value> = ["native", "wasm_node", "wasm_chromium"]
            .iter()
            .filter_map(|p| hash(p))
            .collect();
        let matches = hashes.len() == 3 && hashes.windows(2).all(|w| w[0] == w[1]);
        if !matches {
            problems.push(format!(
                "{protocol} ({virtual_ms} ms): the trace hashes differ or a run is missing: {hashes:?}"
            ));
        }
        let eps = |p: &str| platforms.get(p).and_then(|l| l["events_per_s"].as_f64());
        // Slowdown: how many times longer wasm takes for the same events.
        let slowdown = |p: &str| match (eps("native"), eps(p)) {
            (Some(n), Some(w)) if w > 0.0 => json!(n / w),
            _ => Value::Null,
        };
        let events = platforms
            .get("native")
            .map(|l| l["events"].clone())
            .unwrap_or(Value::Null);
        out.push(json!({
            "protocol": protocol,
            "virtual_ms": virtual_ms,
            "events": events,
            "native": platforms.get("native"),
            "wasm_node": platforms.get("wasm_node"),
            "wasm_chromium": platforms.get("wasm_chromium"),
            "ratio": { "wasm_node": slowdown("wasm_node"), "wasm_chromium": slowdown("wasm_chromium") },
            "hashes_match": matches,
        }));
    }
    Ok(Outcome {
        data: json!({ "protocols": protocols, "wasm_profile": profile, "runs": out }),
        problems,
    })
}

fn chaos(ctx: &mut Ctx) -> Result<Outcome, String> {
    let bin = ctx.cli()?;
    let mut runs = Vec::new();
    for protocol in ctx.protocols()? {
        let cmd = Cmd::new(bin.to_string_lossy())
            .args(["chaos", "--protocol", &protocol, "--threads", "1", "--json"])
            .args(["--seeds", &CHAOS_SEEDS.to_string()])
            .args(["--events", &CHAOS_EVENTS.to_string()])
            .dir(&ctx.root);
        println!("--> {}", cmd.display());
        let start = Instant::now();
        // Exit status 1 means violations were found: that is the test suite's business (and
        // expected of some protocols: 3PC is not partition-tolerant); here they are counted.
        let report = json_report(&cmd)?;
        let wall = start.elapsed().as_secs_f64();
        let seeds = report["runs"].as_f64().unwrap_or(0.0);
        let events = report["events"].as_f64().unwrap_or(0.0);
        runs.push(json!({
            "protocol": protocol,
            "seeds": report["runs"],
            "events_per_seed": CHAOS_EVENTS,
            "nodes": report["nodes"],
            "events": report["events"],
            "violations": report["violations"].as_array().map_or(0, Vec::len),
            "wall_s": wall,
            "seeds_per_s": seeds / wall,
            "events_per_s": events / wall,
            // The CLI's own CPU time (all of it on the one thread running seeds): on a busy
            // machine wall time grows, CPU time does not.
            "cpu_s": report["cpu_seconds"],
            "seeds_per_cpu_s": report["seeds_per_cpu_second"],
        }));
    }
    Ok(json!({ "threads": 1, "runs": runs }).into())
}

/// Run a CLI command (its output shown as it goes) and read the JSON report it prints on a
/// line of its own, whatever its exit status (the caller judges the report).
fn json_report(cmd: &Cmd) -> Result<Value, String> {
    let (status, output) = cmd
        .run_tee()
        .map_err(|e| format!("could not start `{}`: {e}", cmd.display()))?;
    output
        .lines()
        .find(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| {
            format!(
                "`{}` printed no JSON report ({})",
                cmd.display(),
                crate::process::describe_status(status)
            )
        })
}

/// `netsplit bench-raft --json` (one thread): netsplit's Raft servers and tikv's `RawNode`s in
/// the same in-memory harness; each round checked (same commands applied in the same order on
/// every node of both). A failed configuration is a problem.
fn raft_vs_tikv(ctx: &mut Ctx) -> Result<Outcome, String> {
    let bin = ctx.tikv_cli()?;
    let cmd = Cmd::new(bin.to_string_lossy())
        .args(["bench-raft", "--json"])
        .dir(&ctx.root);
    println!("--> {}", cmd.display());
    let report = json_report(&cmd)?;
    let problems = report["failed"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|r| {
                    format!(
                        "bench-raft, {} servers, depth {}: {}",
                        r["servers"], r["depth"], r["error"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Outcome {
        data: report,
        problems,
    })
}

/// Seed ranges per mutant, and seeds per range.
const MUTANT_RANGES: u64 = 10;
const MUTANT_RANGE_SEEDS: u64 = 200;

/// Per protocol and mutant: swarm chaos over 10 disjoint ranges of 200 seeds, each stopped at
/// its first catch; the median and worst seeds-to-first-catch (a range that never catches
/// counts as more than 200 and is reported as missed).
fn mutants(ctx: &mut Ctx) -> Result<Outcome, String> {
    let bin = ctx.mutants_cli()?;
    let mut rows = Vec::new();
    for protocol in ctx.protocols()? {
        let list = Cmd::new(bin.to_string_lossy())
            .args(["chaos", "--protocol", &protocol, "--list-mutants"])
            .dir(&ctx.root);
        let listed = list
            .output_any()
            .map_err(|e| format!("could not run `{}`: {e}", list.display()))?;
        for mutant in parse::mutant_names(&listed) {
            let mut catches: Vec<Option<u64>> = Vec::new();
            let mut checkers = std::collections::BTreeSet::new();
            let start = Instant::now();
            for range in 0..MUTANT_RANGES {
                let cmd = Cmd::new(bin.to_string_lossy())
                    .args(["chaos", "--protocol", &protocol, "--mutant", &mutant])
                    .args(["--until-caught", "--threads", "1", "--json"])
                    .args(["--first-seed", &(range * MUTANT_RANGE_SEEDS).to_string()])
                    .args(["--seeds", &MUTANT_RANGE_SEEDS.to_string()])
                    .dir(&ctx.root);
                let output = cmd
                    .output_any()
                    .map_err(|e| format!("could not run `{}`: {e}", cmd.display()))?;
                let report: Value = output
                    .lines()
                    .find(|l| l.trim_start().starts_with('{'))
                    .and_then(|l| serde_json::from_str(l).ok())
                    .ok_or_else(|| format!("`{}` printed no JSON report", cmd.display()))?;
                catches.push(report["seeds_to_first_catch"].as_u64());
                if let Some(v) = report["violations"].as_array().and_then(|v| v.first()) {
                    checkers.insert(v["checker"].as_str().unwrap_or("?").to_string());
                }
            }
            let mut found: Vec<u64> = catches.iter().flatten().copied().collect();
            found.sort_unstable();
            let missed = catches.len() - found.len();
            // Misses sort last (worse than any catch).
            let median = if missed * 2 >= catches.len() {
                None
            } else {
                found.get(catches.len() / 2).or(found.last()).copied()
            };
            println!(
                "mutant {protocol}/{mutant}: catches {catches:?} ({:.0} s)",
                start.elapsed().as_secs_f64()
            );
            rows.push(json!({
                "protocol": protocol,
                "mutant": mutant,
                "ranges": catches.len(),
                "caught_ranges": found.len(),
                "median": median,
                "worst": if missed > 0 { None } else { found.last().copied() },
                "best": found.first(),
                "checkers": checkers.into_iter().collect::<Vec<_>>(),
            }));
        }
    }
    Ok(json!({ "seeds_per_range": MUTANT_RANGE_SEEDS, "mutants": rows }).into())
}

fn linearizability(ctx: &mut Ctx) -> Result<Outcome, String> {
    let output = ctx.core_bench("lin_bench", "release", Target::Native, &[])?;
    let sizes = parse::bench_lines(&output)?;
    if sizes.is_empty() {
        return Err("the linearizability bench printed no results".into());
    }
    Ok(json!({ "sizes": sizes }).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_are_unique_and_documented() {
        let names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "duplicate section names");
        // Every section has a renderer for the document, and every renderer a section.
        let mut blocks = super::super::docs::block_names();
        blocks.sort_unstable();
        assert_eq!(sorted, blocks);
    }

    #[test]
    fn page_profile_from_index_html() {
        let html = r#"<link data-trunk rel="rust" href="web/Cargo.toml" data-cargo-profile-release="web" />"#;
        assert_eq!(profile_of(html), "web");
        assert_eq!(profile_of("<link data-trunk rel=\"rust\" />"), "release");
        assert_eq!(profile_of("data-cargo-profile-release=\"\""), "release");
    }
}
