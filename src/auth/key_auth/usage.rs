//! Requests per key and day (SPEC §2 "Usage"): counted in memory on the
//! request's path (a lock on one of a few shards, no database work) and added
//! to `api_key_daily_uses` once a minute per instance, one upsert per key and
//! day. Counts that could not be written are kept for the next flush.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tracing::Instrument;

use crate::clock::Clock;
use crate::db::{Db, DbError, api_key_daily_uses};
use crate::domain::ids::KeyId;

/// Shards, so that workers counting different keys seldom wait for each other.
const SHARDS: usize = 16;

type Counts = HashMap<(KeyId, NaiveDate), u64>;

/// Requests counted since the last flush, by key and day (UTC).
pub struct UsageCounts {
    shards: Vec<Mutex<Counts>>,
}

impl Default for UsageCounts {
    fn default() -> Self {
        UsageCounts { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect() }
    }
}

impl UsageCounts {
    /// One more request with `key` on `day`.
    pub fn count(&self, key: KeyId, day: NaiveDate) {
        *self.shard(key).entry((key, day)).or_insert(0) += 1;
    }

    /// Everything counted so far, leaving nothing behind.
    pub fn take(&self) -> Vec<((KeyId, NaiveDate), u64)> {
        self.shards.iter().flat_map(|shard| std::mem::take(&mut *lock(shard))).collect()
    }

    /// Puts back counts a flush could not write.
    pub fn give_back(&self, counts: impl IntoIterator<Item = ((KeyId, NaiveDate), u64)>) {
        for ((key, day), n) in counts {
            *self.shard(key).entry((key, day)).or_insert(0) += n;
        }
    }

    fn shard(&self, key: KeyId) -> std::sync::MutexGuard<'_, Counts> {
        let index = usize::try_from(key.get()).unwrap_or(0) % SHARDS;
        lock(&self.shards[index])
    }
}

fn lock(shard: &Mutex<Counts>) -> std::sync::MutexGuard<'_, Counts> {
    shard.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes the counts gathered so far: one upsert per key and day. A key
/// purged meanwhile loses its counts; when the database cannot be reached the
/// counts wait for the next flush. Returns how many rows were written.
pub async fn flush(counts: &UsageCounts, db: &Db) -> Result<usize, DbError> {
    let taken = counts.take();
    if taken.is_empty() {
        return Ok(0);
    }
    let batch = taken.clone();
    match db.run(move |conn| api_key_daily_uses::add_all(conn, &batch)).await {
        Ok(written) => Ok(written),
        Err(e) => {
            counts.give_back(taken);
            Err(e)
        }
    }
}

/// How often the counts are written, by the application's clock.
pub const FLUSH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// Writes the counts once a minute by `clock` (looked at every second, so a
/// test that moves a fixed clock on sees the flush within a second).
pub fn spawn_flusher(
    counts: Arc<UsageCounts>,
    db: Db,
    clock: Arc<dyn Clock>,
    span: tracing::Span,
) -> actix_web::rt::task::JoinHandle<()> {
    let work = async move {
        let mut ticks = actix_web::rt::time::interval(std::time::Duration::from_secs(1));
        let mut last = clock.now();
        loop {
            ticks.tick().await;
            let now = clock.now();
            if now - last < FLUSH_EVERY && now >= last {
                continue;
            }
            last = now;
            if let Err(e) = flush(&counts, &db).await {
                tracing::warn!(error = %e, "could not write the keys' request counts; they wait for the next minute");
            }
        }
    };
    actix_web::rt::spawn(work.instrument(span))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, d).unwrap()
    }

    #[test]
    fn requests_are_counted_per_key_and_day_and_taken_once() {
        let counts = UsageCounts::default();
        for _ in 0..3 {
            counts.count(KeyId::new(1), day(1));
        }
        counts.count(KeyId::new(1), day(2));
        counts.count(KeyId::new(17), day(1));
        let mut taken = counts.take();
        taken.sort_by_key(|((key, day), _)| (key.get(), *day));
        assert_eq!(
            taken,
            vec![((KeyId::new(1), day(1)), 3), ((KeyId::new(1), day(2)), 1), ((KeyId::new(17), day(1)), 1)]
        );
        assert!(counts.take().is_empty(), "a second take finds nothing");
    }

    #[test]
    fn counts_given_back_add_to_new_ones() {
        let counts = UsageCounts::default();
        counts.count(KeyId::new(1), day(1));
        let taken = counts.take();
        counts.count(KeyId::new(1), day(1));
        counts.give_back(taken);
        assert_eq!(counts.take(), vec![((KeyId::new(1), day(1)), 2)]);
    }
}
