//! One error type for the web layer, with an explicit HTTP mapping.
//!
//! People see a short, honest message (rendered inside the layout by
//! `web::error_pages`); the log sees the whole cause chain for server errors;
//! nobody sees a stack trace or a secret.

use actix_web::http::StatusCode;
use actix_web::http::header::{LOCATION, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};

use crate::db::{DbError, Unavailable};
use crate::services::ServiceError;

/// What a 503 for an unreachable database tells clients to wait, in seconds:
/// the pool tries to reconnect about twice a second, so this is plenty.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    #[error("you do not have access to this page")]
    Forbidden,
    /// A member opened one of the organization's admin pages: 403, with a page
    /// that says whom to ask (`web::error_pages`).
    #[error("this page is for the organization's admins")]
    AdminsOnly(Box<AdminsOnly>),
    #[error("the form was not sent from this site or has expired")]
    CsrfRejected,
    #[error("sign-in required")]
    SignInRequired { return_to: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// The database cannot be reached (or stayed busy): 503 with `Retry-After`,
    /// answered within about a second instead of hanging.
    #[error(transparent)]
    DatabaseUnavailable(#[from] Unavailable),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What the 403 page of an organization's admin page tells a member: the
/// organization, and its admins by display name.
#[derive(Debug, Clone)]
pub struct AdminsOnly {
    pub org_name: String,
    pub org_slug: String,
    pub admins: Vec<String>,
}

impl AppError {
    pub fn internal<E>(error: E) -> AppError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        AppError::Internal(anyhow::Error::new(error))
    }

    /// The sentence shown to the person on the error page.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound => {
                "There is nothing here. The address may be mistyped, or the page may have moved.".into()
            }
            AppError::Forbidden => "You do not have permission to see this page.".into(),
            AppError::AdminsOnly(details) => {
                format!("Only the admins of {} can open this page.", details.org_name)
            }
            AppError::CsrfRejected => {
                "This form has expired or was sent from another site, so nothing was changed. \
                 Go back, reload the page and try again."
                    .into()
            }
            AppError::SignInRequired { .. } => "Please sign in to continue.".into(),
            AppError::BadRequest(message) => message.clone(),
            AppError::PayloadTooLarge => "The request is too large.".into(),
            AppError::DatabaseUnavailable(_) => unavailable_message(),
            AppError::Internal(_) => {
                "Something went wrong on our side. It has been logged; please try again.".into()
            }
        }
    }
}

/// The sentence for a request answered 503 because the database is away.
pub fn unavailable_message() -> String {
    "The service is briefly unavailable: its database cannot be reached. Nothing was changed; \
     please try again in a few seconds."
        .into()
}

impl From<ServiceError> for AppError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Database(error) => error.into(),
            ServiceError::Internal(error) => AppError::Internal(error),
        }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(why) => AppError::DatabaseUnavailable(why),
            other => AppError::internal(other),
        }
    }
}

/// For handlers that run diesel themselves: the same mapping as [`DbError`]'s.
impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        AppError::from(DbError::from(error))
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        AppError::internal(error)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::AdminsOnly(_) | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare response: `web::error_pages` replaces its body with the rendered page.
    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::SignInRequired { return_to } => {
                let query = serde_urlencoded::to_string([("return_to", return_to)]).unwrap_or_default();
                HttpResponse::SeeOther().insert_header((LOCATION, format!("/login?{query}"))).finish()
            }
            AppError::DatabaseUnavailable(_) => HttpResponse::ServiceUnavailable()
                .insert_header((RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECONDS.to_string()))
                .finish(),
            other => HttpResponse::build(other.status_code()).finish(),
        }
    }
}
