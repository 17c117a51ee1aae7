//! Regenerating the figures of `docs/benchmarks.md` from the report.
//!
//! The document is hand-written prose with generated blocks between marker comments:
//!
//! ```text
//! <!-- bench:weight -->
//! (generated: tables and the line saying when and where they were measured)
//! <!-- /bench -->
//! ```
//!
//! Each block is rewritten from the report's section of that name; a block whose section the
//! report does not have yet is left as it is. Everything outside the markers is kept byte for
//! byte, and regenerating twice gives the same text.

use serde_json::Value;

const OPEN: &str = "<!-- bench:";
const CLOSE: &str = "<!-- /bench -->";

/// A renderer: a section's `data` (and its stamp line) to Markdown.
type Render = fn(&Value) -> String;

/// The blocks a document may contain, with their renderers. One per report section; a new
/// section adds a line here.
const BLOCKS: &[(&str, Render)] = &[
    ("weight", render_weight),
    ("size-breakdown", render_size_breakdown),
    ("first-node", render_first_node),
    ("page", render_page),
    ("seek", render_seek),
    ("diagram", render_diagram),
    ("memory", render_memory),
    ("simulator", render_simulator),
    ("chaos", render_chaos),
    ("raft-vs-tikv", render_raft_vs_tikv),
    ("mutants", render_mutants),
    ("linearizability", render_linearizability),
];

/// Names of the blocks a document may contain.
pub fn block_names() -> Vec<&'static str> {
    BLOCKS.iter().map(|(n, _)| *n).collect()
}

/// The document with every block whose section is in `report` regenerated.
pub fn regenerate(doc: &str, report: &Value) -> Result<String, String> {
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(start) = rest.find(OPEN) {
        let after_open = &rest[start + OPEN.len()..];
        let name_end = after_open
            .find("-->")
            .ok_or("an unterminated `<!-- bench:` marker")?;
        let name = after_open[..name_end].trim();
        let render = BLOCKS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| *r)
            .ok_or_else(|| {
                format!(
                    "unknown block `bench:{name}` (known: {})",
                    block_names().join(", ")
                )
            })?;
        let open_end = start + OPEN.len() + name_end + "-->".len();
        let body = &rest[open_end..];
        let close = body
            .find(CLOSE)
            .ok_or_else(|| format!("block `bench:{name}` has no `{CLOSE}`"))?;
        if body[..close].contains(OPEN) {
            return Err(format!(
                "block `bench:{name}` is not closed before the next one"
            ));
        }
        out.push_str(&rest[..open_end]);
        match report["sections"].get(name) {
            Some(section) => {
                out.push('\n');
                out.push_str(&render(&section["data"]));
                out.push_str(&stamp_line(&section["stamp"]));
                out.push('\n');
            }
            None => out.push_str(&body[..close]),
        }
        out.push_str(CLOSE);
        rest = &body[close + CLOSE.len()..];
    }
    if rest.contains(CLOSE) {
        return Err(format!("a `{CLOSE}` without its opening marker"));
    }
    out.push_str(rest);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Number formatting.
// ---------------------------------------------------------------------------------------------

/// `1234567` → `1,234,567`.
pub fn int(n: f64) -> String {
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

/// A number with `d` decimals, or `—` if missing.
fn fixed(v: &Value, d: usize) -> String {
    v.as_f64().map_or("—".into(), |x| format!("{x:.d$}"))
}

/// An integer with separators, or `—`.
fn count(v: &Value) -> String {
    v.as_f64().map_or("—".into(), int)
}

/// A share (0–1) as a percentage, or `—`.
fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or("—".into(), |x| format!("{:.1} %", x * 100.0))
}

/// Bytes as `123.4 kB` (1 kB = 1,000 bytes), or `—`.
fn kb(v: &Value) -> String {
    v.as_f64()
        .map_or("—".into(), |x| format!("{:.1} kB", x / 1000.0))
}

/// A ratio as `1.23×`, or `—`.
fn times(v: &Value) -> String {
    v.as_f64().map_or("—".into(), |x| format!("{x:.2}×"))
}

/// A rate per second: `5.36 M`, `445 k`, `58.1`.
fn rate(v: &Value) -> String {
    match v.as_f64() {
        None => "—".into(),
        Some(x) if x >= 1e6 => format!("{:.2} M", x / 1e6),
        Some(x) if x >= 1e4 => format!("{:.0} k", x / 1e3),
        Some(x) => format!("{x:.1}"),
    }
}

/// Milliseconds with a precision that suits them.
fn ms(v: &Value) -> String {
    match v.as_f64() {
        None => "—".into(),
        Some(x) if x < 1.0 => format!("{x:.3} ms"),
        Some(x) if x < 100.0 => format!("{x:.1} ms"),
        Some(x) => format!("{} ms", int(x)),
    }
}

/// A Markdown table row.
fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// A Markdown table header with its separator.
fn header(cells: &[&str]) -> String {
    let names: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
    row(&names) + &row(&vec!["---".to_string(); cells.len()])
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// `_Measured 2026-12-07 01:00 UTC at `abc123` on 2 cores (CPU), load average 1.50 / …._`
fn stamp_line(stamp: &Value) -> String {
    let date = match stamp["date"].as_str() {
        // `2026-12-07T01:02:03Z` → `2026-12-07 01:02 UTC`
        Some(d) if d.len() >= 16 && d.is_char_boundary(16) => {
            format!("{} {} UTC", &d[..10], &d[11..16])
        }
        _ => "at an unknown date".into(),
    };
    let commit = match (stamp["commit"].as_str(), stamp["dirty"].as_bool()) {
        (Some(c), Some(true)) => format!("`{c}` with uncommitted changes"),
        (Some(c), _) => format!("`{c}`"),
        (None, _) => "an unknown commit".into(),
    };
    let m = &stamp["machine"];
    let cores = m["cores"]
        .as_u64()
        .map_or("? cores".into(), |c| format!("{c} cores"));
    let cpu = m["cpu"].as_str().unwrap_or("unknown CPU");
    let load = arr(&m["load"])
        .iter()
        .map(|l| fixed(l, 2))
        .collect::<Vec<_>>()
        .join(" / ");
    format!("\n_Measured {date} at {commit} on {cores} ({cpu}), load average {load}._\n")
}

// ---------------------------------------------------------------------------------------------
// One renderer per section.
// ---------------------------------------------------------------------------------------------

fn render_weight(d: &Value) -> String {
    let mut s = header(&["file", "bytes", "gzip -9", "brotli -q 11"]);
    for f in arr(&d["files"]) {
        s += &row(&[
            format!("`{}`", f["file"].as_str().unwrap_or("?")),
            count(&f["raw"]),
            count(&f["gzip"]),
            count(&f["brotli"]),
        ]);
    }
    let t = &d["first_load"];
    s += &row(&[
        "**first load (all of the above)**".into(),
        format!("**{}**", count(&t["raw"])),
        format!("**{}**", count(&t["gzip"])),
        format!("**{}**", count(&t["brotli"])),
    ]);
    let w = &d["wasm_before_wasm_opt"];
    if w.is_object() {
        s += &row(&[
            "the wasm before `wasm-opt`".into(),
            count(&w["raw"]),
            count(&w["gzip"]),
            count(&w["brotli"]),
        ]);
    }
    s += &format!(
        "\nA first load transfers {} with brotli, {} with gzip.",
        kb(&t["brotli"]),
        kb(&t["gzip"])
    );
    if let Some(profile) = d["cargo_profile"].as_str() {
        s += &format!(" Cargo profile of the page's wasm: `{profile}`.");
    }
    s + "\n"
}

fn render_size_breakdown(d: &Value) -> String {
    let shipped = count(&d["shipped_bytes"]);
    let mut s = format!(
        "Code and data of the release wasm: {shipped} bytes ({} items; the analysis copy also \
         carries {} bytes of function names, left out of every share below).\n\n",
        count(&d["items"]),
        count(&d["custom_section_bytes"])
    );
    // Code names in code font; descriptions (kinds, concerns) in plain text.
    let table = |title: &str, rows: &[Value], limit: usize, code: bool| {
        let mut t = header(&[title, "bytes", "share"]);
        for r in rows.iter().take(limit) {
            let name = r["name"].as_str().unwrap_or("?");
            t += &row(&[
                if code {
                    format!("`{name}`")
                } else {
                    name.to_string()
                },
                count(&r["bytes"]),
                pct(&r["share"]),
            ]);
        }
        t + "\n"
    };
    s += &table("kind", arr(&d["kinds"]), 10, false);
    s += &table("crate", arr(&d["crates"]), 15, true);
    for krate in ["netsplit_core", "netsplit_web"] {
        s += &table(
            &format!("{krate} module"),
            arr(&d["modules"][krate]),
            15,
            true,
        );
    }
    s += &table(
        "cross-cutting (overlapping)",
        arr(&d["concerns"]),
        10,
        false,
    );
    let mut t = header(&["biggest items", "bytes", "share"]);
    for r in arr(&d["top"]) {
        let name = r["name"].as_str().unwrap_or("?");
        let name: String = if name.chars().count() > 110 {
            name.chars().take(107).collect::<String>() + "…"
        } else {
            name.to_string()
        };
        t += &row(&[
            format!("`{}`", name.replace('|', "\\|")),
            count(&r["bytes"]),
            pct(&r["share"]),
        ]);
    }
    s + &t
}

fn render_first_node(d: &Value) -> String {
    let m = &d["median"];
    let mut s = header(&[
        "median of cold loads",
        "first node in the DOM",
        "first frame with it",
        "HTML received",
        "JS received",
        "wasm received",
        "DOMContentLoaded",
    ]);
    s += &row(&[
        format!("{} loads", count(&d["loads"])),
        format!("**{}**", ms(&m["first_node_ms"])),
        ms(&m["first_frame_ms"]),
        ms(&m["html_done_ms"]),
        ms(&m["js_done_ms"]),
        ms(&m["wasm_done_ms"]),
        ms(&m["dom_content_loaded_ms"]),
    ]);
    let each: Vec<String> = arr(&d["all"])
        .iter()
        .map(|l| ms(&l["first_node_ms"]))
        .collect();
    s + &format!("\nEach load, first node: {}.\n", each.join(", "))
}

fn render_page(d: &Value) -> String {
    let mut s = header(&[
        "condition",
        "CPU",
        "busy",
        "of which script",
        "frames/s",
        "frame p95",
        "long tasks (max)",
        "virtual s per s",
        "calibration: busy, frames/s, p95",
        "ratio to calibration: busy, frames/s, p95",
    ]);
    for c in arr(&d["conditions"]) {
        let p = &c["page"];
        let k = &c["calibration"];
        let r = &c["ratio"];
        let throttle = c["throttle"].as_f64().unwrap_or(1.0);
        s += &row(&[
            format!("`{}`", c["condition"].as_str().unwrap_or("?")),
            if throttle > 1.0 {
                format!("{throttle}× throttled")
            } else {
                "full speed".into()
            },
            format!("**{}**", pct(&p["busy"])),
            pct(&p["script"]),
            fixed(&p["fps"], 1),
            ms(&p["frame_p95_ms"]),
            match p["long_tasks"].as_u64() {
                Some(0) => "0".into(),
                _ => format!(
                    "{} ({})",
                    count(&p["long_tasks"]),
                    ms(&p["long_task_max_ms"])
                ),
            },
            fixed(&p["virtual_per_wall"], 2),
            format!(
                "{}, {}, {}",
                pct(&k["busy"]),
                fixed(&k["fps"], 1),
                ms(&k["frame_p95_ms"])
            ),
            format!(
                "{}, {}, {}",
                times(&r["busy"]),
                times(&r["fps"]),
                times(&r["frame_p95"])
            ),
        ]);
    }
    s + &format!(
        "\nMedians of {} windows of {} each, viewport {}×{}.\n",
        count(&d["windows"]),
        ms(&d["window_ms"]),
        count(&d["viewport"]["width"]),
        count(&d["viewport"]["height"])
    )
}

fn render_seek(d: &Value) -> String {
    let mut s = header(&[
        "build",
        "run 10 min (with checkpoints)",
        "seek + snapshot: mean / p50 / p99 / max",
        "step back: mean / max",
    ]);
    let stats = |v: &Value| {
        format!(
            "{} / {} / {} / **{}**",
            ms(&v["mean_ms"]),
            ms(&v["p50_ms"]),
            ms(&v["p99_ms"]),
            ms(&v["max_ms"])
        )
    };
    for (label, key) in [
        ("native, release", "native"),
        ("wasm32 under Node.js", "wasm_node"),
    ] {
        let v = &d[key];
        if !v.is_object() {
            continue;
        }
        s += &row(&[
            label.into(),
            ms(&v["run"]["wall_ms"]),
            stats(&v["seek"]),
            format!(
                "{} / {}",
                ms(&v["step_back"]["mean_ms"]),
                ms(&v["step_back"]["max_ms"])
            ),
        ]);
    }
    let c = &d["chromium"];
    if c.is_object() {
        s += &row(&[
            format!(
                "the page in headless Chromium ({} seeks: slider `input` → seek → render)",
                count(&c["seeks"])
            ),
            format!("{} (opening the link)", ms(&c["open_ms"])),
            stats(c),
            "—".into(),
        ]);
    }
    let n = &d["native"];
    if n["run"].is_object() {
        s += &format!(
            "\nThe run: {} steps, {} events, {} trace lines, {} checkpoints.",
            count(&n["run"]["steps"]),
            count(&n["run"]["events"]),
            count(&n["run"]["trace_lines"]),
            count(&n["run"]["checkpoints"])
        );
    }
    if n["heap"].is_object() {
        s += &format!(
            " Heap (native): {} MB without a timeline, {} MB with it: {} kB per checkpoint.",
            fixed(&n["heap"]["without_timeline_mb"], 1),
            fixed(&n["heap"]["with_timeline_mb"], 1),
            fixed(&n["heap"]["per_checkpoint_kb"], 1)
        );
    }
    if let Some(p) = d["wasm_profile"].as_str() {
        s += &format!(" The wasm is built with the page's cargo profile, `{p}`.");
    }
    s + "\n"
}

fn render_diagram(d: &Value) -> String {
    let mut s = header(&[
        "zoom",
        "drawn as",
        "repaints",
        "repaint (scene + paint): p50 / p95 / max",
        "frame interval: p50 / p95",
        "frames/s",
    ]);
    for (label, key) in [
        ("default", "arrows"),
        ("one minute per screen", "one_minute"),
        ("the whole run", "whole_run"),
    ] {
        let v = &d["levels"][key];
        if !v.is_object() {
            continue;
        }
        s += &row(&[
            label.into(),
            v["lod"].as_str().unwrap_or("—").into(),
            count(&v["repaints"]),
            format!(
                "{} / {} / **{}**",
                ms(&v["draw_p50_ms"]),
                ms(&v["draw_p95_ms"]),
                ms(&v["draw_max_ms"])
            ),
            format!("{} / {}", ms(&v["frame_p50_ms"]), ms(&v["frame_p95_ms"])),
            fixed(&d["levels"][key]["fps"], 1),
        ]);
    }
    let mb = |v: &Value| {
        v.as_f64()
            .map_or("—".into(), |b| format!("{:.1} MB", b / 1e6))
    };
    s += &format!(
        "\nThe run: {} trace entries, {} messages; the canvas {}×{} CSS px. Memory of the session: JS heap {}, wasm linear memory {}.\n",
        count(&d["entries"]),
        count(&d["messages"]),
        count(&d["canvas"]["width"]),
        count(&d["canvas"]["height"]),
        mb(&d["memory"]["js_heap_bytes"]),
        mb(&d["memory"]["wasm_bytes"])
    );
    s
}

fn render_memory(d: &Value) -> String {
    let mut s = header(&[
        "after",
        "virtual time",
        "events",
        "renderer (resident)",
        "JS heap",
        "wasm linear memory",
    ]);
    let mb = |v: &Value| {
        v.as_f64()
            .map_or("—".into(), |b| format!("{:.1} MB", b / 1e6))
    };
    for r in arr(&d["rows"]) {
        let label = r["label"].as_str().unwrap_or("?");
        let bold = |x: String| {
            if label == "1 h" || label.starts_with(&format!("{} h", d["hours"])) {
                format!("**{x}**")
            } else {
                x
            }
        };
        s += &row(&[
            label.into(),
            format!(
                "{} min",
                fixed(&(r["virtual_ms"].as_f64().map(|x| x / 60_000.0).into()), 0)
            ),
            count(&r["events"]),
            bold(mb(&r["renderer_rss_bytes"])),
            mb(&r["js_heap_bytes"]),
            bold(mb(&r["wasm_bytes"])),
        ]);
    }
    let per_hour: Vec<f64> = arr(&d["advance_ms_per_hour"])
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    if !per_hour.is_empty() {
        let mean = per_hour.iter().sum::<f64>() / per_hour.len() as f64;
        s += &format!(
            "\nEach virtual hour took {:.1} s to run on average; a seek back into forgotten history (30 minutes in) took {} and landed exactly there.\n",
            mean / 1000.0,
            ms(&d["seek_back_ms"])
        );
    }
    s
}

fn render_simulator(d: &Value) -> String {
    let mut s = header(&[
        "protocol",
        "virtual time",
        "events",
        "native events/s",
        "wasm, Node.js",
        "wasm, Chromium",
        "wasm / native (Node, Chromium)",
        "trace hash",
    ]);
    for r in arr(&d["runs"]) {
        let same = r["hashes_match"].as_bool();
        s += &row(&[
            format!("`{}`", r["protocol"].as_str().unwrap_or("?")),
            format!(
                "{} s",
                fixed(&(r["virtual_ms"].as_f64().map(|x| x / 1000.0).into()), 0)
            ),
            count(&r["events"]),
            format!("**{}**", rate(&r["native"]["events_per_s"])),
            rate(&r["wasm_node"]["events_per_s"]),
            rate(&r["wasm_chromium"]["events_per_s"]),
            format!(
                "{}, {}",
                times(&r["ratio"]["wasm_node"]),
                times(&r["ratio"]["wasm_chromium"])
            ),
            format!(
                "`{}` {}",
                r["native"]["trace_hash"].as_str().unwrap_or("?"),
                match same {
                    Some(true) => "(identical everywhere)",
                    Some(false) => "(**DIFFERS** between builds)",
                    None => "",
                }
            ),
        ]);
    }
    if let Some(p) = d["wasm_profile"].as_str() {
        s += &format!("\nThe wasm is built with the page's cargo profile, `{p}`.\n");
    }
    s
}

fn render_chaos(d: &Value) -> String {
    let mut s = header(&[
        "protocol",
        "seeds × events",
        "wall time (1 thread)",
        "seeds/s (wall)",
        "CPU time",
        "seeds/s per core (CPU)",
        "events/s (wall)",
        "violations found",
    ]);
    for r in arr(&d["runs"]) {
        let cpu = |v: &Value, f: &dyn Fn(&Value) -> String| {
            if v.is_null() {
                "—".to_string()
            } else {
                f(v)
            }
        };
        s += &row(&[
            format!("`{}`", r["protocol"].as_str().unwrap_or("?")),
            format!("{} × {}", count(&r["seeds"]), count(&r["events_per_seed"])),
            format!("{} s", fixed(&r["wall_s"], 2)),
            fixed(&r["seeds_per_s"], 1),
            cpu(&r["cpu_s"], &|v| format!("{} s", fixed(v, 2))),
            cpu(&r["seeds_per_cpu_s"], &|v| format!("**{}**", fixed(v, 1))),
            rate(&r["events_per_s"]),
            count(&r["violations"]),
        ]);
    }
    s
}

fn render_mutants(d: &Value) -> String {
    let per = count(&d["seeds_per_range"]);
    let mut s = header(&[
        "protocol",
        "mutant",
        "caught in ranges",
        "seeds to first catch: median",
        "best / worst",
        "first caught by",
    ]);
    let seeds = |v: &Value| v.as_u64().map_or(format!("> {per}"), |n| n.to_string());
    for r in arr(&d["mutants"]) {
        s += &row(&[
            format!("`{}`", r["protocol"].as_str().unwrap_or("?")),
            format!("`{}`", r["mutant"].as_str().unwrap_or("?")),
            format!("{} of {}", count(&r["caught_ranges"]), count(&r["ranges"])),
            format!("**{}**", seeds(&r["median"])),
            format!("{} / {}", seeds(&r["best"]), seeds(&r["worst"])),
            arr(&r["checkers"])
                .iter()
                .map(|c| format!("`{}`", c.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    s
}

fn render_raft_vs_tikv(d: &Value) -> String {
    let mut s = header(&[
        "servers",
        "client pipeline",
        "netsplit commits/s",
        "tikv `raft` commits/s",
        "netsplit / tikv",
        "messages per commit (netsplit, tikv)",
    ]);
    for r in arr(&d["runs"]) {
        s += &row(&[
            count(&r["servers"]),
            count(&r["depth"]),
            rate(&r["netsplit"]["commits_per_s"]),
            rate(&r["tikv"]["commits_per_s"]),
            format!("**{}**", times(&r["ratio"])),
            format!(
                "{}, {}",
                fixed(&r["netsplit"]["messages_per_commit"], 2),
                fixed(&r["tikv"]["messages_per_commit"], 2)
            ),
        ]);
    }
    for f in arr(&d["failed"]) {
        s += &row(&[
            count(&f["servers"]),
            count(&f["depth"]),
            format!("failed: {}", f["error"].as_str().unwrap_or("?")),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    let append_bytes = d["max_batch"]
        .as_f64()
        .zip(d["tikv_entry_bytes"].as_f64())
        .map_or(Value::Null, |(b, e)| Value::from(b * e));
    let checked = if arr(&d["failed"]).is_empty() {
        "Every round of both passed the check."
    } else {
        "The configurations marked failed did not run through or did not pass the check."
    };
    s += &format!(
        "\n{} commits timed per round after {} of warm-up, median of {} rounds, one thread; \
         values of {} bytes; at most {} entries per append (tikv: {} bytes, {} entries of {} \
         bytes) and {} appends in flight per follower. {checked}\n",
        count(&d["commits"]),
        count(&d["warmup"]),
        count(&d["rounds"]),
        count(&d["payload"]),
        count(&d["max_batch"]),
        count(&append_bytes),
        count(&d["max_batch"]),
        count(&d["tikv_entry_bytes"]),
        count(&d["max_inflight"]),
    );
    s
}

fn render_linearizability(d: &Value) -> String {
    let mut s = header(&[
        "operations",
        "clients × keys",
        "unanswered",
        "check: median",
        "min / max",
    ]);
    for r in arr(&d["sizes"]) {
        s += &row(&[
            count(&r["ops"]),
            format!("{} × {}", count(&r["clients"]), count(&r["keys"])),
            count(&r["unanswered"]),
            format!("**{}**", ms(&r["ms_median"])),
            format!("{} / {}", ms(&r["ms_min"]), ms(&r["ms_max"])),
        ]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "format": "netsplit-bench",
            "version": 1,
            "sections": {
                "chaos": {
                    "stamp": {
                        "date": "2026-12-07T01:02:03Z",
                        "commit": "abc123",
                        "dirty": false,
                        "machine": { "cores": 2, "cpu": "Test CPU", "load": [1.5, 2.0, 2.25] },
                    },
                    "data": { "runs": [
                        { "protocol": "raft", "seeds": 200, "events_per_seed": 20000,
                          "wall_s": 3.4567, "seeds_per_s": 57.86, "events_per_s": 1234567.0,
                          "cpu_s": 2.5, "seeds_per_cpu_s": 80.0 },
                    ] },
                },
            },
        })
    }

    const DOC: &str = "# Benchmarks\n\nProse stays.\n\n<!-- bench:chaos -->\nold table\n<!-- /bench -->\n\nMore prose.\n\n<!-- bench:seek -->\nnot measured yet\n<!-- /bench -->\n";

    #[test]
    fn regenerates_blocks_and_keeps_prose() {
        let out = regenerate(DOC, &report()).unwrap();
        assert!(out.starts_with("# Benchmarks\n\nProse stays.\n\n<!-- bench:chaos -->\n"));
        assert!(
            out.contains("| `raft` | 200 × 20,000 | 3.46 s | 57.9 | 2.50 s | **80.0** | 1.23 M |"),
            "{out}"
        );
        assert!(out.contains("_Measured 2026-12-07 01:02 UTC at `abc123` on 2 cores (Test CPU), load average 1.50 / 2.00 / 2.25._"), "{out}");
        assert!(!out.contains("old table"));
        assert!(out.contains("<!-- /bench -->\n\nMore prose.\n\n"));
        // No seek section in the report: its block is left alone.
        assert!(out.contains("<!-- bench:seek -->\nnot measured yet\n<!-- /bench -->\n"));
    }

    #[test]
    fn regeneration_is_idempotent() {
        let once = regenerate(DOC, &report()).unwrap();
        let twice = regenerate(&once, &report()).unwrap();
        assert_eq!(once, twice);
    }

    #[test]
    fn bad_markers_are_errors() {
        let r = report();
        assert!(regenerate("<!-- bench:nope -->x<!-- /bench -->", &r)
            .unwrap_err()
            .contains("unknown block `bench:nope`"));
        assert!(regenerate("<!-- bench:chaos -->x", &r)
            .unwrap_err()
            .contains("no `<!-- /bench -->`"));
        assert!(regenerate("x<!-- /bench -->", &r)
            .unwrap_err()
            .contains("without its opening"));
        assert!(regenerate(
            "<!-- bench:chaos -->a<!-- bench:seek -->b<!-- /bench -->",
            &r
        )
        .unwrap_err()
        .contains("not closed"));
        assert!(regenerate("<!-- bench:chaos", &r).is_err());
        assert_eq!(regenerate("no markers", &r).unwrap(), "no markers");
    }

    #[test]
    fn every_block_renders_missing_data_without_panicking() {
        for (name, render) in BLOCKS {
            let text = render(&Value::Null);
            assert!(
                text.starts_with('|') || text.contains('|'),
                "{name}: {text}"
            );
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(int(0.0), "0");
        assert_eq!(int(999.0), "999");
        assert_eq!(int(1000.0), "1,000");
        assert_eq!(int(1_898_325.0), "1,898,325");
        assert_eq!(int(-12345.0), "-12,345");
        assert_eq!(rate(&json!(5_360_000.0)), "5.36 M");
        assert_eq!(rate(&json!(445_634.0)), "446 k");
        assert_eq!(rate(&json!(58.06)), "58.1");
        assert_eq!(ms(&json!(0.0441)), "0.044 ms");
        assert_eq!(ms(&json!(13.64)), "13.6 ms");
        assert_eq!(ms(&json!(1234.0)), "1,234 ms");
        assert_eq!(pct(&json!(0.1149)), "11.5 %");
        assert_eq!(kb(&json!(481_851)), "481.9 kB");
        assert_eq!(times(&json!(1.234)), "1.23×");
        assert_eq!(ms(&Value::Null), "—");
    }
}
