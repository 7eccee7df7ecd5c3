//! `POST /api/v1/secret-scanning/github`: GitHub's secret scanning partner
//! program, against a stand-in that publishes P-256 keys and signs batches as
//! GitHub does. A signed batch revokes every live key in it (audited with the
//! URL where it was found, its owner mailed) and is answered with one verdict
//! per match; anything not signed by a published key — unsigned, another key,
//! a changed body, a signature that is not base64 — is refused with 401 and
//! revokes nothing. An unknown key identifier makes the app read the key list
//! again (GitHub rotated its keys), at most once a minute.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;
use crate::rest::junk::with_checksum;
use crate::standins::secret_scanning::{GitHubKey, SecretScanningStandIn};
use crate::support::Backend;
use monkeyci_accounts::domain::api_key::{KeyKind, generate};

const REPORTS: &str = "/api/v1/secret-scanning/github";
const TYPE: &str = "monkeyci_api_key";
const FOUND_AT: &str = "https://github.com/octocat/hello/blob/0123abc/deploy.sh";

/// An app (clock at the test epoch) reading GitHub's keys from a stand-in that
/// publishes one key, handed to the test.
async fn spawn(backend: Backend) -> Option<(TestApp, SecretScanningStandIn, GitHubKey)> {
    let key = GitHubKey::generate();
    let standin = SecretScanningStandIn::start(&[&key]).await;
    let url = standin.keys_url();
    let app = crate::support::register::spawn(backend, move |options| {
        crate::support::register::at_epoch(Options { github_secret_scanning_keys_url: Some(url), ..options })
    })
    .await?;
    Some((app, standin, key))
}

/// Runs `async fn name(app, standin, key)` on SQLite and on PostgreSQL.
macro_rules! scanning_tests {
    ($name:ident) => {
        scanning_tests!($name, spawn = spawn);
    };
    ($name:ident, spawn = $spawn:ident) => {
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let (app, standin, key) = super::$spawn(super::Backend::Sqlite).await.expect("SQLite runs");
                super::$name(app, standin, key).await
            }

            #[actix_web::test]
            async fn postgres() {
                let Some((app, standin, key)) = super::$spawn(super::Backend::Postgres).await else { return };
                super::$name(app, standin, key).await
            }
        }
    };
}

/// A batch as GitHub writes it.
fn batch(tokens: &[&str]) -> String {
    let matches: Vec<Value> = tokens
        .iter()
        .map(|token| json!({"token": token, "type": TYPE, "url": FOUND_AT, "source": "content"}))
        .collect();
    serde_json::to_string(&matches).unwrap()
}

/// Sends `body` with these signature headers (`None`: left out).
async fn send(
    app: &TestApp,
    body: &str,
    key_id: Option<&str>,
    signature: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(app.url(REPORTS))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(key_id) = key_id {
        request = request.header("Github-Public-Key-Identifier", key_id);
    }
    if let Some(signature) = signature {
        request = request.header("Github-Public-Key-Signature", signature);
    }
    json_of(request.send().await.unwrap()).await
}

/// Sends `body` signed by `key`, as GitHub does.
async fn signed(app: &TestApp, key: &GitHubKey, body: &str) -> (StatusCode, Value) {
    send(app, body, Some(&key.identifier), Some(&key.sign(body.as_bytes()))).await
}

fn verdict(token: &str, label: &str) -> Value {
    json!({"token_hash": hex::encode(Sha256::digest(token.as_bytes())), "token_type": TYPE, "label": label})
}

async fn a_signed_batch_revokes_the_live_keys_and_labels_every_match(
    app: TestApp,
    _standin: SecretScanningStandIn,
    key: GitHubKey,
) {
    let team = Team::new(&app).await;
    give_everyone_an_address(&app).await;
    let deploys = team.alice.new_key(ACME_KEYS, "Deploys", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let old = team.bob.new_key(BOLT_KEYS, "Old", "").await;
    let admin = team.bob.new_key(BOLT_KEYS, "Admin", "").await;
    let path = format!("/api/v1/orgs/bolt/keys/{}", old.public_id);
    assert_eq!(Api::new(&app, &admin.full).delete(&path).await.status(), StatusCode::NO_CONTENT);
    warm(&app, &deploys).await;
    let wrong_secret = with_checksum(&format!("{}{}", &laptop.full[..24], "s".repeat(32)));
    let unknown = generate(KeyKind::Organization).to_token_string();
    let mails_before = queued_mails(&app).await.len();

    let tokens = [
        deploys.full.as_str(),
        "mci_org_not_a_key",
        unknown.as_str(),
        laptop.full.as_str(),
        wrong_secret.as_str(),
        old.full.as_str(),
        deploys.full.as_str(),
    ];
    let (status, answer) = signed(&app, &key, &batch(&tokens)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let labels = [
        "true_positive",
        "false_positive",
        "false_positive",
        "true_positive",
        "false_positive",
        "true_positive",
        "true_positive",
    ];
    let expected: Vec<Value> =
        tokens.iter().zip(labels).map(|(token, label)| verdict(token, label)).collect();
    assert_eq!(answer, Value::Array(expected));

    refused_as_revoked(&app, &deploys, "reported by GitHub secret scanning").await;
    refused_as_revoked(&app, &laptop, "reported by GitHub secret scanning").await;
    assert_eq!(Api::new(&app, &admin.full).whoami_status().await, (StatusCode::OK, None));
    assert_eq!(
        audit_rows_with_names(&app, "acme").await.last().unwrap(),
        &format!(
            "api_key.revoked | - | Revoked Alice's user key {} “Laptop” (reported by GitHub secret scanning, found at {FOUND_AT})",
            laptop.hint()
        )
    );
    assert!(
        audit_rows_with_names(&app, "acme").await.contains(&format!(
            "api_key.revoked | - | Revoked API key {} “Deploys” (reported by GitHub secret scanning, found at {FOUND_AT})",
            deploys.hint()
        )),
    );
    let mails = queued_mails(&app).await;
    assert_eq!(
        mails[mails_before..],
        [
            "alice@example.com | Your API key “Deploys” was revoked: GitHub found it in public code",
            "alice@example.com | Your API key “Laptop” was revoked: GitHub found it in public code",
        ],
        "the already revoked key of Bolt is not mailed about again"
    );
    let (text, _) = mail_bodies(&app, "alice@example.com").await.pop().unwrap();
    assert!(
        text.contains(&format!("GitHub secret scanning found it in public code at {FOUND_AT}")),
        "{text}"
    );
    nowhere(&app, &[&deploys, &laptop, &old]).await;
}
scanning_tests!(a_signed_batch_revokes_the_live_keys_and_labels_every_match);

async fn a_batch_not_signed_by_githubs_key_is_refused_and_revokes_nothing(
    app: TestApp,
    _standin: SecretScanningStandIn,
    key: GitHubKey,
) {
    let team = Team::new(&app).await;
    let deploys = team.alice.new_key(ACME_KEYS, "Deploys", "").await;
    let body = batch(&[&deploys.full]);
    let impostor = GitHubKey::generate();
    let tampered = batch(&[&deploys.full]).replace(FOUND_AT, "https://example.com/elsewhere");
    let refusals = [
        ("unsigned", send(&app, &body, None, None).await),
        ("no signature", send(&app, &body, Some(&key.identifier), None).await),
        ("no key identifier", send(&app, &body, None, Some(&key.sign(body.as_bytes()))).await),
        (
            "another key under GitHub's identifier",
            send(&app, &body, Some(&key.identifier), Some(&impostor.sign(body.as_bytes()))).await,
        ),
        ("an unknown identifier", signed(&app, &impostor, &body).await),
        (
            "a changed body",
            send(&app, &tampered, Some(&key.identifier), Some(&key.sign(body.as_bytes()))).await,
        ),
        (
            "a signature that is not base64",
            send(&app, &body, Some(&key.identifier), Some("not base64!")).await,
        ),
        ("base64 that is not a signature", send(&app, &body, Some(&key.identifier), Some("aGVsbG8=")).await),
    ];
    for (what, (status, answer)) in refusals {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_signature", "{what}: {answer}");
    }
    assert_eq!(Api::new(&app, &deploys.full).whoami_status().await, (StatusCode::OK, None), "not revoked");
    assert_eq!(queued_mails(&app).await, Vec::<String>::new());
    // Signed, it is revoked.
    assert_eq!(signed(&app, &key, &body).await.0, StatusCode::OK);
    refused_as_revoked(&app, &deploys, "reported by GitHub secret scanning").await;
}
scanning_tests!(a_batch_not_signed_by_githubs_key_is_refused_and_revokes_nothing);

async fn rotated_keys_are_read_again_when_an_unknown_identifier_arrives_but_at_most_once_a_minute(
    app: TestApp,
    standin: SecretScanningStandIn,
    old: GitHubKey,
) {
    let body = batch(&[&generate(KeyKind::User).to_token_string()]);
    assert_eq!(signed(&app, &old, &body).await.0, StatusCode::OK);
    assert_eq!(signed(&app, &old, &body).await.0, StatusCode::OK);
    assert_eq!(standin.reads(), 1, "read once, then kept");

    // Unknown identifiers within a minute of the last read: refused without asking GitHub again.
    let junk = GitHubKey::generate();
    for _ in 0..3 {
        assert_eq!(signed(&app, &junk, &body).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(standin.reads(), 1, "the list was read less than a minute ago");

    // GitHub rotates: the new key is found once the minute has passed.
    let new = GitHubKey::generate();
    standin.publish(&[&old, &new]);
    assert_eq!(signed(&app, &new, &body).await.0, StatusCode::UNAUTHORIZED, "within the minute");
    app.advance_clock(Duration::seconds(61));
    assert_eq!(signed(&app, &new, &body).await.0, StatusCode::OK);
    assert_eq!(signed(&app, &old, &body).await.0, StatusCode::OK, "the old key still published");
    assert_eq!(standin.reads(), 2);
}
scanning_tests!(rotated_keys_are_read_again_when_an_unknown_identifier_arrives_but_at_most_once_a_minute);

async fn a_signed_body_that_is_not_a_batch_is_refused_with_a_json_error(
    app: TestApp,
    _standin: SecretScanningStandIn,
    key: GitHubKey,
) {
    for (body, status) in [
        ("{\"token\": \"x\"}", StatusCode::UNPROCESSABLE_ENTITY),
        ("[{\"token\": \"x\"}]", StatusCode::UNPROCESSABLE_ENTITY),
        ("[{", StatusCode::BAD_REQUEST),
    ] {
        let (got, answer) = signed(&app, &key, body).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
    let too_many = batch(&vec!["mci_org_x"; 1001]);
    assert_eq!(signed(&app, &key, &too_many).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let body = batch(&["mci_org_x"]);
    let response = reqwest::Client::new()
        .post(app.url(REPORTS))
        .header("Content-Type", "text/plain")
        .header("Github-Public-Key-Identifier", &key.identifier)
        .header("Github-Public-Key-Signature", key.sign(body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("[{}]", vec![r#"{"token":"x","type":"t"}"#; 60_000].join(","));
    assert_eq!(signed(&app, &key, &huge).await.0, StatusCode::PAYLOAD_TOO_LARGE, "over 1 MiB");
}
scanning_tests!(a_signed_body_that_is_not_a_batch_is_refused_with_a_json_error);

async fn checks_of_reported_tokens_spend_an_allowance_of_their_own(
    app: TestApp,
    _standin: SecretScanningStandIn,
    key: GitHubKey,
) {
    let team = Team::new(&app).await;
    let deploys = team.alice.new_key(ACME_KEYS, "Deploys", "").await;
    // Here an address may fail once a minute, so reported tokens may fail 60 times.
    let unknown: Vec<String> = (0..60).map(|_| generate(KeyKind::Organization).to_token_string()).collect();
    // A real key's check gives its attempt back.
    let mut tokens: Vec<&str> = vec![&deploys.full];
    tokens.extend(unknown.iter().map(String::as_str));
    let (status, answer) = signed(&app, &key, &batch(&tokens)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer[0]["label"], "true_positive");
    assert_eq!(answer[60]["label"], "false_positive");
    refused_as_revoked(&app, &deploys, "reported by GitHub secret scanning").await;

    let more = generate(KeyKind::User).to_token_string();
    let (status, answer) = signed(&app, &key, &batch(&[&more])).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert!(message(&answer).starts_with("Too many reported tokens failed their check lately."), "{answer}");
    // Junk is not checked, so it is still answered; and people's addresses are not affected.
    assert_eq!(signed(&app, &key, &batch(&["mci_org_junk"])).await.0, StatusCode::OK);
    let other = team.alice.new_key(ACME_KEYS, "Other", "").await;
    assert_eq!(Api::new(&app, &other.full).whoami_status().await, (StatusCode::OK, None));
    app.advance_clock(Duration::seconds(60));
    assert_eq!(signed(&app, &key, &batch(&[&more])).await.0, StatusCode::OK, "refilled a minute later");
}

/// [`spawn`], with an address's allowance of one failure a minute.
async fn spawn_strict(backend: Backend) -> Option<(TestApp, SecretScanningStandIn, GitHubKey)> {
    let key = GitHubKey::generate();
    let standin = SecretScanningStandIn::start(&[&key]).await;
    let url = standin.keys_url();
    let app = crate::support::register::spawn(backend, move |options| {
        crate::support::register::at_epoch(Options {
            github_secret_scanning_keys_url: Some(url),
            api_failures_per_minute: Some(1),
            ..options
        })
    })
    .await?;
    Some((app, standin, key))
}

scanning_tests!(checks_of_reported_tokens_spend_an_allowance_of_their_own, spawn = spawn_strict);

async fn when_githubs_keys_cannot_be_read_reports_are_answered_503_and_github_is_not_hammered(app: TestApp) {
    let key = GitHubKey::generate();
    let body = batch(&["mci_org_junk"]);
    let response = reqwest::Client::new()
        .post(app.url(REPORTS))
        .header("Content-Type", "application/json")
        .header("Github-Public-Key-Identifier", &key.identifier)
        .header("Github-Public-Key-Signature", key.sign(body.as_bytes()))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "60");
    assert_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    // Within the minute the list is not asked for again: an unknown key, 401.
    assert_eq!(signed(&app, &key, &body).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.logs().matches("could not read GitHub's secret scanning keys").count(), 1);
}
crate::both_databases!(
    when_githubs_keys_cannot_be_read_reports_are_answered_503_and_github_is_not_hammered,
    at_epoch,
    with = |options: Options| Options {
        // Nothing listens on port 9 of this machine (discard): the connection is refused.
        github_secret_scanning_keys_url: Some(
            url::Url::parse("http://127.0.0.1:9/meta/public_keys/secret_scanning").unwrap()
        ),
        ..options
    }
);
