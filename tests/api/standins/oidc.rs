//! The OpenID Connect provider: discovery document, JWKS, and ID tokens signed
//! RS256 with the fixed test key in `tests/fixtures/`.

use actix_web::HttpResponse;
use actix_web::web::{self, Data, ServiceConfig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Failure, Grant, Records, Shared};

const SIGNING_KEY: &[u8] = include_bytes!("../../fixtures/oidc-signing-key.pem");
const SIGNING_KEY_PUBLIC: &str = include_str!("../../fixtures/oidc-signing-key.public.json");
/// A valid RSA key the provider never published.
const OTHER_KEY: &[u8] = include_bytes!("../../fixtures/oidc-other-key.pem");
const KEY_ID: &str = "standin-key-1";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/oidc/.well-known/openid-configuration", web::get().to(discovery))
        .route("/oidc/jwks", web::get().to(jwks));
}

async fn discovery(shared: Data<Shared>) -> HttpResponse {
    let base = &shared.base;
    let (issuer, auth_methods) = {
        let records = shared.records();
        (records.advertised_issuer.clone().unwrap_or_else(|| shared.issuer()), client_auth_methods(&records))
    };
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/oidc/authorize"),
        "token_endpoint": format!("{base}/oidc/token"),
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "jwks_uri": format!("{base}/oidc/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "email", "picture"
        ]
    }))
}

/// The client authentication methods the provider accepts.
pub(super) fn client_auth_methods(records: &Records) -> Vec<String> {
    let configured = records.oidc_auth_methods.clone();
    configured.unwrap_or_else(|| vec!["client_secret_basic".into(), "client_secret_post".into()])
}

async fn jwks() -> HttpResponse {
    let public: Value = serde_json::from_str(SIGNING_KEY_PUBLIC).expect("the public key fixture is JSON");
    HttpResponse::Ok().json(json!({
        "keys": [{
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": KEY_ID,
            "n": public["n"],
            "e": public["e"],
        }]
    }))
}

/// `at_hash`: the left half of the SHA-256 of the access token.
fn at_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}

fn id_token(shared: &Shared, grant: &Grant, access_token: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let failure = grant.failure;
    let person = &grant.person;
    let issuer = match failure {
        Some(Failure::IdTokenFromAnotherIssuer) => "https://issuer.evil.example".to_string(),
        _ => shared.issuer(),
    };
    let audience = match failure {
        Some(Failure::IdTokenForAnotherClient) => "another-client".to_string(),
        _ => shared.apps[&super::Platform::Oidc].0.clone(),
    };
    let (issued_at, expires) = match failure {
        Some(Failure::IdTokenExpired) => (now - 3600, now - 60),
        _ => (now, now + 300),
    };
    let nonce = match failure {
        Some(Failure::IdTokenWithAnotherNonce) => Some("a-nonce-from-another-sign-in".to_string()),
        _ => grant.nonce.clone(),
    };
    let claims = json!({
        "iss": issuer,
        "sub": person.id,
        "aud": audience,
        "exp": expires,
        "iat": issued_at,
        "auth_time": issued_at,
        "nonce": nonce,
        "at_hash": match failure {
            Some(Failure::IdTokenWithAnotherAtHash) => at_hash("another-access-token"),
            _ => at_hash(access_token),
        },
        "name": person.name,
        "preferred_username": person.login,
        "email": person.email,
        "email_verified": person.email_verified,
        "picture": person.avatar_url,
    });
    // A real provider leaves out the claims it has no value for.
    let claims = Value::Object(
        claims.as_object().unwrap().clone().into_iter().filter(|(_, v)| !v.is_null()).collect(),
    );
    match failure {
        Some(Failure::IdTokenUnsigned) => {
            let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
            format!("{}.{}.", encode(&json!({ "alg": "none", "typ": "JWT" })), encode(&claims))
        }
        Some(Failure::IdTokenSignedWithClientSecret) => {
            let secret = &shared.apps[&super::Platform::Oidc].1;
            let key = EncodingKey::from_secret(secret.as_bytes());
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
                .expect("the ID token is signed")
        }
        _ => {
            let pem =
                if failure == Some(Failure::IdTokenSignedWithAnotherKey) { OTHER_KEY } else { SIGNING_KEY };
            let key = EncodingKey::from_rsa_pem(pem).expect("the fixture key is an RSA PEM");
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(KEY_ID.to_string());
            jsonwebtoken::encode(&header, &claims, &key).expect("the ID token is signed")
        }
    }
}

pub(super) fn token_response(shared: &Shared, grant: &Grant, access_token: &str) -> Value {
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "openid profile email",
    });
    if grant.failure != Some(Failure::NoIdToken) {
        body["id_token"] = json!(id_token(shared, grant, access_token));
    }
    body
}
