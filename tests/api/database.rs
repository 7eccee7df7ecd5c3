//! What the server insists on about its database handle and its contents.

use std::sync::Arc;

use reqwest::StatusCode;

use crate::both_databases;
use crate::keys::{Team, USER_KEYS, execute};
use crate::rest::Api;
use crate::support::TestApp;

async fn a_second_access_change_hook_is_refused_not_ignored(app: TestApp) {
    // The app's key cache registered the one hook at start; another would
    // never hear a change, so registering it is an error the caller sees.
    let refused = app.db.on_access_change(Arc::new(|_| {}));
    let error = refused.expect_err("a second hook is refused");
    assert!(error.to_string().contains("already"), "{error}");
    // A clone of the handle is the same handle.
    assert!(app.db.clone().on_access_change(Arc::new(|_| {})).is_err());
}
both_databases!(a_second_access_change_hook_is_refused_not_ignored);

async fn a_stored_role_the_server_does_not_know_is_an_error_wherever_it_is_read(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.mia.new_key(USER_KEYS, "Laptop", "").await;
    execute(&app, format!("UPDATE memberships SET role = 'owner' WHERE user_id = {}", team.mia.id)).await;

    // Not "not a member" (404), not "member" (200): a server error, each time.
    for (who, path) in [(&team.mia, "/o/acme"), (&team.mia, "/"), (&team.alice, "/o/acme/settings/members")] {
        assert_eq!(who.get(path).await.status(), StatusCode::INTERNAL_SERVER_ERROR, "{} {path}", who.name);
    }
    let (status, body) = Api::new(&app, &laptop.full).get_json("/api/v1/whoami").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal"))
    );
    let logs = app.logs();
    let logged = logs.lines().filter(|l| l.contains("memberships.role holds `owner`")).count();
    assert_eq!(logged, 4, "every failure is logged with its cause:\n{logs}");
    // The others' memberships are read as before.
    assert_eq!(team.bob.get("/o/bolt").await.status(), StatusCode::OK);
}
both_databases!(a_stored_role_the_server_does_not_know_is_an_error_wherever_it_is_read);

async fn the_server_refuses_to_start_on_a_database_with_roles_it_does_not_know(app: TestApp) {
    let team = Team::new(&app).await;
    let (mia, bob) = (team.mia.id, team.bob.id);
    execute(&app, format!("UPDATE memberships SET role = 'owner' WHERE user_id IN ({mia}, {bob})")).await;

    let error = app.sibling_start_error().await;
    assert_eq!(
        format!("{error:#}"),
        "the memberships table holds 2 rows with a role this server does not know \
             (it knows admin and member): correct the role column, then start the server"
    );
    // Corrected, it starts.
    execute(&app, "UPDATE memberships SET role = 'member' WHERE role = 'owner'".to_string()).await;
    let other = app.spawn_sibling().await;
    assert_eq!(other.get("/healthz").await.status(), StatusCode::OK);
}
both_databases!(the_server_refuses_to_start_on_a_database_with_roles_it_does_not_know);
