//! Reading what the measuring programs print: `BENCH {json}` result lines, the seek benchmark's
//! text lines, the CLI's list of protocols, and twiggy's item list (grouped into a size
//! breakdown).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::counts::strip_ansi;

/// Every `BENCH {json}` line in `output` (anywhere in a line: runners prefix their output).
pub fn bench_lines(output: &str) -> Result<Vec<Value>, String> {
    strip_ansi(output)
        .lines()
        .filter_map(|line| line.find("BENCH {").map(|i| &line[i + "BENCH ".len()..]))
        .map(|text| {
            serde_json::from_str(text.trim())
                .map_err(|e| format!("unreadable result line `BENCH {text}`: {e}"))
        })
        .collect()
}

/// The one `BENCH` result of a script, or an error saying what was printed instead.
pub fn single_result(output: &str) -> Result<Value, String> {
    let mut lines = bench_lines(output)?;
    match lines.len() {
        1 => Ok(lines.remove(0)),
        0 => Err("it printed no `BENCH {…}` result line".into()),
        n => Err(format!("it printed {n} result lines, expected one")),
    }
}

/// The protocol ids of `netsplit protocols`: the first word of each line (`raft     Raft — …`).
pub fn protocols(listing: &str) -> Option<Vec<String>> {
    let ids: Vec<String> = strip_ansi(listing)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let valid = ids.iter().all(|p| {
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    (!ids.is_empty() && valid).then_some(ids)
}

/// The mutant names of `netsplit chaos --list-mutants`: the first word of each indented
/// line (the header line is not indented).
pub fn mutant_names(listing: &str) -> Vec<String> {
    strip_ansi(listing)
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .map(str::to_string)
        .collect()
}

/// The first decimal number in `text`.
fn number(text: &str) -> Option<f64> {
    numbers(text).into_iter().next()
}

/// Every decimal number in `text`, in order.
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|w| w.trim_matches('.').parse::<f64>().ok())
        .collect()
}

/// `mean 0.044 ms, p50 0.043 ms, …` → `{"mean_ms": 0.044, "p50_ms": 0.043, …}`.
fn stat_line(rest: &str) -> Value {
    let mut out = Map::new();
    for segment in rest.split(',') {
        let mut words = segment.split_whitespace();
        if let (Some(name), Some(value)) = (words.next(), words.next()) {
            if let Ok(v) = value.parse::<f64>() {
                out.insert(format!("{name}_ms"), json!(v));
            }
        }
    }
    Value::Object(out)
}

/// The lines of `core/tests/seek_bench.rs` that start with `prefix` (`native` or `wasm`):
/// the run, the heap (native only), the seeks and the steps back.
pub fn seek_lines(output: &str, prefix: &str) -> Result<Value, String> {
    let mut out = Map::new();
    let start = format!("{prefix} ");
    for line in strip_ansi(output).lines() {
        let Some(rest) = line.trim().strip_prefix(&start) else {
            continue;
        };
        let Some((label, rest)) = rest.split_once(": ") else {
            continue;
        };
        match label {
            "run 10 min" => {
                let mut run = Map::new();
                for segment in rest.split(", ") {
                    let Some(v) = number(segment) else { continue };
                    let key = if segment.contains("ms wall") {
                        "wall_ms".to_string()
                    } else {
                        segment
                            .split_whitespace()
                            .skip(1)
                            .collect::<Vec<_>>()
                            .join("_")
                    };
                    run.insert(key, json!(v));
                }
                out.insert("run".into(), Value::Object(run));
            }
            "heap" => {
                let n = numbers(rest);
                if let [plain, with, checkpoints, each] = n[..] {
                    out.insert(
                        "heap".into(),
                        json!({
                            "without_timeline_mb": plain,
                            "with_timeline_mb": with,
                            "checkpoints": checkpoints,
                            "per_checkpoint_kb": each,
                        }),
                    );
                }
            }
            "seek + snapshot" => {
                out.insert("seek".into(), stat_line(rest));
            }
            "step back + snapshot" => {
                out.insert("step_back".into(), stat_line(rest));
            }
            _ => {}
        }
    }
    if !out.contains_key("seek") {
        return Err(format!(
            "no `{prefix} seek + snapshot: …` line in the output"
        ));
    }
    Ok(Value::Object(out))
}

/// A twiggy item name without its symbol hash (`…::h0123456789abcdef`) and without the crate
/// disambiguators of v0 mangling (`core[c5930c85a12de822]::fmt` → `core::fmt`: 8 or more hex
/// digits in brackets right after a name).
pub fn clean_name(name: &str) -> String {
    let name = match name.rfind("::h") {
        Some(i) if name.len() - i == 19 && name[i + 3..].chars().all(|c| c.is_ascii_hexdigit()) => {
            &name[..i]
        }
        _ => name,
    };
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let close = rest[open..].find(']').map(|c| open + c);
        match close {
            Some(close)
                if close >= open + 9
                    && rest[open + 1..close].chars().all(|c| c.is_ascii_hexdigit())
                    && rest[..open].ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
            {
                out.push_str(&rest[..open]);
                rest = &rest[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What kind of item twiggy reports: a custom section (debug names, producers), data, wasm
/// bookkeeping, or code (`None`).
fn non_code_kind(name: &str) -> Option<&'static str> {
    if name.contains("custom section") || name.contains("subsection") {
        Some("custom sections (names: absent from the shipped wasm)")
    } else if name.starts_with("data segment") || name.starts_with("data[") {
        Some("data segments (strings, constant tables)")
    } else if [
        "table[",
        "elem[",
        "type[",
        "import ",
        "export ",
        "global[",
        "memory[",
        "code section headers",
        "wasm magic bytes",
        "section headers",
        "start",
    ]
    .iter()
    .any(|p| name.starts_with(p))
    {
        Some("wasm structure (imports, exports, types, tables)")
    } else {
        None
    }
}

/// The crate an item of code belongs to: the leading path of its symbol; for
/// `<Type as Trait>::method` the type's crate, unless the type is a std one (`core`, `alloc`,
/// `std`) or a primitive and the trait's crate says more (serde's impls on `Vec<T>` count as
/// serde); wasm-bindgen's generated glue and unnamed functions get their own rows.
pub fn crate_of(name: &str) -> String {
    let cleaned = clean_name(name);
    let name = cleaned.as_str();
    if name.starts_with("__wbg")
        || name.starts_with("__wbindgen")
        || name.starts_with("__externref")
    {
        return "wasm-bindgen glue".into();
    }
    let lead = |s: &str| -> Option<String> {
        let s = s.trim_start_matches(['<', '&', '(', '[', '*', ' ']);
        let s = s
            .strip_prefix("mut ")
            .or_else(|| s.strip_prefix("dyn "))
            .or_else(|| s.strip_prefix("const "))
            .unwrap_or(s);
        let end = s.find("::")?;
        let ident = &s[..end];
        (!ident.is_empty() && ident.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .then(|| ident.to_string())
    };
    if let Some(rest) = name.strip_prefix('<') {
        // `<Type as Trait>::…`: find the top-level ` as `.
        let mut depth = 0usize;
        let mut split = None;
        for (i, c) in rest.char_indices() {
            match c {
                '<' => depth += 1,
                '>' if depth == 0 => break,
                '>' => depth -= 1,
                ' ' if depth == 0 && rest[i..].starts_with(" as ") => {
                    split = Some(i);
                    break;
                }
                _ => {}
            }
        }
        if let Some(i) = split {
            let ty = lead(&rest[..i]);
            let tr = lead(&rest[i + 4..]);
            return match (ty, tr) {
                (Some(t), Some(tr)) if matches!(t.as_str(), "core" | "alloc" | "std") => tr,
                (Some(t), _) => t,
                (None, Some(tr)) => tr,
                (None, None) => "other (unnamed or compiler-generated)".into(),
            };
        }
    }
    lead(name).unwrap_or_else(|| "other (unnamed or compiler-generated)".into())
}

/// The module of a crate an item belongs to, at the first mention of `krate::` in its name:
/// `netsplit_core::kernel::sim::…` → `kernel::sim`, `netsplit_core::protocols::raft::…` →
/// `protocols::raft` (the core's four top folders are too coarse alone), `yew::html::…` →
/// `html`.
pub fn module_of<'a>(name: &'a str, krate: &str) -> Option<&'a str> {
    let needle = format!("{krate}::");
    let i = name.find(&needle)?;
    let rest = &name[i + needle.len()..];
    let segment = |from: usize| {
        rest[from..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(rest.len(), |e| from + e)
    };
    let end = segment(0);
    if end == 0 {
        return None;
    }
    let folder = matches!(&rest[..end], "kernel" | "run" | "protocols" | "checkers");
    if folder && rest[end..].starts_with("::") {
        let next = segment(end + 2);
        if next > end + 2 {
            return Some(&rest[..next]);
        }
    }
    Some(&rest[..end])
}

/// Cross-cutting groups (they overlap each other and the crates): the kinds of code the
/// issue asks about.
const CONCERNS: &[(&str, &[&str])] = &[
    (
        "serde (Serialize / Deserialize impls and their helpers)",
        &["serde"],
    ),
    (
        "formatting (`core::fmt`, Display / Debug impls)",
        &["core::fmt", "as core::fmt::"],
    ),
    ("Debug impls alone", &["as core::fmt::Debug>"]),
    ("panics (`panic` in the name)", &["panic"]),
    (
        "chaos search (`netsplit_core::run::chaos`)",
        &["netsplit_core::run::chaos"],
    ),
];

/// Sorted `(name, bytes)` rows, biggest first, from a map.
fn rows(map: BTreeMap<String, u64>, total: u64) -> Value {
    let mut v: Vec<(String, u64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Value::Array(
        v.into_iter()
            .map(|(name, bytes)| {
                json!({ "name": name, "bytes": bytes, "share": bytes as f64 / total.max(1) as f64 })
            })
            .collect(),
    )
}

/// Groups twiggy's `top --format json` items (`name`, `shallow_size`) into a breakdown:
/// totals, non-code kinds, crates, the modules of netsplit's own crates, cross-cutting concerns
/// and the `top` biggest items. Shares are of the bytes without custom sections (what ships).
pub fn breakdown(items: &[Value], top: usize) -> Result<Value, String> {
    let mut all: Vec<(String, u64)> = Vec::with_capacity(items.len());
    for item in items {
        let name = item["name"]
            .as_str()
            .ok_or("a twiggy item without a name")?;
        let size = item["shallow_size"]
            .as_u64()
            .ok_or("a twiggy item without a shallow_size")?;
        all.push((name.to_string(), size));
    }
    let total: u64 = all.iter().map(|(_, s)| s).sum();
    let custom: u64 = all
        .iter()
        .filter(|(n, _)| non_code_kind(n).is_some_and(|k| k.starts_with("custom")))
        .map(|(_, s)| s)
        .sum();
    let shipped = total - custom;
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut crates: BTreeMap<String, u64> = BTreeMap::new();
    let mut own: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    let mut concerns: BTreeMap<String, u64> = BTreeMap::new();
    for (raw, size) in &all {
        let cleaned = clean_name(raw);
        let name = &cleaned;
        if let Some(kind) = non_code_kind(name) {
            // Custom sections are counted apart (`custom_section_bytes`): they do not ship.
            if !kind.starts_with("custom") {
                *kinds.entry(kind.to_string()).or_default() += size;
            }
            continue;
        }
        *kinds.entry("code (functions)".into()).or_default() += size;
        *crates.entry(crate_of(name)).or_default() += size;
        for krate in ["netsplit_core", "netsplit_web"] {
            if let Some(module) = module_of(name, krate) {
                *own.entry(krate)
                    .or_default()
                    .entry(module.to_string())
                    .or_default() += size;
            }
        }
        for (concern, needles) in CONCERNS {
            if needles.iter().any(|n| name.contains(n)) {
                *concerns.entry((*concern).to_string()).or_default() += size;
            }
        }
    }
    let mut biggest = all.clone();
    biggest.retain(|(n, _)| non_code_kind(n).is_none());
    for item in &mut biggest {
        item.0 = clean_name(&item.0);
    }
    biggest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    biggest.truncate(top);
    let modules: Map<String, Value> = own
        .into_iter()
        .map(|(krate, m)| (krate.to_string(), rows(m, shipped)))
        .collect();
    Ok(json!({
        "total_bytes": total,
        "custom_section_bytes": custom,
        "shipped_bytes": shipped,
        "items": all.len(),
        "kinds": rows(kinds, shipped),
        "crates": rows(crates, shipped),
        "modules": modules,
        "concerns": rows(concerns, shipped),
        "top": biggest.into_iter().map(|(name, bytes)| json!({
            "name": name,
            "bytes": bytes,
            "share": bytes as f64 / shipped.max(1) as f64,
        })).collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines() {
        let out = "Compiling…\n\u{1b}[32mBENCH {\"a\": 1}\u{1b}[0m\n    log: BENCH {\"b\": [2]}\nBENCH is a word\n";
        let lines = bench_lines(out).unwrap();
        assert_eq!(lines, vec![json!({"a": 1}), json!({"b": [2]})]);
        assert!(bench_lines("BENCH {oops").is_err());
        assert_eq!(
            single_result("x\nBENCH {\"k\":2}\n").unwrap(),
            json!({"k": 2})
        );
        assert!(single_result("nothing").unwrap_err().contains("no `BENCH"));
        assert!(single_result("BENCH {}\nBENCH {}")
            .unwrap_err()
            .contains("2 result lines"));
    }

    #[test]
    fn mutant_list_from_the_cli() {
        let out = "mutants of raft (not compiled in: build with …):\n  forget-vote    votedFor is not persisted\n  commit-old-term   a leader commits …\n";
        assert_eq!(mutant_names(out), ["forget-vote", "commit-old-term"]);
        assert!(mutant_names("raft has no mutants\n").is_empty());
    }

    #[test]
    fn protocol_list_from_the_cli() {
        let listing = "raft     Raft — consensus (Ongaro & Ousterhout, 2014); 1–9 servers\ndynamo   Dynamo-style store — … (also: kv)\n2pc      Two-phase commit — …\n";
        assert_eq!(protocols(listing).unwrap(), ["raft", "dynamo", "2pc"]);
        assert_eq!(protocols(""), None);
        assert_eq!(protocols("<script> x"), None);
    }

    #[test]
    fn seek_bench_output() {
        let out = "\
running 1 test
native run 10 min: 56.0 ms wall, 98855 steps, 95910 events, 196455 trace lines, 601 checkpoints
native heap: 17.4 MB without a timeline, 39.2 MB with 601 checkpoints (36.2 KB each)
native seek + snapshot: mean 0.044 ms, p50 0.043 ms, p99 0.086 ms, max 0.108 ms
native step back + snapshot: mean 0.027 ms, p50 0.020 ms, p99 0.040 ms, max 0.051 ms
wasm seek + snapshot: mean 9 ms, p50 9 ms, p99 9 ms, max 9 ms
";
        let v = seek_lines(out, "native").unwrap();
        assert_eq!(v["run"]["wall_ms"], 56.0);
        assert_eq!(v["run"]["steps"], 98855.0);
        assert_eq!(v["run"]["trace_lines"], 196455.0);
        assert_eq!(v["run"]["checkpoints"], 601.0);
        assert_eq!(v["heap"]["per_checkpoint_kb"], 36.2);
        assert_eq!(v["seek"]["p99_ms"], 0.086);
        assert_eq!(v["seek"]["max_ms"], 0.108);
        assert_eq!(v["step_back"]["mean_ms"], 0.027);
        let w = seek_lines(out, "wasm").unwrap();
        assert_eq!(w["seek"]["mean_ms"], 9.0);
        assert!(w.get("heap").is_none());
        assert!(seek_lines("native run 10 min: 1 ms wall", "native").is_err());
    }

    #[test]
    fn crates_of_symbols() {
        let c = |s| crate_of(s);
        assert_eq!(
            c("netsplit_core::sim::Simulator<N>::dispatch::h4b37433557ed10e4"),
            "netsplit_core"
        );
        assert_eq!(
            c("<core::marker::PhantomData<T> as serde_core::de::DeserializeSeed>::deserialize::h5b46c1c9b197d925"),
            "serde_core"
        );
        assert_eq!(
            c("<netsplit_web::app::App as yew::functional::FunctionProvider>::run::h926fac90903c6372"),
            "netsplit_web"
        );
        assert_eq!(c("<&T as core::fmt::Display>::fmt"), "core");
        assert_eq!(
            c("<alloc::vec::Vec<T,A> as core::clone::Clone>::clone"),
            "core"
        );
        assert_eq!(c("__wbindgen_malloc"), "wasm-bindgen glue");
        assert_eq!(c("dlmalloc"), "other (unnamed or compiler-generated)");
        assert_eq!(c("code[1234]"), "other (unnamed or compiler-generated)");
        assert_eq!(c("core::fmt::write"), "core");
    }

    #[test]
    fn modules_and_hashes() {
        assert_eq!(
            module_of(
                "<netsplit_core::raft::msg::Msg as serde::Serialize>::serialize",
                "netsplit_core"
            ),
            Some("raft")
        );
        assert_eq!(
            module_of(
                "<netsplit_core::protocols::raft::msg::RaftMsg as serde::Serialize>::serialize",
                "netsplit_core"
            ),
            Some("protocols::raft")
        );
        assert_eq!(
            module_of(
                "netsplit_core::kernel::sim::Simulator<M>::dispatch",
                "netsplit_core"
            ),
            Some("kernel::sim")
        );
        assert_eq!(
            module_of("netsplit_core::run", "netsplit_core"),
            Some("run")
        );
        assert_eq!(module_of("yew::html::x", "netsplit_core"), None);
        assert_eq!(clean_name("a::b::h0123456789abcdef"), "a::b");
        assert_eq!(clean_name("a::hello"), "a::hello");
        assert_eq!(
            clean_name("<f64 as core[c5930c85a12de822]::fmt::Display>::fmt"),
            "<f64 as core::fmt::Display>::fmt"
        );
        assert_eq!(clean_name("data[0]"), "data[0]");
        assert_eq!(clean_name("[T]::sort"), "[T]::sort");
        assert_eq!(
            crate_of("<f64 as core[c5930c85a12de822]::fmt::Display>::fmt"),
            "core"
        );
    }

    #[test]
    fn breakdown_groups_and_shares() {
        let items = json!([
            {"name": "\"function names\" subsection", "shallow_size": 100},
            {"name": "data segment \".rodata\"", "shallow_size": 50},
            {"name": "netsplit_core::chaos::run::h0123456789abcdef", "shallow_size": 30},
            {"name": "<netsplit_core::raft::Msg as serde::ser::Serialize>::serialize", "shallow_size": 15},
            {"name": "core::fmt::write", "shallow_size": 5},
        ]);
        let b = breakdown(items.as_array().unwrap(), 2).unwrap();
        assert_eq!(b["total_bytes"], 200);
        assert_eq!(b["shipped_bytes"], 100);
        assert_eq!(b["crates"][0]["name"], "netsplit_core");
        assert_eq!(b["crates"][0]["bytes"], 45);
        assert_eq!(b["modules"]["netsplit_core"][0]["name"], "chaos");
        assert_eq!(b["top"].as_array().unwrap().len(), 2);
        assert_eq!(b["top"][0]["name"], "netsplit_core::chaos::run");
        let concerns = b["concerns"].as_array().unwrap();
        let serde = concerns
            .iter()
            .find(|r| r["name"].as_str().unwrap().starts_with("serde"))
            .unwrap();
        assert_eq!(serde["bytes"], 15);
        // Ties go alphabetically; custom sections are not a kind of shipped bytes.
        assert_eq!(b["kinds"][0]["name"], "code (functions)");
        assert_eq!(
            b["kinds"][1]["name"],
            "data segments (strings, constant tables)"
        );
        assert_eq!(b["kinds"][1]["share"], 0.5);
        assert_eq!(b["kinds"].as_array().unwrap().len(), 2);
        assert!(breakdown(&[json!({"name": "x"})], 1).is_err());
    }
}
