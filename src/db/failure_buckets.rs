//! The `api_failure_buckets` table (used on PostgreSQL): failed API-key attempts
//! per client address, shared by every instance, as token buckets that hold
//! `capacity` attempts and refill at `capacity` a minute. Each query is one
//! statement, so instances racing on one address cannot both spend its last attempt.

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

/// Takes one attempt for `address`: `Ok(())`, or `Err(left)` (under one) when
/// none is left.
pub fn take(
    conn: &mut DbConnection,
    address: &str,
    capacity: f64,
    now: NaiveDateTime,
) -> QueryResult<Result<(), f64>> {
    let taken = diesel::sql_query(format!(
        "INSERT INTO api_failure_buckets AS b (address, attempts_left, updated_at) VALUES ($1, $2 - 1, $3) \
         ON CONFLICT (address) DO UPDATE SET attempts_left = {REFILLED} - 1, updated_at = $3 \
         WHERE {REFILLED} >= 1 RETURNING attempts_left AS left"
    ))
    .bind::<Text, _>(address)
    .bind::<Double, _>(capacity)
    .bind::<Timestamp, _>(now)
    .get_result::<Left>(conn)
    .optional()?;
    if taken.is_some() {
        return Ok(Ok(()));
    }
    let left = diesel::sql_query(format!(
        "SELECT {REFILLED} AS left FROM api_failure_buckets b WHERE b.address = $1"
    ))
    .bind::<Text, _>(address)
    .bind::<Double, _>(capacity)
    .bind::<Timestamp, _>(now)
    .get_result::<Left>(conn)
    .optional()?;
    Ok(Err(left.map_or(0.0, |l| l.left)))
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

/// Returns an attempt taken for a check that succeeded.
pub fn give_back(
    conn: &mut DbConnection,
    address: &str,
    capacity: f64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    write(
        conn,
        format!(
            "UPDATE api_failure_buckets AS b SET attempts_left = LEAST($2, {REFILLED} + 1), updated_at = $3 \
             WHERE b.address = $1"
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
