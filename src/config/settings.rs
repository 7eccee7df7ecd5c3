//! The checked configuration the application runs with.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::cli::ServerArgs;
use super::error::{ConfigError, MAX_SESSION_DAYS};
use super::platforms;
use crate::auth::introspection_clients::IntrospectionClients;
use crate::auth::platforms::settings::PlatformSettings;
use crate::db::target::DatabaseTarget;
use crate::mail::{MailSettings, SmtpUrl, transport};

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

/// Where GitHub publishes its secret scanning signing keys.
pub const GITHUB_SECRET_SCANNING_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";

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
    /// Who may use `POST /api/v1/introspect`; none: it answers 404.
    pub introspection_clients: Arc<IntrospectionClients>,
    /// Where GitHub's secret scanning signing keys are read.
    pub github_secret_scanning_keys_url: Url,
    /// E-mail: the SMTP server and sender (none: no mail is sent).
    pub mail: MailSettings,
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
    /// i.e. development sign-in on. Used by tests and as the base of `from_args`.
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
            introspection_clients: Arc::default(),
            github_secret_scanning_keys_url: Url::parse(GITHUB_SECRET_SCANNING_KEYS_URL)
                .expect("the default URL parses"),
            mail: MailSettings::default(),
        }
    }

    pub fn from_args(args: ServerArgs) -> Result<Self, ConfigError> {
        let listen = resolve_listen(&args.listen)?;
        let public_url = args.public_url.as_deref().map(parse_public_url).transpose()?;
        let database = DatabaseTarget::parse(args.database_url.expose_secret())?;
        if let Some(secret) = &args.session_secret {
            let len = secret.expose_secret().len();
            if len < 64 {
                return Err(ConfigError::ShortSessionSecret(len));
            }
        }
        let platforms = platforms::from_args(args.platforms)?;
        let settings = Settings {
            public_url,
            session_secret: args.session_secret,
            session_idle_timeout: SessionLength::new(
                "MONKEYCI_SESSION_IDLE_TIMEOUT",
                args.session_idle_timeout,
            )?,
            session_max_age: SessionLength::new("MONKEYCI_SESSION_MAX_AGE", args.session_max_age)?,
            workers: args.workers,
            platforms,
            api_failures_per_minute: args.api_failures_per_minute,
            trusted_proxies: parse_trusted_proxies(&args.trusted_proxies)?,
            argon2_concurrency: args.argon2_concurrency,
            metrics_listen: args
                .metrics_listen
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(resolve_metrics_listen)
                .transpose()?,
            shutdown: ShutdownSettings { delay: args.shutdown_delay, timeout: args.shutdown_timeout },
            introspection_clients: Arc::new(
                args.introspection_clients
                    .as_ref()
                    .map(|raw| IntrospectionClients::parse(raw.expose_secret()))
                    .transpose()?
                    .unwrap_or_default(),
            ),
            github_secret_scanning_keys_url: platforms::parse_url(
                "MONKEYCI_GITHUB_SECRET_SCANNING_KEYS_URL",
                &args.github_secret_scanning_keys_url,
            )?,
            mail: MailSettings {
                smtp: args.smtp_url.as_ref().map(|url| SmtpUrl::parse(url.expose_secret())).transpose()?,
                from: args.mail_from.as_deref().map(transport::parse_from).transpose()?,
                ..MailSettings::default()
            },
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

#[cfg(test)]
mod tests {
    use clap::Parser;
    use secrecy::ExposeSecret;

    use super::*;
    use crate::config::{LogFormat, ServerCommand};

    fn cli(args: &[&str]) -> ServerArgs {
        let mut all = vec!["monkeyci-server"];
        all.extend_from_slice(args);
        ServerArgs::try_parse_from(all).expect("arguments parse")
    }

    #[test]
    fn defaults_listen_on_loopback_with_sqlite_and_dev_sign_in() {
        let settings = Settings::from_args(cli(&[])).expect("defaults are valid");
        assert_eq!(settings.listen, vec!["127.0.0.1:8080".parse().unwrap()]);
        assert!(
            matches!(settings.database, DatabaseTarget::Sqlite { ref path } if path == "data/monkeyci.db")
        );
        assert!(settings.dev_sign_in());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let settings = Settings::from_args(cli(&["--trusted-proxies", "10.0.0.0/8, 127.0.0.1,::1"])).unwrap();
        let shown: Vec<String> = settings.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        let err = Settings::from_args(cli(&["--trusted-proxies", "proxy.local"])).unwrap_err();
        assert!(matches!(err, ConfigError::BadTrustedProxy(ref s) if s == "proxy.local"));
    }

    #[test]
    fn dev_sign_in_on_a_public_address_is_refused() {
        let err = Settings::from_args(cli(&["--listen", "0.0.0.0:8080"])).unwrap_err();
        assert!(matches!(err, ConfigError::DevSignInOnPublicAddress(_)));
        assert!(err.to_string().contains("loopback"));
    }

    #[test]
    fn dev_sign_in_behind_a_public_url_is_refused_even_on_loopback() {
        for url in ["https://accounts.example.com", "http://10.0.0.5:8080", "http://localhost.example.com"] {
            let err = Settings::from_args(cli(&["--public-url", url])).unwrap_err();
            assert!(matches!(err, ConfigError::DevSignInBehindPublicUrl(_)), "{url}");
            assert!(err.to_string().contains("MONKEYCI_PUBLIC_URL names"), "{err}");
        }
        for url in ["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:8080", "http://127.0.0.2"]
        {
            Settings::from_args(cli(&["--public-url", url])).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    #[test]
    fn a_platform_allows_a_public_address() {
        let settings = Settings::from_args(cli(&[
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
        let err = Settings::from_args(cli(&["--gitlab-client-id", "abc"])).unwrap_err();
        assert!(err.to_string().contains("MONKEYCI_GITLAB_CLIENT_SECRET"));
    }

    #[test]
    fn an_issuer_without_its_client_or_a_platform_url_that_is_not_http_is_refused_by_name() {
        let err = Settings::from_args(cli(&["--oidc-issuer", "https://id.example.com"])).unwrap_err();
        assert_eq!(err.to_string(), "MONKEYCI_OIDC_ISSUER is set but MONKEYCI_OIDC_CLIENT_ID is missing");
        let err = Settings::from_args(cli(&[
            "--codeberg-client-id",
            "abc",
            "--codeberg-client-secret",
            "shh",
            "--codeberg-url",
            "ftp://codeberg.org",
        ]))
        .unwrap_err();
        assert_eq!(err.to_string(), "MONKEYCI_CODEBERG_URL: `ftp://codeberg.org` is not an http(s) URL");
    }

    #[test]
    fn introspection_is_off_unless_clients_are_given_and_a_bad_entry_is_named_without_its_secret() {
        assert!(!Settings::from_args(cli(&[])).unwrap().introspection_clients.is_enabled());
        let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t";
        let settings =
            Settings::from_args(cli(&["--introspection-clients", &format!("builds:{secret}")])).unwrap();
        assert!(settings.introspection_clients.authenticate("builds", secret));
        let err = Settings::from_args(cli(&["--introspection-clients", "builds:tooshort"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MONKEYCI_INTROSPECTION_CLIENTS: the secret of client `builds` is shorter than 32 characters"
        );
    }

    #[test]
    fn a_short_session_secret_is_refused() {
        let err = Settings::from_args(cli(&["--session-secret", "too-short"])).unwrap_err();
        assert!(matches!(err, ConfigError::ShortSessionSecret(9)));
    }

    #[test]
    fn an_unknown_database_scheme_is_named_without_any_of_the_rest() {
        let err = Settings::from_args(cli(&["--database-url", "mysql://a:secret@host/db"])).unwrap_err();
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
        let settings = Settings::from_args(cli(&[])).unwrap();
        assert_eq!(settings.shutdown, ShutdownSettings::default());
        assert_eq!(settings.shutdown.delay, Duration::from_secs(2));
        assert_eq!(settings.shutdown.timeout, Duration::from_secs(30));
        let settings =
            Settings::from_args(cli(&["--shutdown-delay", "0s", "--shutdown-timeout", "1m"])).unwrap();
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
        let err = Settings::from_args(cli(&["--session-max-age", "300000years"])).unwrap_err();
        assert_eq!(err.to_string(), "MONKEYCI_SESSION_MAX_AGE is too long: at most 36500days (100 years)");
        let err = Settings::from_args(cli(&["--session-idle-timeout", "36501days"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MONKEYCI_SESSION_IDLE_TIMEOUT is too long: at most 36500days (100 years)"
        );
        let settings = Settings::from_args(cli(&[
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
        assert_eq!(Settings::from_args(cli(&[])).unwrap().metrics_listen, None);
        let settings = Settings::from_args(cli(&["--metrics-listen", "127.0.0.1:9090"])).unwrap();
        assert_eq!(settings.metrics_listen, Some("127.0.0.1:9090".parse().unwrap()));
        let err = Settings::from_args(cli(&["--metrics-listen", "nowhere"])).unwrap_err();
        assert_eq!(err.to_string(), "MONKEYCI_METRICS_LISTEN: `nowhere` is not a host:port address");
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(cli(&[]).log_format, LogFormat::Text);
        assert_eq!(cli(&["--log-format", "json"]).log_format, LogFormat::Json);
        assert!(ServerArgs::try_parse_from(["monkeyci-server", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn migrate_is_a_command_that_takes_the_database_url_after_it() {
        let parsed = cli(&["migrate", "--database-url", "sqlite://elsewhere.db"]);
        assert!(matches!(parsed.command, Some(ServerCommand::Migrate)));
        assert_eq!(parsed.database_url.expose_secret(), "sqlite://elsewhere.db");
        assert!(cli(&[]).command.is_none());
    }

    #[test]
    fn mail_is_off_unless_an_smtp_url_is_given_and_a_bad_one_is_refused_without_its_password() {
        let settings = Settings::from_args(cli(&[])).unwrap();
        assert!(settings.mail.smtp.is_none() && settings.mail.from.is_none());
        let settings =
            Settings::from_args(cli(&["--smtp-url", "smtps://mailer:hunter2@mail.example.com:465"])).unwrap();
        assert!(settings.mail.smtp.is_some());
        assert!(!format!("{settings:?}").contains("hunter2"));
        let err =
            Settings::from_args(cli(&["--smtp-url", "https://mailer:hunter2@mail.example.com"])).unwrap_err();
        assert!(err.to_string().starts_with("MONKEYCI_SMTP_URL") && !err.to_string().contains("hunter2"));
        let err = Settings::from_args(cli(&["--mail-from", "nobody"])).unwrap_err();
        assert!(err.to_string().starts_with("MONKEYCI_MAIL_FROM"), "{err}");
    }

    #[test]
    fn the_postgres_url_is_not_printed_by_debug() {
        let target = DatabaseTarget::parse("postgres://u:hunter2@localhost/db").unwrap();
        assert!(!format!("{target:?}").contains("hunter2"));
    }
}
