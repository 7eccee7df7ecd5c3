//! The REST API under `/api/v1` (SPEC §5): JSON in and out, authenticated by
//! API keys. Handlers parse, ask [`caller::ApiCaller`] who is calling, call the
//! domain and storage, and answer with the types of [`model`].

pub mod caller;
mod client_address;
pub mod error;
mod introspect;
mod json_body;
mod json_errors;
mod key_roll;
mod keys;
mod leaks;
pub mod model;
mod new_key;
pub mod openapi;
mod orgs;
pub mod secret_scanning;
mod user_keys;
mod views;
mod whoami;

use actix_web::Scope;
use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::middleware::from_fn;
use actix_web::web::{self, JsonConfig, PayloadConfig, QueryConfig};

use error::ApiError;

/// Request bodies are small (a description and a date).
const MAX_BODY: usize = 16 * 1024;

pub fn scope() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/api/v1")
        .wrap(from_fn(json_errors::api_guard))
        .app_data(JsonConfig::default().limit(MAX_BODY).error_handler(|error, _| json_error(error).into()))
        .app_data(QueryConfig::default().error_handler(|error, _| query_error(error).into()))
        // Resources (not `Scope::route`), so a wrong method is a 405, not a 404.
        .service(web::resource("/openapi.json").route(web::get().to(openapi::document)))
        .service(web::resource("/whoami").route(web::get().to(whoami::whoami)))
        .service(
            web::resource("/introspect")
                .app_data(PayloadConfig::new(introspect::MAX_FORM))
                .route(web::post().to(introspect::introspect)),
        )
        // Reports of leaked keys: no key needed (the token in the body, or GitHub's signature).
        .service(
            web::resource("/keys/revoke")
                .app_data(
                    JsonConfig::default()
                        .limit(leaks::MAX_BODY)
                        .error_handler(|error, _| json_error(error).into()),
                )
                .route(web::post().to(leaks::revoke)),
        )
        .service(
            web::resource("/secret-scanning/github")
                .app_data(PayloadConfig::new(secret_scanning::MAX_BODY))
                .route(web::post().to(secret_scanning::report)),
        )
        .service(web::resource("/orgs").route(web::get().to(orgs::list)))
        .service(web::resource("/orgs/{org}").route(web::get().to(orgs::show)))
        .service(web::resource("/orgs/{org}/members").route(web::get().to(orgs::members)))
        .service(
            web::resource("/orgs/{org}/keys")
                .route(web::get().to(keys::list_org_keys))
                .route(web::post().to(keys::create_org_key)),
        )
        .service(
            web::resource("/orgs/{org}/keys/{id}")
                .route(web::get().to(keys::get_org_key))
                .route(web::delete().to(keys::delete_org_key)),
        )
        .service(web::resource("/orgs/{org}/keys/{id}/roll").route(web::post().to(key_roll::roll_org_key)))
        .service(web::resource("/orgs/{org}/user-keys").route(web::get().to(user_keys::list)))
        .service(
            web::resource("/orgs/{org}/user-keys/{id}/block")
                .route(web::post().to(user_keys::block))
                .route(web::delete().to(user_keys::unblock)),
        )
        .service(
            web::resource("/user/keys")
                .route(web::get().to(keys::list_user_keys))
                .route(web::post().to(keys::create_user_key)),
        )
        .service(
            web::resource("/user/keys/{id}")
                .route(web::get().to(keys::get_user_key))
                .route(web::delete().to(keys::delete_user_key)),
        )
        .service(web::resource("/user/keys/{id}/roll").route(web::post().to(key_roll::roll_user_key)))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::NotFound) }))
}

fn json_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::field("body", e.to_string()),
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("The body is not valid JSON: {e}.")),
        other => ApiError::BadRequest(format!("The body could not be read: {other}.")),
    }
}

/// A query string the operation's parameters cannot be read from: in practice a
/// parameter given twice (`?per_page=1&per_page=2`), which has no one meaning.
fn query_error(error: QueryPayloadError) -> ApiError {
    match error {
        QueryPayloadError::Deserialize(e) => ApiError::BadRequest(format!(
            "The query string could not be read: {e}. Give each parameter once."
        )),
        other => ApiError::BadRequest(format!("The query string could not be read: {other}.")),
    }
}
