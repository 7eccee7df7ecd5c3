//! The authorization-code flow shared by the four code hosts.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use url::Url;

use futures_util::future::BoxFuture;

use super::{Authorization, PlatformError, PlatformId};
use crate::config::OAuthApp;
use crate::domain::identity::PlatformProfile;
use crate::domain::pending_login::{PendingLogin, Purpose};

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// How a code host's profile API is read, given an access token: each host
/// brings its own, so this flow names none of them.
pub type ProfileReader =
    for<'a> fn(&'a reqwest::Client, &'a Url, &'a str) -> BoxFuture<'a, Result<PlatformProfile, String>>;

/// How a code host is reached: its endpoints and what it supports.
pub struct OAuthEndpoints {
    pub authorize: Url,
    pub token: Url,
    /// Where the profile API lives (passed to the platform's profile reader).
    pub api: Url,
    pub scopes: &'static [&'static str],
    pub pkce: bool,
    /// Bitbucket wants the client credentials as HTTP Basic; the others in the body.
    pub basic_auth: bool,
    pub read_profile: ProfileReader,
}

pub struct OAuthPlatform {
    id: PlatformId,
    label: &'static str,
    client: Client,
    api: Url,
    scopes: &'static [&'static str],
    pkce: bool,
    read_profile: ProfileReader,
    http: reqwest::Client,
}

impl OAuthPlatform {
    pub fn new(
        id: PlatformId,
        label: &'static str,
        app: &OAuthApp,
        endpoints: OAuthEndpoints,
        redirect: Url,
        http: reqwest::Client,
    ) -> anyhow::Result<OAuthPlatform> {
        let auth_type = if endpoints.basic_auth { AuthType::BasicAuth } else { AuthType::RequestBody };
        let client = BasicClient::new(ClientId::new(app.client_id.clone()))
            .set_client_secret(ClientSecret::new(app.client_secret.expose_secret().to_string()))
            .set_auth_uri(AuthUrl::from_url(endpoints.authorize))
            .set_token_uri(TokenUrl::from_url(endpoints.token))
            .set_redirect_uri(RedirectUrl::from_url(redirect))
            .set_auth_type(auth_type);
        Ok(OAuthPlatform {
            id,
            label,
            client,
            api: endpoints.api,
            scopes: endpoints.scopes,
            pkce: endpoints.pkce,
            read_profile: endpoints.read_profile,
            http,
        })
    }

    pub fn id(&self) -> PlatformId {
        self.id
    }

    pub fn label(&self) -> &str {
        self.label
    }

    pub fn start(&self, return_to: String, purpose: Purpose, now: i64) -> Authorization {
        let state = crate::random::token_256();
        let mut request = self.client.authorize_url(|| CsrfToken::new(state.clone()));
        for scope in self.scopes {
            request = request.add_scope(Scope::new(scope.to_string()));
        }
        let mut pkce_verifier = None;
        if self.pkce {
            let verifier = PkceCodeVerifier::new(crate::random::token_256());
            request = request.set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier));
            pkce_verifier = Some(verifier.secret().clone());
        }
        let (url, _) = request.url();
        let pending = PendingLogin {
            platform: self.id.slug().to_string(),
            state,
            pkce_verifier,
            nonce: None,
            return_to,
            purpose,
            started_at: now,
        };
        Authorization { url, pending }
    }

    pub async fn finish(
        &self,
        code: String,
        pending: &PendingLogin,
    ) -> Result<PlatformProfile, PlatformError> {
        let mut request = self.client.exchange_code(AuthorizationCode::new(code));
        if let Some(verifier) = &pending.pkce_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.clone()));
        }
        let token = request
            .request_async(&self.http)
            .await
            .map_err(|e| PlatformError::TokenExchange(describe_token_error(&e)))?;
        let access_token = token.access_token().secret();
        (self.read_profile)(&self.http, &self.api, access_token).await.map_err(PlatformError::Profile)
    }
}

/// A description of a failed token request for the log: the platform's error code,
/// the transport failure or the shape problem. Never the response body, which
/// could hold a token.
pub fn describe_token_error<RE, T>(error: &RequestTokenError<RE, T>) -> String
where
    RE: std::error::Error + 'static,
    T: oauth2::ErrorResponse + 'static,
{
    match error {
        RequestTokenError::ServerResponse(response) => {
            format!("the platform answered with an error response ({response})")
        }
        RequestTokenError::Request(e) => format!("the request failed: {e}"),
        RequestTokenError::Parse(e, _body) => {
            // GitHub answers some errors with HTTP 200 and {"error": …}: that lands here.
            format!("unexpected token response: {}", e.inner())
        }
        RequestTokenError::Other(message) => format!("unexpected token response: {message}"),
    }
}

/// `Some(text)` unless blank.
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
