//! Typed settings, read once from flags and environment variables (SPEC §10).
//!
//! `Cli` is what clap parses; `Settings` is the checked result the rest of the
//! program trusts. Secrets are wrapped in `SecretString` so they never reach a
//! `Debug` print or a log line.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use clap::Parser;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

pub use crate::auth::platforms::settings::{
    BitbucketSettings, CodebergSettings, GitHubSettings, GitLabSettings, OAuthApp, OidcSettings,
    PlatformSettings,
};
pub use crate::db::target::{DatabaseTarget, DatabaseUrlError};

pub use crate::telemetry::LogFormat;

/// The server's command line. Every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(name = "monkeyci-server", version, about = "MonkeyCI accounts server")]
pub struct Cli {
    /// What to do; without a command the server migrates the database and serves.
    #[command(subcommand)]
    pub command: Option<Command>,

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

    #[command(flatten)]
    pub platforms: PlatformArgs,
}

/// What `monkeyci-server` can be asked to do besides serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
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

/// Why the configuration cannot start a server. Shown at start-up as one clear line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("MONKEYCI_LISTEN: `{0}` is not a host:port address")]
    BadListenAddress(String),
    #[error("MONKEYCI_METRICS_LISTEN: `{0}` is not a host:port address")]
    BadMetricsListenAddress(String),
    #[error("MONKEYCI_PUBLIC_URL: `{0}` is not an http(s) URL")]
    BadPublicUrl(String),
    /// Only the scheme is shown: the rest of a URL may hold a password.
    #[error(transparent)]
    DatabaseUrl(#[from] DatabaseUrlError),
    #[error("MONKEYCI_SESSION_SECRET must be at least 64 bytes long (it is {0})")]
    ShortSessionSecret(usize),
    #[error("{0} is set but {1} is missing")]
    IncompletePlatform(&'static str, &'static str),
    #[error("{name}: `{value}` is not an http(s) URL")]
    BadPlatformUrl { name: &'static str, value: String },
    #[error(
        "no sign-in platform is configured, and development sign-in is only allowed when every \
         listen address is loopback (`{0}` is not); configure a platform (e.g. \
         MONKEYCI_GITHUB_CLIENT_ID and MONKEYCI_GITHUB_CLIENT_SECRET) or listen on 127.0.0.1"
    )]
    DevSignInOnPublicAddress(SocketAddr),
    #[error(
        "no sign-in platform is configured, and development sign-in is only allowed when the \
         server is reached on a loopback address: MONKEYCI_PUBLIC_URL names `{0}`, so a proxy \
         would expose it; configure a platform (e.g. MONKEYCI_GITHUB_CLIENT_ID and \
         MONKEYCI_GITHUB_CLIENT_SECRET) or point MONKEYCI_PUBLIC_URL at 127.0.0.1"
    )]
    DevSignInBehindPublicUrl(String),
    #[error("MONKEYCI_TRUSTED_PROXIES: `{0}` is not an IP address or network (like 10.0.0.0/8)")]
    BadTrustedProxy(String),
    #[error("{0} is too long: at most {MAX_SESSION_DAYS}days (100 years)")]
    SessionTooLong(&'static str),
}

/// The longest session timeout: far beyond any useful session, and far inside
/// what the session dates (`now` ± the timeout) can hold.
const MAX_SESSION_DAYS: i64 = 36_500;

/// A session timeout (idle or absolute), at most [`MAX_SESSION_DAYS`] long, so
/// the session arithmetic cannot overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLength(chrono::Duration);

impl SessionLength {
    /// `name` is the environment variable the value came from, for the message.
    pub fn new(name: &'static str, length: Duration) -> Result<SessionLength, ConfigError> {
        chrono::Duration::from_std(length)
            .ok()
            .filter(|length| *length <= chrono::Duration::days(MAX_SESSION_DAYS))
            .map(SessionLength)
            .ok_or(ConfigError::SessionTooLong(name))
    }

    const fn hours(hours: i64) -> SessionLength {
        SessionLength(chrono::Duration::hours(hours))
    }

    pub fn as_chrono(self) -> chrono::Duration {
        self.0
    }

    pub fn whole_seconds(self) -> i64 {
        self.0.num_seconds()
    }
}

/// `10.0.0.0/8`, `127.0.0.1` or `::1`: a lone address is a network of one.
fn parse_trusted_proxies(raw: &[String]) -> Result<Vec<IpNet>, ConfigError> {
    raw.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError::BadTrustedProxy(s.to_string()))
        })
        .collect()
}

/// The checked configuration the application runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: Vec<SocketAddr>,
    pub public_url: Option<Url>,
    pub database: DatabaseTarget,
    /// `None`: a random secret is made at start (sessions end when the server restarts).
    pub session_secret: Option<SecretString>,
    pub session_idle_timeout: SessionLength,
    pub session_max_age: SessionLength,
    pub workers: Option<usize>,
    pub platforms: PlatformSettings,
    pub api_failures_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client (for the failure limit).
    pub trusted_proxies: Vec<IpNet>,
    /// `None`: one per CPU core.
    pub argon2_concurrency: Option<usize>,
    /// Where Prometheus metrics are served; `None`: nowhere, and nothing is counted.
    pub metrics_listen: Option<SocketAddr>,
    /// A name for this instance in its log: when set, everything the instance
    /// logs (requests and background work) sits inside an `app{instance=…}`
    /// span. Not read from the environment; `None` (the default) leaves the log
    /// lines exactly as they are. The tests set it to tell apart the lines of
    /// the several apps one test binary runs at once.
    pub instance_name: Option<String>,
    /// How the server stops on SIGTERM and SIGINT.
    pub shutdown: ShutdownSettings,
}

/// The two waits of a graceful stop (see `crate::shutdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownSettings {
    /// Serving on, not ready, before no longer accepting (SIGTERM only).
    pub delay: Duration,
    /// The most requests in flight get once accepting has stopped.
    pub timeout: Duration,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        ShutdownSettings { delay: Duration::from_secs(2), timeout: Duration::from_secs(30) }
    }
}

impl Settings {
    /// Settings for a server on `listen` with the given database and no platforms,
    /// i.e. development sign-in on. Used by tests and as the base of `from_cli`.
    pub fn new(listen: Vec<SocketAddr>, database: DatabaseTarget) -> Self {
        Settings {
            listen,
            public_url: None,
            database,
            session_secret: None,
            session_idle_timeout: SessionLength::hours(8),
            session_max_age: SessionLength::hours(7 * 24),
            workers: None,
            platforms: PlatformSettings::default(),
            api_failures_per_minute: 10,
            trusted_proxies: Vec::new(),
            argon2_concurrency: None,
            metrics_listen: None,
            instance_name: None,
            shutdown: ShutdownSettings::default(),
        }
    }

    pub fn from_cli(cli: Cli) -> Result<Self, ConfigError> {
        let listen = resolve_listen(&cli.listen)?;
        let public_url = cli.public_url.as_deref().map(parse_public_url).transpose()?;
        let database = DatabaseTarget::parse(cli.database_url.expose_secret())?;
        if let Some(secret) = &cli.session_secret {
            let len = secret.expose_secret().len();
            if len < 64 {
                return Err(ConfigError::ShortSessionSecret(len));
            }
        }
        let platforms = parse_platforms(cli.platforms)?;
        let settings = Settings {
            public_url,
            session_secret: cli.session_secret,
            session_idle_timeout: SessionLength::new(
                "MONKEYCI_SESSION_IDLE_TIMEOUT",
                cli.session_idle_timeout,
            )?,
            session_max_age: SessionLength::new("MONKEYCI_SESSION_MAX_AGE", cli.session_max_age)?,
            workers: cli.workers,
            platforms,
            api_failures_per_minute: cli.api_failures_per_minute,
            trusted_proxies: parse_trusted_proxies(&cli.trusted_proxies)?,
            argon2_concurrency: cli.argon2_concurrency,
            metrics_listen: cli
                .metrics_listen
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(resolve_metrics_listen)
                .transpose()?,
            shutdown: ShutdownSettings { delay: cli.shutdown_delay, timeout: cli.shutdown_timeout },
            ..Settings::new(listen, database)
        };
        settings.check_dev_sign_in()?;
        Ok(settings)
    }

    /// Development sign-in is on exactly when no platform is configured.
    pub fn dev_sign_in(&self) -> bool {
        !self.platforms.any_enabled()
    }

    /// Development sign-in lets anyone in by name: refuse it on anything but loopback.
    pub fn check_dev_sign_in(&self) -> Result<(), ConfigError> {
        if let Some(public) = self.listen.iter().find(|a| !a.ip().is_loopback())
            && self.dev_sign_in()
        {
            return Err(ConfigError::DevSignInOnPublicAddress(*public));
        }
        if let Some(url) = &self.public_url
            && !names_loopback(url)
            && self.dev_sign_in()
        {
            return Err(ConfigError::DevSignInBehindPublicUrl(
                url.host_str().unwrap_or_default().to_string(),
            ));
        }
        Ok(())
    }
}

/// True when the URL's host is this machine: `localhost`, 127.0.0.0/8 or `::1`.
fn names_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn resolve_listen(entries: &[String]) -> Result<Vec<SocketAddr>, ConfigError> {
    let mut addrs = Vec::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let resolved =
            entry.to_socket_addrs().map_err(|_| ConfigError::BadListenAddress(entry.to_string()))?;
        addrs.extend(resolved);
    }
    if addrs.is_empty() {
        return Err(ConfigError::BadListenAddress(entries.join(",")));
    }
    Ok(addrs)
}

/// One address: metrics are served on a single socket.
fn resolve_metrics_listen(entry: &str) -> Result<SocketAddr, ConfigError> {
    let bad = || ConfigError::BadMetricsListenAddress(entry.to_string());
    entry.trim().to_socket_addrs().map_err(|_| bad())?.next().ok_or_else(bad)
}

fn parse_public_url(raw: &str) -> Result<Url, ConfigError> {
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(ConfigError::BadPublicUrl(raw.to_string())),
    }
}

fn parse_url(name: &'static str, raw: &str) -> Result<Url, ConfigError> {
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err(ConfigError::BadPlatformUrl { name, value: raw.to_string() }),
    }
}

fn oauth_app(
    id: Option<String>,
    secret: Option<SecretString>,
    id_name: &'static str,
    secret_name: &'static str,
) -> Result<Option<OAuthApp>, ConfigError> {
    match (id.filter(|s| !s.trim().is_empty()), secret) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(ConfigError::IncompletePlatform(id_name, secret_name)),
        (Some(client_id), Some(client_secret)) => Ok(Some(OAuthApp { client_id, client_secret })),
    }
}

fn parse_platforms(args: PlatformArgs) -> Result<PlatformSettings, ConfigError> {
    let github = oauth_app(
        args.github_client_id,
        args.github_client_secret,
        "MONKEYCI_GITHUB_CLIENT_ID",
        "MONKEYCI_GITHUB_CLIENT_SECRET",
    )?
    .map(|app| -> Result<_, ConfigError> {
        Ok(GitHubSettings {
            app,
            url: parse_url("MONKEYCI_GITHUB_URL", &args.github_url)?,
            api_url: parse_url("MONKEYCI_GITHUB_API_URL", &args.github_api_url)?,
        })
    })
    .transpose()?;
    let gitlab = oauth_app(
        args.gitlab_client_id,
        args.gitlab_client_secret,
        "MONKEYCI_GITLAB_CLIENT_ID",
        "MONKEYCI_GITLAB_CLIENT_SECRET",
    )?
    .map(|app| -> Result<_, ConfigError> {
        Ok(GitLabSettings { app, url: parse_url("MONKEYCI_GITLAB_URL", &args.gitlab_url)? })
    })
    .transpose()?;
    let bitbucket = oauth_app(
        args.bitbucket_client_id,
        args.bitbucket_client_secret,
        "MONKEYCI_BITBUCKET_CLIENT_ID",
        "MONKEYCI_BITBUCKET_CLIENT_SECRET",
    )?
    .map(|app| -> Result<_, ConfigError> {
        Ok(BitbucketSettings {
            app,
            url: parse_url("MONKEYCI_BITBUCKET_URL", &args.bitbucket_url)?,
            api_url: parse_url("MONKEYCI_BITBUCKET_API_URL", &args.bitbucket_api_url)?,
        })
    })
    .transpose()?;
    let codeberg = oauth_app(
        args.codeberg_client_id,
        args.codeberg_client_secret,
        "MONKEYCI_CODEBERG_CLIENT_ID",
        "MONKEYCI_CODEBERG_CLIENT_SECRET",
    )?
    .map(|app| -> Result<_, ConfigError> {
        Ok(CodebergSettings { app, url: parse_url("MONKEYCI_CODEBERG_URL", &args.codeberg_url)? })
    })
    .transpose()?;
    let oidc = match args.oidc_issuer.filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(issuer) => {
            let app = oauth_app(
                args.oidc_client_id,
                args.oidc_client_secret,
                "MONKEYCI_OIDC_CLIENT_ID",
                "MONKEYCI_OIDC_CLIENT_SECRET",
            )?
            .ok_or(ConfigError::IncompletePlatform("MONKEYCI_OIDC_ISSUER", "MONKEYCI_OIDC_CLIENT_ID"))?;
            Some(OidcSettings {
                app,
                issuer: parse_url("MONKEYCI_OIDC_ISSUER", issuer.trim())
                    .map(|_| issuer.trim().to_string())?,
                name: args.oidc_name,
            })
        }
    };
    Ok(PlatformSettings { github, gitlab, bitbucket, codeberg, oidc })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        let mut all = vec!["monkeyci-server"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("arguments parse")
    }

    #[test]
    fn defaults_listen_on_loopback_with_sqlite_and_dev_sign_in() {
        let settings = Settings::from_cli(cli(&[])).expect("defaults are valid");
        assert_eq!(settings.listen, vec!["127.0.0.1:8080".parse().unwrap()]);
        assert!(
            matches!(settings.database, DatabaseTarget::Sqlite { ref path } if path == "data/monkeyci.db")
        );
        assert!(settings.dev_sign_in());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let settings = Settings::from_cli(cli(&["--trusted-proxies", "10.0.0.0/8, 127.0.0.1,::1"])).unwrap();
        let shown: Vec<String> = settings.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        let err = Settings::from_cli(cli(&["--trusted-proxies", "proxy.local"])).unwrap_err();
        assert!(matches!(err, ConfigError::BadTrustedProxy(ref s) if s == "proxy.local"));
    }

    #[test]
    fn dev_sign_in_on_a_public_address_is_refused() {
        let err = Settings::from_cli(cli(&["--listen", "0.0.0.0:8080"])).unwrap_err();
        assert!(matches!(err, ConfigError::DevSignInOnPublicAddress(_)));
        assert!(err.to_string().contains("loopback"));
    }

    #[test]
    fn dev_sign_in_behind_a_public_url_is_refused_even_on_loopback() {
        for url in ["https://accounts.example.com", "http://10.0.0.5:8080", "http://localhost.example.com"] {
            let err = Settings::from_cli(cli(&["--public-url", url])).unwrap_err();
            assert!(matches!(err, ConfigError::DevSignInBehindPublicUrl(_)), "{url}");
            assert!(err.to_string().contains("MONKEYCI_PUBLIC_URL names"), "{err}");
        }
        for url in ["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:8080", "http://127.0.0.2"]
        {
            Settings::from_cli(cli(&["--public-url", url])).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    #[test]
    fn a_platform_allows_a_public_address() {
        let settings = Settings::from_cli(cli(&[
            "--listen",
            "0.0.0.0:8080",
            "--github-client-id",
            "abc",
            "--github-client-secret",
            "shh",
        ]))
        .expect("valid");
        assert!(!settings.dev_sign_in());
    }

    #[test]
    fn a_client_id_without_its_secret_is_refused() {
        let err = Settings::from_cli(cli(&["--gitlab-client-id", "abc"])).unwrap_err();
        assert!(err.to_string().contains("MONKEYCI_GITLAB_CLIENT_SECRET"));
    }

    #[test]
    fn a_short_session_secret_is_refused() {
        let err = Settings::from_cli(cli(&["--session-secret", "too-short"])).unwrap_err();
        assert!(matches!(err, ConfigError::ShortSessionSecret(9)));
    }

    #[test]
    fn an_unknown_database_scheme_is_named_without_any_of_the_rest() {
        let err = Settings::from_cli(cli(&["--database-url", "mysql://a:secret@host/db"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DATABASE_URL must start with sqlite:// or postgres:// (got a mysql:// URL)"
        );
    }

    #[test]
    fn a_database_url_without_a_scheme_is_refused_without_echoing_it() {
        for raw in
            ["a:secret@host/db", "data/monkeyci.db", "", "hunter2 ://x", "s3cr3t-t0k3n-th4t-is-l0ng://x"]
        {
            let err = DatabaseTarget::parse(raw).unwrap_err();
            assert_eq!(
                err.to_string(),
                "DATABASE_URL must start with sqlite:// or postgres:// (got a value without a URL scheme)",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_stop_waits_two_seconds_then_gives_requests_in_flight_thirty_unless_told_otherwise() {
        let settings = Settings::from_cli(cli(&[])).unwrap();
        assert_eq!(settings.shutdown, ShutdownSettings::default());
        assert_eq!(settings.shutdown.delay, Duration::from_secs(2));
        assert_eq!(settings.shutdown.timeout, Duration::from_secs(30));
        let settings =
            Settings::from_cli(cli(&["--shutdown-delay", "0s", "--shutdown-timeout", "1m"])).unwrap();
        assert_eq!(settings.shutdown.delay, Duration::ZERO);
        assert_eq!(settings.shutdown.timeout, Duration::from_mins(1));
    }

    #[test]
    fn sqlite_without_a_path_is_told_it_needs_one() {
        let err = DatabaseTarget::parse("sqlite://").unwrap_err();
        assert_eq!(
            err.to_string(),
            "DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://data/monkeyci.db"
        );
    }

    #[test]
    fn session_lengths_beyond_a_hundred_years_are_refused_by_name() {
        let err = Settings::from_cli(cli(&["--session-max-age", "300000years"])).unwrap_err();
        assert_eq!(err.to_string(), "MONKEYCI_SESSION_MAX_AGE is too long: at most 36500days (100 years)");
        let err = Settings::from_cli(cli(&["--session-idle-timeout", "36501days"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MONKEYCI_SESSION_IDLE_TIMEOUT is too long: at most 36500days (100 years)"
        );
        let settings = Settings::from_cli(cli(&[
            "--session-max-age",
            "36500days",
            "--session-idle-timeout",
            "36500days",
        ]))
        .expect("the longest allowed");
        assert_eq!(settings.session_max_age.as_chrono(), chrono::Duration::days(36_500));
        assert_eq!(settings.session_idle_timeout.whole_seconds(), 36_500 * 24 * 3600);
    }

    #[test]
    fn metrics_are_off_unless_an_address_is_given() {
        assert_eq!(Settings::from_cli(cli(&[])).unwrap().metrics_listen, None);
        let settings = Settings::from_cli(cli(&["--metrics-listen", "127.0.0.1:9090"])).unwrap();
        assert_eq!(settings.metrics_listen, Some("127.0.0.1:9090".parse().unwrap()));
        let err = Settings::from_cli(cli(&["--metrics-listen", "nowhere"])).unwrap_err();
        assert_eq!(err.to_string(), "MONKEYCI_METRICS_LISTEN: `nowhere` is not a host:port address");
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(cli(&[]).log_format, LogFormat::Text);
        assert_eq!(cli(&["--log-format", "json"]).log_format, LogFormat::Json);
        assert!(Cli::try_parse_from(["monkeyci-server", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn migrate_is_a_command_that_takes_the_database_url_after_it() {
        let parsed = cli(&["migrate", "--database-url", "sqlite://elsewhere.db"]);
        assert!(matches!(parsed.command, Some(Command::Migrate)));
        assert_eq!(parsed.database_url.expose_secret(), "sqlite://elsewhere.db");
        assert!(cli(&[]).command.is_none());
    }

    #[test]
    fn the_postgres_url_is_not_printed_by_debug() {
        let target = DatabaseTarget::parse("postgres://u:hunter2@localhost/db").unwrap();
        assert!(!format!("{target:?}").contains("hunter2"));
    }
}
