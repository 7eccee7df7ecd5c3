//! GitHub's secret scanning signing keys, and the check of a report's
//! signature (GitHub's secret scanning partner program): the raw body is signed
//! with ECDSA P-256 / SHA-256 (`Github-Public-Key-Signature`, base64 of the DER
//! signature) by the key named in `Github-Public-Key-Identifier`, one of those
//! published as PEM at `MONKEYCI_GITHUB_SECRET_SCANNING_KEYS_URL`.
//!
//! The keys are kept in memory and read again when a report names a key we do
//! not have (GitHub rotated them), at most once every [`REFETCH_AFTER`], so
//! reports with made-up identifiers cannot make us hammer GitHub.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use crate::clock::Clock;

/// The least time between two reads of the key list.
pub const REFETCH_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// The largest key list read (GitHub's is a few hundred bytes a key).
const MAX_KEY_LIST: usize = 64 * 1024;

/// Why a report's signature is not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the report is not signed (no Github-Public-Key-Identifier or Github-Public-Key-Signature)")]
    Unsigned,
    #[error("the signature is not base64 of a DER ECDSA signature")]
    Malformed,
    #[error("the signing key is not one GitHub publishes")]
    UnknownKey,
    #[error("the signature does not match the body")]
    Mismatch,
    /// The key list could not be read (GitHub unreachable, say): try later.
    #[error("GitHub's signing keys could not be read: {0}")]
    KeysUnavailable(String),
}

/// The published list: `{"public_keys": [{"key_identifier", "key", "is_current"}]}`.
#[derive(Deserialize)]
struct KeyList {
    public_keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    /// PEM, SubjectPublicKeyInfo.
    key: String,
}

#[derive(Default)]
struct Known {
    keys: HashMap<String, VerifyingKey>,
    read_at: Option<DateTime<Utc>>,
}

pub struct GitHubSigningKeys {
    url: Url,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    /// Held while the list is read, so reports arriving together wait for one read.
    known: Mutex<Known>,
}

impl GitHubSigningKeys {
    pub fn new(url: Url, clock: Arc<dyn Clock>) -> anyhow::Result<GitHubSigningKeys> {
        // As for the sign-in platforms: no redirects (they could lead to
        // internal addresses), and a slow answer gives up after 10 seconds.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("MonkeyCI-accounts/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(GitHubSigningKeys { url, http, clock, known: Mutex::default() })
    }

    /// Checks that `body` was signed by the GitHub key `key_id` (`None`s: the
    /// headers were missing).
    pub async fn verify(
        &self,
        key_id: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let (Some(key_id), Some(signature)) = (key_id, signature) else {
            return Err(SignatureError::Unsigned);
        };
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .ok()
            .and_then(|der| Signature::from_der(&der).ok())
            .ok_or(SignatureError::Malformed)?;
        let key = self.key(key_id.trim()).await?;
        key.verify(body, &signature).map_err(|_| SignatureError::Mismatch)
    }

    /// The key with this identifier, reading the list again when it is not
    /// known and the last read is old enough.
    async fn key(&self, key_id: &str) -> Result<VerifyingKey, SignatureError> {
        let mut known = self.known.lock().await;
        if let Some(key) = known.keys.get(key_id) {
            return Ok(*key);
        }
        let now = self.clock.now();
        if known.read_at.is_some_and(|at| now < at + REFETCH_AFTER) {
            return Err(SignatureError::UnknownKey);
        }
        // Counted as a read even when it fails, so a GitHub that is down is not asked again at once.
        known.read_at = Some(now);
        known.keys = self.read_list().await.map_err(|e| {
            tracing::warn!(error = %e, "could not read GitHub's secret scanning keys");
            SignatureError::KeysUnavailable(e)
        })?;
        tracing::info!(keys = known.keys.len(), "read GitHub's secret scanning keys");
        known.keys.get(key_id).copied().ok_or(SignatureError::UnknownKey)
    }

    async fn read_list(&self) -> Result<HashMap<String, VerifyingKey>, String> {
        let url = self.url.clone();
        let response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("GET {}: {}", url.path(), e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("GET {} answered {}", url.path(), response.status()));
        }
        let body = response.bytes().await.map_err(|e| format!("GET {}: {}", url.path(), e.without_url()))?;
        if body.len() > MAX_KEY_LIST {
            return Err(format!("GET {} answered more than {MAX_KEY_LIST} bytes", url.path()));
        }
        let list: KeyList =
            serde_json::from_slice(&body).map_err(|e| format!("GET {}: unexpected JSON: {e}", url.path()))?;
        Ok(parse_keys(list))
    }
}

/// The usable keys of the list; a key that is not a P-256 public key is left out (logged).
fn parse_keys(list: KeyList) -> HashMap<String, VerifyingKey> {
    list.public_keys
        .into_iter()
        .filter_map(|published| match VerifyingKey::from_public_key_pem(published.key.trim()) {
            Ok(key) => Some((published.key_identifier, key)),
            Err(e) => {
                tracing::warn!(key = %published.key_identifier, error = %e, "GitHub published a key that is not P-256");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_list_keeps_the_p256_keys_and_leaves_out_junk() {
        use p256::pkcs8::{EncodePublicKey, LineEnding};
        let signing = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pem = signing.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        let list: KeyList = serde_json::from_value(serde_json::json!({
            "public_keys": [
                {"key_identifier": "good", "key": pem, "is_current": true},
                {"key_identifier": "junk", "key": "not a key", "is_current": false},
            ]
        }))
        .unwrap();
        let keys = parse_keys(list);
        assert_eq!(keys.get("good"), Some(signing.verifying_key()));
        assert!(!keys.contains_key("junk"));
    }
}
