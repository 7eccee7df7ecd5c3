//! API keys through the API: an organization's (for its admins' user keys and
//! its own organization keys) and the caller's own user keys.

use actix_web::http::header::{LINK, LOCATION};
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use diesel::QueryResult;
use serde::Deserialize;
use utoipa::IntoParams;

use super::caller::{ApiCaller, InOrg, KeysRead, KeysWrite, OwnKeys};
use super::error::ApiError;
use super::json_body::JsonBody;
use super::model::{ApiKeyInfo, CreatedKey, ErrorBody, KeyList, NewKeyRequest};
use super::new_key::{self, Choices};
use super::views::key_info;
use crate::db::DbConnection;
use crate::db::api_keys::{self, ApiKey, COUNT_CAP, KeyListItem, Owner};
use crate::db::organizations::Organization;
use crate::domain::api_key::{KeyCursor, KeyListFilter, PublicId, Scope, StatusFilter};
use crate::services::api_keys::{Actor, ViaKey};
use crate::state::AppState;

const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 100;

/// The key id of a path (`…/keys/{id}`).
#[derive(Debug, Deserialize)]
pub struct KeyPath {
    pub id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Where the page starts: the `next_cursor` of the page before (also in
    /// the `Link` header, `rel="next"`), as it came. Without it, the first page.
    cursor: Option<String>,
    /// Only `1` (the first page), for clients written before the cursor; other
    /// pages are reached with `cursor`.
    #[param(value_type = Option<u32>)]
    page: Option<String>,
    /// From 1 to 100 (default 50).
    #[param(value_type = Option<u32>)]
    per_page: Option<String>,
    /// Which keys: `active` (default: every key that works now, including
    /// `expires_soon` and `rolled` keys in their overlap), `inactive` (revoked
    /// or expired, kept 90 days), `all`, or one status: `expires_soon`,
    /// `expired`, `revoked`.
    #[param(example = "active")]
    status: Option<String>,
}

/// A list request, parsed: which keys, from where, how many.
struct ListRequest {
    filter: KeyListFilter,
    cursor: Option<KeyCursor>,
    per_page: u32,
}

impl PageParams {
    fn parse(&self) -> Result<ListRequest, ApiError> {
        let per_page = match self.per_page.as_deref() {
            None => DEFAULT_PER_PAGE,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                .ok_or_else(|| {
                    ApiError::field("per_page", format!("Must be a whole number from 1 to {MAX_PER_PAGE}."))
                })?,
        };
        // Page numbers went with OFFSET: page 1 is still the first page, any
        // other is refused with the way to reach it rather than answered wrongly.
        if self.page.as_deref().is_some_and(|page| page.trim() != "1") {
            return Err(ApiError::field(
                "page",
                "Pages are reached with `cursor`: pass the `next_cursor` of the page before.",
            ));
        }
        let filter = KeyListFilter { status: self.status()?, ..KeyListFilter::default() };
        let cursor = match self.cursor.as_deref() {
            None => None,
            Some(raw) => Some(KeyCursor::parse(raw, filter.sort).map_err(|_| {
                ApiError::field(
                    "cursor",
                    "Not a cursor of this list: pass `next_cursor` as it came, or leave `cursor` out for the first page.",
                )
            })?),
        };
        Ok(ListRequest { filter, cursor, per_page })
    }

    fn status(&self) -> Result<StatusFilter, ApiError> {
        match self.status.as_deref() {
            None => Ok(StatusFilter::default()),
            Some(raw) => StatusFilter::parse_strict(raw).ok_or_else(|| {
                let codes: Vec<&str> = StatusFilter::ALL.iter().map(|s| s.code()).collect();
                ApiError::field("status", format!("Must be one of {}.", codes.join(", ")))
            }),
        }
    }
}

/// The organization's keys, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/keys",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), PageParams),
    responses(
        (status = 200, description = "One page of keys (never a token or a hash); `Link` names the next page while there is one", body = KeyList,
            headers(("Link" = String, description = "`<…?cursor=…&per_page=…>; rel=\"next\"`, absent on the last page"))),
        (status = 403, description = "`forbidden`: a member's user key (key management needs the admin role); `insufficient_scope`: the key lacks `keys:read` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach", body = ErrorBody),
        (status = 422, description = "Bad cursor (not one this list gave), per_page or status, or a page other than 1", body = ErrorBody),
    ),
    security(("api_key" = ["keys:read"]))
)]
pub async fn list_org_keys(
    req: HttpRequest,
    at: InOrg<KeysRead>,
    query: Query<PageParams>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    list(&req, Owner::Organization(at.org.id), &query, &state).await
}

/// Creates an organization key. The token is in this response only. Without `scope`
/// the key may run builds (`repos:read builds:write params:read`).
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/keys",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug")),
    request_body = NewKeyRequest,
    responses(
        (status = 201, description = "Created; `Location` is the key's URL", body = CreatedKey,
            headers(("Location" = String, description = "/api/v1/orgs/{org}/keys/{id}"))),
        (status = 403, description = "`forbidden`: a member's user key (key management needs the admin role); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such organization within this key's reach", body = ErrorBody),
        (status = 422, description = "Invalid description, valid_until, scope (or more than the calling key may do itself) or allowed_networks, `orgs` given for an organization key, a body that is not a JSON object, or a member given twice (see `fields`)", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn create_org_key(
    at: InOrg<KeysWrite>,
    body: Json<JsonBody>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let slug = &at.org.slug;
    let location = |id: &str| format!("/api/v1/orgs/{slug}/keys/{id}");
    let new = New { caller: &at.caller, owner: Owner::Organization(at.org.id), bound: at.scope };
    create(new, body.into_inner(), &state, location).await
}

/// One of the organization's keys.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/keys/{id}",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 200, description = "The key (never its token or hash)", body = ApiKeyInfo),
        (status = 403, description = "`forbidden`: a member's user key (key management needs the admin role); `insufficient_scope`: the key lacks `keys:read` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such key or organization within this key's reach", body = ErrorBody),
    ),
    security(("api_key" = ["keys:read"]))
)]
pub async fn get_org_key(
    at: InOrg<KeysRead>,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    get(Owner::Organization(at.org.id), path.into_inner().id, &state).await
}

/// Revokes one of the organization's keys: it stops working at once, on every
/// instance, and stays listed (`inactive`, status `revoked`) for 90 days.
/// Revoking a revoked key again changes nothing and answers 204.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/keys/{id}",
    tag = "keys",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "`forbidden`: a member's user key (key management needs the admin role); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "No such key or organization within this key's reach", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn delete_org_key(
    at: InOrg<KeysWrite>,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete(&at.caller, Owner::Organization(at.org.id), &path.id, &state).await
}

/// The caller's own user keys, newest first (user keys only).
#[utoipa::path(
    get,
    path = "/api/v1/user/keys",
    tag = "keys",
    params(PageParams),
    responses(
        (status = 200, description = "One page of keys (never a token or a hash); `Link` names the next page while there is one", body = KeyList,
            headers(("Link" = String, description = "`<…?cursor=…&per_page=…>; rel=\"next\"`, absent on the last page"))),
        (status = 403, description = "`forbidden`: an organization key (these endpoints need a user key); `insufficient_scope`: the key lacks `keys:read` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 422, description = "Bad cursor (not one this list gave), per_page or status, or a page other than 1", body = ErrorBody),
    ),
    security(("api_key" = ["keys:read"]))
)]
pub async fn list_user_keys(
    req: HttpRequest,
    owner: OwnKeys<KeysRead>,
    query: Query<PageParams>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    list(&req, Owner::User(owner.user_id), &query, &state).await
}

/// Creates a user key for the caller. The token is in this response only. Without
/// `scope` the key may run builds; without `orgs` it reaches all the caller's organizations.
#[utoipa::path(
    post,
    path = "/api/v1/user/keys",
    tag = "keys",
    request_body = NewKeyRequest,
    responses(
        (status = 201, description = "Created; `Location` is the key's URL", body = CreatedKey,
            headers(("Location" = String, description = "/api/v1/user/keys/{id}"))),
        (status = 403, description = "`forbidden`: an organization key (these endpoints need a user key); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 422, description = "Invalid description, valid_until, scope (or more than the calling key may do itself), orgs (not all the user's) or allowed_networks, a body that is not a JSON object, or a member given twice (see `fields`)", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn create_user_key(
    owner: OwnKeys<KeysWrite>,
    body: Json<JsonBody>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let location = |id: &str| format!("/api/v1/user/keys/{id}");
    let new =
        New { caller: &owner.caller, owner: Owner::User(owner.user_id), bound: owner.caller.0.key.scope };
    create(new, body.into_inner(), &state, location).await
}

/// One of the caller's user keys.
#[utoipa::path(
    get,
    path = "/api/v1/user/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 200, description = "The key (never its token or hash)", body = ApiKeyInfo),
        (status = 403, description = "`forbidden`: an organization key (these endpoints need a user key); `insufficient_scope`: the key lacks `keys:read` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "The caller has no such key", body = ErrorBody),
    ),
    security(("api_key" = ["keys:read"]))
)]
pub async fn get_user_key(
    owner: OwnKeys<KeysRead>,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    get(Owner::User(owner.user_id), path.into_inner().id, &state).await
}

/// Revokes one of the caller's user keys: it stops working at once, on every
/// instance, and stays listed (`inactive`, status `revoked`) for 90 days.
#[utoipa::path(
    delete,
    path = "/api/v1/user/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "The key's public id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "`forbidden`: an organization key (these endpoints need a user key); `insufficient_scope`: the key lacks `keys:write` (`WWW-Authenticate` names it); `ip_not_allowed`: used outside its allowed networks", body = ErrorBody),
        (status = 404, description = "The caller has no such key", body = ErrorBody),
    ),
    security(("api_key" = ["keys:write"]))
)]
pub async fn delete_user_key(
    owner: OwnKeys<KeysWrite>,
    path: Path<KeyPath>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete(&owner.caller, Owner::User(owner.user_id), &path.id, &state).await
}

async fn list(
    req: &HttpRequest,
    owner: Owner,
    query: &PageParams,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let ListRequest { filter, cursor, per_page } = query.parse()?;
    let now = state.clock.now();
    let status = filter.status;
    let (key_page, reaches) = state
        .db
        .run(move |conn| {
            let key_page = api_keys::page_matching(conn, owner, &filter, now, i64::from(per_page), cursor)?;
            let keys: Vec<&ApiKey> = key_page.items.iter().map(|item| &item.key).collect();
            let reaches = reach_slugs(conn, owner, &keys)?;
            Ok((key_page, reaches))
        })
        .await?;
    let next_cursor = key_page.next_cursor().map(KeyCursor::encode);
    let list = KeyList {
        per_page,
        total: key_page.total.min(COUNT_CAP),
        total_is_capped: key_page.total > COUNT_CAP,
        next_cursor: next_cursor.clone(),
        keys: key_page
            .items
            .into_iter()
            .zip(reaches)
            .map(|(item, orgs)| key_info(owner.kind(), item, orgs, now))
            .collect(),
    };
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = next_cursor {
        response.insert_header((LINK, next_link(state, req.path(), &cursor, per_page, status)?));
    }
    Ok(response.json(list))
}

/// `<https://…/keys?cursor=…&per_page=…>; rel="next"`, as GitHub writes it:
/// the next page's whole URL, with the same page size and status.
fn next_link(
    state: &AppState,
    path: &str,
    cursor: &str,
    per_page: u32,
    status: StatusFilter,
) -> Result<String, ApiError> {
    let mut url = state.public_url.join(path).map_err(|e| ApiError::Internal(e.into()))?;
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("cursor", cursor).append_pair("per_page", &per_page.to_string());
        if status != StatusFilter::default() {
            pairs.append_pair("status", status.code());
        }
    }
    Ok(format!("<{url}>; rel=\"next\""))
}

/// For each key, the slugs of the organizations a restricted user key reaches
/// (sorted), or `None` when it reaches all of its user's (or is an
/// organization's). Only restricted keys cost a query, plus one for the user's
/// organizations.
pub(super) fn reach_slugs(
    conn: &mut DbConnection,
    owner: Owner,
    keys: &[&ApiKey],
) -> QueryResult<Vec<Option<Vec<String>>>> {
    let Owner::User(user_id) = owner else { return Ok(vec![None; keys.len()]) };
    if keys.iter().all(|key| key.reaches_all_orgs) {
        return Ok(vec![None; keys.len()]);
    }
    let own = Organization::for_user(conn, user_id)?;
    let mut all = Vec::with_capacity(keys.len());
    for key in keys {
        if key.reaches_all_orgs {
            all.push(None);
            continue;
        }
        let ids = api_keys::reach_of(conn, key.id)?;
        let mut slugs: Vec<String> =
            own.iter().filter(|(org, _)| ids.contains(&org.id)).map(|(org, _)| org.slug.clone()).collect();
        slugs.sort();
        all.push(Some(slugs));
    }
    Ok(all)
}

async fn get(owner: Owner, id: String, state: &AppState) -> Result<Json<ApiKeyInfo>, ApiError> {
    let id = PublicId::parse(&id).ok_or(ApiError::NotFound)?;
    let found = state
        .db
        .run(move |conn| {
            let Some(item) = api_keys::item_for_owner(conn, owner, &id)? else { return Ok(None) };
            let orgs = reach_slugs(conn, owner, &[&item.key])?.pop().flatten();
            Ok(Some((item, orgs)))
        })
        .await?;
    let (item, orgs) = found.ok_or(ApiError::NotFound)?;
    Ok(Json(key_info(owner.kind(), item, orgs, state.clock.now())))
}

/// Who creates a key for whom, and the most the new key may be given.
struct New<'a> {
    caller: &'a ApiCaller,
    owner: Owner,
    /// What the creating key may do where the new key goes.
    bound: Scope,
}

async fn create(
    new: New<'_>,
    body: JsonBody,
    state: &AppState,
    location: impl Fn(&str) -> String,
) -> Result<HttpResponse, ApiError> {
    let New { caller, owner, bound } = new;
    let request: NewKeyRequest = new_key::read(body)?;
    let choices = Choices::of(&request, &bound)?;
    let hint = caller.hint();
    let via_key = ViaKey { hint: &hint, description: &caller.0.key.description };
    let actor = Actor { user_id: caller.0.user().map(|user| user.id), via_key: Some(via_key) };
    let created =
        state.api_keys.create(owner, actor, choices.input(&request)).await?.map_err(new_key::field_errors)?;
    let created_by_name = caller.0.user().map(|user| user.display_name.clone());
    let token = created.token.to_token_string();
    let item = KeyListItem { key: created.key, created_by_name };
    let info = key_info(owner.kind(), item, choices.orgs(), state.clock.now());
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
    state.api_keys.revoke(owner, &id, actor).await?.ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::NoContent().finish())
}
