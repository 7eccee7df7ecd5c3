//! `POST /api/v1/secret-scanning/github`: reports from GitHub's secret scanning
//! partner program (SPEC §2 "Lifecycle", leaked keys). GitHub sends a JSON
//! array of `{"token", "type", "url", "source"}` found in public code, signed
//! (ECDSA P-256 / SHA-256 over the raw body; `auth::secret_scanning_keys`).
//! Anything not signed by GitHub is refused with 401 before the body is read.
//!
//! Each token that is a real key (its secret checked, at most one argon2 check
//! per distinct token, junk costing nothing) is revoked at once if it still
//! worked, its owner told, and answered `true_positive`: a real key found in
//! public code is a true positive even when it had already stopped (GitHub's
//! label says whether the token is a real credential). Anything else is a
//! `false_positive`. The answer is GitHub's feedback format:
//! `[{"token_hash": sha256 hex, "token_type", "label"}]`, one per item, in order.
//!
//! Key checks spend an allowance of their own (`Attempts::SecretScanning`), so
//! that replaying a signed batch cannot make unbounded argon2 work; batches are
//! at most [`MAX_BODY`] and [`MAX_ITEMS`] long.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::error::ApiError;
use super::model::{ErrorBody, ErrorDetail};
use crate::auth::key_auth::{Attempts, AuthFailure};
use crate::auth::secret_scanning_keys::SignatureError;
use crate::domain::api_key::ParsedToken;
use crate::services::leaks::{Outcome, Report};
use crate::state::AppState;

/// The largest batch body read.
pub const MAX_BODY: usize = 1024 * 1024;
/// The most matches in one batch.
pub const MAX_ITEMS: usize = 1000;

/// One match GitHub found.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SecretMatch {
    /// The value found.
    pub token: String,
    /// The secret type registered with GitHub (answered back as `token_type`).
    #[serde(rename = "type")]
    pub token_type: String,
    /// The public URL where it was found (may be empty).
    #[serde(default)]
    pub url: String,
    /// Where on GitHub: `content`, `commit`, `issue_comment`, …
    #[serde(default)]
    pub source: String,
}

/// Whether a reported token is a real key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    TruePositive,
    FalsePositive,
}

/// The answer about one match, in GitHub's feedback format.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verdict {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// The `type` received.
    pub token_type: String,
    pub label: Label,
}

/// Revokes the keys GitHub found in public code, and says which were real.
#[utoipa::path(
    post,
    path = "/api/v1/secret-scanning/github",
    tag = "leaks",
    request_body(content = Vec<SecretMatch>, content_type = "application/json",
        description = "GitHub's batch, signed: headers `Github-Public-Key-Identifier` and `Github-Public-Key-Signature` (base64 DER ECDSA P-256 / SHA-256 of the raw body)"),
    params(
        ("Github-Public-Key-Identifier" = String, Header, description = "Which of GitHub's published keys signed the body"),
        ("Github-Public-Key-Signature" = String, Header, description = "Base64 of the DER ECDSA signature of the raw body"),
    ),
    responses(
        (status = 200, description = "One verdict per match, in order: `true_positive` for a real key (revoked now if it still worked, its owner told by e-mail), `false_positive` otherwise", body = Vec<Verdict>),
        (status = 401, description = "Not signed, or not by one of GitHub's keys, or the body was changed (`invalid_signature`): nothing is revoked", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB, or holds more than 1000 matches", body = ErrorBody),
        (status = 415, description = "The body is not sent as `application/json`", body = ErrorBody),
        (status = 422, description = "The signed body is not a JSON array of matches (see `fields`)", body = ErrorBody),
        (status = 429, description = "Too many reported tokens failed their check lately (`rate_limited`); see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until checks are allowed again"))),
        (status = 503, description = "GitHub's signing keys could not be read, too many key checks wait at once, or the database cannot be reached; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    description = "Unauthenticated by key: GitHub's signature is what is checked. For GitHub's secret scanning partner program.",
)]
pub async fn report(req: HttpRequest, body: Bytes, state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !is_json(&req) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let signed = state
        .github_signing_keys
        .verify(
            header_text(&req, "github-public-key-identifier"),
            header_text(&req, "github-public-key-signature"),
            &body,
        )
        .await;
    if let Err(why) = signed {
        tracing::warn!(reason = %why, "secret scanning report refused");
        return Ok(refusal(&why));
    }
    let matches = read_matches(&body)?;
    let mut labels: HashMap<&str, Label> = HashMap::new();
    let mut verdicts = Vec::with_capacity(matches.len());
    for found in &matches {
        let token = found.token.trim();
        let label = if let Some(label) = labels.get(token) {
            *label
        } else {
            let label = match judge(token, &found.url, &state).await {
                Err(ApiError::Unauthorized(AuthFailure::RateLimited { retry_after })) => {
                    return Ok(too_many_checks(retry_after));
                }
                other => other?,
            };
            tracing::info!(source = found.source, label = ?label, "secret scanning match judged");
            labels.insert(token, label);
            label
        };
        verdicts.push(Verdict {
            token_hash: hex::encode(Sha256::digest(found.token.as_bytes())),
            token_type: found.token_type.clone(),
            label,
        });
    }
    Ok(HttpResponse::Ok().json(verdicts))
}

/// Whether `token` is a real key, revoking it if it still worked.
async fn judge(token: &str, url: &str, state: &AppState) -> Result<Label, ApiError> {
    // Not a MonkeyCI token at all (prefix, length, alphabet, checksum): no work.
    if ParsedToken::parse(token).is_err() {
        return Ok(Label::FalsePositive);
    }
    match state.key_auth.identify(token, Attempts::SecretScanning).await {
        Ok(verified) => {
            let report = Report::SecretScanning { url: url.to_string() };
            if state.leaks.revoke(&verified, &report).await? == Outcome::Revoked {
                tracing::info!(
                    key = verified.key.public_id.as_str(),
                    "API key revoked: found in public code by GitHub secret scanning"
                );
            }
            Ok(Label::TruePositive)
        }
        Err(AuthFailure::Malformed(_) | AuthFailure::Invalid) => Ok(Label::FalsePositive),
        // `identify` names expired and revoked keys; these cannot come, and would be real keys.
        Err(AuthFailure::Expired { .. } | AuthFailure::Revoked(_)) => Ok(Label::TruePositive),
        Err(failure) => Err(failure.into()),
    }
}

/// The signed body as matches: a JSON array of at most [`MAX_ITEMS`] objects.
fn read_matches(body: &[u8]) -> Result<Vec<SecretMatch>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("The body is not valid JSON: {e}.")))?;
    let Some(items) = value.as_array() else {
        return Err(ApiError::field("body", "Send a JSON array of matches."));
    };
    if items.len() > MAX_ITEMS {
        return Err(ApiError::PayloadTooLarge);
    }
    serde_json::from_value(value).map_err(|e| ApiError::field("body", e.to_string()))
}

fn header_text<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|value| value.to_str().ok())
}

fn is_json(req: &HttpRequest) -> bool {
    header_text(req, header::CONTENT_TYPE.as_str())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// A refused signature: 401 (503 when GitHub's keys could not be read, so GitHub tries again).
fn refusal(why: &SignatureError) -> HttpResponse {
    let (status, code, message) = match why {
        SignatureError::KeysUnavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "GitHub's signing keys could not be read. Try again later.".to_string(),
        ),
        other => (
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            format!("This endpoint takes reports signed by GitHub's secret scanning: {other}."),
        ),
    };
    let mut response = HttpResponse::build(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("60")));
    }
    response.json(ErrorBody { error: ErrorDetail { code: code.into(), message, fields: None } })
}

/// 429: the reported tokens' allowance is spent (the keys revoked so far stay
/// revoked; GitHub sends the batch again later).
fn too_many_checks(retry_after: u64) -> HttpResponse {
    let message =
        format!("Too many reported tokens failed their check lately. Try again in {retry_after} s.");
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, retry_after.to_string()))
        .json(ErrorBody { error: ErrorDetail { code: "rate_limited".into(), message, fields: None } })
}

/// The regular expression to register with GitHub for MonkeyCI tokens (SPEC §2
/// "Token format": the prefix, then 16 + 32 + 6 base62 characters).
pub const TOKEN_PATTERN: &str = r"\bmci_(?:org|usr)_[0-9A-Za-z]{54}\b";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::{KeyKind, generate};

    /// [`TOKEN_PATTERN`] checked by hand (no regex engine here): word boundary,
    /// prefix, exactly 54 base62 characters, word boundary.
    fn matches_pattern(text: &str) -> Vec<&str> {
        let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        for prefix in ["mci_org_", "mci_usr_"] {
            for (start, _) in text.match_indices(prefix) {
                if start > 0 && is_word(bytes[start - 1]) {
                    continue;
                }
                let body = start + prefix.len();
                let end = body + 54;
                if end <= bytes.len()
                    && bytes[body..end].iter().all(u8::is_ascii_alphanumeric)
                    && (end == bytes.len() || !is_word(bytes[end]))
                {
                    found.push(&text[start..end]);
                }
            }
        }
        found
    }

    #[test]
    fn the_registered_pattern_is_the_token_format() {
        assert_eq!(TOKEN_PATTERN, r"\bmci_(?:org|usr)_[0-9A-Za-z]{54}\b");
        for kind in [KeyKind::Organization, KeyKind::User] {
            for _ in 0..50 {
                let token = generate(kind).to_token_string();
                assert_eq!(token.len(), 62);
                let text = format!("export MONKEYCI_API_KEY=\"{token}\"\n");
                assert_eq!(matches_pattern(&text), [token.as_str()]);
                assert!(matches_pattern(&format!("{token}x")).is_empty(), "longer is not a token");
                assert!(matches_pattern(&token[..61]).is_empty(), "shorter is not a token");
                assert!(matches_pattern(&format!("x{token}")).is_empty(), "inside a word is not a token");
            }
        }
    }

    #[test]
    fn a_batch_is_read_after_its_signature_and_bounded() {
        let one =
            br#"[{"token":"t","type":"monkeyci_api_key","url":"https://github.com/o/r","source":"content"}]"#;
        let read = read_matches(one).unwrap();
        assert_eq!((read[0].token.as_str(), read[0].token_type.as_str()), ("t", "monkeyci_api_key"));
        assert!(matches!(read_matches(br#"{"token":"t"}"#), Err(ApiError::Validation(_))));
        assert!(matches!(read_matches(b"[{"), Err(ApiError::BadRequest(_))));
        let many =
            serde_json::to_vec(&vec![serde_json::json!({"token": "t", "type": "x"}); MAX_ITEMS + 1]).unwrap();
        assert!(matches!(read_matches(&many), Err(ApiError::PayloadTooLarge)));
    }
}
