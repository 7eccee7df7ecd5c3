//! Keys made before permissions existed (SPEC §2 "Permissions"): the migration
//! that brings permissions, reach and networks leaves them as they were — full
//! access, every organization of their user, from anywhere — and they keep
//! working through an upgrade.

use monkeyci_accounts::auth::key_hash::hash_secret;
use monkeyci_accounts::config::DatabaseTarget;
use monkeyci_accounts::domain::api_key::{KeyKind, ParsedToken, generate};
use reqwest::StatusCode;
use serde_json::Value;

use crate::rest::Api;
use crate::support::older_database::store_before;
use crate::support::{Backend, TestApp, strings};

/// The migration that brought permissions; the rows below are stored before it runs.
const PERMISSIONS: &str = "2026-12-05-000002_key_permissions_reach_and_blocks";

/// Two keys as the previous version stored them: Acme's CI key and Ada's own.
struct OldKeys {
    org_key: ParsedToken,
    user_key: ParsedToken,
}

impl OldKeys {
    fn new() -> OldKeys {
        OldKeys { org_key: generate(KeyKind::Organization), user_key: generate(KeyKind::User) }
    }

    fn rows(&self) -> String {
        let row = |token: &ParsedToken, kind: &str, org: &str, user: &str| {
            let hash = hash_secret(token.secret.expose()).expect("hashed");
            format!(
                "INSERT INTO api_keys (public_id, kind, organization_id, user_id, secret_hash, description, \
                 created_at, created_by) VALUES ('{}', '{kind}', {org}, {user}, '{hash}', 'Made before permissions', \
                 '2026-11-01 10:00:00', 1);",
                token.public_id.as_str()
            )
        };
        [
            "INSERT INTO users (display_name, created_at, updated_at) VALUES ('Ada', '2026-11-01 10:00:00', '2026-11-01 10:00:00');".to_string(),
            "INSERT INTO organizations (slug, name, name_search, created_at, updated_at) VALUES \
             ('acme', 'Acme', 'acme', '2026-11-01 10:00:00', '2026-11-01 10:00:00'), \
             ('bolt', 'Bolt', 'bolt', '2026-11-01 10:00:00', '2026-11-01 10:00:00');"
                .to_string(),
            "INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES \
             (1, 1, 'admin', '2026-11-01 10:00:00'), (2, 1, 'member', '2026-11-01 10:00:00');"
                .to_string(),
            row(&self.org_key, "org", "1", "NULL"),
            row(&self.user_key, "user", "NULL", "1"),
        ]
        .join("\n")
    }

    /// Fills a database migrated up to just before [`PERMISSIONS`].
    fn store(&self, target: &DatabaseTarget) {
        store_before(target, PERMISSIONS, &self.rows());
    }
}

async fn keys_made_before_permissions_keep_full_access_everywhere(backend: Backend) {
    let old = OldKeys::new();
    let Some(app) = TestApp::spawn_on_prepared(backend, |target| old.store(target)).await else { return };
    let stored = strings(
        &app,
        "SELECT scope || ' | ' || CASE WHEN reaches_all_orgs THEN 'all' ELSE 'some' END || ' | ' || \
         COALESCE(allowed_networks, 'anywhere') AS v FROM api_keys ORDER BY id"
            .to_string(),
    )
    .await;
    let full = "org:write members:write keys:write repos:write builds:write params:write ssh_keys:write \
                webhooks:write billing:write";
    assert_eq!(stored, vec![format!("{full} | all | anywhere"); 2]);

    // And they still do what they did: manage keys, read members, in every organization.
    let org_key = Api::new(&app, &old.org_key.to_token_string());
    assert_eq!(org_key.get_json("/api/v1/orgs/acme/keys").await.0, StatusCode::OK);
    assert_eq!(org_key.get_json("/api/v1/orgs/acme/members").await.0, StatusCode::OK);
    let user_key = Api::new(&app, &old.user_key.to_token_string());
    let (status, whoami) = user_key.get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "{whoami}");
    let reached: Vec<&str> =
        whoami["organizations"].as_array().unwrap().iter().filter_map(|org| org["slug"].as_str()).collect();
    assert_eq!(reached, ["acme", "bolt"]);
    assert_eq!(user_key.get_json("/api/v1/orgs/acme/keys").await.0, StatusCode::OK, "as Acme's admin");
    assert_eq!(user_key.get_json("/api/v1/user/keys").await.0, StatusCode::OK);
    let (status, body): (StatusCode, Value) = user_key.get_json("/api/v1/orgs/bolt/keys").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "as Bolt's member it never managed keys: {body}");
}

#[actix_web::test]
async fn keys_made_before_permissions_keep_full_access_everywhere_on_sqlite() {
    keys_made_before_permissions_keep_full_access_everywhere(Backend::Sqlite).await;
}

#[actix_web::test]
async fn keys_made_before_permissions_keep_full_access_everywhere_on_postgres() {
    keys_made_before_permissions_keep_full_access_everywhere(Backend::Postgres).await;
}
