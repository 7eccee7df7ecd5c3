//! Members' user keys through the API (SPEC §4 "Oversight of members' user
//! keys", §5): the user keys that can reach an organization, for its admins,
//! who may block one there (it keeps working elsewhere) and unblock it. Never a
//! token or a hash.

use actix_web::web::{Data, Json, Path, Query};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{InOrg, KeysRead, KeysWrite};
use super::error::ApiError;
use super::model::{ErrorBody, UserInfo};
use crate::db::api_key_blocks::{self, BlockActor};
use crate::db::audit_events::ViaKey;
use crate::db::member_keys::{self, Cursor, MemberKey};
use crate::db::organizations::Organization;
use crate::domain::api_key::{KeyKind, KeyPolicy, PublicId};
use crate::domain::oversight::MemberKeyStatus;
use crate::state::AppState;

const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 100;

/// A member's user key as the organization's admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberKeyInfo {
    /// The public key id, used in URLs.
    #[schema(example = "3fKxQ9a0LmP2sT7v")]
    pub id: String,
    #[schema(example = "mci_usr_3fKx…")]
    pub hint: String,
    pub description: String,
    pub owner: MemberKeyOwner,
    /// The key's permissions as a scope string (its owner's role still bounds them).
    #[schema(example = "repos:read builds:write params:read")]
    pub scope: String,
    /// The same in words.
    #[schema(example = "Run builds: read repositories, start builds, read parameters")]
    pub permissions: String,
    pub created_at: DateTime<Utc>,
    /// Refused from this date (00:00 UTC) on; `null`: never expires.
    pub valid_until: Option<NaiveDate>,
    /// Its last use in this organization (may lag a minute); `null`: never used here.
    pub last_used_at: Option<DateTime<Utc>>,
    /// `blocked` (by this organization), `expired`, `not_allowed` (by the key
    /// policy, see `not_allowed_because`), `expires_soon` or `active`.
    pub status: String,
    pub blocked: bool,
    /// Why the key policy keeps it out, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_allowed_because: Option<String>,
}

/// The key's owner, with how they sign in (display names are free text).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberKeyOwner {
    #[serde(flatten)]
    pub user: UserInfo,
    /// Their sign-in identities, such as `github: mallory`.
    pub identities: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberKeyList {
    /// Oldest first.
    pub keys: Vec<MemberKeyInfo>,
    /// Every user key that can reach the organization.
    pub total: i64,
    /// The value of `after` for the next page; `null` on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The id of the last key of the previous page (its `next_after`).
    after: Option<String>,
    /// From 1 to 100 (default 50).
    #[param(value_type = Option<u32>)]
    per_page: Option<String>,
}

/// The key id of a path (`…/user-keys/{id}/block`).
#[derive(Debug, Deserialize)]
pub struct KeyPath {
    id: String,
}

fn info(item: MemberKey, policy: &KeyPolicy, now: DateTime<Utc>) -> MemberKeyInfo {
    let status = MemberKeyStatus::of(item.blocked, policy, &item.terms(), now);
    let key = item.key;
    MemberKeyInfo {
        hint: key.public_id.hint(KeyKind::User),
        id: key.public_id.to_string(),
        description: key.description,
        owner: MemberKeyOwner {
            user: UserInfo { id: item.owner_id.get(), display_name: item.owner_name },
            identities: item.owner_identities.iter().map(|label| label.as_str().to_string()).collect(),
        },
        scope: key.scope.to_string(),
        permissions: key.scope.in_words(),
        created_at: key.created_at.and_utc(),
        valid_until: key.valid_until,
        last_used_at: item.last_used_here.map(|t| t.and_utc()),
        status: status.code().to_string(),
        blocked: item.blocked,
        not_allowed_because: status.refusal().map(|refusal| refusal.to_string()),
    }
}

/// The user keys of members that can reach the organization (their reach is
/// all of their owner's organizations, or names this one), oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/user-keys",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ListParams),
    responses(
        (status = 200, description = "One page of the members' user keys (never a token or a hash)", body = MemberKeyList),
        (status = 403, description = "`forbidden`: a member's user key (overseeing keys needs the admin role); `insufficient_scope`: the key lacks `keys:read` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach", body = ErrorBody),
        (status = 422, description = "Bad `per_page`, or an `after` that names no key", body = ErrorBody),
    ),
    security(("api_key" = ["keys:read"]))
)]
pub async fn list(
    manager: InOrg<KeysRead>,
    query: Query<ListParams>,
    state: Data<AppState>,
) -> Result<Json<MemberKeyList>, ApiError> {
    let per_page = match query.per_page.as_deref() {
        None => DEFAULT_PER_PAGE,
        Some(raw) => {
            raw.trim().parse::<u32>().ok().filter(|n| (1..=MAX_PER_PAGE).contains(n)).ok_or_else(|| {
                ApiError::field("per_page", format!("Must be a whole number from 1 to {MAX_PER_PAGE}."))
            })?
        }
    };
    let no_such_key =
        || ApiError::field("after", "No key has this id: list again from the start, without `after`.");
    let cursor = match query.after.as_deref() {
        None => Cursor::First,
        Some(raw) => Cursor::After(PublicId::parse(raw.trim()).ok_or_else(no_such_key)?),
    };
    let (org_id, at) = (manager.org.id, state.clock.now_naive());
    let found = state
        .db
        .run(move |conn| {
            let policy = Organization::find_by_id(conn, org_id)?.map(|org| org.key_policy());
            Ok(policy.zip(member_keys::page(conn, org_id, &cursor, i64::from(per_page), at)?))
        })
        .await?;
    let (policy, page) = found.ok_or_else(no_such_key)?;
    let now = state.clock.now();
    let next_after =
        page.has_next.then(|| page.items.last().map(|item| item.key.public_id.to_string())).flatten();
    Ok(Json(MemberKeyList {
        keys: page.items.into_iter().map(|item| info(item, &policy, now)).collect(),
        total: page.total,
        next_after,
    }))
}

/// Blocks a member's user key from the organization: it gets 404 here from its
/// next request on, and keeps working in its owner's other organizations.
/// Blocking a blocked key changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/user-keys/{id}/block",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The user key's public id")),
    responses(
        (status = 200, description = "Blocked; the key as it is now", body = MemberKeyInfo),
        (status = 403, description = "`forbidden`: a member's user key (overseeing keys needs the admin role); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach, or no user key with this id that can reach it", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn block(
    manager: InOrg<KeysWrite>,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<Json<MemberKeyInfo>, ApiError> {
    set_blocked(manager, &path.id, true, &state).await
}

/// Lets a blocked user key reach the organization again. Unblocking a key that
/// is not blocked changes nothing.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/user-keys/{id}/block",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The user key's public id")),
    responses(
        (status = 200, description = "Unblocked; the key as it is now", body = MemberKeyInfo),
        (status = 403, description = "`forbidden`: a member's user key (overseeing keys needs the admin role); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach, or no user key with this id that can reach it", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn unblock(
    manager: InOrg<KeysWrite>,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<Json<MemberKeyInfo>, ApiError> {
    set_blocked(manager, &path.id, false, &state).await
}

async fn set_blocked(
    manager: InOrg<KeysWrite>,
    raw_id: &str,
    blocked: bool,
    state: &AppState,
) -> Result<Json<MemberKeyInfo>, ApiError> {
    let InOrg { caller, org, .. } = manager;
    let public_id = PublicId::parse(raw_id).ok_or(ApiError::NotFound)?;
    let hint = caller.hint();
    let description = caller.0.key.description.clone();
    let user_id = caller.0.user().map(|user| user.id);
    let now = state.clock.now_naive();
    let org_id = org.id;
    let found = state
        .db
        .run(move |conn| {
            let actor =
                BlockActor { user_id, via_key: Some(ViaKey { hint: &hint, description: &description }) };
            let changed = if blocked {
                api_key_blocks::block(conn, &org, &public_id, actor, now)?
            } else {
                api_key_blocks::unblock(conn, &org, &public_id, actor, now)?
            };
            let policy = Organization::find_by_id(conn, org_id)?.map(|org| org.key_policy());
            Ok(changed.zip(policy))
        })
        .await?;
    let ((key, _), policy) = found.ok_or(ApiError::NotFound)?;
    Ok(Json(info(key, &policy, state.clock.now())))
}
