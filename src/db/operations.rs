//! What operators ask of the database: is it ready to serve (`GET /readyz`),
//! how busy is the pool (metrics), and migrating without serving
//! (`monkeyci-server migrate`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::backend::Backend;
use diesel::migration::MigrationSource;
use diesel_migrations::MigrationHarness;

use super::{
    ConnectionManager, Db, DbConnection, DbSetupError, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS,
    create_parent_dir, run_migrations,
};
use crate::db::target::DatabaseTarget;

/// How long a readiness check waits for a connection: a load balancer's probe
/// should hear "not ready" quickly, not after the pool's own timeout.
const READY_WAIT: Duration = Duration::from_secs(1);

/// Why the server should not be sent traffic now.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("the database does not answer: {0}")]
    Unreachable(String),
    #[error("cannot read the applied migrations: {0}")]
    Unreadable(String),
    #[error(
        "{} of this server's migrations {} not applied: {}",
        .0.len(),
        if .0.len() == 1 { "is" } else { "are" },
        .0.join(", ")
    )]
    MigrationsPending(Vec<String>),
}

impl NotReady {
    /// What the probe's answer says. Less than the log line: a database's
    /// error text may name hosts and users, and `/readyz` is on the public address.
    pub fn public_reason(&self) -> &'static str {
        match self {
            NotReady::Unreachable(_) => "the database does not answer",
            NotReady::Unreadable(_) => "the database's migrations cannot be read",
            NotReady::MigrationsPending(_) => "the database lacks migrations this server needs",
        }
    }
}

/// The pool's connections now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Checked out by a request or a background task.
    pub in_use: u32,
    /// Open and waiting in the pool.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl Db {
    /// Ready when a connection answers within [`READY_WAIT`] and every
    /// migration this server embeds is recorded as applied. (Migrations the
    /// database has beyond those, from a newer version rolled out first, do not
    /// make it unready: they are written to keep older servers working.)
    pub async fn readiness(&self) -> Result<(), NotReady> {
        let pool = self.pool.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get_timeout(READY_WAIT).map_err(|e| NotReady::Unreachable(e.to_string()))?;
            let missing = unapplied_migrations(&mut conn)?;
            if missing.is_empty() { Ok(()) } else { Err(NotReady::MigrationsPending(missing)) }
        })
        .await
        .map_err(|e| NotReady::Unreachable(e.to_string()))?
    }

    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }
}

/// Applies the migrations this server embeds that the database lacks, as a
/// server does at start, and nothing else: what `monkeyci-server migrate`
/// runs. Returns the names of those that were missing.
pub fn migrate(target: &DatabaseTarget) -> Result<Vec<String>, DbSetupError> {
    if let DatabaseTarget::Sqlite { path } = target {
        create_parent_dir(path)?;
    }
    let manager = ConnectionManager { target: target.clone(), reachable: Arc::default() };
    let mut conn = manager.open().map_err(DbSetupError::Connect)?;
    let to_report = |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migrate(e.to_string());
    // Read before running: another instance migrating at the same moment may
    // apply some of them first (`run_migrations` waits for it under its lock).
    let missing: Vec<String> = match &mut conn {
        DbConnection::Sqlite(c) => c
            .pending_migrations(SQLITE_MIGRATIONS)
            .map_err(to_report)?
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
        DbConnection::Postgres(c) => c
            .pending_migrations(POSTGRES_MIGRATIONS)
            .map_err(to_report)?
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
    };
    run_migrations(&mut conn)?;
    Ok(missing)
}

/// The embedded migrations the database has no record of, oldest first. Only
/// reads (unlike diesel's `pending_migrations`, which creates its table first).
fn unapplied_migrations(conn: &mut DbConnection) -> Result<Vec<String>, NotReady> {
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let applied: HashSet<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load::<Applied>(conn)
        .map_err(|e| NotReady::Unreadable(e.to_string()))?
        .into_iter()
        .map(|row| row.version)
        .collect();
    let embedded = match conn {
        DbConnection::Sqlite(_) => embedded::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS),
        DbConnection::Postgres(_) => embedded::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS),
    }
    .map_err(|e| NotReady::Unreadable(e.to_string()))?;
    Ok(embedded.into_iter().filter(|(version, _)| !applied.contains(version)).map(|(_, name)| name).collect())
}

type MigrationList = Result<Vec<(String, String)>, Box<dyn std::error::Error + Send + Sync>>;

/// (version as diesel records it, full name) of each embedded migration.
fn embedded<DB: Backend>(source: &impl MigrationSource<DB>) -> MigrationList {
    Ok(source.migrations()?.iter().map(|m| (m.name().version().to_string(), m.name().to_string())).collect())
}
