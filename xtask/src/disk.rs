//! Free disk space: the pipeline builds the workspace for several targets, profiles and
//! feature sets, and a CI machine once ran out of disk half-way through. `cargo xtask test`
//! says how much is free before it starts, warns when that is less than a clean run needs,
//! and names the cause when a step fails for lack of space.

use std::path::Path;
use std::process::Command;

/// What a clean `cargo xtask test` needs, in GiB: its target folder peaked at 4.2 GB on a
/// fresh clone (`docs/xtask-notes.md`, "Disk"), and installing the tools builds in temporary
/// folders too; with margin.
pub const NEEDED_GIB: f64 = 8.0;

/// What the operating system says when a write fails for lack of space (`ENOSPC`).
const OUT_OF_SPACE: &str = "No space left on device";

/// Bytes available to this user on the filesystem holding `path` (`df -Pk`), or `None` when
/// `df` is missing or says something unexpected.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let output = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    if !output.status.success() {
        return None;
    }
    parse_df(&String::from_utf8_lossy(&output.stdout))
}

/// The "Available" column (1024-byte blocks) of `df -Pk`'s one data line, in bytes.
fn parse_df(text: &str) -> Option<u64> {
    let line = text.lines().nth(1)?;
    let available: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(available * 1024)
}

/// `12.3 GiB`.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// The line printed before the pipeline starts: free space where the builds go, and a
/// warning when it is less than a clean run needs.
pub fn preflight(target_dir: &Path) -> String {
    match free_bytes(target_dir) {
        None => format!(
            "disk: could not read the free space of {}",
            target_dir.display()
        ),
        Some(free) if (free as f64) < NEEDED_GIB * (1u64 << 30) as f64 => format!(
            "disk: WARNING only {} free for {} — a clean run needs about {NEEDED_GIB:.0} GiB; \
             steps may fail with \"{OUT_OF_SPACE}\"",
            gib(free),
            target_dir.display()
        ),
        Some(free) => format!("disk: {} free for {}", gib(free), target_dir.display()),
    }
}

/// Whether a step's output shows it failed for lack of disk space.
pub fn ran_out(output: &str) -> bool {
    output.contains(OUT_OF_SPACE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_available_column() {
        let text = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                    /dev/vda        264241152  52428800  44040192      55% /\n";
        assert_eq!(parse_df(text), Some(44_040_192 * 1024));
        assert_eq!(parse_df("Filesystem\n"), None);
        assert_eq!(parse_df("header\n/dev/vda 1 2 many 3% /\n"), None);
    }

    #[test]
    fn recognises_enospc() {
        assert!(ran_out(
            "error: failed to build archive: No space left on device (os error 28)"
        ));
        assert!(!ran_out("test result: FAILED. 1 passed; 1 failed"));
    }

    #[test]
    fn formats_gibibytes() {
        assert_eq!(gib(3 << 30), "3.0 GiB");
        assert_eq!(gib((1 << 30) / 2), "0.5 GiB");
    }
}
