//! `GET /api/v1/openapi.json`: the OpenAPI 3 document, generated from the
//! handlers' annotations and the model types, so it describes what runs.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Object, Ref, Response, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use super::model;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MonkeyCI accounts API",
        version = "1",
        description = "Organizations and API keys. Authenticate with `Authorization: Bearer <key>` \
            (or `Token <key>`); keys in the URL are refused. Errors are `{\"error\": {\"code\", \"message\"}}` \
            (422 adds `fields`). A method a path does not list is answered 405 with `Allow`."
    ),
    paths(
        super::whoami::whoami,
        super::introspect::introspect,
        super::orgs::list,
        super::orgs::show,
        super::orgs::members,
        super::keys::list_org_keys,
        super::keys::create_org_key,
        super::keys::get_org_key,
        super::keys::delete_org_key,
        super::keys::list_user_keys,
        super::keys::create_user_key,
        super::keys::get_user_key,
        super::keys::delete_user_key,
        super::key_roll::roll_org_key,
        super::key_roll::roll_user_key,
        super::user_keys::list,
        super::user_keys::block,
        super::user_keys::unblock,
        super::leaks::revoke,
        super::secret_scanning::report,
    ),
    components(schemas(
        model::ErrorBody,
        model::ErrorDetail,
        model::UserInfo,
        model::OrgAccess,
        model::KeyIdentity,
        model::Whoami,
        model::OrgList,
        model::OrgDetails,
        model::MemberInfo,
        model::MemberList,
        model::ApiKeyInfo,
        model::CreatorKey,
        model::KeyList,
        model::NewKeyRequest,
        model::CreatedKey,
        model::RollRequest,
        super::introspect::Introspection,
        super::introspect::OrgScope,
        super::user_keys::MemberKeyInfo,
        super::user_keys::MemberKeyOwner,
        super::user_keys::MemberKeyList,
        super::leaks::RevokeRequest,
        super::leaks::Accepted,
        super::secret_scanning::SecretMatch,
        super::secret_scanning::Verdict,
        super::secret_scanning::Label,
    )),
    modifiers(&ApiKeyAuth, &MechanismResponses),
    tags(
        (name = "identity", description = "The calling key"),
        (name = "organizations", description = "Organizations the key reaches"),
        (name = "keys", description = "Organization and user API keys"),
        (name = "introspection", description = "For the platform's services: what a key may do (RFC 7662)"),
        (name = "leaks", description = "Leaked keys: revoked by whoever holds the token, or reported by GitHub's secret scanning; no key needed"),
    )
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mci_org_… or mci_usr_… (62 characters)")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "introspection_client",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "A platform service's id and secret from MONKEYCI_INTROSPECTION_CLIENTS",
                    ))
                    .build(),
            ),
        );
    }
}

/// The answers an operation can give because of what runs before its handler,
/// added to every operation that does not describe them itself (handlers
/// document their own: 403 and 404 of the access extractors, 422 of their rules):
///
/// - 400: a key in the URL (`json_errors`, every route); a query string the
///   operation's parameters cannot be read from (one given twice); a body that is
///   not JSON;
/// - 401, 429 and 503: the key check (`ApiCaller`), for operations that need a key;
///   403 too, for a key with allowed networks used elsewhere (operations with
///   their own 403 name `ip_not_allowed` in its description);
/// - 413, 415 and 422: the JSON body (size limit, content type, shape), for
///   operations that take one;
/// - 500: a failure on our side (the database, …), which the body does not detail.
///
/// Wrong methods (405) are answered by the path, not by an operation: the
/// document's description says so.
struct MechanismResponses;

impl Modify for MechanismResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                add_mechanism_responses(operation);
            }
        }
    }
}

fn add_mechanism_responses(operation: &mut Operation) {
    let has_query =
        operation.parameters.iter().flatten().any(|parameter| parameter.parameter_in == ParameterIn::Query);
    // A JSON body (the form of `/introspect` documents its own answers).
    let has_body =
        operation.request_body.as_ref().is_some_and(|body| body.content.contains_key("application/json"));
    let needs_key = operation.security.as_ref().is_some_and(|requirements| !requirements.is_empty());

    let mut bad_request = vec!["An API key in the URL (`key_in_query`: consider the key exposed)"];
    if has_query {
        bad_request.push("a query parameter given more than once");
    }
    if has_body {
        bad_request.push("a body that is not valid JSON");
    }
    let mut answers = vec![(400, error_response(&bad_request.join("; "), None))];
    if needs_key {
        answers.push((
            401,
            error_response(
                "Missing, malformed, unknown or expired key, or an `Authorization` header that is not \
                 `Bearer <key>` or `Token <key>`",
                Some(("WWW-Authenticate", "`Bearer realm=\"monkeyci\"`", Type::String)),
            ),
        ));
        answers.push((
            403,
            error_response(
                "The key is used outside its allowed networks (`ip_not_allowed`; the message names \
                 the address seen)",
                None,
            ),
        ));
        answers.push((
            429,
            error_response(
                "Too many failed key checks from this address (`rate_limited`)",
                Some(("Retry-After", "Seconds until an attempt is allowed again", Type::Integer)),
            ),
        ));
        answers.push((
            503,
            error_response(
                "Too many key checks waiting at once (`busy`), or the database cannot be reached \
                 (`unavailable`)",
                Some(("Retry-After", "Seconds to wait before trying again", Type::Integer)),
            ),
        ));
    }
    if has_body {
        answers.push((413, error_response("The body is larger than 16 KiB", None)));
        answers.push((415, error_response("The body is not sent as `application/json`", None)));
        answers.push((422, error_response("The body is not what the operation takes (see `fields`)", None)));
    }
    answers
        .push((500, error_response("A failure on our side; it is logged, the body holds no detail", None)));
    for (status, response) in answers {
        operation.responses.responses.entry(status.to_string()).or_insert_with(|| response.into());
    }
}

/// A response with the JSON error body and, possibly, a header (name, description, type).
fn error_response(description: &str, header: Option<(&str, &str, Type)>) -> Response {
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let mut response = ResponseBuilder::new().description(description).content("application/json", body);
    if let Some((name, description, kind)) = header {
        let header =
            HeaderBuilder::new().schema(Object::with_type(kind)).description(Some(description)).build();
        response = response.header(name, header);
    }
    response.build()
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes"))
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::json()).body(json())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::from_str(super::json()).unwrap()
    }

    fn statuses(document: &Value, path: &str, method: &str) -> Vec<String> {
        document["paths"][path][method]["responses"].as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn operations_document_what_runs_before_their_handlers() {
        let document = document();
        let every = ["400", "401", "403", "429", "500", "503"];
        let with = |extra: &[&str]| {
            let mut all: Vec<String> =
                every.iter().chain(extra).map(std::string::ToString::to_string).collect();
            all.sort();
            all
        };
        assert_eq!(statuses(&document, "/api/v1/whoami", "get"), with(&["200"]));
        assert_eq!(statuses(&document, "/api/v1/orgs/{org}", "get"), with(&["200", "404"]));
        assert_eq!(
            statuses(&document, "/api/v1/orgs/{org}/keys", "post"),
            with(&["201", "404", "413", "415", "422"])
        );
        assert_eq!(statuses(&document, "/api/v1/user/keys/{id}", "delete"), with(&["204", "404"]));
        let forbidden = |path: &str, method: &str| {
            document["paths"][path][method]["responses"]["403"]["description"].as_str().unwrap().to_string()
        };
        assert!(forbidden("/api/v1/whoami", "get").contains("ip_not_allowed"));
        assert!(forbidden("/api/v1/orgs/{org}/keys", "post").contains("insufficient_scope"));
        assert!(forbidden("/api/v1/orgs/{org}/keys", "post").contains("ip_not_allowed"));

        let bad_request = |path: &str, method: &str| {
            document["paths"][path][method]["responses"]["400"]["description"].as_str().unwrap().to_string()
        };
        assert!(bad_request("/api/v1/user/keys", "get").contains("given more than once"));
        assert!(!bad_request("/api/v1/user/keys", "get").contains("body"));
        assert!(bad_request("/api/v1/user/keys", "post").contains("not valid JSON"));
        assert!(bad_request("/api/v1/whoami", "get").starts_with("An API key in the URL"));
        let scopes = |path: &str, method: &str| document["paths"][path][method]["security"].clone();
        assert_eq!(
            scopes("/api/v1/orgs/{org}/keys", "post"),
            serde_json::json!([{"api_key": ["keys:write"]}])
        );
        assert_eq!(scopes("/api/v1/whoami", "get"), serde_json::json!([{"api_key": []}]));
        let retry_after =
            &document["paths"]["/api/v1/whoami"]["get"]["responses"]["429"]["headers"]["Retry-After"];
        assert_eq!(retry_after["schema"]["type"], "integer");
    }
}
