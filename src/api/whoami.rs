//! `GET /api/v1/whoami`: the key and whom it speaks for. Served from the cache
//! for a hot key: no database work.

use actix_web::web::Json;

use super::caller::ApiCaller;
use super::model::{ErrorBody, Whoami};
use super::views::{key_identity, org_access, user_info};
use crate::domain::access::KeyHolder;

/// Who the key belongs to and which organizations it reaches.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "identity",
    responses(
        (status = 200, description = "The key and its reach", body = Whoami),
        (status = 401, description = "Missing, malformed, unknown or expired key", body = ErrorBody),
        (status = 429, description = "Too many failed attempts from this address", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn whoami(caller: ApiCaller) -> Json<Whoami> {
    let caller = &caller.0;
    let organizations = caller.organizations();
    Json(Whoami {
        key: key_identity(&caller.key),
        user: caller.user().map(user_info),
        organization: match &caller.holder {
            KeyHolder::Organization(_) => organizations.first().map(org_access),
            KeyHolder::User { .. } => None,
        },
        organizations: organizations.iter().map(org_access).collect(),
    })
}
