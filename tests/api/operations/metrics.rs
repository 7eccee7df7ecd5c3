//! Prometheus metrics on their own address: requests by route template and
//! status, latency, key checks by outcome, the database pool and argon2. Each
//! app has its own recorder, so the counts here are this app's alone.

use std::collections::BTreeMap;

use reqwest::StatusCode;

use crate::keys::{Token, USER_KEYS};
use crate::rest::Api;
use crate::rest::junk::with_checksum;
use crate::support::Browser;
use crate::support::{Backend, Options, TestApp};

async fn spawn_with_metrics(backend: Backend) -> Option<TestApp> {
    let options = Options { metrics: true, ..Options::new(backend) };
    match backend {
        Backend::Sqlite => Some(TestApp::spawn_with(options).await),
        Backend::Postgres => TestApp::spawn_with_postgres(options).await,
    }
}

async fn scrape(app: &TestApp) -> Exposition {
    let address = app.metrics_address.as_ref().expect("metrics are on");
    let response = reqwest::get(format!("{address}/metrics")).await.expect("the metrics server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    exposition::parse(&text).unwrap_or_else(|e| panic!("not the Prometheus text format: {e}\n{text}"))
}

use exposition::Exposition;

async fn requests_keys_and_pages_are_counted_by_template_and_outcome(backend: Backend) {
    let Some(app) = spawn_with_metrics(backend).await else { return };
    let ada = Browser::signed_in(&app, "Ada").await;
    let key: Token = ada.new_key(USER_KEYS, "Laptop", "").await;
    let api = Api::new(&app, &key.full);
    assert_eq!(api.get("/api/v1/whoami").await.status(), StatusCode::OK, "verified with argon2");
    assert_eq!(api.get("/api/v1/whoami").await.status(), StatusCode::OK, "from the cache");
    let wrong_secret = with_checksum(&format!("{}{}", &key.full[..24], "s".repeat(32)));
    assert_eq!(Api::new(&app, &wrong_secret).get("/api/v1/whoami").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(Api::new(&app, "mci_usr_nonsense").get("/api/v1/whoami").await.status(), 401);
    assert_eq!(app.get("/api/v1/whoami").await.status(), StatusCode::UNAUTHORIZED, "no key at all");
    // A token pasted into paths: counted under the route's template, or as unmatched.
    ada.get(&format!("/o/{}", key.full)).await;
    app.get(&format!("/no/such/page/{}", key.full)).await;
    app.get("/readyz").await;

    let metrics = scrape(&app).await;
    assert!(!metrics.text.contains(&key.secret), "no token in the metrics");
    assert!(!metrics.text.contains("mci_"), "no token in the metrics");

    let requests = |route: &str, status: &str| {
        metrics
            .value("monkeyci_http_requests_total", &[("method", "GET"), ("route", route), ("status", status)])
    };
    assert_eq!(requests("/api/v1/whoami", "200"), Some(2.0));
    assert_eq!(requests("/api/v1/whoami", "401"), Some(3.0));
    assert_eq!(requests("/readyz", "200"), Some(1.0));
    assert!(requests("/o/{slug}", "404").is_some(), "{}", metrics.text);
    assert!(
        metrics.samples.iter().any(|s| s.name == "monkeyci_http_requests_total"
            && s.labels.get("route").map(String::as_str) == Some("unmatched")),
        "{}",
        metrics.text
    );
    assert_eq!(metrics.family_type("monkeyci_http_requests_total"), Some("counter"));

    assert_eq!(metrics.family_type("monkeyci_http_request_duration_seconds"), Some("histogram"));
    let whoami = [("method", "GET"), ("route", "/api/v1/whoami")];
    assert_eq!(metrics.value("monkeyci_http_request_duration_seconds_count", &whoami), Some(5.0));
    let infinite_bucket = [("method", "GET"), ("route", "/api/v1/whoami"), ("le", "+Inf")];
    assert_eq!(metrics.value("monkeyci_http_request_duration_seconds_bucket", &infinite_bucket), Some(5.0));

    let checks = |labels: &[(&str, &str)]| metrics.value("monkeyci_api_key_checks_total", labels);
    assert_eq!(checks(&[("outcome", "verified")]), Some(1.0));
    assert_eq!(checks(&[("outcome", "cache_hit")]), Some(1.0));
    assert_eq!(checks(&[("outcome", "refused"), ("reason", "wrong_secret")]), Some(1.0));
    assert_eq!(checks(&[("outcome", "refused"), ("reason", "malformed")]), Some(1.0));
    assert_eq!(checks(&[("outcome", "refused"), ("reason", "missing")]), Some(1.0));
    assert_eq!(
        checks(&[("outcome", "refused"), ("reason", "expired")]),
        Some(0.0),
        "every outcome is listed"
    );

    let in_use = metrics.value("monkeyci_db_pool_connections", &[("state", "in_use")]);
    let idle = metrics.value("monkeyci_db_pool_connections", &[("state", "idle")]).expect("idle connections");
    let max = metrics.value("monkeyci_db_pool_max_connections", &[]).expect("the pool's size");
    assert!(in_use.is_some() && idle >= 1.0 && max >= idle, "{}", metrics.text);
    assert_eq!(metrics.family_type("monkeyci_db_pool_connections"), Some("gauge"));
    assert_eq!(metrics.value("monkeyci_argon2_waiting", &[]), Some(0.0));
    assert_eq!(metrics.value("monkeyci_argon2_running", &[]), Some(0.0));
    assert!(metrics.value("monkeyci_argon2_slots", &[]).is_some_and(|n| n >= 1.0));
}

#[actix_web::test]
async fn requests_keys_and_pages_are_counted_by_template_and_outcome_on_sqlite() {
    requests_keys_and_pages_are_counted_by_template_and_outcome(Backend::Sqlite).await;
}

#[actix_web::test]
async fn requests_keys_and_pages_are_counted_by_template_and_outcome_on_postgres() {
    requests_keys_and_pages_are_counted_by_template_and_outcome(Backend::Postgres).await;
}

/// A busy key due for revalidation is read again once, not once per request in flight.
async fn requests_arriving_together_with_a_due_key_read_it_again_once(backend: Backend) {
    let with_metrics = |options: Options| Options { metrics: true, ..options };
    let Some(app) = crate::keys::spawn_at_epoch_with(backend, with_metrics).await else { return };
    let ada = Browser::signed_in(&app, "Ada").await;
    let key: Token = ada.new_key(USER_KEYS, "Laptop", "").await;
    let api = Api::new(&app, &key.full);
    assert_eq!(api.get("/api/v1/whoami").await.status(), StatusCode::OK, "verified with argon2");
    app.advance_clock(chrono::Duration::seconds(31));
    let callers: Vec<Api> = (0..16).map(|_| Api::new(&app, &key.full)).collect();
    let statuses =
        futures_util::future::join_all(callers.iter().map(|caller| caller.get("/api/v1/whoami"))).await;
    assert!(statuses.iter().all(|answer| answer.status() == StatusCode::OK));

    let metrics = scrape(&app).await;
    let checks = |outcome: &str| metrics.value("monkeyci_api_key_checks_total", &[("outcome", outcome)]);
    assert_eq!(checks("revalidated"), Some(1.0), "{}", metrics.text);
    assert_eq!(checks("cache_hit"), Some(15.0), "{}", metrics.text);
}

#[actix_web::test]
async fn requests_arriving_together_with_a_due_key_read_it_again_once_on_sqlite() {
    requests_arriving_together_with_a_due_key_read_it_again_once(Backend::Sqlite).await;
}

#[actix_web::test]
async fn requests_arriving_together_with_a_due_key_read_it_again_once_on_postgres() {
    requests_arriving_together_with_a_due_key_read_it_again_once(Backend::Postgres).await;
}

#[actix_web::test]
async fn metrics_are_served_on_their_own_address_only() {
    let app = spawn_with_metrics(Backend::Sqlite).await.unwrap();
    let metrics_address = app.metrics_address.clone().unwrap();
    assert_ne!(metrics_address, app.address);
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND, "not on the public address");
    let other = reqwest::get(format!("{metrics_address}/healthz")).await.unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "the metrics address serves metrics only");
    // Two apps in one process keep their own counts.
    let second = spawn_with_metrics(Backend::Sqlite).await.unwrap();
    app.get("/healthz").await;
    app.get("/healthz").await;
    second.get("/healthz").await;
    let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    assert_eq!(scrape(&app).await.value("monkeyci_http_requests_total", &healthz), Some(2.0));
    assert_eq!(scrape(&second).await.value("monkeyci_http_requests_total", &healthz), Some(1.0));
}

#[actix_web::test]
async fn without_an_address_there_are_no_metrics() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert!(app.metrics_address.is_none());
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

/// A strict reader of the Prometheus text exposition format (version 0.0.4):
/// names, labels and escapes, values, `# HELP` / `# TYPE` before their samples,
/// each family's samples together, and histograms whose buckets add up.
mod exposition {
    use super::*;

    #[derive(Debug)]
    pub struct Sample {
        pub name: String,
        pub labels: BTreeMap<String, String>,
        pub value: f64,
    }

    pub struct Exposition {
        pub text: String,
        pub samples: Vec<Sample>,
        types: BTreeMap<String, String>,
    }

    impl Exposition {
        /// The value of the sample with exactly these labels.
        pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
            let wanted: BTreeMap<String, String> =
                labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            self.samples.iter().find(|s| s.name == name && s.labels == wanted).map(|s| s.value)
        }

        pub fn family_type(&self, family: &str) -> Option<&str> {
            self.types.get(family).map(String::as_str)
        }
    }

    fn is_metric_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }

    fn is_label_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    fn parse_value(text: &str) -> Result<f64, String> {
        match text {
            "+Inf" => Ok(f64::INFINITY),
            "-Inf" => Ok(f64::NEG_INFINITY),
            "NaN" => Ok(f64::NAN),
            _ if text.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) => {
                text.parse().map_err(|_| format!("bad value `{text}`"))
            }
            _ => Err(format!("bad value `{text}`")),
        }
    }

    /// `{a="x",b="y"}` (a trailing comma allowed) → the labels, and the rest of the line.
    fn parse_labels(mut rest: &str) -> Result<(BTreeMap<String, String>, &str), String> {
        let mut labels = BTreeMap::new();
        rest = &rest[1..];
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                return Ok((labels, after));
            }
            let (name, after) = rest.split_once("=\"").ok_or_else(|| format!("bad label at `{rest}`"))?;
            if !is_label_name(name) {
                return Err(format!("bad label name `{name}`"));
            }
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        other => return Err(format!("bad escape {other:?} in label {name}")),
                    },
                    Some((i, '"')) => break i,
                    Some((_, c)) => value.push(c),
                    None => return Err(format!("unterminated value of label {name}")),
                }
            };
            if labels.insert(name.to_string(), value).is_some() {
                return Err(format!("label {name} twice"));
            }
            rest = &after[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    }

    /// The family a sample belongs to, given the declared types.
    fn family_of<'a>(name: &'a str, types: &BTreeMap<String, String>) -> &'a str {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = name.strip_suffix(suffix)
                && matches!(types.get(base).map(String::as_str), Some("histogram" | "summary"))
            {
                return base;
            }
        }
        name
    }

    pub fn parse(text: &str) -> Result<Exposition, String> {
        let mut samples = Vec::new();
        let mut types = BTreeMap::new();
        let mut helped = std::collections::BTreeSet::new();
        let mut families_seen: Vec<String> = Vec::new();
        for line in text.lines().map(|l| l.trim_end_matches('\r')) {
            if line.trim().is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let words: Vec<&str> = comment.trim_start().splitn(3, ' ').collect();
                match words.as_slice() {
                    ["TYPE", name, kind] => {
                        if !is_metric_name(name) {
                            return Err(format!("bad name in `{line}`"));
                        }
                        if !["counter", "gauge", "histogram", "summary", "untyped"].contains(kind) {
                            return Err(format!("unknown type in `{line}`"));
                        }
                        if families_seen.iter().any(|f| f == name) {
                            return Err(format!("TYPE after samples of {name}"));
                        }
                        if types.insert(name.to_string(), kind.to_string()).is_some() {
                            return Err(format!("two TYPE lines for {name}"));
                        }
                    }
                    ["HELP", name, ..] if !is_metric_name(name) || !helped.insert(name.to_string()) => {
                        return Err(format!("bad or repeated HELP: `{line}`"));
                    }
                    _ => {}
                }
                continue;
            }
            let name_end = line.find(['{', ' ']).ok_or_else(|| format!("no value in `{line}`"))?;
            let name = &line[..name_end];
            if !is_metric_name(name) {
                return Err(format!("bad metric name in `{line}`"));
            }
            let (labels, rest) = if line[name_end..].starts_with('{') {
                parse_labels(&line[name_end..])?
            } else {
                (BTreeMap::new(), &line[name_end..])
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let value = match fields.as_slice() {
                [value] => parse_value(value)?,
                [value, timestamp] if timestamp.parse::<i64>().is_ok() => parse_value(value)?,
                _ => return Err(format!("bad value part in `{line}`")),
            };
            let family = family_of(name, &types).to_string();
            match families_seen.last() {
                Some(last) if *last == family => {}
                _ if families_seen.contains(&family) => {
                    return Err(format!("the samples of {family} are not together"));
                }
                _ => families_seen.push(family),
            }
            samples.push(Sample { name: name.to_string(), labels, value });
        }
        check_histograms(&samples, &types)?;
        Ok(Exposition { text: text.to_string(), samples, types })
    }

    type Buckets = Vec<(f64, f64)>;

    /// Every series of a histogram: buckets with `le`, growing, the last `+Inf`
    /// and equal to `_count`; a `_sum`.
    fn check_histograms(samples: &[Sample], types: &BTreeMap<String, String>) -> Result<(), String> {
        for (family, _) in types.iter().filter(|(_, kind)| *kind == "histogram") {
            // Labels but `le` → (le, count) of each bucket.
            let mut series: BTreeMap<Vec<(String, String)>, Buckets> = BTreeMap::new();
            for sample in samples.iter().filter(|s| s.name == format!("{family}_bucket")) {
                let le = sample.labels.get("le").ok_or_else(|| format!("{family} bucket without le"))?;
                let rest = sample.labels.iter().filter(|(k, _)| *k != "le");
                let key = rest.map(|(k, v)| (k.clone(), v.clone())).collect();
                series.entry(key).or_default().push((parse_value(le)?, sample.value));
            }
            for (labels, buckets) in series {
                let in_order = buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
                let last = buckets.last().filter(|b| b.0 == f64::INFINITY);
                let find = |name: String| {
                    let wanted: BTreeMap<String, String> = labels.iter().cloned().collect();
                    samples.iter().find(|s| s.name == name && s.labels == wanted).map(|s| s.value)
                };
                let count = find(format!("{family}_count"));
                if !in_order || last.map(|b| b.1) != count || find(format!("{family}_sum")).is_none() {
                    return Err(format!("{family}{labels:?}: buckets {buckets:?}, count {count:?}"));
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_reader_refuses_what_prometheus_would() {
        let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\\\"\",y=\"\"} 3\n";
        assert_eq!(parse(good).unwrap().value("a_total", &[("x", "1\""), ("y", "")]), Some(3.0));
        for bad in [
            "a{x=\"1} 1",
            "1a 2",
            "a two",
            "a{x-y=\"1\"} 1",
            "a 1\nb 1\na 2",
            "a 1\n# TYPE a counter",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1",
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} is refused");
        }
    }
}
