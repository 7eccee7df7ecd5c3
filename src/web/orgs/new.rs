//! Creating an organization: `GET /orgs/new`, `POST /orgs`, and the address a
//! name gives (`GET /orgs/slug-preview`, for the form's live preview).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::auth::session::{self, Flash};
use crate::db::organizations::Organization;
use crate::domain::organization::{OrgName, OrgSlug};
use crate::domain::text;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;
use crate::web::page::{PageContext, ok, render, see_other};

#[derive(Template)]
#[template(path = "orgs/new.html")]
struct NewOrgPage {
    page: PageContext,
    name: String,
    slug: String,
    name_error: Option<String>,
    slug_error: Option<String>,
}

pub async fn form(_user: CurrentUser, page: PageContext) -> Result<HttpResponse, AppError> {
    ok(&NewOrgPage { page, name: String::new(), slug: String::new(), name_error: None, slug_error: None })
}

#[derive(Deserialize)]
pub struct NewOrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
}

pub async fn create(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    state: Data<AppState>,
    session: Session,
    form: Form<NewOrgForm>,
) -> Result<HttpResponse, AppError> {
    // An empty slug field means "derive it from the name".
    let slug =
        if form.slug.trim().is_empty() { OrgSlug::derive(&form.name) } else { OrgSlug::parse(&form.slug) };
    let name = OrgName::parse(&form.name);
    let (name, slug) = match (name, slug) {
        (Ok(name), Ok(slug)) => (name, slug),
        (name, slug) => {
            let template = NewOrgPage {
                page: PageContext::load(&req).await?,
                name: text::without_invisible(&form.name),
                slug: form.slug.clone(),
                name_error: name.err().map(|e| e.to_string()),
                slug_error: slug.err().map(|e| {
                    if form.slug.trim().is_empty() {
                        "Choose an address: the name does not give a usable one.".to_string()
                    } else {
                        e.to_string()
                    }
                }),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let now = state.clock.now_naive();
    let (slug_for_db, name_for_db) = (slug.clone(), name.clone());
    let created = state
        .db
        .run(move |conn| Organization::create(conn, &slug_for_db, &name_for_db, user.id, now))
        .await?;
    match created {
        Ok(org) => {
            tracing::info!(org_id = %org.id, user_id = %user.id, "organization created");
            session::push_flash(
                &session,
                Flash::success(format!("{} was created. You are its admin.", org.name)),
            );
            Ok(see_other(&format!("/o/{}", org.slug)))
        }
        Err(_taken) => {
            let template = NewOrgPage {
                page: PageContext::load(&req).await?,
                name: form.name.clone(),
                slug: slug.as_str().to_string(),
                name_error: None,
                slug_error: Some(format!("The address {} is taken. Choose another one.", slug.as_str())),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &template)
        }
    }
}

#[derive(Deserialize)]
pub struct SlugPreviewQuery {
    #[serde(default)]
    name: String,
}

/// The answer of `GET /orgs/slug-preview`: `{"slug": "orsted"}`, or `{"slug": null}`
/// when the name gives no usable address (the form then asks for one).
#[derive(Serialize)]
pub struct SlugPreview {
    pub slug: Option<String>,
}

/// `GET /orgs/slug-preview?name=…`: the address `create` gives this name when the
/// Address field is left empty. The form's script shows it as the name is typed,
/// asking here rather than copying the rule into JavaScript.
pub async fn slug_preview(_user: CurrentUser, query: Query<SlugPreviewQuery>) -> HttpResponse {
    let slug = OrgSlug::derive(&query.name).ok().map(|slug| slug.as_str().to_string());
    HttpResponse::Ok().json(SlugPreview { slug })
}
