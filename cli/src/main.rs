//! The `netsplit` binary: the library's command line over the built-in protocols.

use netsplit_core::run::registry::Registry;
use std::process::ExitCode;

fn main() -> ExitCode {
    netsplit_cli::main_with(&Registry::builtin(), std::env::args_os())
}
