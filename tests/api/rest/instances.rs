//! Several instances on one PostgreSQL database (SPEC §2, §9): a change made
//! on one instance reaches every other instance's cache within a second,
//! through `LISTEN/NOTIFY`. The clock stands still, so the 30 s revalidation
//! cannot be what makes these tests pass.

use std::time::Duration;

use reqwest::StatusCode;

use super::*;
use crate::keys::execute;
use crate::postgres_only;

const ONE_SECOND: Duration = Duration::from_secs(1);
const MEMBERS: &str = "/o/acme/settings/members";

/// Shows that `api`'s key is served from the other instance's cache: a change
/// made straight in the database (announced to nobody) stays unseen there.
/// Waits first for the notifications of earlier changes (the team's joins), so
/// that none of them forgets the entry in the middle.
async fn served_from_cache(app: &TestApp, api: &Api, token: &Token) {
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = api.get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let description = body["key"]["description"].as_str().unwrap().to_string();
    let sql =
        format!("UPDATE api_keys SET description = 'Renamed' WHERE public_id = {}", quoted(&token.public_id));
    execute(app, sql).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let (_, body) = api.get_json("/api/v1/whoami").await;
    assert_eq!(body["key"]["description"], description.as_str(), "the entry is cached");
}

async fn a_key_revoked_on_one_instance_is_refused_by_the_others_within_a_second(app: TestApp) {
    let other = app.spawn_sibling().await;
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;

    // Deleted through the API on the first instance.
    let on_other = Api::new(&other, &ci.full);
    served_from_cache(&app, &on_other, &ci).await;
    let response =
        Api::new(&app, &admin.full).delete(&format!("/api/v1/orgs/acme/keys/{}", ci.public_id)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let took = within(ONE_SECOND, "the other instance refuses the deleted key", || async {
        on_other.whoami_status().await == (StatusCode::UNAUTHORIZED, Some("revoked_key".into()))
    })
    .await;
    eprintln!("refused by the other instance after {took:?}");

    // Deleted on the screens of the first instance.
    let on_other = Api::new(&other, &laptop.full);
    served_from_cache(&app, &on_other, &laptop).await;
    team.alice.post_and_follow(&format!("{USER_KEYS}/{}/delete", laptop.public_id), &[], USER_KEYS).await;
    within(ONE_SECOND, "the other instance refuses the deleted user key", || async {
        on_other.whoami_status().await == (StatusCode::UNAUTHORIZED, Some("revoked_key".into()))
    })
    .await;

    // And the other way round: deleted on the second instance, refused by the first.
    let on_first = Api::new(&app, &admin.full);
    served_from_cache(&app, &on_first, &admin).await;
    let response =
        Api::new(&other, &admin.full).delete(&format!("/api/v1/orgs/acme/keys/{}", admin.public_id)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    within(ONE_SECOND, "the first instance refuses the key deleted on the second", || async {
        on_first.whoami_status().await == (StatusCode::UNAUTHORIZED, Some("revoked_key".into()))
    })
    .await;
    assert_not_logged(&app, &[&ci, &admin, &laptop]);
    assert_not_logged(&other, &[&ci, &admin, &laptop]);
}
postgres_only!(a_key_revoked_on_one_instance_is_refused_by_the_others_within_a_second, at_epoch);

async fn a_key_rolled_on_one_instance_stops_on_the_others_when_its_overlap_ends(app: TestApp) {
    let other = app.spawn_sibling().await;
    let team = Team::new(&app).await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy", "").await;
    let api = Api::new(&app, &admin.full);

    // Rolled with an hour's overlap on the first instance: the second keeps
    // serving it for the hour (the clock stands still), then refuses it at the
    // second the hour ends, by its own clock check.
    let on_other = Api::new(&other, &ci.full);
    served_from_cache(&app, &on_other, &ci).await;
    let (status, body) = api
        .post_json(
            &format!("/api/v1/orgs/acme/keys/{}/roll", ci.public_id),
            serde_json::json!({"overlap": "1h"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(on_other.whoami_status().await, (StatusCode::OK, None), "within the overlap");
    app.advance_clock(chrono::Duration::hours(1) - chrono::Duration::seconds(1));
    assert_eq!(on_other.whoami_status().await, (StatusCode::OK, None), "one second before its end");
    app.advance_clock(chrono::Duration::seconds(1));
    assert_eq!(on_other.whoami_status().await, (StatusCode::UNAUTHORIZED, Some("revoked_key".into())));
    let successor = Token::parse(body["token"].as_str().unwrap(), KeyKind::Organization);
    assert_eq!(Api::new(&other, &successor.full).whoami_status().await, (StatusCode::OK, None));

    // Rolled without overlap: refused by the other instance within a second.
    let on_other = Api::new(&other, &deploy.full);
    served_from_cache(&app, &on_other, &deploy).await;
    let (status, body) = api
        .post_json(
            &format!("/api/v1/orgs/acme/keys/{}/roll", deploy.public_id),
            serde_json::json!({"overlap": "0h"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    within(ONE_SECOND, "the other instance refuses the key rolled without overlap", || async {
        on_other.whoami_status().await == (StatusCode::UNAUTHORIZED, Some("revoked_key".into()))
    })
    .await;
}
postgres_only!(a_key_rolled_on_one_instance_stops_on_the_others_when_its_overlap_ends, at_epoch);

async fn a_membership_change_on_one_instance_reaches_the_others_within_a_second(app: TestApp) {
    let other = app.spawn_sibling().await;
    let team = Team::new(&app).await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let mia = Api::new(&other, &mia_laptop.full);
    served_from_cache(&app, &mia, &mia_laptop).await;
    assert_eq!(mia.get("/api/v1/orgs/acme").await.status(), StatusCode::OK);
    assert_eq!(mia.get("/api/v1/orgs/acme/keys").await.status(), StatusCode::FORBIDDEN);

    // Promoted on the first instance: key management on the second.
    team.alice
        .post_and_follow(&format!("{MEMBERS}/{}/role", team.mia.id), &[("role", "admin")], MEMBERS)
        .await;
    within(ONE_SECOND, "the promotion reaches the other instance", || async {
        mia.get("/api/v1/orgs/acme/keys").await.status() == StatusCode::OK
    })
    .await;

    // Removed on the first instance: the organization is gone on the second.
    team.alice.post_and_follow(&format!("{MEMBERS}/{}/remove", team.mia.id), &[], MEMBERS).await;
    within(ONE_SECOND, "the removal reaches the other instance", || async {
        mia.get("/api/v1/orgs/acme").await.status() == StatusCode::NOT_FOUND
    })
    .await;
    let (status, body) = mia.get_json("/api/v1/orgs").await;
    assert_eq!((status, body["organizations"].clone()), (StatusCode::OK, serde_json::json!([])));
    assert_eq!(mia.whoami_status().await, (StatusCode::OK, None), "the key itself still works");
    assert_not_logged(&app, &[&mia_laptop]);
    assert_not_logged(&other, &[&mia_laptop]);
}
postgres_only!(a_membership_change_on_one_instance_reaches_the_others_within_a_second, at_epoch);

async fn a_lost_notification_channel_drops_the_whole_cache(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &ci.full);
    served_from_cache(&app, &api, &ci).await;
    // Deleted behind the app's back: nobody is told, the entry stays...
    execute(&app, format!("DELETE FROM api_keys WHERE public_id = {}", quoted(&ci.public_id))).await;
    assert_eq!(api.whoami_status().await, (StatusCode::OK, None));
    // ...until the listening connection is lost: notifications may have been
    // missed, so everything cached is forgotten.
    let killed = crate::keys::count(
        &app,
        "SELECT COUNT(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND (query LIKE 'LISTEN%' OR query = 'SELECT 1')) AS t"
            .to_string(),
    )
    .await;
    assert!(killed >= 1, "the listener's connection was found");
    let took = within(Duration::from_secs(2), "the cache is dropped", || async {
        match api.whoami_status().await {
            (StatusCode::OK, None) => false,
            (StatusCode::UNAUTHORIZED, Some(code)) if code == "invalid_key" => true,
            other => panic!("{other:?}"),
        }
    })
    .await;
    eprintln!("cache dropped after {took:?}");
    assert_not_logged(&app, &[&ci]);
}
postgres_only!(a_lost_notification_channel_drops_the_whole_cache, at_epoch);
