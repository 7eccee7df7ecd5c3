//! Headers every response carries (SPEC §8). Set here once, not per handler.
//! While the server drains before stopping (`crate::shutdown`), every response
//! also closes its connection, so that no client sends another request on it.
//!
//! That includes requests that fail before a handler answers (a middleware such
//! as the session store returning an error): they are turned into the error
//! page (or the API's JSON error) here, with the same headers, instead of
//! actix-web's bare 500.

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::{HttpResponse, ResponseError};
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

/// What the headers of every response depend on, fixed when the app is built.
#[derive(Clone, Default)]
pub struct ResponseHeaders {
    https: bool,
    dev_sign_in: bool,
    /// Whether the database can be reached, for a failure's answer.
    state: Option<actix_web::web::Data<crate::state::AppState>>,
    draining: Draining,
}

/// Where a request goes, as far as its answer's headers are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Destination {
    answer: Answer,
    is_api: bool,
}

impl Destination {
    pub fn of(path: &str) -> Destination {
        Destination { answer: Answer::of(path), is_api: path.starts_with("/api/") }
    }
}

impl ResponseHeaders {
    pub fn new(state: actix_web::web::Data<crate::state::AppState>, draining: Draining) -> ResponseHeaders {
        ResponseHeaders {
            https: state.is_https(),
            dev_sign_in: state.dev_sign_in,
            state: Some(state),
            draining,
        }
    }

    /// Sets the headers on the response to a request for `destination`. A
    /// request that failed before a handler answered gets its answer here (see
    /// the module), named with `request_id`.
    pub fn finish<B>(
        &self,
        destination: Destination,
        request_id: RequestId,
        result: Result<ServiceResponse<B>, actix_web::Error>,
    ) -> Result<ServiceResponse<B>, actix_web::Error> {
        let draining = self.draining.is_on();
        match result {
            Ok(mut res) => {
                set_headers(res.headers_mut(), self.https, destination.answer);
                if draining {
                    res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
                }
                Ok(res)
            }
            Err(error) => Err(self.failure(destination, request_id, draining, &error).into()),
        }
    }

    /// The answer to a request that failed before any handler answered: the
    /// machinery around it (the session store, above all when the database
    /// cannot be reached or take writes) failed, a temporary condition answered
    /// as such.
    fn failure(
        &self,
        destination: Destination,
        request_id: RequestId,
        draining: bool,
        error: &actix_web::Error,
    ) -> PreparedResponse {
        let status = StatusCode::SERVICE_UNAVAILABLE;
        let database_away = self.state.as_ref().is_some_and(|state| !state.db.is_reachable());
        if database_away {
            tracing::warn!(error = %format!("{error:#}"), %status, "a request failed before a handler answered: the database cannot be reached");
        } else {
            tracing::error!(error = %format!("{error:#}"), %status, "a request failed before a handler answered");
        }
        let mut response = if destination.is_api {
            ApiError::Unavailable(Unavailable::Unreachable(
                "a request failed before a handler answered".into(),
            ))
            .error_response()
        } else {
            crate::web::error_pages::standalone(
                status,
                database_away.then(crate::error::unavailable_message),
                Some(request_id.to_string()),
                self.dev_sign_in,
            )
        };
        set_headers(response.headers_mut(), self.https, destination.answer);
        if !response.headers().contains_key(header::RETRY_AFTER) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        response
            .headers_mut()
            .insert(const { HeaderName::from_static("x-request-id") }, request_id.header_value());
        if draining {
            response.head_mut().set_connection_type(ConnectionType::Close);
        }
        PreparedResponse::from(response)
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
