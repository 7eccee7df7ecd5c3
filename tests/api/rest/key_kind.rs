//! A key's prefix must be its kind's. Anyone can put `mci_org_` in front of a
//! user key's public id and secret and recompute the checksum (the CRC covers the
//! prefix, but it is no secret); such a key is a bad key like any other: 401
//! `invalid_key`, one failed attempt against the address's allowance, whether the
//! real key is cached or not.

use chrono::Duration;
use reqwest::StatusCode;

use super::*;
use crate::both_databases;

/// `token`'s public id and secret behind `prefix`, with the checksum made to match.
fn relabelled(token: &Token, prefix: &str) -> String {
    junk::with_checksum(&format!("{prefix}{}{}", token.public_id, token.secret))
}

fn refused() -> (StatusCode, Option<String>) {
    (StatusCode::UNAUTHORIZED, Some("invalid_key".into()))
}

async fn a_key_with_the_other_kinds_prefix_is_refused_and_counted_as_a_failure(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop_as_org = Api::new(&app, &relabelled(&laptop, "mci_org_"));
    let ci_as_user = Api::new(&app, &relabelled(&ci, "mci_usr_"));

    // Not cached: the full check (database, argon2) refuses it.
    assert_eq!(laptop_as_org.whoami_status().await, refused());
    let response = laptop_as_org.get("/api/v1/orgs/acme/keys").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_key").await;

    // Cached: the real keys are verified and hot; the relabelled ones are still refused.
    let (laptop_api, ci_api) = (Api::new(&app, &laptop.full), Api::new(&app, &ci.full));
    assert_eq!(laptop_api.whoami_status().await, (StatusCode::OK, None));
    assert_eq!(ci_api.whoami_status().await, (StatusCode::OK, None));
    assert_eq!(ci_as_user.whoami_status().await, refused());

    // Each was a failed attempt: the allowance (3) is spent.
    let (status, body) = laptop_as_org.get_json("/api/v1/whoami").await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{body}");
    // The real keys, hot in the cache, keep working.
    assert_eq!(laptop_api.whoami_status().await, (StatusCode::OK, None));
    assert_eq!(ci_api.whoami_status().await, (StatusCode::OK, None));

    // Once the cache is due for revalidation and the allowance has refilled, the
    // relabelled key is still refused while the real one is read again.
    app.advance_clock(Duration::minutes(2));
    assert_eq!(ci_api.whoami_status().await, (StatusCode::OK, None));
    assert_eq!(ci_as_user.whoami_status().await, refused());
    assert_eq!(ci_as_user.get_json("/api/v1/user/keys").await.0, StatusCode::UNAUTHORIZED);
    assert_not_logged(&app, &[&laptop, &ci]);
}
both_databases!(
    a_key_with_the_other_kinds_prefix_is_refused_and_counted_as_a_failure,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(3), ..options }
);
