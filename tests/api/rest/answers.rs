//! Snapshots of the main answers' JSON bodies (insta; the files are in
//! `snapshots/` next to this one). What changes from run to run is redacted: key
//! ids, times and hints; a created key's token is replaced whole by `"[token]"`
//! before the snapshot is written, so no secret is ever in a snapshot file.
//!
//! A changed answer fails its test with a diff. To accept a deliberate change,
//! run `cargo insta review` (or `INSTA_UPDATE=always cargo test --test api -- answers`)
//! and commit the `.snap` files; the project's test command never writes them.

use insta::assert_json_snapshot;
use monkeyci_accounts::domain::api_key::generate;
use reqwest::StatusCode;

use super::permissions::{FULL_ACCESS, RUN_BUILDS, set_scope};
use super::*;
use crate::both_databases;

/// Redacts what changes between runs; the same for every snapshot of this file.
macro_rules! snapshot {
    ($name:expr, $body:expr) => {
        assert_json_snapshot!($name, $body, {
            ".token" => "[token]",
            ".**.id" => "[id]",
            ".**.hint" => "[hint]",
            ".**.created_by_key_hint" => "[hint]",
            ".**.created_at" => insta::dynamic_redaction(time),
            ".**.last_used_at" => insta::dynamic_redaction(time),
        })
    };
}

/// A time becomes `"[time]"`; `null` (never) stays.
fn time(value: insta::internals::Content, _: insta::internals::ContentPath<'_>) -> insta::internals::Content {
    if value.is_nil() { value } else { "[time]".into() }
}

async fn whoami_answers_for_an_org_key_and_a_user_key(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let user_key = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    set_scope(&app, &org_key, FULL_ACCESS).await;
    set_scope(&app, &user_key, RUN_BUILDS).await;

    let (status, body) = Api::new(&app, &org_key.full).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    snapshot!("whoami_org_key", body);

    let (status, body) = Api::new(&app, &user_key.full).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    snapshot!("whoami_user_key", body);
}
both_databases!(whoami_answers_for_an_org_key_and_a_user_key, at_epoch);

async fn the_keys_list_and_a_created_key_without_its_token(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "2027-12-31").await;
    set_scope(&app, &org_key, FULL_ACCESS).await;
    let api = Api::new(&app, &org_key.full);

    let (created, token) = api.create_key("/api/v1/orgs/acme/keys", "From the API", Some("2028-01-31")).await;
    assert!(token.leaks_into(&created.to_string()), "the answer holds the token (redacted below)");
    snapshot!("created_org_key", created);

    let (status, body) = api.get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!token.leaks_into(&body.to_string()) && !org_key.leaks_into(&body.to_string()));
    snapshot!("org_keys_list", body);
}
both_databases!(the_keys_list_and_a_created_key_without_its_token, at_epoch);

async fn error_bodies_for_a_malformed_key_an_unknown_key_and_a_missing_route(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "").await;

    let (status, body) = Api::new(&app, "junk").get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    snapshot!("error_malformed_key", body);

    let unknown = generate(KeyKind::Organization).to_token_string();
    let (status, body) = Api::new(&app, &unknown).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    snapshot!("error_unknown_key", body);

    let (status, body) = Api::new(&app, &org_key.full).get_json("/api/v1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    snapshot!("error_not_found", body);

    let runner = team.alice.new_key(ACME_KEYS, "Runner", "").await;
    set_scope(&app, &runner, RUN_BUILDS).await;
    let (status, body) = Api::new(&app, &runner.full).get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    snapshot!("error_insufficient_scope", body);
}
both_databases!(error_bodies_for_a_malformed_key_an_unknown_key_and_a_missing_route, at_epoch);
