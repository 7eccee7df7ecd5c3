//! An actix-session store kept in the application's database.
//!
//! The cookie carries a random 256-bit key; the table keeps only its SHA-256, so
//! a copy of the table cannot be turned back into cookies. Sessions end after an
//! idle timeout (`expires_at`, pushed out as the session is used) and an absolute
//! timeout counted from sign-in (`created_at`; signing in renews the session).
//!
//! Reading a page writes nothing but, at most once a minute, the idle expiry:
//! the row is rewritten only when the session's state changed. So pages keep
//! being served, and people stay signed in, while the database cannot take
//! writes (a full disk); a write that then fails is an error page, not a 500.

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

use crate::auth::session::USER_ID_KEY;
use crate::clock::Clock;
use crate::db::Db;
use crate::db::sessions::{self, Liveness, NewSession};
use crate::domain::ids::UserId;

type SessionState = HashMap<String, String>;

/// A busy session rewrites its expiry at most this often.
const EXTEND_AT_MOST_EVERY: Duration = Duration::seconds(60);

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
    max_age: Duration,
    idle: Duration,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Arc<dyn Clock>, max_age: Duration, idle: Duration) -> Self {
        DbSessionStore { db, clock, max_age, idle }
    }

    fn liveness(&self) -> Liveness {
        let now = self.clock.now_naive();
        Liveness { now, created_after: now - self.max_age }
    }

    /// The idle expiry of a session used now. (The cookie's own lifetime is the
    /// absolute limit: the idle timeout is kept here, so the cookie need not be
    /// sent again on every request.)
    fn expiry(&self) -> NaiveDateTime {
        self.clock.now_naive() + self.idle
    }

    /// Pushes a busy session's idle expiry out, once a minute at most. A failure
    /// is logged, and the request goes on: reading needs no write.
    async fn extend_if_due(&self, id: String, expires_at: NaiveDateTime) {
        let now = self.clock.now_naive();
        let new_expiry = self.expiry();
        if expires_at >= new_expiry - EXTEND_AT_MOST_EVERY {
            return;
        }
        let result =
            self.db.run(move |conn| sessions::extend(conn, &id, new_expiry, EXTEND_AT_MOST_EVERY, now)).await;
        if let Err(error) = result {
            tracing::warn!(error = %format!("{error:#}"), "could not extend a session's idle expiry");
        }
    }

    /// Deletes sessions that can no longer be used; run from a timer.
    pub async fn delete_dead(&self) -> anyhow::Result<usize> {
        let live = self.liveness();
        Ok(self.db.run(move |conn| sessions::delete_dead(conn, &live)).await?)
    }

    async fn insert_new(&self, state: SessionState) -> anyhow::Result<SessionKey> {
        let key = new_session_key();
        let row_id = row_id(&key);
        let user_id = user_id_of(&state);
        let json = serde_json::to_string(&state)?;
        let now = self.clock.now_naive();
        let expires_at = self.expiry();
        self.db
            .run(move |conn| {
                NewSession { id: &row_id, user_id, state: &json, created_at: now, expires_at }.insert(conn)
            })
            .await?;
        SessionKey::try_from(key).map_err(|e| anyhow::anyhow!("session key: {e}"))
    }
}

fn new_session_key() -> String {
    crate::random::token_256()
}

fn row_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn user_id_of(state: &SessionState) -> Option<UserId> {
    state.get(USER_ID_KEY).and_then(|v| serde_json::from_str(v).ok())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let id = row_id(session_key.as_ref());
        let live = self.liveness();
        let lookup = id.clone();
        let found = self
            .db
            .run(move |conn| sessions::find_live_state(conn, &lookup, &live))
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!("{e:#}")))?;
        let Some((json, expires_at)) = found else { return Ok(None) };
        let state = serde_json::from_str(&json).map_err(|e| LoadError::Deserialization(e.into()))?;
        self.extend_if_due(id, expires_at).await;
        Ok(Some(state))
    }

    async fn save(&self, state: SessionState, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        self.insert_new(state).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        mut state: SessionState,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let id = row_id(session_key.as_ref());
        let user_id = user_id_of(&state);
        let json = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let expires_at = self.expiry();
        let live = self.liveness();
        let updated = self
            .db
            .run(move |conn| sessions::update_state(conn, &id, user_id, &json, expires_at, &live))
            .await
            .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e:#}")))?;
        if updated == 1 {
            return Ok(session_key);
        }
        // The session ended while this request ran (signed out in another tab,
        // expired). Keep the anonymous part, never the sign-in: an ended session
        // is not revived.
        state.remove(USER_ID_KEY);
        self.insert_new(state).await.map_err(UpdateError::Other)
    }

    /// Not called (the cookie is sent again only when the state changes); the
    /// idle expiry is pushed out by `load` instead.
    async fn update_ttl(&self, session_key: &SessionKey, _ttl: &CookieDuration) -> anyhow::Result<()> {
        let id = row_id(session_key.as_ref());
        let live = self.liveness();
        let found = self.db.run(move |conn| sessions::find_live_state(conn, &id, &live)).await?;
        if let Some((_, expires_at)) = found {
            self.extend_if_due(row_id(session_key.as_ref()), expires_at).await;
        }
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let id = row_id(session_key.as_ref());
        self.db.run(move |conn| sessions::delete(conn, &id)).await.map_err(|e| anyhow::anyhow!("{e:#}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_keys_are_long_random_and_distinct() {
        let a = new_session_key();
        let b = new_session_key();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn the_row_id_is_a_digest_not_the_key() {
        let key = new_session_key();
        let id = row_id(&key);
        assert_eq!(id.len(), 64);
        assert!(!id.contains(&key));
    }
}
