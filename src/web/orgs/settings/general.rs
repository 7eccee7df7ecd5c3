//! *Organization settings > General*: the organization's name.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::org_access::OrgAdmin;
use crate::auth::session::{self, Flash};
use crate::db::organizations::Organization;
use crate::domain::organization::OrgName;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok, render, see_other};

#[derive(Template)]
#[template(path = "orgs/settings/general.html")]
struct GeneralPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    name: String,
    name_error: Option<String>,
}

pub async fn show(OrgAdmin(admin): OrgAdmin, page: PageContext) -> Result<HttpResponse, AppError> {
    let name = admin.org.name.clone();
    ok(&GeneralPage { page, org: OrgView::of(&admin), tab: "general", name, name_error: None })
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(
    req: HttpRequest,
    OrgAdmin(admin): OrgAdmin,
    state: Data<AppState>,
    session: Session,
    form: Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    let name = match OrgName::parse(&form.name) {
        Ok(name) => name,
        Err(error) => {
            let template = GeneralPage {
                page: PageContext::load(&req).await?,
                org: OrgView::of(&admin),
                tab: "general",
                name: form.name.clone(),
                name_error: Some(error.to_string()),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let now = state.clock.now_naive();
    let (org, actor) = (admin.org.clone(), admin.user.id);
    state.db.run(move |conn| Organization::rename(conn, &org, &name, actor, now)).await?;
    session::push_flash(&session, Flash::success("The organization's settings were saved."));
    Ok(see_other(&format!("/o/{}/settings/general", admin.org.slug)))
}
