//! The failed-attempt allowance shared by every instance on one PostgreSQL: N
//! instances behind a load balancer give an attacker the allowance once, not N
//! times. The in-memory [`FailureLimiter`](super::FailureLimiter) stays in front
//! of it: an address it already refuses costs the database nothing, so a flood
//! of junk writes at most the allowance per address, instance and minute.
//! On SQLite (one instance) this does nothing.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::failure_limit::{bucket_of, seconds_until_one};
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

    /// Takes one attempt, or says how long to wait. If the database cannot be
    /// asked, the in-memory limit alone decides (logged).
    pub async fn take(&self, client: IpAddr, now: DateTime<Utc>) -> Result<(), u64> {
        let Some(db) = self.reachable_db() else { return Ok(()) };
        let (address, capacity, at) = (bucket_of(client).to_string(), self.per_minute, now.naive_utc());
        match db.run(move |conn| failure_buckets::take(conn, &address, capacity, at)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(left)) => Err(seconds_until_one(left, self.per_minute)),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "shared failure limit unavailable");
                Ok(())
            }
        }
    }

    pub async fn give_back(&self, client: IpAddr, now: DateTime<Utc>) {
        self.write(client, now, failure_buckets::give_back).await;
    }

    pub async fn record_failure(&self, client: IpAddr, now: DateTime<Utc>) {
        self.write(client, now, failure_buckets::record_failure).await;
    }

    async fn write(
        &self,
        client: IpAddr,
        now: DateTime<Utc>,
        query: fn(&mut crate::db::DbConnection, &str, f64, chrono::NaiveDateTime) -> diesel::QueryResult<()>,
    ) {
        let Some(db) = self.reachable_db() else { return };
        let (address, capacity, at) = (bucket_of(client).to_string(), self.per_minute, now.naive_utc());
        if let Err(error) = db.run(move |conn| query(conn, &address, capacity, at)).await {
            tracing::warn!(error = %format!("{error:#}"), "shared failure limit unavailable");
        }
    }

    /// The database, unless it is known to be away: then the in-memory limit
    /// decides alone, and the key check answers 503 without waiting twice.
    fn reachable_db(&self) -> Option<&Db> {
        self.db.as_ref().filter(|db| db.is_reachable())
    }
}
