//! Who made a key: a key created through the API with an organization key has no
//! person behind it, so the list, the API and the audit log name that key, and
//! keep naming it after it is deleted.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::both_databases;
use crate::keys::{key_rows, rows_with_breaks};

const AUDIT_LOG: &str = "/o/acme/settings/audit-log";

/// (who, event) of each audit-log row about keys, oldest first.
async fn key_events(team: &Team) -> Vec<(String, String)> {
    let html = team.alice.page(AUDIT_LOG).await;
    let mut events: Vec<(String, String)> = rows_with_breaks(&html, "[data-testid=audit-log]")
        .into_iter()
        .filter(|row| row[2].starts_with("api_key."))
        .map(|row| (row[1].clone(), row[2].clone()))
        .collect();
    events.reverse();
    events
}

async fn a_key_made_with_an_organization_key_names_that_key_even_after_it_is_deleted(app: TestApp) {
    let team = Team::new(&app).await;
    let deployer =
        Token::parse(&team.alice.create_key(ACME_KEYS, "Deployer", "").await, KeyKind::Organization);
    let api = Api::new(&app, &deployer.full);
    let (status, body) = api.post_json("/api/v1/orgs/acme/keys", json!({"description": "Nightly"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let nightly = body["id"].as_str().unwrap().to_string();
    let by_key = format!("key {} (Deployer)", deployer.hint());

    let html = team.alice.page(ACME_KEYS).await;
    let row = key_rows(&html).into_iter().find(|row| row[0] == "Nightly").unwrap();
    assert_eq!(row[2], format!("28 Feb 2027 by {by_key}"), "the list names the key that made it");
    let (_, listed) = api.get_json(&format!("/api/v1/orgs/acme/keys/{nightly}")).await;
    assert_eq!(listed["created_by"], json!(null));
    assert_eq!(listed["created_by_key"], json!({"hint": deployer.hint(), "description": "Deployer"}));
    let events = key_events(&team).await;
    assert_eq!(
        events,
        [
            ("Alice dev: Alice".to_string(), "api_key.created".to_string()),
            (by_key.clone(), "api_key.created".to_string())
        ],
        "the audit log names the key as the actor"
    );

    // The key that made it is deleted: the attribution stays.
    let response = team.alice.post(&format!("{ACME_KEYS}/{}/delete", deployer.public_id), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = team.alice.page(ACME_KEYS).await;
    let row = key_rows(&html).into_iter().find(|row| row[0] == "Nightly").unwrap();
    assert_eq!(row[2], format!("28 Feb 2027 by {by_key}"), "still named after the key is revoked");
    let events = key_events(&team).await;
    assert_eq!(events[1], (by_key.clone(), "api_key.created".to_string()));
    assert_eq!(events[2], ("Alice dev: Alice".to_string(), "api_key.revoked".to_string()));
}
both_databases!(a_key_made_with_an_organization_key_names_that_key_even_after_it_is_deleted, at_epoch);

async fn a_key_made_with_a_user_key_names_its_person(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = Token::parse(&team.alice.create_key(USER_KEYS, "Laptop", "").await, KeyKind::User);
    let api = Api::new(&app, &laptop.full);
    let (status, body) = api.post_json("/api/v1/orgs/acme/keys", json!({"description": "Nightly"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["created_by"], json!({"id": team.alice.id, "display_name": "Alice"}));
    let html = team.alice.page(ACME_KEYS).await;
    let row = key_rows(&html).into_iter().find(|row| row[0] == "Nightly").unwrap();
    assert_eq!(row[2], "28 Feb 2027 by Alice");
    assert_eq!(key_events(&team).await, [("Alice dev: Alice".to_string(), "api_key.created".to_string())]);
}
both_databases!(a_key_made_with_a_user_key_names_its_person, at_epoch);
