//! GitHub (or GitHub Enterprise through MONKEYCI_GITHUB_URL and _API_URL).

use serde::Deserialize;
use url::Url;

use super::PlatformId;
use super::http::{endpoint, get_json};
use super::oauth::{OAuthEndpoints, OAuthPlatform, non_empty};
use crate::config::GitHubSettings;
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
    let mut email = non_empty(user.email);
    if email.is_none() {
        // The profile shows only a public email; the primary one needs /user/emails.
        // Without it the sign-in still works.
        let url = endpoint(api, "/user/emails").map_err(|e| e.to_string())?;
        if let Ok(emails) = get_json::<Vec<Email>>(http, url, token, ACCEPT).await {
            email = emails.into_iter().find(|e| e.primary && e.verified).map(|e| e.email);
        }
    }
    Ok(PlatformProfile {
        platform: PlatformId::GitHub.slug().to_string(),
        platform_user_id: user.id.to_string(),
        login: user.login,
        display_name: non_empty(user.name),
        email,
        avatar_url: non_empty(user.avatar_url),
    })
}
