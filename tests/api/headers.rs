use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::both_databases;
use crate::support::TestApp;

fn assert_security_headers(headers: &HeaderMap, path: &str) {
    let csp = headers.get("content-security-policy").unwrap_or_else(|| panic!("CSP on {path}"));
    let csp = csp.to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff", "{path}");
    assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin", "{path}");
    assert!(headers.get("x-request-id").is_some(), "{path}");
}

/// JSON and probe answers: a policy that lets nothing run, load or frame them,
/// and no headers that only a document heeds.
fn assert_data_headers(headers: &HeaderMap, path: &str) {
    let csp = headers.get("content-security-policy").unwrap_or_else(|| panic!("CSP on {path}"));
    assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'", "{path}");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff", "{path}");
    assert_eq!(headers.get("cache-control").unwrap(), "no-store", "{path}");
    assert!(headers.get("x-request-id").is_some(), "{path}");
    assert!(headers.get("referrer-policy").is_none(), "{path}");
}

async fn every_page_carries_the_security_headers(app: TestApp) {
    for path in ["/", "/login", "/no-such-page"] {
        let response = app.get(path).await;
        assert_security_headers(response.headers(), path);
    }
    let app = app.signed_in("Ada").await;
    for path in ["/", "/settings/profile", "/no-such-page"] {
        let response = app.get(path).await;
        assert_security_headers(response.headers(), path);
    }
}
both_databases!(every_page_carries_the_security_headers);

async fn api_answers_and_probes_carry_the_data_headers(app: TestApp) {
    for path in ["/healthz", "/readyz", "/api/v1/whoami", "/api/v1/openapi.json", "/api/v1/no-such-thing"] {
        let response = app.get(path).await;
        assert_data_headers(response.headers(), path);
    }
}
both_databases!(api_answers_and_probes_carry_the_data_headers);

async fn signed_in_pages_are_never_cached(app: TestApp) {
    let app = app.signed_in("Ada").await;
    for path in ["/", "/settings/profile", "/no-such-page"] {
        let response = app.get(path).await;
        assert_eq!(response.headers().get("cache-control").unwrap(), "no-store", "{path}");
    }
}
both_databases!(signed_in_pages_are_never_cached);

async fn the_health_check_uses_no_session_and_writes_nothing(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let before = app.count_sql("SELECT COUNT(*) AS n FROM sessions").await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions").await, before);
}
both_databases!(the_health_check_uses_no_session_and_writes_nothing);

async fn versioned_assets_are_cached_for_a_year_and_compressed(app: TestApp) {
    let html = app.get_html("/").await;
    let start = html.find("/static/css/app.css?v=").expect("stylesheet link");
    let href: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let response = app.client.get(app.url(&href)).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").unwrap(), "text/css");
    assert_eq!(response.headers().get("cache-control").unwrap(), "public, max-age=31536000, immutable");
    assert_eq!(response.headers().get("content-encoding").unwrap(), "gzip");
    let etag = response.headers().get("etag").unwrap().clone();
    let again = app.client.get(app.url(&href)).header("If-None-Match", etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}
both_databases!(versioned_assets_are_cached_for_a_year_and_compressed);

async fn a_failing_session_store_gives_the_error_page_with_every_header(app: TestApp) {
    let app = app.signed_in("Ada").await;
    // The session store cannot be read (as when SQLite stays locked past the
    // busy timeout): the table is moved away under the running server.
    app.execute_sql("ALTER TABLE sessions RENAME TO sessions_away").await;
    for path in ["/settings/profile", "/", "/login"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(response.headers().get("retry-after").unwrap(), "5", "{path}");
        assert_security_headers(response.headers(), path);
        assert_eq!(response.headers().get("cache-control").unwrap(), "no-store", "{path}");
        let request_id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
        assert!(
            response.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"),
            "{path}"
        );
        let html = response.text().await.unwrap();
        assert_eq!(
            crate::support::text_of(&html, "h1").as_deref(),
            Some("Temporarily unavailable"),
            "{path}"
        );
        assert_eq!(
            crate::support::text_of(&html, ".request-id").as_deref(),
            Some(request_id.as_str()),
            "{path}: the page names the request id"
        );
    }
    app.execute_sql("ALTER TABLE sessions_away RENAME TO sessions").await;
    assert_eq!(app.get("/settings/profile").await.status(), StatusCode::OK, "and it recovers");
}
both_databases!(a_failing_session_store_gives_the_error_page_with_every_header);

async fn an_unknown_asset_is_a_404(app: TestApp) {
    assert_eq!(app.get("/static/nope.css").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), StatusCode::NOT_FOUND);
}
both_databases!(an_unknown_asset_is_a_404);
