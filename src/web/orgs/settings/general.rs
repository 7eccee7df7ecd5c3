//! *Organization settings > General*: the organization's name.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::{self, Flash};
use crate::db::organizations::Organization;
use crate::domain::api_key::validity::MAX_POLICY_DAYS;
use crate::domain::organization::OrgName;
use crate::domain::text;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::org_access::OrgAdmin;
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
    max_days: String,
    max_days_error: Option<String>,
}

fn policy_text(org: &Organization) -> String {
    org.max_key_lifetime_days.map(|d| d.to_string()).unwrap_or_default()
}

pub async fn show(OrgAdmin(admin): OrgAdmin, page: PageContext) -> Result<HttpResponse, AppError> {
    let name = admin.org.name.clone();
    let max_days = policy_text(&admin.org);
    ok(&GeneralPage {
        page,
        org: OrgView::of(&admin),
        tab: "general",
        name,
        name_error: None,
        max_days,
        max_days_error: None,
    })
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
                name: text::without_invisible(&form.name),
                name_error: Some(error.to_string()),
                max_days: policy_text(&admin.org),
                max_days_error: None,
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

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    max_days: String,
}

/// `POST /o/{slug}/settings/key-policy`: the optional maximum lifetime of new keys.
pub async fn set_key_policy(
    req: HttpRequest,
    OrgAdmin(admin): OrgAdmin,
    state: Data<AppState>,
    session: Session,
    form: Form<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let raw = form.max_days.trim();
    let parsed = if raw.is_empty() {
        Ok(None)
    } else {
        match raw.parse::<i32>() {
            Ok(days) if (1..=MAX_POLICY_DAYS).contains(&days) => Ok(Some(days)),
            _ => Err(format!(
                "Enter a number of days from 1 to {MAX_POLICY_DAYS}, or leave it empty for no limit."
            )),
        }
    };
    let max_days = match parsed {
        Ok(max_days) => max_days,
        Err(message) => {
            let template = GeneralPage {
                page: PageContext::load(&req).await?,
                org: OrgView::of(&admin),
                tab: "general",
                name: admin.org.name.clone(),
                name_error: None,
                max_days: form.max_days.clone(),
                max_days_error: Some(message),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let now = state.clock.now_naive();
    let (org, actor) = (admin.org.clone(), admin.user.id);
    state.db.run(move |conn| Organization::set_key_policy(conn, &org, max_days, actor, now)).await?;
    session::push_flash(&session, Flash::success("The API key policy was saved."));
    Ok(see_other(&format!("/o/{}/settings/general", admin.org.slug)))
}
