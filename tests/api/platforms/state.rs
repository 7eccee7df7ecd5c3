//! The `state` that ties a callback to the browser session that started it:
//! missing, unknown, replayed, foreign, expired or for another platform, the
//! callback is refused with a friendly page and nothing is signed in.

use reqwest::StatusCode;

use crate::platforms::{
    all_users, come_back, come_back_approved, is_signed_in, leave_for_platform, refusal_title,
    try_again_href, with_fixed_clock,
};
use crate::standins::{Person, Platform, StandIn};
use crate::support::{TestApp, location};
use crate::{each_platform, platform_tests};

const NO_LONGER_VALID: &str = "This sign-in link is no longer valid";

/// A refused callback: 400, the friendly page, nobody signed in, no user made,
/// and the code was never redeemed.
async fn assert_refused(app: &TestApp, standin: &StandIn, response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some(NO_LONGER_VALID), "{html}");
    assert!(!is_signed_in(app).await);
    assert!(all_users(app).await.is_empty());
    assert!(standin.token_requests().is_empty(), "the code must not be redeemed");
    html
}

async fn start_github(app: &TestApp, standin: &StandIn) -> crate::standins::AuthorizeRequest {
    leave_for_platform(&app.client, app, standin, "/auth/github/login").await
}

async fn a_callback_without_a_state_is_refused(app: TestApp, standin: StandIn) {
    let request = start_github(&app, &standin).await;
    let code = standin.approve(&request, &Person::ada(Platform::GitHub));
    let response = come_back(&app.client, &app, Platform::GitHub, &[("code", &code)]).await;
    let html = assert_refused(&app, &standin, response).await;
    assert_eq!(try_again_href(&html).as_deref(), Some("/auth/github/login?return_to=%2F"));
}
platform_tests!(a_callback_without_a_state_is_refused);

async fn a_callback_with_an_unknown_state_is_refused_and_the_real_one_still_works(
    app: TestApp,
    standin: StandIn,
) {
    let request = start_github(&app, &standin).await;
    let code = standin.approve(&request, &Person::ada(Platform::GitHub));
    let made_up = "dGhpcyBpcyBub3QgYSBzdGF0ZSB0aGUgYXBwIG1hZGUgZXZlcg";
    let query = [("code", code.as_str()), ("state", made_up)];
    let response = come_back(&app.client, &app, Platform::GitHub, &query).await;
    assert_refused(&app, &standin, response).await;

    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
}
platform_tests!(a_callback_with_an_unknown_state_is_refused_and_the_real_one_still_works);

async fn a_foreign_callback_does_not_spoil_the_sign_in_of_the_browser_that_started_it(
    app: TestApp,
    standin: StandIn,
) {
    let request = start_github(&app, &standin).await;
    let code = standin.approve(&request, &Person::ada(Platform::GitHub));
    let (other_browser, _jar) = app.new_visitor();
    let response = come_back_approved(&other_browser, &app, &request, &code).await;
    assert_refused(&app, &standin, response).await;
    let other_is_signed_in =
        other_browser.get(app.url("/settings/profile")).send().await.unwrap().status() == StatusCode::OK;
    assert!(!other_is_signed_in);

    // The browser that started it can still finish.
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
platform_tests!(a_foreign_callback_does_not_spoil_the_sign_in_of_the_browser_that_started_it);

async fn a_state_started_for_another_platform_is_refused(app: TestApp, standin: StandIn) {
    let request = start_github(&app, &standin).await;
    let code = standin.approve(&request, &Person::ada(Platform::GitHub));
    let query = [("code", code.as_str()), ("state", request.state())];
    let response = come_back(&app.client, &app, Platform::GitLab, &query).await;
    assert_refused(&app, &standin, response).await;
    // It was spent there.
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_refused(&app, &standin, response).await;
}
platform_tests!(a_state_started_for_another_platform_is_refused);

async fn a_state_older_than_ten_minutes_is_refused(app: TestApp, standin: StandIn) {
    let request = start_github(&app, &standin).await;
    let code = standin.approve(&request, &Person::ada(Platform::GitHub));
    app.advance_clock(chrono::Duration::minutes(10));
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_refused(&app, &standin, response).await;
}
platform_tests!(a_state_older_than_ten_minutes_is_refused, using = with_fixed_clock);

async fn a_state_just_under_ten_minutes_old_is_accepted(app: TestApp, standin: StandIn) {
    let request = start_github(&app, &standin).await;
    let code = standin.approve(&request, &Person::ada(Platform::GitHub));
    app.advance_clock(chrono::Duration::minutes(10) - chrono::Duration::seconds(1));
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
}
platform_tests!(a_state_just_under_ten_minutes_old_is_accepted, using = with_fixed_clock);

async fn a_replayed_callback_is_refused(app: TestApp, standin: StandIn, platform: Platform) {
    let path = format!("/auth/{}/login", platform.slug());
    let request = leave_for_platform(&app.client, &app, &standin, &path).await;
    let code = standin.approve(&request, &Person::ada(platform));
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");

    let replay = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let html = replay.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some(NO_LONGER_VALID));
    assert_eq!(standin.token_requests().len(), 1, "the code was redeemed once only");
    assert_eq!(all_users(&app).await.len(), 1);
}
each_platform!(a_replayed_callback_is_refused);

async fn a_callback_in_a_browser_that_did_not_start_it_is_refused(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let path = format!("/auth/{}/login", platform.slug());
    let request = leave_for_platform(&app.client, &app, &standin, &path).await;
    let code = standin.approve(&request, &Person::ada(platform));
    let (other_browser, _jar) = app.new_visitor();
    let response = come_back_approved(&other_browser, &app, &request, &code).await;
    assert_refused(&app, &standin, response).await;
}
each_platform!(a_callback_in_a_browser_that_did_not_start_it_is_refused);

async fn a_code_redeemed_with_another_sign_ins_verifier_is_refused(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    // Two sign-ins open in two tabs; the code of one comes back with the state of the other.
    let path = format!("/auth/{}/login", platform.slug());
    let first = leave_for_platform(&app.client, &app, &standin, &path).await;
    let second = leave_for_platform(&app.client, &app, &standin, &path).await;
    let code = standin.approve(&first, &Person::ada(platform));
    let query = [("code", code.as_str()), ("state", second.state())];
    let response = come_back(&app.client, &app, platform, &query).await;

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some("Sign-in could not be completed"));
    let sent = standin.token_requests()[0].field("code_verifier").map(crate::standins::s256);
    assert_eq!(sent.as_deref(), second.param("code_challenge"), "the second tab's verifier was sent");
    assert!(standin.access_tokens().is_empty(), "the platform refused the verifier");
    assert!(!is_signed_in(&app).await);
    assert!(all_users(&app).await.is_empty());
}
each_platform!(
    a_code_redeemed_with_another_sign_ins_verifier_is_refused,
    only = [github, gitlab, codeberg, oidc]
);

async fn only_the_four_newest_sign_ins_of_a_browser_can_finish(app: TestApp, standin: StandIn) {
    let mut requests = Vec::new();
    for _ in 0..5 {
        requests.push(start_github(&app, &standin).await);
    }
    let oldest_code = standin.approve(&requests[0], &Person::ada(Platform::GitHub));
    let response = come_back_approved(&app.client, &app, &requests[0], &oldest_code).await;
    assert_refused(&app, &standin, response).await;

    let code = standin.approve(&requests[1], &Person::ada(Platform::GitHub));
    let response = come_back_approved(&app.client, &app, &requests[1], &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
platform_tests!(only_the_four_newest_sign_ins_of_a_browser_can_finish);
