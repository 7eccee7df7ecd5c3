//! The API's one error type and its mapping to HTTP: always a JSON body
//! `{"error": {"code", "message"}}` (plus `fields` for 422), never HTML.

use std::collections::BTreeMap;
use std::net::IpAddr;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use super::model::{ErrorBody, ErrorDetail};
use crate::auth::key_auth::AuthFailure;
use crate::db::{DbError, Unavailable};
use crate::domain::api_key::{Level, Resource, RevokeReason};
use crate::domain::dates;
use crate::error::{AppError, UNAVAILABLE_RETRY_AFTER_SECONDS, unavailable_message};
use crate::services::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication failed")]
    Unauthorized(AuthFailure),
    #[error("an API key was sent in the URL")]
    KeyInQuery,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The key's holder may do this, the key may not (RFC 6750 `insufficient_scope`).
    #[error("the key lacks {}:{}", .resource.name(), .level.name())]
    InsufficientScope { resource: Resource, level: Level },
    /// The key has allowed networks and the client's address is in none of them
    /// (`None`: the address could not be told).
    #[error("the key may not be used from this address")]
    IpNotAllowed(Option<IpAddr>),
    #[error("not found")]
    NotFound,
    /// The request is fine but the resource's state refuses it (409): a code
    /// such as `already_rolled` or `key_not_active`, and the sentence.
    #[error("conflict: {0}")]
    Conflict(&'static str, String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Field name → what is wrong with it.
    #[error("validation failed")]
    Validation(BTreeMap<String, String>),
    /// The database cannot be reached: 503 with `Retry-After`.
    #[error(transparent)]
    Unavailable(Unavailable),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn field(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(BTreeMap::from([(name.to_string(), message.into())]))
    }

    /// The machine-readable code clients can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(failure) => match failure {
                AuthFailure::Missing => "missing_key",
                AuthFailure::BadHeader => "bad_authorization_header",
                AuthFailure::Malformed(_) => "malformed_key",
                AuthFailure::Invalid => "invalid_key",
                AuthFailure::Expired { .. } => "expired_key",
                AuthFailure::Revoked(_) => "revoked_key",
                AuthFailure::RateLimited { .. } => "rate_limited",
                AuthFailure::Busy => "busy",
                AuthFailure::Database(_) | AuthFailure::Internal(_) => "internal",
            },
            ApiError::KeyInQuery => "key_in_query",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::InsufficientScope { .. } => "insufficient_scope",
            ApiError::IpNotAllowed(_) => "ip_not_allowed",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(code, _) => code,
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The sentence for the person reading the client's output.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthorized(failure) => match failure {
                AuthFailure::Missing => "This endpoint needs an API key: send it as \
                    `Authorization: Bearer <key>`."
                    .into(),
                AuthFailure::BadHeader => {
                    "The Authorization header must be `Bearer <key>` (or `Token <key>`), \
                    sent once."
                        .into()
                }
                AuthFailure::Malformed(reason) => {
                    format!("The API key is malformed: {reason}. Copy the whole key again.")
                }
                AuthFailure::Invalid => {
                    "The API key is not valid: it was deleted, or it never existed.".into()
                }
                AuthFailure::Expired { valid_until } => format!(
                    "The API key expired: it was usable until the end of {} UTC. Create a new key.",
                    dates::date(valid_until.pred_opt().unwrap_or(*valid_until))
                ),
                AuthFailure::Revoked(revoked) => match revoked.reason {
                    RevokeReason::Rolled => format!(
                        "The API key was rolled: it stopped working at {}. Use the key it was rolled to.",
                        dates::date_time_utc(revoked.at.naive_utc())
                    ),
                    reason => format!(
                        "The API key was revoked ({}) at {}. Create a new key.",
                        reason.words(),
                        dates::date_time_utc(revoked.at.naive_utc())
                    ),
                },
                AuthFailure::RateLimited { retry_after } => {
                    format!("Too many failed attempts from your address. Try again in {retry_after} s.")
                }
                AuthFailure::Busy => "The server is busy checking keys. Try again in a moment.".into(),
                AuthFailure::Database(_) | AuthFailure::Internal(_) => internal_message(),
            },
            ApiError::KeyInQuery => "API keys are not accepted in the URL, where logs and browser history \
                would keep them: send the key as `Authorization: Bearer <key>`, and consider this one \
                exposed (delete it and create a new one)."
                .into(),
            ApiError::BadRequest(message) | ApiError::Forbidden(message) | ApiError::Conflict(_, message) => {
                message.clone()
            }
            ApiError::InsufficientScope { resource, level } => format!(
                "This key lacks {scope} ({what}). A key's permissions are chosen when it is \
                 created: use a key that has {scope}.",
                scope = scope_word(*resource, *level),
                what = resource.allows_in_words(*level).unwrap_or("no access"),
            ),
            // The address seen, never the list: the list is the key owner's business.
            ApiError::IpNotAllowed(Some(address)) => {
                format!("This key may not be used from {}.", address.to_canonical())
            }
            ApiError::IpNotAllowed(None) => {
                "This key may only be used from its allowed networks, and this request's address \
                 could not be told."
                    .into()
            }
            ApiError::NotFound => "Not found, or not within this key's reach.".into(),
            ApiError::MethodNotAllowed => "This method is not allowed here.".into(),
            ApiError::PayloadTooLarge => "The request body is too large.".into(),
            ApiError::UnsupportedMediaType => {
                "Send the body as JSON (`Content-Type: application/json`).".into()
            }
            ApiError::Validation(fields) => {
                let list =
                    fields.iter().map(|(name, message)| format!("{name}: {message}")).collect::<Vec<_>>();
                format!("The request has invalid fields. {}", list.join(" "))
            }
            ApiError::Unavailable(_) => unavailable_message(),
            ApiError::Internal(_) => internal_message(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Unauthorized(AuthFailure::RateLimited { retry_after }) => Some(*retry_after),
            ApiError::Unauthorized(AuthFailure::Busy) => Some(1),
            ApiError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECONDS.into()),
            _ => None,
        }
    }
}

/// `keys:write`, as scope strings write it.
pub fn scope_word(resource: Resource, level: Level) -> String {
    format!("{}:{}", resource.name(), level.name())
}

fn internal_message() -> String {
    "Something went wrong on our side. It has been logged; please try again.".into()
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Database(e) => ApiError::from(e),
            AuthFailure::Internal(e) => ApiError::Internal(e),
            other => ApiError::Unauthorized(other),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Database(error) => error.into(),
            ServiceError::Internal(error) => ApiError::Internal(error),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(why) => ApiError::Unavailable(why),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound => ApiError::NotFound,
            AppError::Forbidden => ApiError::Forbidden("This key may not do that.".into()),
            AppError::BadRequest(message) => ApiError::BadRequest(message),
            AppError::PayloadTooLarge => ApiError::PayloadTooLarge,
            AppError::DatabaseUnavailable(e) => ApiError::Unavailable(e),
            AppError::Internal(e) => ApiError::Internal(e),
            other => ApiError::Internal(anyhow::anyhow!("unexpected web error in the API: {other}")),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(failure) => match failure {
                AuthFailure::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AuthFailure::Busy => StatusCode::SERVICE_UNAVAILABLE,
                AuthFailure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            },
            ApiError::KeyInQuery | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) | ApiError::InsufficientScope { .. } | ApiError::IpNotAllowed(_) => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(..) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = %format!("{cause:#}"), "API request failed"),
            ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "API request answered 503"),
            _ => {}
        }
        let fields = match self {
            ApiError::Validation(fields) => Some(fields.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail { code: self.code().to_string(), message: self.message(), fields },
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if matches!(
            self,
            ApiError::Unauthorized(
                AuthFailure::Missing
                    | AuthFailure::BadHeader
                    | AuthFailure::Malformed(_)
                    | AuthFailure::Invalid
                    | AuthFailure::Expired { .. }
                    | AuthFailure::Revoked(_)
            )
        ) {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"monkeyci\""),
            ));
        }
        if let ApiError::InsufficientScope { resource, level } = self
            && let Ok(value) = HeaderValue::from_str(&format!(
                "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                scope_word(*resource, *level)
            ))
        {
            response.insert_header((header::WWW_AUTHENTICATE, value));
        }
        response.json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_scope_is_a_403_whose_challenge_names_it() {
        let error = ApiError::InsufficientScope { resource: Resource::Keys, level: Level::Write };
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer error=\"insufficient_scope\", scope=\"keys:write\""
        );
        assert_eq!(error.code(), "insufficient_scope");
        assert!(error.message().starts_with("This key lacks keys:write (create and revoke API keys)."));
    }

    #[test]
    fn a_refused_address_is_named_as_seen_without_the_list() {
        let mapped: IpAddr = "::ffff:198.51.100.7".parse().unwrap();
        let error = ApiError::IpNotAllowed(Some(mapped));
        assert_eq!(error.status_code(), StatusCode::FORBIDDEN);
        assert_eq!(
            (error.code(), error.message().as_str()),
            ("ip_not_allowed", "This key may not be used from 198.51.100.7.")
        );
        assert!(error.error_response().headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
