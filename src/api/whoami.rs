//! `GET /api/v1/whoami`: the key and whom it speaks for. Served from the cache
//! for a hot key: no database work.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use bytes::Bytes;

use super::caller::ApiCaller;
use super::error::ApiError;
use super::model::Whoami;
use super::views::{key_identity, org_access, user_info};
use crate::domain::access::{Caller, KeyHolder};

/// Who the key belongs to and which organizations it reaches.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "identity",
    responses(
        (status = 200, description = "The key and its reach, with the key's effective scope in each organization", body = Whoami),
    ),
    security(("api_key" = []))
)]
pub async fn whoami(caller: ApiCaller) -> Result<HttpResponse, ApiError> {
    // Scripts call this endpoint all the time: its body is made once per cached
    // caller and reused until the cache replaces the caller.
    let body = caller.0.rendered(|caller| json_body(&whoami_of(caller)))?;
    Ok(HttpResponse::Ok().content_type(ContentType::json()).body(body))
}

/// `value` as JSON; one that cannot be written is a 500 (logged), never an empty 200.
fn json_body(value: &impl serde::Serialize) -> Result<Bytes, ApiError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("cannot write the whoami body")))
}

fn whoami_of(caller: &Caller) -> Whoami {
    let organizations = caller.organizations();
    Whoami {
        key: key_identity(caller),
        user: caller.user().map(user_info),
        organization: match &caller.holder {
            KeyHolder::Organization { .. } => organizations.first().map(org_access),
            KeyHolder::User { .. } => None,
        },
        organizations: organizations.iter().map(org_access).collect(),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;
    use actix_web::body::MessageBody;
    use actix_web::http::StatusCode;

    use super::*;

    /// A value serde_json cannot write.
    struct Unwritable;

    impl serde::Serialize for Unwritable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("this value cannot be written"))
        }
    }

    #[test]
    fn a_body_that_cannot_be_written_is_a_logged_500_with_a_json_error() {
        let error = json_body(&Unwritable).expect_err("no empty body");
        let logs = logged_while(|| {
            let response = error.error_response();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body = response.into_body().try_into_bytes().expect("a full body");
            let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
            assert_eq!(json["error"]["code"], "internal");
        });
        assert!(logs.contains("API request failed"), "{logs}");
        assert!(logs.contains("this value cannot be written"), "{logs}");
    }

    /// What `f` logs, at any level.
    fn logged_while(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned()
    }

    #[test]
    fn a_body_that_can_be_written_is_its_json() {
        assert_eq!(json_body(&serde_json::json!({"a": 1})).unwrap(), Bytes::from_static(br#"{"a":1}"#));
    }
}
