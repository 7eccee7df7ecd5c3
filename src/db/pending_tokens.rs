//! The `pending_tokens` table: a new key's token, sealed, waiting for the one
//! page that shows it. The rows hold ciphertext only; the key that opens it is
//! in the creating browser's cookie (`auth::pending_token`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::pending_tokens;
use crate::domain::ids::UserId;

#[derive(Debug, Insertable)]
#[diesel(table_name = pending_tokens)]
pub struct NewPendingToken<'a> {
    pub id: &'a str,
    pub user_id: UserId,
    pub list_url: &'a str,
    pub sealed: &'a str,
    pub expires_at: NaiveDateTime,
}

impl NewPendingToken<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(pending_tokens::table).values(self).execute(conn)
    }
}

/// Takes the sealed token out in one statement (`DELETE … RETURNING`): of any
/// number of requests racing for it, exactly one gets it. Only its creator, on
/// the page it was made for, before it expires.
pub fn take(
    conn: &mut DbConnection,
    id: &str,
    user_id: UserId,
    list_url: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    diesel::delete(
        pending_tokens::table
            .filter(pending_tokens::id.eq(id))
            .filter(pending_tokens::user_id.eq(user_id))
            .filter(pending_tokens::list_url.eq(list_url))
            .filter(pending_tokens::expires_at.gt(now)),
    )
    .returning(pending_tokens::sealed)
    .get_result(conn)
    .optional()
}

/// Removes tokens whose page was never opened in time; run from a timer.
pub fn delete_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(pending_tokens::table.filter(pending_tokens::expires_at.le(now))).execute(conn)
}
