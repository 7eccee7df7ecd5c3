//! *User settings > Profile*: the display name, and mail about API keys: the
//! address it goes to (or why there is none) and the switch to turn it off.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::platforms::label_of;
use crate::auth::session::{self, Flash};
use crate::db::mail_recipients::{self, MailAddress};
use crate::db::users::User;
use crate::domain::display_name::DisplayName;
use crate::domain::ids::UserId;
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
    mail: MailPanel,
}

/// The mail part of the page, in words.
struct MailPanel {
    /// Mail is on (the checkbox).
    on: bool,
    /// "ada@example.com", from "GitHub": where mail goes.
    address: Option<(String, String)>,
    /// Why no mail can be sent, when none can.
    no_address: Option<String>,
}

impl MailPanel {
    fn new(found: MailAddress, state: &AppState) -> MailPanel {
        let no_address = match (&found.verified, &found.unverified) {
            (Some(_), _) => None,
            (None, Some(unverified)) => Some(format!(
                "{} gave the address {}, but not as a verified one, so no mail is sent to it. Verify it \
                 there (or make a verified address your primary one), then sign in again.",
                label_of(&unverified.platform, &state.platforms),
                unverified.address
            )),
            (None, None) => Some(
                "None of your sign-in platforms gave a verified e-mail address, so no mail can be sent \
                 to you. Add or verify one there, then sign in again."
                    .to_string(),
            ),
        };
        MailPanel {
            on: !found.opted_out,
            address: found.verified.map(|v| (v.address, label_of(&v.platform, &state.platforms))),
            no_address,
        }
    }
}

async fn mail_panel(state: &AppState, user_id: UserId) -> Result<MailPanel, AppError> {
    let found = state.db.run(move |conn| mail_recipients::address_of(conn, user_id)).await?;
    Ok(MailPanel::new(found, state))
}

pub async fn settings_home() -> HttpResponse {
    see_other("/settings/profile")
}

pub async fn show(
    CurrentUser(user): CurrentUser,
    state: Data<AppState>,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let mail = mail_panel(&state, user.id).await?;
    render(
        StatusCode::OK,
        &ProfilePage { page, section: "profile", name: user.display_name, name_error: None, mail },
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
                mail: mail_panel(&state, user.id).await?,
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let now = state.clock.now_naive();
    state.db.run(move |conn| User::rename(conn, user.id, name.as_str(), now)).await?;
    session::push_flash(&session, Flash::success("Your profile has been saved."));
    Ok(see_other("/settings/profile"))
}

/// The mail form: a checkbox, sent as `mail=on` when ticked and absent when not.
#[derive(Deserialize)]
pub struct MailForm {
    #[serde(default)]
    mail: Option<String>,
}

/// `POST /settings/profile/mail`: turns mail about API keys on or off.
pub async fn update_mail(
    CurrentUser(user): CurrentUser,
    state: Data<AppState>,
    session: Session,
    form: Form<MailForm>,
) -> Result<HttpResponse, AppError> {
    let on = form.mail.as_deref() == Some("on");
    let now = state.clock.now_naive();
    state.db.run(move |conn| User::set_mail_opt_out(conn, user.id, !on, now)).await?;
    let said = if on {
        "You will get e-mail about your API keys."
    } else {
        "You will no longer get e-mail about your API keys."
    };
    session::push_flash(&session, Flash::success(said));
    Ok(see_other("/settings/profile"))
}
