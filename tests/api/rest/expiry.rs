//! An expired key is refused with `expired_key` and a message that names its
//! last day (SPEC §2 "Validity"): a key valid until 2027-03-01 works up to
//! 2027-02-28 23:59:59 UTC. Expiry is checked against the clock on every
//! request, so a key hot in the cache is refused the second it expires.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::both_databases;

const EXPIRED: &str =
    "The API key expired: it was usable until the end of 28 Feb 2027 UTC. Create a new key.";

async fn an_expired_key_is_refused_with_its_last_day_even_when_hot_in_the_cache(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "2027-03-01").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "2027-03-01").await;
    let later = team.alice.new_key(ACME_KEYS, "Later", "2027-03-02").await;
    let keys = [Api::new(&app, &ci.full), Api::new(&app, &laptop.full)];
    let later_api = Api::new(&app, &later.full);
    for api in keys.iter().chain([&later_api]) {
        assert_eq!(api.whoami_status().await, (StatusCode::OK, None));
    }

    // Ten seconds before midnight the keys are verified again (the entries were
    // over 30 s old), and then stay hot in the cache.
    set_clock(&app, Utc.with_ymd_and_hms(2027, 2, 28, 23, 59, 50).unwrap());
    for api in &keys {
        assert_eq!(api.whoami_status().await, (StatusCode::OK, None));
    }
    set_clock(&app, Utc.with_ymd_and_hms(2027, 2, 28, 23, 59, 59).unwrap());
    for api in &keys {
        assert_eq!(api.whoami_status().await, (StatusCode::OK, None), "the last second of its last day");
    }
    let (_, list) = later_api.get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(list["keys"][1]["status"], "expires_soon");

    set_clock(&app, Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap());
    for api in &keys {
        for path in ["/api/v1/whoami", "/api/v1/orgs", "/api/v1/orgs/acme", "/api/v1/orgs/acme/keys"] {
            let response = api.get(path).await;
            assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"monkeyci\"");
            let body = assert_error(response, StatusCode::UNAUTHORIZED, "expired_key").await;
            assert_eq!(message(&body), EXPIRED, "{path}");
        }
        let (status, body) = api.post_json("/api/v1/user/keys", json!({"description": "Renewal"})).await;
        assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "expired_key"));
    }
    assert_eq!(
        later_api.whoami_status().await,
        (StatusCode::OK, None),
        "a key with a later date still works"
    );
    let (_, list) = later_api.get_json("/api/v1/orgs/acme/keys?status=all").await;
    let statuses: Vec<_> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["description"].clone(), k["status"].clone()))
        .collect();
    assert_eq!(statuses, [(json!("Later"), json!("expires_soon")), (json!("CI"), json!("expired"))]);

    // Days later: still refused, verified again or not.
    set_clock(&app, Utc.with_ymd_and_hms(2027, 3, 9, 8, 0, 0).unwrap());
    for api in &keys {
        assert_eq!(api.whoami_status().await, (StatusCode::UNAUTHORIZED, Some("expired_key".into())));
    }
    let body =
        assert_error(later_api.get("/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "expired_key").await;
    assert_eq!(
        message(&body),
        "The API key expired: it was usable until the end of 1 Mar 2027 UTC. Create a new key."
    );
    assert!(key_exists(&app, &ci.public_id).await, "expiry does not delete the key");
    assert_not_logged(&app, &[&ci, &laptop, &later]);
}
both_databases!(an_expired_key_is_refused_with_its_last_day_even_when_hot_in_the_cache, at_epoch);
