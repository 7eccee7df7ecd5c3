//! The platform flags as `PlatformSettings`: a platform is on when its client
//! id is set, and then its secret and URLs must be valid.

use secrecy::SecretString;
use url::Url;

use super::cli::PlatformArgs;
use super::error::ConfigError;
use crate::auth::platforms::settings::{
    BitbucketSettings, CodebergSettings, GitHubSettings, GitLabSettings, OAuthApp, OidcSettings,
    PlatformSettings,
};

/// The environment variables of one platform's OAuth application, for messages.
struct AppVariables {
    client_id: &'static str,
    client_secret: &'static str,
}

const GITHUB: AppVariables =
    AppVariables { client_id: "MONKEYCI_GITHUB_CLIENT_ID", client_secret: "MONKEYCI_GITHUB_CLIENT_SECRET" };
const GITLAB: AppVariables =
    AppVariables { client_id: "MONKEYCI_GITLAB_CLIENT_ID", client_secret: "MONKEYCI_GITLAB_CLIENT_SECRET" };
const BITBUCKET: AppVariables = AppVariables {
    client_id: "MONKEYCI_BITBUCKET_CLIENT_ID",
    client_secret: "MONKEYCI_BITBUCKET_CLIENT_SECRET",
};
const CODEBERG: AppVariables = AppVariables {
    client_id: "MONKEYCI_CODEBERG_CLIENT_ID",
    client_secret: "MONKEYCI_CODEBERG_CLIENT_SECRET",
};
const OIDC: AppVariables =
    AppVariables { client_id: "MONKEYCI_OIDC_CLIENT_ID", client_secret: "MONKEYCI_OIDC_CLIENT_SECRET" };

pub(super) fn from_args(args: PlatformArgs) -> Result<PlatformSettings, ConfigError> {
    let github =
        when_enabled(oauth_app(args.github_client_id, args.github_client_secret, &GITHUB)?, |app| {
            Ok(GitHubSettings {
                app,
                url: parse_url("MONKEYCI_GITHUB_URL", &args.github_url)?,
                api_url: parse_url("MONKEYCI_GITHUB_API_URL", &args.github_api_url)?,
            })
        })?;
    let gitlab =
        when_enabled(oauth_app(args.gitlab_client_id, args.gitlab_client_secret, &GITLAB)?, |app| {
            Ok(GitLabSettings { app, url: parse_url("MONKEYCI_GITLAB_URL", &args.gitlab_url)? })
        })?;
    let bitbucket = when_enabled(
        oauth_app(args.bitbucket_client_id, args.bitbucket_client_secret, &BITBUCKET)?,
        |app| {
            Ok(BitbucketSettings {
                app,
                url: parse_url("MONKEYCI_BITBUCKET_URL", &args.bitbucket_url)?,
                api_url: parse_url("MONKEYCI_BITBUCKET_API_URL", &args.bitbucket_api_url)?,
            })
        },
    )?;
    let codeberg =
        when_enabled(oauth_app(args.codeberg_client_id, args.codeberg_client_secret, &CODEBERG)?, |app| {
            Ok(CodebergSettings { app, url: parse_url("MONKEYCI_CODEBERG_URL", &args.codeberg_url)? })
        })?;
    // OpenID Connect is on when its issuer is set; the client id must come with it.
    let oidc = match args.oidc_issuer.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(issuer) => {
            let app = oauth_app(args.oidc_client_id, args.oidc_client_secret, &OIDC)?.ok_or(
                ConfigError::IncompletePlatform { set: "MONKEYCI_OIDC_ISSUER", missing: OIDC.client_id },
            )?;
            parse_url("MONKEYCI_OIDC_ISSUER", issuer)?;
            Some(OidcSettings { app, issuer: issuer.to_string(), name: args.oidc_name })
        }
    };
    Ok(PlatformSettings { github, gitlab, bitbucket, codeberg, oidc })
}

/// The platform's settings when its application is configured.
fn when_enabled<T>(
    app: Option<OAuthApp>,
    settings: impl FnOnce(OAuthApp) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    app.map(settings).transpose()
}

/// The application when its client id is set (its secret must be set too).
fn oauth_app(
    id: Option<String>,
    secret: Option<SecretString>,
    variables: &AppVariables,
) -> Result<Option<OAuthApp>, ConfigError> {
    match (id.filter(|s| !s.trim().is_empty()), secret) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(ConfigError::IncompletePlatform {
            set: variables.client_id,
            missing: variables.client_secret,
        }),
        (Some(client_id), Some(client_secret)) => Ok(Some(OAuthApp { client_id, client_secret })),
    }
}

pub(super) fn parse_url(name: &'static str, raw: &str) -> Result<Url, ConfigError> {
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err(ConfigError::BadPlatformUrl { name, value: raw.to_string() }),
    }
}
