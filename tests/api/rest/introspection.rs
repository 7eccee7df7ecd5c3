//! `POST /api/v1/introspect` (SPEC §5, RFC 7662): the platform's services ask
//! what a key may do, as an introspection client with HTTP Basic.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::keys::execute;
use crate::support::org_id;
use crate::{both_databases, postgres_only};

const CLIENTS: &str =
    "builds:0123456789abcdefghijklmnopqrstuvwxyz,artifacts:zyxwvutsrqponmlkjihgfedcba9876543210";
const BUILDS_SECRET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
const INTROSPECT: &str = "/api/v1/introspect";

fn with_clients(options: Options) -> Options {
    Options { introspection_clients: Some(CLIENTS), ..options }
}

/// A request to the introspection endpoint as the `builds` service.
fn as_builds(app: &TestApp) -> RequestBuilder {
    anonymous(app, Method::POST, INTROSPECT).basic_auth("builds", Some(BUILDS_SECRET))
}

/// What the `builds` service learns about `token`.
async fn introspect(app: &TestApp, token: &str) -> (StatusCode, Value) {
    json_of(as_builds(app).form(&[("token", token)]).send().await.expect("sent")).await
}

async fn an_active_key_is_described_with_its_scope_and_its_organizations(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "2027-06-01").await;
    let response = as_builds(&app).form(&[("token", ci.full.as_str())]).send().await.expect("sent");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let full = "org:write members:write keys:write repos:write builds:write params:write ssh_keys:write \
                webhooks:write billing:write";
    assert_eq!(
        body,
        json!({
            "active": true,
            "scope": full,
            "client_id": ci.public_id,
            "token_type": "api_key",
            "exp": 1_811_808_000, // 2027-06-01T00:00:00Z: the first second it no longer works
            "iat": 1_803_816_000, // 2027-02-28T12:00:00Z
            "sub": "org:acme",
            "orgs": [{"slug": "acme", "scope": full}],
        })
    );

    // A member's user key acts within the member's rights in each organization.
    let mia = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let (_, body) = introspect(&app, &mia.full).await;
    assert_eq!(body["sub"], format!("user:{}", team.mia.id));
    assert_eq!(body["exp"], Value::Null, "no expiry date: no exp");
    assert_eq!(
        body["orgs"],
        json!([{"slug": "acme", "scope":
            "org:read members:read repos:write builds:write params:write ssh_keys:write webhooks:write"}])
    );
    assert_not_logged(&app, &[&ci, &mia]);
}
both_databases!(
    an_active_key_is_described_with_its_scope_and_its_organizations,
    at_epoch,
    with = with_clients
);

async fn every_key_that_does_not_work_gets_the_same_inactive_answer(app: TestApp) {
    let team = Team::new(&app).await;
    let deleted = team.alice.new_key(ACME_KEYS, "Deleted", "").await;
    team.alice.post_and_follow(&format!("{ACME_KEYS}/{}/delete", deleted.public_id), &[], ACME_KEYS).await;
    let expiring = team.alice.new_key(ACME_KEYS, "Expiring", "2027-03-01").await;
    let blocked = team.mia.new_key(USER_KEYS, "Blocked", "").await;
    let sql = format!(
        "INSERT INTO api_key_blocks (key_id, organization_id, blocked_at) \
         SELECT id, {}, created_at FROM api_keys WHERE public_id = {}",
        org_id(&app, "acme").await,
        quoted(&blocked.public_id)
    );
    execute(&app, sql).await;
    let olga = team.olga.new_key(USER_KEYS, "In no organization", "").await;
    let mut wrong_secret = team.alice.new_key(ACME_KEYS, "Right key", "").await.full;
    wrong_secret.replace_range(30..31, if &wrong_secret[30..31] == "a" { "b" } else { "a" });
    let wrong_secret = super::junk::with_checksum(&wrong_secret[..56]);
    set_clock(&app, "2027-03-01T00:00:00Z".parse().unwrap());

    let unknown = super::junk::with_checksum(&format!("mci_org_{}{}", "Z".repeat(16), "a".repeat(32)));
    let cases = [
        ("unknown", unknown.as_str()),
        ("malformed", "mci_org_short"),
        ("not a key at all", "hello"),
        ("empty", ""),
        ("deleted", deleted.full.as_str()),
        ("expired", expiring.full.as_str()),
        ("blocked in its only organization", blocked.full.as_str()),
        ("reaching no organization", olga.full.as_str()),
        ("a wrong secret", wrong_secret.as_str()),
    ];
    for (why, token) in cases {
        let response = as_builds(&app).form(&[("token", token)]).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{why}");
        assert_eq!(response.text().await.unwrap(), r#"{"active":false}"#, "{why}");
    }
    assert_not_logged(&app, &[&deleted, &expiring, &blocked, &olga]);
}
both_databases!(every_key_that_does_not_work_gets_the_same_inactive_answer, at_epoch, with = with_clients);

async fn only_a_configured_client_may_ask_and_wrong_secrets_count_against_the_address(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let form = [("token", ci.full.as_str())];
    let attempts: [(&str, RequestBuilder); 4] = [
        ("no credentials", anonymous(&app, Method::POST, INTROSPECT)),
        ("a wrong secret", anonymous(&app, Method::POST, INTROSPECT).basic_auth("builds", Some("wrong"))),
        ("another client's secret", {
            let secret = CLIENTS.split_once(",artifacts:").unwrap().1;
            anonymous(&app, Method::POST, INTROSPECT).basic_auth("builds", Some(secret))
        }),
        ("an API key instead", anonymous(&app, Method::POST, INTROSPECT).bearer_auth(&ci.full)),
    ];
    for (why, request) in attempts {
        let response = request.form(&form).send().await.expect("sent");
        assert_eq!(
            response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()),
            Some(r#"Basic realm="monkeyci-introspection""#),
            "{why}"
        );
        let body = assert_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(!body.to_string().contains(&ci.secret), "{why}");
    }
    // The allowance is four a minute here: the failures used it up, so now
    // even the right client from this address waits.
    let response = as_builds(&app).form(&form).send().await.expect("sent");
    assert!(response.headers().contains_key("retry-after"));
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    set_clock(&app, "2027-02-28T12:02:00Z".parse().unwrap());
    let (status, body) = introspect(&app, &ci.full).await;
    assert_eq!((status, body["active"].clone()), (StatusCode::OK, json!(true)), "{body}");
    assert!(!app.logs().contains(BUILDS_SECRET), "the client's secret is never logged");
}
both_databases!(
    only_a_configured_client_may_ask_and_wrong_secrets_count_against_the_address,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(4), ..with_clients(options) }
);

async fn the_client_header_is_read_in_any_spelling_but_only_once(app: TestApp) {
    use base64::Engine;
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let form = [("token", ci.full.as_str())];
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("builds:{BUILDS_SECRET}"));
    // Not the usual spelling (another case, more spaces): decoded and compared all the same.
    let unusual = anonymous(&app, Method::POST, INTROSPECT)
        .header("Authorization", format!("bAsIc   {encoded}"))
        .form(&form);
    let (status, body) = json_of(unusual.send().await.expect("sent")).await;
    assert_eq!((status, body["active"].clone()), (StatusCode::OK, json!(true)), "{body}");
    // The right header twice (or beside another) is nobody's credentials.
    let twice = anonymous(&app, Method::POST, INTROSPECT)
        .header("Authorization", format!("Basic {encoded}"))
        .header("Authorization", format!("Basic {encoded}"))
        .form(&form);
    assert_error(twice.send().await.expect("sent"), StatusCode::UNAUTHORIZED, "invalid_client").await;
}
both_databases!(the_client_header_is_read_in_any_spelling_but_only_once, at_epoch, with = with_clients);

async fn a_services_failed_key_checks_spend_its_own_allowance_not_its_addresss(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let guess = super::junk::with_checksum(&format!("mci_org_{}{}", ci.public_id, "x".repeat(32)));
    // Three failures a minute for an address: the service may fail 60 times as often.
    for _ in 0..5 {
        let (status, body) = introspect(&app, &guess).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"active": false})));
    }
    let (status, _) = Api::new(&app, &ci.full).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "the service's address still has its own allowance");
    // Junk that is not a key costs nothing and is not counted.
    for _ in 0..20 {
        assert_eq!(introspect(&app, "not-a-key").await.1, json!({"active": false}));
    }
    assert_eq!(introspect(&app, &ci.full).await.1["active"], json!(true));
}
both_databases!(
    a_services_failed_key_checks_spend_its_own_allowance_not_its_addresss,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(3), ..with_clients(options) }
);

async fn the_form_must_carry_one_token_and_never_the_url(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let response = as_builds(&app).json(&json!({"token": ci.full})).send().await.unwrap();
    assert_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let response = as_builds(&app).form(&[("token_type_hint", "api_key")]).send().await.unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let twice = [("token", ci.full.as_str()), ("token", ci.full.as_str())];
    assert_error(as_builds(&app).form(&twice).send().await.unwrap(), StatusCode::BAD_REQUEST, "bad_request")
        .await;
    let in_url = anonymous(&app, Method::POST, &format!("{INTROSPECT}?token={}", ci.full))
        .basic_auth("builds", Some(BUILDS_SECRET))
        .send()
        .await
        .unwrap();
    assert_error(in_url, StatusCode::BAD_REQUEST, "key_in_query").await;
    let huge = "x".repeat(5 * 1024);
    let response = as_builds(&app).form(&[("token", huge.as_str())]).send().await.unwrap();
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let response = as_builds(&app).form(&[("token", ci.full.as_str())]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "a hint along the token is fine");
}
both_databases!(the_form_must_carry_one_token_and_never_the_url, at_epoch, with = with_clients);

async fn without_clients_introspection_is_not_there(app: TestApp) {
    let response = as_builds(&app).form(&[("token", "x")]).send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}
both_databases!(without_clients_introspection_is_not_there);

async fn a_hot_key_is_answered_from_the_cache(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    assert_eq!(introspect(&app, &ci.full).await.1["active"], json!(true));
    // Gone from the database without anyone being told: the cache still answers.
    execute(
        &app,
        format!("UPDATE api_keys SET scope = 'org:read' WHERE public_id = {}", quoted(&ci.public_id)),
    )
    .await;
    let (_, body) = introspect(&app, &ci.full).await;
    assert_eq!(body["scope"].as_str().unwrap().split(' ').count(), 9, "served from the cache: {body}");
    // Thirty seconds on, the entry is read again.
    set_clock(&app, "2027-02-28T12:00:30Z".parse().unwrap());
    assert_eq!(introspect(&app, &ci.full).await.1["scope"], "org:read");
}
both_databases!(a_hot_key_is_answered_from_the_cache, at_epoch, with = with_clients);

async fn a_key_deleted_on_one_instance_is_inactive_on_the_others_within_a_second(app: TestApp) {
    let other = app.spawn_sibling().await;
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(introspect(&other, &ci.full).await.1["active"], json!(true), "cached on the other instance");
    let response =
        Api::new(&app, &admin.full).delete(&format!("/api/v1/orgs/acme/keys/{}", ci.public_id)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let took = within(Duration::from_secs(1), "the other instance answers inactive", || async {
        introspect(&other, &ci.full).await.1 == json!({"active": false})
    })
    .await;
    eprintln!("inactive on the other instance after {took:?}");
}
postgres_only!(
    a_key_deleted_on_one_instance_is_inactive_on_the_others_within_a_second,
    at_epoch,
    with = with_clients
);
