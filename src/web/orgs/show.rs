//! An organization's page (`/o/{slug}`): its name and members, for members;
//! for admins also the way to its settings, its API keys and the requests to join.

use actix_web::HttpResponse;
use actix_web::web::Data;
use askama::Template;

use crate::db::memberships::{self, Member};
use crate::domain::organization::{Role, may_leave};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::org_access::OrgMember;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok};

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct OrgPage {
    page: PageContext,
    org: OrgView,
    members: Vec<Member>,
    /// False for the last admin: the page says why instead of offering "Leave".
    may_leave: bool,
}

pub async fn show(
    member: OrgMember,
    page: PageContext,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let org_id = member.org.id;
    let members = state.db.run(move |conn| memberships::members(conn, org_id)).await?;
    let admins = members.iter().filter(|m| m.role == Role::Admin).count();
    let may_leave = may_leave(member.role, admins);
    ok(&OrgPage { page, org: OrgView::of(&member), members, may_leave })
}
