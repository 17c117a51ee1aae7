//! `netsplit chaos`: many seeds of random faults with every checker on.

use clap::Args;
use netsplit_core::kernel::config::{MAX_NODES, MIN_NODES};
use netsplit_core::run::chaos::{
    minimize, ChaosOptions, ConfigMode, FaultClasses, MovesChoice, Plan, SeedReport, Verdicts,
};
use netsplit_core::run::registry::{Protocol, Registry};
use netsplit_core::Time;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Arguments of `netsplit chaos`.
#[derive(Args, Debug)]
pub struct ChaosArgs {
    /// Protocol to attack (`netsplit protocols` lists them).
    #[arg(long)]
    protocol: String,
    /// Number of seeds to run (per cluster size).
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// First seed (seeds run are first-seed .. first-seed + seeds).
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Run exactly this one seed (overrides --seeds and --first-seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Events per seed with faults active (settling after the heal comes on top).
    #[arg(long, default_value_t = 20_000)]
    events: u64,
    /// How each seed is configured: `swarm` (each seed draws its cluster size, clients, fault
    /// mix and weights, tempo, workload and the protocol's options) or `default` (the
    /// protocol's fixed chaos configuration, every fault class at fixed weights).
    #[arg(long, value_name = "MODE", default_value = "swarm")]
    config: String,
    /// Cluster sizes, comma-separated (e.g. 3,5); each size runs every seed. Default: swarm
    /// seeds draw their size, default-mode seeds run 5.
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<usize>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Run a deliberately broken variant (see --list-mutants; needs a build with
    /// `--features mutants`).
    #[arg(long)]
    mutant: Option<String>,
    /// Simulated clients issuing commands throughout (0–8). Default: swarm seeds draw 1–4,
    /// default-mode seeds run 3.
    #[arg(long)]
    clients: Option<usize>,
    /// Shrink every failing seed to a minimal scenario that still makes its first violation's
    /// checker fire, and print the sizes before and after and its share link.
    #[arg(long)]
    minimize: bool,
    /// Stop at the first seed with a violation (every lower seed still runs): how many seeds
    /// a search needs to catch a bug, reported as `seeds_to_first_catch` in the JSON.
    #[arg(long)]
    until_caught: bool,
    /// List the deliberately broken variants and exit.
    #[arg(long)]
    list_mutants: bool,
    /// Print the full trace of every failing seed (and of --seed).
    #[arg(long)]
    trace: bool,
    /// Write each failing seed's scenario (JSON) into this directory.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// Where the playground is served, for the share links printed with failures.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080/")]
    link_base: String,
    /// Reactive moves (faults that react to what the protocol just did, e.g. Raft's
    /// `figure-8` and `lease`): `drawn` (each swarm seed draws: most none, some one family),
    /// `off`, or a family's name (every seed plays it). Swarm mode only.
    #[arg(long, value_name = "MOVES", default_value = "drawn")]
    moves: String,
    /// Switch off random message loss.
    #[arg(long)]
    no_loss: bool,
    /// Switch off message duplication.
    #[arg(long)]
    no_duplication: bool,
    /// Switch off reordering.
    #[arg(long)]
    no_reordering: bool,
    /// Switch off partitions, cuts and held links.
    #[arg(long)]
    no_partitions: bool,
    /// Switch off crashes and restarts.
    #[arg(long)]
    no_crashes: bool,
    /// Switch off pauses.
    #[arg(long)]
    no_pauses: bool,
    /// Switch off forced timeouts.
    #[arg(long)]
    no_timeouts: bool,
}

fn list_mutants(protocol: &dyn Protocol) {
    let state = if cfg!(feature = "mutants") {
        "compiled in"
    } else {
        "not compiled in: build with `cargo run -p netsplit-cli --features mutants -- …`"
    };
    crate::outln!("mutants of {} ({state}):", protocol.id());
    for m in protocol.mutants() {
        crate::outln!("  {:<28} {}", m.name, m.bug);
    }
}

fn options(
    protocol: &dyn Protocol,
    args: &ChaosArgs,
    nodes: Option<usize>,
) -> Result<ChaosOptions, String> {
    let known = protocol.mutants();
    if let Some(name) = &args.mutant {
        if !known.iter().any(|m| m.name == name) {
            let names: Vec<&str> = known.iter().map(|m| m.name).collect();
            return Err(format!(
                "--mutant: unknown mutant {name:?} of {}; known: {}",
                args.protocol,
                names.join(", ")
            ));
        }
        if !cfg!(feature = "mutants") {
            return Err(format!(
                "--mutant {name}: this build has no mutants; run \
                 `cargo run -p netsplit-cli --features mutants -- chaos …`"
            ));
        }
    }
    if let Some(clients) = args.clients {
        if clients > netsplit_core::kernel::config::MAX_CLIENTS {
            return Err(format!(
                "--clients: at most {} simulated clients, got {clients}",
                netsplit_core::kernel::config::MAX_CLIENTS
            ));
        }
    }
    let mode = match args.config.as_str() {
        "swarm" => ConfigMode::Swarm,
        "default" => ConfigMode::Default,
        other => {
            return Err(format!(
                "--config: unknown mode {other:?}; use swarm or default"
            ))
        }
    };
    let families = protocol.move_families();
    let moves = match args.moves.as_str() {
        "drawn" => MovesChoice::Drawn,
        "off" => MovesChoice::Off,
        name if families.contains(&name) => MovesChoice::Only(name.to_string()),
        other => {
            let known = if families.is_empty() {
                format!("{} has no families of moves", args.protocol)
            } else {
                format!("families of {}: {}", args.protocol, families.join(", "))
            };
            return Err(format!(
                "--moves: unknown value {other:?}; use drawn, off or a family ({known})"
            ));
        }
    };
    if moves != MovesChoice::Drawn && mode == ConfigMode::Default {
        return Err(
            "--moves: reactive moves are a swarm-mode choice; drop --config default".into(),
        );
    }
    let defaults = ChaosOptions::swarm();
    Ok(ChaosOptions {
        nodes: nodes.unwrap_or(defaults.nodes),
        pin_nodes: nodes.is_some(),
        clients: args.clients.unwrap_or(defaults.clients),
        pin_clients: args.clients.is_some(),
        mode,
        events: args.events,
        faults: FaultClasses {
            loss: !args.no_loss,
            duplication: !args.no_duplication,
            reordering: !args.no_reordering,
            partitions: !args.no_partitions,
            crashes: !args.no_crashes,
            pauses: !args.no_pauses,
            timeouts: !args.no_timeouts,
        },
        mutant: args.mutant.clone(),
        moves,
    })
}

fn repro(args: &ChaosArgs, nodes: Option<usize>, seed: u64) -> String {
    let features = if args.mutant.is_some() {
        " --features mutants"
    } else {
        ""
    };
    let mut cmd = format!(
        "cargo run --release -p netsplit-cli{features} -- chaos --protocol {} --config {} --events {} --seed {seed} --trace",
        args.protocol, args.config, args.events
    );
    if let Some(n) = nodes {
        cmd.push_str(&format!(" --nodes {n}"));
    }
    if let Some(c) = args.clients {
        cmd.push_str(&format!(" --clients {c}"));
    }
    if let Some(m) = &args.mutant {
        cmd.push_str(&format!(" --mutant {m}"));
    }
    if args.moves != "drawn" {
        cmd.push_str(&format!(" --moves {}", args.moves));
    }
    for (flag, on) in [
        ("--no-loss", args.no_loss),
        ("--no-duplication", args.no_duplication),
        ("--no-reordering", args.no_reordering),
        ("--no-partitions", args.no_partitions),
        ("--no-crashes", args.no_crashes),
        ("--no-pauses", args.no_pauses),
        ("--no-timeouts", args.no_timeouts),
    ] {
        if on {
            cmd.push(' ');
            cmd.push_str(flag);
        }
    }
    cmd
}

/// Run `seeds` over `threads` workers; results come back in seed order whatever the threads.
/// With `until_caught`, seeds after the first one with a violation are not run (or dropped
/// if a worker already ran them), so the result is the same whatever the threads.
fn run_all(
    protocol: &dyn Protocol,
    seeds: &[u64],
    options: &ChaosOptions,
    threads: usize,
    until_caught: bool,
    keep_passing: bool,
) -> Vec<SeedReport> {
    let next = AtomicUsize::new(0);
    // Position (in `seeds`) of the first seed caught so far.
    let caught = AtomicUsize::new(usize::MAX);
    let results = Mutex::new(Vec::with_capacity(seeds.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(seed) = seeds.get(i) else {
                    break;
                };
                if until_caught && i > caught.load(Ordering::Relaxed) {
                    break;
                }
                let mut report = protocol.chaos_seed(*seed, options);
                if report.violations.is_empty() && !keep_passing {
                    // Only a failing seed's run is replayed (trace, link, --save, --minimize):
                    // a passing one's actions would only hold memory (most of a report's), and
                    // the next seeds would fault in fresh pages instead of reusing it.
                    report.scenario.actions = Vec::new();
                }
                if until_caught && !report.violations.is_empty() {
                    caught.fetch_min(i, Ordering::Relaxed);
                }
                if let Ok(mut r) = results.lock() {
                    r.push((i, report));
                }
            });
        }
    });
    let mut out = results.into_inner().unwrap_or_default();
    out.sort_by_key(|(i, _)| *i);
    let last = caught.into_inner();
    out.into_iter()
        .filter(|(i, _)| !until_caught || *i <= last)
        .map(|(_, r)| r)
        .collect()
}

fn print_trace(registry: &Registry, report: &SeedReport) {
    match registry.build(&report.scenario) {
        Ok(mut p) => {
            p.run_until(Time(report.end.0), u64::MAX);
            for i in 0..p.trace_len() {
                if let Some(l) = p.trace_line(i) {
                    crate::outln!("{}", l.text);
                }
            }
        }
        Err(e) => eprintln!("cannot replay seed {}: {e}", report.seed),
    }
}

/// `netsplit chaos`.
pub fn chaos(registry: &Registry, args: ChaosArgs) -> Result<ExitCode, String> {
    let protocol = registry
        .resolve(&args.protocol, "--protocol")
        .map_err(|e| e.to_string())?;
    if args.list_mutants {
        list_mutants(protocol);
        return Ok(ExitCode::SUCCESS);
    }
    for n in &args.nodes {
        if !(MIN_NODES..=MAX_NODES).contains(n) {
            return Err(format!(
                "--nodes: cluster size must be {MIN_NODES}–{MAX_NODES}, got {n}"
            ));
        }
    }
    if args.events == 0 || args.events > 100_000_000 {
        return Err("--events must be between 1 and 100000000".into());
    }
    let seeds: Vec<u64> = match args.seed {
        Some(s) => vec![s],
        None => {
            if args.seeds == 0 {
                return Err("--seeds must be at least 1".into());
            }
            (args.first_seed..args.first_seed.saturating_add(args.seeds)).collect()
        }
    };
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    if let Some(dir) = &args.save {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("--save: cannot create {}: {e}", dir.display()))?;
    }

    let sizes: Vec<Option<usize>> = if args.nodes.is_empty() {
        vec![None]
    } else {
        args.nodes.iter().copied().map(Some).collect()
    };
    let started = std::time::Instant::now();
    let cpu_started = crate::cpu::process_seconds();
    let mut violations = Vec::new();
    let mut shrunk = Vec::new();
    let mut verdicts = Verdicts::default();
    let mut plans = Distribution::default();
    let mut coverage: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut seeds_with: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut settle: Vec<u64> = Vec::new();
    let mut total_events = 0;
    let mut runs = 0;
    // With --until-caught: how many seeds (of the first cluster size) ran up to the first catch.
    let mut first_catch: Option<usize> = None;
    for &nodes in &sizes {
        let opts = options(protocol, &args, nodes)?;
        let reports = run_all(
            protocol,
            &seeds,
            &opts,
            threads,
            args.until_caught,
            args.seed.is_some(),
        );
        if args.until_caught && first_catch.is_none() {
            first_catch = reports
                .iter()
                .position(|r| !r.violations.is_empty())
                .map(|p| p + 1);
        }
        for r in &reports {
            runs += 1;
            total_events += r.events;
            for (name, value) in r.counters.named() {
                *coverage.entry(name).or_default() += value;
                if value > 0 {
                    *seeds_with.entry(name).or_default() += 1;
                }
            }
            settle.extend(r.settle_ms);
            plans.add(&r.plan);
            verdicts.ops += r.verdicts.ops;
            verdicts.keys += r.verdicts.keys;
            verdicts.unknown += r.verdicts.unknown;
            verdicts.errors += r.verdicts.errors;
            let link = if r.violations.is_empty() {
                String::new()
            } else {
                netsplit_core::run::link::url(&args.link_base, &r.scenario)
                    .unwrap_or_else(|e| format!("(no link: {e}; use --save)"))
            };
            for v in &r.violations {
                violations.push(serde_json::json!({
                    "link": link,
                    "seed": r.seed,
                    "nodes": r.nodes,
                    "event": v.event,
                    "at": v.at,
                    "checker": v.checker,
                    "node": v.node,
                    "detail": v.detail,
                    "repro": repro(&args, nodes, r.seed),
                    "plan": r.plan,
                }));
            }
            if args.minimize {
                if let Some(first) = r.violations.first() {
                    shrunk.push(shrink(registry, &args, r, first.checker));
                }
            }
            let failed = !r.violations.is_empty();
            if failed {
                if let Some(dir) = &args.save {
                    let path = dir.join(format!(
                        "{}-n{}-seed{}.json",
                        protocol.id(),
                        r.nodes,
                        r.seed
                    ));
                    std::fs::write(&path, r.scenario.to_json())
                        .map_err(|e| format!("--save: cannot write {}: {e}", path.display()))?;
                    if !args.json {
                        crate::outln!("saved {}", path.display());
                    }
                }
            }
            if args.trace && !args.json && (failed || args.seed.is_some()) {
                crate::outln!("--- trace of seed {} ({} nodes) ---", r.seed, r.nodes);
                print_trace(registry, r);
            }
        }
    }
    settle.sort_unstable();
    let pct = |p: f64| -> u64 {
        if settle.is_empty() {
            0
        } else {
            settle[((settle.len() - 1) as f64 * p) as usize]
        }
    };

    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let per_core = runs as f64 / secs / threads.min(runs.max(1) as usize) as f64;
    // CPU seconds the seeds took (all threads): what a busy machine does not inflate.
    let cpu = cpu_started
        .zip(crate::cpu::process_seconds())
        .map(|(a, b)| (b - a).max(1e-9));
    let unknown_share = if verdicts.keys == 0 {
        0.0
    } else {
        verdicts.unknown as f64 / verdicts.keys as f64
    };
    if args.json {
        let out = serde_json::json!({
            "protocol": protocol.id(),
            "config": args.config,
            "nodes": args.nodes,
            "seeds": seeds.len(),
            "runs": runs,
            "events": total_events,
            "mutant": args.mutant,
            "seeds_to_first_catch": first_catch,
            "violations": violations,
            "coverage": coverage,
            "seeds_with": seeds_with,
            "settle_ms": { "p50": pct(0.5), "p99": pct(0.99), "max": settle.last().copied().unwrap_or(0) },
            "checked": { "ops": verdicts.ops, "keys": verdicts.keys },
            "unknown": verdicts.unknown,
            "errors": verdicts.errors,
            "plans": plans.to_json(),
            "minimized": shrunk,
            "seconds": secs,
            "seeds_per_second_per_thread": per_core,
            "cpu_seconds": cpu,
            "seeds_per_cpu_second": cpu.map(|c| runs as f64 / c),
        });
        crate::outln!("{out}");
    } else {
        let sizes: Vec<String> = args.nodes.iter().map(|n| n.to_string()).collect();
        let sizes = if sizes.is_empty() {
            format!("{} config", args.config)
        } else {
            format!("{} nodes, {} config", sizes.join(" and "), args.config)
        };
        crate::outln!(
            "netsplit chaos: {} with {sizes}, {} seeds × {} events ({} runs, {} events in all, {threads} threads, {:.1} s, {:.0} seeds/s per thread){}",
            protocol.id(),
            seeds.len(),
            args.events,
            runs,
            total_events,
            secs,
            per_core,
            args.mutant
                .as_ref()
                .map(|m| format!(", mutant {m}"))
                .unwrap_or_default()
        );
        if args.until_caught {
            match first_catch {
                Some(n) => crate::outln!("first caught after {n} seed(s)"),
                None => crate::outln!("not caught in {} seed(s)", seeds.len()),
            }
        }
        crate::outln!("coverage (total, and runs where it happened):");
        for (name, total) in &coverage {
            crate::outln!(
                "  {name:<26} {total:>12}  {:>6}/{runs}",
                seeds_with.get(name).copied().unwrap_or(0)
            );
        }
        crate::outln!(
            "settle after heal: p50 {} ms, p99 {} ms, max {} ms",
            pct(0.5),
            pct(0.99),
            settle.last().copied().unwrap_or(0)
        );
        crate::outln!(
            "end-of-run checks: {} operations, {} keys decided, {} unknown ({:.3} %), {} malformed",
            verdicts.ops,
            verdicts.keys,
            verdicts.unknown,
            100.0 * unknown_share,
            verdicts.errors
        );
        crate::outln!("plans drawn:");
        for line in plans.lines() {
            crate::outln!("  {line}");
        }
        if violations.is_empty() {
            crate::outln!("violations: none");
        } else {
            crate::outln!("violations: {}", violations.len());
            for v in &violations {
                crate::outln!(
                    "  seed {} ({} nodes) event {} t={}: {} — {}\n    repro: {}\n    open:  {}",
                    v["seed"],
                    v["nodes"],
                    v["event"],
                    v["at"],
                    v["checker"].as_str().unwrap_or(""),
                    v["detail"].as_str().unwrap_or(""),
                    v["repro"].as_str().unwrap_or(""),
                    v["link"].as_str().unwrap_or(""),
                );
            }
        }
        for m in &shrunk {
            crate::outln!(
                "minimized seed {}: {}",
                m["seed"],
                m["summary"].as_str().unwrap_or("")
            );
            if let Some(link) = m["link"].as_str() {
                crate::outln!("    open:  {link}");
            }
        }
    }
    Ok(if violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Shrink one failing seed toward its first violation's checker.
fn shrink(
    registry: &Registry,
    args: &ChaosArgs,
    report: &SeedReport,
    checker: &str,
) -> serde_json::Value {
    match minimize::minimize(registry, &report.scenario, checker, 4000) {
        Ok(m) => {
            let link = netsplit_core::run::link::url(&args.link_base, &m.scenario)
                .unwrap_or_else(|e| format!("(no link: {e})"));
            let summary = format!(
                "{checker}: {} faults, {} commands, {} ms → {} faults, {} commands, {} ms ({} replays{})",
                m.before.faults,
                m.before.commands,
                m.before.until_ms,
                m.after.faults,
                m.after.commands,
                m.after.until_ms,
                m.replays,
                if m.out_of_budget { ", budget spent" } else { "" }
            );
            serde_json::json!({
                "seed": report.seed,
                "checker": checker,
                "before": m.before,
                "after": m.after,
                "replays": m.replays,
                "summary": summary,
                "link": link,
                "scenario": serde_json::from_str::<serde_json::Value>(&m.scenario.to_json()).unwrap_or_default(),
            })
        }
        Err(e) => serde_json::json!({
            "seed": report.seed,
            "checker": checker,
            "summary": format!("cannot shrink: {e}"),
        }),
    }
}

/// How often each value of each plan field was drawn (numbers with many values are summarised
/// by their range).
#[derive(Default)]
struct Distribution {
    fields: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Distribution {
    fn add(&mut self, plan: &Plan) {
        let value = serde_json::to_value(plan).unwrap_or_default();
        self.walk("", &value);
    }

    fn walk(&mut self, path: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.walk(&p, v);
                }
            }
            // Fault rates, latency and tuples say little value by value; the config and the
            // on/off switches are what a reader wants to see spread.
            serde_json::Value::Array(_) => {}
            other => {
                *self
                    .fields
                    .entry(path.to_string())
                    .or_default()
                    .entry(other.to_string())
                    .or_default() += 1;
            }
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.fields).unwrap_or_default()
    }

    fn lines(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|(field, values)| {
                if values.len() <= 6 {
                    let parts: Vec<String> =
                        values.iter().map(|(v, n)| format!("{v}×{n}")).collect();
                    format!("{field}: {}", parts.join(" "))
                } else {
                    let nums: Vec<f64> = values.keys().filter_map(|v| v.parse().ok()).collect();
                    let lo = nums.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    format!("{field}: {} values from {lo} to {hi}", values.len())
                }
            })
            .collect()
    }
}
