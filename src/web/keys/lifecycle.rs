//! Revoking and rolling a key from the keys screen. Each action is a link to
//! a confirmation page (what works without scripts; with scripts the row opens
//! a dialog with the same form), and a POST. Rolling ends in the same one-time
//! dialog as creating: the successor's token is shown once.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::KeyScope;
use super::pages::{ConfirmRevoke, ConfirmRoll, overlap_choices, render_confirm_revoke, render_confirm_roll};
use super::screen::show_token_once;
use crate::auth::pending_token::NewKeyNotice;
use crate::auth::session::{self, Flash};
use crate::db::api_keys::{self, ApiKey, Revoked};
use crate::domain::api_key::{Overlap, PublicId};
use crate::domain::ids::UserId;
use crate::error::AppError;
use crate::services::api_keys::Actor;
use crate::services::key_roll::RollRefusal;
use crate::state::AppState;
use crate::web::page::{PageContext, see_other};

/// The owner's key named by the path, or 404.
async fn owned_key(scope: &KeyScope, state: &AppState, public_id: &str) -> Result<ApiKey, AppError> {
    let public_id = PublicId::parse(public_id).ok_or(AppError::NotFound)?;
    let owner = scope.owner();
    let key = state.db.run(move |conn| api_keys::find_for_owner(conn, owner, &public_id)).await?;
    key.ok_or(AppError::NotFound)
}

pub async fn confirm_revoke(
    req: &HttpRequest,
    scope: &KeyScope,
    state: &AppState,
    public_id: &str,
) -> Result<HttpResponse, AppError> {
    let key = owned_key(scope, state, public_id).await?;
    let screen = ConfirmRevoke {
        list_url: scope.base_url(),
        hint: key.public_id.hint(scope.kind()),
        revoke_url: format!("{}/{}/revoke", scope.base_url(), key.public_id),
        description: key.description,
    };
    render_confirm_revoke(scope, PageContext::load(req).await?, screen)
}

pub async fn revoke(
    scope: &KeyScope,
    actor: UserId,
    state: &AppState,
    session: &Session,
    public_id: &str,
) -> Result<HttpResponse, AppError> {
    let public_id = PublicId::parse(public_id).ok_or(AppError::NotFound)?;
    let actor = Actor { user_id: Some(actor), via_key: None };
    let (revoked, hint) =
        state.api_keys.revoke(scope.owner(), &public_id, actor).await?.ok_or(AppError::NotFound)?;
    let flash = match revoked {
        Revoked::Now(key) => Flash::success(format!(
            "The API key {hint} “{}” was revoked. It no longer works; it stays listed under Inactive for 90 days.",
            key.description
        )),
        Revoked::Already(key) => {
            Flash::success(format!("The API key {hint} “{}” was already revoked.", key.description))
        }
    };
    session::push_flash(session, flash);
    Ok(see_other(&scope.base_url()))
}

pub async fn confirm_roll(
    req: &HttpRequest,
    scope: &KeyScope,
    state: &AppState,
    public_id: &str,
) -> Result<HttpResponse, AppError> {
    let key = owned_key(scope, state, public_id).await?;
    let screen = ConfirmRoll {
        list_url: scope.base_url(),
        hint: key.public_id.hint(scope.kind()),
        roll_url: format!("{}/{}/roll", scope.base_url(), key.public_id),
        description: key.description,
        overlaps: overlap_choices(),
    };
    render_confirm_roll(scope, PageContext::load(req).await?, screen)
}

/// The Roll form: the overlap's code (`0h`, `1h`, `24h`, `7d`).
#[derive(Debug, Default, Deserialize)]
pub struct RollForm {
    #[serde(default)]
    pub overlap: String,
}

pub async fn roll(
    scope: &KeyScope,
    actor: UserId,
    state: &AppState,
    session: &Session,
    public_id: &str,
    form: RollForm,
) -> Result<HttpResponse, AppError> {
    // The radios send one of the codes; anything else is an edited form
    // (said only about a key the person has: another's is not found).
    let Ok(overlap) = Overlap::parse(&form.overlap) else {
        let key = owned_key(scope, state, public_id).await?;
        return Err(AppError::BadRequest(format!(
            "Choose an overlap of 0h (none), 1h, 24h or 7d to roll {}.",
            key.public_id.hint(scope.kind())
        )));
    };
    let public_id = PublicId::parse(public_id).ok_or(AppError::NotFound)?;
    let by = Actor { user_id: Some(actor), via_key: None };
    match state.api_keys.roll(scope.owner(), &public_id, overlap, by).await? {
        Ok(rolled) => {
            let notice = NewKeyNotice {
                token: rolled.token.to_token_string(),
                hint: rolled.hint,
                description: rolled.key.description,
            };
            show_token_once(scope, actor, state, session, notice).await
        }
        Err(RollRefusal::NotFound) => Err(AppError::NotFound),
        Err(refusal) => {
            session::push_flash(session, Flash::error(refusal.to_string()));
            Ok(see_other(&scope.base_url()))
        }
    }
}
