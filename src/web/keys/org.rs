//! Organization keys: admins only (outsiders 404, members 403, by `OrgAdmin`).

use actix_session::Session;
use actix_web::web::{Data, Form, Path, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::KeyScope;
use super::filter::ListQuery;
use super::lifecycle::{self, RollForm};
use super::screen::{self, CreateForm};
use crate::domain::ids::UserId;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::org_access::{OrgAdmin, OrgMember};

fn scope(admin: OrgAdmin) -> (KeyScope, UserId) {
    let OrgAdmin(OrgMember { user, org, role }) = admin;
    (KeyScope::Organization { org, is_admin: true, role_label: role.label() }, user.id)
}

pub async fn list(
    req: HttpRequest,
    admin: OrgAdmin,
    state: Data<AppState>,
    session: Session,
    query: Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (scope, viewer) = scope(admin);
    screen::list(&req, &scope, viewer, &state, &session, &query).await
}

pub async fn create(
    req: HttpRequest,
    admin: OrgAdmin,
    state: Data<AppState>,
    session: Session,
    form: Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let (scope, actor) = scope(admin);
    screen::create(&req, &scope, actor, &state, &session, form.into_inner()).await
}

pub async fn confirm_revoke(
    req: HttpRequest,
    admin: OrgAdmin,
    path: Path<(String, String)>,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (scope, _) = scope(admin);
    lifecycle::confirm_revoke(&req, &scope, &state, &path.into_inner().1).await
}

/// `POST …/{id}/revoke`, and `…/{id}/delete` from before revoking kept keys.
pub async fn revoke(
    admin: OrgAdmin,
    path: Path<(String, String)>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let (scope, actor) = scope(admin);
    lifecycle::revoke(&scope, actor, &state, &session, &path.into_inner().1).await
}

pub async fn confirm_roll(
    req: HttpRequest,
    admin: OrgAdmin,
    path: Path<(String, String)>,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (scope, _) = scope(admin);
    lifecycle::confirm_roll(&req, &scope, &state, &path.into_inner().1).await
}

pub async fn roll(
    admin: OrgAdmin,
    path: Path<(String, String)>,
    state: Data<AppState>,
    session: Session,
    form: Form<RollForm>,
) -> Result<HttpResponse, AppError> {
    let (scope, actor) = scope(admin);
    lifecycle::roll(&scope, actor, &state, &session, &path.into_inner().1, form.into_inner()).await
}
