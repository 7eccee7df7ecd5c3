//! `GET /api/v1/whoami`: the key and whom it speaks for. Served from the cache
//! for a hot key: no database work.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use bytes::Bytes;

use super::caller::ApiCaller;
use super::model::Whoami;
use super::views::{key_identity, org_access, user_info};
use crate::domain::access::{Caller, KeyHolder};

/// Who the key belongs to and which organizations it reaches.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "identity",
    responses(
        (status = 200, description = "The key and its reach", body = Whoami),
    ),
    security(("api_key" = []))
)]
pub async fn whoami(caller: ApiCaller) -> HttpResponse {
    // Scripts call this endpoint all the time: its body is made once per cached
    // caller and reused until the cache replaces the caller.
    let body =
        caller.0.rendered(|caller| Bytes::from(serde_json::to_vec(&whoami_of(caller)).unwrap_or_default()));
    HttpResponse::Ok().content_type(ContentType::json()).body(body)
}

fn whoami_of(caller: &Caller) -> Whoami {
    let organizations = caller.organizations();
    Whoami {
        key: key_identity(&caller.key),
        user: caller.user().map(user_info),
        organization: match &caller.holder {
            KeyHolder::Organization(_) => organizations.first().map(org_access),
            KeyHolder::User { .. } => None,
        },
        organizations: organizations.iter().map(org_access).collect(),
    }
}
