//! What goes over the wire to the platforms: the authorize URL, PKCE, how the
//! client authenticates at the token endpoint, and the bearer token on API calls.

use reqwest::StatusCode;

use crate::platforms::{come_back_approved, leave_for_platform, signed_in_with};
use crate::standins::{Person, Platform, StandIn, TokenRequest, s256};
use crate::support::TestApp;
use crate::support::location;
use crate::{each_platform, platform_tests};

fn only_token_request(standin: &StandIn) -> TokenRequest {
    let requests = standin.token_requests();
    assert_eq!(requests.len(), 1, "one token request: {requests:?}");
    requests.into_iter().next().unwrap()
}

fn expected_scope(platform: Platform) -> Option<&'static str> {
    match platform {
        Platform::GitHub => Some("read:user user:email"),
        Platform::GitLab => Some("read_user"),
        // Bitbucket grants the scopes chosen on the OAuth consumer.
        Platform::Bitbucket => None,
        Platform::Codeberg => Some("read:user"),
        Platform::Oidc => Some("openid profile email"),
    }
}

async fn the_authorize_url_asks_for_a_code_for_the_apps_own_callback(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let path = format!("/auth/{}/login", platform.slug());
    let request = leave_for_platform(&app.client, &app, &standin, &path).await;
    assert_eq!(request.param("response_type"), Some("code"));
    assert_eq!(request.param("client_id"), Some(standin.client_id(platform).as_str()));
    let callback = app.url(&format!("/auth/{}/callback", platform.slug()));
    assert_eq!(request.param("redirect_uri"), Some(callback.as_str()));
    assert_eq!(request.param("scope"), expected_scope(platform));
    assert!(request.state().len() >= 43, "a 256-bit state: {}", request.state());
    assert_eq!(request.param("nonce").is_some(), platform == Platform::Oidc, "a nonce only for OIDC");
}
each_platform!(the_authorize_url_asks_for_a_code_for_the_apps_own_callback);

async fn the_client_secret_never_appears_in_the_address_the_browser_is_sent_to(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let slug = platform.slug();
    for path in [format!("/auth/{slug}/login"), format!("/auth/{slug}/login?return_to=%2Fsettings")] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let url = location(&response);
        assert!(!url.contains(&standin.client_secret(platform)), "{url}");
        assert!(!url.contains("client_secret"), "{url}");
    }
}
each_platform!(the_client_secret_never_appears_in_the_address_the_browser_is_sent_to);

async fn each_sign_in_gets_its_own_state_and_pkce_challenge(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let path = format!("/auth/{}/login", platform.slug());
    let first = leave_for_platform(&app.client, &app, &standin, &path).await;
    let second = leave_for_platform(&app.client, &app, &standin, &path).await;
    assert_ne!(first.state(), second.state());
    if platform.supports_pkce() {
        assert_ne!(first.param("code_challenge"), second.param("code_challenge"));
    }
    if platform == Platform::Oidc {
        assert_ne!(first.param("nonce"), second.param("nonce"));
    }
}
each_platform!(each_sign_in_gets_its_own_state_and_pkce_challenge);

async fn the_token_request_redeems_the_code_for_the_same_redirect_uri(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let path = format!("/auth/{}/login", platform.slug());
    let request = leave_for_platform(&app.client, &app, &standin, &path).await;
    let code = standin.approve(&request, &Person::ada(platform));
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let token_request = only_token_request(&standin);
    assert_eq!(token_request.platform, platform);
    assert_eq!(token_request.field("grant_type"), Some("authorization_code"));
    assert_eq!(token_request.field("code"), Some(code.as_str()));
    assert_eq!(token_request.field("redirect_uri"), request.param("redirect_uri"));
}
each_platform!(the_token_request_redeems_the_code_for_the_same_redirect_uri);

async fn pkce_s256_is_sent_and_its_verifier_proven(app: TestApp, standin: StandIn, platform: Platform) {
    let path = format!("/auth/{}/login", platform.slug());
    let request = leave_for_platform(&app.client, &app, &standin, &path).await;
    assert_eq!(request.param("code_challenge_method"), Some("S256"));
    let challenge = request.param("code_challenge").expect("a PKCE challenge").to_string();
    assert_eq!(challenge.len(), 43, "base64url of a SHA-256");

    let code = standin.approve(&request, &Person::ada(platform));
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let verifier = only_token_request(&standin).field("code_verifier").expect("a verifier").to_string();
    assert!((43..=128).contains(&verifier.len()), "RFC 7636 verifier length: {verifier}");
    assert_eq!(s256(&verifier), challenge);
    assert!(!request.url.as_str().contains(&verifier), "the verifier never travels through the browser");
}
each_platform!(pkce_s256_is_sent_and_its_verifier_proven, only = [github, gitlab, codeberg, oidc]);

async fn bitbucket_gets_no_pkce(app: TestApp, standin: StandIn, platform: Platform) {
    let request = leave_for_platform(&app.client, &app, &standin, "/auth/bitbucket/login").await;
    assert_eq!(request.param("code_challenge"), None);
    assert_eq!(request.param("code_challenge_method"), None);
    let code = standin.approve(&request, &Person::ada(platform));
    come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(only_token_request(&standin).field("code_verifier"), None);
}
each_platform!(bitbucket_gets_no_pkce, only = [bitbucket]);

async fn bitbucket_gets_the_client_credentials_as_http_basic(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    signed_in_with(&app, &standin, platform, &Person::ada(platform)).await;
    let token_request = only_token_request(&standin);
    let expected = (standin.client_id(platform), standin.client_secret(platform));
    assert_eq!(token_request.basic_auth, Some(expected));
    assert_eq!(token_request.field("client_secret"), None);
}
each_platform!(bitbucket_gets_the_client_credentials_as_http_basic, only = [bitbucket]);

async fn the_client_secret_goes_in_the_token_request_body(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    signed_in_with(&app, &standin, platform, &Person::ada(platform)).await;
    let token_request = only_token_request(&standin);
    assert_eq!(token_request.basic_auth, None);
    assert_eq!(token_request.field("client_id"), Some(standin.client_id(platform).as_str()));
    assert_eq!(token_request.field("client_secret"), Some(standin.client_secret(platform).as_str()));
}
each_platform!(the_client_secret_goes_in_the_token_request_body, only = [github, gitlab, codeberg]);

async fn the_profile_is_read_with_the_access_token_as_a_bearer_token(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    signed_in_with(&app, &standin, platform, &Person::ada(platform)).await;
    let tokens = standin.access_tokens();
    assert_eq!(tokens.len(), 1);
    let requests = standin.api_requests();
    assert!(!requests.is_empty());
    for request in requests {
        assert_eq!(request.authorization, Some(format!("Bearer {}", tokens[0])), "{}", request.path);
    }
}
each_platform!(
    the_profile_is_read_with_the_access_token_as_a_bearer_token,
    only = [github, gitlab, bitbucket, codeberg]
);

async fn the_oidc_provider_gets_the_client_credentials_as_http_basic_by_default(
    app: TestApp,
    standin: StandIn,
) {
    signed_in_with(&app, &standin, Platform::Oidc, &Person::ada(Platform::Oidc)).await;
    let token_request = only_token_request(&standin);
    let expected = (standin.client_id(Platform::Oidc), standin.client_secret(Platform::Oidc));
    assert_eq!(token_request.basic_auth, Some(expected));
    assert_eq!(token_request.field("client_secret"), None);
}
platform_tests!(the_oidc_provider_gets_the_client_credentials_as_http_basic_by_default);

async fn an_oidc_provider_that_only_takes_the_secret_in_the_body_gets_it_there(
    app: TestApp,
    standin: StandIn,
) {
    standin.accept_oidc_client_auth(&["client_secret_post"]);
    signed_in_with(&app, &standin, Platform::Oidc, &Person::ada(Platform::Oidc)).await;
    let token_request = only_token_request(&standin);
    assert_eq!(token_request.basic_auth, None);
    assert_eq!(token_request.field("client_id"), Some(standin.client_id(Platform::Oidc).as_str()));
    let secret = standin.client_secret(Platform::Oidc);
    assert_eq!(token_request.field("client_secret"), Some(secret.as_str()));
}
platform_tests!(an_oidc_provider_that_only_takes_the_secret_in_the_body_gets_it_there);
