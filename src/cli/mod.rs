//! The `monkeyci` command-line client (SPEC §6): `login`, `whoami`, `orgs` and
//! `keys list|create|show|roll|revoke` (alias `delete`), against the REST API under `/api/v1`.
//!
//! | file          | its one job                                                   |
//! |---------------|---------------------------------------------------------------|
//! | `args.rs`     | the command line (clap)                                       |
//! | `settings.rs` | where the key, the URL and the organization come from         |
//! | `inputs.rs`   | the key and the server URL, parsed once                       |
//! | `login_key.rs`| where `login` takes its key: stdin, a flag, a hidden question |
//! | `key_ref.rs`  | a key named by id, hint or whole token, and finding it        |
//! | `config.rs`   | the config file: its path, reading it, writing it privately   |
//! | `client.rs`   | HTTP to the API and what its errors mean                      |
//! | `output.rs`   | tables and sentences                                          |
//! | `commands.rs` | one function per command                                      |
//! | `error.rs`    | the one error type and the exit codes                         |
//!
//! Exit codes: 0 success, 1 failure (network, server), 2 usage, 3 the key was refused.

mod args;
mod client;
mod commands;
mod config;
mod error;
mod inputs;
mod key_ref;
mod login_key;
mod output;
mod settings;
mod source;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
pub use error::{CliError, EXIT_AUTH, EXIT_FAILURE, EXIT_USAGE};
pub use settings::Environment;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are "errors" with exit code 0.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match commands::run(cli, Environment::from_process(), &mut login_key::ProcessConsole) {
        Ok(text) => print(&text),
        Err(e) => e.report(),
    }
}

/// Writes to stdout; a closed pipe (`monkeyci keys list | head -1`) is not an error.
fn print(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => CliError::Other(format!("cannot write the output: {e}")).report(),
    }
}
