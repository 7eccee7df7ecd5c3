//! `GET /api/v1/openapi.json` describes what the server does: every documented
//! route answers, with and without a key, with a status the document lists, and
//! JSON where the document promises a body.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::keys::{ACME_KEYS, Team, USER_KEYS};
use crate::rest::Api;

/// A value for each path parameter, so that every route reaches its handler.
fn fill(path: &str, org_key_id: &str, user_key_id: &str) -> String {
    let id = if path.starts_with("/api/v1/user/") { user_key_id } else { org_key_id };
    path.replace("{org}", "acme").replace("{id}", id)
}

fn documented_statuses(operation: &Value) -> Vec<u16> {
    operation["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(|s| s.parse().expect("a status"))
        .collect()
}

fn promises_json(operation: &Value, status: u16) -> bool {
    operation["responses"][status.to_string()]["content"]["application/json"].is_object()
}

/// The properties a schema requires, following `$ref` and `allOf`.
fn required_fields(document: &Value, schema: &Value) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return required_fields(document, &document["components"]["schemas"][name]);
    }
    let mut fields: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(String::from))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        fields.extend(required_fields(document, part));
    }
    fields
}

both_databases_at_epoch! {
    async fn every_documented_route_answers_as_documented(app) {
        let team = Team::new(&app).await;
        let org_key = team.alice.new_key(ACME_KEYS, "Conformance", "").await;
        let user_key = team.alice.new_key(USER_KEYS, "Conformance", "").await;
        // Keys the DELETE routes may remove without hurting the other calls.
        let org_victim = team.alice.new_key(ACME_KEYS, "To delete", "").await;
        let user_victim = team.alice.new_key(USER_KEYS, "To delete", "").await;

        let document: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3."));
        let paths = document["paths"].as_object().expect("paths");
        let mut checked = 0;
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                let method: Method = method.to_uppercase().parse().unwrap();
                let statuses = documented_statuses(operation);
                let key = if path.starts_with("/api/v1/user/") { &user_key } else { &org_key };
                let (victim_org, victim_user) = (&org_victim.public_id, &user_victim.public_id);
                let url = if method == Method::DELETE {
                    fill(path, victim_org, victim_user)
                } else {
                    fill(path, &org_key.public_id, &user_key.public_id)
                };
                let body = (method == Method::POST).then(|| json!({"description": "Made by the conformance test"}));

                // With a key that may do it: a documented success status.
                let response = Api::new(&app, &key.full).call(method.clone(), &url, body.clone()).await;
                let status = response.status().as_u16();
                assert!(status < 300 && statuses.contains(&status), "{method} {url}: {status} not documented as success in {statuses:?}");
                if promises_json(operation, status) {
                    let json: Value = response.json().await.unwrap_or_else(|e| panic!("{method} {url}: not JSON: {e}"));
                    let schema = &operation["responses"][status.to_string()]["content"]["application/json"]["schema"];
                    let required = required_fields(&document, schema);
                    assert!(!required.is_empty(), "{method} {path}: the schema lists its fields");
                    for field in required {
                        assert!(json.get(&field).is_some(), "{method} {url}: documented field {field} missing in {json}");
                    }
                }

                // Without a key: 401, documented, as a JSON error.
                let response = reqwest::Client::new().request(method.clone(), app.url(&url)).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {url} without a key");
                assert!(statuses.contains(&401), "{method} {path} documents 401");
                let json: Value = response.json().await.unwrap();
                assert_eq!(json["error"]["code"], "missing_key");

                // With a key from outside its reach (Bob's): a documented refusal.
                let bob = team.bob.new_key(crate::keys::BOLT_KEYS, "Outsider", "").await;
                let response = Api::new(&app, &bob.full).call(method.clone(), &url, body).await;
                let status = response.status().as_u16();
                if path.starts_with("/api/v1/orgs/{org}") {
                    assert_eq!(status, 404, "{method} {url} with another organization's key");
                }
                assert!(statuses.contains(&status), "{method} {url}: {status} not documented in {statuses:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 12, "the document lists every route of SPEC §5 (plus GET of one key)");
    }

    async fn the_document_is_served_without_a_key_and_names_the_bearer_scheme(app) {
        let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let document: Value = response.json().await.unwrap();
        assert_eq!(document["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
        for schema in ["ErrorBody", "Whoami", "KeyList", "CreatedKey", "NewKeyRequest"] {
            assert!(document["components"]["schemas"][schema].is_object(), "{schema} is described");
        }
    }
}
