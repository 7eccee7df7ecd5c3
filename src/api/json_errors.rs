//! Middleware of the API scope: keys in URLs are refused before anything else,
//! and every error leaves as JSON, including the ones actix answers by itself
//! (unknown method, …).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use super::error::ApiError;
use crate::percent::fully_decoded;

/// Query parameter names clients use for credentials.
const CREDENTIAL_PARAMS: [&str; 7] =
    ["api_key", "apikey", "key", "token", "access_token", "private_token", "auth"];

/// Both jobs in one middleware: it runs on every API request.
pub async fn api_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if carries_a_key(req.query_string()) {
        // The request line (and so the key) is never logged: the log has paths only.
        let path = crate::telemetry::without_secrets(req.path()).into_owned();
        tracing::warn!(path, "refused a request with an API key in its URL");
        let response = ApiError::KeyInQuery.error_response();
        return Ok(req.into_response(response));
    }
    json_error_bodies(next.call(req).await?)
}

/// Whether the query string holds a key, or a parameter named like a
/// credential, once fully percent-decoded (`mci%255Forg%255F…` is a key
/// encoded twice: something between the client and us may decode it again).
fn carries_a_key(query: &str) -> bool {
    if query.is_empty() {
        return false;
    }
    let looks_like_a_key = |s: &str| s.contains("mci_org_") || s.contains("mci_usr_");
    // Decoding leaves `&` and `=` where they are, so the whole string decoded
    // holds every name and value decoded.
    let Some(decoded) = fully_decoded(query) else { return true };
    looks_like_a_key(&decoded)
        || query.split('&').any(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            fully_decoded(&name.replace('+', " "))
                .is_none_or(|name| CREDENTIAL_PARAMS.contains(&name.to_ascii_lowercase().as_str()))
        })
}

/// Any error response without a JSON body gets one.
fn json_error_bodies(
    response: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.as_u16() < 400 || is_json {
        return Ok(response.map_into_boxed_body());
    }
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        s if s.is_server_error() => ApiError::Internal(anyhow::anyhow!("{s} without a JSON body")),
        _ => ApiError::BadRequest("The request could not be understood.".into()),
    };
    let mut json: HttpResponse = error.error_response();
    *json.status_mut() = status;
    // Keep what actix said besides the body (`Allow` on a 405, …).
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            json.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(response.into_response(json))
}

#[cfg(test)]
mod tests {
    use super::{carries_a_key, fully_decoded};
    use crate::percent::DECODE_ROUNDS;

    #[test]
    fn keys_in_a_query_string_are_recognised_however_they_are_named_or_encoded() {
        assert!(carries_a_key("api_key=abc"));
        assert!(carries_a_key("page=2&Token=abc"));
        assert!(carries_a_key("x=mci_org_0123"));
        assert!(carries_a_key("x=mci%5Fusr%5F0123"));
        assert!(!carries_a_key(""));
        assert!(!carries_a_key("page=2&per_page=100"));
    }

    #[test]
    fn keys_and_credential_names_encoded_several_times_are_recognised() {
        for query in [
            "x=mci%255Forg%255F0123",
            "x=mci%25255Fusr%25255F0123",
            "mci%255Forg%255F0123",
            "mci%255Forg%255F0123=1",
            "page=1&x=%256D%2563%2569%255F%2575%2573%2572%255F",
            "api%255Fkey=abc",
            "ACCESS%25255FTOKEN=abc",
            "%2561pi_key=abc",
            "private%5ftoken",
            "x=1%2526token%253Dmci%255Forg%255F",
        ] {
            assert!(carries_a_key(query), "{query}");
        }
        for query in ["q=%2541%2542", "q=mci%255Fci", "per_page=%2510", "q=100%25", "q=%zz%2", "apikeys=1"] {
            assert!(!carries_a_key(query), "{query}");
        }
    }

    #[test]
    fn a_query_still_changing_after_the_last_round_is_refused() {
        let encoded = |times: usize| format!("x=%{}5F", "25".repeat(times - 1));
        assert_eq!(fully_decoded(&encoded(DECODE_ROUNDS)).as_deref(), Some("x=_"));
        assert!(!carries_a_key(&encoded(DECODE_ROUNDS)));
        assert_eq!(fully_decoded(&encoded(DECODE_ROUNDS + 1)), None);
        assert!(carries_a_key(&encoded(DECODE_ROUNDS + 1)));
    }
}
