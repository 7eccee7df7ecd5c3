//! The test harness: the real application on a random port with a fresh database,
//! and a client that keeps cookies and does not follow redirects.
//!
//! Every test runs twice, on SQLite and on PostgreSQL (`TEST_DATABASE_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`, where a fresh database
//! is created per test and dropped after it). When PostgreSQL cannot be reached
//! the PostgreSQL runs are skipped, unless `TEST_REQUIRE_POSTGRES=1`, which the
//! project's test command sets so that CI cannot skip them silently.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use monkeyci_accounts::auth::argon2_pool::Argon2Pool;
use monkeyci_accounts::auth::introspection_clients::IntrospectionClients;
use monkeyci_accounts::clock::{Clock, FixedClock, SystemClock};
use monkeyci_accounts::config::{DatabaseTarget, PlatformSettings, Settings};
use monkeyci_accounts::db::Db;
use monkeyci_accounts::mail::SmtpUrl;
use monkeyci_accounts::shutdown::StopHandle;
use monkeyci_accounts::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use url::Url;

use super::csrf_token_in;

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
    pub platforms: PlatformSettings,
    /// Failed API-key attempts allowed per client address and minute (`None`: the default).
    pub api_failures_per_minute: Option<u32>,
    /// Proxies whose `X-Forwarded-For` is believed (networks like `127.0.0.1/32`).
    pub trusted_proxies: Vec<&'static str>,
    /// Serve Prometheus metrics on a port of their own ([`TestApp::metrics_address`]).
    pub metrics: bool,
    /// argon2 computations at once (`None`: the default, one per core).
    pub argon2_slots: Option<usize>,
    /// How long a graceful stop drains first (`None`: the default).
    pub shutdown_delay: Option<Duration>,
    /// `MONKEYCI_INTROSPECTION_CLIENTS` (`None`: introspection off).
    pub introspection_clients: Option<&'static str>,
    /// `MONKEYCI_GITHUB_SECRET_SCANNING_KEYS_URL` (`None`: the default, GitHub's).
    pub github_secret_scanning_keys_url: Option<Url>,
    /// `MONKEYCI_SMTP_URL` (`None`: no mail). The mail tasks then run every
    /// 100 ms (reminders every 200 ms) instead of every few seconds and every minute.
    pub smtp_url: Option<String>,
}

impl Options {
    pub fn new(backend: Backend) -> Self {
        Options {
            backend,
            clock: None,
            public_url: None,
            platforms: PlatformSettings::default(),
            api_failures_per_minute: None,
            trusted_proxies: Vec::new(),
            metrics: false,
            argon2_slots: None,
            shutdown_delay: None,
            introspection_clients: None,
            github_secret_scanning_keys_url: None,
            smtp_url: None,
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
    /// The failed-attempt allowance it was started with (its siblings get the same).
    api_failures_per_minute: Option<u32>,
    /// The introspection clients it was started with (its siblings get the same).
    introspection_clients: Option<&'static str>,
    /// The SMTP server it was started with (its siblings get the same).
    smtp_url: Option<String>,
    /// `http://127.0.0.1:PORT` of the metrics server, when started with `Options::metrics`.
    pub metrics_address: Option<String>,
    /// The app's argon2 slots, whose high-water mark tests read.
    pub argon2: Arc<Argon2Pool>,
    /// Stops the app as SIGTERM (`Graceful`) or SIGINT (`Prompt`) would.
    pub stop: StopHandle,
    /// What this app has logged (see [`TestApp::logs`]).
    log: AppLog,
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
        let options = Options {
            clock: self.clock.clone(),
            api_failures_per_minute: self.api_failures_per_minute,
            introspection_clients: self.introspection_clients,
            smtp_url: self.smtp_url.clone(),
            ..Options::new(backend)
        };
        Self::start(options, self.database.clone(), DatabaseGuard::Shared).await
    }

    /// Why another instance on the same database fails to start (panics if it starts).
    pub async fn sibling_start_error(&self) -> anyhow::Error {
        let mut settings = Settings::new(vec!["127.0.0.1:0".parse().unwrap()], self.database.clone());
        settings.workers = Some(1);
        match Application::build(settings).await {
            Ok(_) => panic!("the other instance started"),
            Err(error) => error,
        }
    }

    async fn start(options: Options, target: DatabaseTarget, guard: DatabaseGuard) -> TestApp {
        let log = AppLog::open();
        let mut settings = Settings::new(vec!["127.0.0.1:0".parse().unwrap()], target.clone());
        settings.instance_name = Some(log.instance.clone());
        settings.workers = Some(1);
        settings.public_url = options.public_url.clone();
        settings.platforms = options.platforms.clone();
        if let Some(per_minute) = options.api_failures_per_minute {
            settings.api_failures_per_minute = per_minute;
        }
        settings.argon2_concurrency = options.argon2_slots;
        if let Some(delay) = options.shutdown_delay {
            settings.shutdown.delay = delay;
        }
        settings.trusted_proxies =
            options.trusted_proxies.iter().map(|net| net.parse().expect("a network")).collect();
        if let Some(clients) = options.introspection_clients {
            settings.introspection_clients = Arc::new(IntrospectionClients::parse(clients).expect("clients"));
        }
        if let Some(url) = &options.github_secret_scanning_keys_url {
            settings.github_secret_scanning_keys_url = url.clone();
        }
        if let Some(url) = &options.smtp_url {
            settings.mail.smtp = Some(SmtpUrl::parse(url).expect("an SMTP URL"));
            settings.mail.send_every = Duration::from_millis(100);
            settings.mail.remind_every = Duration::from_millis(200);
        }
        if options.metrics {
            settings.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        }
        capture_logs();
        let clock: Arc<dyn Clock> = match &options.clock {
            Some(fixed) => Arc::new(fixed.clone()),
            None => Arc::new(SystemClock),
        };
        let app = Application::build_with_clock(settings, clock).await.expect("the app starts");
        let port = app.port();
        let metrics_address = app.metrics_addr().map(|addr| format!("http://{addr}"));
        let db = app.db();
        let argon2 = app.argon2();
        let stop = app.stop_handle();
        actix_web::rt::spawn(app.run());
        let jar = Arc::new(Jar::default());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            db,
            client: client_with(jar.clone()),
            jar,
            clock: options.clock,
            database: target,
            api_failures_per_minute: options.api_failures_per_minute,
            introspection_clients: options.introspection_clients,
            smtp_url: options.smtp_url,
            metrics_address,
            argon2,
            stop,
            log,
            _database: guard,
        }
    }

    /// Every line this app has logged so far, and no other app's: the lines
    /// its requests and its background work wrote (those inside its
    /// `app{instance=…}` span). Lines of libraries outside the app's work, of
    /// the test's own client or of stand-in servers are in no app's log.
    pub fn logs(&self) -> String {
        self.log.text()
    }

    /// The `MONKEYCI_SMTP_URL` it was started with.
    pub fn smtp_url(&self) -> Option<String> {
        self.smtp_url.clone()
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
            let name = format!("monkeyci_test_{}", monkeyci_accounts::random::unique_name());
            let mut admin = PgConnection::establish(&admin_url).expect("PostgreSQL reachable");
            admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("create test database");
            let mut url = Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            // The server is on this machine: no TLS. (libpq would otherwise try it
            // first on every connection, and OpenSSL's clean-up at process exit can
            // crash a pool thread still connecting to a database a test dropped.)
            if !url.query_pairs().any(|(key, _)| key == "sslmode") {
                url.query_pairs_mut().append_pair("sslmode", "disable");
            }
            let target = DatabaseTarget::parse(url.as_str()).expect("postgres URL");
            (target, DatabaseGuard::Postgres { admin_url, name })
        }
    }
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Installs, once, the global subscriber: [`per_app::Router`], which gives
/// each app its lines (read with [`TestApp::logs`]).
fn capture_logs() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("debug,html5ever=off,selectors=off"))
            .with(per_app::Router)
            .try_init();
    });
}

/// One app's log: its instance name (`Settings::instance_name`) and the
/// buffer [`per_app::Router`] fills. The buffer is forgotten with the app.
struct AppLog {
    instance: String,
    lines: Arc<std::sync::Mutex<String>>,
}

impl AppLog {
    fn open() -> AppLog {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let instance = format!("test-app-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let lines = Arc::new(std::sync::Mutex::new(String::new()));
        per_app::buffers().insert(instance.clone(), lines.clone());
        AppLog { instance, lines }
    }

    fn text(&self) -> String {
        self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Drop for AppLog {
    fn drop(&mut self) {
        per_app::buffers().remove(&self.instance);
    }
}

/// A tracing layer that writes each event into the buffer of the app whose
/// `app{instance=…}` span (made by `telemetry::InstanceSpan`) encloses it.
/// A line reads `LEVEL span{fields}:span{fields}: target: message field=value`.
mod per_app {
    use std::collections::HashMap;
    use std::fmt::Write;
    use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer};
    use tracing_subscriber::registry::LookupSpan;

    type Buffers = HashMap<String, Arc<Mutex<String>>>;

    /// Instance name → that app's buffer, for the apps alive now.
    pub(super) fn buffers() -> MutexGuard<'static, Buffers> {
        static BUFFERS: LazyLock<Mutex<Buffers>> = LazyLock::new(Mutex::default);
        BUFFERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) struct Router;

    /// The instance name, kept on an app span.
    struct Instance(String);

    /// A span's fields as text.
    struct Fields(String);

    /// Writes fields as `name=value`, the message first and bare; remembers `instance`.
    #[derive(Default)]
    struct Text {
        message: String,
        fields: String,
        instance: Option<String>,
    }

    impl Text {
        fn add(&mut self, field: &Field, value: &dyn std::fmt::Display) {
            match field.name() {
                "message" => {
                    let _ = write!(self.message, "{value}");
                }
                name => {
                    let gap = if self.fields.is_empty() { "" } else { " " };
                    let _ = write!(self.fields, "{gap}{name}={value}");
                }
            }
        }
    }

    impl Visit for Text {
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "instance" {
                self.instance = Some(value.to_string());
            }
            self.add(field, &value);
        }

        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.add(field, &format_args!("{value:?}"));
        }
    }

    impl<S> Layer<S> for Router
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let Some(span) = ctx.span(id) else { return };
            let mut text = Text::default();
            attrs.record(&mut text);
            let mut extensions = span.extensions_mut();
            if span.name() == "app"
                && let Some(instance) = text.instance.take()
            {
                extensions.insert(Instance(instance));
            }
            extensions.insert(Fields(text.fields));
        }

        fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
            let Some(span) = ctx.span(id) else { return };
            let mut text = Text::default();
            values.record(&mut text);
            if let Some(Fields(fields)) = span.extensions_mut().get_mut::<Fields>() {
                let gap = if fields.is_empty() || text.fields.is_empty() { "" } else { " " };
                let _ = write!(fields, "{gap}{}", text.fields);
            }
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let Some(scope) = ctx.event_scope(event) else { return };
            let mut instance = None;
            let mut spans = String::new();
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(Instance(name)) = extensions.get::<Instance>() {
                    instance = Some(name.clone());
                }
                let fields = extensions.get::<Fields>().map_or("", |f| f.0.as_str());
                let _ = write!(spans, "{}{{{fields}}}:", span.name());
            }
            let Some(instance) = instance else { return };
            let Some(buffer) = buffers().get(&instance).cloned() else { return };
            let mut text = Text::default();
            event.record(&mut text);
            let meta = event.metadata();
            let line =
                format!("{} {spans} {}: {} {}\n", meta.level(), meta.target(), text.message, text.fields);
            buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push_str(&line);
        }
    }
}
