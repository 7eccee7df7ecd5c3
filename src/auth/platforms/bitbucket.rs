//! Bitbucket Cloud. It has no PKCE: the single-use `state` alone protects the flow,
//! and the client credentials go as HTTP Basic.

use serde::Deserialize;
use url::Url;

use super::PlatformId;
use super::http::{endpoint, get_json};
use super::oauth::{OAuthEndpoints, OAuthPlatform, non_empty};
use super::settings::BitbucketSettings;
use crate::domain::identity::PlatformProfile;

pub fn platform(
    settings: &BitbucketSettings,
    redirect: Url,
    http: reqwest::Client,
) -> anyhow::Result<OAuthPlatform> {
    let endpoints = OAuthEndpoints {
        authorize: endpoint(&settings.url, "/site/oauth2/authorize")?,
        token: endpoint(&settings.url, "/site/oauth2/access_token")?,
        api: endpoint(&settings.api_url, "/2.0")?,
        // Bitbucket grants the scopes chosen on the OAuth consumer (account, email).
        scopes: &[],
        pkce: false,
        basic_auth: true,
        read_profile: |http, api, token| Box::pin(read_profile(http, api, token)),
    };
    OAuthPlatform::new(PlatformId::Bitbucket, "Bitbucket", &settings.app, endpoints, redirect, http)
}

#[derive(Deserialize)]
struct User {
    uuid: String,
    username: Option<String>,
    nickname: Option<String>,
    display_name: Option<String>,
    links: Option<Links>,
}

#[derive(Deserialize)]
struct Links {
    avatar: Option<Href>,
}

#[derive(Deserialize)]
struct Href {
    href: String,
}

#[derive(Deserialize)]
struct Emails {
    values: Vec<Email>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    is_primary: bool,
    is_confirmed: bool,
}

/// Bitbucket writes uuids in braces (`{1b2c…}`); the id we keep is the bare,
/// lower-case uuid, so both spellings match the same person.
pub fn normalize_uuid(raw: &str) -> String {
    raw.trim().trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase()
}

async fn read_profile(http: &reqwest::Client, api: &Url, token: &str) -> Result<PlatformProfile, String> {
    let url = endpoint(api, "/user").map_err(|e| e.to_string())?;
    let user: User = get_json(http, url, token, "application/json").await?;
    let uuid = normalize_uuid(&user.uuid);
    if uuid.is_empty() {
        return Err("the profile has an empty uuid".into());
    }
    let url = endpoint(api, "/user/emails").map_err(|e| e.to_string())?;
    let email = match get_json::<Emails>(http, url, token, "application/json").await {
        Ok(emails) => emails.values.into_iter().find(|e| e.is_primary && e.is_confirmed).map(|e| e.email),
        Err(_) => None,
    };
    let login = non_empty(user.username).or(non_empty(user.nickname)).unwrap_or_else(|| uuid.clone());
    Ok(PlatformProfile {
        platform: PlatformId::Bitbucket.slug().to_string(),
        platform_user_id: uuid,
        login,
        display_name: non_empty(user.display_name),
        // Only the primary confirmed address is read at all.
        email_verified: email.is_some(),
        email,
        avatar_url: user.links.and_then(|l| l.avatar).map(|a| a.href),
    })
}

#[cfg(test)]
mod tests {
    use super::normalize_uuid;

    #[test]
    fn braces_and_case_do_not_make_another_person() {
        assert_eq!(
            normalize_uuid("{1B2C3D4E-0000-4000-8000-000000000001}"),
            normalize_uuid("1b2c3d4e-0000-4000-8000-000000000001")
        );
    }
}
