//! What each sign-in platform needs to be reached: filled by `crate::config`
//! from the environment, read by the platforms here.

use secrecy::SecretString;
use url::Url;

/// One OAuth application: the client id is public, the secret is not.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
}

#[derive(Debug, Clone)]
pub struct GitHubSettings {
    pub app: OAuthApp,
    pub url: Url,
    pub api_url: Url,
}

#[derive(Debug, Clone)]
pub struct GitLabSettings {
    pub app: OAuthApp,
    pub url: Url,
}

#[derive(Debug, Clone)]
pub struct BitbucketSettings {
    pub app: OAuthApp,
    pub url: Url,
    pub api_url: Url,
}

#[derive(Debug, Clone)]
pub struct CodebergSettings {
    pub app: OAuthApp,
    pub url: Url,
}

#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub app: OAuthApp,
    /// Kept as written: the discovery document must name exactly this issuer.
    pub issuer: String,
    pub name: String,
}

/// The platforms that are switched on, as configured (see `Platforms` for the
/// running ones).
#[derive(Debug, Clone, Default)]
pub struct PlatformSettings {
    pub github: Option<GitHubSettings>,
    pub gitlab: Option<GitLabSettings>,
    pub bitbucket: Option<BitbucketSettings>,
    pub codeberg: Option<CodebergSettings>,
    pub oidc: Option<OidcSettings>,
}

impl PlatformSettings {
    pub fn any_enabled(&self) -> bool {
        self.github.is_some()
            || self.gitlab.is_some()
            || self.bitbucket.is_some()
            || self.codeberg.is_some()
            || self.oidc.is_some()
    }
}
