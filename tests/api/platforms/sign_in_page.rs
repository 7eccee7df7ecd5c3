//! The sign-in page's platform buttons, where a sign-in returns to, and
//! platforms that are not configured.

use reqwest::StatusCode;

use crate::platform_tests;
use crate::platforms::{is_signed_in, only_github, sign_in_returning_to, signed_in_with};
use crate::standins::StandIn;
use crate::standins::{Person, Platform};
use crate::support::{TestApp, location};

/// (text, href) of every platform button on the sign-in page.
async fn buttons(app: &TestApp, path: &str) -> Vec<(String, String)> {
    let html = app.get_html(path).await;
    let doc = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("a.platform-button").unwrap();
    doc.select(&selector)
        .map(|a| {
            (a.text().collect::<String>().trim().to_string(), a.value().attr("href").unwrap().to_string())
        })
        .collect()
}

fn button(label: &str, href: &str) -> (String, String) {
    (format!("Sign in with {label}"), href.to_string())
}

async fn the_sign_in_page_offers_every_configured_platform_and_no_development_sign_in(
    app: TestApp,
    standin: StandIn,
) {
    assert_eq!(
        buttons(&app, "/login").await,
        [
            button("GitHub", "/auth/github/login"),
            button("GitLab", "/auth/gitlab/login"),
            button("Bitbucket", "/auth/bitbucket/login"),
            button("Codeberg", "/auth/codeberg/login"),
            button("Example ID", "/auth/oidc/login"),
        ]
    );
    let html = app.get_html("/login").await;
    assert!(!html.contains(r#"action="/auth/dev/login""#));
    // Even with a valid CSRF token (from a signed-in page), nobody gets in by name.
    signed_in_with(&app, &standin, Platform::GitHub, &Person::ada(Platform::GitHub)).await;
    let response = app.post_form_with_token("/auth/dev/login", &[("name", "Mallory")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(crate::platforms::all_users(&app).await.len(), 1);
}
platform_tests!(the_sign_in_page_offers_every_configured_platform_and_no_development_sign_in);

async fn the_buttons_carry_the_page_to_return_to(app: TestApp, _standin: StandIn) {
    let buttons = buttons(&app, "/login?return_to=%2Fsettings%2Fprofile").await;
    assert_eq!(buttons[0], button("GitHub", "/auth/github/login?return_to=%2Fsettings%2Fprofile"));
}
platform_tests!(the_buttons_carry_the_page_to_return_to);

async fn a_hostile_return_to_ends_the_sign_in_at_home(app: TestApp, standin: StandIn) {
    for hostile in ["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"] {
        let ada = Person::ada(Platform::GitHub);
        let response = sign_in_returning_to(&app, &standin, Platform::GitHub, &ada, hostile).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/", "return_to {hostile:?}");
        app.sign_out().await;
        let query = serde_urlencoded::to_string([("return_to", hostile)]).unwrap();
        let offered = buttons(&app, &format!("/login?{query}")).await;
        assert_eq!(offered[0], button("GitHub", "/auth/github/login"), "the button drops {hostile:?}");
    }
}
platform_tests!(a_hostile_return_to_ends_the_sign_in_at_home);

async fn a_signed_in_visitor_who_starts_a_sign_in_goes_straight_to_return_to(app: TestApp, standin: StandIn) {
    signed_in_with(&app, &standin, Platform::GitHub, &Person::ada(Platform::GitHub)).await;
    let response = app.get("/auth/gitlab/login?return_to=%2Fsettings%2Fprofile").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/settings/profile");
    assert_eq!(standin.token_requests().len(), 1, "no second trip to a platform");
}
platform_tests!(a_signed_in_visitor_who_starts_a_sign_in_goes_straight_to_return_to);

async fn an_unconfigured_platform_is_not_found(app: TestApp, standin: StandIn) {
    assert_eq!(buttons(&app, "/login").await, [button("GitHub", "/auth/github/login")]);
    for path in [
        "/auth/gitlab/login",
        "/auth/bitbucket/login?return_to=%2F",
        "/auth/codeberg/callback?code=x&state=y",
        "/auth/oidc/callback?error=access_denied",
        "/auth/nowhere/login",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    signed_in_with(&app, &standin, Platform::GitHub, &Person::ada(Platform::GitHub)).await;
    assert_eq!(app.get("/auth/gitlab/link").await.status(), StatusCode::NOT_FOUND);
    assert!(is_signed_in(&app).await);
}
platform_tests!(an_unconfigured_platform_is_not_found, using = only_github);
