//! Any OpenID Connect provider, found through its discovery document. The ID
//! token is checked by the `openidconnect` crate: signature against the
//! provider's JWKS, `iss`, `aud`, `exp` and the `nonce` we sent. A person is
//! (issuer, `sub`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use secrecy::ExposeSecret;
use url::Url;

use super::oauth::{describe_token_error, non_empty};
use super::settings::{OAuthApp, OidcSettings};
use super::{Authorization, PlatformError, PlatformId};
use crate::domain::identity::PlatformProfile;
use crate::domain::pending_login::{PendingLogin, Purpose};

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Providers rotate keys; the discovery document and JWKS are read again after this.
const METADATA_TTL: Duration = Duration::from_hours(1);

pub struct OidcPlatform {
    issuer: IssuerUrl,
    app: OAuthApp,
    name: String,
    redirect: RedirectUrl,
    http: reqwest::Client,
    metadata: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl OidcPlatform {
    pub fn new(
        settings: &OidcSettings,
        redirect: Url,
        http: reqwest::Client,
    ) -> anyhow::Result<OidcPlatform> {
        Ok(OidcPlatform {
            issuer: IssuerUrl::new(settings.issuer.clone())?,
            app: settings.app.clone(),
            name: settings.name.clone(),
            redirect: RedirectUrl::from_url(redirect),
            http,
            metadata: Mutex::new(None),
        })
    }

    pub fn label(&self) -> &str {
        &self.name
    }

    /// The provider's metadata and keys, discovered on first use (so the server
    /// starts even while the provider is down) and cached for an hour.
    async fn metadata(&self) -> Result<CoreProviderMetadata, PlatformError> {
        if let Some((fetched, metadata)) =
            &*self.metadata.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
            && fetched.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| PlatformError::Discovery(error_chain(&e)))?;
        *self.metadata.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// A client for the discovered provider. The client secret goes as HTTP Basic,
    /// the OpenID default, unless the provider only accepts it in the form body.
    fn client(&self, metadata: CoreProviderMetadata) -> Client {
        let body_only = metadata.token_endpoint_auth_methods_supported().is_some_and(|methods| {
            !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                && methods.contains(&CoreClientAuthMethod::ClientSecretPost)
        });
        let auth_type = if body_only { AuthType::RequestBody } else { AuthType::BasicAuth };
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.app.client_id.clone()),
            Some(ClientSecret::new(self.app.client_secret.expose_secret().to_string())),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(auth_type)
    }

    fn forget_metadata(&self) {
        *self.metadata.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    pub async fn start(
        &self,
        return_to: String,
        purpose: Purpose,
        now: i64,
    ) -> Result<Authorization, PlatformError> {
        let client = self.client(self.metadata().await?);
        let state = crate::random::token_256();
        let nonce = crate::random::token_256();
        let verifier = PkceCodeVerifier::new(crate::random::token_256());
        let (state_for_url, nonce_for_url) = (state.clone(), nonce.clone());
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state_for_url),
                move || Nonce::new(nonce_for_url),
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .url();
        let pending = PendingLogin {
            platform: PlatformId::Oidc.slug().to_string(),
            state,
            pkce_verifier: Some(verifier.secret().clone()),
            nonce: Some(nonce),
            return_to,
            purpose,
            started_at: now,
        };
        Ok(Authorization { url, pending })
    }

    pub async fn finish(
        &self,
        code: String,
        pending: &PendingLogin,
    ) -> Result<PlatformProfile, PlatformError> {
        let result = self.finish_once(code, pending).await;
        if matches!(result, Err(PlatformError::IdToken(_))) {
            // Perhaps the provider rotated its keys: read them again next time.
            self.forget_metadata();
        }
        result
    }

    async fn finish_once(
        &self,
        code: String,
        pending: &PendingLogin,
    ) -> Result<PlatformProfile, PlatformError> {
        let client = self.client(self.metadata().await?);
        let verifier =
            pending.pkce_verifier.clone().ok_or_else(|| PlatformError::IdToken("no PKCE verifier".into()))?;
        let nonce =
            Nonce::new(pending.nonce.clone().ok_or_else(|| PlatformError::IdToken("no nonce".into()))?);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| PlatformError::TokenExchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| PlatformError::TokenExchange(describe_token_error(&e)))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| PlatformError::IdToken("the token response has no ID token".into()))?;
        let verifier = client.id_token_verifier().set_allowed_algs(vec![
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha384,
            CoreJwsSigningAlgorithm::RsaSsaPssSha512,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        ]);
        let claims = id_token.claims(&verifier, &nonce).map_err(|e| PlatformError::IdToken(e.to_string()))?;
        if let Some(expected) = claims.access_token_hash() {
            let algorithm = id_token.signing_alg().map_err(|e| PlatformError::IdToken(e.to_string()))?;
            let key = id_token.signing_key(&verifier).map_err(|e| PlatformError::IdToken(e.to_string()))?;
            let actual = AccessTokenHash::from_token(token.access_token(), algorithm, key)
                .map_err(|e| PlatformError::IdToken(e.to_string()))?;
            if actual != *expected {
                return Err(PlatformError::IdToken("at_hash does not match the access token".into()));
            }
        }
        let sub = claims.subject().as_str().to_string();
        let email = claims.email().map(|e| e.as_str().to_string());
        // Mail goes to the address only when the provider says it verified it.
        let email_verified = claims.email_verified() == Some(true) && email.is_some();
        let login = claims
            .preferred_username()
            .map(|u| u.as_str().to_string())
            .or_else(|| email.clone())
            .unwrap_or_else(|| sub.clone());
        Ok(PlatformProfile {
            platform: PlatformId::Oidc.slug().to_string(),
            platform_user_id: format!("{}#{}", self.issuer.as_str(), sub),
            login,
            display_name: non_empty(claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string())),
            email,
            email_verified,
            avatar_url: non_empty(claims.picture().and_then(|p| p.get(None)).map(|p| p.as_str().to_string())),
        })
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
