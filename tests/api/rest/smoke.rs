//! The API answers with the key's identity and refuses what it should.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;

async fn an_organization_key_and_a_user_key_say_who_they_are(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let user_key = team.alice.new_key(USER_KEYS, "Laptop", "").await;

    let (status, body) = Api::new(&app, &org_key.full).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["key"]["kind"], "organization");
    assert_eq!(body["key"]["id"], org_key.public_id.as_str());
    assert_eq!(body["organization"]["slug"], "acme");
    assert!(body["user"].is_null());

    let (status, body) = Api::new(&app, &user_key.full).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["key"]["kind"], "user");
    assert_eq!(body["user"]["display_name"], "Alice");
    assert_eq!(body["organizations"][0]["slug"], "acme");
    assert_eq!(body["organizations"][0]["role"], "admin");

    let (status, body) = Api::new(&app, "junk").get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "malformed_key");

    let (status, body) = Api::new(&app, &org_key.full)
        .post_json("/api/v1/orgs/acme/keys", serde_json::json!({"description": "From the API"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["token"].as_str().unwrap().starts_with("mci_org_"));
    let (status, body) = Api::new(&app, &org_key.full).get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["keys"].as_array().unwrap().len(), 2);
    let (status, _) = Api::new(&app, &org_key.full).get_json("/api/v1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_databases!(an_organization_key_and_a_user_key_say_who_they_are, at_epoch);
