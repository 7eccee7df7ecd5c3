//! `monkeyci-server migrate`: applies what is missing and exits 0, for
//! deployments that migrate before starting new servers.

use std::time::Duration;

use assert_cmd::Command;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

use crate::support::postgres_admin_url;

fn migration_count() -> i64 {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    std::fs::read_dir(folder).unwrap().count() as i64
}

/// `monkeyci-server migrate` with only this environment.
fn migrate(database_url: &str, args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("monkeyci-server")
        .expect("the server binary is built")
        .env_clear()
        .env("DATABASE_URL", database_url)
        .arg("migrate")
        .args(args)
        .timeout(Duration::from_mins(1))
        .output()
        .expect("the server runs");
    assert!(output.stdout.is_empty(), "nothing on stdout");
    (output.status.code().expect("exits by itself"), String::from_utf8(output.stderr).unwrap())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

const APPLIED: &str = "SELECT COUNT(*) AS n FROM __diesel_schema_migrations";

#[test]
fn migrate_creates_and_migrates_a_fresh_sqlite_file_then_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/folder/monkeyci.db");
    let url = format!("sqlite://{}", path.display());

    let (code, stderr) = migrate(&url, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("migrations applied"), "{stderr}");
    assert!(stderr.contains(&format!("count={}", migration_count())), "{stderr}");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).expect("the file exists");
    assert_eq!(diesel::sql_query(APPLIED).get_result::<Count>(&mut conn).unwrap().n, migration_count());
    conn.batch_execute("SELECT id, public_id FROM api_keys LIMIT 1").expect("the tables exist");

    // Again: nothing to do, still 0.
    let (code, stderr) = migrate(&url, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("up to date"), "{stderr}");
    assert_eq!(diesel::sql_query(APPLIED).get_result::<Count>(&mut conn).unwrap().n, migration_count());
}

#[test]
fn migrate_reads_the_database_url_from_its_flag_too() {
    let dir = tempfile::tempdir().unwrap();
    let (from_env, from_flag) = (dir.path().join("env.db"), dir.path().join("flag.db"));
    let flag = format!("sqlite://{}", from_flag.display());
    let (code, stderr) = migrate(&format!("sqlite://{}", from_env.display()), &["--database-url", &flag]);
    assert_eq!(code, 0, "{stderr}");
    assert!(from_flag.exists(), "the flag wins");
    assert!(!from_env.exists());
}

#[test]
fn migrate_migrates_a_fresh_postgres_database_then_exits_0() {
    let admin_url = postgres_admin_url();
    let Ok(mut admin) = PgConnection::establish(&admin_url) else {
        let required = std::env::var("TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        assert!(!required, "PostgreSQL is required but unreachable at TEST_DATABASE_URL");
        return;
    };
    let name = format!("monkeyci_migrate_{}", monkeyci_accounts::random::unique_name());
    admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);

    let (code, stderr) = migrate(url.as_str(), &[]);
    let applied = PgConnection::establish(url.as_str())
        .ok()
        .and_then(|mut conn| diesel::sql_query(APPLIED).get_result::<Count>(&mut conn).ok());
    let (again, _) = migrate(url.as_str(), &[]);
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).unwrap();

    assert_eq!(code, 0, "{stderr}");
    assert_eq!(applied.map(|c| c.n), Some(migration_count()));
    assert_eq!(again, 0);
}

#[test]
fn migrate_fails_with_the_reason_and_without_the_password_when_the_database_is_unreachable() {
    let (code, stderr) = migrate("postgres://nobody:secret-password@127.0.0.1:1/none", &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!stderr.contains("secret-password"), "{stderr}");
}
