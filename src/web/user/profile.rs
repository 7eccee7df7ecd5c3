//! *User settings > Profile*: the display name.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::{self, Flash};
use crate::db::users::User;
use crate::domain::display_name::DisplayName;
use crate::domain::text;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;
use crate::web::page::{PageContext, render, see_other};

#[derive(Template)]
#[template(path = "user/profile.html")]
struct ProfilePage {
    page: PageContext,
    section: &'static str,
    name: String,
    name_error: Option<String>,
}

pub async fn settings_home() -> HttpResponse {
    see_other("/settings/profile")
}

pub async fn show(CurrentUser(user): CurrentUser, page: PageContext) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &ProfilePage { page, section: "profile", name: user.display_name, name_error: None },
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
            let template = ProfilePage {
                page: PageContext::load(&req).await?,
                section: "profile",
                name: text::without_invisible(&form.display_name),
                name_error: Some(error.to_string()),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let now = state.clock.now_naive();
    state.db.run(move |conn| User::rename(conn, user.id, name.as_str(), now)).await?;
    session::push_flash(&session, Flash::success("Your profile has been saved."));
    Ok(see_other("/settings/profile"))
}
