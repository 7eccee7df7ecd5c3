//! `GET /api/v1/openapi.json` describes what the server does: every documented
//! route answers, with and without a key, with a status the document lists, and
//! JSON where the document promises a body; every way of getting each route to
//! refuse a request answers a status documented for that route, and every
//! status documented for a route is one it answers.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use monkeyci_accounts::domain::api_key::{KeyKind, generate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_databases;
use crate::keys::{ACME_KEYS, BOLT_KEYS, Team, USER_KEYS};
use crate::rest::Api;
use crate::support::{Options, TestApp};

/// A value for each path parameter, so that every route reaches its handler
/// (a member's user key for an organization's `user-keys`).
fn fill(path: &str, org_key_id: &str, user_key_id: &str) -> String {
    let user_id = path.starts_with("/api/v1/user/") || path.contains("/user-keys/");
    let id = if user_id { user_key_id } else { org_key_id };
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

async fn every_documented_route_answers_as_documented(app: TestApp) {
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
    for (path, item) in paths.iter().filter(|(path, _)| !WITHOUT_KEY.contains(&path.as_str())) {
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
            let body =
                (method == Method::POST).then(|| json!({"description": "Made by the conformance test"}));

            // With a key that may do it: a documented success status.
            let response = Api::new(&app, &key.full).call(method.clone(), &url, body.clone()).await;
            let status = response.status().as_u16();
            assert!(
                status < 300 && statuses.contains(&status),
                "{method} {url}: {status} not documented as success in {statuses:?}"
            );
            if promises_json(operation, status) {
                let json: Value =
                    response.json().await.unwrap_or_else(|e| panic!("{method} {url}: not JSON: {e}"));
                let schema =
                    &operation["responses"][status.to_string()]["content"]["application/json"]["schema"];
                let required = required_fields(&document, schema);
                assert!(!required.is_empty(), "{method} {path}: the schema lists its fields");
                for field in required {
                    assert!(
                        json.get(&field).is_some(),
                        "{method} {url}: documented field {field} missing in {json}"
                    );
                }
            }

            // Without a key: 401, documented, as a JSON error.
            let response =
                reqwest::Client::new().request(method.clone(), app.url(&url)).send().await.unwrap();
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
    assert_eq!(checked, 17, "the document lists every route of SPEC §5 (plus GET of one key, and unblock)");
}
both_databases!(every_documented_route_answers_as_documented, at_epoch);

async fn the_document_is_served_without_a_key_and_names_the_bearer_scheme(app: TestApp) {
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
    for schema in ["ErrorBody", "Whoami", "KeyList", "CreatedKey", "NewKeyRequest"] {
        assert!(document["components"]["schemas"][schema].is_object(), "{schema} is described");
    }
}
both_databases!(the_document_is_served_without_a_key_and_names_the_bearer_scheme, at_epoch);

/// A body a test sends: the operation's usual one (a new key's JSON for a POST,
/// nothing otherwise), or these bytes with this `Content-Type`, whatever the method.
enum Body {
    Usual,
    Raw(&'static str, String),
}

/// One way of calling a route: with which key (if any), from which address,
/// with what query string and body.
struct Attempt {
    what: &'static str,
    key: Option<String>,
    from: IpAddr,
    query: &'static str,
    body: Body,
}

impl Attempt {
    fn new(what: &'static str, key: Option<&str>) -> Attempt {
        Attempt { what, key: key.map(str::to_string), from: LOCAL, query: "", body: Body::Usual }
    }

    fn from(self, from: IpAddr) -> Attempt {
        Attempt { from, ..self }
    }

    fn query(self, query: &'static str) -> Attempt {
        Attempt { query, ..self }
    }

    fn body(self, content_type: &'static str, text: impl Into<String>) -> Attempt {
        Attempt { body: Body::Raw(content_type, text.into()), ..self }
    }

    /// The status and the body (`Null` when empty).
    async fn send(&self, app: &TestApp, method: &Method, url: &str) -> (u16, Value) {
        let client = reqwest::Client::builder().local_address(self.from).build().unwrap();
        let mut request = client.request(method.clone(), app.url(&format!("{url}{}", self.query)));
        if let Some(key) = &self.key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        request = match &self.body {
            Body::Usual if *method == Method::POST => {
                request.json(&json!({"description": "Made by the conformance test"}))
            }
            Body::Usual => request,
            Body::Raw(content_type, text) => request.header("Content-Type", *content_type).body(text.clone()),
        };
        let response = request.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(json!(text)) };
        (status, body)
    }
}

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// An address whose allowance of failed attempts is spent first.
const SPENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// An address for the malformed keys (they count against its allowance).
const JUNK: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

/// The operation of the platform's services: a client's Basic credentials and a
/// form, not a key; `rest::introspection` checks each of its documented answers.
const INTROSPECT: &str = "/api/v1/introspect";

/// The operations that take no key: introspection, and the reports of leaked
/// keys (`leaks::` checks each of their documented answers).
const WITHOUT_KEY: [&str; 3] = [INTROSPECT, "/api/v1/keys/revoke", "/api/v1/secret-scanning/github"];

/// Every operation of the document that takes a key: method, path and the operation object.
fn operations(document: &Value) -> Vec<(Method, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if WITHOUT_KEY.contains(&path.as_str()) {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            all.push((method.to_uppercase().parse().unwrap(), path.clone(), operation.clone()));
        }
    }
    all
}

/// A well-formed key that does not exist.
fn unknown_key() -> String {
    generate(KeyKind::Organization).to_token_string()
}

/// What the attempts found: the statuses each operation answered, and every
/// disagreement with the document (collected, so that one run lists them all).
#[derive(Default)]
struct Findings {
    answered: BTreeMap<(String, String), BTreeSet<u16>>,
    problems: Vec<String>,
}

impl Findings {
    fn record(
        &mut self,
        method: &Method,
        path: &str,
        operation: &Value,
        what: &str,
        status: u16,
        body: &Value,
    ) {
        let documented = documented_statuses(operation);
        if !documented.contains(&status) {
            self.problems.push(format!("{method} {path}, {what}: {status} is not documented ({body})"));
        } else if status >= 400 && !promises_json(operation, status) {
            self.problems.push(format!("{method} {path}: {status} is documented without its JSON body"));
        }
        if status >= 400 && !body["error"]["code"].is_string() {
            self.problems.push(format!("{method} {path}, {what}: {status} without a JSON error ({body})"));
        }
        self.answered.entry((method.to_string(), path.to_string())).or_default().insert(status);
    }

    /// Every documented status but 503 was answered, and 503 is documented.
    fn compare(&mut self, method: &Method, path: &str, operation: &Value) {
        let documented: BTreeSet<u16> = documented_statuses(operation).into_iter().collect();
        let answered =
            self.answered.get(&(method.to_string(), path.to_string())).cloned().unwrap_or_default();
        let expected: BTreeSet<u16> = documented.iter().copied().filter(|s| *s != 503).collect();
        if answered != expected {
            self.problems.push(format!("{method} {path}: answered {answered:?}, documented {documented:?}"));
        }
        if !documented.contains(&503) {
            self.problems.push(format!("{method} {path}: 503 (busy checking keys) is not documented"));
        }
    }
}

async fn every_status_a_route_answers_is_documented_for_it_and_no_other(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "Conformance", "").await;
    let user_key = team.alice.new_key(USER_KEYS, "Conformance", "").await;
    let member_key = team.mia.new_key(USER_KEYS, "Member", "").await;
    let outsider_key = team.bob.new_key(BOLT_KEYS, "Outsider", "").await;
    let org_victim = team.alice.new_key(ACME_KEYS, "To delete", "").await;
    let user_victim = team.alice.new_key(USER_KEYS, "To delete", "").await;
    // Rolled by the roll routes: a key rolling itself would drop its own cache
    // entry, and its next check would spend an attempt of an allowance that
    // this test uses up on purpose.
    let org_rolled = team.alice.new_key(ACME_KEYS, "To roll", "").await;
    let user_rolled = team.alice.new_key(USER_KEYS, "To roll", "").await;
    // Keys that may be used only from a network the tests are not in (403 `ip_not_allowed`).
    let (org_fenced, user_fenced) = (
        team.alice.new_key(ACME_KEYS, "Fenced", "").await,
        team.alice.new_key(USER_KEYS, "Fenced", "").await,
    );
    for key in [&org_key, &user_key, &org_fenced, &user_fenced] {
        crate::rest::permissions::set_scope(&app, key, crate::rest::permissions::FULL_ACCESS).await;
    }
    app.execute_sql("UPDATE api_keys SET allowed_networks = '192.0.2.0/24' WHERE description = 'Fenced'")
        .await;
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    let document: Value = response.json().await.unwrap();
    let operations = operations(&document);
    assert_eq!(operations.len(), 17);

    for _ in 0..3 {
        let attempt = Attempt::new("spending the allowance", Some(&unknown_key())).from(SPENT);
        assert_eq!(attempt.send(&app, &Method::GET, "/api/v1/whoami").await.0, 401);
    }

    let mut findings = Findings::default();
    for (method, path, operation) in &operations {
        let user_route = path.starts_with("/api/v1/user/");
        let (own, other_kind) = if user_route { (&user_key, &org_key) } else { (&org_key, &user_key) };
        let url = if *method == Method::DELETE {
            fill(path, &org_victim.public_id, &user_victim.public_id)
        } else if path.ends_with("/roll") {
            fill(path, &org_rolled.public_id, &user_rolled.public_id)
        } else {
            fill(path, &org_key.public_id, &user_key.public_id)
        };
        let own = Some(own.full.as_str());
        let fenced = if user_route { &user_fenced } else { &org_fenced };
        let attempts = [
            Attempt::new("a key outside its allowed networks", Some(&fenced.full)),
            Attempt::new("its key", own),
            Attempt::new("no key", None),
            Attempt::new("a malformed key", Some("junk")).from(JUNK),
            Attempt::new("another organization's key", Some(&outsider_key.full)),
            Attempt::new("a member's user key", Some(&member_key.full)),
            Attempt::new("the other kind of key", Some(&other_kind.full)),
            Attempt::new("an unknown key after the allowance", Some(&unknown_key())).from(SPENT),
            Attempt::new("a key in the URL", own).query("?api_key=abc"),
            Attempt::new("a parameter given twice", own).query("?per_page=1&per_page=2"),
            Attempt::new("a page size out of range", own).query("?per_page=0"),
            Attempt::new("a cursor the list did not give", own).query("?cursor=junk"),
            Attempt::new("a body that is not JSON", own).body("application/json", "{\"description\": "),
            Attempt::new("a form body", own).body("application/x-www-form-urlencoded", "description=x"),
            Attempt::new("a text body", own).body("text/plain", "{\"description\": \"x\"}"),
            Attempt::new("a body too large", own)
                .body("application/json", json!({"description": "x".repeat(20_000)}).to_string()),
            Attempt::new("a body without a description", own).body("application/json", "{}"),
            Attempt::new("a member given twice", own)
                .body("application/json", r#"{"description": "a", "description": "b"}"#),
        ];
        for attempt in attempts {
            let (status, body) = attempt.send(&app, method, &url).await;
            findings.record(method, path, operation, attempt.what, status, &body);
        }
    }

    // A failure on our side: the key check cannot read the keys (each
    // attempt from its own address, as every one counts against it).
    app.execute_sql("ALTER TABLE api_keys RENAME TO api_keys_away").await;
    for (i, (method, path, operation)) in operations.iter().enumerate() {
        let url = fill(path, &org_key.public_id, &user_key.public_id);
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, u8::try_from(i + 1).unwrap()));
        let attempt = Attempt::new("a key while the database fails", Some(&unknown_key())).from(from);
        let (status, body) = attempt.send(&app, method, &url).await;
        assert_eq!(status, 500, "{method} {path}: {body}");
        findings.record(method, path, operation, attempt.what, status, &body);
    }

    // The other way round: each documented status was answered, except 503,
    // which needs more key checks waiting at once than a test should make;
    // every operation behind the key check documents it.
    for (method, path, operation) in &operations {
        findings.compare(method, path, operation);
    }
    let problems = findings.problems.join("\n");
    assert!(problems.is_empty(), "the document and the server disagree:\n{problems}");
}
both_databases!(
    every_status_a_route_answers_is_documented_for_it_and_no_other,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(3), ..options }
);
