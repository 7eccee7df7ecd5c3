//! User keys: every signed-in user manages only their own.

use actix_session::Session;
use actix_web::web::{Data, Form, Path, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::KeyScope;
use super::filter::ListQuery;
use super::lifecycle::{self, RollForm};
use super::screen::{self, CreateForm};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;

pub async fn list(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    state: Data<AppState>,
    session: Session,
    query: Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    screen::list(&req, &KeyScope::User { user_id: user.id }, user.id, &state, &session, &query).await
}

pub async fn create(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    state: Data<AppState>,
    session: Session,
    form: Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let scope = KeyScope::User { user_id: user.id };
    screen::create(&req, &scope, user.id, &state, &session, form.into_inner()).await
}

pub async fn confirm_revoke(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    public_id: Path<String>,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    lifecycle::confirm_revoke(&req, &KeyScope::User { user_id: user.id }, &state, &public_id).await
}

/// `POST …/{id}/revoke`, and `…/{id}/delete` from before revoking kept keys.
pub async fn revoke(
    CurrentUser(user): CurrentUser,
    public_id: Path<String>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    lifecycle::revoke(&KeyScope::User { user_id: user.id }, user.id, &state, &session, &public_id).await
}

pub async fn confirm_roll(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    public_id: Path<String>,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    lifecycle::confirm_roll(&req, &KeyScope::User { user_id: user.id }, &state, &public_id).await
}

pub async fn roll(
    CurrentUser(user): CurrentUser,
    public_id: Path<String>,
    state: Data<AppState>,
    session: Session,
    form: Form<RollForm>,
) -> Result<HttpResponse, AppError> {
    let scope = KeyScope::User { user_id: user.id };
    lifecycle::roll(&scope, user.id, &state, &session, &public_id, form.into_inner()).await
}
