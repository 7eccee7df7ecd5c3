//! The `api_key_daily_uses` table: requests per key and day (UTC), for the
//! key's page. Written by the usage flush (`auth::key_auth::usage`), which adds
//! what one instance counted in a minute: one upsert per key and day, all in one
//! transaction.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::DbConnection;
use super::schema::api_key_daily_uses;
use crate::domain::ids::KeyId;

/// Adds `requests` to the key's count for `day`. `false` when the key is gone
/// (purged since the requests were counted): those counts have nowhere to go.
/// In a savepoint of its own when a transaction is open, so that a refused row
/// leaves the transaction usable (PostgreSQL aborts it otherwise).
pub fn add(conn: &mut DbConnection, key_id: KeyId, day: NaiveDate, requests: i64) -> QueryResult<bool> {
    match conn.write_transaction(|conn| upsert(conn, key_id, day, requests)) {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

fn upsert(conn: &mut DbConnection, key_id: KeyId, day: NaiveDate, requests: i64) -> QueryResult<usize> {
    let row = (
        api_key_daily_uses::key_id.eq(key_id),
        api_key_daily_uses::day.eq(day),
        api_key_daily_uses::requests.eq(requests),
    );
    // The same statement on both databases, but diesel builds upserts per
    // backend, not for the combined connection.
    macro_rules! upsert {
        ($conn:expr) => {
            diesel::insert_into(api_key_daily_uses::table)
                .values(row)
                .on_conflict((api_key_daily_uses::key_id, api_key_daily_uses::day))
                .do_update()
                .set(api_key_daily_uses::requests.eq(api_key_daily_uses::requests + requests))
                .execute($conn)
        };
    }
    match conn {
        DbConnection::Sqlite(conn) => upsert!(conn),
        DbConnection::Postgres(conn) => upsert!(conn),
    }
}

/// Adds every count in one write transaction: one commit for an instance's
/// minute, however many keys it saw (with 10,000 keys in use, one commit a
/// minute instead of 10,000 — each a WAL flush, and on SQLite each taking the
/// write lock that other writers queue for). Each row has its own savepoint,
/// so a key purged meanwhile drops only its own count. Returns how many were written.
pub fn add_all(conn: &mut DbConnection, counts: &[((KeyId, NaiveDate), u64)]) -> QueryResult<usize> {
    conn.write_transaction(|conn| {
        let mut written = 0;
        for ((key_id, day), requests) in counts {
            if add(conn, *key_id, *day, i64::try_from(*requests).unwrap_or(i64::MAX))? {
                written += 1;
            }
        }
        Ok(written)
    })
}

/// The key's requests per day from `first_day` on (days without requests are absent).
pub fn since(
    conn: &mut DbConnection,
    key_id: KeyId,
    first_day: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, i64)>> {
    api_key_daily_uses::table
        .filter(api_key_daily_uses::key_id.eq(key_id))
        .filter(api_key_daily_uses::day.ge(first_day))
        .order(api_key_daily_uses::day.asc())
        .select((api_key_daily_uses::day, api_key_daily_uses::requests))
        .load(conn)
}
