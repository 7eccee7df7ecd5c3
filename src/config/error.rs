//! Why a configuration is refused: one clear line at start-up.

use std::net::SocketAddr;

use crate::auth::introspection_clients::ClientsError;
use crate::db::target::DatabaseUrlError;
use crate::mail::{MailFromError, SmtpUrlError};

/// The longest session timeout: far beyond any useful session, and far inside
/// what the session dates (`now` ± the timeout) can hold.
pub const MAX_SESSION_DAYS: i64 = 36_500;

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
    #[error("{set} is set but {missing} is missing")]
    IncompletePlatform { set: &'static str, missing: &'static str },
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
    #[error("MONKEYCI_INTROSPECTION_CLIENTS: {0}")]
    IntrospectionClients(#[from] ClientsError),
    #[error("MONKEYCI_TRUSTED_PROXIES: `{0}` is not an IP address or network (like 10.0.0.0/8)")]
    BadTrustedProxy(String),
    #[error("{0} is too long: at most {MAX_SESSION_DAYS}days (100 years)")]
    SessionTooLong(&'static str),
    #[error(transparent)]
    SmtpUrl(#[from] SmtpUrlError),
    #[error(transparent)]
    MailFrom(#[from] MailFromError),
}
