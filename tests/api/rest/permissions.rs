//! What each route needs (SPEC §2 "Permissions", §5), from one table: the
//! server enforces it for every kind of key and every preset, and the OpenAPI
//! document states the same scope for every operation.
//!
//! A key's effective rights in an organization are its permissions within its
//! holder's rights (an organization key acts as an admin; a member never manages
//! keys); on `/user/keys` they are the key's own permissions. A holder without
//! the right gets 403 `forbidden`; a holder with it whose key lacks it gets 403
//! `insufficient_scope`, naming the scope.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::both_databases;
use crate::keys::{insert_key_rows, join};
use crate::support::sql::{execute, org_id};
use monkeyci_accounts::domain::api_key::generate;

/// One operation of the API and the scope it needs (`None`: any key).
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub needs: Option<&'static str>,
}

/// Every operation of SPEC §5 (the table both the server and the document are checked against).
pub fn routes() -> Vec<Route> {
    let route = |method: Method, path, needs| Route { method, path, needs };
    vec![
        route(Method::GET, "/api/v1/whoami", None),
        route(Method::GET, "/api/v1/orgs", None),
        route(Method::GET, "/api/v1/orgs/{org}", Some("org:read")),
        route(Method::GET, "/api/v1/orgs/{org}/members", Some("members:read")),
        route(Method::GET, "/api/v1/orgs/{org}/keys", Some("keys:read")),
        route(Method::POST, "/api/v1/orgs/{org}/keys", Some("keys:write")),
        route(Method::GET, "/api/v1/orgs/{org}/keys/{id}", Some("keys:read")),
        route(Method::DELETE, "/api/v1/orgs/{org}/keys/{id}", Some("keys:write")),
        route(Method::GET, "/api/v1/user/keys", Some("keys:read")),
        route(Method::POST, "/api/v1/user/keys", Some("keys:write")),
        route(Method::GET, "/api/v1/user/keys/{id}", Some("keys:read")),
        route(Method::DELETE, "/api/v1/user/keys/{id}", Some("keys:write")),
        route(Method::POST, "/api/v1/orgs/{org}/keys/{id}/roll", Some("keys:write")),
        route(Method::POST, "/api/v1/user/keys/{id}/roll", Some("keys:write")),
        route(Method::GET, "/api/v1/orgs/{org}/user-keys", Some("keys:read")),
        route(Method::POST, "/api/v1/orgs/{org}/user-keys/{id}/block", Some("keys:write")),
        route(Method::DELETE, "/api/v1/orgs/{org}/user-keys/{id}/block", Some("keys:write")),
    ]
}

pub const RUN_BUILDS: &str = "repos:read builds:write params:read";
pub const READ_ONLY: &str =
    "org:read members:read keys:read repos:read builds:read webhooks:read billing:read";
pub const FULL_ACCESS: &str = "org:write members:write keys:write repos:write builds:write params:write \
                               ssh_keys:write webhooks:write billing:write";

/// The presets of the Add form, and one custom scope.
const PRESETS: [(&str, &str); 4] = [
    ("Run builds", RUN_BUILDS),
    ("Read only", READ_ONLY),
    ("Full access", FULL_ACCESS),
    ("Custom", "members:read"),
];

/// Gives a key these permissions, straight in the table (before its first use,
/// so no cache holds the old ones).
pub async fn set_scope(app: &TestApp, token: &Token, scope: &str) {
    let sql = format!(
        "UPDATE api_keys SET scope = {} WHERE public_id = {}",
        quoted(scope),
        quoted(&token.public_id)
    );
    execute(app, sql).await;
}

/// A key made through the UI, then given `scope`.
pub async fn key_with_scope(
    app: &TestApp,
    person: &crate::support::Browser,
    list: &str,
    scope: &str,
) -> Token {
    let token = person.new_key(list, &format!("Key with {scope}"), "").await;
    set_scope(app, &token, scope).await;
    token
}

/// A key stored without a usable secret, for a route to read or delete: its public id.
async fn target(app: &TestApp, kind: KeyKind, owner: (Option<i32>, Option<i32>)) -> String {
    let public_id = generate(kind).public_id.as_str().to_string();
    let kind = if kind == KeyKind::Organization { "org" } else { "user" };
    let id = |id: Option<i32>| id.map_or_else(|| "NULL".to_string(), |id| id.to_string());
    insert_key_rows(
        app,
        &[format!(
            "({}, '{kind}', {}, {}, 'no secret', 'Target', NULL, '2027-02-28 12:00:00', NULL)",
            quoted(&public_id),
            id(owner.0),
            id(owner.1)
        )],
    )
    .await;
    public_id
}

/// What a call answered: `o` a success, `s` 403 `insufficient_scope`, `f` 403 `forbidden`.
async fn outcome(response: reqwest::Response, needs: Option<&str>, what: &str) -> char {
    let status = response.status();
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string());
    let (_, body) = json_of(response).await;
    match status.as_u16() {
        200..=299 => 'o',
        403 if code(&body) == "insufficient_scope" => {
            let scope = needs.expect("a route that needs nothing never lacks a scope");
            assert!(message(&body).starts_with(&format!("This key lacks {scope} (")), "{what}: {body}");
            assert_eq!(
                challenge.as_deref(),
                Some(format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"").as_str()),
                "{what}: RFC 6750's challenge names the scope"
            );
            's'
        }
        403 if code(&body) == "forbidden" => {
            assert!(challenge.is_none(), "{what}");
            'f'
        }
        other => panic!("{what}: {other} {body}"),
    }
}

async fn every_route_answers_each_kind_of_key_and_preset_as_the_table_says(app: TestApp) {
    let team = Team::new(&app).await;
    let acme = org_id(&app, "acme").await;
    let (alice, mia) = (team.alice.id, team.mia.id);
    // Per route: the outcome for the organization key, the admin's user key and
    // the member's user key, each with Run builds, Read only, Full access, Custom.
    let expected = [
        "oooo oooo oooo", // GET /whoami
        "oooo oooo oooo", // GET /orgs
        "soos soos soos", // GET /orgs/{org}: org:read (a member has it)
        "sooo sooo sooo", // GET /orgs/{org}/members: members:read
        "soos soos ffff", // GET /orgs/{org}/keys: keys:read (never a member)
        "ssos ssos ffff", // POST /orgs/{org}/keys: keys:write
        "soos soos ffff", // GET /orgs/{org}/keys/{id}
        "ssos ssos ffff", // DELETE /orgs/{org}/keys/{id}
        "ffff soos soos", // GET /user/keys: the key's own keys:read (user keys only)
        "ffff ssos ssos", // POST /user/keys
        "ffff soos soos", // GET /user/keys/{id}
        "ffff ssos ssos", // DELETE /user/keys/{id}
        "ssos ssos ffff", // POST /orgs/{org}/keys/{id}/roll: keys:write, as creating
        "ffff ssos ssos", // POST /user/keys/{id}/roll
        "soos soos ffff", // GET /orgs/{org}/user-keys: overseeing members' keys is key management
        "ssos ssos ffff", // POST /orgs/{org}/user-keys/{id}/block
        "ssos ssos ffff", // DELETE /orgs/{org}/user-keys/{id}/block
    ];
    let mut holders = Vec::new();
    for (label, list, person, owner) in [
        ("organization key", ACME_KEYS, &team.alice, None),
        ("admin's user key", USER_KEYS, &team.alice, Some(alice)),
        ("member's user key", USER_KEYS, &team.mia, Some(mia)),
    ] {
        let mut keys = Vec::new();
        for (preset, scope) in PRESETS {
            keys.push((preset, key_with_scope(&app, person, list, scope).await));
        }
        holders.push((label, owner, keys));
    }

    let mut answered = Vec::new();
    for route in routes() {
        let mut row = String::new();
        for (label, owner, keys) in &holders {
            if !row.is_empty() {
                row.push(' ');
            }
            for (preset, key) in keys {
                let id = if route.path.starts_with("/api/v1/user/") {
                    match owner {
                        Some(user) => target(&app, KeyKind::User, (None, Some(*user))).await,
                        None => "AAAAAAAAAAAAAAAA".to_string(),
                    }
                } else if route.path.contains("/user-keys/") {
                    // A member's user key, which reaches Acme.
                    target(&app, KeyKind::User, (None, Some(mia))).await
                } else {
                    target(&app, KeyKind::Organization, (Some(acme), None)).await
                };
                let url = route.path.replace("{org}", "acme").replace("{id}", &id);
                let body =
                    (route.method == Method::POST).then(|| json!({"description": "Made in the table"}));
                let response = Api::new(&app, &key.full).call(route.method.clone(), &url, body).await;
                let what = format!("{} {url} with the {label} ({preset})", route.method);
                row.push(outcome(response, route.needs, &what).await);
            }
        }
        answered.push(row);
    }
    let routes: Vec<String> = routes().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    let expected: Vec<(String, &str)> = routes.iter().cloned().zip(expected).collect();
    let answered: Vec<(String, &str)> = routes.into_iter().zip(answered.iter().map(String::as_str)).collect();
    assert_eq!(answered, expected);
}
both_databases!(every_route_answers_each_kind_of_key_and_preset_as_the_table_says, at_epoch);

async fn the_document_states_the_scope_each_route_enforces(app: TestApp) {
    let document: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    let mut documented = Vec::new();
    // The platform services' introspection takes no key (see `rest::introspection`),
    // nor do the reports of leaked keys (see `leaks`).
    let without_key = ["/api/v1/introspect", "/api/v1/keys/revoke", "/api/v1/secret-scanning/github"];
    let paths = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| !without_key.contains(&path.as_str()));
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let scopes = &operation["security"][0]["api_key"];
            let scopes: Vec<&str> = scopes.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            assert!(scopes.len() <= 1, "{method} {path}: one scope, {scopes:?}");
            if let Some(scope) = scopes.first() {
                let forbidden = operation["responses"]["403"]["description"].as_str().unwrap_or_default();
                assert!(forbidden.contains("insufficient_scope"), "{method} {path}: {forbidden}");
                assert!(forbidden.contains(scope), "{method} {path} names {scope} in its 403: {forbidden}");
            }
            documented.push((method.to_uppercase(), path.clone(), scopes.first().map(ToString::to_string)));
        }
    }
    let mut enforced: Vec<(String, String, Option<String>)> = routes()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.to_string(), r.needs.map(str::to_string)))
        .collect();
    documented.sort();
    enforced.sort();
    assert_eq!(documented, enforced);
}
both_databases!(the_document_states_the_scope_each_route_enforces);

async fn a_restricted_user_key_reaches_only_its_organizations_and_nothing_once_it_left_them(app: TestApp) {
    let team = Team::new(&app).await;
    // Mia is a member of Acme and the admin of her own organization.
    team.mia.create_org("Mia's Lab", "mialab").await;
    let everything = key_with_scope(&app, &team.mia, USER_KEYS, FULL_ACCESS).await;
    let (created, only_acme) = Api::new(&app, &everything.full)
        .create_key_with(
            "/api/v1/user/keys",
            json!({"description": "Acme only", "scope": READ_ONLY, "orgs": ["acme"]}),
        )
        .await;
    assert_eq!((&created["orgs"], &created["scope"]), (&json!(["acme"]), &json!(READ_ONLY)));
    let api = Api::new(&app, &only_acme.full);

    assert_eq!(api.get_json("/api/v1/orgs/acme").await.0, StatusCode::OK);
    let (status, body) = api.get_json("/api/v1/orgs/mialab").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "not_found"),
        "her own organization, outside the key's reach"
    );
    assert_error(api.get("/api/v1/orgs/mialab/members").await, StatusCode::NOT_FOUND, "not_found").await;
    let (_, orgs) = api.get_json("/api/v1/orgs").await;
    assert_eq!(orgs["organizations"].as_array().unwrap().len(), 1);
    assert_eq!(orgs["organizations"][0]["slug"], "acme");
    assert_eq!(
        orgs["organizations"][0]["scope"], "org:read members:read repos:read builds:read webhooks:read",
        "what a member's read-only key may do"
    );
    let (_, me) = api.get_json("/api/v1/whoami").await;
    assert_eq!((&me["key"]["orgs"], &me["key"]["scope"]), (&json!(["acme"]), &json!(READ_ONLY)));
    // The unrestricted key reaches both.
    let (_, orgs) = Api::new(&app, &everything.full).get_json("/api/v1/orgs").await;
    assert_eq!(orgs["organizations"].as_array().unwrap().len(), 2);

    team.mia.post_and_follow("/o/acme/leave", &[], "/").await;
    assert_error(api.get("/api/v1/orgs/acme").await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(api.get("/api/v1/orgs/mialab").await, StatusCode::NOT_FOUND, "not_found").await;
    let (_, orgs) = api.get_json("/api/v1/orgs").await;
    assert_eq!(orgs["organizations"], json!([]), "an emptied reach is nothing, not everything");
    let (_, me) = api.get_json("/api/v1/whoami").await;
    assert_eq!(me["key"]["orgs"], json!([]));
    let (status, list) = api.get_json("/api/v1/user/keys").await;
    assert_eq!(status, StatusCode::OK, "the key still reads its user's keys: {list}");
    let listed =
        list["keys"].as_array().unwrap().iter().find(|k| k["id"] == only_acme.public_id.as_str()).cloned();
    assert_eq!(listed.unwrap()["orgs"], json!([]));
    // Joining again does not bring the organization back into this key's reach.
    join(&app, &team.mia, &team.alice, "acme").await;
    assert_error(api.get("/api/v1/orgs/acme").await, StatusCode::NOT_FOUND, "not_found").await;
    assert_not_logged(&app, &[&everything, &only_acme]);
}
both_databases!(a_restricted_user_key_reaches_only_its_organizations_and_nothing_once_it_left_them, at_epoch);

async fn a_users_key_restricted_to_one_organization_gets_404_where_its_user_is_admin(app: TestApp) {
    let team = Team::new(&app).await;
    team.alice.create_org("Alpha", "alpha").await;
    let everything = key_with_scope(&app, &team.alice, USER_KEYS, FULL_ACCESS).await;
    let (_, acme_only) = Api::new(&app, &everything.full)
        .create_key_with(
            "/api/v1/user/keys",
            json!({"description": "Acme", "scope": FULL_ACCESS, "orgs": ["acme"]}),
        )
        .await;
    let api = Api::new(&app, &acme_only.full);
    assert_eq!(api.get_json("/api/v1/orgs/acme/keys").await.0, StatusCode::OK);
    for path in ["/api/v1/orgs/alpha", "/api/v1/orgs/alpha/members", "/api/v1/orgs/alpha/keys"] {
        assert_error(api.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let (status, body) = api.post_json("/api/v1/orgs/alpha/keys", json!({"description": "x"})).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    assert_not_logged(&app, &[&everything, &acme_only]);
}
both_databases!(a_users_key_restricted_to_one_organization_gets_404_where_its_user_is_admin, at_epoch);
