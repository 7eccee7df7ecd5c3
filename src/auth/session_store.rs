//! An actix-session store kept in the application's database.
//!
//! The cookie carries a random 256-bit key; the table keeps only its SHA-256, so
//! a copy of the table cannot be turned back into cookies. Sessions end after an
//! idle timeout (`expires_at`, pushed out as the session is used) and an absolute
//! timeout counted from sign-in (`created_at`; signing in renews the session).

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

use crate::auth::session::USER_ID_KEY;
use crate::clock::Clock;
use crate::config::SessionLength;
use crate::db::Db;
use crate::db::sessions::{self, Liveness, NewSession};

type SessionState = HashMap<String, String>;

/// A busy session rewrites its expiry at most this often.
const EXTEND_AT_MOST_EVERY: Duration = Duration::seconds(60);

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
    max_age: Duration,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Arc<dyn Clock>, max_age: SessionLength) -> Self {
        DbSessionStore { db, clock, max_age: max_age.as_chrono() }
    }

    fn liveness(&self) -> Liveness {
        let now = self.clock.now_naive();
        Liveness { now, created_after: now - self.max_age }
    }

    fn expiry(&self, ttl: &CookieDuration) -> NaiveDateTime {
        self.clock.now_naive() + Duration::seconds(ttl.whole_seconds())
    }

    /// Deletes sessions that can no longer be used; run from a timer.
    pub async fn delete_dead(&self) -> anyhow::Result<usize> {
        let live = self.liveness();
        Ok(self.db.run(move |conn| sessions::delete_dead(conn, &live)).await?)
    }

    async fn insert_new(&self, state: SessionState, ttl: &CookieDuration) -> anyhow::Result<SessionKey> {
        let key = new_session_key();
        let row_id = row_id(&key);
        let user_id = user_id_of(&state);
        let json = serde_json::to_string(&state)?;
        let now = self.clock.now_naive();
        let expires_at = self.expiry(ttl);
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

fn user_id_of(state: &SessionState) -> Option<i32> {
    state.get(USER_ID_KEY).and_then(|v| serde_json::from_str(v).ok())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let id = row_id(session_key.as_ref());
        let live = self.liveness();
        let state = self
            .db
            .run(move |conn| sessions::find_live_state(conn, &id, &live))
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!("{e:#}")))?;
        state
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: SessionState, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        self.insert_new(state, ttl).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        mut state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let id = row_id(session_key.as_ref());
        let user_id = user_id_of(&state);
        let json = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let expires_at = self.expiry(ttl);
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
        self.insert_new(state, ttl).await.map_err(UpdateError::Other)
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &CookieDuration) -> anyhow::Result<()> {
        let id = row_id(session_key.as_ref());
        let expires_at = self.expiry(ttl);
        let now = self.clock.now_naive();
        self.db
            .run(move |conn| sessions::extend(conn, &id, expires_at, EXTEND_AT_MOST_EVERY, now))
            .await
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
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
