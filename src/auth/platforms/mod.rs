//! Sign-in with code-hosting platforms (SPEC §3): GitHub, GitLab, Bitbucket Cloud,
//! Codeberg/Forgejo/Gitea over OAuth 2, and any OpenID Connect provider.
//!
//! `Platforms` is built once from the settings. `start` makes the address to send
//! the person to plus the `PendingLogin` to keep in their session; `finish` turns
//! the code that comes back into a `PlatformProfile`. The platform's access token
//! lives only inside `finish`: it reads the profile and is dropped.

mod bitbucket;
mod codeberg;
mod github;
mod gitlab;
mod http;
mod oauth;
mod oidc;
pub mod settings;

use std::fmt;

use url::Url;

use self::settings::PlatformSettings;
use crate::domain::identity::PlatformProfile;
use crate::domain::pending_login::{PendingLogin, Purpose};

pub use oauth::OAuthPlatform;
pub use oidc::OidcPlatform;

/// The platforms people can sign in with, by their fixed route name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatformId {
    GitHub,
    GitLab,
    Bitbucket,
    Codeberg,
    Oidc,
}

impl PlatformId {
    pub const ALL: [PlatformId; 5] = [
        PlatformId::GitHub,
        PlatformId::GitLab,
        PlatformId::Bitbucket,
        PlatformId::Codeberg,
        PlatformId::Oidc,
    ];

    /// The name in routes (`/auth/{slug}/login`) and in the identities table.
    pub fn slug(self) -> &'static str {
        match self {
            PlatformId::GitHub => "github",
            PlatformId::GitLab => "gitlab",
            PlatformId::Bitbucket => "bitbucket",
            PlatformId::Codeberg => "codeberg",
            PlatformId::Oidc => "oidc",
        }
    }

    pub fn from_slug(slug: &str) -> Option<PlatformId> {
        PlatformId::ALL.into_iter().find(|p| p.slug() == slug)
    }
}

/// Why a sign-in could not be completed. The message goes to the log; people see
/// a friendly page. None of these carry a token or a secret.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("the provider's discovery document could not be read: {0}")]
    Discovery(String),
    #[error("the code could not be exchanged for a token: {0}")]
    TokenExchange(String),
    #[error("the profile could not be read: {0}")]
    Profile(String),
    #[error("the ID token was refused: {0}")]
    IdToken(String),
}

/// Where to send the person, and what to remember until they come back.
pub struct Authorization {
    pub url: Url,
    pub pending: PendingLogin,
}

/// One enabled platform.
pub enum Platform {
    OAuth(Box<OAuthPlatform>),
    Oidc(Box<OidcPlatform>),
}

impl Platform {
    pub fn id(&self) -> PlatformId {
        match self {
            Platform::OAuth(p) => p.id(),
            Platform::Oidc(_) => PlatformId::Oidc,
        }
    }

    /// The name shown on buttons ("Sign in with GitHub").
    pub fn label(&self) -> &str {
        match self {
            Platform::OAuth(p) => p.label(),
            Platform::Oidc(p) => p.label(),
        }
    }

    pub async fn start(
        &self,
        return_to: String,
        purpose: Purpose,
        now: i64,
    ) -> Result<Authorization, PlatformError> {
        match self {
            Platform::OAuth(p) => Ok(p.start(return_to, purpose, now)),
            Platform::Oidc(p) => p.start(return_to, purpose, now).await,
        }
    }

    pub async fn finish(
        &self,
        code: String,
        pending: &PendingLogin,
    ) -> Result<PlatformProfile, PlatformError> {
        match self {
            Platform::OAuth(p) => p.finish(code, pending).await,
            Platform::Oidc(p) => p.finish(code, pending).await,
        }
    }
}

/// The enabled platforms, in the order their buttons appear.
pub struct Platforms {
    enabled: Vec<Platform>,
}

impl fmt::Debug for Platforms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.enabled.iter().map(Platform::id)).finish()
    }
}

impl Platforms {
    pub fn from_settings(settings: &PlatformSettings, public_url: &Url) -> anyhow::Result<Platforms> {
        let http = http::client()?;
        let redirect = |id: PlatformId| -> anyhow::Result<Url> {
            Ok(public_url.join(&format!("/auth/{}/callback", id.slug()))?)
        };
        let mut enabled = Vec::new();
        let oauth = |p: OAuthPlatform| Platform::OAuth(Box::new(p));
        if let Some(s) = &settings.github {
            enabled.push(oauth(github::platform(s, redirect(PlatformId::GitHub)?, http.clone())?));
        }
        if let Some(s) = &settings.gitlab {
            enabled.push(oauth(gitlab::platform(s, redirect(PlatformId::GitLab)?, http.clone())?));
        }
        if let Some(s) = &settings.bitbucket {
            enabled.push(oauth(bitbucket::platform(s, redirect(PlatformId::Bitbucket)?, http.clone())?));
        }
        if let Some(s) = &settings.codeberg {
            enabled.push(oauth(codeberg::platform(s, redirect(PlatformId::Codeberg)?, http.clone())?));
        }
        if let Some(s) = &settings.oidc {
            let platform = OidcPlatform::new(s, redirect(PlatformId::Oidc)?, http.clone())?;
            enabled.push(Platform::Oidc(Box::new(platform)));
        }
        Ok(Platforms { enabled })
    }

    pub fn get(&self, id: PlatformId) -> Option<&Platform> {
        self.enabled.iter().find(|p| p.id() == id)
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Platform> {
        PlatformId::from_slug(slug).and_then(|id| self.get(id))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Platform> {
        self.enabled.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.enabled.is_empty()
    }
}

/// The label of a platform for pages that list identities, enabled or not.
pub fn label_of(slug: &str, platforms: &Platforms) -> String {
    if let Some(platform) = platforms.by_slug(slug) {
        return platform.label().to_string();
    }
    match slug {
        "dev" => "Development sign-in".into(),
        "github" => "GitHub".into(),
        "gitlab" => "GitLab".into(),
        "bitbucket" => "Bitbucket".into(),
        "codeberg" => "Codeberg".into(),
        "oidc" => "OpenID Connect".into(),
        other => other.to_string(),
    }
}
