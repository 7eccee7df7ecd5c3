//! The server's command line as clap reads it: flags, their environment
//! variables and defaults. Nothing here is checked yet; `Settings::from_args`
//! turns it into what the program trusts.

use std::time::Duration;

use clap::Parser;
use secrecy::SecretString;

use crate::telemetry::LogFormat;

/// The server's command line. Every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(name = "monkeyci-server", version, about = "MonkeyCI accounts server")]
pub struct ServerArgs {
    /// What to do; without a command the server migrates the database and serves.
    #[command(subcommand)]
    pub command: Option<ServerCommand>,

    /// Addresses to bind, comma separated (host:port).
    #[arg(long, env = "MONKEYCI_LISTEN", default_value = "127.0.0.1:8080", value_delimiter = ',')]
    pub listen: Vec<String>,

    /// The URL people reach the server at (defaults to http:// + the first bound address).
    #[arg(long, env = "MONKEYCI_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// `sqlite://PATH` or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/monkeyci.db",
        hide_env_values = true,
        global = true
    )]
    pub database_url: SecretString,

    /// Log lines as `text` (for people) or `json` (one object per line, for log collectors).
    #[arg(long, env = "MONKEYCI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Address (host:port) that serves Prometheus metrics at `/metrics`; unset: no metrics.
    /// Keep it private: it is not the address people reach.
    #[arg(long, env = "MONKEYCI_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,

    /// Secret of 64 bytes or more that signs and encrypts session cookies; shared by all instances.
    #[arg(long, env = "MONKEYCI_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<SecretString>,

    /// A session ends after this long without a request.
    #[arg(long, env = "MONKEYCI_SESSION_IDLE_TIMEOUT", default_value = "8h", value_parser = humantime::parse_duration)]
    pub session_idle_timeout: Duration,

    /// A session ends this long after sign-in, however active it is.
    #[arg(long, env = "MONKEYCI_SESSION_MAX_AGE", default_value = "7days", value_parser = humantime::parse_duration)]
    pub session_max_age: Duration,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "MONKEYCI_WORKERS")]
    pub workers: Option<usize>,

    /// Failed API-key attempts allowed per client address and minute (then 429).
    #[arg(long, env = "MONKEYCI_API_FAILURES_PER_MINUTE", default_value_t = 10)]
    pub api_failures_per_minute: u32,

    /// Load balancers / reverse proxies whose `X-Forwarded-For` is believed, comma
    /// separated addresses or networks (e.g. `10.0.0.0/8,127.0.0.1`). Default: none,
    /// so the client address is the connection's.
    #[arg(long, env = "MONKEYCI_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// argon2 computations that may run at once, checking keys and hashing new
    /// ones alike (default: one per CPU core).
    #[arg(long, env = "MONKEYCI_ARGON2_CONCURRENCY")]
    pub argon2_concurrency: Option<usize>,

    /// After SIGTERM, how long the server keeps serving (with `/readyz` answering 503
    /// and every response closing its connection) before it stops accepting, so that
    /// load balancers take it out of rotation first. SIGINT (Ctrl-C) skips the wait.
    #[arg(long, env = "MONKEYCI_SHUTDOWN_DELAY", default_value = "2s", value_parser = humantime::parse_duration)]
    pub shutdown_delay: Duration,

    /// Once the server stops accepting, how long requests in flight may take to finish.
    #[arg(long, env = "MONKEYCI_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,

    /// The platform's services that may ask about keys at `POST /api/v1/introspect`
    /// (RFC 7662, HTTP Basic): `id:secret` pairs, comma separated, each secret 32
    /// characters or more. Checked at start. Default: none (the endpoint answers 404).
    #[arg(long, env = "MONKEYCI_INTROSPECTION_CLIENTS", hide_env_values = true)]
    pub introspection_clients: Option<SecretString>,

    /// Where GitHub publishes the keys that sign its secret scanning reports
    /// (`POST /api/v1/secret-scanning/github`).
    #[arg(
        long,
        env = "MONKEYCI_GITHUB_SECRET_SCANNING_KEYS_URL",
        default_value = "https://api.github.com/meta/public_keys/secret_scanning"
    )]
    pub github_secret_scanning_keys_url: String,

    /// Where e-mail goes (expiry reminders, revocation notices): `smtp://host:port`
    /// or `smtps://user:password@host:port`. Unset: no e-mail is sent.
    #[arg(long, env = "MONKEYCI_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// The sender of e-mail, like `MonkeyCI <noreply@example.com>` (default: noreply at the public host).
    #[arg(long, env = "MONKEYCI_MAIL_FROM")]
    pub mail_from: Option<String>,

    #[command(flatten)]
    pub platforms: PlatformArgs,
}

/// What `monkeyci-server` can be asked to do besides serving.
#[derive(Debug, clap::Subcommand)]
pub enum ServerCommand {
    /// Apply the database migrations that are not applied yet, then exit (for
    /// deployments that migrate before starting new servers).
    Migrate,
}

/// OAuth applications at the code-hosting platforms; a platform is on when its client id is set.
#[derive(Debug, clap::Args)]
pub struct PlatformArgs {
    #[arg(long, env = "MONKEYCI_GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    #[arg(long, env = "MONKEYCI_GITHUB_CLIENT_SECRET", hide_env_values = true)]
    pub github_client_secret: Option<SecretString>,
    #[arg(long, env = "MONKEYCI_GITHUB_URL", default_value = "https://github.com")]
    pub github_url: String,
    #[arg(long, env = "MONKEYCI_GITHUB_API_URL", default_value = "https://api.github.com")]
    pub github_api_url: String,

    #[arg(long, env = "MONKEYCI_GITLAB_CLIENT_ID")]
    pub gitlab_client_id: Option<String>,
    #[arg(long, env = "MONKEYCI_GITLAB_CLIENT_SECRET", hide_env_values = true)]
    pub gitlab_client_secret: Option<SecretString>,
    #[arg(long, env = "MONKEYCI_GITLAB_URL", default_value = "https://gitlab.com")]
    pub gitlab_url: String,

    #[arg(long, env = "MONKEYCI_BITBUCKET_CLIENT_ID")]
    pub bitbucket_client_id: Option<String>,
    #[arg(long, env = "MONKEYCI_BITBUCKET_CLIENT_SECRET", hide_env_values = true)]
    pub bitbucket_client_secret: Option<SecretString>,
    #[arg(long, env = "MONKEYCI_BITBUCKET_URL", default_value = "https://bitbucket.org")]
    pub bitbucket_url: String,
    #[arg(long, env = "MONKEYCI_BITBUCKET_API_URL", default_value = "https://api.bitbucket.org")]
    pub bitbucket_api_url: String,

    #[arg(long, env = "MONKEYCI_CODEBERG_CLIENT_ID")]
    pub codeberg_client_id: Option<String>,
    #[arg(long, env = "MONKEYCI_CODEBERG_CLIENT_SECRET", hide_env_values = true)]
    pub codeberg_client_secret: Option<SecretString>,
    #[arg(long, env = "MONKEYCI_CODEBERG_URL", default_value = "https://codeberg.org")]
    pub codeberg_url: String,

    #[arg(long, env = "MONKEYCI_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    #[arg(long, env = "MONKEYCI_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    #[arg(long, env = "MONKEYCI_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<SecretString>,
    #[arg(long, env = "MONKEYCI_OIDC_NAME", default_value = "OpenID Connect")]
    pub oidc_name: String,
}
