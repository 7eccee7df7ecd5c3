//! *Organization settings*: tabs for admins.

pub mod audit_log;
pub mod general;
pub mod members;

use actix_web::HttpResponse;
use actix_web::web::Path;

use crate::web::org_access::OrgAdmin;
use crate::web::page::see_other;

/// `GET /o/{slug}/settings` opens the General tab.
pub async fn index(_admin: OrgAdmin, slug: Path<String>) -> HttpResponse {
    see_other(&format!("/o/{}/settings/general", slug.into_inner()))
}
