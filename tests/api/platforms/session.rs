//! Signing in through a platform renews the session, so a cookie planted
//! before the sign-in (session fixation) is worth nothing afterwards.

use reqwest::StatusCode;

use crate::each_platform;
use crate::platforms::{come_back_approved, is_signed_in, leave_for_platform};
use crate::standins::Person;
use crate::standins::Platform;
use crate::standins::StandIn;
use crate::support::TestApp;

async fn signing_in_with_a_platform_renews_the_session_id(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let path = format!("/auth/{}/login", platform.slug());
    let request = leave_for_platform(&app.client, &app, &standin, &path).await;
    let before = app.session_cookie().expect("the sign-in started a session");
    let code = standin.approve(&request, &Person::ada(platform));
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let after = app.session_cookie().expect("a signed-in session");
    assert_ne!(before, after);
    assert!(is_signed_in(&app).await);
    let planted = app.client_with_cookie(&before);
    let response = planted.get(app.url("/settings/profile")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the old cookie is not signed in");
}
each_platform!(signing_in_with_a_platform_renews_the_session_id);
