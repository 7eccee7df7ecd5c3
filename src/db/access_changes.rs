//! Announcing changes that alter what an API key reaches.
//!
//! The transaction that makes a change calls [`announce`]. On PostgreSQL that
//! queues a `NOTIFY` on [`CHANNEL`], delivered to every instance when (and only
//! if) the transaction commits. Every database, SQLite included, also records
//! the change for this instance: [`super::Db::run`] hands it to the local cache
//! as soon as the work returns, so the instance that made a change never serves
//! the old state, not even for the next request.

use std::cell::RefCell;

use diesel::QueryResult;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;
use crate::domain::access::AccessChange;

/// The PostgreSQL notification channel every instance listens on.
pub const CHANNEL: &str = "monkeyci_access";

thread_local! {
    // Db::run executes one closure at a time on a blocking thread, so the changes
    // announced here belong to the work that thread is doing.
    static ANNOUNCED: RefCell<Vec<AccessChange>> = const { RefCell::new(Vec::new()) };
}

pub fn announce(conn: &mut DbConnection, change: AccessChange) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(change.to_payload())
            .execute(pg)?;
    }
    ANNOUNCED.with(|announced| announced.borrow_mut().push(change));
    Ok(())
}

/// The changes announced on this thread since the last call. Forgetting more than
/// was committed (a rolled-back change) only costs a cache miss.
pub(super) fn take_announced() -> Vec<AccessChange> {
    ANNOUNCED.with(|announced| std::mem::take(&mut *announced.borrow_mut()))
}
