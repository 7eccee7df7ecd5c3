use reqwest::StatusCode;

use crate::both_databases;
use crate::support::{Backend, Options, TestApp, location, test_epoch};
use monkeyci_accounts::clock::FixedClock;
use monkeyci_accounts::config::{DatabaseTarget, GitHubSettings, OAuthApp};

async fn signing_in_renews_the_session_id(app: TestApp) {
    // A session exists (someone signed in on this browser before).
    let app = app.signed_in("Bea").await;
    let before = app.session_cookie().expect("a session cookie");
    let token = app.csrf_token().await;
    let response = app.post_form("/auth/dev/login", &[("name", "Ada"), ("csrf_token", &token)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = app.session_cookie().expect("signed-in session cookie");
    assert_ne!(before, after);

    // Whoever held the old cookie is not signed in (no session fixation).
    let old = app.client_with_cookie(&before);
    let response = old.get(app.url("/settings/profile")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login"));
    // The new one is.
    let new = app.client_with_cookie(&after);
    let response = new.get(app.url("/settings/profile")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
both_databases!(signing_in_renews_the_session_id);

async fn signing_out_ends_the_session_for_every_copy_of_the_cookie(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let cookie = app.session_cookie().unwrap();
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions WHERE user_id IS NOT NULL").await, 1);

    let response = app.sign_out().await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions WHERE user_id IS NOT NULL").await, 0);

    let replay = app.client_with_cookie(&cookie);
    let response = replay.get(app.url("/settings/profile")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login"));
}
both_databases!(signing_out_ends_the_session_for_every_copy_of_the_cookie);

async fn the_database_never_holds_the_cookie_key(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let cookie = app.session_cookie().unwrap();
    let html = app.get_html("/").await;
    assert!(!html.contains(&cookie));
    // Rows are keyed by a 64-hex-digit digest.
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions WHERE LENGTH(id) = 64").await, 1);
}
both_databases!(the_database_never_holds_the_cookie_key);

async fn the_session_cookie_is_http_only_and_same_site_lax(app: TestApp) {
    let response = app.sign_in("Ada").await;
    let cookie = set_cookie(&response, "monkeyci_session=").expect("signing in sets the session cookie");
    assert!(cookie.starts_with("monkeyci_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    // Served over http: a Secure cookie would never come back.
    assert!(!cookie.contains("Secure"));
}
both_databases!(the_session_cookie_is_http_only_and_same_site_lax);

async fn looking_at_the_home_page_creates_no_session(app: TestApp) {
    let response = app.get("/").await;
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions").await, 0);
}
both_databases!(looking_at_the_home_page_creates_no_session);

async fn anonymous_visitors_of_the_sign_in_page_cost_no_session_row(app: TestApp) {
    for _ in 0..30 {
        let (visitor, _jar) = app.new_visitor();
        let response = visitor.get(app.url("/login")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(set_cookie(&response, "monkeyci_session=").is_none(), "no session cookie");
        let cookie = set_cookie(&response, "monkeyci_csrf=").expect("the form's token comes in a cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
        let html = response.text().await.unwrap();
        let token = crate::support::csrf_token_in(&html).expect("the form has a token");
        assert!(cookie.starts_with(&format!("monkeyci_csrf={token};")), "the form's token is the cookie's");
    }
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions").await, 0);
    // The row is written at sign-in, with the token from the cookie.
    let app = app.signed_in("Ada").await;
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions").await, 1);
}
both_databases!(anonymous_visitors_of_the_sign_in_page_cost_no_session_row);

async fn an_anonymous_token_must_be_ours_and_match_the_cookie(app: TestApp) {
    let (visitor, _jar) = app.new_visitor();
    let html = visitor.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let own = crate::support::csrf_token_in(&html).unwrap();
    let (random, _mac) = own.split_once('.').expect("a value and its signature");
    let made_up = format!("{random}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let other = app.csrf_token().await;
    let attempts = [
        ("a made-up cookie and field", made_up.clone(), made_up.clone()),
        ("a field that is not the cookie's", own.clone(), other.clone()),
        ("no cookie", String::new(), own.clone()),
    ];
    for (what, cookie, field) in attempts {
        let mut request = reqwest::Client::new()
            .post(app.url("/auth/dev/login"))
            .header("Origin", &app.address)
            .form(&[("name", "Mallory"), ("csrf_token", &field)]);
        if !cookie.is_empty() {
            request = request.header("Cookie", format!("monkeyci_csrf={cookie}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM users").await, 0, "nobody signed in");
}
both_databases!(an_anonymous_token_must_be_ours_and_match_the_cookie);

/// The `Set-Cookie` header of the cookie whose name and `=` start it.
fn set_cookie(response: &reqwest::Response, prefix: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(prefix))
        .map(str::to_string)
}

#[actix_web::test]
async fn over_https_the_cookies_are_secure_and_host_prefixed() {
    let mut options = Options::new(Backend::Sqlite);
    options.public_url = Some("https://accounts.example.com".parse().unwrap());
    // Development sign-in is refused behind a public URL: a platform (never
    // reached here) is configured instead.
    options.platforms.github = Some(GitHubSettings {
        app: OAuthApp { client_id: "client".into(), client_secret: "secret".to_string().into() },
        url: "http://127.0.0.1:9/".parse().unwrap(),
        api_url: "http://127.0.0.1:9/".parse().unwrap(),
    });
    let app = TestApp::spawn_with(options).await;
    let response = app.get("/login").await;
    let csrf = set_cookie(&response, "__Host-monkeyci_csrf=").expect("the sign-in form's token cookie");
    assert!(csrf.contains("Secure") && csrf.contains("Path=/") && !csrf.contains("Domain="), "{csrf}");
    assert!(response.headers().get("strict-transport-security").is_some());
    // Starting a sign-in is what writes the session.
    let response = app.get("/auth/github/login").await;
    let cookie = set_cookie(&response, "__Host-monkeyci_session=").expect("the session cookie");
    assert!(cookie.contains("Secure"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Domain="));
}

async fn app_with_clock(backend: Backend) -> Option<TestApp> {
    let mut options = Options::new(backend);
    options.clock = Some(FixedClock::at(test_epoch()));
    match backend {
        Backend::Sqlite => Some(TestApp::spawn_with(options).await),
        Backend::Postgres => TestApp::spawn_with_postgres(options).await,
    }
}

async fn is_signed_in(app: &TestApp) -> bool {
    app.get("/settings/profile").await.status() == StatusCode::OK
}

async fn an_idle_session_ends_after_the_idle_timeout(backend: Backend) {
    let Some(app) = app_with_clock(backend).await else {
        return;
    };
    let app = app.signed_in("Ada").await;
    app.advance_clock(chrono::Duration::hours(7) + chrono::Duration::minutes(59));
    assert!(is_signed_in(&app).await, "still signed in just before the idle timeout");
    // That request pushed the idle expiry out again.
    app.advance_clock(chrono::Duration::hours(7) + chrono::Duration::minutes(59));
    assert!(is_signed_in(&app).await, "activity extends the session");
    app.advance_clock(chrono::Duration::hours(8) + chrono::Duration::seconds(1));
    assert!(!is_signed_in(&app).await, "signed out after 8 idle hours");
}

async fn a_busy_session_still_ends_after_the_absolute_timeout(backend: Backend) {
    let Some(app) = app_with_clock(backend).await else {
        return;
    };
    let app = app.signed_in("Ada").await;
    for _ in 0..(7 * 24 / 6) {
        assert!(is_signed_in(&app).await);
        app.advance_clock(chrono::Duration::hours(6));
    }
    assert!(!is_signed_in(&app).await, "signed out 7 days after sign-in despite activity");
}

#[actix_web::test]
async fn an_idle_session_ends_after_the_idle_timeout_sqlite() {
    an_idle_session_ends_after_the_idle_timeout(Backend::Sqlite).await;
}

#[actix_web::test]
async fn an_idle_session_ends_after_the_idle_timeout_postgres() {
    an_idle_session_ends_after_the_idle_timeout(Backend::Postgres).await;
}

#[actix_web::test]
async fn a_busy_session_still_ends_after_the_absolute_timeout_sqlite() {
    a_busy_session_still_ends_after_the_absolute_timeout(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_busy_session_still_ends_after_the_absolute_timeout_postgres() {
    a_busy_session_still_ends_after_the_absolute_timeout(Backend::Postgres).await;
}

/// Makes the `sessions` table refuse every write, as a full disk would.
async fn refuse_session_writes(app: &TestApp) {
    let sql = match app.database {
        DatabaseTarget::Sqlite { .. } => {
            "CREATE TRIGGER refuse_session_inserts BEFORE INSERT ON sessions \
               BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END; \
             CREATE TRIGGER refuse_session_updates BEFORE UPDATE ON sessions \
               BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
        }
        DatabaseTarget::Postgres { .. } => {
            "CREATE FUNCTION refuse_writes() RETURNS trigger AS $$ \
               BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ \
               LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_session_writes BEFORE INSERT OR UPDATE ON sessions \
               FOR EACH ROW EXECUTE FUNCTION refuse_writes();"
        }
    };
    app.execute_sql(sql).await;
}

async fn pages_are_served_while_sessions_cannot_be_written(backend: Backend) {
    let Some(app) = app_with_clock(backend).await else {
        return;
    };
    let app = app.signed_in("Ada").await;
    // (The first page shows, and so removes, the sign-in's one-time messages.)
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let (visitor, _jar) = app.new_visitor();
    refuse_session_writes(&app).await;
    // Two minutes on, the idle expiry is due to be pushed out: that write fails,
    // and the page is served all the same.
    app.advance_clock(chrono::Duration::minutes(2));
    for path in ["/", "/settings/profile", "/orgs"] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path} while writes fail");
    }
    let response = visitor.get(app.url("/login")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the sign-in page needs no write");
    assert!(app.logs().contains("could not extend a session's idle expiry"), "the failure is logged");

    // Signing in must write the session: it fails as an error page saying so.
    let html = response.text().await.unwrap();
    let token = crate::support::csrf_token_in(&html).unwrap();
    let response = visitor
        .post(app.url("/auth/dev/login"))
        .header("Origin", &app.address)
        .form(&[("name", "Bea"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("retry-after").is_some());
    assert!(response.headers().get("content-security-policy").is_some());
    let request_id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
    let html = response.text().await.unwrap();
    assert_eq!(crate::support::text_of(&html, ".request-id").as_deref(), Some(request_id.as_str()));
}

async fn reading_pages_writes_nothing_but_the_idle_expiry_once_a_minute(backend: Backend) {
    let Some(app) = app_with_clock(backend).await else {
        return;
    };
    let app = app.signed_in("Ada").await;
    let expiry = || async {
        crate::support::strings(&app, "SELECT CAST(expires_at AS TEXT) AS v FROM sessions".to_string()).await
    };
    let before = expiry().await;
    for _ in 0..5 {
        assert_eq!(app.get("/settings/profile").await.status(), StatusCode::OK);
    }
    assert_eq!(expiry().await, before, "reading within the minute writes nothing");
    app.advance_clock(chrono::Duration::seconds(61));
    assert_eq!(app.get("/settings/profile").await.status(), StatusCode::OK);
    assert_ne!(expiry().await, before, "the idle expiry moves after a minute");
}

#[actix_web::test]
async fn pages_are_served_while_sessions_cannot_be_written_on_sqlite() {
    pages_are_served_while_sessions_cannot_be_written(Backend::Sqlite).await;
}

#[actix_web::test]
async fn pages_are_served_while_sessions_cannot_be_written_on_postgres() {
    pages_are_served_while_sessions_cannot_be_written(Backend::Postgres).await;
}

#[actix_web::test]
async fn reading_pages_writes_nothing_but_the_idle_expiry_once_a_minute_on_sqlite() {
    reading_pages_writes_nothing_but_the_idle_expiry_once_a_minute(Backend::Sqlite).await;
}

#[actix_web::test]
async fn reading_pages_writes_nothing_but_the_idle_expiry_once_a_minute_on_postgres() {
    reading_pages_writes_nothing_but_the_idle_expiry_once_a_minute(Backend::Postgres).await;
}
