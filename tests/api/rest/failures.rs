//! Failed key checks are limited per client address (SPEC §2): after the
//! allowance (here 3 a minute) a well-formed key is refused with 429 and
//! `Retry-After`, without any database or argon2 work, except a key already
//! verified and fresh in the cache, which keeps working. The allowance refills
//! with time (the app's clock).

use std::net::{IpAddr, Ipv4Addr};

use chrono::Duration;
use futures_util::future::join_all;
use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::support::sql::count;
use monkeyci_accounts::domain::api_key::generate;

/// An attempt with a right-shaped key that does not exist: a failure.
async fn unknown_key(app: &TestApp) -> reqwest::Response {
    Api::new(app, &generate(KeyKind::Organization).to_token_string()).get("/api/v1/whoami").await
}

/// Checks a 429 and returns its `Retry-After`.
async fn limited(response: reqwest::Response) -> String {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .expect("a Retry-After header")
        .to_string();
    let body = assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(
        message(&body),
        format!("Too many failed attempts from your address. Try again in {retry_after} s.")
    );
    retry_after
}

async fn failed_attempts_are_limited_per_address_until_the_allowance_refills(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let fresh = team.alice.new_key(ACME_KEYS, "Not used yet", "").await;
    let org = Api::new(&app, &ci.full);
    let user = Api::new(&app, &laptop.full);
    assert_eq!(org.whoami_status().await, (StatusCode::OK, None));
    assert_eq!(user.whoami_status().await, (StatusCode::OK, None));

    // Headers without a key at all are not attempts.
    for _ in 0..5 {
        assert_error(
            anonymous(&app, reqwest::Method::GET, "/api/v1/whoami").send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "missing_key",
        )
        .await;
    }
    for _ in 0..3 {
        assert_error(unknown_key(&app).await, StatusCode::UNAUTHORIZED, "invalid_key").await;
    }
    assert_eq!(limited(unknown_key(&app).await).await, "20");
    let wrong_secret = junk::with_checksum(&format!("{}{}", &ci.full[..24], "s".repeat(32)));
    limited(Api::new(&app, &wrong_secret).get("/api/v1/whoami").await).await;

    // Keys verified and hot in the cache keep working from the same address...
    assert_eq!(org.whoami_status().await, (StatusCode::OK, None));
    assert_eq!(org.get("/api/v1/orgs/acme/keys").await.status(), StatusCode::OK);
    let (created, _) = user.create_key("/api/v1/user/keys", "Made while limited", None).await;
    assert_eq!(created["description"], "Made while limited");
    // ...a key not verified yet waits like any other attempt...
    limited(Api::new(&app, &fresh.full).get("/api/v1/whoami").await).await;
    // ...and junk is still refused for what it is, never with a 500.
    let (status, _) = Api::new(&app, "junk").get_json("/api/v1/whoami").await;
    assert!([StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&status), "{status}");

    // Another address has its own allowance.
    let elsewhere =
        reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))).build().unwrap();
    let other = Api { client: elsewhere, ..Api::new(&app, &generate(KeyKind::User).to_token_string()) };
    assert_eq!(other.whoami_status().await, (StatusCode::UNAUTHORIZED, Some("invalid_key".into())));
    let other = Api { token: fresh.full.clone(), ..other };
    assert_eq!(other.whoami_status().await, (StatusCode::OK, None));

    // 20 s later, one attempt is back; then the limit holds again.
    app.advance_clock(Duration::seconds(20));
    assert_error(unknown_key(&app).await, StatusCode::UNAUTHORIZED, "invalid_key").await;
    assert_eq!(limited(unknown_key(&app).await).await, "20");
    assert_eq!(org.whoami_status().await, (StatusCode::OK, None), "still fresh in the cache");

    // A minute later the whole allowance is back.
    app.advance_clock(Duration::seconds(60));
    assert_eq!(Api::new(&app, &fresh.full).whoami_status().await, (StatusCode::OK, None));
    assert_eq!(org.whoami_status().await, (StatusCode::OK, None), "verified again");
    for _ in 0..3 {
        assert_error(unknown_key(&app).await, StatusCode::UNAUTHORIZED, "invalid_key").await;
    }
    limited(unknown_key(&app).await).await;
    assert_not_logged(&app, &[&ci, &laptop, &fresh]);
}
both_databases!(
    failed_attempts_are_limited_per_address_until_the_allowance_refills,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(3), ..options }
);

async fn many_valid_keys_used_for_the_first_time_at_once_from_one_address_are_all_let_in(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let alice = Api::new(&app, &laptop.full);
    let mut runners = Vec::new();
    for n in 0..12 {
        let (_, token) = alice.create_key("/api/v1/user/keys", &format!("Runner {n}"), None).await;
        runners.push(Api::new(&app, &token.full));
    }
    // Four times the allowance of 3, all at once from 127.0.0.1 (a CI farm behind a NAT).
    let answers = join_all(runners.iter().map(Api::whoami_status)).await;
    assert!(answers.iter().all(|answer| *answer == (StatusCode::OK, None)), "{answers:?}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM api_failure_buckets".into()).await,
        0,
        "no failure written"
    );
    // Nothing was spent: the whole allowance is still there for mistakes.
    for _ in 0..3 {
        assert_error(unknown_key(&app).await, StatusCode::UNAUTHORIZED, "invalid_key").await;
    }
    limited(unknown_key(&app).await).await;
}
both_databases!(
    many_valid_keys_used_for_the_first_time_at_once_from_one_address_are_all_let_in,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(3), ..options }
);

async fn guesses_sent_all_at_once_get_no_more_checks_than_the_allowance(app: TestApp) {
    let guesses: Vec<_> =
        (0..12).map(|_| Api::new(&app, &generate(KeyKind::Organization).to_token_string())).collect();
    let answers = join_all(guesses.iter().map(Api::whoami_status)).await;
    let checked = answers.iter().filter(|(status, _)| *status == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (3, 9), "{answers:?}");
}
both_databases!(
    guesses_sent_all_at_once_get_no_more_checks_than_the_allowance,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(3), ..options }
);

/// An attempt with an unknown key, through a proxy that says it came from `client`.
async fn unknown_key_from(app: &TestApp, client: &str) -> StatusCode {
    reqwest::Client::new()
        .get(app.url("/api/v1/whoami"))
        .header("Authorization", format!("Bearer {}", generate(KeyKind::Organization).to_token_string()))
        .header("X-Forwarded-For", client)
        .send()
        .await
        .unwrap()
        .status()
}

async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance(app: TestApp) {
    for _ in 0..2 {
        assert_eq!(unknown_key_from(&app, "203.0.113.1").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(unknown_key_from(&app, "203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not affected...
    assert_eq!(unknown_key_from(&app, "203.0.113.2").await, StatusCode::UNAUTHORIZED);
    // ...and a client cannot escape by claiming another address before its own.
    assert_eq!(unknown_key_from(&app, "198.51.100.9, 203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
}
both_databases!(
    behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance,
    at_epoch,
    with = |options: Options| Options {
        api_failures_per_minute: Some(2),
        trusted_proxies: vec!["127.0.0.1/32"],
        ..options
    }
);

async fn without_trusted_proxies_a_forwarded_address_is_ignored(app: TestApp) {
    assert_eq!(unknown_key_from(&app, "203.0.113.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_key_from(&app, "203.0.113.2").await, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_key_from(&app, "203.0.113.3").await, StatusCode::TOO_MANY_REQUESTS);
}
both_databases!(
    without_trusted_proxies_a_forwarded_address_is_ignored,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(2), ..options }
);

/// Several instances behind a load balancer share one allowance (PostgreSQL):
/// spreading guesses over them gains nothing.
#[actix_web::test]
async fn the_allowance_is_shared_by_every_instance_on_postgres() {
    let three = |options: Options| Options { api_failures_per_minute: Some(3), ..options };
    let Some(app) = crate::keys::spawn_at_epoch_with(crate::support::Backend::Postgres, three).await else {
        return;
    };
    let other = app.spawn_sibling().await;
    for _ in 0..2 {
        assert_error(unknown_key(&app).await, StatusCode::UNAUTHORIZED, "invalid_key").await;
    }
    assert_error(unknown_key(&other).await, StatusCode::UNAUTHORIZED, "invalid_key").await;
    // Three failures in all: both instances now refuse this address, though
    // neither saw three on its own.
    limited(unknown_key(&other).await).await;
    limited(unknown_key(&app).await).await;
    // The allowance refills for both.
    app.advance_clock(Duration::seconds(61));
    assert_error(unknown_key(&other).await, StatusCode::UNAUTHORIZED, "invalid_key").await;
}
