//! The harness's log capture (`TestApp::logs`): each app's log holds the lines
//! of its own requests and background work, and none of another app's.

use std::time::{Duration, Instant};

use monkeyci_accounts::db::DbKind;

use crate::both_databases;
use crate::platforms::request_id;
use crate::support::TestApp;

async fn each_app_logs_its_own_lines_and_no_other_apps(app: TestApp) {
    let other = app.spawn_sibling().await;
    let mine = request_id(&app.get("/no-such-page").await);
    let theirs = request_id(&other.get("/no-such-page").await);

    let (logs, other_logs) = (app.logs(), other.logs());
    assert!(logs.contains(&format!("id={mine}")) && logs.contains("status=404"), "{logs}");
    assert!(!logs.contains(&theirs), "the other app's request is not in this app's log:\n{logs}");
    assert!(other_logs.contains(&format!("id={theirs}")), "{other_logs}");
    assert!(!other_logs.contains(&mine), "{other_logs}");
    // What an app logs outside any request is its own too: the warning at start...
    for log in [&logs, &other_logs] {
        assert_eq!(log.matches("MONKEYCI_SESSION_SECRET is not set").count(), 1, "{log}");
    }
    // ...and, on PostgreSQL, the notification listener's thread.
    if app.db.kind() == DbKind::Postgres {
        let started = Instant::now();
        while !app.logs().contains("listening for access changes") {
            assert!(started.elapsed() < Duration::from_secs(5), "the listener's line: {}", app.logs());
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
both_databases!(each_app_logs_its_own_lines_and_no_other_apps);
