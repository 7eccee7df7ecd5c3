//! What a new key may do, which organizations a user key reaches and where it
//! may be used from, chosen through the API (SPEC §5): `scope` (absent: Run
//! builds), `orgs` (user keys only) and `allowed_networks`; bad choices are 422
//! with the field named. Lists, gets and whoami show what was chosen; keys made
//! before permissions existed have full access.

use monkeyci_accounts::auth::key_hash::hash_secret;
use monkeyci_accounts::config::DatabaseTarget;
use monkeyci_accounts::domain::api_key::generate;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::permissions::{FULL_ACCESS, READ_ONLY, RUN_BUILDS, key_with_scope};
use super::*;
use crate::both_databases;
use crate::support::Backend;
use crate::support::older_database::store_before;

/// The 422's `fields` of a refused creation.
async fn refused_fields(api: &Api, list: &str, body: Value) -> Value {
    let (status, answer) = api.post_json(list, body).await;
    assert_eq!((status, code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{answer}");
    answer["error"]["fields"].clone()
}

async fn a_new_key_runs_builds_unless_the_request_says_otherwise(app: TestApp) {
    let team = Team::new(&app).await;
    let admin = key_with_scope(&app, &team.alice, ACME_KEYS, FULL_ACCESS).await;
    let api = Api::new(&app, &admin.full);
    let (created, default) =
        api.create_key_with("/api/v1/orgs/acme/keys", json!({"description": "CI"})).await;
    assert_eq!(
        (&created["scope"], &created["orgs"], &created["allowed_networks"]),
        (&json!(RUN_BUILDS), &Value::Null, &Value::Null)
    );
    let (created, reader) = api
        .create_key_with(
            "/api/v1/orgs/acme/keys",
            json!({"description": "Dashboard", "scope": " keys:read  org:read "}),
        )
        .await;
    assert_eq!(created["scope"], "org:read keys:read", "written back in canonical order");

    // What was chosen is what the key may do.
    let ci = Api::new(&app, &default.full);
    let body =
        assert_error(ci.get("/api/v1/orgs/acme").await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert!(message(&body).starts_with("This key lacks org:read (read the organization)."), "{body}");
    let (status, me) = ci.get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["key"]["scope"], RUN_BUILDS);
    assert_eq!(
        me["organizations"],
        json!([{"slug": "acme", "name": "Acme Corp", "role": null, "can_manage_keys": false, "scope": RUN_BUILDS}])
    );
    let dashboard = Api::new(&app, &reader.full);
    let (status, list) = dashboard.get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(status, StatusCode::OK);
    let scopes: Vec<&str> =
        list["keys"].as_array().unwrap().iter().map(|k| k["scope"].as_str().unwrap()).collect();
    assert_eq!(scopes, ["org:read keys:read", RUN_BUILDS, FULL_ACCESS], "newest first");
    let (_, one) = dashboard.get_json(&format!("/api/v1/orgs/acme/keys/{}", default.public_id)).await;
    assert_eq!(one["scope"], RUN_BUILDS);
    let (status, details) = dashboard.get_json("/api/v1/orgs/acme").await;
    assert_eq!(
        (status, &details["scope"], &details["can_manage_keys"]),
        (StatusCode::OK, &json!("org:read keys:read"), &json!(false))
    );
    assert_error(
        dashboard
            .call(reqwest::Method::POST, "/api/v1/orgs/acme/keys", Some(json!({"description": "x"})))
            .await,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
    )
    .await;
    assert_not_logged(&app, &[&admin, &default, &reader]);
}
both_databases!(a_new_key_runs_builds_unless_the_request_says_otherwise, at_epoch);

async fn bad_choices_are_refused_field_by_field(app: TestApp) {
    let team = Team::new(&app).await;
    let org = Api::new(&app, &key_with_scope(&app, &team.alice, ACME_KEYS, FULL_ACCESS).await.full);
    let user = Api::new(&app, &key_with_scope(&app, &team.mia, USER_KEYS, FULL_ACCESS).await.full);
    let orgs = "/api/v1/orgs/acme/keys";
    let mine = "/api/v1/user/keys";

    let fields = refused_fields(&org, orgs, json!({"description": "x", "orgs": ["acme"]})).await;
    assert_eq!(fields, json!({"orgs": "An organization key reaches its own organization only."}));
    let fields = refused_fields(&user, mine, json!({"description": "x", "orgs": ["bolt"]})).await;
    assert_eq!(fields, json!({"orgs": "You are not a member of “bolt”: choose among your organizations."}));
    let fields = refused_fields(&user, mine, json!({"description": "x", "orgs": []})).await;
    assert_eq!(fields, json!({"orgs": "Choose at least one organization, or all of them."}));

    let fields = refused_fields(
        &org,
        orgs,
        json!({"description": "", "scope": "builds:admin", "allowed_networks": ["10.0.0.0/8", "intranet"]}),
    )
    .await;
    assert_eq!(
        fields,
        json!({
            "description": "Describe what the key is for.",
            "scope": "`admin` is not a level: use read or write",
            "allowed_networks": "`intranet` is not a network: write an address with its prefix length, e.g. 203.0.113.0/24 or 2001:db8::/32",
        })
    );
    let fields = refused_fields(&org, orgs, json!({"description": "x", "scope": ""})).await;
    assert_eq!(fields, json!({"scope": "Choose at least one permission."}));
    let fields = refused_fields(
        &org,
        orgs,
        json!({"description": "x", "allowed_networks": ["10.0.0.0/8 10.1.0.0/16"]}),
    )
    .await;
    assert!(fields["allowed_networks"].as_str().unwrap().contains("is not a network"), "{fields}");
    let fields = refused_fields(
        &user,
        mine,
        json!({"description": "x", "scope": ["builds:write"], "orgs": "acme", "allowed_networks": "10.0.0.0/8"}),
    )
    .await;
    assert_eq!(
        fields,
        json!({
            "scope": "Give the permissions as one scope string, such as \"repos:read builds:write\".",
            "orgs": "Give a list of organization slugs, such as [\"acme\"].",
            "allowed_networks": "Give a list of networks, such as [\"203.0.113.0/24\"].",
        })
    );

    // A key gives a new key at most what it may do itself.
    let (_, keys_only) =
        org.create_key_with(orgs, json!({"description": "Key maker", "scope": "keys:write"})).await;
    let maker = Api::new(&app, &keys_only.full);
    let fields =
        refused_fields(&maker, orgs, json!({"description": "Escalation", "scope": FULL_ACCESS})).await;
    assert_eq!(
        fields,
        json!({"scope": "A key can give a new key only what it may do itself: this one lacks org:write."})
    );
    let fields = refused_fields(&maker, orgs, json!({"description": "Default"})).await;
    assert_eq!(
        fields["scope"],
        "A key can give a new key only what it may do itself: this one lacks repos:read."
    );
    let (created, _) =
        maker.create_key_with(orgs, json!({"description": "Reader", "scope": "keys:read"})).await;
    assert_eq!(created["scope"], "keys:read");
    assert_eq!(key_count(&app).await, 4, "nothing else was made");
}
both_databases!(bad_choices_are_refused_field_by_field, at_epoch);

async fn a_user_key_shows_its_reach_and_networks_everywhere(app: TestApp) {
    let team = Team::new(&app).await;
    team.mia.create_org("Mia's Lab", "mialab").await;
    let everything = key_with_scope(&app, &team.mia, USER_KEYS, FULL_ACCESS).await;
    let api = Api::new(&app, &everything.full);
    let (created, restricted) = api
        .create_key_with(
            "/api/v1/user/keys",
            json!({"description": "Two orgs", "scope": READ_ONLY, "orgs": ["mialab", "acme", "acme"],
                   "allowed_networks": ["127.0.0.1/32", "::1"]}),
        )
        .await;
    assert_eq!(created["orgs"], json!(["acme", "mialab"]));
    assert_eq!(created["allowed_networks"], json!(["127.0.0.1/32", "::1/128"]));
    let url = format!("/api/v1/user/keys/{}", restricted.public_id);
    let (_, one) = api.get_json(&url).await;
    assert_eq!(
        (&one["orgs"], &one["allowed_networks"], &one["scope"]),
        (&created["orgs"], &created["allowed_networks"], &json!(READ_ONLY))
    );
    let (_, list) = api.get_json("/api/v1/user/keys").await;
    let rows: Vec<(Value, Value)> =
        list["keys"].as_array().unwrap().iter().map(|k| (k["orgs"].clone(), k["scope"].clone())).collect();
    assert_eq!(rows, [(json!(["acme", "mialab"]), json!(READ_ONLY)), (Value::Null, json!(FULL_ACCESS))]);
    let (status, me) = Api::new(&app, &restricted.full).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "used from 127.0.0.1: {me}");
    assert_eq!(me["key"]["orgs"], json!(["acme", "mialab"]));
    let scopes: Vec<(Value, Value)> = me["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["slug"].clone(), o["scope"].clone()))
        .collect();
    assert_eq!(
        scopes,
        [
            (json!("acme"), json!("org:read members:read repos:read builds:read webhooks:read")),
            (json!("mialab"), json!(READ_ONLY))
        ],
        "a member's rights bound the key in Acme; an admin's do not in her lab"
    );
    assert_not_logged(&app, &[&everything, &restricted]);
}
both_databases!(a_user_key_shows_its_reach_and_networks_everywhere, at_epoch);

/// The migration that gave keys their permissions.
const PERMISSIONS: &str = "2026-12-05-000002_key_permissions_reach_and_blocks";

/// A database as the version before permissions left it: Alice (user 1), admin
/// of Acme (organization 1), with an organization key and a user key whose
/// tokens are `tokens`.
fn keys_made_before_permissions(target: &DatabaseTarget, tokens: &[(KeyKind, String, String)]) {
    let mut sql = vec![
        "INSERT INTO users (display_name, created_at, updated_at) \
         VALUES ('Alice', '2026-11-01 10:00:00', '2026-11-01 10:00:00');"
            .to_string(),
        "INSERT INTO organizations (slug, name, name_search, created_at, updated_at) \
         VALUES ('acme', 'Acme Corp', 'acme corp', '2026-11-01 10:00:00', '2026-11-01 10:00:00');"
            .to_string(),
        "INSERT INTO memberships (organization_id, user_id, role, created_at) \
         VALUES (1, 1, 'admin', '2026-11-01 10:00:00');"
            .to_string(),
    ];
    for (kind, public_id, secret) in tokens {
        let (kind, org, user) =
            if *kind == KeyKind::Organization { ("org", "1", "NULL") } else { ("user", "NULL", "1") };
        sql.push(format!(
            "INSERT INTO api_keys (public_id, kind, organization_id, user_id, secret_hash, description, \
             valid_until, created_at, created_by) VALUES ({}, '{kind}', {org}, {user}, {}, 'Old', NULL, \
             '2026-11-02 10:00:00', 1);",
            quoted(public_id),
            quoted(&hash_secret(secret).unwrap())
        ));
    }
    store_before(target, PERMISSIONS, &sql.join("\n"));
}

async fn keys_made_before_permissions_existed_keep_full_access(backend: Backend) {
    let org = generate(KeyKind::Organization);
    let user = generate(KeyKind::User);
    let tokens = [
        (KeyKind::Organization, org.public_id.as_str().to_string(), org.secret.expose().to_string()),
        (KeyKind::User, user.public_id.as_str().to_string(), user.secret.expose().to_string()),
    ];
    let Some(app) =
        TestApp::spawn_on_prepared(backend, |target| keys_made_before_permissions(target, &tokens)).await
    else {
        return;
    };
    for (token, list) in
        [(org.to_token_string(), "/api/v1/orgs/acme/keys"), (user.to_token_string(), "/api/v1/user/keys")]
    {
        let api = Api::new(&app, &token);
        let (status, me) = api.get_json("/api/v1/whoami").await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["key"]["scope"], FULL_ACCESS);
        assert_eq!(me["organizations"][0]["scope"], FULL_ACCESS);
        for path in ["/api/v1/orgs/acme", "/api/v1/orgs/acme/members", "/api/v1/orgs/acme/keys", list] {
            assert_eq!(api.get_json(path).await.0, StatusCode::OK, "{path}");
        }
        let (created, _) =
            api.create_key_with(list, json!({"description": "New", "scope": FULL_ACCESS})).await;
        assert_eq!(created["scope"], FULL_ACCESS);
    }
}

#[actix_web::test]
async fn keys_made_before_permissions_existed_keep_full_access_on_sqlite() {
    keys_made_before_permissions_existed_keep_full_access(Backend::Sqlite).await;
}

#[actix_web::test]
async fn keys_made_before_permissions_existed_keep_full_access_on_postgres() {
    keys_made_before_permissions_existed_keep_full_access(Backend::Postgres).await;
}
