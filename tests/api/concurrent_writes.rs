//! Many writers at once: every write waits its turn, none is refused, and
//! everything the server acknowledged is stored (issue 11: on SQLite, a
//! transaction that read before it wrote failed at once with "database is
//! locked" when another write slipped in between).

use futures_util::future::join_all;
use reqwest::{Response, StatusCode};

use crate::both_databases;
use crate::keys::{ACME_KEYS, Team, USER_KEYS, count, quoted};
use crate::rest::Api;
use crate::support::Browser;
use crate::support::TestApp;

/// What one concurrent request was, for the failure message.
type Outcome = (String, StatusCode);

async fn outcome(what: String, response: Response) -> Outcome {
    (what, response.status())
}

async fn a_hundred_writers_at_once_all_succeed_and_every_acknowledged_write_is_kept(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let org = Api::new(&app, &ci.full);
    let mut doomed = Vec::new();
    for i in 0..40 {
        doomed.push(org.create_key("/api/v1/orgs/acme/keys", &format!("Old {i}"), None).await.1);
    }
    // People who will ask to join at the same time.
    let mut askers = Vec::new();
    for i in 0..6 {
        askers.push(Browser::signed_in(&app, &format!("Asker {i}")).await);
    }

    let role_path = format!("/o/acme/settings/members/{}/role", team.mia.id);
    let mut requests: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Outcome>>>> = Vec::new();
    // 20 API creations and 40 API deletions of the organization's keys.
    for i in 0..20 {
        let org = &org;
        requests.push(Box::pin(async move {
            let body = serde_json::json!({ "description": format!("New {i}") });
            let response =
                org.request(reqwest::Method::POST, "/api/v1/orgs/acme/keys").json(&body).send().await;
            outcome(format!("API create New {i}"), response.expect("sent")).await
        }));
    }
    for (i, key) in doomed.iter().enumerate() {
        let org = &org;
        let path = format!("/api/v1/orgs/acme/keys/{}", key.public_id);
        requests.push(Box::pin(async move {
            outcome(format!("API delete Old {i}"), org.delete(&path).await).await
        }));
    }
    // Form posts: user keys from the screen, the organization renamed 24 times, a role changed.
    for i in 0..8 {
        let alice = &team.alice;
        requests.push(Box::pin(async move {
            let description = format!("Form {i}");
            outcome(format!("form add {description}"), alice.add_key(USER_KEYS, &description, "").await).await
        }));
    }
    for name in ["Bolt Labs", "Bolt Labs Inc", "Bolt"].repeat(8) {
        let bob = &team.bob;
        requests.push(Box::pin(async move {
            let response = bob.post("/o/bolt/settings/general", &[("name", name)]).await;
            outcome(format!("rename Bolt to {name}"), response).await
        }));
    }
    requests.push(Box::pin(async {
        outcome("Mia made admin".into(), team.alice.post(&role_path, &[("role", "admin")]).await).await
    }));
    // Membership: six people ask to join at once; four more sign in for the first time.
    for asker in &askers {
        requests.push(Box::pin(async move {
            outcome(format!("{} asks to join", asker.name), asker.post("/o/acme/join-requests", &[]).await)
                .await
        }));
    }
    for i in 0..4 {
        let app = &app;
        requests.push(Box::pin(async move {
            let visitor = Browser::anonymous(app).await;
            let response = visitor.post("/auth/dev/login", &[("name", &format!("Newcomer {i}"))]).await;
            outcome(format!("Newcomer {i} signs in"), response).await
        }));
    }

    let outcomes = join_all(requests).await;
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|(what, status)| {
            let expected = if what.starts_with("API create") {
                StatusCode::CREATED
            } else if what.starts_with("API delete") {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::SEE_OTHER
            };
            *status != expected
        })
        .collect();
    assert!(failed.is_empty(), "refused while others wrote: {failed:?}\n{}", app.logs());

    // Everything acknowledged is there, everything revoked is marked so.
    for key in &doomed {
        assert!(crate::keys::key_revoked(&app, &key.public_id).await, "Old key {} revoked", key.hint());
    }
    let described =
        |like: &str| format!("SELECT COUNT(*) AS n FROM api_keys WHERE description LIKE {}", quoted(like));
    assert_eq!(count(&app, described("New %")).await, 20);
    assert_eq!(count(&app, described("Form %")).await, 8);
    let revoked = "SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL".to_string();
    assert_eq!(count(&app, revoked).await, 40);
    let audit =
        |action: &str| format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = {}", quoted(action));
    assert_eq!(count(&app, audit("api_key.created")).await, 1 + 40 + 20);
    assert_eq!(count(&app, audit("api_key.revoked")).await, 40);
    let pending = "SELECT COUNT(*) AS n FROM join_requests WHERE status = 'pending'".to_string();
    assert_eq!(count(&app, pending).await, 6);
    let newcomers = "SELECT COUNT(*) AS n FROM users WHERE display_name LIKE 'Newcomer %'".to_string();
    assert_eq!(count(&app, newcomers).await, 4);
    let mia_role =
        format!("SELECT COUNT(*) AS n FROM memberships WHERE user_id = {} AND role = 'admin'", team.mia.id);
    assert_eq!(count(&app, mia_role).await, 1);
    assert!(!app.logs().contains("database is locked"), "{}", app.logs());
}
both_databases!(a_hundred_writers_at_once_all_succeed_and_every_acknowledged_write_is_kept, at_epoch);
