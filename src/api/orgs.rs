//! Organizations the key reaches: the list, one organization, its members.

use actix_web::web::{Data, Json};

use super::caller::{ApiCaller, InOrg, MembersRead, OrgRead};
use super::error::ApiError;
use super::model::{ErrorBody, MemberInfo, MemberList, OrgDetails, OrgList, UserInfo};
use super::views::org_access;
use crate::db::memberships;
use crate::db::organizations::Organization;
use crate::domain::api_key::{Level, Resource};
use crate::state::AppState;

/// The organizations this key reaches (for a user key: the user's, with their role, as of now),
/// with what the key may do in each. Needs no permission.
#[utoipa::path(
    get,
    path = "/api/v1/orgs",
    tag = "organizations",
    responses(
        (status = 200, description = "The organizations, by name", body = OrgList),
    ),
    security(("api_key" = []))
)]
pub async fn list(caller: ApiCaller) -> Json<OrgList> {
    Json(OrgList { organizations: caller.0.organizations().iter().map(org_access).collect() })
}

/// One organization.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}",
    tag = "organizations",
    params(("org" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, description = "The organization", body = OrgDetails),
        (status = 403, description = "`insufficient_scope`: the key lacks `org:read`; `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach", body = ErrorBody),
    ),
    security(("api_key" = ["org:read"]))
)]
pub async fn show(at: InOrg<OrgRead>, state: Data<AppState>) -> Result<Json<OrgDetails>, ApiError> {
    let org_id = at.org.id;
    let org =
        state.db.run(move |conn| Organization::find_by_id(conn, org_id)).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(OrgDetails {
        slug: org.slug,
        name: org.name,
        created_at: org.created_at.and_utc(),
        role: at.role.map(|role| role.as_str().to_string()),
        can_manage_keys: at.scope.allows(Resource::Keys, Level::Write),
        scope: at.scope.to_string(),
        max_key_lifetime_days: org.max_key_lifetime_days,
        keys_require_expiry: org.keys_require_expiry,
        user_keys_allowed: org.user_keys_allowed.as_str().to_string(),
    }))
}

/// The organization's members, admins first.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/members",
    tag = "organizations",
    params(("org" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, description = "The members", body = MemberList),
        (status = 403, description = "`insufficient_scope`: the key lacks `members:read`; `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach", body = ErrorBody),
    ),
    security(("api_key" = ["members:read"]))
)]
pub async fn members(at: InOrg<MembersRead>, state: Data<AppState>) -> Result<Json<MemberList>, ApiError> {
    let org_id = at.org.id;
    let members = state.db.run(move |conn| memberships::members(conn, org_id)).await?;
    Ok(Json(MemberList {
        members: members
            .into_iter()
            .map(|m| MemberInfo {
                user: UserInfo { id: m.user_id.get(), display_name: m.display_name },
                role: m.role.as_str().to_string(),
                joined_at: m.joined_at.and_utc(),
            })
            .collect(),
    }))
}
