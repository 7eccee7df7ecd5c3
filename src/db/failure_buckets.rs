//! The `api_failure_buckets` table (used on PostgreSQL): failed API-key attempts
//! per client address, shared by every instance, as token buckets that hold
//! `capacity` attempts and refill at `capacity` a minute. Only failures are
//! written, each in one statement, so instances failing at once on one address
//! both count.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text, Timestamp};

use super::DbConnection;

/// The bucket refilled up to now: `$1` address, `$2` capacity, `$3` now.
const REFILLED: &str = "LEAST($2, b.attempts_left + GREATEST(0, \
     CAST(EXTRACT(EPOCH FROM ($3 - b.updated_at)) AS DOUBLE PRECISION)) * $2 / 60.0)";

#[derive(QueryableByName)]
struct Left {
    #[diesel(sql_type = Double)]
    left: f64,
}

/// The attempts `address` has left, refilled up to now; `None` when it has no
/// failures on record (a full allowance).
pub fn left(
    conn: &mut DbConnection,
    address: &str,
    capacity: f64,
    now: NaiveDateTime,
) -> QueryResult<Option<f64>> {
    let left = diesel::sql_query(format!(
        "SELECT {REFILLED} AS left FROM api_failure_buckets b WHERE b.address = $1"
    ))
    .bind::<Text, _>(address)
    .bind::<Double, _>(capacity)
    .bind::<Timestamp, _>(now)
    .get_result::<Left>(conn)
    .optional()?;
    Ok(left.map(|l| l.left))
}

/// Counts one failed attempt (never below zero).
pub fn record_failure(
    conn: &mut DbConnection,
    address: &str,
    capacity: f64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    write(
        conn,
        format!(
            "INSERT INTO api_failure_buckets AS b (address, attempts_left, updated_at) VALUES ($1, $2 - 1, $3) \
             ON CONFLICT (address) DO UPDATE SET attempts_left = GREATEST(0, {REFILLED} - 1), updated_at = $3"
        ),
        address,
        capacity,
        now,
    )
}

/// Runs a statement over `$1` address, `$2` capacity, `$3` now.
fn write(
    conn: &mut DbConnection,
    sql: String,
    address: &str,
    capacity: f64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::sql_query(sql)
        .bind::<Text, _>(address)
        .bind::<Double, _>(capacity)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
    Ok(())
}

/// Forgets buckets untouched for a minute: they are full again.
pub fn delete_full(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM api_failure_buckets WHERE updated_at < $1")
        .bind::<Timestamp, _>(now - chrono::Duration::minutes(1))
        .execute(conn)
}
