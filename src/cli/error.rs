//! The client's one error type: the line printed after `error: ` and the exit code.
//!
//! No variant ever holds a whole token: a key is named by its hint (`mci_org_3fKx…`)
//! or by where it came from.

use std::io::Write;
use std::process::ExitCode;

use crate::domain::api_key::TokenError;

use super::source::Source;

/// Exit codes: 0 success, 1 anything else, 2 usage, 3 authentication.
pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_AUTH: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line (or the configuration) does not say what to do.
    #[error("{0}")]
    Usage(String),
    #[error("no API key: pass --api-key, set MONKEYCI_API_KEY, or run `monkeyci login`")]
    NoKey,
    /// Refused locally, before any request.
    #[error("the API key from {from} is malformed: {reason}")]
    MalformedKey { from: Source, reason: TokenError },
    /// The server answered 401.
    #[error("the API key {hint} was not accepted: {message}")]
    Rejected { hint: String, message: String },
    #[error("cannot reach the MonkeyCI server at {url}: {cause}")]
    Unreachable { url: String, cause: String },
    /// The server refused the request (403, 404, 422, 429, …): its message.
    #[error("{0}")]
    Server(String),
    /// The config file, the terminal, an answer this client does not understand.
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::NoKey => EXIT_USAGE,
            CliError::MalformedKey { .. } | CliError::Rejected { .. } => EXIT_AUTH,
            CliError::Unreachable { .. } | CliError::Server(_) | CliError::Other(_) => EXIT_FAILURE,
        }
    }

    /// Prints `error: …` on stderr and gives the exit code.
    pub fn report(&self) -> ExitCode {
        let _ = writeln!(std::io::stderr(), "error: {self}");
        ExitCode::from(self.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_has_its_exit_code() {
        assert_eq!(CliError::NoKey.exit_code(), 2);
        assert_eq!(CliError::Usage("choose --org SLUG or --user".into()).exit_code(), 2);
        let malformed =
            CliError::MalformedKey { from: Source::Flag("--api-key"), reason: TokenError::Checksum };
        assert_eq!(malformed.exit_code(), 3);
        assert_eq!(CliError::Rejected { hint: "mci_org_3fKx…".into(), message: "No.".into() }.exit_code(), 3);
        assert_eq!(CliError::Server("Not found.".into()).exit_code(), 1);
        assert_eq!(CliError::Unreachable { url: "http://x".into(), cause: "refused".into() }.exit_code(), 1);
    }

    #[test]
    fn a_malformed_key_is_named_by_where_it_came_from() {
        let error = CliError::MalformedKey {
            from: Source::Environment("MONKEYCI_API_KEY"),
            reason: TokenError::Length,
        };
        assert_eq!(
            error.to_string(),
            "the API key from MONKEYCI_API_KEY is malformed: the key has the wrong length"
        );
    }
}
