//! A key's permissions as stored (SPEC §2 "Permissions"): the scope asked for
//! (the keys tests' helpers ask for full access; `permissions.rs` tries every
//! choice), and a stored scope that is not one refuses the key rather than
//! granting anything.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::rest::Api;
use crate::support::sql::{execute, strings};

const FULL_ACCESS: &str = "org:write members:write keys:write repos:write builds:write params:write \
                           ssh_keys:write webhooks:write billing:write";

async fn a_key_asked_with_full_access_is_stored_with_it(app: TestApp) {
    let team = Team::new(&app).await;
    let key = team.alice.new_key(ACME_KEYS, "Deploys", "").await;
    let stored = strings(
        &app,
        format!("SELECT scope AS v FROM api_keys WHERE public_id = {}", quoted(&key.public_id)),
    )
    .await;
    assert_eq!(stored, [FULL_ACCESS]);
    let (status, _) = Api::new(&app, &key.full).get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK);
}
both_databases!(a_key_asked_with_full_access_is_stored_with_it);

async fn a_stored_scope_that_is_not_one_refuses_the_key(app: TestApp) {
    let team = Team::new(&app).await;
    let key = team.alice.new_key(ACME_KEYS, "Deploys", "").await;
    let sql =
        format!("UPDATE api_keys SET scope = 'everything' WHERE public_id = {}", quoted(&key.public_id));
    execute(&app, sql).await;
    let (status, _) = Api::new(&app, &key.full).get_json("/api/v1/whoami").await;
    assert_ne!(status, StatusCode::OK, "a scope that cannot be read grants nothing");
}
both_databases!(a_stored_scope_that_is_not_one_refuses_the_key);
