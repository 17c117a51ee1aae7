//! The benchmark report: one JSON file (`target/bench/report.json`) holding every section's
//! latest figures, each stamped with when, at which commit and on what machine it was measured.
//! Running a subset of sections merges into the existing report and keeps the others.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::process::Cmd;

/// `format` field of the report.
pub const FORMAT: &str = "netsplit-bench";
/// Version of the report's layout.
pub const VERSION: u64 = 1;

/// An empty report.
pub fn empty() -> Value {
    json!({ "format": FORMAT, "version": VERSION, "sections": {} })
}

/// Reads the report at `path`; a missing file is an empty report, anything else unreadable an
/// error (never silently overwritten).
pub fn load(path: &Path) -> Result<Value, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(empty()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let report: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    if report["format"] != FORMAT || !report["sections"].is_object() {
        return Err(format!(
            "{} is not a netsplit benchmark report (move it away to start afresh)",
            path.display()
        ));
    }
    Ok(report)
}

/// Writes the report (pretty JSON), creating its folder.
pub fn save(path: &Path, report: &Value) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(report).unwrap_or_default() + "\n";
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Puts one section's result into the report (replacing an older one of the same name).
pub fn merge(report: &mut Value, name: &str, stamp: Value, data: Value) {
    if !report["sections"].is_object() {
        report["sections"] = Value::Object(Map::new());
    }
    report["sections"][name] = json!({ "stamp": stamp, "data": data });
}

/// When, where and on what the figures were measured.
pub fn stamp(root: &Path) -> Value {
    let git = |args: &[&str]| {
        Cmd::new("git")
            .args(args.iter().copied())
            .dir(root)
            .quiet_output()
            .map(|s| s.trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    // Uncommitted changes, except to the document the benchmark itself rewrites.
    let dirty = git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        ":(exclude)docs/benchmarks.md",
    ])
    .map(|s| !s.is_empty());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({
        "date": utc(secs),
        "commit": commit,
        "dirty": dirty,
        "machine": {
            "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
            "cpu": cpu_model(&cpuinfo),
            "load": load_average(&loadavg),
        },
    })
}

/// The first `model name` of `/proc/cpuinfo`.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

/// The 1, 5 and 15-minute load averages of `/proc/loadavg`.
pub fn load_average(loadavg: &str) -> Option<[f64; 3]> {
    let mut it = loadavg.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// `2026-12-07T01:02:03Z` for seconds since the Unix epoch.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_605_233), "2026-12-07T01:00:33Z");
    }

    #[test]
    fn machine_facts() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: x\n\
                       processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) Processor")
        );
        assert_eq!(cpu_model(""), None);
        assert_eq!(
            load_average("1.55 2.52 2.44 3/321 9999\n"),
            Some([1.55, 2.52, 2.44])
        );
        assert_eq!(load_average("1.0"), None);
    }

    #[test]
    fn merge_keeps_other_sections() {
        let mut report = empty();
        merge(&mut report, "weight", json!({"date": "a"}), json!({"x": 1}));
        merge(&mut report, "chaos", json!({"date": "b"}), json!({"y": 2}));
        merge(&mut report, "weight", json!({"date": "c"}), json!({"x": 3}));
        assert_eq!(report["sections"]["weight"]["data"]["x"], 3);
        assert_eq!(report["sections"]["weight"]["stamp"]["date"], "c");
        assert_eq!(report["sections"]["chaos"]["data"]["y"], 2);
    }

    #[test]
    fn load_and_save_round_trip() {
        let dir = std::env::temp_dir().join(format!("xtask-report-{}", std::process::id()));
        let path = dir.join("nested").join("report.json");
        assert_eq!(load(&path).unwrap(), empty(), "a missing report is empty");
        let mut report = empty();
        merge(&mut report, "seek", json!({}), json!({"p99": 1.5}));
        save(&path, &report).unwrap();
        assert_eq!(load(&path).unwrap(), report);
        std::fs::write(&path, "{\"format\": \"other\"}").unwrap();
        assert!(load(&path)
            .unwrap_err()
            .contains("not a netsplit benchmark report"));
        std::fs::write(&path, "not json").unwrap();
        assert!(load(&path).unwrap_err().contains("not valid JSON"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
