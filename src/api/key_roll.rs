//! `POST …/keys/{id}/roll` (SPEC §5): a successor key with its token, once;
//! the old key works on for the overlap, then stops.

use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;
use actix_web::web::{Data, Json, Path};
use serde_json::Value;

use super::caller::{ApiCaller, InOrg, KeysWrite, OwnKeys};
use super::error::ApiError;
use super::json_body::JsonBody;
use super::keys::{KeyPath, reach_slugs};
use super::model::{CreatedKey, ErrorBody, RollRequest};
use super::views::key_info;
use crate::db::api_keys::{KeyListItem, Owner};
use crate::domain::api_key::{Overlap, PublicId};
use crate::services::api_keys::{Actor, ViaKey};
use crate::services::key_roll::RollRefusal;
use crate::state::AppState;

/// Rolls one of the organization's keys.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/keys/{id}/roll",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The key's public id")),
    request_body = RollRequest,
    responses(
        (status = 201, description = "The successor, with its token (in this response only): same description, scope and networks, a new valid-until (the old key's lifetime again, within the policy). The old key has `rolled_to` and works until the overlap ends. `Location` is the successor's URL", body = CreatedKey,
            headers(("Location" = String, description = "/api/v1/orgs/{org}/keys/{id}"))),
        (status = 403, description = "`forbidden`: a member's user key (key management needs the admin role); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such key or organization within this key's reach", body = ErrorBody),
        (status = 409, description = "`already_rolled`: the key was rolled before (roll its successor); `key_not_active`: it is revoked or expired", body = ErrorBody),
        (status = 422, description = "`overlap` is not one of `0h`, `1h`, `24h`, `7d`, or the body is not a JSON object", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn roll_org_key(
    at: InOrg<KeysWrite>,
    path: Path<KeyPath>,
    body: Json<JsonBody>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let slug = at.org.slug.clone();
    let location = move |id: &str| format!("/api/v1/orgs/{slug}/keys/{id}");
    roll(&at.caller, Owner::Organization(at.org.id), &path.into_inner(), body.into_inner(), &state, location)
        .await
}

/// Rolls one of the caller's user keys (a restricted key's successor reaches
/// the organizations the old one still reaches).
#[utoipa::path(
    post,
    path = "/api/v1/user/keys/{id}/roll",
    tag = "keys",
    params(("id" = String, Path, description = "The key's public id")),
    request_body = RollRequest,
    responses(
        (status = 201, description = "The successor, with its token (in this response only); the old key has `rolled_to` and works until the overlap ends. `Location` is the successor's URL", body = CreatedKey,
            headers(("Location" = String, description = "/api/v1/user/keys/{id}"))),
        (status = 403, description = "`forbidden`: an organization key (these endpoints need a user key); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "The caller has no such key", body = ErrorBody),
        (status = 409, description = "`already_rolled`: the key was rolled before (roll its successor); `key_not_active`: it is revoked or expired", body = ErrorBody),
        (status = 422, description = "`overlap` is not one of `0h`, `1h`, `24h`, `7d`, or the body is not a JSON object", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn roll_user_key(
    owner: OwnKeys<KeysWrite>,
    path: Path<KeyPath>,
    body: Json<JsonBody>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let location = |id: &str| format!("/api/v1/user/keys/{id}");
    roll(&owner.caller, Owner::User(owner.user_id), &path.into_inner(), body.into_inner(), &state, location)
        .await
}

/// The body's overlap: absent or `null` is 24 hours, the keys screen's default.
fn overlap(body: JsonBody) -> Result<Overlap, ApiError> {
    let body = body.into_value()?;
    let Some(object) = body.as_object() else {
        return Err(ApiError::field("body", "Send a JSON object such as {\"overlap\": \"24h\"}."));
    };
    match object.get("overlap") {
        None | Some(Value::Null) => Ok(Overlap::default()),
        Some(Value::String(raw)) => {
            Overlap::parse(raw).map_err(|e| ApiError::field("overlap", e.to_string()))
        }
        Some(_) => Err(ApiError::field(
            "overlap",
            "Give the overlap as a string: \"0h\", \"1h\", \"24h\" or \"7d\".",
        )),
    }
}

async fn roll(
    caller: &ApiCaller,
    owner: Owner,
    path: &KeyPath,
    body: JsonBody,
    state: &AppState,
    location: impl Fn(&str) -> String,
) -> Result<HttpResponse, ApiError> {
    let id = PublicId::parse(&path.id).ok_or(ApiError::NotFound)?;
    let overlap = overlap(body)?;
    let hint = caller.hint();
    let via_key = ViaKey { hint: &hint, description: &caller.0.key.description };
    let actor = Actor { user_id: caller.0.user().map(|user| user.id), via_key: Some(via_key) };
    let rolled = state.api_keys.roll(owner, &id, overlap, actor).await?.map_err(|refusal| match refusal {
        RollRefusal::NotFound => ApiError::NotFound,
        RollRefusal::AlreadyRolled { .. } => ApiError::Conflict("already_rolled", refusal.to_string()),
        RollRefusal::NotActive { .. } => ApiError::Conflict("key_not_active", refusal.to_string()),
    })?;
    let key = rolled.key;
    let lookup = key.clone();
    let orgs = state.db.run(move |conn| reach_slugs(conn, owner, &[&lookup])).await?.pop().flatten();
    let created_by_name = caller.0.user().map(|user| user.display_name.clone());
    let token = rolled.token.to_token_string();
    let info = key_info(owner.kind(), KeyListItem { key, created_by_name }, orgs, state.clock.now());
    let url = location(&info.id);
    Ok(HttpResponse::Created().insert_header((LOCATION, url)).json(CreatedKey { key: info, token }))
}
