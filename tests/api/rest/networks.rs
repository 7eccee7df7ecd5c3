//! Allowed networks (SPEC §2): a key that lists networks works only from an
//! address inside one of them, the address `MONKEYCI_TRUSTED_PROXIES` resolves;
//! elsewhere it gets 403 `ip_not_allowed`, naming the address seen and never the
//! list, whether the key is hot in the cache or not.

use reqwest::StatusCode;
use serde_json::json;

use super::permissions::{FULL_ACCESS, key_with_scope};
use super::*;
use crate::both_databases;

/// `GET /api/v1/whoami` with the key, through our proxy, for `client`.
async fn whoami_from(app: &TestApp, key: &Token, client: &str) -> (StatusCode, serde_json::Value) {
    let response = Api::new(app, &key.full)
        .request(reqwest::Method::GET, "/api/v1/whoami")
        .header("X-Forwarded-For", client)
        .send()
        .await
        .unwrap();
    json_of(response).await
}

/// The number of key checks refused for this reason, as the metrics count them
/// (the exposition's number as written).
async fn refused_for(app: &TestApp, reason: &str) -> String {
    let address = app.metrics_address.as_ref().expect("metrics are on");
    let text = reqwest::get(format!("{address}/metrics")).await.unwrap().text().await.unwrap();
    let label = format!("reason=\"{reason}\"");
    text.lines()
        .find(|line| line.starts_with("monkeyci_api_key_checks_total{") && line.contains(&label))
        .and_then(|line| line.rsplit(' ').next())
        .map_or_else(|| panic!("no counter for {reason}:\n{text}"), str::to_string)
}

async fn a_key_works_only_from_its_allowed_networks_cached_or_not(app: TestApp) {
    let team = Team::new(&app).await;
    let admin = key_with_scope(&app, &team.alice, ACME_KEYS, FULL_ACCESS).await;
    let (created, ci) = Api::new(&app, &admin.full)
        .create_key_with(
            "/api/v1/orgs/acme/keys",
            json!({"description": "CI runners", "scope": "org:read members:read",
                   "allowed_networks": ["203.0.113.0/24", " 2001:db8::/32 "]}),
        )
        .await;
    assert_eq!(created["allowed_networks"], json!(["203.0.113.0/24", "2001:db8::/32"]));

    // Its very first use (a full check) comes from elsewhere.
    let (status, body) = whoami_from(&app, &ci, "198.51.100.7").await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "ip_not_allowed"), "{body}");
    assert_eq!(message(&body), "This key may not be used from 198.51.100.7.");
    let (status, body) = whoami_from(&app, &ci, "203.0.113.9").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["key"]["allowed_networks"], json!(["203.0.113.0/24", "2001:db8::/32"]));
    assert_eq!(whoami_from(&app, &ci, "2001:db8::1").await.0, StatusCode::OK);
    // Hot in the cache now: refused all the same, the list never shown.
    for client in ["198.51.100.7", "2001:db9::1", "203.0.114.1"] {
        let (status, body) = whoami_from(&app, &ci, client).await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "ip_not_allowed"), "{client}: {body}");
        assert_eq!(message(&body), format!("This key may not be used from {client}."));
        assert!(!body.to_string().contains("203.0.113.0"), "the list stays secret: {body}");
    }
    // Without a forwarded address the proxy itself is the client.
    let (status, body) = json_of(Api::new(&app, &ci.full).get("/api/v1/orgs/acme").await).await;
    assert_eq!((status, message(&body)), (StatusCode::FORBIDDEN, "This key may not be used from 127.0.0.1."));
    // Every route, not only whoami; and a key without networks works from anywhere.
    let response = Api::new(&app, &ci.full)
        .request(reqwest::Method::GET, "/api/v1/orgs/acme/members")
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(whoami_from(&app, &admin, "198.51.100.7").await.0, StatusCode::OK);
    assert_eq!(refused_for(&app, "ip_not_allowed").await, "5");
    assert_not_logged(&app, &[&admin, &ci]);
}
both_databases!(
    a_key_works_only_from_its_allowed_networks_cached_or_not,
    at_epoch,
    with = |options: Options| Options { trusted_proxies: vec!["127.0.0.1/32"], metrics: true, ..options }
);

async fn without_trusted_proxies_a_forwarded_address_does_not_open_a_key(app: TestApp) {
    let team = Team::new(&app).await;
    let admin = key_with_scope(&app, &team.alice, USER_KEYS, FULL_ACCESS).await;
    let (_, laptop) = Api::new(&app, &admin.full)
        .create_key_with(
            "/api/v1/user/keys",
            json!({"description": "Office", "allowed_networks": ["203.0.113.0/24"]}),
        )
        .await;
    let (status, body) = whoami_from(&app, &laptop, "203.0.113.9").await;
    assert_eq!((status, message(&body)), (StatusCode::FORBIDDEN, "This key may not be used from 127.0.0.1."));
    let (_, local) = Api::new(&app, &admin.full)
        .create_key_with(
            "/api/v1/user/keys",
            json!({"description": "Here", "allowed_networks": ["127.0.0.1"]}),
        )
        .await;
    assert_eq!(whoami_from(&app, &local, "203.0.113.9").await.0, StatusCode::OK);
    assert_not_logged(&app, &[&admin, &laptop, &local]);
}
both_databases!(without_trusted_proxies_a_forwarded_address_does_not_open_a_key, at_epoch);
