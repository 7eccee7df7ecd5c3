//! `POST /api/v1/keys/revoke` with `{"token": "…"}`: anyone holding a token can
//! revoke it, without signing in and without a key in `Authorization` (SPEC §2
//! "Lifecycle", leaked keys). The answer is 202 `{"status": "accepted"}` for
//! any token, live or not (malformed, unknown, wrong secret, already revoked,
//! expired), so the endpoint tells no one whether a key exists.
//!
//! The token is checked as a request's key is (`KeyAuthenticator::identify`):
//! at most one argon2 check, an unknown key paying the same, and a failure
//! spending the client address's allowance of failed key checks; once it is
//! spent the answer is 429 before any work. A live key is revoked
//! (`services::leaks`), with the client's address in the audit entry.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::web::{Data, Json};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client_address;
use super::error::ApiError;
use super::json_body::JsonBody;
use super::model::ErrorBody;
use crate::auth::key_auth::{Attempts, AuthFailure};
use crate::services::leaks::{Outcome, Report};
use crate::state::AppState;

/// The body's size limit: a key is 62 characters.
pub const MAX_BODY: usize = 4 * 1024;

/// A token to revoke.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The whole token, `mci_org_…` or `mci_usr_…` (62 characters).
    #[schema(example = "mci_org_…")]
    pub token: String,
}

/// The same answer for every token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Always `accepted`.
    #[schema(example = "accepted")]
    pub status: &'static str,
}

/// Revokes the key whose token is sent. No authentication: holding the token is enough.
#[utoipa::path(
    post,
    path = "/api/v1/keys/revoke",
    tag = "leaks",
    request_body = RevokeRequest,
    responses(
        (status = 202, description = "Accepted, whatever the token was: a live key is revoked now and its owner (an organization key's creator and admins, a user key's user) told by e-mail; an unknown, malformed, expired or already revoked one changes nothing. The answer does not say which", body = Accepted),
        (status = 413, description = "The body is larger than 4 KiB", body = ErrorBody),
        (status = 422, description = "The body is not a JSON object with a `token` string (see `fields`)", body = ErrorBody),
        (status = 429, description = "Too many failed key checks from this address (`rate_limited`), counted with those of every other route", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until an attempt is allowed again"))),
        (status = 503, description = "Too many key checks waiting at once (`busy`), or the database cannot be reached (`unavailable`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    description = "Unauthenticated: no sign-in and no key in `Authorization`; the token in the body is what is revoked.",
)]
pub async fn revoke(
    req: HttpRequest,
    body: Json<JsonBody>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = token_in(body.into_inner())?;
    let address =
        client_address::of(&req, &state.trusted_proxies).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    // An address that spent its allowance gets nothing checked, not even a cached key.
    if let Err(retry_after) = state.key_auth.check_allowance(address) {
        return Err(AuthFailure::RateLimited { retry_after }.into());
    }
    match state.key_auth.identify(token.trim(), Attempts::Address(address)).await {
        Ok(verified) => {
            let outcome = state.leaks.revoke(&verified, &Report::SelfRevoked { from: address }).await?;
            if outcome == Outcome::Revoked {
                tracing::info!(key = verified.key.public_id.as_str(), "API key revoked: reported as leaked");
            }
        }
        Err(
            AuthFailure::Malformed(_)
            | AuthFailure::Invalid
            | AuthFailure::Expired { .. }
            | AuthFailure::Revoked(_),
        ) => {}
        Err(failure) => return Err(failure.into()),
    }
    Ok(HttpResponse::Accepted().json(Accepted { status: "accepted" }))
}

/// `token` of a JSON object, once, as a string.
fn token_in(body: JsonBody) -> Result<String, ApiError> {
    let body = body.into_value()?;
    let Some(object) = body.as_object() else {
        return Err(ApiError::field("body", "Send a JSON object such as {\"token\": \"mci_org_…\"}."));
    };
    match object.get("token") {
        Some(serde_json::Value::String(_)) => {}
        None | Some(serde_json::Value::Null) => {
            return Err(ApiError::field("token", "Give the token to revoke."));
        }
        Some(_) => return Err(ApiError::field("token", "Give the token as a string.")),
    }
    serde_json::from_value::<RevokeRequest>(body)
        .map(|request| request.token)
        .map_err(|e| ApiError::field("body", e.to_string()))
}
