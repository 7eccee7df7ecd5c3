use reqwest::StatusCode;

use crate::both_databases;
use crate::support::TestApp;
use crate::support::{location, text_of};

async fn development_sign_in_shows_the_name_on_the_home_page(app: TestApp) {
    let response = app.sign_in("Ada Lovelace").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");

    let html = app.get_html("/").await;
    assert_eq!(text_of(&html, "[data-testid=user-name]").as_deref(), Some("Ada Lovelace"));
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Welcome, Ada Lovelace"));
}
both_databases!(development_sign_in_shows_the_name_on_the_home_page);

async fn the_same_name_signs_in_to_the_same_user(app: TestApp) {
    let app = app.signed_in("ada").await;
    app.sign_out().await;
    let app = app.signed_in("  Ada ").await;
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM users").await, 1);
    app.sign_out().await;
    let _ = app.signed_in("Grace").await;
}
both_databases!(the_same_name_signs_in_to_the_same_user);

async fn an_empty_name_is_refused_next_to_the_field(app: TestApp) {
    let response = app.sign_in("   ").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "#name-error").as_deref(), Some("Enter a name."));
    assert!(html.contains(r#"aria-invalid="true""#));
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM users").await, 0);
}
both_databases!(an_empty_name_is_refused_next_to_the_field);

async fn a_long_name_is_refused_and_kept_in_the_field(app: TestApp) {
    let long = "x".repeat(65);
    let response = app.sign_in(&long).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "#name-error").as_deref(), Some("Use at most 64 characters."));
    assert!(html.contains(&format!(r#"value="{long}""#)));
}
both_databases!(a_long_name_is_refused_and_kept_in_the_field);

async fn a_name_with_markup_is_shown_escaped(app: TestApp) {
    let app = app.signed_in("<script>alert(1)</script>").await;
    let html = app.get_html("/").await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"));
}
both_databases!(a_name_with_markup_is_shown_escaped);

async fn a_signed_out_visitor_is_sent_to_sign_in_and_back(app: TestApp) {
    let response = app.get("/settings/profile").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?return_to=%2Fsettings%2Fprofile");

    let html = app.get_html("/login?return_to=%2Fsettings%2Fprofile").await;
    assert!(html.contains(r#"name="return_to" value="/settings/profile""#));
    let response = app
        .post_form_with_token("/auth/dev/login", &[("name", "Ada"), ("return_to", "/settings/profile")])
        .await;
    assert_eq!(location(&response), "/settings/profile");
    assert_eq!(app.get("/settings/profile").await.status(), StatusCode::OK);
}
both_databases!(a_signed_out_visitor_is_sent_to_sign_in_and_back);

async fn a_hostile_return_to_sends_the_person_home(app: TestApp) {
    for hostile in ["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"] {
        let response =
            app.post_form_with_token("/auth/dev/login", &[("name", "Ada"), ("return_to", hostile)]).await;
        assert_eq!(location(&response), "/", "return_to {hostile:?}");
        app.sign_out().await;
        let html = app.get_html(&format!("/login?return_to={}", urlencode(hostile))).await;
        assert!(html.contains(r#"name="return_to" value="/""#), "login page keeps {hostile:?} out");
    }
}
both_databases!(a_hostile_return_to_sends_the_person_home);

async fn a_signed_in_visitor_of_the_sign_in_page_goes_home(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response = app.get("/login").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
}
both_databases!(a_signed_in_visitor_of_the_sign_in_page_goes_home);

async fn the_profile_name_can_be_changed(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response = app.post_form_with_token("/settings/profile", &[("display_name", "Countess Ada")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = app.get_html("/settings/profile").await;
    assert_eq!(text_of(&html, ".flash").as_deref(), Some("Your profile has been saved."));
    assert_eq!(text_of(&html, "[data-testid=user-name]").as_deref(), Some("Countess Ada"));
    // The message shows once.
    let html = app.get_html("/settings/profile").await;
    assert!(text_of(&html, ".flash").is_none());
}
both_databases!(the_profile_name_can_be_changed);

async fn an_invalid_profile_name_is_refused_next_to_the_field(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response = app.post_form_with_token("/settings/profile", &[("display_name", "")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "#display_name-error").as_deref(), Some("Enter a name."));
    let html = app.get_html("/").await;
    assert_eq!(text_of(&html, "[data-testid=user-name]").as_deref(), Some("Ada"));
}
both_databases!(an_invalid_profile_name_is_refused_next_to_the_field);

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
