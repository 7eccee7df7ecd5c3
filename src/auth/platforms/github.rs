//! GitHub (or GitHub Enterprise through MONKEYCI_GITHUB_URL and _API_URL).

use serde::Deserialize;
use url::Url;

use super::PlatformId;
use super::http::{endpoint, get_json};
use super::oauth::{OAuthEndpoints, OAuthPlatform, non_empty};
use super::settings::GitHubSettings;
use crate::domain::identity::PlatformProfile;

const ACCEPT: &str = "application/vnd.github+json";

pub fn platform(
    settings: &GitHubSettings,
    redirect: Url,
    http: reqwest::Client,
) -> anyhow::Result<OAuthPlatform> {
    let endpoints = OAuthEndpoints {
        authorize: endpoint(&settings.url, "/login/oauth/authorize")?,
        token: endpoint(&settings.url, "/login/oauth/access_token")?,
        api: settings.api_url.clone(),
        scopes: &["read:user", "user:email"],
        pkce: true,
        basic_auth: false,
        read_profile: |http, api, token| Box::pin(read_profile(http, api, token)),
    };
    OAuthPlatform::new(PlatformId::GitHub, "GitHub", &settings.app, endpoints, redirect, http)
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

async fn read_profile(http: &reqwest::Client, api: &Url, token: &str) -> Result<PlatformProfile, String> {
    let user: User =
        get_json(http, endpoint(api, "/user").map_err(|e| e.to_string())?, token, ACCEPT).await?;
    // Mail goes only to the primary verified address of /user/emails (scope
    // user:email). The profile's public email says nothing about verification:
    // it is kept to show, unverified. Without /user/emails the sign-in still works.
    let url = endpoint(api, "/user/emails").map_err(|e| e.to_string())?;
    let verified = match get_json::<Vec<Email>>(http, url, token, ACCEPT).await {
        Ok(emails) => emails.into_iter().find(|e| e.primary && e.verified).map(|e| e.email),
        Err(_) => None,
    };
    let email_verified = verified.is_some();
    let email = non_empty(verified).or_else(|| non_empty(user.email));
    Ok(PlatformProfile {
        platform: PlatformId::GitHub.slug().to_string(),
        platform_user_id: user.id.to_string(),
        login: user.login,
        display_name: non_empty(user.name),
        email_verified: email_verified && email.is_some(),
        email,
        avatar_url: non_empty(user.avatar_url),
    })
}
