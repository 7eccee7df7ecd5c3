use reqwest::StatusCode;

use crate::both_databases;
use crate::helpers::{Backend, Options, TestApp, location, test_epoch};
use monkeyci_accounts::clock::FixedClock;

both_databases! {
    async fn signing_in_renews_the_session_id(app) {
        // An anonymous session exists once the sign-in form has been shown.
        let token = app.csrf_token().await;
        let before = app.session_cookie().expect("anonymous session cookie");
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

    async fn signing_out_ends_the_session_for_every_copy_of_the_cookie(app) {
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

    async fn the_database_never_holds_the_cookie_key(app) {
        let app = app.signed_in("Ada").await;
        let cookie = app.session_cookie().unwrap();
        let html = app.get_html("/").await;
        assert!(!html.contains(&cookie));
        // Rows are keyed by a 64-hex-digit digest.
        assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions WHERE LENGTH(id) = 64").await, 1);
    }

    async fn the_session_cookie_is_http_only_and_same_site_lax(app) {
        let response = app.get("/login").await;
        let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        assert!(cookie.starts_with("monkeyci_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(cookie.contains("Path=/"));
        // Served over http: a Secure cookie would never come back.
        assert!(!cookie.contains("Secure"));
    }

    async fn looking_at_the_home_page_creates_no_session(app) {
        let response = app.get("/").await;
        assert!(response.headers().get("set-cookie").is_none());
        assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM sessions").await, 0);
    }
}

#[actix_web::test]
async fn over_https_the_cookie_is_secure_and_host_prefixed() {
    let mut options = Options::new(Backend::Sqlite);
    options.public_url = Some("https://accounts.example.com".parse().unwrap());
    let app = TestApp::spawn_with(options).await;
    let response = app.get("/login").await;
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-monkeyci_session="), "{cookie}");
    assert!(cookie.contains("Secure"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Domain="));
    assert!(response.headers().get("strict-transport-security").is_some());
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
