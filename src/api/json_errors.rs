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

fn carries_a_key(query: &str) -> bool {
    if query.is_empty() {
        return false;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let decoded_has_token = |s: &str| s.contains("mci_org_") || s.contains("mci_usr_");
    decoded_has_token(query)
        || pairs.iter().any(|(name, value)| {
            CREDENTIAL_PARAMS.contains(&name.to_ascii_lowercase().as_str()) || decoded_has_token(value)
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
    use super::carries_a_key;

    #[test]
    fn keys_in_a_query_string_are_recognised_however_they_are_named_or_encoded() {
        assert!(carries_a_key("api_key=abc"));
        assert!(carries_a_key("page=2&Token=abc"));
        assert!(carries_a_key("x=mci_org_0123"));
        assert!(carries_a_key("x=mci%5Fusr%5F0123"));
        assert!(!carries_a_key(""));
        assert!(!carries_a_key("page=2&per_page=100"));
    }
}
