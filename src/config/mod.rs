//! Typed settings, read once from flags and environment variables (SPEC §10).
//!
//! `ServerArgs` (in `cli`) is what clap parses; `Settings` is the checked result
//! the rest of the program trusts; `platforms` turns the platform flags into
//! `PlatformSettings`. Secrets are wrapped in `SecretString` so they never reach
//! a `Debug` print or a log line.

mod cli;
mod error;
mod platforms;
mod settings;

pub use self::cli::{PlatformArgs, ServerArgs, ServerCommand};
pub use self::error::ConfigError;
pub use self::settings::{SessionLength, Settings, ShutdownSettings};
pub use crate::auth::platforms::settings::{
    BitbucketSettings, CodebergSettings, GitHubSettings, GitLabSettings, OAuthApp, OidcSettings,
    PlatformSettings,
};
pub use crate::db::target::{DatabaseTarget, DatabaseUrlError};
pub use crate::telemetry::LogFormat;
