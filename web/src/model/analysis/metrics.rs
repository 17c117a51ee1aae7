//! Metrics over time, in buckets of virtual time up to now: operation latency (p50, p99),
//! availability (the share of finished operations answered successfully), messages per
//! operation, leader changes and stale reads — from the trace index and the client history —
//! and their CSV export.

use super::history::{Anomaly, HistoryOp, OpStatus};
use super::index::{TickKind, TraceIndex, BUCKET_MS};

/// About this many buckets across the run.
pub const TARGET_BUCKETS: u64 = 60;

/// One series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Name (CSV column, chart title).
    pub name: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// One value per bucket (`None`: nothing to measure there).
    pub points: Vec<Option<f64>>,
}

impl Series {
    /// The largest value.
    pub fn max(&self) -> f64 {
        self.points.iter().flatten().copied().fold(0.0, f64::max)
    }

    /// The last value measured.
    pub fn last(&self) -> Option<f64> {
        self.points.iter().rev().flatten().next().copied()
    }
}

/// Every series, bucketed.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Bucket width (ms, a multiple of the index's bucket).
    pub bucket_ms: u64,
    /// Up to (ms).
    pub end: u64,
    /// The series.
    pub series: Vec<Series>,
}

/// A round bucket width for a run of `end` ms: about [`TARGET_BUCKETS`] buckets.
pub fn bucket_width(end: u64) -> u64 {
    const NICE: &[u64] = &[
        100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
        600_000,
    ];
    let want = end / TARGET_BUCKETS;
    NICE.iter().copied().find(|w| *w >= want).unwrap_or(600_000)
}

/// Percentile `p` (0–1) of sorted `v` (nearest rank).
pub fn percentile(sorted: &[u64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    Some(sorted[i.min(sorted.len() - 1)] as f64)
}

/// The metrics of a run up to `end` ms; `stale` says which operations read stale data.
pub fn metrics(
    index: &TraceIndex,
    ops: &[HistoryOp],
    stale: &dyn Fn(usize, &HistoryOp) -> bool,
    end: u64,
) -> Metrics {
    let w = bucket_width(end);
    let n = (end / w + 1) as usize;
    let bucket = |t: u64| ((t / w) as usize).min(n - 1);
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut ok = vec![0u32; n];
    let mut finished = vec![0u32; n];
    let mut returned = vec![0u32; n];
    let mut stale_reads = vec![0u32; n];
    for (i, op) in ops.iter().enumerate() {
        if op.invoked > end {
            continue;
        }
        let b = bucket(op.invoked);
        match op.status {
            OpStatus::Ok => {
                ok[b] += 1;
                finished[b] += 1;
            }
            OpStatus::Failed | OpStatus::Indeterminate => finished[b] += 1,
            OpStatus::Pending => {}
        }
        if let Some(r) = op.returned.filter(|r| *r <= end) {
            returned[bucket(r)] += 1;
            if op.status == OpStatus::Ok {
                latencies[bucket(r)].push(r - op.invoked);
            }
            if stale(i, op) {
                stale_reads[bucket(r)] += 1;
            }
        }
    }
    // Messages sent per bucket, from the index's finer buckets.
    let per = (w / BUCKET_MS) as usize;
    let sends: Vec<u32> = (0..n)
        .map(|b| {
            (b * per..(b + 1) * per)
                .map(|k| index.sends_in_bucket(k))
                .sum()
        })
        .collect();
    let mut leaders = vec![0u32; n];
    for t in index.ticks() {
        if let TickKind::Role { role, .. } = t.kind {
            if role.leads && t.at <= end {
                leaders[bucket(t.at)] += 1;
            }
        }
    }
    for l in &mut latencies {
        l.sort_unstable();
    }
    let p = |q: f64| -> Vec<Option<f64>> { latencies.iter().map(|l| percentile(l, q)).collect() };
    let p50 = p(0.5);
    let p99 = p(0.99);
    let availability = (0..n)
        .map(|b| (finished[b] > 0).then(|| 100.0 * f64::from(ok[b]) / f64::from(finished[b])))
        .collect();
    let per_op = (0..n)
        .map(|b| (returned[b] > 0).then(|| f64::from(sends[b]) / f64::from(returned[b])))
        .collect();
    let count = |v: &[u32]| v.iter().map(|c| Some(f64::from(*c))).collect();
    Metrics {
        bucket_ms: w,
        end,
        series: vec![
            Series {
                name: "latency p50",
                unit: "ms",
                points: p50,
            },
            Series {
                name: "latency p99",
                unit: "ms",
                points: p99,
            },
            Series {
                name: "availability",
                unit: "%",
                points: availability,
            },
            Series {
                name: "messages per operation",
                unit: "msgs",
                points: per_op,
            },
            Series {
                name: "leader changes",
                unit: "count",
                points: count(&leaders),
            },
            Series {
                name: "stale reads",
                unit: "count",
                points: count(&stale_reads),
            },
        ],
    }
}

/// Whether an operation is a stale read by its own mark (the store's anomalies).
pub fn marked_stale(op: &HistoryOp) -> bool {
    matches!(op.anomaly, Some(Anomaly::StaleRead(_)))
}

/// The metrics as CSV: one row per bucket (its start in ms), one column per series.
pub fn csv(m: &Metrics) -> String {
    let mut out = String::from("t_ms");
    for s in &m.series {
        out.push_str(&format!(",{} ({})", s.name, s.unit));
    }
    out.push('\n');
    let rows = m.series.first().map_or(0, |s| s.points.len());
    for b in 0..rows {
        out.push_str(&(b as u64 * m.bucket_ms).to_string());
        for s in &m.series {
            out.push(',');
            if let Some(v) = s.points[b] {
                if v.fract() == 0.0 {
                    out.push_str(&format!("{v:.0}"));
                } else {
                    out.push_str(&format!("{v:.2}"));
                }
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::history::tests_support::stale_history;
    use netsplit_core::{build, Scenario, Time};

    #[test]
    fn buckets_are_round_and_about_sixty() {
        assert_eq!(bucket_width(0), 100);
        assert_eq!(bucket_width(6_000), 100);
        assert_eq!(bucket_width(60_000), 1_000);
        assert_eq!(bucket_width(600_000), 10_000);
        assert_eq!(percentile(&[1, 2, 3, 4, 100], 0.5), Some(3.0));
        assert_eq!(percentile(&[1, 2, 3, 4, 100], 0.99), Some(100.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn series_count_what_happened_in_each_bucket() {
        let mut pg = build(&Scenario::new(netsplit_core::protocols::raft::ID, 7)).unwrap();
        pg.run_until(Time(6_000), u64::MAX);
        let snap = pg.snapshot();
        let mut ix = TraceIndex::new(snap.servers(), snap.nodes.len() - snap.servers());
        ix.extend(pg.as_ref(), &|_| None);
        let h = stale_history();
        let m = metrics(&ix, &h.ops, &|i, _| i == 3, 6_000);
        assert_eq!(m.bucket_ms, 100);
        let get = |name: &str| m.series.iter().find(|s| s.name == name).unwrap();
        // Ops 0..5 were invoked in bucket 0 (t < 100): 5 answered ok, 1 given up.
        assert_eq!(get("availability").points[0], Some(100.0 * 5.0 / 6.0));
        assert_eq!(get("latency p50").points[0], Some(10.0));
        assert_eq!(get("stale reads").points[0], Some(1.0));
        // One leader elected early in the run.
        let leaders: f64 = get("leader changes").points.iter().flatten().sum();
        assert!(leaders >= 1.0);
        assert!(get("messages per operation").points[0].unwrap() >= 0.0);
        assert_eq!(get("messages per operation").points[30], None);
        // CSV: a header and one row per bucket.
        let text = csv(&m);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "t_ms,latency p50 (ms),latency p99 (ms),availability (%),messages per operation (msgs),leader changes (count),stale reads (count)"
        );
        assert_eq!(lines.len(), 1 + 61);
        assert!(lines[1].starts_with("0,10,"), "{}", lines[1]);
        assert!(lines.iter().skip(1).all(|l| l.split(',').count() == 7));
    }
}
