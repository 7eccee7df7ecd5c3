//! Headers every response carries (SPEC §8). Set here once, not per handler.
//! While the server drains before stopping (`crate::shutdown`), every response
//! also closes its connection, so that no client sends another request on it.
//!
//! That includes requests that fail before a handler answers (a middleware such
//! as the session store returning an error): they are turned into the error
//! page (or the API's JSON error) here, with the same headers, instead of
//! actix-web's bare 500.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use futures_util::FutureExt;

use crate::api::error::ApiError;
use crate::db::Unavailable;
use crate::telemetry::RequestId;
use crate::web::draining::Draining;

/// Pages: no inline script or style anywhere; everything comes from /static.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: https:; font-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The API and the probes answer JSON or text, never a document: nothing may run,
/// load or frame them (OWASP's REST advice). Also a fifth of the page policy's
/// bytes, on the responses sent most often.
const DATA_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// What a response is, as far as its headers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A page, an error page or an asset.
    Document,
    /// JSON from the API, or a probe's text.
    Data,
}

impl Answer {
    fn of(path: &str) -> Answer {
        if path.starts_with("/api/") || path == "/healthz" || path == "/readyz" {
            Answer::Data
        } else {
            Answer::Document
        }
    }
}

/// When to try again after a failure of the machinery (seconds).
const RETRY_AFTER_SECONDS: &str = "5";

pub async fn add_security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<actix_web::web::Data<crate::state::AppState>>().cloned();
    let https = state.as_ref().is_some_and(|state| state.is_https());
    let dev_sign_in = state.as_ref().is_some_and(|state| state.dev_sign_in);
    let draining = req.app_data::<actix_web::web::Data<Draining>>().is_some_and(|d| d.is_on());
    let request_id = req.extensions().get::<RequestId>().copied();
    let is_api = req.path().starts_with("/api/");
    let answer = Answer::of(req.path());
    match next.call(req).await {
        Ok(mut res) => {
            set_headers(res.headers_mut(), https, answer);
            if draining {
                res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
            }
            Ok(res)
        }
        Err(error) => {
            // What fails before any handler is the machinery around it (the session
            // store, above all when the database cannot be reached or take writes):
            // a temporary condition, answered as such.
            let status = StatusCode::SERVICE_UNAVAILABLE;
            let database_away = state.as_ref().is_some_and(|state| !state.db.is_reachable());
            if database_away {
                tracing::warn!(error = %format!("{error:#}"), %status, "a request failed before a handler answered: the database cannot be reached");
            } else {
                tracing::error!(error = %format!("{error:#}"), %status, "a request failed before a handler answered");
            }
            let mut response = match (is_api, status) {
                (true, StatusCode::SERVICE_UNAVAILABLE) => ApiError::Unavailable(Unavailable::Unreachable(
                    "a request failed before a handler answered".into(),
                ))
                .error_response(),
                (true, _) => ApiError::Internal(anyhow::anyhow!("{status}")).error_response(),
                (false, _) => crate::web::error_pages::standalone(
                    status,
                    database_away.then(crate::error::unavailable_message),
                    request_id.map(|id| id.to_string()),
                    dev_sign_in,
                ),
            };
            set_headers(response.headers_mut(), https, answer);
            if !response.headers().contains_key(header::RETRY_AFTER) {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            }
            if let Some(id) = request_id {
                response
                    .headers_mut()
                    .insert(const { HeaderName::from_static("x-request-id") }, id.header_value());
            }
            if draining {
                response.head_mut().set_connection_type(ConnectionType::Close);
            }
            Err(PreparedResponse::from(response).into())
        }
    }
}

/// Every response's headers. Handlers choose only `Cache-Control` (static
/// assets are cached for a year); the others are this function's alone.
///
/// The values are built at compile time (`const`): checking a header value's
/// bytes is work a hot path should not repeat per request.
fn set_headers(headers: &mut HeaderMap, https: bool, answer: Answer) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        match answer {
            Answer::Document => const { HeaderValue::from_static(PAGE_POLICY) },
            Answer::Data => const { HeaderValue::from_static(DATA_POLICY) },
        },
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, const { HeaderValue::from_static("nosniff") });
    if answer == Answer::Document {
        // What only a document heeds: where its links send the referrer, framing
        // for browsers that predate `frame-ancestors`, and its window's isolation.
        headers.insert(header::REFERRER_POLICY, const { HeaderValue::from_static("same-origin") });
        headers.insert(header::X_FRAME_OPTIONS, const { HeaderValue::from_static("DENY") });
        headers.insert(
            const { HeaderName::from_static("cross-origin-opener-policy") },
            const { HeaderValue::from_static("same-origin") },
        );
    }
    // Pages may hold a CSRF token, a name or a one-time key, and API answers
    // what a key may do: never cached.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, const { HeaderValue::from_static("no-store") });
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            const { HeaderValue::from_static("max-age=31536000") },
        );
    }
}

/// A finished response carried as an error, so that actix-web sends it as it is
/// (there is no request left to build a `ServiceResponse` with).
#[derive(Debug)]
struct PreparedResponse {
    status: StatusCode,
    headers: HeaderMap,
    /// `Connection: close`, which lives beside the headers, not among them.
    closes_connection: bool,
    body: bytes::Bytes,
}

impl From<HttpResponse> for PreparedResponse {
    fn from(response: HttpResponse) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let closes_connection = response.head().connection_type() == ConnectionType::Close;
        let body = actix_web::body::to_bytes_limited(response.into_body(), 1 << 20)
            .now_or_never()
            .and_then(std::result::Result::ok)
            .and_then(std::result::Result::ok)
            .unwrap_or_default();
        PreparedResponse { status, headers, closes_connection, body }
    }
}

impl std::fmt::Display for PreparedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)
    }
}

impl ResponseError for PreparedResponse {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.closes_connection {
            builder.force_close();
        }
        let mut response = builder.body(self.body.clone());
        for (name, value) in &self.headers {
            response.headers_mut().append(name.clone(), value.clone());
        }
        response
    }
}
