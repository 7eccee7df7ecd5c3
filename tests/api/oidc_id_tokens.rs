//! OpenID Connect: the ID token decides who signs in, so each of its checks
//! (signature, issuer, audience, expiry, nonce, presence) must refuse on its own.

use reqwest::StatusCode;

use crate::platform_tests;
use crate::platforms::{
    all_users, come_back_approved, identity_of, is_signed_in, leave_for_platform, logged_for, refusal_title,
    request_id, signed_in_with,
};
use crate::standins::{Failure, Person, Platform, StandIn};
use crate::support::TestApp;

const OIDC: Platform = Platform::Oidc;

/// Refused with a 502 page, for the reason the log names.
async fn assert_id_token_refused(app: &TestApp, standin: &StandIn, failure: Failure, reason: &str) {
    let id = id_token_refused(app, standin, failure).await;
    let logged = logged_for(app, &[id]).remove(0);
    assert!(logged.contains(&format!("the ID token was refused: {reason}")), "{failure:?}: {logged}");
}

/// Refused with a 502 page; returns the callback's request id.
async fn id_token_refused(app: &TestApp, standin: &StandIn, failure: Failure) -> String {
    let request = leave_for_platform(&app.client, app, standin, "/auth/oidc/login").await;
    let code = standin.approve_failing(&request, &Person::ada(OIDC), failure);
    let response = come_back_approved(&app.client, app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{failure:?}");
    let id = request_id(&response);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some("Sign-in could not be completed"), "{failure:?}");
    assert_eq!(standin.token_requests().len(), 1, "the code was redeemed");
    assert!(!is_signed_in(app).await, "{failure:?} must not sign in");
    assert!(all_users(app).await.is_empty(), "{failure:?} must not create a user");
    id
}

async fn an_id_token_signed_with_an_unpublished_key_is_refused(app: TestApp, standin: StandIn) {
    let failure = Failure::IdTokenSignedWithAnotherKey;
    assert_id_token_refused(&app, &standin, failure, "Signature verification failed").await;
}
platform_tests!(an_id_token_signed_with_an_unpublished_key_is_refused);

async fn an_id_token_from_another_issuer_is_refused(app: TestApp, standin: StandIn) {
    assert_id_token_refused(&app, &standin, Failure::IdTokenFromAnotherIssuer, "Invalid issuer").await;
}
platform_tests!(an_id_token_from_another_issuer_is_refused);

async fn an_id_token_for_another_client_is_refused(app: TestApp, standin: StandIn) {
    assert_id_token_refused(&app, &standin, Failure::IdTokenForAnotherClient, "Invalid audiences").await;
}
platform_tests!(an_id_token_for_another_client_is_refused);

async fn an_expired_id_token_is_refused(app: TestApp, standin: StandIn) {
    assert_id_token_refused(&app, &standin, Failure::IdTokenExpired, "Expired").await;
}
platform_tests!(an_expired_id_token_is_refused);

async fn an_id_token_with_another_sign_ins_nonce_is_refused(app: TestApp, standin: StandIn) {
    assert_id_token_refused(&app, &standin, Failure::IdTokenWithAnotherNonce, "Invalid nonce").await;
}
platform_tests!(an_id_token_with_another_sign_ins_nonce_is_refused);

async fn a_token_response_without_an_id_token_is_refused(app: TestApp, standin: StandIn) {
    let reason = "the token response has no ID token";
    assert_id_token_refused(&app, &standin, Failure::NoIdToken, reason).await;
}
platform_tests!(a_token_response_without_an_id_token_is_refused);

async fn an_unsigned_id_token_is_refused(app: TestApp, standin: StandIn) {
    assert_id_token_refused(&app, &standin, Failure::IdTokenUnsigned, "").await;
}
platform_tests!(an_unsigned_id_token_is_refused);

async fn an_id_token_signed_with_the_client_secret_is_refused(app: TestApp, standin: StandIn) {
    assert_id_token_refused(&app, &standin, Failure::IdTokenSignedWithClientSecret, "").await;
}
platform_tests!(an_id_token_signed_with_the_client_secret_is_refused);

async fn an_id_token_bound_to_another_access_token_is_refused(app: TestApp, standin: StandIn) {
    let reason = "at_hash does not match the access token";
    assert_id_token_refused(&app, &standin, Failure::IdTokenWithAnotherAtHash, reason).await;
}
platform_tests!(an_id_token_bound_to_another_access_token_is_refused);

async fn after_a_refused_id_token_a_good_one_still_signs_in(app: TestApp, standin: StandIn) {
    id_token_refused(&app, &standin, Failure::IdTokenSignedWithAnotherKey).await;
    signed_in_with(&app, &standin, OIDC, &Person::ada(OIDC)).await;
    assert!(is_signed_in(&app).await);
}
platform_tests!(after_a_refused_id_token_a_good_one_still_signs_in);

async fn the_person_is_the_issuer_and_subject_and_the_login_the_preferred_username(
    app: TestApp,
    standin: StandIn,
) {
    let ada = Person::ada(OIDC);
    signed_in_with(&app, &standin, OIDC, &ada).await;
    let identity = identity_of(&app, &standin, OIDC, &ada).await.expect("stored");
    assert_eq!(identity.platform, "oidc");
    assert_eq!(identity.platform_user_id, format!("{}#{}", standin.issuer(), ada.id));
    assert_eq!(identity.login, "ada");
}
platform_tests!(the_person_is_the_issuer_and_subject_and_the_login_the_preferred_username);

async fn a_discovery_document_naming_another_issuer_stops_sign_in_at_the_start(
    app: TestApp,
    standin: StandIn,
) {
    standin.advertise_issuer("https://issuer.evil.example");
    let response = app.get("/auth/oidc/login").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some("Sign-in is unavailable"));
    assert!(html.contains("could not reach Example ID"), "{html}");
    assert!(standin.token_requests().is_empty());
}
platform_tests!(a_discovery_document_naming_another_issuer_stops_sign_in_at_the_start);
