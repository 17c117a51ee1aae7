//! Running child processes: a small command description ([`Cmd`]), a `PATH` that always
//! includes cargo's install directory, and helpers to run quietly, interactively or "tee'd"
//! (streamed live to the terminal while also captured for parsing).

use std::env;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The workspace root (the parent of the `xtask/` directory).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Directory where `cargo install` puts binaries: `$CARGO_HOME/bin`, else `~/.cargo/bin`.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    if let Some(home) = env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home).join("bin"));
    }
    env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".cargo").join("bin"))
}

/// The `PATH` given to every child: the current `PATH` with cargo's bin directory in front
/// (unless it is already the first entry), so freshly installed tools are found.
fn child_path() -> &'static OsString {
    static PATH: OnceLock<OsString> = OnceLock::new();
    PATH.get_or_init(|| {
        let current: Vec<PathBuf> = env::var_os("PATH")
            .map(|p| env::split_paths(&p).collect())
            .unwrap_or_default();
        let mut entries = Vec::with_capacity(current.len() + 1);
        if let Some(bin) = cargo_bin_dir() {
            if current.first() != Some(&bin) {
                entries.push(bin);
            }
        }
        entries.extend(current);
        env::join_paths(entries).unwrap_or_else(|_| env::var_os("PATH").unwrap_or_default())
    })
}

/// A command to run: program, arguments, extra environment and working directory.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    dir: Option<PathBuf>,
}

impl Cmd {
    /// A new command running `program` (looked up on the child `PATH`).
    pub fn new(program: impl Into<String>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            dir: None,
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Sets the working directory of the child.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Shell-like rendering for messages, e.g. `CHROMIUM=/usr/bin/chromium npm test`.
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = self
            .envs
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect();
        parts.push(quote(&self.program));
        parts.extend(self.args.iter().map(|a| quote(a)));
        parts.join(" ")
    }

    /// Like [`Cmd::display`], prefixed with `(cd DIR && ...)` context when a directory is set
    /// and differs from the workspace root.
    pub fn display_with_dir(&self) -> String {
        match &self.dir {
            Some(dir) if *dir != workspace_root() => {
                let shown = dir
                    .strip_prefix(workspace_root())
                    .unwrap_or(dir)
                    .display()
                    .to_string();
                format!("(in {shown}/) {}", self.display())
            }
            _ => self.display(),
        }
    }

    /// Builds the [`std::process::Command`].
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).env("PATH", child_path());
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// Runs with inherited stdio (output goes straight to the terminal).
    pub fn status(&self) -> io::Result<ExitStatus> {
        self.command().status()
    }

    /// Runs quietly and returns stdout followed by stderr, or `None` if the program could not
    /// be started or exited unsuccessfully.
    pub fn quiet_output(&self) -> Option<String> {
        let out = self.command().stdin(Stdio::null()).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        Some(text)
    }

    /// Runs quietly and returns stdout followed by stderr whatever the exit status (for
    /// programs whose error message is the answer); `Err` only if it could not be started.
    pub fn output_any(&self) -> io::Result<String> {
        let out = self.command().stdin(Stdio::null()).output()?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        Ok(text)
    }

    /// Runs with inherited stdio; a spawn failure or non-zero exit becomes a setup error
    /// (exit code 2) naming the command.
    pub fn run_checked(&self) -> Result<()> {
        match self.status() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(Error::setup(format!(
                "command failed ({}): {}",
                describe_status(status),
                self.display_with_dir()
            ))),
            Err(err) => Err(Error::setup(format!(
                "could not start `{}`: {err}\n  command: {}",
                self.program,
                self.display_with_dir()
            ))),
        }
    }

    /// Runs with stdout and stderr piped: every chunk is echoed to our own stdout/stderr as it
    /// arrives and also captured. Returns the exit status and the captured text (stdout, then
    /// stderr; each stream kept intact so lines are never interleaved mid-line).
    ///
    /// Once the child has exited, its output is drained for at most [`DRAIN_GRACE`]: a
    /// leftover grandchild (say, a browser) that inherited the pipes cannot hang the step.
    pub fn run_tee(&self) -> io::Result<(ExitStatus, String)> {
        let mut cmd = self.command();
        if io::stdout().is_terminal() && env::var_os("CARGO_TERM_COLOR").is_none() {
            // Output is piped through us, so tools would turn colours off; keep them on.
            cmd.env("CARGO_TERM_COLOR", "always");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let out_buf = Arc::new(Mutex::new(Vec::new()));
        let err_buf = Arc::new(Mutex::new(Vec::new()));
        let (done_tx, done_rx) = mpsc::channel();
        if let Some(source) = child.stdout.take() {
            let (buf, done) = (Arc::clone(&out_buf), done_tx.clone());
            thread::spawn(move || {
                pump(source, &mut io::stdout(), &buf);
                let _ = done.send(());
            });
        }
        if let Some(source) = child.stderr.take() {
            let (buf, done) = (Arc::clone(&err_buf), done_tx.clone());
            thread::spawn(move || {
                pump(source, &mut io::stderr(), &buf);
                let _ = done.send(());
            });
        }
        drop(done_tx);
        let status = child.wait()?;
        let deadline = Instant::now() + DRAIN_GRACE;
        loop {
            match done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    eprintln!(
                        "xtask: `{}` exited but a leftover process keeps its output open; \
                         not waiting for it",
                        self.program
                    );
                    break;
                }
            }
        }
        let mut text = String::from_utf8_lossy(&snapshot(&out_buf)).into_owned();
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&snapshot(&err_buf)));
        Ok((status, text))
    }
}

/// How long [`Cmd::run_tee`] keeps reading output after the child itself has exited.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// Copies `source` to `sink` chunk by chunk (flushing each) and appends it to `captured`.
/// Write errors (e.g. a closed terminal) are ignored so the child never blocks on a full pipe.
fn pump(mut source: impl Read, sink: &mut impl Write, captured: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    loop {
        match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                lock(captured).extend_from_slice(&buf[..n]);
                let _ = sink.write_all(&buf[..n]).and_then(|()| sink.flush());
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}

/// Locks a capture buffer, ignoring poisoning (the data is plain bytes).
fn lock(buf: &Mutex<Vec<u8>>) -> MutexGuard<'_, Vec<u8>> {
    buf.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A copy of what has been captured so far.
fn snapshot(buf: &Mutex<Vec<u8>>) -> Vec<u8> {
    lock(buf).clone()
}

/// `exit code N` or `killed by a signal`.
pub fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "terminated by a signal".to_string(),
    }
}

/// Quotes a word for display if it contains characters a shell would interpret.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_when_needed() {
        let cmd = Cmd::new("cargo")
            .args(["clippy", "--", "-D", "warnings"])
            .env("A", "x y");
        assert_eq!(cmd.display(), "A='x y' cargo clippy -- -D warnings");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn tee_captures_both_streams_and_status() {
        let cmd = Cmd::new("sh").args(["-c", "echo out-line; echo err-line >&2; exit 3"]);
        let (status, text) = cmd.run_tee().expect("sh runs");
        assert_eq!(status.code(), Some(3));
        assert!(text.contains("out-line\n"), "{text}");
        assert!(text.contains("err-line\n"), "{text}");
    }

    #[test]
    fn output_any_keeps_the_answer_of_a_failing_program() {
        let cmd = Cmd::new("sh").args(["-c", "echo known: a, b >&2; exit 2"]);
        assert_eq!(cmd.output_any().unwrap(), "known: a, b\n");
        assert!(Cmd::new("xtask-no-such-program").output_any().is_err());
    }

    #[test]
    fn run_checked_names_the_failed_command() {
        let err = Cmd::new("sh")
            .args(["-c", "exit 4"])
            .run_checked()
            .unwrap_err();
        assert_eq!(err.code, crate::error::EXIT_SETUP);
        assert!(err.message.contains("exit code 4"), "{}", err.message);
        assert!(err.message.contains("sh -c 'exit 4'"), "{}", err.message);
        let err = Cmd::new("xtask-no-such-program").run_checked().unwrap_err();
        assert!(err.message.contains("could not start"), "{}", err.message);
    }

    #[test]
    fn child_path_starts_with_cargo_bin() {
        if let Some(bin) = cargo_bin_dir() {
            let first = env::split_paths(child_path()).next();
            assert_eq!(first, Some(bin));
        }
    }
}
