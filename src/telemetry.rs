//! Logging: the subscriber, and one line per request under a request id.
//!
//! Only the path is logged, never the query string: a query may carry an OAuth
//! code or a key somebody pasted there.

use std::io::IsTerminal;

use actix_web::HttpMessage;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-11-30T07:00:00Z  INFO request{id=… method=GET path=/}: served status=200`
    Text,
    /// One JSON object per line, with the request's fields (its `id` among them) under `span`.
    Json,
}

/// Logs to stderr (colours only on a terminal, when written as text); `RUST_LOG`
/// overrides the default level (`info`).
///
/// Lines are written by a background thread, so a request never waits for a
/// `write` to stderr; none are dropped (the queue blocks when full). Keep the
/// returned guard until the end of `main`: dropping it flushes what is queued.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
    // `try_init` fails only when a subscriber is already set (a second start in
    // one process): the first one stays.
    match format {
        LogFormat::Text => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_target(false)
                .with_writer(writer)
                .with_ansi(std::io::stderr().is_terminal())
                .try_init();
        }
        LogFormat::Json => {
            let _ = json_subscriber(filter, writer).try_init();
        }
    }
    guard
}

/// One JSON object per line: `timestamp`, `level`, the event's fields (`message`
/// among them) at the top, and the fields of the span it happened in under
/// `span`: for a request, `{"id": …, "method": …, "path": …, "name": "request"}`.
pub fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer)
        .finish()
}

/// The span around everything one application instance logs: `app{instance=…}`
/// when `Settings::instance_name` is set, otherwise a disabled span, which
/// changes nothing. Request spans open inside it; background work runs in it.
#[derive(Debug, Clone)]
pub struct InstanceSpan(pub tracing::Span);

impl InstanceSpan {
    pub fn new(name: Option<&str>) -> InstanceSpan {
        InstanceSpan(
            name.map_or_else(tracing::Span::none, |name| tracing::info_span!("app", instance = name)),
        )
    }
}

/// The id of the request being served; shown on the 500 page and sent as
/// `X-Request-Id`, as 16 hex digits. 64 random bits tell requests apart in logs;
/// not a secret, so from the thread's CSPRNG (seeded by the OS) rather than a
/// system call per request. A number, so that passing it around costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(u64);

impl RequestId {
    pub fn random() -> RequestId {
        RequestId(rand::random())
    }

    /// The header's value, made without formatting machinery (it is on every response).
    pub fn header_value(self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [0u8; 16];
        for (n, digit) in digits.iter_mut().enumerate() {
            *digit = HEX[((self.0 >> (60 - 4 * n)) & 0xf) as usize];
        }
        HeaderValue::from_bytes(&digits).expect("hex digits are a valid header value")
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The path with the secret part of any API key in it cut off: a token pasted
/// into a URL keeps its prefix and public id (`mci_org_<id>…`), which name the
/// key without exposing it. A percent-encoded token (`mci%5Forg%5F…`) is found
/// too: such a path is logged decoded.
pub fn without_secrets(path: &str) -> std::borrow::Cow<'_, str> {
    let holds_a_key = |text: &str| text.contains("mci_org_") || text.contains("mci_usr_");
    if path.contains('%') {
        match crate::percent::fully_decoded(path) {
            Some(decoded) if holds_a_key(&decoded) => return cut_tokens(&decoded).into_owned().into(),
            Some(_) => {}
            // Encoded past any client's habit: logged as a placeholder, whatever it hides.
            None => return "(a path encoded too many times)".into(),
        }
    }
    if !holds_a_key(path) {
        return path.into();
    }
    cut_tokens(path)
}

fn cut_tokens(path: &str) -> std::borrow::Cow<'_, str> {
    const PREFIX_AND_ID: usize = 8 + 16;
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = ["mci_org_", "mci_usr_"].iter().filter_map(|p| rest.find(p)).min() {
        out.push_str(&rest[..at]);
        let token = &rest[at..];
        let run = token[8..].bytes().take_while(u8::is_ascii_alphanumeric).count() + 8;
        let kept = run.min(PREFIX_AND_ID);
        out.push_str(&token[..kept]);
        if run > kept {
            out.push('…');
        }
        rest = &token[run..];
    }
    out.push_str(rest);
    out.into()
}

/// One request's log: its id, its span (if it has one) and the line it ends
/// with. Started and finished by the request frame (`crate::web::request_frame`).
pub struct RequestLog {
    id: RequestId,
    span: tracing::Span,
    /// A probe or an asset: no line unless it fails.
    routine: bool,
    /// A successful API read or introspection: a debug line only.
    api_read: bool,
    /// No span at all (the health check, assets): a failure's line names the id itself.
    spanless: bool,
}

impl RequestLog {
    /// Gives `req` its id and opens its span inside `instance`'s.
    pub fn start(req: &ServiceRequest, instance: &tracing::Span) -> RequestLog {
        let id = RequestId::random();
        req.extensions_mut().insert(id);
        // Probes and assets are too frequent to be worth a line each; so are
        // successful API reads (a script may poll thousands a minute) and
        // introspections (a service asks about every call it gets, and they change
        // nothing): those are logged at debug level. Failures, refusals and every
        // change keep their line.
        let path = req.path();
        let routine = matches!(path, "/healthz" | "/readyz") || path.starts_with("/static/");
        let api_read = (req.method() == actix_web::http::Method::GET && path.starts_with("/api/"))
            || (req.method() == actix_web::http::Method::POST && path == "/api/v1/introspect");
        // Making the request span is most of what logging costs, above all
        // formatting its fields up front. The health check and the assets log
        // nothing of their own (a 5xx is logged with the id), so they have
        // none. An API read's span gets its method and path only when it is going
        // to be logged: lines logged while it runs carry its id.
        let spanless = path == "/healthz" || path.starts_with("/static/");
        let span = if spanless {
            tracing::Span::none()
        } else {
            instance.in_scope(|| {
                tracing::info_span!(
                    "request",
                    id = %id,
                    method = tracing::field::Empty,
                    path = tracing::field::Empty
                )
            })
        };
        if !api_read {
            name_the_request(&span, req.method(), path);
        }
        RequestLog { id, span, routine, api_read, spanless }
    }

    pub fn id(&self) -> RequestId {
        self.id
    }

    /// The span the request is served in.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Logs how the request ended, `elapsed` after it started, and names the
    /// response with its id (`X-Request-Id`).
    pub fn finish<B>(
        self,
        result: Result<ServiceResponse<B>, actix_web::Error>,
        elapsed: std::time::Duration,
    ) -> Result<ServiceResponse<B>, actix_web::Error> {
        let RequestLog { id, span, routine, api_read, spanless } = self;
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        let _entered = span.enter();
        match result {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let quiet = routine || (api_read && status < 400);
                if api_read && (status >= 500 || !quiet) {
                    name_the_request(&span, res.request().method(), res.request().path());
                }
                if spanless && status >= 500 {
                    let (method, path) = (res.request().method(), without_secrets(res.request().path()));
                    tracing::info!(id = %id, %method, %path, status, ms = format!("{elapsed_ms:.1}"), "served");
                } else if status >= 500 || !quiet {
                    tracing::info!(status, ms = format!("{elapsed_ms:.1}"), "served");
                } else if api_read {
                    tracing::debug!(status, ms = format!("{elapsed_ms:.1}"), "served");
                }
                res.headers_mut()
                    .insert(const { HeaderName::from_static("x-request-id") }, id.header_value());
                Ok(res)
            }
            Err(error) => {
                // A 503 (the database away) was logged with its cause where it was made.
                // (`id` is the span's field, and repeated here for a request without one.)
                let id = spanless.then(|| id.to_string());
                if error.as_response_error().status_code() == actix_web::http::StatusCode::SERVICE_UNAVAILABLE
                {
                    tracing::warn!(id, error = %format!("{error:#}"), "request failed");
                } else {
                    tracing::error!(id, error = %format!("{error:#}"), "request failed");
                }
                Err(error)
            }
        }
    }
}

/// The span's method and path (the path without secrets).
fn name_the_request(span: &tracing::Span, method: &actix_web::http::Method, path: &str) {
    span.record("method", tracing::field::display(method));
    span.record("path", tracing::field::display(without_secrets(path)));
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::{App, test as actix_test, web};

    use super::{json_subscriber, without_secrets};
    use crate::web::request_frame::RequestFrame;

    /// Collects what a subscriber writes.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[actix_web::test]
    async fn a_json_log_line_is_one_object_that_carries_the_request_id() {
        let written = Written::default();
        let sink = written.clone();
        let subscriber = json_subscriber(tracing_subscriber::EnvFilter::new("info"), move || sink.clone());
        // This thread's subscriber: the test runtime serves the request on it.
        let _default = tracing::subscriber::set_default(subscriber);
        let app = actix_test::init_service(
            App::new().wrap(RequestFrame::default()).route("/o/acme", web::get().to(|| async { "x" })),
        )
        .await;
        let response =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri("/o/acme?q=1").to_request())
                .await;
        let request_id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();

        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect();
        let served = lines.iter().find(|line| line["message"] == "served").expect(&text);
        assert_eq!(served["span"]["id"], request_id.as_str(), "{served}");
        assert_eq!(served["span"]["name"], "request");
        assert_eq!(served["span"]["path"], "/o/acme", "the path, never the query");
        assert_eq!(served["status"], 200);
        assert_eq!(served["level"], "INFO");
        assert!(served["timestamp"].is_string(), "{served}");
    }

    /// The JSON lines logged while `uri` is served by a route answering `status`.
    async fn lines_of(route: &str, uri: &str, status: u16) -> (Vec<serde_json::Value>, String) {
        let written = Written::default();
        let sink = written.clone();
        let subscriber = json_subscriber(tracing_subscriber::EnvFilter::new("info"), move || sink.clone());
        let _default = tracing::subscriber::set_default(subscriber);
        let status = actix_web::http::StatusCode::from_u16(status).unwrap();
        let app = actix_test::init_service(
            App::new()
                .wrap(RequestFrame::default())
                .route(route, web::get().to(move || async move { actix_web::HttpResponse::new(status) })),
        )
        .await;
        let response =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri(uri).to_request()).await;
        let request_id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        (text.lines().map(|line| serde_json::from_str(line).unwrap()).collect(), request_id)
    }

    #[actix_web::test]
    async fn a_successful_api_read_writes_no_line_at_info() {
        let (lines, _) = lines_of("/api/v1/whoami", "/api/v1/whoami", 200).await;
        assert!(lines.is_empty(), "{lines:?}");
    }

    #[actix_web::test]
    async fn a_refused_api_read_is_logged_with_its_id_method_and_path() {
        let (lines, request_id) = lines_of("/api/v1/whoami", "/api/v1/whoami?x=1", 401).await;
        let served = lines.iter().find(|line| line["message"] == "served").expect("a served line");
        assert_eq!(served["span"]["id"], request_id.as_str(), "{served}");
        assert_eq!(served["span"]["method"], "GET", "{served}");
        assert_eq!(served["span"]["path"], "/api/v1/whoami", "{served}");
        assert_eq!(served["status"], 401);
    }

    #[actix_web::test]
    async fn a_failing_health_check_is_logged_with_its_id_though_it_has_no_span() {
        let (lines, request_id) = lines_of("/healthz", "/healthz", 500).await;
        let served = lines.iter().find(|line| line["message"] == "served").expect("a served line");
        assert_eq!(served["id"], request_id.as_str(), "{served}");
        assert_eq!(served["path"], "/healthz", "{served}");
        let (lines, _) = lines_of("/healthz", "/healthz", 200).await;
        assert!(lines.is_empty(), "{lines:?}");
    }

    #[test]
    fn a_request_id_reads_the_same_in_its_header_and_in_the_log() {
        for _ in 0..100 {
            let id = super::RequestId::random();
            let text = id.to_string();
            assert_eq!(text.len(), 16);
            assert_eq!(id.header_value().to_str().unwrap(), text);
        }
    }

    #[test]
    fn a_token_in_a_path_keeps_only_its_prefix_and_public_id() {
        let token = format!("mci_org_{}{}{}", "A".repeat(16), "s".repeat(32), "c".repeat(6));
        let path = format!("/api/v1/orgs/acme/keys/{token}/x");
        assert_eq!(without_secrets(&path), format!("/api/v1/orgs/acme/keys/mci_org_{}…/x", "A".repeat(16)));
        assert_eq!(without_secrets("/o/acme/settings/api-keys"), "/o/acme/settings/api-keys");
        assert_eq!(without_secrets("/x/mci_usr_short"), "/x/mci_usr_short");
        let twice = format!("/{token}/{}", token.replace("org", "usr"));
        assert!(!without_secrets(&twice).contains("sss"));
        let encoded = format!("/api/v1/{}", token.replace('_', "%5F"));
        assert_eq!(without_secrets(&encoded), format!("/api/v1/mci_org_{}…", "A".repeat(16)));
        let twice_encoded = format!("/x/{}", token.replace('_', "%255F"));
        assert!(!without_secrets(&twice_encoded).contains("sss"));
        assert_eq!(without_secrets("/o/a%20b"), "/o/a%20b", "other paths are logged as they came");
    }
}
