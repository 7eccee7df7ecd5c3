//! `Application`: the database, the middleware stack, the routes and the bound sockets.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use secrecy::ExposeSecret;
use tracing::Instrument;
use url::Url;

use crate::api;
use crate::auth::argon2_pool::Argon2Pool;
use crate::auth::key_auth::listener::{self, ListenerGuard};
use crate::auth::key_auth::{AuthSettings, KeyAuthenticator, usage};
use crate::auth::platforms::Platforms;
use crate::auth::secret_scanning_keys::GitHubSigningKeys;
use crate::auth::session_store::DbSessionStore;
use crate::clock::{Clock, SystemClock};
use crate::config::{DatabaseTarget, Settings, ShutdownSettings};
use crate::db::Db;
use crate::mail::sender::MailSender;
use crate::mail::transport;
use crate::monitoring::{self, Metrics};
use crate::services::api_keys::ApiKeys;
use crate::services::leaks::Leaks;
use crate::services::memberships::Memberships;
use crate::services::reminders::Reminders;
use crate::services::sign_in::SignIn;
use crate::shutdown::{self, Draining, StopHandle, StopRequests};
use crate::state::AppState;
use crate::telemetry;
use crate::web::csrf::csrf_guard;
use crate::web::error_pages::{not_found, render_error_pages};
use crate::web::request_frame::RequestFrame;
use crate::web::security_headers::ResponseHeaders;
use crate::web::{self as pages, assets, health};

/// How often sessions that can no longer be used are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_mins(10);

pub struct Application {
    server: Server,
    addrs: Vec<SocketAddr>,
    /// The Prometheus metrics server and its address, when metrics are on.
    metrics: Option<(Server, SocketAddr)>,
    state: web::Data<AppState>,
    /// Stops the PostgreSQL notification listener with the server.
    listener: Option<ListenerGuard>,
    /// The periodic clean-up, stopped with the server.
    sweeper: actix_web::rt::task::JoinHandle<()>,
    /// Writes the keys' request counts once a minute (and once more at the end).
    usage_flusher: actix_web::rt::task::JoinHandle<()>,
    /// The mail sender and the expiry reminders (none without SMTP), stopped with the server.
    mail_tasks: Vec<actix_web::rt::task::JoinHandle<()>>,
    stop_requests: StopRequests,
    draining: Draining,
    shutdown: ShutdownSettings,
    /// The span everything this instance logs sits in (see `telemetry::InstanceSpan`).
    span: tracing::Span,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        settings.check_dev_sign_in()?;
        let target = settings.database.clone();
        let db = actix_web::rt::task::spawn_blocking(move || Db::open(&target))
            .await
            .context("database set-up was interrupted")??;

        let listeners = settings
            .listen
            .iter()
            .map(|addr| TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let addrs = listeners.iter().map(TcpListener::local_addr).collect::<Result<Vec<_>, _>>()?;
        let metrics_listener = settings
            .metrics_listen
            .map(|addr| {
                TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr} for metrics"))
            })
            .transpose()?;
        let metrics = metrics_listener.as_ref().map(|_| Metrics::new());
        let public_url = match &settings.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{}", addrs[0]))?,
        };
        let public_origin = public_url.origin().ascii_serialization();

        let instance = telemetry::InstanceSpan::new(settings.instance_name.as_deref());
        let span = instance.0.clone();
        let session_key = if let Some(secret) = &settings.session_secret {
            Key::from(secret.expose_secret().as_bytes())
        } else {
            instance.0.in_scope(|| {
                tracing::warn!(
                    "MONKEYCI_SESSION_SECRET is not set: using a random one, so sessions end when \
                     the server restarts and cannot be shared between instances"
                );
            });
            Key::generate()
        };

        let platforms = Platforms::from_settings(&settings.platforms, &public_url)?;
        let argon2_slots = settings
            .argon2_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
        let argon2 = Arc::new(Argon2Pool::new(argon2_slots));
        let key_auth = KeyAuthenticator::new(
            db.clone(),
            clock.clone(),
            argon2.clone(),
            &AuthSettings {
                failures_per_minute: settings.api_failures_per_minute,
                checks: metrics.as_ref().map(|m| m.key_checks()).unwrap_or_default(),
            },
        )?;
        let listener = match &settings.database {
            DatabaseTarget::Postgres { url } => Some(
                listener::spawn(
                    url.expose_secret().to_string(),
                    Arc::downgrade(key_auth.cache()),
                    instance.0.clone(),
                )
                .context("cannot start the access-change listener")?,
            ),
            DatabaseTarget::Sqlite { .. } => None,
        };
        let state = web::Data::new(AppState {
            key_auth,
            introspection_clients: settings.introspection_clients.clone(),
            api_keys: ApiKeys { db: db.clone(), clock: clock.clone(), argon2: argon2.clone() },
            memberships: Memberships { db: db.clone(), clock: clock.clone() },
            leaks: Leaks { db: db.clone(), clock: clock.clone(), public_url: public_url.clone() },
            github_signing_keys: GitHubSigningKeys::new(
                settings.github_secret_scanning_keys_url.clone(),
                clock.clone(),
            )?,
            sign_in: SignIn { db: db.clone(), clock: clock.clone() },
            db: db.clone(),
            clock: clock.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
            public_origin,
            dev_sign_in: settings.dev_sign_in(),
            platforms,
            public_url,
            cookie_key: session_key.clone(),
        });
        let store = DbSessionStore::new(
            db.clone(),
            clock.clone(),
            settings.session_max_age.as_chrono(),
            settings.session_idle_timeout.as_chrono(),
        );
        let sweeper = spawn_sweeper(store.clone(), db.clone(), clock.clone(), instance.0.clone());
        let usage_flusher = usage::spawn_flusher(
            state.key_auth.usage().clone(),
            db.clone(),
            clock.clone(),
            instance.0.clone(),
        );
        let mail_tasks = spawn_mail_tasks(&settings, &state, metrics.as_deref(), &instance.0)?;
        let draining = Draining::default();
        let draining_data = web::Data::new(draining.clone());

        let https = state.is_https();
        let cookie_name = if https { "__Host-monkeyci_session" } else { "monkeyci_session" };
        // The cookie lives as long as a session may; the idle timeout is the
        // store's to enforce, so the cookie is sent again only when the state changes.
        let cookie_lifetime =
            actix_web::cookie::time::Duration::seconds(settings.session_max_age.whole_seconds());
        let app_state = state.clone();
        let request_metrics = metrics.clone().map(web::Data::from);
        let frame = RequestFrame::new(
            ResponseHeaders::new(state.clone(), draining.clone()),
            request_metrics.clone(),
            instance.0.clone(),
        );
        let mut server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(store.clone(), session_key.clone())
                .cookie_name(cookie_name.to_string())
                .cookie_secure(https)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_path("/".to_string())
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(cookie_lifetime)
                        .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            let mut app = App::new()
                .app_data(app_state.clone())
                .app_data(draining_data.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024));
            if let Some(metrics) = &request_metrics {
                app = app.app_data(metrics.clone());
            }
            app.wrap(frame.clone())
                .route("/healthz", web::get().to(health::healthz))
                .route("/readyz", web::get().to(health::readyz))
                .service(api::scope())
                .service(
                    web::scope("/static")
                        .wrap(Compress::default())
                        .route("/{path:.*}", web::get().to(assets::serve)),
                )
                .service(
                    web::scope("")
                        .wrap(from_fn(csrf_guard))
                        .wrap(from_fn(render_error_pages))
                        .wrap(sessions)
                        .configure(pages::pages)
                        .default_service(web::to(not_found)),
                )
        });
        // Stops are this application's to run (see `crate::shutdown`), not actix-web's.
        server = server.disable_signals().shutdown_timeout(settings.shutdown.timeout.as_secs());
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        for listener in listeners {
            server = server.listen(listener)?;
        }
        let metrics = match (metrics, metrics_listener) {
            (Some(metrics), Some(listener)) => {
                let addr = listener.local_addr()?;
                metrics.spawn_upkeep();
                Some((monitoring::serve(listener, metrics, state.clone())?, addr))
            }
            _ => None,
        };
        Ok(Application {
            server: server.run(),
            addrs,
            metrics,
            state,
            listener,
            sweeper,
            usage_flusher,
            mail_tasks,
            stop_requests: StopRequests::new(),
            draining,
            shutdown: settings.shutdown,
            span,
        })
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Where Prometheus metrics are served, when they are.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, addr)| *addr)
    }

    pub fn port(&self) -> u16 {
        self.addrs[0].port()
    }

    pub fn public_url(&self) -> &Url {
        &self.state.public_url
    }

    pub fn db(&self) -> Db {
        self.state.db.clone()
    }

    /// The argon2 slots (hashing and verifying): tests read their high-water mark.
    pub fn argon2(&self) -> Arc<Argon2Pool> {
        self.state.api_keys.argon2.clone()
    }

    /// Stops this application as SIGTERM or SIGINT would.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop_requests.handle()
    }

    /// Serves until SIGTERM or SIGINT (or a `stop_handle`) stops it gracefully
    /// (see `crate::shutdown`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.stop_requests.listen_for_signals()?;
        self.run().await
    }

    /// Serves until a `stop_handle` stops it; signals keep their usual effect.
    pub async fn run(self) -> std::io::Result<()> {
        let Application {
            server,
            metrics,
            listener,
            sweeper,
            usage_flusher,
            mail_tasks,
            stop_requests,
            draining,
            shutdown,
            span,
            state,
            ..
        } = self;
        let metrics = metrics.map(|(server, _)| {
            let handle = server.handle();
            actix_web::rt::spawn(server);
            handle
        });
        let result = shutdown::serve_until_stopped(server, stop_requests, draining, shutdown)
            .instrument(span.clone())
            .await;
        // Background work ends with the server: no clean-up, notification
        // listening or scraping outlives it.
        sweeper.abort();
        usage_flusher.abort();
        // The requests served since the last minute's flush are not lost.
        if let Err(e) = usage::flush(state.key_auth.usage(), &state.db).instrument(span.clone()).await {
            span.in_scope(|| tracing::warn!(error = %e, "could not write the keys' last request counts"));
        }
        for task in mail_tasks {
            task.abort();
        }
        drop(listener);
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        span.in_scope(|| tracing::info!("stopped"));
        result
    }
}

/// With `MONKEYCI_SMTP_URL`: the sender of queued mail and the expiry
/// reminders. Without it neither runs (see `services::reminders` for why the
/// reminders wait too).
fn spawn_mail_tasks(
    settings: &Settings,
    state: &AppState,
    metrics: Option<&Metrics>,
    span: &tracing::Span,
) -> anyhow::Result<Vec<actix_web::rt::task::JoinHandle<()>>> {
    let Some(smtp) = &settings.mail.smtp else {
        span.in_scope(|| tracing::info!("MONKEYCI_SMTP_URL is not set: no e-mail is sent"));
        return Ok(Vec::new());
    };
    let sender = MailSender {
        db: state.db.clone(),
        clock: state.clock.clone(),
        transport: smtp.transport()?,
        from: settings.mail.from.clone().unwrap_or_else(|| transport::default_from(&state.public_url)),
        counts: metrics.map(Metrics::mail_counts).unwrap_or_default(),
    };
    let reminders =
        Reminders { db: state.db.clone(), clock: state.clock.clone(), public_url: state.public_url.clone() };
    Ok(vec![
        sender.spawn(settings.mail.send_every, span.clone()),
        reminders.spawn(settings.mail.remind_every, span.clone()),
    ])
}

/// Removes what can no longer be used: ended sessions, key tokens whose page
/// was not opened in time (ciphertext, but no reason to keep it), and API keys
/// revoked or expired more than 90 days ago (at start, then every 10 minutes).
fn spawn_sweeper(
    store: DbSessionStore,
    db: Db,
    clock: Arc<dyn Clock>,
    span: tracing::Span,
) -> actix_web::rt::task::JoinHandle<()> {
    let sweep = async move {
        let mut ticks = actix_web::rt::time::interval(SESSION_SWEEP_EVERY);
        loop {
            ticks.tick().await;
            match store.delete_dead().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "ended sessions removed"),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "could not remove ended sessions");
                }
            }
            let now = clock.now_naive();
            match db.run(move |conn| crate::db::pending_tokens::delete_expired(conn, now)).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "unshown key tokens removed"),
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "could not remove unshown key tokens"),
            }
            match crate::services::key_purge::purge_inactive_keys(&db, clock.as_ref()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "API keys inactive for 90 days purged"),
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "could not purge inactive API keys"),
            }
            if db.kind() == crate::db::DbKind::Postgres {
                let now = clock.now_naive();
                if let Err(e) = db.run(move |conn| crate::db::failure_buckets::delete_full(conn, now)).await {
                    tracing::warn!(error = %format!("{e:#}"), "could not forget refilled failure allowances");
                }
            }
        }
    };
    actix_web::rt::spawn(sweep.instrument(span))
}
