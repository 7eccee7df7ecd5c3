//! The REST API under `/api/v1` (SPEC §5), authenticated by API keys.
//!
//! Tests start from a [`Team`] (Alice admin of Acme, Mia member of
//! Acme, Bob admin of Bolt, Olga in no organization), whose people create keys
//! through the UI; [`Api`] then calls the API with one of those keys. The app's
//! clock stands still at [`test_epoch`] (28 Feb 2027, 12:00 UTC) until a test moves it.

mod answers;
mod attribution;
mod choices;
mod concurrent_creation;
mod expiry;
mod failures;
mod instances;
mod introspection;
pub mod junk;
mod key_kind;
mod last_used;
mod networks;
pub mod permissions;
mod reach;
mod revocation;
mod roll;
mod secrecy;
mod smoke;
mod statuses;
mod strictness;
mod usage;
mod validation;

use std::future::Future;
use std::time::{Duration, Instant};

pub use monkeyci_accounts::domain::api_key::KeyKind;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

pub use crate::keys::{
    ACME_KEYS, BOLT_KEYS, Team, Token, USER_KEYS, audit_rows_with_names, every_stored_text, key_count,
    key_exists, secret_hash, set_clock,
};
pub use crate::support::{Options, TestApp};
pub use crate::support::{quoted, strings};

/// [`test_epoch`] as the API writes times.
pub const EPOCH: &str = "2027-02-28T12:00:00Z";

/// A client of the API holding one key.
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(app: &TestApp, token: &str) -> Api {
        Api { client: reqwest::Client::new(), base: app.address.clone(), token: token.to_string() }
    }

    /// A request carrying the key as `Authorization: Bearer <key>`, to add to.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .header("Authorization", format!("Bearer {}", self.token))
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None).await
    }

    /// `(status, JSON body)` of a GET.
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        json_of(self.get(path).await).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        json_of(self.call(Method::POST, path, Some(body)).await).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.call(Method::DELETE, path, None).await
    }

    /// `(status, JSON body)` of a DELETE (`Value::Null` for an empty body).
    pub async fn delete_json(&self, path: &str) -> (StatusCode, Value) {
        json_of(self.delete(path).await).await
    }

    /// The status of `GET /api/v1/whoami` and the error code, if any.
    pub async fn whoami_status(&self) -> (StatusCode, Option<String>) {
        let (status, body) = self.get_json("/api/v1/whoami").await;
        let code = body["error"]["code"].as_str().map(str::to_string);
        (status, code)
    }

    /// Creates a key through the API with this body (its scope, reach, networks…)
    /// and returns the response's body and the token, checked.
    pub async fn create_key_with(&self, list: &str, body: Value) -> (Value, Token) {
        let (status, answer) = self.post_json(list, body).await;
        assert_eq!(status, StatusCode::CREATED, "{list}: {answer}");
        let kind = if list.starts_with("/api/v1/orgs/") { KeyKind::Organization } else { KeyKind::User };
        let token = Token::parse(answer["token"].as_str().expect("a token"), kind);
        (answer, token)
    }

    /// Creates a key through the API (`list` is `/api/v1/orgs/{org}/keys` or
    /// `/api/v1/user/keys`) and returns the response's body and the token, checked.
    pub async fn create_key(
        &self,
        list: &str,
        description: &str,
        valid_until: Option<&str>,
    ) -> (Value, Token) {
        let (status, body) = self
            .post_json(list, serde_json::json!({ "description": description, "valid_until": valid_until }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{list}: {body}");
        let kind = if list.starts_with("/api/v1/orgs/") { KeyKind::Organization } else { KeyKind::User };
        let token = Token::parse(body["token"].as_str().expect("a token"), kind);
        (body, token)
    }
}

/// A request without any key.
pub fn anonymous(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    reqwest::Client::new().request(method, app.url(path))
}

pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = response.text().await.expect("body");
    if text.is_empty() {
        return (status, Value::Null);
    }
    assert!(content_type.starts_with("application/json"), "{status} answered {content_type}: {text}");
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}")))
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("an error body: {body}"))
}

/// The error message of an error body.
pub fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_else(|| panic!("an error body: {body}"))
}

/// Checks an error answer: status, JSON body `{"error": {"code", "message"}}`, code.
pub async fn assert_error(response: Response, status: StatusCode, expected: &str) -> Value {
    let (got, body) = json_of(response).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(code(&body), expected, "{body}");
    assert!(!message(&body).is_empty(), "{body}");
    body
}

/// Polls `check` every 50 ms until it holds; the time it took, or a panic
/// naming `what` after `limit`.
pub async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A key's last use as stored (`YYYY-MM-DD HH:MM:SS`), read directly.
pub async fn last_used(app: &TestApp, public_id: &str) -> Option<String> {
    let sql = format!(
        "SELECT CAST(last_used_at AS TEXT) AS v FROM api_keys \
         WHERE public_id = {} AND last_used_at IS NOT NULL",
        quoted(public_id)
    );
    strings(app, sql).await.into_iter().next().map(|at| at.chars().take(19).collect())
}

/// Waits until the key's use has been written (the write runs in the background).
pub async fn wait_for_last_use(app: &TestApp, public_id: &str, at: &str) {
    within(Duration::from_secs(1), &format!("last use of {public_id} written as {at}"), || async {
        last_used(app, public_id).await.as_deref() == Some(at)
    })
    .await;
}

/// Checks that `app` never logged these tokens (nor their secrets). Each token's
/// key must be named in that log (by its public id: creating or using a key
/// logs it), so the check reads the log the tokens went through.
pub fn assert_not_logged(app: &TestApp, tokens: &[&Token]) {
    let logs = app.logs();
    for token in tokens {
        assert!(logs.contains(&token.public_id), "the log never names the key {}:\n{logs}", token.hint());
        assert!(!token.leaks_into(&logs), "the log holds the token {}", token.hint());
    }
}

/// Checks that nothing stored in the database holds a token or its secret.
pub async fn assert_not_stored(app: &TestApp, tokens: &[&Token]) {
    for stored in every_stored_text(app).await {
        for token in tokens {
            assert!(!token.leaks_into(&stored), "stored: {stored}");
        }
    }
}

/// The organization's audit entries about API keys: "action | actor | details".
pub async fn key_audit(app: &TestApp, slug: &str) -> Vec<String> {
    audit_rows_with_names(app, slug).await.into_iter().filter(|row| row.starts_with("api_key.")).collect()
}
