//! CSRF protection as middleware, so no form handler can forget it.
//!
//! Every state-changing request to the pages must carry the session's CSRF token
//! (form field `csrf_token` or header `X-CSRF-Token`) and, when the browser says
//! where it comes from (`Origin`, else `Referer`), come from this site. A refused
//! request gets 403 and never reaches its handler.

use actix_session::SessionExt;
use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use crate::auth::session::existing_csrf_token;
use crate::error::AppError;
use crate::state::AppState;

pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// Forms on these pages are small; a larger body is refused before parsing.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub fn new_token() -> String {
    crate::random::token_256()
}

pub async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if is_safe_method(req.method()) {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    match check(&mut req).await.err() {
        None => next.call(req).await.map(ServiceResponse::map_into_left_body),
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
    let expected = existing_csrf_token(&req.get_session()).ok_or(AppError::CsrfRejected)?;
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
        return value.to_str().map(|v| v == origin).unwrap_or(false);
    }
    if let Some(value) = headers.get(header::REFERER) {
        return value.to_str().map(|v| v == origin || v.starts_with(&format!("{origin}/"))).unwrap_or(false);
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
