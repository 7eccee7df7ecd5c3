//! `GET /api/v1/openapi.json`: the OpenAPI 3 document, generated from the
//! handlers' annotations and the model types, so it describes what runs.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::model;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MonkeyCI accounts API",
        version = "1",
        description = "Organizations and API keys. Authenticate with `Authorization: Bearer <key>` \
            (or `Token <key>`); keys in the URL are refused. Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        super::whoami::whoami,
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
    )),
    modifiers(&ApiKeyAuth),
    tags(
        (name = "identity", description = "The calling key"),
        (name = "organizations", description = "Organizations the key reaches"),
        (name = "keys", description = "Organization and user API keys"),
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
    }
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes"))
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::json()).body(json())
}
