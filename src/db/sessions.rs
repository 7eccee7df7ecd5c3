//! The `sessions` table behind the session cookie. Rows are keyed by the SHA-256
//! of the cookie's random key, never by the key itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::sessions;
use crate::domain::ids::UserId;

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: Option<UserId>,
    pub state: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl NewSession<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(sessions::table).values(self).execute(conn)
    }
}

/// A session is live when it is neither idle past `expires_at` nor older than the
/// absolute limit (`created_after`).
pub struct Liveness {
    pub now: NaiveDateTime,
    pub created_after: NaiveDateTime,
}

/// The state of a live session, and when it ends if left idle.
pub fn find_live_state(
    conn: &mut DbConnection,
    id: &str,
    live: &Liveness,
) -> QueryResult<Option<(String, NaiveDateTime)>> {
    sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(live.now))
        .filter(sessions::created_at.gt(live.created_after))
        .select((sessions::state, sessions::expires_at))
        .first(conn)
        .optional()
}

/// Replaces the state of a live session; 0 when it has ended meanwhile.
pub fn update_state(
    conn: &mut DbConnection,
    id: &str,
    user_id: Option<UserId>,
    state: &str,
    expires_at: NaiveDateTime,
    live: &Liveness,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::expires_at.gt(live.now))
            .filter(sessions::created_at.gt(live.created_after)),
    )
    .set((sessions::user_id.eq(user_id), sessions::state.eq(state), sessions::expires_at.eq(expires_at)))
    .execute(conn)
}

/// Pushes the idle expiry out to `expires_at`, but only when it would move by more
/// than `unless_within`: a busy session writes at most once per that interval.
pub fn extend(
    conn: &mut DbConnection,
    id: &str,
    expires_at: NaiveDateTime,
    unless_within: chrono::Duration,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::expires_at.lt(expires_at - unless_within)),
    )
    .set(sessions::expires_at.eq(expires_at))
    .execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::id.eq(id))).execute(conn)
}

/// Removes every session that can no longer be used.
pub fn delete_dead(conn: &mut DbConnection, live: &Liveness) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::expires_at.le(live.now).or(sessions::created_at.le(live.created_after))),
    )
    .execute(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    sessions::table.count().get_result(conn)
}
