//! Rolling a key through the API (SPEC §2 "Lifecycle", §5): the successor has
//! the old key's description, permissions, reach and networks and a new
//! secret; the old key works until the overlap ends and is refused from that
//! second on, by the same clock check as an expiry, cached or not.

use chrono::{Duration, TimeZone, Utc};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::both_databases;
use crate::support::{count, join};
use monkeyci_accounts::clock::Clock;

const ACME_API: &str = "/api/v1/orgs/acme/keys";
const USER_API: &str = "/api/v1/user/keys";

fn roll_path(list: &str, token: &Token) -> String {
    format!("{list}/{}/roll", token.public_id)
}

/// The key's entry in the organization's list with this status filter, if listed.
async fn listed(api: &Api, list: &str, status: &str, token: &Token) -> Option<Value> {
    let (code, body) = api.get_json(&format!("{list}?status={status}")).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body["keys"].as_array().unwrap().iter().find(|key| key["id"] == token.public_id.as_str()).cloned()
}

async fn a_rolled_key_works_until_its_overlap_ends_and_its_successor_works_alike(app: TestApp) {
    let team = Team::new(&app).await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    let api = Api::new(&app, &admin.full);
    for (overlap, length) in [
        ("1h", Duration::hours(1)),
        ("24h", Duration::hours(24)),
        ("7d", Duration::days(7)),
        ("0h", Duration::zero()),
    ] {
        let started = app.clock.as_ref().unwrap().now();
        let (_, old) = api
            .create_key_with(
                ACME_API,
                json!({
                    "description": format!("Deploys {overlap}"),
                    "valid_until": (started.date_naive() + Duration::days(30)).to_string(),
                    "scope": "org:read repos:read builds:write",
                    "allowed_networks": ["127.0.0.0/8", "::1"],
                }),
            )
            .await;
        let old_api = Api::new(&app, &old.full);
        assert_eq!(old_api.whoami_status().await, (StatusCode::OK, None), "warm in the cache");
        // Ten days later, the key is rolled.
        set_clock(&app, started + Duration::days(10));
        let (status, body) = api.post_json(&roll_path(ACME_API, &old), json!({ "overlap": overlap })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let new = Token::parse(body["token"].as_str().unwrap(), KeyKind::Organization);
        assert_ne!(new.public_id, old.public_id);
        assert_eq!(body["description"], format!("Deploys {overlap}"));
        assert_eq!(body["scope"], "org:read repos:read builds:write");
        assert_eq!(body["allowed_networks"], json!(["127.0.0.0/8", "::1/128"]));
        assert_eq!(body["rolled_from"], old.public_id.as_str());
        assert_eq!(
            body["valid_until"],
            (started.date_naive() + Duration::days(40)).to_string(),
            "the old key's lifetime again, from today"
        );
        let new_api = Api::new(&app, &new.full);
        let (code, me) = new_api.get_json("/api/v1/whoami").await;
        assert_eq!(code, StatusCode::OK, "{me}");
        assert_eq!(me["key"]["scope"], "org:read repos:read builds:write");

        let boundary = started + Duration::days(10) + length;
        if length > Duration::zero() {
            let entry = listed(&api, ACME_API, "active", &old).await.expect("still active");
            assert_eq!(
                (entry["status"].as_str(), entry["rolled_to"].as_str()),
                (Some("rolled"), Some(new.public_id.as_str()))
            );
            set_clock(&app, boundary - Duration::seconds(1));
            assert_eq!(
                old_api.whoami_status().await,
                (StatusCode::OK, None),
                "{overlap}: works 1 s before the end"
            );
        }
        set_clock(&app, boundary);
        let body =
            assert_error(old_api.get("/api/v1/whoami").await, StatusCode::UNAUTHORIZED, "revoked_key").await;
        assert!(message(&body).starts_with("The API key was rolled: it stopped working at "), "{body}");
        assert_eq!(new_api.whoami_status().await, (StatusCode::OK, None), "{overlap}: the successor works");
        assert!(listed(&api, ACME_API, "active", &old).await.is_none(), "{overlap}: no longer active");
        let entry = listed(&api, ACME_API, "inactive", &old).await.expect("listed as inactive");
        assert_eq!(
            (entry["status"].as_str(), entry["revoked_reason"].as_str()),
            (Some("revoked"), Some("rolled"))
        );
        assert!(listed(&api, ACME_API, "all", &old).await.is_some());
        set_clock(&app, boundary + Duration::days(1));
    }
    let log = key_audit(&app, "acme").await;
    assert!(log.iter().any(|row| row.contains("Rolled API key") && row.contains("Deploys 7d")), "{log:?}");
    assert!(log.iter().any(|row| row.contains("rolled from") && row.contains("Deploys 7d")), "{log:?}");
    assert_not_logged(&app, &[&admin]);
}
both_databases!(a_rolled_key_works_until_its_overlap_ends_and_its_successor_works_alike, at_epoch);

async fn a_user_keys_successor_reaches_the_same_organizations_and_the_same_networks(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.alice, &team.bob, "bolt").await;
    let me = team.alice.new_key(USER_KEYS, "Me", "").await;
    let api = Api::new(&app, &me.full);
    let (_, laptop) = api
        .create_key_with(
            USER_API,
            json!({"description": "Laptop", "orgs": ["acme"], "allowed_networks": ["127.0.0.1"]}),
        )
        .await;
    let (status, body) = api.post_json(&roll_path(USER_API, &laptop), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["orgs"], json!(["acme"]));
    assert_eq!(body["allowed_networks"], json!(["127.0.0.1/32"]));
    assert_eq!(body["valid_until"], Value::Null, "a key that never expired gives one that never expires");
    let successor = Token::parse(body["token"].as_str().unwrap(), KeyKind::User);
    let (_, orgs) = Api::new(&app, &successor.full).get_json("/api/v1/orgs").await;
    assert_eq!(orgs["organizations"].as_array().unwrap().len(), 1, "{orgs}");
    // Absent overlap: 24 hours.
    let (_, old) = api.get_json(&format!("{USER_API}/{}", laptop.public_id)).await;
    assert_eq!(old["revoked_at"], "2027-03-01T12:00:00Z");
    assert_eq!(old["status"], "rolled");
}
both_databases!(a_user_keys_successor_reaches_the_same_organizations_and_the_same_networks, at_epoch);

async fn a_key_is_rolled_once_and_only_while_it_works(app: TestApp) {
    let team = Team::new(&app).await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    let bolt = team.bob.new_key(BOLT_KEYS, "Bolt", "").await;
    let api = Api::new(&app, &admin.full);
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let member = team.mia.new_key(USER_KEYS, "Mia", "").await;

    let (status, _) = api.post_json(&roll_path(ACME_API, &ci), json!({"overlap": "1h"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = api.post_json(&roll_path(ACME_API, &ci), json!({"overlap": "1h"})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "already_rolled"), "{body}");
    assert!(message(&body).contains("was already rolled to mci_org_"), "{body}");

    let gone = team.alice.new_key(ACME_KEYS, "Gone", "").await;
    assert_eq!(api.delete(&format!("{ACME_API}/{}", gone.public_id)).await.status(), StatusCode::NO_CONTENT);
    let (status, body) = api.post_json(&roll_path(ACME_API, &gone), json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "key_not_active"), "{body}");

    let old = team.alice.new_key(ACME_KEYS, "Old", "2027-03-01").await;
    set_clock(&app, Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap());
    let (status, body) = api.post_json(&roll_path(ACME_API, &old), json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "key_not_active"), "expired: {body}");

    for overlap in [json!("2h"), json!(""), json!(24), json!("24H")] {
        let (_, fresh) = api.create_key(ACME_API, "Fresh", None).await;
        let (status, body) = api.post_json(&roll_path(ACME_API, &fresh), json!({ "overlap": overlap })).await;
        assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{body}");
        assert!(body["error"]["fields"]["overlap"].is_string(), "{body}");
    }
    let (status, body) = api.post_json(&roll_path(ACME_API, &bolt), json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"), "another organization's key");
    let (status, _) = api.post_json(&format!("{ACME_API}/0000000000000000/roll"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = Api::new(&app, &member.full).post_json(&roll_path(ACME_API, &ci), json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "a member manages no keys");
}
both_databases!(a_key_is_rolled_once_and_only_while_it_works, at_epoch);

async fn rolls_at_the_same_moment_make_one_successor(app: TestApp) {
    let team = Team::new(&app).await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &admin.full);
    let path = roll_path(ACME_API, &ci);
    let answers = join_all((0..6).map(|_| api.post_json(&path, json!({"overlap": "1h"})))).await;
    let created = answers.iter().filter(|(status, _)| *status == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{answers:?}");
    for (status, body) in &answers {
        assert!(*status == StatusCode::CREATED || code(body) == "already_rolled", "{body}");
    }
    let sql = format!("SELECT COUNT(*) AS n FROM api_keys WHERE rolled_from = {}", quoted(&ci.public_id));
    assert_eq!(count(&app, sql).await, 1);
}
both_databases!(rolls_at_the_same_moment_make_one_successor, at_epoch);

async fn a_revoked_key_is_refused_at_once_and_listed_only_as_inactive(app: TestApp) {
    let team = Team::new(&app).await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    let api = Api::new(&app, &admin.full);
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let expired = team.alice.new_key(ACME_KEYS, "Expired", "2027-03-01").await;
    assert_eq!(Api::new(&app, &ci.full).whoami_status().await, (StatusCode::OK, None));
    assert_eq!(api.delete(&format!("{ACME_API}/{}", ci.public_id)).await.status(), StatusCode::NO_CONTENT);
    let body = assert_error(
        Api::new(&app, &ci.full).get("/api/v1/whoami").await,
        StatusCode::UNAUTHORIZED,
        "revoked_key",
    )
    .await;
    assert!(
        message(&body).starts_with("The API key was revoked (by a person) at 28 Feb 2027 12:00 UTC"),
        "{body}"
    );
    assert_eq!(
        api.delete(&format!("{ACME_API}/{}", ci.public_id)).await.status(),
        StatusCode::NO_CONTENT,
        "revoking again changes nothing"
    );
    set_clock(&app, Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap());

    let ids = |status: &'static str| {
        let api = &api;
        async move {
            let (code, body) = api.get_json(&format!("{ACME_API}?status={status}")).await;
            assert_eq!(code, StatusCode::OK, "{body}");
            body["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["description"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("active").await, ["Admin"]);
    let (_, default) = api.get_json(ACME_API).await;
    assert_eq!(default["keys"].as_array().unwrap().len(), 1, "active by default: {default}");
    assert_eq!(ids("inactive").await, ["Expired", "CI"]);
    assert_eq!(ids("all").await, ["Expired", "CI", "Admin"]);
    assert_eq!(ids("revoked").await, ["CI"]);
    assert_eq!(ids("expired").await, ["Expired"]);
    let (_, all) = api.get_json(&format!("{ACME_API}?status=all")).await;
    let revoked = &all["keys"][1];
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked_reason"], "revoked");
    assert_eq!(revoked["revoked_at"], EPOCH);
    let (status, body) = api.get_json(&format!("{ACME_API}?status=gone")).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{body}");
    let _ = expired;
}
both_databases!(a_revoked_key_is_refused_at_once_and_listed_only_as_inactive, at_epoch);
