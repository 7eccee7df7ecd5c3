//! `POST /api/v1/introspect`: token introspection (RFC 7662) for the platform's
//! other services, which enforce the resources this server does not serve
//! (SPEC §5). A service authenticates with HTTP Basic as a client from
//! `MONKEYCI_INTROSPECTION_CLIENTS` and sends `token=<key>` as a form; the
//! answer is `{"active": false}` for any key that does not work — unknown,
//! malformed, revoked, expired, or reaching no organization (blocked, or outside
//! every policy) — with nothing to tell these apart, or what the key may do.
//!
//! The check is the API's own: the same cache (a hot key costs a digest, no
//! database work) and the same invalidation. Failed key checks spend the
//! client's own allowance (`Attempts::Introspection`), not its address's: it
//! speaks for many people. A wrong client secret spends its address's.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use serde::Serialize;
use url::form_urlencoded;
use utoipa::ToSchema;

use super::client_address;
use super::error::ApiError;
use super::model::{ErrorBody, ErrorDetail};
use crate::auth::introspection_clients::ClientIndex;
use crate::auth::key_auth::{Attempts, AuthFailure, SeenUse};
use crate::domain::access::{Caller, KeyHolder};
use crate::domain::api_key::AllowedNetworks;
use crate::state::AppState;

/// The form's size limit: a key is 62 characters.
pub const MAX_FORM: usize = 4 * 1024;

/// The answer about one key. Inactive keys give `{"active": false}` and nothing else.
#[derive(Debug, Serialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    /// The key's permissions as a scope string (its holder's rights still bound them:
    /// see `orgs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The key's id (16 characters), as lists show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Always `api_key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// The first second (Unix time) the key no longer works; absent if it never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// When the key was made (Unix time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Whom the key speaks for: `user:<id>` or `org:<slug>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Every organization the key reaches now, with what it may do there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orgs: Option<Vec<OrgScope>>,
    /// The networks the key may be used from; absent: anywhere. The service
    /// checks its own caller's address against them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_networks: Option<Vec<String>>,
}

/// One organization an active key reaches.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgScope {
    pub slug: String,
    /// The key's effective permissions here: its own within its holder's rights.
    pub scope: String,
}

impl Introspection {
    fn inactive() -> Introspection {
        Introspection {
            active: false,
            scope: None,
            client_id: None,
            token_type: None,
            exp: None,
            iat: None,
            sub: None,
            orgs: None,
            allowed_networks: None,
        }
    }

    /// The answer for a key that passed the check: inactive when it reaches no
    /// organization, since the platform's services act only within one.
    fn of(caller: &Caller) -> Introspection {
        let orgs: Vec<OrgScope> = caller
            .organizations()
            .iter()
            .map(|reach| OrgScope { slug: reach.org.slug.clone(), scope: reach.scope.to_string() })
            .collect();
        if orgs.is_empty() {
            return Introspection::inactive();
        }
        let key = &caller.key;
        Introspection {
            active: true,
            scope: Some(key.scope.to_string()),
            client_id: Some(key.public_id.as_str().to_string()),
            token_type: Some("api_key"),
            exp: key.stops_at().map(|at| at.timestamp()),
            iat: Some(key.created_at.timestamp()),
            sub: Some(match &caller.holder {
                KeyHolder::Organization { org, .. } => format!("org:{}", org.slug),
                KeyHolder::User { user, .. } => format!("user:{}", user.id),
            }),
            orgs: Some(orgs),
            allowed_networks: key.allowed_networks.as_ref().map(AllowedNetworks::to_strings),
        }
    }
}

/// What the key given in the form can do now.
#[utoipa::path(
    post,
    path = "/api/v1/introspect",
    tag = "introspection",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`token=<key>` (RFC 7662; `token_type_hint` is accepted and ignored)"),
    responses(
        (status = 200, description = "The key's state: `{\"active\": false}` for any key that does not work", body = Introspection),
        (status = 400, description = "No `token` in the form, or given twice", body = ErrorBody),
        (status = 401, description = "Missing or wrong client credentials (code `invalid_client`; `WWW-Authenticate: Basic`)", body = ErrorBody),
        (status = 404, description = "Introspection is not enabled on this server", body = ErrorBody),
        (status = 413, description = "The form is larger than 4 KiB", body = ErrorBody),
        (status = 415, description = "The body is not `application/x-www-form-urlencoded`", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (wrong client secrets from this address, or the client's failed key checks); see `Retry-After`", body = ErrorBody),
        (status = 503, description = "Too many key checks at once, or the database is unavailable; see `Retry-After`", body = ErrorBody),
    ),
    security(("introspection_client" = []))
)]
pub async fn introspect(
    req: HttpRequest,
    body: Bytes,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !state.introspection_clients.is_enabled() {
        return Err(ApiError::NotFound);
    }
    let address =
        client_address::of(&req, &state.trusted_proxies).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let Some(client) = authenticate_client(&req, &state, address).await? else {
        return Ok(refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Introspection needs the client id and secret of a platform service, sent as HTTP Basic.",
        ));
    };
    if !is_form(&req) {
        return Ok(refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the key as a form: `Content-Type: application/x-www-form-urlencoded`, body `token=<key>`.",
        ));
    }
    let token = token_in_form(&body)?;
    let token = token.trim();
    let answer = match state.key_auth.authenticate_cached(token) {
        Some(result) => result,
        None => state.key_auth.authenticate_spending(token, Attempts::Introspection(client)).await,
    };
    let body = match answer {
        // Written once per cached caller, like whoami's body.
        Ok(verified) => {
            // A use of the key, made where only the asking service saw it.
            state.key_auth.record_use(&verified.key, || SeenUse {
                address: None,
                agent: Some(INTROSPECTED.to_string()),
            });
            verified.introspection(|caller| json_body(&Introspection::of(caller)))?
        }
        Err(
            AuthFailure::Malformed(_)
            | AuthFailure::Invalid
            | AuthFailure::Expired { .. }
            | AuthFailure::Revoked(_),
        ) => Bytes::from_static(br#"{"active":false}"#),
        Err(failure) => return Err(failure.into()),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/json")))
        .body(body))
}

/// What a key's last use says when a service introspected it.
const INTROSPECTED: &str = "(checked by a platform service through introspection)";

/// `value` as JSON; one that cannot be written is a 500 (logged).
fn json_body(value: &Introspection) -> Result<Bytes, ApiError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("cannot write the introspection answer"))
    })
}

/// The client in `Authorization: Basic`; `None` when there is none or it is
/// wrong (a failed attempt of the address), a 429 once the address has spent
/// its allowance (then the secret is not even compared).
async fn authenticate_client(
    req: &HttpRequest,
    state: &AppState,
    address: IpAddr,
) -> Result<Option<ClientIndex>, ApiError> {
    if let Err(retry_after) = state.key_auth.check_allowance(address) {
        return Err(AuthFailure::RateLimited { retry_after }.into());
    }
    let clients = &state.introspection_clients;
    // The header as clients usually write it costs one digest; any other
    // spelling of the same credentials is decoded and compared too.
    // (Two `Authorization` headers are nobody's credentials.)
    let mut headers = req.headers().get_all(header::AUTHORIZATION);
    let single = headers.next().filter(|_| headers.next().is_none());
    let found = single
        .and_then(|header| clients.find_by_header(header.as_bytes()))
        .or_else(|| basic_credentials(req).and_then(|(id, secret)| clients.find(&id, &secret)));
    if found.is_none() {
        tracing::info!("introspection refused: unknown client or wrong secret");
        if let Err(retry_after) = state.key_auth.record_failure(address).await {
            return Err(AuthFailure::RateLimited { retry_after }.into());
        }
    }
    Ok(found)
}

/// The id and secret of `Authorization: Basic base64(id:secret)`.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, encoded) = value.to_str().ok()?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// An error answered here rather than through [`ApiError`]: the shape is the
/// same (`{"error": {"code", "message"}}`).
fn refusal(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="monkeyci-introspection""#));
    }
    response
        .json(ErrorBody { error: ErrorDetail { code: code.into(), message: message.into(), fields: None } })
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// `token` from an `application/x-www-form-urlencoded` body.
fn token_in_form(body: &Bytes) -> Result<Cow<'_, str>, ApiError> {
    let mut tokens = form_urlencoded::parse(body).filter(|(name, _)| name == "token").map(|(_, value)| value);
    match (tokens.next(), tokens.next()) {
        (Some(token), None) => Ok(token),
        (None, _) => Err(ApiError::BadRequest("The form needs `token=<key>`.".into())),
        (Some(_), Some(_)) => Err(ApiError::BadRequest("Give `token` once.".into())),
    }
}
