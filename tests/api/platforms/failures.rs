//! When the platform says no or misbehaves: the person is cancelled out, the
//! token exchange or the profile read fails. Always a friendly page (400 or
//! 502, never a 500), never a half sign-in.

use reqwest::StatusCode;

use crate::platforms::{
    all_identities, all_users, come_back, come_back_approved, is_signed_in, leave_for_platform,
    refusal_title, try_again_href,
};
use crate::standins::{Failure, Person, Platform, StandIn};
use crate::support::TestApp;
use crate::{each_platform, platform_tests};

const NOT_COMPLETED: &str = "Sign-in could not be completed";

/// Starts a sign-in that should come back to /settings/profile.
async fn start(app: &TestApp, standin: &StandIn, platform: Platform) -> crate::standins::AuthorizeRequest {
    let path = format!("/auth/{}/login?return_to=%2Fsettings%2Fprofile", platform.slug());
    leave_for_platform(&app.client, app, standin, &path).await
}

/// Approves, fails the given way, and checks the 502 page and that nobody got in.
async fn assert_failure_is_a_bad_gateway(
    app: &TestApp,
    standin: &StandIn,
    platform: Platform,
    failure: Failure,
) {
    let request = start(app, standin, platform).await;
    let code = standin.approve_failing(&request, &Person::ada(platform), failure);
    let response = come_back_approved(&app.client, app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{failure:?}");
    assert_eq!(standin.token_requests().len(), 1, "{failure:?}: the code was redeemed once");
    let profile_asked = !standin.api_requests().is_empty();
    let fails_at_the_profile =
        matches!(failure, Failure::ProfileDown | Failure::ProfileRefusesToken | Failure::ProfileRedirects);
    assert_eq!(profile_asked, fails_at_the_profile, "{failure:?}: the profile is read only after a token");
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some(NOT_COMPLETED), "{html}");
    assert!(html.contains(&format!("could not complete signing in with {}", platform.label())), "{html}");
    let retry = format!("/auth/{}/login?return_to=%2Fsettings%2Fprofile", platform.slug());
    assert_eq!(try_again_href(&html), Some(retry));
    assert!(!is_signed_in(app).await);
    assert!(all_users(app).await.is_empty());
    assert!(all_identities(app).await.is_empty());
}

async fn assert_not_signed_in_and_nothing_stored(app: &TestApp, standin: &StandIn) {
    assert!(!is_signed_in(app).await);
    assert!(all_users(app).await.is_empty());
    assert!(standin.token_requests().is_empty(), "the code must not be redeemed");
}

async fn cancelling_at_the_platform_shows_sign_in_cancelled_with_a_try_again_link(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let request = start(&app, &standin, platform).await;
    let response = come_back(
        &app.client,
        &app,
        platform,
        &[
            ("error", "access_denied"),
            ("error_description", "The user denied the request"),
            ("state", request.state()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some("Sign-in cancelled"));
    assert!(html.contains(&format!("You cancelled signing in with {}", platform.label())), "{html}");
    let retry = format!("/auth/{}/login?return_to=%2Fsettings%2Fprofile", platform.slug());
    assert_eq!(try_again_href(&html), Some(retry));
    assert_not_signed_in_and_nothing_stored(&app, &standin).await;
}
each_platform!(cancelling_at_the_platform_shows_sign_in_cancelled_with_a_try_again_link);

async fn a_failing_token_endpoint_shows_a_friendly_bad_gateway_page(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    assert_failure_is_a_bad_gateway(&app, &standin, platform, Failure::TokenEndpointDown).await;
}
each_platform!(a_failing_token_endpoint_shows_a_friendly_bad_gateway_page);

async fn a_failing_profile_api_shows_a_friendly_bad_gateway_page(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    assert_failure_is_a_bad_gateway(&app, &standin, platform, Failure::ProfileDown).await;
}
each_platform!(
    a_failing_profile_api_shows_a_friendly_bad_gateway_page,
    only = [github, gitlab, bitbucket, codeberg]
);

async fn a_profile_api_that_refuses_the_token_shows_a_friendly_bad_gateway_page(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    assert_failure_is_a_bad_gateway(&app, &standin, platform, Failure::ProfileRefusesToken).await;
}
each_platform!(
    a_profile_api_that_refuses_the_token_shows_a_friendly_bad_gateway_page,
    only = [github, gitlab, bitbucket, codeberg]
);

async fn a_redirect_from_the_profile_api_is_not_followed(app: TestApp, standin: StandIn, platform: Platform) {
    assert_failure_is_a_bad_gateway(&app, &standin, platform, Failure::ProfileRedirects).await;
    assert_eq!(standin.trap_hits(), 0);
}
each_platform!(a_redirect_from_the_profile_api_is_not_followed, only = [github, gitlab, bitbucket, codeberg]);

async fn a_redirect_from_the_token_endpoint_is_not_followed(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    assert_failure_is_a_bad_gateway(&app, &standin, platform, Failure::TokenEndpointRedirects).await;
    assert_eq!(standin.trap_hits(), 0);
}
each_platform!(a_redirect_from_the_token_endpoint_is_not_followed, only = [github, bitbucket, oidc]);

async fn githubs_error_inside_a_200_token_response_is_a_failed_exchange(app: TestApp, standin: StandIn) {
    let failure = Failure::ErrorInOkTokenResponse;
    assert_failure_is_a_bad_gateway(&app, &standin, Platform::GitHub, failure).await;
    assert_eq!(standin.token_requests().len(), 1);
    assert!(standin.access_tokens().is_empty());
}
platform_tests!(githubs_error_inside_a_200_token_response_is_a_failed_exchange);

async fn another_platform_error_is_named_on_the_page(app: TestApp, standin: StandIn) {
    let request = start(&app, &standin, Platform::GitLab).await;
    let query = [("error", "temporarily_unavailable"), ("state", request.state())];
    let response = come_back(&app.client, &app, Platform::GitLab, &query).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some(NOT_COMPLETED));
    assert!(html.contains("temporarily_unavailable"), "{html}");
    assert_not_signed_in_and_nothing_stored(&app, &standin).await;
}
platform_tests!(another_platform_error_is_named_on_the_page);

async fn an_error_that_is_not_a_plain_code_is_not_echoed(app: TestApp, standin: StandIn) {
    let request = start(&app, &standin, Platform::GitHub).await;
    let hostile = "<script>alert('pwned')</script>";
    let query = [("error", hostile), ("state", request.state())];
    let response = come_back(&app.client, &app, Platform::GitHub, &query).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(!html.contains("pwned"), "{html}");
    assert!(html.contains("an unknown error"), "{html}");
}
platform_tests!(an_error_that_is_not_a_plain_code_is_not_echoed);

async fn a_callback_without_a_code_is_refused(app: TestApp, standin: StandIn) {
    let request = start(&app, &standin, Platform::Codeberg).await;
    let response = come_back(&app.client, &app, Platform::Codeberg, &[("state", request.state())]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some(NOT_COMPLETED));
    assert!(html.contains("Codeberg did not send a sign-in code"), "{html}");
    assert_not_signed_in_and_nothing_stored(&app, &standin).await;
}
platform_tests!(a_callback_without_a_code_is_refused);

async fn a_failed_sign_in_can_be_tried_again(app: TestApp, standin: StandIn) {
    assert_failure_is_a_bad_gateway(&app, &standin, Platform::GitLab, Failure::TokenEndpointDown).await;
    let request = start(&app, &standin, Platform::GitLab).await;
    let code = standin.approve(&request, &Person::ada(Platform::GitLab));
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::support::location(&response), "/settings/profile");
}
platform_tests!(a_failed_sign_in_can_be_tried_again);
