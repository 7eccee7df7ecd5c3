//! *User settings > Sign-in methods*: the platforms linked to this account, links
//! to add the others, and unlinking (never the last one).

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;

use crate::auth::platforms::label_of;
use crate::auth::session::{self, Flash};
use crate::db::identities::{Identity, UnlinkOutcome};
use crate::domain::dates;
use crate::domain::ids::IdentityId;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;
use crate::web::page::{PageContext, ok, see_other};
use crate::web::platform_login::SIGN_IN_METHODS;

pub struct IdentityRow {
    pub id: IdentityId,
    pub platform: String,
    pub login: String,
    pub email: String,
    /// The platform did not say the address is verified: shown, never written to.
    pub email_unverified: bool,
    pub linked_on: String,
    pub last_sign_in: String,
}

pub struct LinkButton {
    pub slug: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "user/sign_in_methods.html")]
struct SignInMethodsPage {
    page: PageContext,
    section: &'static str,
    identities: Vec<IdentityRow>,
    can_unlink: bool,
    link_buttons: Vec<LinkButton>,
}

pub async fn show(
    CurrentUser(user): CurrentUser,
    page: PageContext,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let identities = state.db.run(move |conn| Identity::for_user(conn, user.id)).await?;
    let linked: Vec<&str> = identities.iter().map(|i| i.platform.as_str()).collect();
    let link_buttons = state
        .platforms
        .iter()
        .filter(|p| !linked.contains(&p.id().slug()))
        .map(|p| LinkButton { slug: p.id().slug().to_string(), label: p.label().to_string() })
        .collect();
    let can_unlink = identities.len() > 1;
    let identities = identities
        .into_iter()
        .map(|i| IdentityRow {
            id: i.id,
            platform: label_of(&i.platform, &state.platforms),
            login: i.login,
            email_unverified: i.email.is_some() && !i.email_verified,
            email: i.email.unwrap_or_default(),
            linked_on: dates::day_of(i.linked_at),
            last_sign_in: dates::date_time_utc(i.last_sign_in_at),
        })
        .collect();
    ok(&SignInMethodsPage { page, section: "sign-in-methods", identities, can_unlink, link_buttons })
}

pub async fn unlink(
    CurrentUser(user): CurrentUser,
    identity_id: Path<IdentityId>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let identity_id = identity_id.into_inner();
    let outcome = state.db.run(move |conn| Identity::unlink(conn, user.id, identity_id)).await?;
    match outcome {
        UnlinkOutcome::Unlinked => {
            tracing::info!(user_id = %user.id, %identity_id, "identity unlinked");
            session::push_flash(&session, Flash::success("The sign-in method was removed."));
        }
        UnlinkOutcome::LastOne => session::push_flash(
            &session,
            Flash::error(
                "This is your only way to sign in, so it cannot be removed. Link another platform first.",
            ),
        ),
        // Another user's identity, or a guessed id: the same answer as a missing page.
        UnlinkOutcome::NotFound => return Err(AppError::NotFound),
    }
    Ok(see_other(SIGN_IN_METHODS))
}
