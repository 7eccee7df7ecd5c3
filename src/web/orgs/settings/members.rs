//! *Organization settings > Members*: roles, removal (after a confirmation) and
//! join requests. Every id in a path is looked up within this organization only.

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::{self, Flash};
use crate::db::join_requests::{self, Decision, DecisionOutcome};
use crate::db::memberships::{self, Member, MembershipChange};
use crate::domain::dates;
use crate::domain::identity::IdentityLabel;
use crate::domain::ids::{JoinRequestId, UserId};
use crate::domain::organization::{Role, may_leave};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::org_access::OrgAdmin;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok, see_other};

/// A request to join this organization, waiting for an admin.
pub struct IncomingRequestRow {
    pub id: JoinRequestId,
    pub name: String,
    pub identities: Vec<IdentityLabel>,
    pub asked_on: String,
}

#[derive(Template)]
#[template(path = "orgs/settings/members.html")]
struct MembersPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    me: UserId,
    members: Vec<Member>,
    requests: Vec<IncomingRequestRow>,
    /// False for the last admin: their own row offers no "Leave".
    may_leave: bool,
}

#[derive(Template)]
#[template(path = "orgs/settings/remove_member.html")]
struct RemoveMemberPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    member: Member,
}

fn members_url(slug: &str) -> String {
    format!("/o/{slug}/settings/members")
}

pub async fn show(
    OrgAdmin(admin): OrgAdmin,
    page: PageContext,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let org_id = admin.org.id;
    let (members, pending) = state
        .db
        .run(move |conn| {
            Ok((memberships::members(conn, org_id)?, join_requests::pending_for_org(conn, org_id)?))
        })
        .await?;
    let requests = pending
        .into_iter()
        .map(|pending| IncomingRequestRow {
            id: pending.request.id,
            name: pending.name,
            identities: pending.identities,
            asked_on: dates::day_of(pending.request.created_at),
        })
        .collect();
    let admins = members.iter().filter(|m| m.role == Role::Admin).count();
    let may_leave = may_leave(admin.role, admins);
    ok(&MembersPage {
        page,
        org: OrgView::of(&admin),
        tab: "members",
        me: admin.user.id,
        members,
        requests,
        may_leave,
    })
}

/// `GET /o/{slug}/settings/members/{user_id}/remove`: the confirmation page,
/// naming the member (what "Remove" opens without scripts; with them, a dialog
/// on the members page asks the same). Their own row leads to leaving instead.
pub async fn confirm_remove(
    OrgAdmin(admin): OrgAdmin,
    path: Path<(String, UserId)>,
    page: PageContext,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (_, target) = path.into_inner();
    if target == admin.user.id {
        return Ok(see_other(&format!("/o/{}/leave", admin.org.slug)));
    }
    let org_id = admin.org.id;
    let members = state.db.run(move |conn| memberships::members(conn, org_id)).await?;
    let member = members.into_iter().find(|m| m.user_id == target).ok_or(AppError::NotFound)?;
    ok(&RemoveMemberPage { page, org: OrgView::of(&admin), tab: "members", member })
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    OrgAdmin(admin): OrgAdmin,
    path: Path<(String, UserId)>,
    state: Data<AppState>,
    session: Session,
    form: Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let (_, target) = path.into_inner();
    let role =
        Role::parse(&form.role).ok_or_else(|| AppError::BadRequest("Choose admin or member.".into()))?;
    let outcome = state.memberships.change_role(admin.org.id, target, role, admin.user.id).await?;
    let flash = match outcome {
        MembershipChange::Done => {
            Flash::success(format!("The role was changed to {}.", role.label().to_lowercase()))
        }
        MembershipChange::Unchanged => Flash::info("Nothing changed: that is already their role."),
        MembershipChange::LastAdmin => {
            Flash::error("The organization needs at least one admin. Make someone else an admin first.")
        }
        MembershipChange::NotAMember => return Err(AppError::NotFound),
    };
    session::push_flash(&session, flash);
    Ok(see_other(&members_url(&admin.org.slug)))
}

pub async fn remove(
    OrgAdmin(admin): OrgAdmin,
    path: Path<(String, UserId)>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let (_, target) = path.into_inner();
    let actor = admin.user.id;
    let outcome = state.memberships.remove(admin.org.id, target, actor).await?;
    let flash = match outcome {
        MembershipChange::Done if target == actor => {
            session::push_flash(&session, Flash::success(format!("You left {}.", admin.org.name)));
            return Ok(see_other("/"));
        }
        MembershipChange::Done => Flash::success("The member was removed."),
        MembershipChange::LastAdmin => {
            Flash::error("The last admin cannot be removed. Make someone else an admin first.")
        }
        MembershipChange::Unchanged | MembershipChange::NotAMember => return Err(AppError::NotFound),
    };
    session::push_flash(&session, flash);
    Ok(see_other(&members_url(&admin.org.slug)))
}

async fn decide(
    admin: OrgAdmin,
    request_id: JoinRequestId,
    decision: Decision,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let OrgAdmin(admin) = admin;
    let outcome = state.memberships.decide(admin.org.id, request_id, decision, admin.user.id).await?;
    let flash = match outcome {
        DecisionOutcome::Approved => Flash::success("The request was approved: they are now a member."),
        DecisionOutcome::Rejected => Flash::success("The request was rejected."),
        DecisionOutcome::NotFound => return Err(AppError::NotFound),
    };
    session::push_flash(&session, flash);
    Ok(see_other(&members_url(&admin.org.slug)))
}

pub async fn approve(
    admin: OrgAdmin,
    path: Path<(String, JoinRequestId)>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    decide(admin, path.into_inner().1, Decision::Approve, state, session).await
}

pub async fn reject(
    admin: OrgAdmin,
    path: Path<(String, JoinRequestId)>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    decide(admin, path.into_inner().1, Decision::Reject, state, session).await
}
