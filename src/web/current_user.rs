//! The signed-in user, loaded once per request.
//!
//! `CurrentUser` is the extractor for pages that need sign-in: a handler that
//! takes it cannot run for an anonymous visitor, who is sent to sign in and
//! brought back afterwards.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use crate::auth::session;
use crate::db::users::User;
use crate::error::AppError;
use crate::state::AppState;

/// Cached in the request's extensions so the layout and the handler share one query.
#[derive(Clone)]
struct Loaded(Option<User>);

/// The signed-in user, or `None`.
pub async fn load_user(req: &HttpRequest) -> Result<Option<User>, AppError> {
    if let Some(Loaded(user)) = req.extensions().get::<Loaded>() {
        return Ok(user.clone());
    }
    let session = req.get_session();
    let user = match session::user_id(&session) {
        None => None,
        Some(id) => {
            let state = req
                .app_data::<Data<AppState>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
            let found = state.db.run(move |conn| User::find(conn, id)).await?;
            if found.is_none() {
                // The user was deleted: the session means nothing any more.
                session::sign_out(&session);
            }
            found
        }
    };
    req.extensions_mut().insert(Loaded(user.clone()));
    Ok(user)
}

/// A signed-in user; anonymous requests are redirected to the sign-in page.
pub struct CurrentUser(pub User);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match load_user(&req).await? {
                Some(user) => Ok(CurrentUser(user)),
                None => Err(AppError::SignInRequired { return_to: return_path(&req) }),
            }
        })
    }
}

/// Where to come back to: the page asked for, when it was a page (GET).
fn return_path(req: &HttpRequest) -> String {
    if req.method() != actix_web::http::Method::GET {
        return "/".to_string();
    }
    match req.uri().path_and_query() {
        Some(pq) => pq.as_str().to_string(),
        None => "/".to_string(),
    }
}
