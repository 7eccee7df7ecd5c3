//! The purge (SPEC §2 "Lifecycle"): a key that was revoked, or expired, more
//! than [`KEEP_INACTIVE`] ago leaves the list and the database. It runs at
//! start and with the server's periodic clean-up, by the app's clock, in
//! bounded batches so a large backlog never holds a long transaction.

use crate::clock::Clock;
use crate::db::{Db, DbError, api_keys};
use crate::domain::api_key::KEEP_INACTIVE;

/// Keys deleted per statement.
pub const PURGE_BATCH: i64 = 500;

/// One pass: deletes every key inactive for longer than [`KEEP_INACTIVE`] at
/// the clock's now, a batch at a time. Returns how many went.
pub async fn purge_inactive_keys(db: &Db, clock: &dyn Clock) -> Result<usize, DbError> {
    let cutoff = clock.now_naive() - KEEP_INACTIVE;
    let mut total = 0;
    loop {
        let deleted =
            db.run(move |conn| api_keys::purge_batch(conn, cutoff, cutoff.date(), PURGE_BATCH)).await?;
        total += deleted;
        if (deleted as i64) < PURGE_BATCH {
            return Ok(total);
        }
    }
}
