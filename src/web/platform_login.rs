//! Sign-in and account linking through a platform: the redirect out and the
//! callback back in (routes fixed by SPEC §10).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::platforms::Platform;
use crate::auth::session::{self, Flash};
use crate::db::identities::LinkOutcome;
use crate::domain::pending_login::{PendingLogin, Purpose};
use crate::domain::return_to::ReturnTo;
use crate::error::AppError;
use crate::services::sign_in::{Callback, CallbackFailure, Completed};
use crate::state::AppState;
use crate::web::current_user::{CurrentUser, load_user};
use crate::web::page::{PageContext, render, see_other};

pub const SIGN_IN_METHODS: &str = "/settings/sign-in-methods";

#[derive(Template)]
#[template(path = "auth/failed.html")]
struct SignInFailed {
    page: PageContext,
    title: String,
    message: String,
    retry_url: String,
}

#[derive(Deserialize)]
pub struct StartQuery {
    return_to: Option<String>,
}

/// `GET /auth/{platform}/login`: off to the platform's consent page.
pub async fn start_sign_in(
    req: HttpRequest,
    slug: Path<String>,
    query: Query<StartQuery>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let platform = state.platforms.by_slug(&slug).ok_or(AppError::NotFound)?;
    let return_to = ReturnTo::parse_opt(query.return_to.as_deref());
    if load_user(&req).await?.is_some() {
        return Ok(see_other(return_to.as_str()));
    }
    let retry = sign_in_url(platform, return_to.as_str());
    begin(&req, &state, &session, platform, return_to.as_str().to_string(), Purpose::SignIn, retry).await
}

/// `GET /auth/{platform}/link`: the same trip, to attach the identity to the
/// signed-in user. (A GET is safe here: the callback only accepts the state this
/// session created, so nobody can link their identity to someone else's account.)
pub async fn start_link(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    slug: Path<String>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let platform = state.platforms.by_slug(&slug).ok_or(AppError::NotFound)?;
    let purpose = Purpose::Link { user_id: user.id };
    begin(&req, &state, &session, platform, SIGN_IN_METHODS.to_string(), purpose, SIGN_IN_METHODS.to_string())
        .await
}

async fn begin(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    platform: &Platform,
    return_to: String,
    purpose: Purpose,
    retry_url: String,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now().timestamp();
    match platform.start(return_to, purpose, now).await {
        Ok(authorization) => {
            let mut pending = session::pending_logins(session);
            pending.push(authorization.pending, now);
            session::save_pending_logins(session, &pending);
            Ok(HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, authorization.url.as_str()))
                .finish())
        }
        Err(error) => {
            tracing::warn!(platform = platform.id().slug(), error = %error, "sign-in could not start");
            failure(
                req,
                StatusCode::BAD_GATEWAY,
                "Sign-in is unavailable",
                format!("MonkeyCI could not reach {}. Please try again in a moment.", platform.label()),
                retry_url,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/{platform}/callback`: the platform sends the person back here.
pub async fn callback(
    req: HttpRequest,
    slug: Path<String>,
    query: Query<CallbackQuery>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let platform = state.platforms.by_slug(&slug).ok_or(AppError::NotFound)?;
    let label = platform.label().to_string();
    let slug = platform.id().slug();

    // The state is spent whatever happens next: it can never be replayed.
    let mut pending_logins = session::pending_logins(&session);
    let taken = pending_logins.take(slug, query.state.as_deref(), state.clock.now().timestamp());
    session::save_pending_logins(&session, &pending_logins);
    let retry_url = match &taken {
        Ok(pending) => retry_url_for(platform, pending),
        Err(_) => sign_in_url(platform, "/"),
    };

    let callback = Callback {
        pending: taken,
        error: query.error.as_deref().map(|e| error_code(e).to_string()),
        code: query.code.clone(),
        signed_in_as: session::user_id(&session),
    };
    let (status, title, message) = match state.sign_in.complete(platform, callback).await? {
        Ok(Completed::SignedIn { user_id, return_to }) => {
            session::sign_in(&session, user_id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            tracing::info!(platform = slug, %user_id, "signed in");
            return Ok(see_other(&return_to));
        }
        Ok(Completed::LinkAttempted { outcome, .. }) => {
            let flash = match outcome {
                LinkOutcome::Linked => Flash::success(format!("Your {label} account is now linked.")),
                LinkOutcome::AlreadyYours => Flash::info(format!("This {label} account was already linked.")),
                LinkOutcome::BelongsToAnotherUser => Flash::error(format!(
                    "This {label} account is linked to another MonkeyCI user, so it was not linked here. \
                     Sign in with it and unlink it there first."
                )),
                LinkOutcome::PlatformTaken => Flash::error(format!(
                    "You already have another {label} account linked. Unlink it first to link this one."
                )),
            };
            session::push_flash(&session, flash);
            return Ok(see_other(SIGN_IN_METHODS));
        }
        Err(CallbackFailure::Refused { code }) if code == "access_denied" => (
            StatusCode::BAD_REQUEST,
            "Sign-in cancelled",
            format!("You cancelled signing in with {label}. Nothing was changed."),
        ),
        Err(CallbackFailure::Refused { code }) => (
            StatusCode::BAD_REQUEST,
            "Sign-in could not be completed",
            format!("{label} did not let you sign in (it answered “{code}”). Please try again."),
        ),
        Err(CallbackFailure::StaleState(_)) => (
            StatusCode::BAD_REQUEST,
            "This sign-in link is no longer valid",
            "It has expired, was already used, or was started in another browser. Please start again.".into(),
        ),
        Err(CallbackFailure::NoCode) => (
            StatusCode::BAD_REQUEST,
            "Sign-in could not be completed",
            format!("{label} did not send a sign-in code. Please try again."),
        ),
        Err(CallbackFailure::Platform(_)) => (
            StatusCode::BAD_GATEWAY,
            "Sign-in could not be completed",
            format!("MonkeyCI could not complete signing in with {label}. Please try again in a moment."),
        ),
        Err(CallbackFailure::LinkerChanged) => {
            let message = "You signed out or switched accounts while linking. Sign in and try again.";
            let title = "This link request is no longer valid";
            return failure(&req, StatusCode::BAD_REQUEST, title, message.into(), SIGN_IN_METHODS.into())
                .await;
        }
    };
    failure(&req, status, title, message, retry_url).await
}

fn sign_in_url(platform: &Platform, return_to: &str) -> String {
    let query = serde_urlencoded::to_string([("return_to", return_to)]).unwrap_or_default();
    format!("/auth/{}/login?{query}", platform.id().slug())
}

fn retry_url_for(platform: &Platform, pending: &PendingLogin) -> String {
    match pending.purpose {
        Purpose::SignIn => sign_in_url(platform, &pending.return_to),
        Purpose::Link { .. } => SIGN_IN_METHODS.to_string(),
    }
}

/// The platform's error code as far as it looks like one (`access_denied`); anything
/// else is not echoed back to the person or into the log.
fn error_code(raw: &str) -> &str {
    let looks_like_a_code = !raw.is_empty()
        && raw.len() <= 64
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if looks_like_a_code { raw } else { "an unknown error" }
}

async fn failure(
    req: &HttpRequest,
    status: StatusCode,
    title: &str,
    message: String,
    retry_url: String,
) -> Result<HttpResponse, AppError> {
    let page =
        SignInFailed { page: PageContext::load(req).await?, title: title.to_string(), message, retry_url };
    render(status, &page)
}
