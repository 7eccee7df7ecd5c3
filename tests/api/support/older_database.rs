//! A database as an older version of the app left it: migrated up to (not
//! including) one migration, with rows stored then. Give it to
//! [`super::TestApp::spawn_on_prepared`], whose start runs the remaining
//! migrations over those rows.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use monkeyci_accounts::config::DatabaseTarget;
use secrecy::ExposeSecret;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs every migration before `migration` (which must exist) on `target`, then `sql`.
pub fn store_before(target: &DatabaseTarget, migration: &str, sql: &str) {
    match target {
        DatabaseTarget::Sqlite { path } => {
            let mut conn = SqliteConnection::establish(path).expect("SQLite opens");
            migrate_before(&mut conn, SQLITE_MIGRATIONS, migration);
            conn.batch_execute(sql).expect("old rows stored");
        }
        DatabaseTarget::Postgres { url } => {
            let mut conn = PgConnection::establish(url.expose_secret()).expect("PostgreSQL opens");
            migrate_before(&mut conn, POSTGRES_MIGRATIONS, migration);
            conn.batch_execute(sql).expect("old rows stored");
        }
    }
}

fn migrate_before<DB, C>(conn: &mut C, migrations: EmbeddedMigrations, migration: &str)
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: diesel::migration::MigrationSource<DB>,
{
    let pending = conn.pending_migrations(migrations).expect("migrations listed");
    assert!(pending.iter().any(|m| m.name().to_string() == migration), "the migration {migration} exists");
    for earlier in pending.iter().filter(|m| m.name().to_string().as_str() < migration) {
        conn.run_migration(earlier).expect("an earlier migration runs");
    }
}
