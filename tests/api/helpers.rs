//! The test harness: the real application on a random port with a fresh database,
//! and a client that keeps cookies and does not follow redirects.
//!
//! Every test runs twice, on SQLite and on PostgreSQL (`TEST_DATABASE_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`, where a fresh database
//! is created per test and dropped after it). When PostgreSQL cannot be reached
//! the PostgreSQL runs are skipped, unless `TEST_REQUIRE_POSTGRES=1`, which the
//! project's test command sets so that CI cannot skip them silently.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use monkeyci_accounts::clock::{Clock, FixedClock, SystemClock};
use monkeyci_accounts::config::{DatabaseTarget, Platforms, Settings};
use monkeyci_accounts::db::Db;
use monkeyci_accounts::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use url::Url;

/// Runs each test body once per database: `mod <name> { fn sqlite(); fn postgres(); }`.
#[macro_export]
macro_rules! both_databases {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                $body
            }

            #[actix_web::test]
            async fn postgres() {
                let Some($app) = $crate::helpers::TestApp::spawn_postgres().await else { return };
                $body
            }
        }
    )*};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Options for starting an app differently from the default.
pub struct Options {
    pub backend: Backend,
    pub clock: Option<FixedClock>,
    pub public_url: Option<Url>,
    /// Sign-in platforms (pointed at stand-ins); none means development sign-in.
    pub platforms: Platforms,
    /// Failed API-key attempts allowed per client address and minute (`None`: the default).
    pub api_failures_per_minute: Option<u32>,
    /// Proxies whose `X-Forwarded-For` is believed (networks like `127.0.0.1/32`).
    pub trusted_proxies: Vec<&'static str>,
}

impl Options {
    pub fn new(backend: Backend) -> Self {
        Options {
            backend,
            clock: None,
            public_url: None,
            platforms: Platforms::default(),
            api_failures_per_minute: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Removes the per-test database when the test ends.
enum DatabaseGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another instance's database: the first instance removes it.
    Shared,
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        if let DatabaseGuard::Postgres { admin_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub clock: Option<FixedClock>,
    /// The database this app runs on (shared by its siblings).
    pub database: DatabaseTarget,
    _database: DatabaseGuard,
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn postgres_required() -> bool {
    std::env::var("TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// A fixed instant for tests that move the clock.
pub fn test_epoch() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap()
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(Options::new(backend)).await
    }

    /// A PostgreSQL-backed app, or `None` (test skipped) when PostgreSQL is unreachable
    /// and not required.
    pub async fn spawn_postgres() -> Option<TestApp> {
        Self::spawn_with_postgres(Options::new(Backend::Postgres)).await
    }

    pub async fn spawn_with_postgres(options: Options) -> Option<TestApp> {
        if PgConnection::establish(&postgres_admin_url()).is_err() {
            assert!(!postgres_required(), "PostgreSQL is required but unreachable at TEST_DATABASE_URL");
            eprintln!("PostgreSQL unreachable: skipping the PostgreSQL run of this test");
            return None;
        }
        Some(Self::spawn_with(options).await)
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        let (target, guard) = fresh_database(options.backend);
        Self::start(options, target, guard).await
    }

    /// An app on a fresh database that `prepare` has filled first (as an older
    /// version of the app left it, say), so that its start runs the remaining
    /// migrations over those rows. `None` when PostgreSQL is skipped.
    pub async fn spawn_on_prepared(
        backend: Backend,
        prepare: impl FnOnce(&DatabaseTarget),
    ) -> Option<TestApp> {
        if backend == Backend::Postgres && PgConnection::establish(&postgres_admin_url()).is_err() {
            assert!(!postgres_required(), "PostgreSQL is required but unreachable at TEST_DATABASE_URL");
            eprintln!("PostgreSQL unreachable: skipping the PostgreSQL run of this test");
            return None;
        }
        let (target, guard) = fresh_database(backend);
        prepare(&target);
        Some(Self::start(Options::new(backend), target, guard).await)
    }

    /// Another instance of this app on the same database, as several servers share
    /// one PostgreSQL behind a load balancer. It shares this app's clock and has
    /// its own memory (key cache, rate limits); the database lives as long as this app.
    pub async fn spawn_sibling(&self) -> TestApp {
        let backend = match self.database {
            DatabaseTarget::Sqlite { .. } => Backend::Sqlite,
            DatabaseTarget::Postgres { .. } => Backend::Postgres,
        };
        let options = Options { clock: self.clock.clone(), ..Options::new(backend) };
        Self::start(options, self.database.clone(), DatabaseGuard::Shared).await
    }

    async fn start(options: Options, target: DatabaseTarget, guard: DatabaseGuard) -> TestApp {
        let mut settings = Settings::new(vec!["127.0.0.1:0".parse().unwrap()], target.clone());
        settings.workers = Some(1);
        settings.public_url = options.public_url.clone();
        settings.platforms = options.platforms.clone();
        if let Some(per_minute) = options.api_failures_per_minute {
            settings.api_failures_per_minute = per_minute;
        }
        settings.trusted_proxies =
            options.trusted_proxies.iter().map(|net| net.parse().expect("a network")).collect();
        capture_logs();
        let clock: Arc<dyn Clock> = match &options.clock {
            Some(fixed) => Arc::new(fixed.clone()),
            None => Arc::new(SystemClock),
        };
        let app = Application::build_with_clock(settings, clock).await.expect("the app starts");
        let port = app.port();
        let db = app.db();
        actix_web::rt::spawn(app.run_until_stopped());
        let jar = Arc::new(Jar::default());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            db,
            client: client_with(jar.clone()),
            jar,
            clock: options.clock,
            database: target,
            _database: guard,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// A form POST as a browser sends it from one of our pages.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header("Origin", &self.address)
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }

    /// The same POST with the session's CSRF token added.
    pub async fn post_form_with_token(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token().await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(path, &all).await
    }

    /// The CSRF token of this client's session, read from a page's form.
    pub async fn csrf_token(&self) -> String {
        let html = self.get_html("/login").await;
        let html = if html.contains("csrf_token") { html } else { self.get_html("/settings/profile").await };
        csrf_token_in(&html).expect("a page with a CSRF token")
    }

    pub async fn sign_in(&self, name: &str) -> Response {
        self.post_form_with_token("/auth/dev/login", &[("name", name)]).await
    }

    /// Signs in and checks that it worked.
    pub async fn signed_in(self, name: &str) -> TestApp {
        let response = self.sign_in(name).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in redirects");
        self
    }

    pub async fn sign_out(&self) -> Response {
        self.post_form_with_token("/auth/logout", &[]).await
    }

    /// The value of the session cookie as the browser holds it now.
    pub fn session_cookie(&self) -> Option<String> {
        let url = Url::parse(&self.address).unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix("monkeyci_session=").map(str::to_string))
    }

    /// A new client (another browser) that sends exactly this session cookie.
    pub fn client_with_cookie(&self, cookie: &str) -> reqwest::Client {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            HeaderValue::from_str(&format!("monkeyci_session={cookie}")).unwrap(),
        );
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// Another browser: same server, no cookies.
    pub fn new_visitor(&self) -> (reqwest::Client, Arc<Jar>) {
        let jar = Arc::new(Jar::default());
        (client_with(jar.clone()), jar)
    }

    pub fn advance_clock(&self, by: chrono::Duration) {
        self.clock.as_ref().expect("started with a fixed clock").advance(by);
    }

    pub async fn count_sql(&self, sql: &'static str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.db
            .run(move |conn| diesel::sql_query(sql).get_result::<Count>(conn).map(|c| c.n))
            .await
            .expect("count query")
    }

    pub async fn execute_sql(&self, sql: &'static str) {
        self.db.run(move |conn| conn.batch_execute(sql)).await.expect("SQL runs");
    }
}

fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar)
        .build()
        .unwrap()
}

fn fresh_database(backend: Backend) -> (DatabaseTarget, DatabaseGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("monkeyci.db");
            let target = DatabaseTarget::Sqlite { path: path.to_string_lossy().into_owned() };
            (target, DatabaseGuard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let name = format!("monkeyci_test_{}", monkeyci_accounts::random::request_id());
            let mut admin = PgConnection::establish(&admin_url).expect("PostgreSQL reachable");
            admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("create test database");
            let mut url = Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            let target = DatabaseTarget::parse(url.as_str()).expect("postgres URL");
            (target, DatabaseGuard::Postgres { admin_url, name })
        }
    }
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_token_in(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&selector).find_map(|e| e.value().attr("value")).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The text of the first element matching a CSS selector.
pub fn text_of(html: &str, css: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).next().map(|e| e.text().collect::<String>().trim().to_string())
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Everything the apps of this test binary log, so tests can check that no token
/// or secret is ever written. Installed once, as the global subscriber.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,html5ever=off,selectors=off"))
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

/// All log output captured so far (of every test in this binary).
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}
