//! Prometheus metrics (SPEC §7), served at `GET /metrics` on their own address
//! (`MONKEYCI_METRICS_LISTEN`), never on the one people reach. Off by default:
//! then nothing is recorded at all.
//!
//! Each application has its own recorder rather than the `metrics` crate's
//! process-global one, so several instances in one process (the tests) keep
//! their series apart, and code reaches the recorder through [`Metrics`], not
//! through the crate's macros. Series known in advance are registered once and
//! their handles kept: counting a key check is one atomic increment. Requests
//! are counted by route template (`/o/{slug}`), never by raw path, which may
//! hold a token somebody pasted into a URL. Gauges (database pool, argon2
//! queue) are read when scraped.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpResponse, HttpServer, web};
use metrics::{Gauge, Key, KeyName, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::auth::key_auth::checks::{KeyCheck, KeyChecks};
use crate::mail::counts::MailCounts;
use crate::state::AppState;

const REQUESTS: &str = "monkeyci_http_requests_total";
const REQUEST_SECONDS: &str = "monkeyci_http_request_duration_seconds";
const KEY_CHECKS: &str = "monkeyci_api_key_checks_total";
const DB_CONNECTIONS: &str = "monkeyci_db_pool_connections";
const DB_MAX_CONNECTIONS: &str = "monkeyci_db_pool_max_connections";
const ARGON2_WAITING: &str = "monkeyci_argon2_waiting";
const ARGON2_RUNNING: &str = "monkeyci_argon2_running";
const ARGON2_SLOTS: &str = "monkeyci_argon2_slots";
const MAILS: &str = "monkeyci_emails_total";

/// Request durations, in seconds: from a cached key check to a slow page.
const LATENCY_BUCKETS: &[f64] =
    &[0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How often samples of the latency histogram are folded in when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// Read when scraped.
struct Gauges {
    db_in_use: Gauge,
    db_idle: Gauge,
    db_max: Gauge,
    argon2_waiting: Gauge,
    argon2_running: Gauge,
    argon2_slots: Gauge,
}

/// One application's recorder and the handles registered with it.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    key_checks: KeyChecks,
    mails: MailCounts,
    gauges: Gauges,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_string()), LATENCY_BUCKETS)
            .expect("the latency buckets are not empty")
            .build_recorder();
        let describe = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            recorder.describe_counter(KeyName::from_const_str(name), unit, SharedString::const_str(help));
        };
        describe(REQUESTS, None, "HTTP requests answered, by method, route template and status");
        describe(REQUEST_SECONDS, Some(Unit::Seconds), "Time to answer an HTTP request, by method and route");
        describe(KEY_CHECKS, None, "API-key checks, by outcome (and reason, for refusals)");
        describe(DB_CONNECTIONS, None, "Database pool connections, in use or idle");
        describe(DB_MAX_CONNECTIONS, None, "The most connections the database pool opens");
        describe(ARGON2_WAITING, None, "API-key checks waiting for an argon2 slot");
        describe(ARGON2_RUNNING, None, "argon2 hashes or checks running now");
        describe(ARGON2_SLOTS, None, "argon2 checks allowed at once");
        describe(
            MAILS,
            None,
            "E-mails handed to the SMTP server (outcome=sent) or failed attempts (outcome=failed)",
        );

        let key_checks =
            KeyChecks::new(KeyCheck::ALL.map(|check| {
                recorder.register_counter(&Key::from_parts(KEY_CHECKS, check.labels()), &METADATA)
            }));
        let mail_counter = |outcome: &'static str| {
            recorder.register_counter(
                &Key::from_parts(MAILS, vec![Label::from_static_parts("outcome", outcome)]),
                &METADATA,
            )
        };
        let mails = MailCounts::new(mail_counter("sent"), mail_counter("failed"));
        let gauge = |name: &'static str, labels: Vec<Label>| {
            recorder.register_gauge(&Key::from_parts(name, labels), &METADATA)
        };
        let gauges = Gauges {
            db_in_use: gauge(DB_CONNECTIONS, vec![Label::from_static_parts("state", "in_use")]),
            db_idle: gauge(DB_CONNECTIONS, vec![Label::from_static_parts("state", "idle")]),
            db_max: gauge(DB_MAX_CONNECTIONS, vec![]),
            argon2_waiting: gauge(ARGON2_WAITING, vec![]),
            argon2_running: gauge(ARGON2_RUNNING, vec![]),
            argon2_slots: gauge(ARGON2_SLOTS, vec![]),
        };
        let handle = recorder.handle();
        Arc::new(Metrics { recorder, handle, key_checks, mails, gauges })
    }

    /// The key-check counters, for the key authenticator.
    pub fn key_checks(&self) -> KeyChecks {
        self.key_checks.clone()
    }

    /// The e-mail counters, for the mail sender.
    pub fn mail_counts(&self) -> MailCounts {
        self.mails.clone()
    }

    /// Counts a request with its route template (`None`: no route matched) and
    /// status, and its time.
    pub fn record_request(&self, method: &Method, route: Option<String>, status: StatusCode, took: Duration) {
        let method = method_label(method);
        let route = route.map_or(SharedString::const_str("unmatched"), SharedString::from_owned);
        let labels = vec![
            Label::from_static_parts("method", method),
            Label::new("route", route.clone()),
            Label::new("status", status.as_str().to_owned()),
        ];
        self.recorder.register_counter(&Key::from_parts(REQUESTS, labels), &METADATA).increment(1);
        let labels = vec![Label::from_static_parts("method", method), Label::new("route", route)];
        self.recorder
            .register_histogram(&Key::from_parts(REQUEST_SECONDS, labels), &METADATA)
            .record(took.as_secs_f64());
    }

    /// The exposition, with the gauges read now.
    fn scrape(&self, state: &AppState) -> String {
        let pool = state.db.pool_state();
        self.gauges.db_in_use.set(pool.in_use);
        self.gauges.db_idle.set(pool.idle);
        self.gauges.db_max.set(pool.max);
        let argon2 = state.key_auth.argon2_load();
        self.gauges.argon2_waiting.set(argon2.waiting as f64);
        self.gauges.argon2_running.set(argon2.running as f64);
        self.gauges.argon2_slots.set(argon2.slots as f64);
        self.handle.render()
    }

    /// Folds the latency samples in every few seconds, so that they do not
    /// pile up while nobody scrapes.
    pub fn spawn_upkeep(self: &Arc<Self>) {
        let metrics = Arc::downgrade(self);
        actix_web::rt::spawn(async move {
            let mut ticks = actix_web::rt::time::interval(UPKEEP_EVERY);
            loop {
                ticks.tick().await;
                let Some(metrics) = metrics.upgrade() else { return };
                metrics.handle.run_upkeep();
            }
        });
    }
}

/// The standard methods by name; anything else a client invents is `other`,
/// so that it cannot grow the number of series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The metrics server: `GET /metrics` on its own socket, one worker. It stops
/// with the application (see `Application::run`), not on signals.
pub fn serve(
    listener: std::net::TcpListener,
    metrics: Arc<Metrics>,
    state: web::Data<AppState>,
) -> std::io::Result<Server> {
    let metrics = web::Data::from(metrics);
    let server = HttpServer::new(move || {
        App::new().app_data(metrics.clone()).app_data(state.clone()).route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

async fn scrape(metrics: web::Data<Metrics>, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(metrics.scrape(&state))
}
