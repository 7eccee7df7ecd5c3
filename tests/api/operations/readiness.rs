//! `GET /readyz`: 200 only while the database answers and holds every migration
//! this server embeds; 503 with `Retry-After` otherwise. `/healthz` does not look.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use monkeyci_accounts::config::DatabaseTarget;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use secrecy::ExposeSecret;

use crate::both_databases;
use crate::support::{TestApp, postgres_admin_url};

/// The newest applied migration's version, as diesel records it.
async fn latest_applied(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    app.db
        .run(|conn| {
            diesel::sql_query("SELECT MAX(version) AS version FROM __diesel_schema_migrations")
                .get_result::<Version>(conn)
        })
        .await
        .expect("the migrations table reads")
        .version
}

/// The newest migration folder's name (the same for both databases).
fn newest_migration_name() -> String {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let names = std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap());
    names.max().expect("migrations")
}

async fn run_sql(app: &TestApp, sql: String) {
    app.db.run(move |conn| conn.batch_execute(&sql)).await.expect("SQL runs");
}

async fn assert_not_ready(app: &TestApp, expected_reason: &str) {
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[RETRY_AFTER], "5");
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(response.text().await.unwrap(), format!("not ready: {expected_reason}"));
}

async fn readyz_answers_ready_in_plain_text_without_a_session_or_cookies(app: TestApp) {
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
    assert!(response.headers().get(SET_COOKIE).is_none(), "{:?}", response.headers());
    assert_eq!(response.text().await.unwrap(), "ready");
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions").await, 0, "no session row");
}
both_databases!(readyz_answers_ready_in_plain_text_without_a_session_or_cookies);

async fn readyz_answers_503_while_a_migration_the_server_needs_is_not_applied(app: TestApp) {
    let version = latest_applied(&app).await;
    run_sql(&app, format!("DELETE FROM __diesel_schema_migrations WHERE version = '{version}'")).await;

    assert_not_ready(&app, "the database lacks migrations this server needs").await;
    // The log names the migration; the answer (public) does not.
    let logs = app.logs();
    let line = logs.lines().find(|l| l.contains("not ready")).unwrap_or_else(|| panic!("{logs}"));
    assert!(line.contains("1 of this server's migrations is not applied"), "{line}");
    assert!(line.contains(&newest_migration_name()), "names the migration: {line}");
    // Liveness is another question: the process is fine.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    run_sql(&app, format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{version}')")).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}
both_databases!(readyz_answers_503_while_a_migration_the_server_needs_is_not_applied);

async fn readyz_answers_503_when_the_migrations_cannot_be_read(app: TestApp) {
    run_sql(&app, "ALTER TABLE __diesel_schema_migrations RENAME TO held_back".to_string()).await;
    assert_not_ready(&app, "the database's migrations cannot be read").await;
    run_sql(&app, "ALTER TABLE held_back RENAME TO __diesel_schema_migrations".to_string()).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}
both_databases!(readyz_answers_503_when_the_migrations_cannot_be_read);

async fn migrations_beyond_the_servers_own_leave_it_ready(app: TestApp) {
    // A newer version, rolled out first, applied one more: this server still serves.
    run_sql(&app, "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')".to_string())
        .await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}
both_databases!(migrations_beyond_the_servers_own_leave_it_ready);

#[actix_web::test]
async fn readyz_answers_503_within_seconds_when_the_postgres_database_is_gone() {
    let Some(app) = TestApp::spawn_postgres().await else { return };
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let DatabaseTarget::Postgres { url } = &app.database else { unreachable!() };
    let name = url::Url::parse(url.expose_secret()).unwrap().path().trim_start_matches('/').to_string();
    let mut admin = PgConnection::establish(&postgres_admin_url()).expect("PostgreSQL reachable");
    admin.batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).expect("database dropped");

    let started = Instant::now();
    assert_not_ready(&app, "the database does not answer").await;
    assert!(started.elapsed() < Duration::from_secs(5), "answered after {:?}", started.elapsed());
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}
