//! The failed-attempt allowance shared by every instance on one PostgreSQL: N
//! instances behind a load balancer give an attacker the allowance once, not N
//! times. The in-memory [`FailureLimiter`](super::FailureLimiter) stays in front
//! of it: an address it already refuses costs the database nothing, so a flood
//! of junk writes at most the allowance per address, instance and minute.
//! Only failures are written; a check reads what is left first (one read per
//! key check that is not answered from the cache). Checks in flight are bounded
//! per instance (see `failure_limit`), so a burst of guesses spread over N
//! instances at the same moment gets at most N allowances before all refuse.
//! On SQLite (one instance) this does nothing.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::failure_limit::bucket_of;
use crate::db::failure_buckets;
use crate::db::{Db, DbKind};

pub struct SharedFailureLimit {
    /// `Some` on PostgreSQL.
    db: Option<Db>,
    per_minute: f64,
}

impl SharedFailureLimit {
    pub fn new(db: &Db, per_minute: u32) -> SharedFailureLimit {
        let db = (db.kind() == DbKind::Postgres).then(|| db.clone());
        SharedFailureLimit { db, per_minute: f64::from(per_minute.max(1)) }
    }

    /// The attempts `client` has left across instances; `None` when this is
    /// not PostgreSQL, the address has no failures on record, or the database
    /// cannot be asked (logged: then the in-memory limit alone decides).
    pub async fn left(&self, client: IpAddr, now: DateTime<Utc>) -> Option<f64> {
        let db = self.reachable_db()?;
        let (address, capacity, at) = (bucket_of(client).to_string(), self.per_minute, now.naive_utc());
        match db.run(move |conn| failure_buckets::left(conn, &address, capacity, at)).await {
            Ok(left) => left,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "shared failure limit unavailable");
                None
            }
        }
    }

    /// Counts one failed attempt by `client` in the shared allowance.
    pub async fn record_failure(&self, client: IpAddr, now: DateTime<Utc>) {
        let Some(db) = self.reachable_db() else { return };
        let (address, capacity, at) = (bucket_of(client).to_string(), self.per_minute, now.naive_utc());
        if let Err(error) =
            db.run(move |conn| failure_buckets::record_failure(conn, &address, capacity, at)).await
        {
            tracing::warn!(error = %format!("{error:#}"), "shared failure limit unavailable");
        }
    }

    /// The database, unless it is known to be away: then the in-memory limit
    /// decides alone, and the key check answers 503 without waiting twice.
    fn reachable_db(&self) -> Option<&Db> {
        self.db.as_ref().filter(|db| db.is_reachable())
    }
}
