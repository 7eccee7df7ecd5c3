//! *Organization settings > API keys*. The keys themselves arrive with the API
//! keys feature; until then the tab explains what will live here.

use actix_web::HttpResponse;
use askama::Template;

use crate::auth::org_access::OrgAdmin;
use crate::error::AppError;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok};

#[derive(Template)]
#[template(path = "orgs/settings/api_keys.html")]
struct ApiKeysPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
}

pub async fn show(OrgAdmin(admin): OrgAdmin, page: PageContext) -> Result<HttpResponse, AppError> {
    ok(&ApiKeysPage { page, org: OrgView::of(&admin), tab: "api-keys" })
}
