//! Leaked keys (SPEC §2 "Lifecycle"): whoever holds a token revokes it with
//! `POST /api/v1/keys/revoke` (`self_revocation.rs`), and GitHub's secret
//! scanning reports keys found in public code to
//! `POST /api/v1/secret-scanning/github` (`secret_scanning.rs`). Either way the
//! key stops at once, the revocation is audited, and its owner is told by
//! e-mail: the mails wait in `outbound_mails`, read here as stored.

mod secret_scanning;
mod self_revocation;

use reqwest::StatusCode;
use serde_json::Value;

pub use crate::keys::{ACME_KEYS, BOLT_KEYS, Team, Token, USER_KEYS, every_stored_text};
pub use crate::rest::{Api, assert_error, json_of, message};
pub use crate::support::{Options, TestApp, audit_rows_with_names, execute, strings};

/// Gives every person a verified address from their platform profile,
/// `<name>@example.com` in lower case, as a sign-in with a platform would.
pub async fn give_everyone_an_address(app: &TestApp) {
    execute(
        app,
        "UPDATE identities SET email_verified = TRUE, email = \
         (SELECT LOWER(u.display_name) FROM users u WHERE u.id = identities.user_id) || '@example.com'"
            .to_string(),
    )
    .await;
}

/// The mails waiting to be sent, oldest first: "recipient | subject".
pub async fn queued_mails(app: &TestApp) -> Vec<String> {
    strings(app, "SELECT recipient || ' | ' || subject AS v FROM outbound_mails ORDER BY id".to_string())
        .await
}

/// The text and HTML parts of the mails to `recipient`, oldest first.
pub async fn mail_bodies(app: &TestApp, recipient: &str) -> Vec<(String, String)> {
    let query = |column: &str| {
        format!(
            "SELECT {column} AS v FROM outbound_mails WHERE recipient = {} ORDER BY id",
            crate::support::quoted(recipient)
        )
    };
    let texts = strings(app, query("text_body")).await;
    let htmls = strings(app, query("html_body")).await;
    texts.into_iter().zip(htmls).collect()
}

/// `whoami` with the key: refused as revoked, with the reason in words.
pub async fn refused_as_revoked(app: &TestApp, token: &Token, reason: &str) {
    let body = assert_error(
        Api::new(app, &token.full).get("/api/v1/whoami").await,
        StatusCode::UNAUTHORIZED,
        "revoked_key",
    )
    .await;
    assert!(message(&body).contains(reason), "{body}");
}

/// Uses the key twice, so that it is verified and then served from the cache.
pub async fn warm(app: &TestApp, token: &Token) {
    let api = Api::new(app, &token.full);
    for _ in 0..2 {
        assert_eq!(api.whoami_status().await, (StatusCode::OK, None), "{} works", token.hint());
    }
}

/// The number of argon2 checks the app has run for keys, from its metrics:
/// verified keys, unknown keys (the decoy) and wrong secrets or prefixes.
pub async fn argon2_checks(app: &TestApp) -> u64 {
    let address = app.metrics_address.as_ref().expect("metrics are on");
    let text = reqwest::get(format!("{address}/metrics")).await.unwrap().text().await.unwrap();
    let counted = |labels: &str| {
        text.lines()
            .find(|line| line.starts_with("monkeyci_api_key_checks_total{") && line.contains(labels))
            .and_then(|line| line.rsplit(' ').next())
            .map_or(0, |n| n.parse::<u64>().unwrap_or_else(|_| panic!("a count: {n}")))
    };
    counted("outcome=\"verified\"")
        + counted("reason=\"unknown_key\"")
        + counted("reason=\"wrong_secret\"")
        + counted("reason=\"wrong_prefix\"")
}

/// Neither the token nor its secret anywhere: the database, the mails, the log.
pub async fn nowhere(app: &TestApp, tokens: &[&Token]) {
    let mut stored = every_stored_text(app).await;
    stored.extend(
        strings(app, "SELECT subject || text_body || html_body AS v FROM outbound_mails".to_string()).await,
    );
    let stored = stored.join("\n");
    let logged = app.logs();
    for token in tokens {
        assert!(!token.leaks_into(&stored), "{} is stored somewhere", token.hint());
        assert!(!token.leaks_into(&logged), "{} is in the log", token.hint());
    }
}

/// The answer's body as a JSON value (for comparing answers whole).
pub fn accepted() -> Value {
    serde_json::json!({"status": "accepted"})
}

/// The document lists, for each of these operations, exactly the statuses the
/// tests of this folder get from it (and 500 and 503, which need a failing
/// database or a flood of checks): no key is needed, and none is asked for.
async fn the_document_describes_the_leak_reports_as_they_answer(app: TestApp) {
    let document: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    for (path, statuses) in [
        ("/api/v1/keys/revoke", vec!["202", "400", "413", "415", "422", "429", "500", "503"]),
        (
            "/api/v1/secret-scanning/github",
            vec!["200", "400", "401", "413", "415", "422", "429", "500", "503"],
        ),
    ] {
        let operation = &document["paths"][path]["post"];
        let documented: Vec<&str> =
            operation["responses"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(documented, statuses, "{path}");
        assert!(operation["security"].is_null(), "{path} takes no key: {}", operation["security"]);
        assert!(operation["description"].as_str().unwrap().starts_with("Unauthenticated"), "{path}");
        for status in statuses.iter().filter(|s| !s.starts_with('2')) {
            let schema = &operation["responses"][status]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(schema, "#/components/schemas/ErrorBody", "{path} {status}");
        }
    }
}
crate::both_databases!(the_document_describes_the_leak_reports_as_they_answer);
