//! GitLab: gitlab.com or a self-hosted instance (MONKEYCI_GITLAB_URL).

use serde::Deserialize;
use url::Url;

use super::PlatformId;
use super::http::{endpoint, get_json};
use super::oauth::{OAuthEndpoints, OAuthPlatform, non_empty};
use super::settings::GitLabSettings;
use crate::domain::identity::PlatformProfile;

pub fn platform(
    settings: &GitLabSettings,
    redirect: Url,
    http: reqwest::Client,
) -> anyhow::Result<OAuthPlatform> {
    let endpoints = OAuthEndpoints {
        authorize: endpoint(&settings.url, "/oauth/authorize")?,
        token: endpoint(&settings.url, "/oauth/token")?,
        api: endpoint(&settings.url, "/api/v4")?,
        scopes: &["read_user"],
        pkce: true,
        basic_auth: false,
        read_profile: |http, api, token| Box::pin(read_profile(http, api, token)),
    };
    OAuthPlatform::new(PlatformId::GitLab, "GitLab", &settings.app, endpoints, redirect, http)
}

#[derive(Deserialize)]
struct User {
    id: u64,
    username: String,
    name: Option<String>,
    email: Option<String>,
    /// When the primary address was confirmed; GitLab answers it to the user themself.
    confirmed_at: Option<String>,
    avatar_url: Option<String>,
}

async fn read_profile(http: &reqwest::Client, api: &Url, token: &str) -> Result<PlatformProfile, String> {
    let url = endpoint(api, "/user").map_err(|e| e.to_string())?;
    let user: User = get_json(http, url, token, "application/json").await?;
    Ok(PlatformProfile {
        platform: PlatformId::GitLab.slug().to_string(),
        platform_user_id: user.id.to_string(),
        login: user.username,
        display_name: non_empty(user.name),
        // `email` is the primary address; it counts as verified only with a
        // confirmation date (an instance that leaves it out gets no mail).
        email_verified: user.confirmed_at.is_some() && non_empty(user.email.clone()).is_some(),
        email: non_empty(user.email),
        avatar_url: non_empty(user.avatar_url),
    })
}
