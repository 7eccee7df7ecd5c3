//! The HTTP client used to talk to platforms.

use std::time::Duration;

/// Never follows redirects (a redirect from a token or profile endpoint is an
/// error, and following it could be used to reach internal addresses), and gives
/// up after 10 seconds so a slow platform cannot hold a request forever.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("MonkeyCI-accounts/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Reads a JSON document from an API with the bearer token. Errors name the URL
/// and status, never the token or the body.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: url::Url,
    access_token: &str,
    accept: &str,
) -> Result<T, String> {
    let response = http
        .get(url.clone())
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, accept)
        .send()
        .await
        .map_err(|e| format!("GET {}: {}", url.path(), e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {} answered {status}", url.path()));
    }
    response
        .json::<T>()
        .await
        .map_err(|e| format!("GET {}: unexpected JSON: {}", url.path(), e.without_url()))
}

/// `base` + `path`, keeping any path prefix of `base` (self-hosted instances
/// often live under one, e.g. `https://example.com/gitlab`).
pub fn endpoint(base: &url::Url, path: &str) -> Result<url::Url, url::ParseError> {
    let mut joined = base.as_str().trim_end_matches('/').to_string();
    joined.push_str(path);
    url::Url::parse(&joined)
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn an_endpoint_keeps_the_base_path() {
        let base = url::Url::parse("https://example.com/gitlab/").unwrap();
        assert_eq!(
            endpoint(&base, "/oauth/token").unwrap().as_str(),
            "https://example.com/gitlab/oauth/token"
        );
        let root = url::Url::parse("https://gitlab.com").unwrap();
        assert_eq!(endpoint(&root, "/api/v4/user").unwrap().as_str(), "https://gitlab.com/api/v4/user");
    }
}
