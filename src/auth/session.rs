//! What this application keeps in the server-side session, and the only functions
//! that read or write those keys.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::domain::pending_login::PendingLogins;

const USER_ID: &str = "user_id";
const CSRF_TOKEN: &str = "csrf";
const FLASH: &str = "flash";
const PENDING_LOGINS: &str = "pending_logins";

/// Keys the store mirrors into their own columns.
pub(crate) const USER_ID_KEY: &str = USER_ID;

pub fn user_id(session: &Session) -> Option<i32> {
    session.get::<i32>(USER_ID).ok().flatten()
}

/// Starts a signed-in session under a new id (the old id stops working: no
/// fixation) with a fresh CSRF token.
pub fn sign_in(session: &Session, user_id: i32) -> Result<(), actix_session::SessionInsertError> {
    session.renew();
    session.remove(CSRF_TOKEN);
    session.insert(USER_ID, user_id)
}

/// Ends the session: its row is deleted and the cookie removed.
pub fn sign_out(session: &Session) {
    session.purge();
}

/// The session's CSRF token, made on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Some(token) = existing_csrf_token(session) {
        return token;
    }
    let token = crate::auth::csrf::new_token();
    // Inserting a String cannot fail to serialize.
    let _ = session.insert(CSRF_TOKEN, &token);
    token
}

pub fn existing_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF_TOKEN).ok().flatten()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Info,
    Error,
}

/// A message shown once on the next page (after a redirect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Flash { kind: FlashKind::Success, message: message.into() }
    }

    pub fn info(message: impl Into<String>) -> Self {
        Flash { kind: FlashKind::Info, message: message.into() }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Flash { kind: FlashKind::Error, message: message.into() }
    }

    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Info => "flash flash-info",
            FlashKind::Error => "flash flash-error",
        }
    }
}

pub fn push_flash(session: &Session, flash: Flash) {
    let mut all: Vec<Flash> = session.get(FLASH).ok().flatten().unwrap_or_default();
    all.push(flash);
    let _ = session.insert(FLASH, all);
}

/// The pending messages, removed from the session so they show once.
pub fn take_flashes(session: &Session) -> Vec<Flash> {
    match session.remove_as::<Vec<Flash>>(FLASH) {
        Some(Ok(flashes)) => flashes,
        _ => Vec::new(),
    }
}

/// Sign-ins sent to a platform that have not come back yet.
pub fn pending_logins(session: &Session) -> PendingLogins {
    session.get(PENDING_LOGINS).ok().flatten().unwrap_or_default()
}

pub fn save_pending_logins(session: &Session, pending: &PendingLogins) {
    if pending.is_empty() {
        session.remove(PENDING_LOGINS);
    } else {
        let _ = session.insert(PENDING_LOGINS, pending);
    }
}

const NEW_API_KEY: &str = "new_api_key";

/// A key just created, waiting for the one page that shows its token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewKeyNotice {
    /// The list page that may show it (a key made for one owner never shows on another's page).
    pub list_url: String,
    pub token: String,
    pub hint: String,
    pub description: String,
}

pub fn put_new_key(session: &Session, notice: &NewKeyNotice) {
    let _ = session.insert(NEW_API_KEY, notice);
}

/// Takes the new key out of the session if it belongs to `list_url`: it is shown
/// once, and a reload, the back button or another tab finds nothing.
pub fn take_new_key(session: &Session, list_url: &str) -> Option<NewKeyNotice> {
    let notice: NewKeyNotice = session.get(NEW_API_KEY).ok().flatten()?;
    if notice.list_url != list_url {
        return None;
    }
    session.remove(NEW_API_KEY);
    Some(notice)
}
