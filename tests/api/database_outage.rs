//! The database going away (issue 11): requests are answered 503 with
//! `Retry-After` within about a second instead of hanging, and the server
//! recovers by itself when the database is back.
//!
//! Only PostgreSQL can be "away" while the server runs: the test's own
//! database refuses connections (`ALLOW_CONNECTIONS false`) and its sessions
//! are terminated, from an admin connection; the shared server keeps running.
//! A SQLite file has no such state, so there is no SQLite run.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use monkeyci_accounts::config::DatabaseTarget;
use reqwest::{Response, StatusCode};
use secrecy::ExposeSecret;

use crate::keys::{USER_KEYS, spawn_at_epoch};
use crate::rest::{Api, assert_error, within};
use crate::support::Browser;
use crate::support::{Backend, postgres_admin_url};

/// Turns connections to the named database off (terminating the open ones) or on again.
fn set_reachable(database: &str, reachable: bool) {
    let mut admin = PgConnection::establish(&postgres_admin_url()).expect("admin connection");
    admin
        .batch_execute(&format!("ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {reachable}"))
        .expect("ALTER DATABASE");
    if !reachable {
        admin
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{database}' AND pid <> pg_backend_pid()"
            ))
            .expect("terminate the database's sessions");
    }
}

/// Sends a request, timing it.
async fn timed(request: impl std::future::Future<Output = Response>) -> (Response, Duration) {
    let started = Instant::now();
    let response = request.await;
    (response, started.elapsed())
}

fn retry_after(response: &Response) -> Option<String> {
    response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn request_id(response: &Response) -> String {
    response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("a request id").to_string()
}

mod a_database_that_refuses_connections_gets_quick_503s_and_the_server_recovers_when_it_is_back {
    use super::*;

    #[actix_web::test]
    async fn postgres() {
        let Some(app) = spawn_at_epoch(Backend::Postgres).await else { return };
        let DatabaseTarget::Postgres { url } = &app.database else { unreachable!() };
        let database =
            url::Url::parse(url.expose_secret()).unwrap().path().trim_start_matches('/').to_string();
        let alice = Browser::signed_in(&app, "Alice").await;
        let laptop = alice.new_key(USER_KEYS, "Laptop", "").await;
        let api = Api::new(&app, &laptop.full);
        assert_eq!(api.whoami_status().await.0, StatusCode::OK, "the key is verified and cached");
        let visitor = Browser::anonymous(&app).await;

        set_reachable(&database, false);
        // A signed-in page: the session cannot be read.
        let (page, took) = timed(alice.get("/settings/api-keys")).await;
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(took < Duration::from_secs(2), "the page answered after {took:?}");
        assert_eq!(retry_after(&page).as_deref(), Some("5"));
        let id = request_id(&page);
        let html = page.text().await.unwrap();
        assert!(html.contains("<nav") || html.contains("<header"), "rendered in the layout: {html}");
        assert!(html.contains("cannot be reached") && html.contains(&id), "{html}");
        // A form whose handler needs the database: the error page in the layout too.
        let (signing_in, took) = timed(visitor.post("/auth/dev/login", &[("name", "Olga")])).await;
        assert_eq!(signing_in.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(took < Duration::from_secs(2), "the sign-in answered after {took:?}");
        assert_eq!(retry_after(&signing_in).as_deref(), Some("5"));
        let id = request_id(&signing_in);
        let html = signing_in.text().await.unwrap();
        assert!(html.contains("cannot be reached") && html.contains(&id), "{html}");
        // What needs no database still answers.
        assert_eq!(visitor.get("/login").await.status(), StatusCode::OK);
        assert_eq!(visitor.get("/healthz").await.status(), StatusCode::OK);
        // The API: JSON `unavailable`.
        let (listing, took) = timed(api.get("/api/v1/user/keys")).await;
        assert!(took < Duration::from_secs(2), "the API answered after {took:?}");
        assert_eq!(retry_after(&listing).as_deref(), Some("5"));
        assert_error(listing, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
        // Even a key verified moments ago: on losing its notification
        // connection the instance dropped its key cache (a revocation made
        // meanwhile would otherwise go unheard), so the key must be read again.
        let (whoami, took) = timed(api.get("/api/v1/whoami")).await;
        assert!(took < Duration::from_secs(2), "whoami answered after {took:?}");
        assert_error(whoami, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
        // Checks of one key take turns; once the database is known away, each
        // of several at once still answers without waiting for a connection.
        let started = Instant::now();
        let answers = futures_util::future::join_all((0..4).map(|_| api.get("/api/v1/whoami"))).await;
        let took = started.elapsed();
        assert!(answers.iter().all(|a| a.status() == StatusCode::SERVICE_UNAVAILABLE), "{answers:?}");
        assert!(took < Duration::from_millis(1500), "four whoami at once answered after {took:?}");

        set_reachable(&database, true);
        within(Duration::from_secs(3), "the page answers again", || async {
            alice.get("/settings/api-keys").await.status() == StatusCode::OK
        })
        .await;
        within(Duration::from_secs(3), "the API answers again", || async {
            api.get("/api/v1/user/keys").await.status() == StatusCode::OK
        })
        .await;
        assert_eq!(api.whoami_status().await.0, StatusCode::OK);
        let response = visitor.post("/auth/dev/login", &[("name", "Olga")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in works again");
        let logs = app.logs();
        assert!(!logs.contains("ERROR"), "503s are warnings, not errors:\n{logs}");
    }
}
