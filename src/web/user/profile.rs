//! *User settings > Profile*: the display name and the ways this account signs in.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::current_user::CurrentUser;
use crate::auth::session::{self, Flash};
use crate::db::identities::Identity;
use crate::db::users::User;
use crate::domain::display_name::DisplayName;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::page::{PageContext, render, see_other};

pub struct IdentityRow {
    pub platform: String,
    pub login: String,
    pub linked_on: String,
}

#[derive(Template)]
#[template(path = "user/profile.html")]
struct ProfilePage {
    page: PageContext,
    name: String,
    name_error: Option<String>,
    identities: Vec<IdentityRow>,
}

fn platform_label(platform: &str) -> String {
    match platform {
        "dev" => "Development sign-in".into(),
        "github" => "GitHub".into(),
        "gitlab" => "GitLab".into(),
        "bitbucket" => "Bitbucket".into(),
        "codeberg" => "Codeberg".into(),
        "oidc" => "OpenID Connect".into(),
        other => other.to_string(),
    }
}

async fn identity_rows(state: &AppState, user_id: i32) -> Result<Vec<IdentityRow>, AppError> {
    let identities = state
        .db
        .run(move |conn| Identity::for_user(conn, user_id))
        .await?;
    Ok(identities
        .into_iter()
        .map(|i| IdentityRow {
            platform: platform_label(&i.platform),
            login: i.login,
            linked_on: i.linked_at.format("%-d %b %Y").to_string(),
        })
        .collect())
}

pub async fn settings_home() -> HttpResponse {
    see_other("/settings/profile")
}

pub async fn show(
    CurrentUser(user): CurrentUser,
    page: PageContext,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let identities = identity_rows(&state, user.id).await?;
    render(
        StatusCode::OK,
        &ProfilePage {
            page,
            name: user.display_name,
            name_error: None,
            identities,
        },
    )
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
}

pub async fn update(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    state: Data<AppState>,
    session: Session,
    form: Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let name = match DisplayName::parse(&form.display_name) {
        Ok(name) => name,
        Err(error) => {
            let identities = identity_rows(&state, user.id).await?;
            let template = ProfilePage {
                page: PageContext::load(&req).await?,
                name: form.display_name.clone(),
                name_error: Some(error.to_string()),
                identities,
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let now = state.clock.now_naive();
    state
        .db
        .run(move |conn| User::rename(conn, user.id, name.as_str(), now))
        .await?;
    session::push_flash(&session, Flash::success("Your profile has been saved."));
    Ok(see_other("/settings/profile"))
}
