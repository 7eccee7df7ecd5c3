//! CSRF protection as middleware, so no form handler can forget it.
//!
//! Every state-changing request to the pages must carry the session's CSRF token
//! (form field `csrf_token` or header `X-CSRF-Token`) and, when the browser says
//! where it comes from (`Origin`, else `Referer`), come from this site. A refused
//! request gets 403 and never reaches its handler.
//!
//! A visitor without a session (the sign-in form) gets no session row: their
//! token is a signed double-submit cookie instead (a random value and its HMAC
//! under the server's cookie key), so looking at `/login` costs the database
//! nothing and a token cannot be made up or planted from another site.

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{HttpMessage, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::auth::session::existing_csrf_token;
use crate::error::AppError;
use crate::state::AppState;

pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// Forms on these pages are small; a larger body is refused before parsing.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if is_safe_method(req.method()) {
        return next.call(req).await.map(set_issued_cookie).map(ServiceResponse::map_into_left_body);
    }
    match check(&mut req).await.err() {
        None => next.call(req).await.map(set_issued_cookie).map(ServiceResponse::map_into_left_body),
        Some(error) => {
            tracing::warn!(path = %crate::telemetry::without_secrets(req.path()), reason = %error, "state-changing request refused");
            Ok(req.error_response(error).map_into_right_body())
        }
    }
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn check(req: &mut ServiceRequest) -> Result<(), AppError> {
    let origin = req
        .app_data::<Data<AppState>>()
        .map(|state| state.public_origin.clone())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
    if !comes_from(req, &origin) {
        return Err(AppError::CsrfRejected);
    }
    let expected = match existing_csrf_token(&req.get_session()) {
        Some(token) => token,
        None => valid_anonymous_token(req.request()).ok_or(AppError::CsrfRejected)?,
    };
    let submitted = match header_token(req) {
        Some(token) => token,
        None => form_token(req).await?.ok_or(AppError::CsrfRejected)?,
    };
    if bool::from(submitted.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::CsrfRejected)
    }
}

/// True unless the browser names another site. Browsers send `Origin` on every
/// POST; `Referer` is the fallback for old ones; with neither, the token decides.
fn comes_from(req: &ServiceRequest, origin: &str) -> bool {
    let headers = req.headers();
    if let Some(value) = headers.get(header::ORIGIN) {
        return value.to_str().is_ok_and(|v| v == origin);
    }
    if let Some(value) = headers.get(header::REFERER) {
        return value.to_str().is_ok_and(|v| v == origin || v.starts_with(&format!("{origin}/")));
    }
    true
}

fn header_token(req: &ServiceRequest) -> Option<String> {
    req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Reads the urlencoded body to find the token, then puts the body back for the handler.
async fn form_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(None);
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("unreadable request body: {e}")))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body: Bytes = body.freeze();
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == FORM_FIELD).map(|(_, v)| v));
    req.set_payload(Payload::from(body));
    Ok(token)
}

/// The anonymous token made for this request, to be sent as a cookie.
#[derive(Clone)]
struct IssuedAnonymousToken(String);

type HmacSha256 = Hmac<Sha256>;

fn anonymous_cookie_name(https: bool) -> &'static str {
    if https { "__Host-monkeyci_csrf" } else { "monkeyci_csrf" }
}

fn state_of(req: &HttpRequest) -> Option<&AppState> {
    req.app_data::<Data<AppState>>().map(actix_web::web::Data::get_ref)
}

fn mac_of(state: &AppState, random: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(state.cookie_key.signing()).expect("HMAC takes any key length");
    mac.update(b"monkeyci anonymous csrf\n");
    mac.update(random.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The anonymous visitor's token from their cookie, if it carries our signature.
fn valid_anonymous_token(req: &HttpRequest) -> Option<String> {
    let state = state_of(req)?;
    let cookie = req.cookie(anonymous_cookie_name(state.is_https()))?;
    let (random, mac) = cookie.value().split_once('.')?;
    let expected = mac_of(state, random);
    bool::from(mac.as_bytes().ct_eq(expected.as_bytes())).then(|| cookie.value().to_string())
}

/// The CSRF token of a visitor without a session: the one their cookie holds,
/// or a new one that the response will set as a cookie.
pub fn anonymous_token(req: &HttpRequest) -> String {
    if let Some(token) = valid_anonymous_token(req) {
        return token;
    }
    if let Some(IssuedAnonymousToken(token)) = req.extensions().get::<IssuedAnonymousToken>() {
        return token.clone();
    }
    let Some(state) = state_of(req) else { return String::new() };
    let random = crate::random::token_256();
    let token = format!("{random}.{}", mac_of(state, &random));
    req.extensions_mut().insert(IssuedAnonymousToken(token.clone()));
    token
}

fn set_issued_cookie<B>(mut res: ServiceResponse<B>) -> ServiceResponse<B> {
    let issued = res.request().extensions().get::<IssuedAnonymousToken>().cloned();
    let https = state_of(res.request()).is_some_and(AppState::is_https);
    if let Some(IssuedAnonymousToken(token)) = issued {
        let cookie = Cookie::build(anonymous_cookie_name(https), token)
            .path("/")
            .http_only(true)
            .secure(https)
            .same_site(SameSite::Lax)
            .finish();
        if let Err(error) = res.response_mut().add_cookie(&cookie) {
            tracing::error!(%error, "could not set the CSRF cookie");
        }
    }
    res
}
