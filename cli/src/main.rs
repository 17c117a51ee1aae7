//! The `netsplit` binary: the library's command line over the built-in protocols.

use netsplit_core::run::registry::Registry;
use std::process::ExitCode;

/// The simulator allocates and frees small buffers at every event (messages, effect lists,
/// trace lines); mimalloc serves them in about half the time of the system allocator, which
/// was a quarter of `netsplit chaos`'s time (docs/benchmarks.md, "Where the time goes"). The
/// page's wasm keeps Rust's default allocator; results do not depend on the allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    netsplit_cli::main_with(&Registry::builtin(), std::env::args_os())
}
