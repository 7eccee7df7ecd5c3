//! PostgreSQL `LISTEN` for access changes made by other instances (SPEC §2).
//!
//! A dedicated connection on its own thread polls for notifications every
//! 100 ms (libpq delivers them without a query) and pings every few seconds so
//! a dead connection is noticed. Whenever the connection is (re)established the
//! whole cache is dropped: a notification sent while nobody listened is lost, and
//! an entry it should have removed must not survive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::KeyCache;
use crate::db::access_changes::CHANNEL;
use crate::domain::access::AccessChange;

const POLL_EVERY: Duration = Duration::from_millis(100);
const PING_EVERY: Duration = Duration::from_secs(5);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Stops the listener thread when dropped (the server has stopped).
pub struct ListenerGuard(Arc<AtomicBool>);

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// `span`: the instance's span, which the thread's log lines sit in.
pub fn spawn(
    database_url: String,
    cache: Weak<KeyCache>,
    span: tracing::Span,
) -> std::io::Result<ListenerGuard> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new().name("access-listener".into()).spawn(move || {
        let _in_instance = span.entered();
        let running = || !stopped.load(Ordering::Relaxed) && cache.strong_count() > 0;
        while running() {
            match listen(&database_url) {
                Ok(mut conn) => {
                    if let Some(cache) = cache.upgrade() {
                        cache.clear();
                    }
                    tracing::debug!("listening for access changes");
                    let lost = receive(&mut conn, &cache, &running);
                    if let Some(cache) = cache.upgrade() {
                        cache.clear();
                    }
                    if let Err(e) = lost
                        && running()
                    {
                        tracing::warn!(error = %e, "access-change notifications lost: reconnecting");
                    }
                }
                Err(e) => {
                    if running() {
                        tracing::warn!(error = %e, "cannot listen for access changes: retrying");
                    }
                }
            }
            if running() {
                std::thread::sleep(RECONNECT_AFTER);
            }
        }
    })?;
    Ok(ListenerGuard(stop))
}

fn listen(database_url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(database_url)?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(conn)
}

/// Applies notifications until the connection fails or the server stops.
fn receive(
    conn: &mut PgConnection,
    cache: &Weak<KeyCache>,
    running: &dyn Fn() -> bool,
) -> anyhow::Result<()> {
    let mut pinged = Instant::now();
    while running() {
        for notification in conn.notifications_iter() {
            let notification = notification?;
            match (AccessChange::from_payload(&notification.payload), cache.upgrade()) {
                (Some(change), Some(cache)) => cache.apply(&change),
                (None, Some(cache)) => cache.clear(),
                (_, None) => return Ok(()),
            }
        }
        if pinged.elapsed() >= PING_EVERY {
            conn.batch_execute("SELECT 1")?;
            pinged = Instant::now();
        }
        std::thread::sleep(POLL_EVERY);
    }
    Ok(())
}
