//! The stand-in's HTTP side: token endpoints and profile APIs of the four code
//! hosts, plus the OpenID Connect provider's endpoints (built in `oidc.rs`).

use std::collections::HashMap;

use actix_web::web::{self, Bytes, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{ApiRequest, Failure, Issued, Platform, Shared, TokenRequest, distinctive, oidc, shapes};

pub fn configure(cfg: &mut ServiceConfig) {
    let token_paths = [
        (Platform::GitHub, "/github/login/oauth/access_token"),
        (Platform::GitLab, "/gitlab/oauth/token"),
        (Platform::Bitbucket, "/bitbucket/site/oauth2/access_token"),
        (Platform::Codeberg, "/codeberg/login/oauth/access_token"),
        (Platform::Oidc, "/oidc/token"),
    ];
    for (platform, path) in token_paths {
        cfg.route(
            path,
            web::post().to(move |req: HttpRequest, body: Bytes, shared: Data<Shared>| async move {
                token(platform, &req, &body, &shared)
            }),
        );
    }
    let api_paths = [
        (Platform::GitHub, "/github-api/user", Profile::User),
        (Platform::GitHub, "/github-api/user/emails", Profile::Emails),
        (Platform::GitLab, "/gitlab/api/v4/user", Profile::User),
        (Platform::Bitbucket, "/bitbucket-api/2.0/user", Profile::User),
        (Platform::Bitbucket, "/bitbucket-api/2.0/user/emails", Profile::Emails),
        (Platform::Codeberg, "/codeberg/api/v1/user", Profile::User),
        (Platform::Codeberg, "/codeberg/api/v1/user/emails", Profile::Emails),
    ];
    for (platform, path, what) in api_paths {
        cfg.route(
            path,
            web::get().to(move |req: HttpRequest, shared: Data<Shared>| async move {
                profile(platform, what, &req, &shared)
            }),
        );
    }
    cfg.route("/trap", web::route().to(trap));
    oidc::configure(cfg);
}

/// Where the stand-in's redirects lead. It answers like a working platform, so
/// a client that followed the redirect would get somewhere.
async fn trap(shared: Data<Shared>) -> HttpResponse {
    shared.records().trap_hits += 1;
    let person = super::Person::ada(Platform::GitHub);
    HttpResponse::Ok().json(json!({
        "access_token": "trap-token",
        "token_type": "bearer",
        "id": 1,
        "login": person.login,
        "name": person.name,
        "email": person.email,
    }))
}

fn redirect_to_trap(shared: &Shared) -> HttpResponse {
    HttpResponse::Found().insert_header(("location", format!("{}/trap", shared.base))).finish()
}

fn oauth_error(status: actix_web::http::StatusCode, code: &str) -> HttpResponse {
    HttpResponse::build(status)
        .json(json!({ "error": code, "error_description": format!("stand-in: {code}") }))
}

fn bad_request(code: &str) -> HttpResponse {
    oauth_error(actix_web::http::StatusCode::BAD_REQUEST, code)
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// S256 of a PKCE verifier, as the challenge is made from it.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A token endpoint that checks what a real one checks: the code (once), the
/// client credentials, the redirect_uri and the PKCE verifier.
fn token(platform: Platform, req: &HttpRequest, body: &Bytes, shared: &Shared) -> HttpResponse {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let basic_auth = basic_credentials(req);
    let mut records = shared.records();
    records.token_requests.push(TokenRequest {
        platform,
        form: form.clone(),
        basic_auth: basic_auth.clone(),
    });

    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") != Some("authorization_code") {
        return bad_request("unsupported_grant_type");
    }
    let Some(grant) = field("code").and_then(|code| records.grants.remove(code)) else {
        return bad_request("invalid_grant");
    };
    if grant.platform != platform {
        return bad_request("invalid_grant");
    }
    let (client_id, client_secret) = &shared.apps[&platform];
    if platform == Platform::Oidc {
        let method = if basic_auth.is_some() { "client_secret_basic" } else { "client_secret_post" };
        if !oidc::client_auth_methods(&records).iter().any(|m| m == method) {
            return oauth_error(actix_web::http::StatusCode::UNAUTHORIZED, "invalid_client");
        }
    }
    let presented = basic_auth.or_else(|| Some((field("client_id")?.into(), field("client_secret")?.into())));
    if presented.as_ref() != Some(&(client_id.clone(), client_secret.clone())) {
        return oauth_error(actix_web::http::StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if field("redirect_uri") != grant.redirect_uri.as_deref() {
        return bad_request("invalid_grant");
    }
    if let Some(challenge) = &grant.code_challenge {
        let proven = grant.code_challenge_method.as_deref() == Some("S256")
            && field("code_verifier").is_some_and(|v| s256(v) == *challenge);
        if !proven {
            return bad_request("invalid_grant");
        }
    }
    match grant.failure {
        Some(Failure::TokenEndpointDown) => {
            return HttpResponse::InternalServerError().content_type("text/html").body("<h1>Oops</h1>");
        }
        Some(Failure::TokenEndpointRedirects) => return redirect_to_trap(shared),
        Some(Failure::ErrorInOkTokenResponse) => {
            return HttpResponse::Ok().json(json!({
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps/\
                              troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"
            }));
        }
        _ => {}
    }

    let access_token = distinctive(&format!("standinaccess{}", platform.slug()));
    let refresh_token = distinctive("standinrefresh");
    records.secrets.extend([access_token.clone(), refresh_token.clone()]);
    records.tokens.insert(
        access_token.clone(),
        Issued { platform, person: grant.person.clone(), failure: grant.failure },
    );
    let body = match platform {
        Platform::Oidc => oidc::token_response(shared, &grant, &access_token),
        _ => shapes::token_response(platform, &access_token, &refresh_token),
    };
    HttpResponse::Ok().json(body)
}

#[derive(Debug, Clone, Copy)]
enum Profile {
    User,
    Emails,
}

/// A profile API: needs one of the stand-in's access tokens as a bearer token.
fn profile(platform: Platform, what: Profile, req: &HttpRequest, shared: &Shared) -> HttpResponse {
    let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut records = shared.records();
    records
        .api_requests
        .push(ApiRequest { path: req.path().to_string(), authorization: authorization.clone() });
    let token = authorization.as_deref().and_then(|v| v.strip_prefix("Bearer "));
    let Some(issued) = token.and_then(|t| records.tokens.get(t)).filter(|i| i.platform == platform) else {
        return HttpResponse::Unauthorized().json(json!({ "message": "Bad credentials" }));
    };
    match (issued.failure, what) {
        (Some(Failure::ProfileDown), _) | (Some(Failure::EmailListDown), Profile::Emails) => {
            return HttpResponse::InternalServerError().json(json!({ "message": "Server Error" }));
        }
        (Some(Failure::ProfileRedirects), _) => return redirect_to_trap(shared),
        (Some(Failure::ProfileRefusesToken), _) => {
            return HttpResponse::Unauthorized().json(json!({ "message": "401 Unauthorized" }));
        }
        _ => {}
    }
    let body = match what {
        Profile::User => shapes::user(platform, &issued.person),
        Profile::Emails => shapes::emails(platform, &issued.person),
    };
    HttpResponse::Ok().json(body)
}
