//! A revoked key stops working at once (SPEC §2, §9): on the very next request
//! after a revocation through the API or the screens, however hot it was in the
//! cache, and is refused as revoked (`revoked_key`). A key removed behind the app's back (straight from the database) is
//! caught when its cache entry is revalidated, 30 s after it was loaded.

use chrono::Duration;
use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::keys::execute;

const INVALID: &str = "The API key is not valid: it was deleted, or it never existed.";

const REVOKED: &str = "The API key was revoked (by a person) at 28 Feb 2027 12:00 UTC. Create a new key.";

/// The next request with the key is refused as revoked.
async fn refused_as_revoked(app: &TestApp, token: &Token) {
    let api = Api::new(app, &token.full);
    let response = api.get("/api/v1/whoami").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"monkeyci\"");
    let body = assert_error(response, StatusCode::UNAUTHORIZED, "revoked_key").await;
    assert_eq!(message(&body), REVOKED);
    assert_error(api.get("/api/v1/orgs").await, StatusCode::UNAUTHORIZED, "revoked_key").await;
}

/// Uses the key twice, so that it is verified and then served from the cache.
async fn warm(app: &TestApp, token: &Token) {
    let api = Api::new(app, &token.full);
    for _ in 0..2 {
        assert_eq!(api.whoami_status().await, (StatusCode::OK, None), "{} works", token.hint());
    }
}

/// The next request with the key is refused as deleted.
async fn refused(app: &TestApp, token: &Token) {
    let api = Api::new(app, &token.full);
    let response = api.get("/api/v1/whoami").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"monkeyci\"");
    let body = assert_error(response, StatusCode::UNAUTHORIZED, "invalid_key").await;
    assert_eq!(message(&body), INVALID);
    assert_error(api.get("/api/v1/orgs").await, StatusCode::UNAUTHORIZED, "invalid_key").await;
}

async fn a_key_revoked_through_the_api_is_refused_on_the_very_next_request(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let spare = team.alice.new_key(USER_KEYS, "Spare", "").await;
    for token in [&ci, &deploy, &laptop, &spare] {
        warm(&app, token).await;
    }
    let org = Api::new(&app, &ci.full);
    let user = Api::new(&app, &laptop.full);

    assert_eq!(
        org.delete(&format!("/api/v1/orgs/acme/keys/{}", deploy.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    refused_as_revoked(&app, &deploy).await;
    assert_eq!(
        user.delete(&format!("/api/v1/user/keys/{}", spare.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    refused_as_revoked(&app, &spare).await;
    // A key may revoke itself, and that is its last request.
    assert_eq!(
        org.delete(&format!("/api/v1/orgs/acme/keys/{}", ci.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    refused_as_revoked(&app, &ci).await;
    assert_eq!(
        user.delete(&format!("/api/v1/user/keys/{}", laptop.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    refused_as_revoked(&app, &laptop).await;
    assert_eq!(key_count(&app).await, 4, "the rows stay, revoked");
    assert_not_logged(&app, &[&ci, &deploy, &laptop, &spare]);
}
both_databases!(a_key_revoked_through_the_api_is_refused_on_the_very_next_request, at_epoch);

async fn a_key_revoked_on_the_screens_is_refused_on_the_very_next_request(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let keep = team.alice.new_key(ACME_KEYS, "Keep", "").await;
    for token in [&ci, &laptop, &keep] {
        warm(&app, token).await;
    }
    team.alice.post_and_follow(&format!("{ACME_KEYS}/{}/delete", ci.public_id), &[], ACME_KEYS).await;
    refused_as_revoked(&app, &ci).await;
    team.alice.post_and_follow(&format!("{USER_KEYS}/{}/delete", laptop.public_id), &[], USER_KEYS).await;
    refused_as_revoked(&app, &laptop).await;
    assert_eq!(
        Api::new(&app, &keep.full).whoami_status().await,
        (StatusCode::OK, None),
        "the other key still works"
    );
    assert_not_logged(&app, &[&ci, &laptop, &keep]);
}
both_databases!(a_key_revoked_on_the_screens_is_refused_on_the_very_next_request, at_epoch);

async fn a_key_deleted_behind_the_apps_back_works_until_its_cache_entry_is_revalidated(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    for token in [&ci, &laptop, &mia_laptop] {
        warm(&app, token).await;
    }
    let mia = Api::new(&app, &mia_laptop.full);
    assert_eq!(mia.get("/api/v1/orgs/acme").await.status(), StatusCode::OK);

    // Straight from the database: no announcement, so the cache does not know.
    execute(
        &app,
        format!(
            "DELETE FROM api_keys WHERE public_id IN ({}, {})",
            quoted(&ci.public_id),
            quoted(&laptop.public_id)
        ),
    )
    .await;
    execute(&app, format!("DELETE FROM memberships WHERE user_id = {}", team.mia.id)).await;
    assert!(!key_exists(&app, &ci.public_id).await);

    for _ in 0..2 {
        assert_eq!(Api::new(&app, &ci.full).whoami_status().await, (StatusCode::OK, None), "cached");
        assert_eq!(Api::new(&app, &laptop.full).whoami_status().await, (StatusCode::OK, None), "cached");
        assert_eq!(mia.get("/api/v1/orgs/acme").await.status(), StatusCode::OK, "cached");
        app.advance_clock(Duration::seconds(14));
    }
    // 28 s: still the cached entries.
    assert_eq!(Api::new(&app, &ci.full).whoami_status().await, (StatusCode::OK, None));
    app.advance_clock(Duration::seconds(2));
    // 30 s: revalidated against the database.
    refused(&app, &ci).await;
    refused(&app, &laptop).await;
    assert_error(mia.get("/api/v1/orgs/acme").await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(mia.whoami_status().await, (StatusCode::OK, None), "Mia's key itself is still there");
    assert_not_logged(&app, &[&ci, &laptop, &mia_laptop]);
}
both_databases!(a_key_deleted_behind_the_apps_back_works_until_its_cache_entry_is_revalidated, at_epoch);
