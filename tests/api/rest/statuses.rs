//! What each endpoint answers when all goes well, field by field, for both kinds
//! of key: 200 with the documented JSON, 201 with `Location` and the token once,
//! 204 for a deletion.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::permissions::{FULL_ACCESS, RUN_BUILDS, set_scope};
use super::*;
use crate::both_databases;
use crate::support::location;

/// The created key's body without its token: what a GET of it answers.
fn without_token(created: &Value) -> Value {
    let mut key = created.clone();
    key.as_object_mut().expect("an object").remove("token");
    key
}

async fn an_organization_key_reads_its_organization_and_manages_its_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "2027-06-01").await;
    set_scope(&app, &ci, FULL_ACCESS).await;
    let api = Api::new(&app, &ci.full);
    let acme = json!({"slug": "acme", "name": "Acme Corp", "role": null, "can_manage_keys": true, "scope": FULL_ACCESS});

    let (status, body) = api.get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "key": {
                "id": ci.public_id, "kind": "organization", "hint": ci.hint(), "description": "CI",
                "valid_until": "2027-06-01", "created_at": EPOCH, "scope": FULL_ACCESS, "orgs": null,
                "allowed_networks": null,
            },
            "user": null,
            "organization": acme,
            "organizations": [acme],
        })
    );
    assert_eq!(api.get_json("/api/v1/orgs").await, (StatusCode::OK, json!({"organizations": [acme]})));
    assert_eq!(
        api.get_json("/api/v1/orgs/acme").await,
        (
            StatusCode::OK,
            json!({
                "slug": "acme", "name": "Acme Corp", "created_at": EPOCH, "role": null,
                "can_manage_keys": true, "max_key_lifetime_days": null, "scope": FULL_ACCESS,
                "keys_require_expiry": false, "user_keys_allowed": "all",
            })
        )
    );
    assert_eq!(
        api.get_json("/api/v1/orgs/acme/members").await,
        (
            StatusCode::OK,
            json!({"members": [
                {
                    "user": {"id": team.alice.id, "display_name": "Alice"},
                    "role": "admin", "joined_at": EPOCH,
                },
                {
                    "user": {"id": team.mia.id, "display_name": "Mia"},
                    "role": "member", "joined_at": EPOCH,
                },
            ]})
        )
    );

    // 201: the body has the key and its token; Location is the key's URL.
    let response = api
        .call(
            reqwest::Method::POST,
            "/api/v1/orgs/acme/keys",
            Some(json!({"description": " From CI ", "valid_until": "2027-03-05"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let url = location(&response);
    let (_, created) = json_of(response).await;
    let token = Token::parse(created["token"].as_str().expect("a token"), KeyKind::Organization);
    assert_eq!(url, format!("/api/v1/orgs/acme/keys/{}", token.public_id));
    assert_eq!(
        created,
        json!({
            "id": token.public_id, "kind": "organization", "hint": token.hint(),
            "description": "From CI", "valid_until": "2027-03-05", "status": "expires_soon",
            "created_at": EPOCH, "created_by": null, "last_used_at": null, "token": token.full,
            "created_by_key": {"hint": ci.hint(), "description": "CI"},
            "scope": RUN_BUILDS, "orgs": null, "allowed_networks": null, "revoked_at": null, "revoked_reason": null,
            "rolled_from": null, "rolled_to": null,
        })
    );
    assert!(key_exists(&app, &token.public_id).await);
    assert_eq!(api.get_json(&url).await, (StatusCode::OK, without_token(&created)));

    // The list, newest first; the key in use has its last use (written in the background).
    wait_for_last_use(&app, &ci.public_id, "2027-02-28 12:00:00").await;
    let ci_json = json!({
        "id": ci.public_id, "kind": "organization", "hint": ci.hint(), "description": "CI",
        "valid_until": "2027-06-01", "status": "active", "created_at": EPOCH,
        "created_by": {"id": team.alice.id, "display_name": "Alice"}, "last_used_at": EPOCH,
        "scope": FULL_ACCESS, "orgs": null, "allowed_networks": null, "revoked_at": null, "revoked_reason": null,
            "rolled_from": null, "rolled_to": null,
    });
    assert_eq!(
        api.get_json(&format!("/api/v1/orgs/acme/keys/{}", ci.public_id)).await,
        (StatusCode::OK, ci_json.clone())
    );
    assert_eq!(
        api.get_json("/api/v1/orgs/acme/keys").await,
        (
            StatusCode::OK,
            json!({
                "keys": [without_token(&created), ci_json],
                "per_page": 50, "total": 2, "total_is_capped": false, "next_cursor": null,
            })
        )
    );
    let (status, page) = api.get_json("/api/v1/orgs/acme/keys?per_page=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["keys"].as_array().unwrap().len(), 1);
    assert_eq!(page["keys"][0]["id"], token.public_id.as_str());
    assert_eq!((&page["per_page"], &page["total"]), (&json!(1), &json!(2)));
    let cursor = page["next_cursor"].as_str().expect("a next cursor").to_string();
    let (status, page) = api.get_json(&format!("/api/v1/orgs/acme/keys?per_page=1&cursor={cursor}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["keys"][0]["id"], ci.public_id.as_str());
    assert_eq!(page["next_cursor"], Value::Null, "the last page");

    // 204, empty; then the key is refused, and listed as revoked.
    let response = api.delete(&url).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.text().await.unwrap(), "");
    assert!(crate::keys::key_revoked(&app, &token.public_id).await);
    let (status, revoked) = api.get_json(&url).await;
    assert_eq!(
        (status, &revoked["status"], &revoked["revoked_reason"]),
        (StatusCode::OK, &json!("revoked"), &json!("revoked"))
    );
    assert_eq!(api.delete(&url).await.status(), StatusCode::NO_CONTENT, "revoking again changes nothing");
    assert_eq!(
        Api::new(&app, &token.full).whoami_status().await,
        (StatusCode::UNAUTHORIZED, Some("revoked_key".into()))
    );
    assert_eq!(api.whoami_status().await, (StatusCode::OK, None), "the key that revoked it still works");
    assert_not_logged(&app, &[&ci, &token]);
}
both_databases!(an_organization_key_reads_its_organization_and_manages_its_keys, at_epoch);

async fn a_user_key_reads_the_users_organizations_and_manages_the_users_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    set_scope(&app, &laptop, FULL_ACCESS).await;
    let api = Api::new(&app, &laptop.full);
    let alice = json!({"id": team.alice.id, "display_name": "Alice"});
    let acme = json!({"slug": "acme", "name": "Acme Corp", "role": "admin", "can_manage_keys": true, "scope": FULL_ACCESS});

    let (status, body) = api.get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "key": {
                "id": laptop.public_id, "kind": "user", "hint": laptop.hint(), "description": "Laptop",
                "valid_until": null, "created_at": EPOCH, "scope": FULL_ACCESS, "orgs": null,
                "allowed_networks": null,
            },
            "user": alice,
            "organization": null,
            "organizations": [acme],
        })
    );
    assert_eq!(api.get_json("/api/v1/orgs").await, (StatusCode::OK, json!({"organizations": [acme]})));
    assert_eq!(
        api.get_json("/api/v1/orgs/acme").await,
        (
            StatusCode::OK,
            json!({
                "slug": "acme", "name": "Acme Corp", "created_at": EPOCH, "role": "admin",
                "can_manage_keys": true, "max_key_lifetime_days": null, "scope": FULL_ACCESS,
                "keys_require_expiry": false, "user_keys_allowed": "all",
            })
        )
    );
    let (status, members) = api.get_json("/api/v1/orgs/acme/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(members["members"].as_array().unwrap().len(), 2);

    // An admin's user key manages the organization's keys; they are created by her.
    let response = api
        .call(
            reqwest::Method::POST,
            "/api/v1/orgs/acme/keys",
            Some(json!({"description": "Deploy", "valid_until": "2027-05-29"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let org_url = location(&response);
    let (_, org_key) = json_of(response).await;
    let deploy = Token::parse(org_key["token"].as_str().unwrap(), KeyKind::Organization);
    assert_eq!(org_url, format!("/api/v1/orgs/acme/keys/{}", deploy.public_id));
    assert_eq!(
        org_key,
        json!({
            "id": deploy.public_id, "kind": "organization", "hint": deploy.hint(),
            "description": "Deploy",
            "valid_until": "2027-05-29", "status": "active", "created_at": EPOCH, "created_by": alice,
            "last_used_at": null, "token": deploy.full,
            "created_by_key": {"hint": laptop.hint(), "description": "Laptop"},
            "scope": RUN_BUILDS, "orgs": null, "allowed_networks": null, "revoked_at": null, "revoked_reason": null,
            "rolled_from": null, "rolled_to": null,
        })
    );
    assert_eq!(api.get_json(&org_url).await, (StatusCode::OK, without_token(&org_key)));
    let (status, list) = api.get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(
        (status, list["keys"].clone(), list["total"].clone()),
        (StatusCode::OK, json!([without_token(&org_key)]), json!(1))
    );

    // Her own keys.
    let response =
        api.call(reqwest::Method::POST, "/api/v1/user/keys", Some(json!({"description": "Laptop 2"}))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user_url = location(&response);
    let (_, user_key) = json_of(response).await;
    let second = Token::parse(user_key["token"].as_str().unwrap(), KeyKind::User);
    assert_eq!(user_url, format!("/api/v1/user/keys/{}", second.public_id));
    assert_eq!(
        user_key,
        json!({
            "id": second.public_id, "kind": "user", "hint": second.hint(), "description": "Laptop 2",
            "valid_until": null, "status": "active", "created_by": alice, "created_at": EPOCH,
            "last_used_at": null, "token": second.full,
            "created_by_key": {"hint": laptop.hint(), "description": "Laptop"},
            "scope": RUN_BUILDS, "orgs": null, "allowed_networks": null, "revoked_at": null, "revoked_reason": null,
            "rolled_from": null, "rolled_to": null,
        })
    );
    assert_eq!(api.get_json(&user_url).await, (StatusCode::OK, without_token(&user_key)));
    assert_eq!(
        Api::new(&app, &second.full).whoami_status().await,
        (StatusCode::OK, None),
        "the new key works"
    );
    wait_for_last_use(&app, &laptop.public_id, "2027-02-28 12:00:00").await;
    let (status, list) = api.get_json("/api/v1/user/keys").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["keys"].as_array().unwrap().iter().map(|k| k["description"].clone()).collect::<Vec<_>>(),
        [json!("Laptop 2"), json!("Laptop")]
    );
    assert_eq!(list["keys"][1]["last_used_at"], EPOCH);
    assert_eq!(
        (&list["total"], &list["next_cursor"], &list["total_is_capped"]),
        (&json!(2), &Value::Null, &json!(false))
    );

    // 204 for each; a second revocation changes nothing.
    assert_eq!(api.delete_json(&user_url).await, (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(api.delete_json(&user_url).await, (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(api.get_json(&user_url).await.1["status"], "revoked");
    assert_eq!(
        Api::new(&app, &second.full).whoami_status().await,
        (StatusCode::UNAUTHORIZED, Some("revoked_key".into()))
    );
    assert_eq!(api.delete_json(&org_url).await, (StatusCode::NO_CONTENT, Value::Null));
    assert!(crate::keys::key_revoked(&app, &deploy.public_id).await);
    assert_eq!(
        Api::new(&app, &deploy.full).whoami_status().await,
        (StatusCode::UNAUTHORIZED, Some("revoked_key".into()))
    );
    assert_not_logged(&app, &[&laptop, &deploy, &second]);
}
both_databases!(a_user_key_reads_the_users_organizations_and_manages_the_users_keys, at_epoch);

async fn the_api_answers_errors_in_json_for_what_it_does_not_serve(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &org_key.full);

    // No key.
    let response = anonymous(&app, reqwest::Method::GET, "/api/v1/whoami").send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"monkeyci\"");
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_key").await;

    // Unknown routes, with and without a key: JSON, never the HTML error page.
    for path in ["/api/v1/nothing", "/api/v1/orgs/acme/keys/x/y", "/api/v1/", "/api/v1/user"] {
        assert_error(api.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
        let response = anonymous(&app, reqwest::Method::GET, path).send().await.unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }

    // Methods an endpoint does not have.
    for (method, path) in [
        (reqwest::Method::PUT, "/api/v1/orgs/acme/keys".to_string()),
        (reqwest::Method::PATCH, format!("/api/v1/orgs/acme/keys/{}", org_key.public_id)),
        (reqwest::Method::PUT, "/api/v1/user/keys".to_string()),
        (reqwest::Method::POST, format!("/api/v1/user/keys/{}", org_key.public_id)),
    ] {
        let response = api.request(method.clone(), &path).send().await.unwrap();
        assert_error(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }

    // Bodies that are not JSON: syntax errors (400), other media types (415).
    for bad in ["{\"description\": ", "not json", "{\"description\": \"x\",}"] {
        let response = api
            .request(reqwest::Method::POST, "/api/v1/orgs/acme/keys")
            .header("Content-Type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let response = api
        .request(reqwest::Method::POST, "/api/v1/orgs/acme/keys")
        .form(&[("description", "Form")])
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let response = api
        .request(reqwest::Method::POST, "/api/v1/orgs/acme/keys")
        .header("Content-Type", "text/plain")
        .body("{\"description\": \"Text\"}")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let response = api
        .request(reqwest::Method::POST, "/api/v1/orgs/acme/keys")
        .json(&json!({"description": "x".repeat(20_000)}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(key_count(&app).await, 1, "nothing was created");
    assert_not_logged(&app, &[&org_key]);
}
both_databases!(the_api_answers_errors_in_json_for_what_it_does_not_serve, at_epoch);

async fn every_endpoint_answers_405_to_a_method_it_does_not_have(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &org_key.full);
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/v1/whoami"),
        (reqwest::Method::POST, "/api/v1/whoami"),
        (reqwest::Method::POST, "/api/v1/orgs"),
        (reqwest::Method::DELETE, "/api/v1/orgs/acme"),
        (reqwest::Method::PUT, "/api/v1/orgs/acme/members"),
        (reqwest::Method::POST, "/api/v1/openapi.json"),
    ] {
        let (status, body) = json_of(api.request(method.clone(), path).send().await.unwrap()).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            "{method} {path}"
        );
    }
    assert_not_logged(&app, &[&org_key]);
}
both_databases!(every_endpoint_answers_405_to_a_method_it_does_not_have, at_epoch);

// RFC 9110 §15.5.6: a 405 says which methods the resource has.
async fn a_405_says_which_methods_are_allowed(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &org_key.full);
    for (method, path, allowed) in [
        (reqwest::Method::PUT, "/api/v1/orgs/acme/keys".to_string(), ["GET", "POST"]),
        (reqwest::Method::PATCH, format!("/api/v1/orgs/acme/keys/{}", org_key.public_id), ["GET", "DELETE"]),
        (reqwest::Method::PUT, "/api/v1/user/keys".to_string(), ["GET", "POST"]),
    ] {
        let response = api.request(method.clone(), &path).send().await.unwrap();
        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert_error(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
        let mut listed: Vec<&str> = allow.split(',').map(str::trim).filter(|m| !m.is_empty()).collect();
        listed.sort_unstable();
        let mut expected = allowed.to_vec();
        expected.sort_unstable();
        assert_eq!(listed, expected, "{method} {path}: Allow: {allow:?}");
    }
    assert_not_logged(&app, &[&org_key]);
}
both_databases!(a_405_says_which_methods_are_allowed, at_epoch);
