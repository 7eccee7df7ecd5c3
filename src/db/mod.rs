//! Storage: one connection type over SQLite and PostgreSQL, the pool, migrations.
//!
//! Queries are written once against `DbConnection` and live next to their table
//! (`users.rs`, `sessions.rs`, …). Blocking diesel work runs through [`Db::run`],
//! which moves it off the async threads.

pub mod access_changes;
pub mod api_key_blocks;
pub mod api_key_daily_uses;
pub mod api_key_org_uses;
pub mod api_keys;
pub mod audit_events;
pub mod failure_buckets;
pub mod identities;
pub mod ids;
pub mod join_requests;
pub mod key_reminders;
pub mod mail_recipients;
pub mod member_keys;
pub mod memberships;
pub mod operations;
pub mod organizations;
pub mod outbound_mails;
pub mod pending_tokens;
pub mod schema;
pub mod sessions;
pub mod target;
mod transactions;
pub mod users;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;

pub use self::target::DatabaseTarget;
use crate::domain::access::AccessChange;
use crate::domain::organization::Role;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// How long a request waits for a connection when the database cannot be
/// reached (the last attempt to connect failed) before it is answered 503.
/// Also bounds r2d2's pause between attempts to reconnect (half of it), so
/// the pool finds the database again within about half a second.
const UNREACHABLE_WAIT: Duration = Duration::from_secs(1);

/// How long a request waits for a connection while the database answers but
/// every connection of the pool is in use.
const BUSY_WAIT: Duration = Duration::from_secs(10);

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Why the database could not be reached or prepared at start-up.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create the directory for the SQLite file {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("cannot open the database: {0}")]
    Connect(#[source] ConnectionError),
    #[error("cannot open the database: {0}")]
    Pool(String),
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    #[error("cannot check the database: {0}")]
    Check(#[source] diesel::result::Error),
    #[error(
        "the memberships table holds {rows} {} with a role this server does not know (it knows {}): \
         correct the role column, then start the server",
        if *rows == 1 { "row" } else { "rows" },
        known_roles()
    )]
    UnknownRoles { rows: i64 },
}

fn known_roles() -> String {
    Role::ALL.map(Role::as_str).join(" and ")
}

/// Opens connections of the configured kind, with the SQLite settings applied to
/// every connection (they are per connection, not per file).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: DatabaseTarget,
    /// Whether the last attempt to connect succeeded.
    reachable: Arc<AtomicBool>,
}

impl ConnectionManager {
    fn open(&self) -> Result<DbConnection, ConnectionError> {
        let opened = self.open_unrecorded();
        // Logged when it changes, not at every attempt (the pool retries twice a second).
        let was_reachable = self.reachable.swap(opened.is_ok(), Ordering::Relaxed);
        match (&opened, was_reachable) {
            (Err(error), true) => tracing::error!(%error, "the database cannot be reached"),
            (Ok(_), false) => tracing::info!("the database answers again"),
            _ => {}
        }
        opened
    }

    fn open_unrecorded(&self) -> Result<DbConnection, ConnectionError> {
        match &self.target {
            DatabaseTarget::Sqlite { path } => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;"
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseTarget::Postgres { url } => {
                Ok(DbConnection::Postgres(PgConnection::establish(url.expose_secret())?))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.open().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection whose server went away, or left in a broken transaction
    /// state, is dropped rather than handed to the next request.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        std::thread::panicking() || conn.is_broken()
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

/// Called with every access change this instance's own work announced.
pub type AccessChangeHook = Arc<dyn Fn(&AccessChange) + Send + Sync>;

/// A second hook was offered to a database handle that already has one.
#[derive(Debug, thiserror::Error)]
#[error(
    "this database handle already reports its access changes to a key cache; \
     a second hook would never be called (one instance, one cache)"
)]
pub struct AccessHookTaken;

/// The pool plus the one way handlers reach it.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    kind: DbKind,
    on_access_change: Arc<OnceLock<AccessChangeHook>>,
    reachable: Arc<AtomicBool>,
}

/// No connection could be had: the database is unreachable, or every
/// connection stayed busy for [`BUSY_WAIT`].
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    #[error("every database connection stayed busy: {0}")]
    Busy(String),
    #[error("the connection to the database was lost: {0}")]
    Lost(String),
}

/// Why database work failed, for the layers above to map (the web layer to a
/// 503 or a 500, say).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    #[error(transparent)]
    Query(diesel::result::Error),
    /// The blocking task that ran the work panicked or was cancelled.
    #[error("database work was interrupted: {0}")]
    Interrupted(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            // The server went away while this work used the connection.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                DbError::Unavailable(Unavailable::Lost(info.message().to_string()))
            }
            other => DbError::Query(other),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl Db {
    /// Connects (creating the SQLite file and its directory if needed) and migrates.
    pub fn open(target: &DatabaseTarget) -> Result<Db, DbSetupError> {
        let kind = match target {
            DatabaseTarget::Sqlite { path } => {
                create_parent_dir(path)?;
                DbKind::Sqlite
            }
            DatabaseTarget::Postgres { .. } => DbKind::Postgres,
        };
        let reachable = Arc::new(AtomicBool::new(true));
        let manager = ConnectionManager { target: target.clone(), reachable: reachable.clone() };
        // Connect once by hand first: r2d2 only reports a timeout, this reports why.
        let mut first = manager.open().map_err(DbSetupError::Connect)?;
        run_migrations(&mut first)?;
        check_stored_values(&mut first)?;
        drop(first);

        let max_size = match kind {
            // SQLite has one writer at a time; a few readers are plenty.
            DbKind::Sqlite => 8,
            DbKind::Postgres => 16,
        };
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(UNREACHABLE_WAIT)
            // `ConnectionManager::open` logs when the database goes and comes back.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(manager)
            .map_err(|e| DbSetupError::Pool(e.to_string()))?;
        Ok(Db { pool, kind, on_access_change: Arc::new(OnceLock::new()), reachable })
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Sets who hears about the access changes this instance makes: the
    /// instance's one key cache. The handle and its clones take one hook; a
    /// second is refused rather than silently never called. (One slot keeps
    /// [`Db::run`], which every query goes through, free of locks.)
    pub fn on_access_change(&self, hook: AccessChangeHook) -> Result<(), AccessHookTaken> {
        self.on_access_change.set(hook).map_err(|_| AccessHookTaken)
    }

    /// Runs blocking database work on the blocking thread pool, then passes the
    /// access changes it announced to the hook.
    pub async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, diesel::result::Error> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, reachable) = (self.pool.clone(), self.reachable.clone());
        let hook = self.on_access_change.clone();
        actix_web::rt::task::spawn_blocking(move || {
            access_changes::take_announced();
            let result = checkout(&pool, &reachable)
                .map_err(DbError::from)
                .and_then(|mut conn| work(&mut conn).map_err(DbError::from));
            let changes = access_changes::take_announced();
            if let Some(hook) = hook.get() {
                for change in &changes {
                    hook(change);
                }
            }
            result
        })
        .await
        .map_err(|e| DbError::Interrupted(e.to_string()))?
    }

    /// A connection for code that is already on a blocking thread.
    pub fn get(&self) -> Result<PooledConn, Unavailable> {
        checkout(&self.pool, &self.reachable)
    }

    /// False while the last attempt to connect to the database failed (it is
    /// stopped, refuses connections, or the network is down).
    pub fn is_reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }
}

/// A connection from the pool. While the database refused the pool's last
/// attempt to connect, the caller is told at once (or after [`UNREACHABLE_WAIT`]
/// when that is what the wait found out); a database that answers but is busy
/// gets up to [`BUSY_WAIT`].
fn checkout(pool: &DbPool, reachable: &AtomicBool) -> Result<PooledConn, Unavailable> {
    if !reachable.load(Ordering::Relaxed) {
        // Known away: no wait at all, unless a connection is at hand; the pool
        // keeps trying to reconnect meanwhile, and flips `reachable` when it can.
        return pool
            .try_get()
            .ok_or_else(|| Unavailable::Unreachable("the last attempt to connect failed".into()));
    }
    match pool.get_timeout(UNREACHABLE_WAIT) {
        Ok(conn) => Ok(conn),
        Err(error) if !reachable.load(Ordering::Relaxed) => Err(Unavailable::Unreachable(error.to_string())),
        Err(_) => pool.get_timeout(BUSY_WAIT.saturating_sub(UNREACHABLE_WAIT)).map_err(|error| {
            if reachable.load(Ordering::Relaxed) {
                Unavailable::Busy(error.to_string())
            } else {
                Unavailable::Unreachable(error.to_string())
            }
        }),
    }
}

fn create_parent_dir(path: &str) -> Result<(), DbSetupError> {
    let parent = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent {
        std::fs::create_dir_all(dir)
            .map_err(|source| DbSetupError::CreateDir { path: path.to_string(), source })?;
    }
    Ok(())
}

/// Refuses data this server would have to guess about: a role it does not
/// know would fail every request that reads it, so it stops the start instead.
fn check_stored_values(conn: &mut DbConnection) -> Result<(), DbSetupError> {
    match memberships::count_unknown_roles(conn).map_err(DbSetupError::Check)? {
        0 => Ok(()),
        rows => Err(DbSetupError::UnknownRoles { rows }),
    }
}

/// Several instances may start at once against one PostgreSQL: an advisory lock
/// lets one of them migrate while the others wait.
fn run_migrations(conn: &mut DbConnection) -> Result<(), DbSetupError> {
    const MIGRATION_LOCK: i64 = 0x6d6f_6e6b_6579;
    let migrate = |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migrate(e.to_string());
    match conn {
        DbConnection::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(migrate)?;
        }
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| DbSetupError::Migrate(e.to_string()))?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()).map_err(migrate);
            let unlock = c
                .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .map_err(|e| DbSetupError::Migrate(e.to_string()));
            result?;
            unlock?;
        }
    }
    Ok(())
}
