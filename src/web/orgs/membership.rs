//! A person's own membership: asking to join, withdrawing the request, leaving
//! (after a confirmation).

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;

use crate::auth::session::{self, Flash};
use crate::db::join_requests::RequestOutcome;
use crate::db::memberships::{self, MembershipChange};
use crate::domain::ids::JoinRequestId;
use crate::domain::organization::may_leave;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;
use crate::web::org_access::{OrgMember, slug_in_address};
use crate::web::orgs::OrgView;
use crate::web::orgs::ask_again_text;
use crate::web::page::{PageContext, ok, see_other};

/// `POST /o/{slug}/join-requests`: any signed-in person may ask; the
/// organization is found by the slug the search showed them.
pub async fn ask_to_join(
    CurrentUser(user): CurrentUser,
    slug: Path<String>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let (org, outcome) =
        state.memberships.ask_to_join(user.id, slug_in_address(&slug)?).await?.ok_or(AppError::NotFound)?;
    let flash = match outcome {
        RequestOutcome::Requested => {
            Flash::success(format!("You asked to join {}. Its admins will answer your request.", org.name))
        }
        RequestOutcome::AlreadyPending => Flash::info(format!("You already asked to join {}.", org.name)),
        RequestOutcome::AlreadyMember => Flash::info(format!("You are already a member of {}.", org.name)),
        RequestOutcome::TooSoon { ask_again_at } => Flash::error(format!(
            "You asked to join {} less than an hour ago and withdrew. You can ask again from {}.",
            org.name,
            ask_again_text(ask_again_at)
        )),
    };
    session::push_flash(&session, flash);
    Ok(see_other("/orgs"))
}

/// `POST /orgs/requests/{id}/withdraw`: scoped to the requester.
pub async fn withdraw(
    CurrentUser(user): CurrentUser,
    request_id: Path<JoinRequestId>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    if !state.memberships.withdraw(user.id, request_id.into_inner()).await? {
        return Err(AppError::NotFound);
    }
    session::push_flash(&session, Flash::success("Your request was withdrawn."));
    Ok(see_other("/orgs"))
}

#[derive(Template)]
#[template(path = "orgs/leave.html")]
struct LeavePage {
    page: PageContext,
    org: OrgView,
    may_leave: bool,
}

/// `GET /o/{slug}/leave`: the confirmation page (what "Leave" opens without
/// scripts; with them, a dialog on the organization's page asks the same). The
/// last admin is told why they cannot leave instead of being offered the button.
pub async fn confirm_leave(
    member: OrgMember,
    page: PageContext,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let org_id = member.org.id;
    let admins = state.db.run(move |conn| memberships::admin_count(conn, org_id)).await?;
    let may_leave = may_leave(member.role, usize::try_from(admins).unwrap_or(usize::MAX));
    ok(&LeavePage { page, org: OrgView::of(&member), may_leave })
}

/// `POST /o/{slug}/leave`: a member leaves; the last admin cannot.
pub async fn leave(
    member: OrgMember,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    match state.memberships.leave(member.org.id, member.user.id).await? {
        MembershipChange::Done => {
            session::push_flash(&session, Flash::success(format!("You left {}.", member.org.name)));
            Ok(see_other("/"))
        }
        MembershipChange::LastAdmin => {
            session::push_flash(
                &session,
                Flash::error(
                    "You are the last admin, so you cannot leave. Make another member an admin first.",
                ),
            );
            Ok(see_other(&format!("/o/{}", member.org.slug)))
        }
        MembershipChange::Unchanged | MembershipChange::NotAMember => Err(AppError::NotFound),
    }
}
