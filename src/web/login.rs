//! The sign-in page, development sign-in and sign-out.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::session;
use crate::db::identities::Identity;
use crate::domain::display_name::DisplayName;
use crate::domain::identity::PlatformProfile;
use crate::domain::return_to::ReturnTo;
use crate::domain::text;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::page::{PageContext, render, see_other};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: PageContext,
    platforms: Vec<PlatformButton>,
    return_to: String,
    name: String,
    name_error: Option<String>,
}

pub struct PlatformButton {
    pub slug: &'static str,
    pub label: String,
    pub href: String,
}

fn platform_buttons(state: &AppState, return_to: &ReturnTo) -> Vec<PlatformButton> {
    let query = serde_urlencoded::to_string([("return_to", return_to.as_str())]).unwrap_or_default();
    state
        .platforms
        .iter()
        .map(|p| PlatformButton {
            slug: p.id().slug(),
            label: p.label().to_string(),
            href: if return_to.is_home() {
                format!("/auth/{}/login", p.id().slug())
            } else {
                format!("/auth/{}/login?{query}", p.id().slug())
            },
        })
        .collect()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

pub async fn login_page(
    req: HttpRequest,
    state: Data<AppState>,
    query: Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let return_to = ReturnTo::parse_opt(query.return_to.as_deref());
    let page = PageContext::for_form(&req).await?;
    if page.user.is_some() {
        return Ok(see_other(return_to.as_str()));
    }
    let template = LoginPage {
        page,
        platforms: platform_buttons(&state, &return_to),
        return_to: return_to.as_str().to_string(),
        name: String::new(),
        name_error: None,
    };
    render(StatusCode::OK, &template)
}

#[derive(Deserialize)]
pub struct DevSignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    return_to: String,
}

/// Development sign-in: creates or reuses the user with the entered name.
pub async fn dev_sign_in(
    req: HttpRequest,
    state: Data<AppState>,
    session: Session,
    form: Form<DevSignInForm>,
) -> Result<HttpResponse, AppError> {
    if !state.dev_sign_in {
        return Err(AppError::NotFound);
    }
    let return_to = ReturnTo::parse(&form.return_to);
    let name = match DisplayName::parse(&form.name) {
        Ok(name) => name,
        Err(error) => {
            let template = LoginPage {
                page: PageContext::for_form(&req).await?,
                platforms: platform_buttons(&state, &return_to),
                return_to: return_to.as_str().to_string(),
                name: text::without_invisible(&form.name),
                name_error: Some(error.to_string()),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let profile = PlatformProfile::development(&name);
    let now = state.clock.now_naive();
    let user_id = state.db.run(move |conn| Identity::sign_in(conn, &profile, now)).await?;
    session::sign_in(&session, user_id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    tracing::info!(%user_id, "signed in with development sign-in");
    Ok(see_other(return_to.as_str()))
}

pub async fn sign_out(session: Session) -> HttpResponse {
    if let Some(user_id) = session::user_id(&session) {
        tracing::info!(%user_id, "signed out");
    }
    session::sign_out(&session);
    see_other("/")
}
