//! Codeberg, or any Forgejo or Gitea instance (MONKEYCI_CODEBERG_URL).

use serde::Deserialize;
use url::Url;

use super::PlatformId;
use super::http::{endpoint, get_json};
use super::oauth::{OAuthEndpoints, OAuthPlatform, non_empty};
use super::settings::CodebergSettings;
use crate::domain::identity::PlatformProfile;

pub fn platform(
    settings: &CodebergSettings,
    redirect: Url,
    http: reqwest::Client,
) -> anyhow::Result<OAuthPlatform> {
    let endpoints = OAuthEndpoints {
        authorize: endpoint(&settings.url, "/login/oauth/authorize")?,
        token: endpoint(&settings.url, "/login/oauth/access_token")?,
        api: endpoint(&settings.url, "/api/v1")?,
        scopes: &["read:user"],
        pkce: true,
        basic_auth: false,
        read_profile: |http, api, token| Box::pin(read_profile(http, api, token)),
    };
    OAuthPlatform::new(PlatformId::Codeberg, "Codeberg", &settings.app, endpoints, redirect, http)
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    full_name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    verified: bool,
    primary: bool,
}

async fn read_profile(http: &reqwest::Client, api: &Url, token: &str) -> Result<PlatformProfile, String> {
    let url = endpoint(api, "/user").map_err(|e| e.to_string())?;
    let user: User = get_json(http, url, token, "application/json").await?;
    // Forgejo/Gitea show the primary address in the profile whether or not it was
    // activated (instances may not require it): only `/user/emails` says so.
    // Without that list the address is kept unverified.
    let url = endpoint(api, "/user/emails").map_err(|e| e.to_string())?;
    let verified = match get_json::<Vec<Email>>(http, url, token, "application/json").await {
        Ok(emails) => emails.into_iter().find(|e| e.primary && e.verified).map(|e| e.email),
        Err(_) => None,
    };
    let email_verified = verified.is_some();
    let email = non_empty(verified).or_else(|| non_empty(user.email));
    Ok(PlatformProfile {
        platform: PlatformId::Codeberg.slug().to_string(),
        platform_user_id: user.id.to_string(),
        login: user.login,
        display_name: non_empty(user.full_name),
        email_verified: email_verified && email.is_some(),
        email,
        avatar_url: non_empty(user.avatar_url),
    })
}
