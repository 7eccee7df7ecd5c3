//! One error type for the web layer, with an explicit HTTP mapping.
//!
//! People see a short, honest message (rendered inside the layout by
//! `web::error_pages`); the log sees the whole cause chain for server errors;
//! nobody sees a stack trace or a secret.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    #[error("you do not have access to this page")]
    Forbidden,
    #[error("the form was not sent from this site or has expired")]
    CsrfRejected,
    #[error("sign-in required")]
    SignInRequired { return_to: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
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
            AppError::CsrfRejected => {
                "This form has expired or was sent from another site, so nothing was changed. \
                 Go back, reload the page and try again."
                    .into()
            }
            AppError::SignInRequired { .. } => "Please sign in to continue.".into(),
            AppError::BadRequest(message) => message.clone(),
            AppError::PayloadTooLarge => "The request is too large.".into(),
            AppError::Internal(_) => {
                "Something went wrong on our side. It has been logged; please try again.".into()
            }
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        AppError::internal(error)
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
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
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
            other => HttpResponse::build(other.status_code()).finish(),
        }
    }
}
