//! What every handler can reach: storage, the clock and the settings they read.

use std::sync::Arc;

use ipnet::IpNet;
use url::Url;

use crate::auth::introspection_clients::IntrospectionClients;
use crate::auth::key_auth::KeyAuthenticator;
use crate::auth::platforms::Platforms;
use crate::auth::secret_scanning_keys::GitHubSigningKeys;
use crate::clock::Clock;
use crate::db::Db;
use crate::services::api_keys::ApiKeys;
use crate::services::leaks::Leaks;
use crate::services::memberships::Memberships;
use crate::services::sign_in::SignIn;

pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Proxies whose `X-Forwarded-For` names the client (`MONKEYCI_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
    /// The URL people reach the server at (configured, or derived from the bound address).
    pub public_url: Url,
    /// `scheme://host[:port]` of `public_url`, as browsers send it in `Origin`.
    pub public_origin: String,
    pub dev_sign_in: bool,
    /// The enabled sign-in platforms.
    pub platforms: Platforms,
    /// The platform's services that may introspect keys (none: introspection off).
    pub introspection_clients: Arc<IntrospectionClients>,
    /// Verifies API keys for `/api/v1`.
    pub key_auth: KeyAuthenticator,
    /// Creates and deletes API keys (hashing in `key_auth`'s argon2 slots).
    pub api_keys: ApiKeys,
    /// Joins, decisions, role changes, removals.
    pub memberships: Memberships,
    /// Revokes keys reported as leaked, and tells their owners.
    pub leaks: Leaks,
    /// GitHub's keys that sign secret scanning reports.
    pub github_signing_keys: GitHubSigningKeys,
    /// The platform callback's steps.
    pub sign_in: SignIn,
    /// Signs and encrypts cookies: the session's, and the anonymous CSRF cookie.
    pub cookie_key: actix_web::cookie::Key,
}

impl AppState {
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}
