//! What this application keeps in the server-side session, and the only functions
//! that read or write those keys.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::domain::ids::UserId;
use crate::domain::pending_login::PendingLogins;

const USER_ID: &str = "user_id";
const CSRF_TOKEN: &str = "csrf";
const FLASH: &str = "flash";
const PENDING_LOGINS: &str = "pending_logins";

/// Keys the store mirrors into their own columns.
pub(crate) const USER_ID_KEY: &str = USER_ID;

/// Whether the session holds `key`. Removing a key marks the session changed
/// (and so written back) even when the key was not there: check first, so that
/// merely reading a page writes nothing.
fn holds(session: &Session, key: &str) -> bool {
    session.contains_key(key)
}

pub fn user_id(session: &Session) -> Option<UserId> {
    session.get::<UserId>(USER_ID).ok().flatten()
}

/// Starts a signed-in session under a new id (the old id stops working: no
/// fixation) with a fresh CSRF token. A key token still waiting to be shown
/// belonged to whoever was signed in before: it is dropped.
pub fn sign_in(session: &Session, user_id: UserId) -> Result<(), actix_session::SessionInsertError> {
    session.renew();
    session.remove(CSRF_TOKEN);
    session.remove(NEW_API_KEY);
    session.insert(USER_ID, user_id)
}

/// Ends the session: its row is deleted and the cookie removed (and with it the
/// reference to any key token still waiting to be shown).
pub fn sign_out(session: &Session) {
    session.purge();
}

/// The session's CSRF token, made on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Some(token) = existing_csrf_token(session) {
        return token;
    }
    let token = crate::random::token_256();
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

    /// How assistive technology announces it: an error interrupts (`alert`),
    /// the others wait their turn (`status`).
    pub fn role(&self) -> &'static str {
        match self.kind {
            FlashKind::Error => "alert",
            FlashKind::Success | FlashKind::Info => "status",
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
    if !holds(session, FLASH) {
        return Vec::new();
    }
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
        if holds(session, PENDING_LOGINS) {
            session.remove(PENDING_LOGINS);
        }
    } else {
        let _ = session.insert(PENDING_LOGINS, pending);
    }
}

const NEW_API_KEY: &str = "new_api_key";

/// Which sealed token (`auth::pending_token`) waits for which list page. Not a
/// secret: the row it names is ciphertext, and the key is in a cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTokenRef {
    pub id: String,
    pub list_url: String,
}

/// Remembers the key just created for this session's next visit to its list.
/// One per list page: a second key made on the same page before it was shown
/// replaces the first (whose token is then lost, as the dialog would say).
pub fn put_pending_token(
    session: &Session,
    pending: PendingTokenRef,
) -> Result<(), actix_session::SessionInsertError> {
    let mut all = pending_tokens(session);
    all.retain(|p| p.list_url != pending.list_url);
    all.push(pending);
    // A person has a handful of key screens; never let the session grow.
    let excess = all.len().saturating_sub(MAX_PENDING_TOKENS);
    all.drain(..excess);
    session.insert(NEW_API_KEY, all)
}

const MAX_PENDING_TOKENS: usize = 8;

fn pending_tokens(session: &Session) -> Vec<PendingTokenRef> {
    session.get(NEW_API_KEY).ok().flatten().unwrap_or_default()
}

/// Takes the waiting token's reference out of the session if one belongs to
/// `list_url` (a key made for one owner never shows on another's page).
pub fn take_pending_token(session: &Session, list_url: &str) -> Option<PendingTokenRef> {
    let mut all = pending_tokens(session);
    let index = all.iter().position(|p| p.list_url == list_url)?;
    let pending = all.remove(index);
    if all.is_empty() {
        session.remove(NEW_API_KEY);
    } else if let Err(error) = session.insert(NEW_API_KEY, all) {
        tracing::error!(%error, "could not keep the other waiting key tokens");
    }
    Some(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_interrupts_and_other_flashes_wait_their_turn() {
        assert_eq!(Flash::error("no").role(), "alert");
        assert_eq!(Flash::success("yes").role(), "status");
        assert_eq!(Flash::info("fyi").role(), "status");
    }
}
