//! The REST API under `/api/v1` (SPEC §5), authenticated by API keys.
//!
//! Tests start from the keys tests' [`Team`] (Alice admin of Acme, Mia member of
//! Acme, Bob admin of Bolt, Olga in no organization), whose people create keys
//! through the UI; [`Api`] then calls the API with one of those keys.

mod smoke;

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

pub use crate::helpers::{Backend, Options, TestApp, test_epoch};
pub use crate::keys::{ACME_KEYS, BOLT_KEYS, Browser, Team, Token, USER_KEYS, set_clock, spawn_at_epoch};

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

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .header("Authorization", format!("Bearer {}", self.token));
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
}

pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
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
