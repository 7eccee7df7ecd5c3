//! API keys through the API: an organization's (for its admins' user keys and
//! its own organization keys) and the caller's own user keys.

use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;
use actix_web::web::{Data, Json, Path, Query};
use serde::Deserialize;
use utoipa::IntoParams;

use super::caller::{ApiCaller, OrgInReach, OrgKeyManager, UserKeyOwner};
use super::error::ApiError;
use super::json_body::JsonBody;
use super::model::{ApiKeyInfo, CreatedKey, ErrorBody, KeyList, NewKeyRequest};
use super::views::key_info;
use crate::db::api_keys::{self, COUNT_CAP, KeyListItem, Owner};
use crate::domain::access::OrgRef;
use crate::domain::api_key::Scope;
use crate::domain::api_key::{DescriptionError, KeyListFilter, PublicId};
use crate::services::api_keys::{Actor, NewKeyInput, ReachChoice, ViaKey};
use crate::state::AppState;

const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 100;

/// The key id of a path (`…/keys/{id}`).
#[derive(Debug, Deserialize)]
pub struct KeyPath {
    id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// From 1 (default 1).
    #[param(value_type = Option<u32>)]
    page: Option<String>,
    /// From 1 to 100 (default 50).
    #[param(value_type = Option<u32>)]
    per_page: Option<String>,
}

impl PageParams {
    fn parse(&self) -> Result<(u32, u32), ApiError> {
        let number = |name: &str, raw: &Option<String>, default: u32, max: u32| match raw.as_deref() {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::field(name, format!("Must be a whole number from 1 to {max}."))),
        };
        Ok((
            number("page", &self.page, 1, 1_000_000)?,
            number("per_page", &self.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
        ))
    }
}

/// The organization's keys, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/keys",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), PageParams),
    responses(
        (status = 200, description = "One page of keys (never a token or a hash)", body = KeyList),
        (status = 403, description = "A member's user key: key management needs the admin role", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach", body = ErrorBody),
        (status = 422, description = "Bad page or per_page", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list_org_keys(
    manager: OrgKeyManager,
    query: Query<PageParams>,
    state: Data<AppState>,
) -> Result<Json<KeyList>, ApiError> {
    list(Owner::Organization(manager.0.org.id), &query, &state).await
}

/// Creates an organization key. The token is in this response only.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/keys",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug")),
    request_body = NewKeyRequest,
    responses(
        (status = 201, description = "Created; `Location` is the key's URL", body = CreatedKey,
            headers(("Location" = String, description = "/api/v1/orgs/{org}/keys/{id}"))),
        (status = 403, description = "A member's user key: key management needs the admin role", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach", body = ErrorBody),
        (status = 422, description = "Invalid description or valid_until, a body that is not a JSON object, or a member given twice (see `fields`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create_org_key(
    manager: OrgKeyManager,
    body: Json<JsonBody>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let OrgKeyManager(OrgInReach { caller, org: OrgRef { id: org_id, slug, .. }, .. }) = manager;
    let location = |id: &str| format!("/api/v1/orgs/{slug}/keys/{id}");
    create(&caller, Owner::Organization(org_id), body.into_inner(), &state, location).await
}

/// One of the organization's keys.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/keys/{id}",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 200, description = "The key (never its token or hash)", body = ApiKeyInfo),
        (status = 403, description = "A member's user key: key management needs the admin role", body = ErrorBody),
        (status = 404, description = "No such key or organization within this key's reach", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_org_key(
    manager: OrgKeyManager,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    get(Owner::Organization(manager.0.org.id), path.into_inner().id, &state).await
}

/// Deletes one of the organization's keys: it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/keys/{id}",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "A member's user key: key management needs the admin role", body = ErrorBody),
        (status = 404, description = "No such key or organization within this key's reach", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn delete_org_key(
    manager: OrgKeyManager,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let OrgKeyManager(OrgInReach { caller, org, .. }) = manager;
    delete(&caller, Owner::Organization(org.id), &path.id, &state).await
}

/// The caller's own user keys, newest first (user keys only).
#[utoipa::path(
    get,
    path = "/api/v1/user/keys",
    tag = "keys",
    params(PageParams),
    responses(
        (status = 200, description = "One page of keys (never a token or a hash)", body = KeyList),
        (status = 403, description = "An organization key: these endpoints need a user key", body = ErrorBody),
        (status = 422, description = "Bad page or per_page", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list_user_keys(
    owner: UserKeyOwner,
    query: Query<PageParams>,
    state: Data<AppState>,
) -> Result<Json<KeyList>, ApiError> {
    list(Owner::User(owner.user_id), &query, &state).await
}

/// Creates a user key for the caller. The token is in this response only.
#[utoipa::path(
    post,
    path = "/api/v1/user/keys",
    tag = "keys",
    request_body = NewKeyRequest,
    responses(
        (status = 201, description = "Created; `Location` is the key's URL", body = CreatedKey,
            headers(("Location" = String, description = "/api/v1/user/keys/{id}"))),
        (status = 403, description = "An organization key: these endpoints need a user key", body = ErrorBody),
        (status = 422, description = "Invalid description or valid_until, a body that is not a JSON object, or a member given twice (see `fields`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create_user_key(
    owner: UserKeyOwner,
    body: Json<JsonBody>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let location = |id: &str| format!("/api/v1/user/keys/{id}");
    create(&owner.caller, Owner::User(owner.user_id), body.into_inner(), &state, location).await
}

/// One of the caller's user keys.
#[utoipa::path(
    get,
    path = "/api/v1/user/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 200, description = "The key (never its token or hash)", body = ApiKeyInfo),
        (status = 403, description = "An organization key: these endpoints need a user key", body = ErrorBody),
        (status = 404, description = "The caller has no such key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_user_key(
    owner: UserKeyOwner,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    get(Owner::User(owner.user_id), path.into_inner().id, &state).await
}

/// Deletes one of the caller's user keys: it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/user/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "An organization key: these endpoints need a user key", body = ErrorBody),
        (status = 404, description = "The caller has no such key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn delete_user_key(
    owner: UserKeyOwner,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete(&owner.caller, Owner::User(owner.user_id), &path.id, &state).await
}

async fn list(owner: Owner, query: &PageParams, state: &AppState) -> Result<Json<KeyList>, ApiError> {
    let (page, per_page) = query.parse()?;
    let offset = i64::from(page - 1) * i64::from(per_page);
    let now = state.clock.now();
    let key_page = state
        .db
        .run(move |conn| {
            api_keys::page_matching(conn, owner, &KeyListFilter::default(), now, i64::from(per_page), offset)
        })
        .await?;
    Ok(Json(KeyList {
        keys: key_page.items.into_iter().map(|item| key_info(owner.kind(), item, now)).collect(),
        page,
        per_page,
        total: key_page.total.min(COUNT_CAP),
        total_is_capped: key_page.total > COUNT_CAP,
        next_page: key_page.has_next.then_some(page + 1),
    }))
}

async fn get(owner: Owner, id: String, state: &AppState) -> Result<Json<ApiKeyInfo>, ApiError> {
    let id = PublicId::parse(&id).ok_or(ApiError::NotFound)?;
    let item = state
        .db
        .run(move |conn| api_keys::item_for_owner(conn, owner, &id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(key_info(owner.kind(), item, state.clock.now())))
}

/// The body as a `NewKeyRequest`. Read from a JSON value first so that only an
/// object is accepted (serde would also read `["CD"]` as a description), with
/// each member given once.
fn new_key_request(body: JsonBody) -> Result<NewKeyRequest, ApiError> {
    let body = body.into_value()?;
    let Some(object) = body.as_object() else {
        return Err(ApiError::field("body", "Send a JSON object such as {\"description\": \"CI\"}."));
    };
    if !object.contains_key("description") {
        return Err(ApiError::field("description", DescriptionError::Empty.to_string()));
    }
    serde_json::from_value(body).map_err(|e| ApiError::field("body", e.to_string()))
}

async fn create(
    caller: &ApiCaller,
    owner: Owner,
    body: JsonBody,
    state: &AppState,
    location: impl Fn(&str) -> String,
) -> Result<HttpResponse, ApiError> {
    let body = new_key_request(body)?;
    let hint = caller.hint();
    let via_key = ViaKey { hint: &hint, description: &caller.0.key.description };
    let actor = Actor { user_id: caller.0.user().map(|user| user.id), via_key: Some(via_key) };
    let full_access = Scope::full_access().to_string();
    let input = NewKeyInput {
        description: &body.description,
        valid_until: body.valid_until.as_deref().unwrap_or(""),
        scope: &full_access,
        reach: ReachChoice::AllOrgs,
        allowed_networks: "",
    };
    let created = state.api_keys.create(owner, actor, input).await?.map_err(|errors| {
        let mut fields = std::collections::BTreeMap::new();
        if let Some(e) = errors.description {
            fields.insert("description".to_string(), e.to_string());
        }
        if let Some(e) = errors.valid_until {
            fields.insert("valid_until".to_string(), e.to_string());
        }
        ApiError::Validation(fields)
    })?;
    let created_by_name = caller.0.user().map(|user| user.display_name.clone());
    let token = created.token.to_token_string();
    let info = key_info(owner.kind(), KeyListItem { key: created.key, created_by_name }, state.clock.now());
    let url = location(&info.id);
    Ok(HttpResponse::Created().insert_header((LOCATION, url)).json(CreatedKey { key: info, token }))
}

async fn delete(
    caller: &ApiCaller,
    owner: Owner,
    id: &str,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let hint = caller.hint();
    let via_key = ViaKey { hint: &hint, description: &caller.0.key.description };
    let actor = Actor { user_id: caller.0.user().map(|user| user.id), via_key: Some(via_key) };
    let id = PublicId::parse(id).ok_or(ApiError::NotFound)?;
    state.api_keys.delete(owner, &id, actor).await?.ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::NoContent().finish())
}
