//! The CPU time this process has used, for throughput figures that a busy machine does not
//! skew: wall time grows while other processes take turns on the cores, CPU time does not.

/// User plus system CPU seconds used by this process so far, where the platform tells
/// (`getrusage`); `None` elsewhere.
pub fn process_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: `getrusage` only writes the `rusage` struct it is given, which is plain data
        // and valid when zeroed.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to a writable `rusage`; RUSAGE_SELF is always supported.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return None;
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(secs(usage.ru_utime) + secs(usage.ru_stime))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = process_seconds().expect("getrusage works here");
        // Spin until the counter moves: it has a resolution of a scheduler tick or better.
        let mut x = 0u64;
        while process_seconds().unwrap_or(f64::MAX) <= before {
            for i in 0..100_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
        }
        assert!(process_seconds().unwrap_or(0.0) > before, "{x}");
    }
}
