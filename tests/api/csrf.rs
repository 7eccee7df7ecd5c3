use reqwest::StatusCode;

use crate::both_databases;
use crate::support::{TestApp, text_of};

async fn display_name(app: &TestApp) -> String {
    text_of(&app.get_html("/").await, "[data-testid=user-name]").unwrap_or_default()
}

async fn a_post_without_a_token_is_refused_and_changes_nothing(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response = app.post_form("/settings/profile", &[("display_name", "Mallory")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Access denied"));
    assert!(html.contains("nothing was changed"));
    assert_eq!(display_name(&app).await, "Ada");
}
both_databases!(a_post_without_a_token_is_refused_and_changes_nothing);

async fn a_post_with_a_wrong_token_is_refused_and_changes_nothing(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response =
        app.post_form("/settings/profile", &[("display_name", "Mallory"), ("csrf_token", "forged")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(display_name(&app).await, "Ada");
}
both_databases!(a_post_with_a_wrong_token_is_refused_and_changes_nothing);

async fn a_token_from_another_session_is_refused(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let (other, _jar) = app.new_visitor();
    let html = other.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let foreign_token = crate::support::csrf_token_in(&html).unwrap();
    let response = app
        .post_form("/settings/profile", &[("display_name", "Mallory"), ("csrf_token", &foreign_token)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(display_name(&app).await, "Ada");
}
both_databases!(a_token_from_another_session_is_refused);

async fn a_post_from_a_foreign_origin_is_refused_even_with_the_right_token(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let token = app.csrf_token().await;
    let response = app
        .client
        .post(app.url("/settings/profile"))
        .header("Origin", "https://evil.example")
        .form(&[("display_name", "Mallory"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(display_name(&app).await, "Ada");
}
both_databases!(a_post_from_a_foreign_origin_is_refused_even_with_the_right_token);

async fn a_post_with_a_foreign_referer_and_no_origin_is_refused(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let token = app.csrf_token().await;
    let response = app
        .client
        .post(app.url("/settings/profile"))
        .header("Referer", "https://evil.example/page")
        .form(&[("display_name", "Mallory"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(display_name(&app).await, "Ada");
}
both_databases!(a_post_with_a_foreign_referer_and_no_origin_is_refused);

async fn the_right_token_from_this_origin_is_accepted(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response = app.post_form_with_token("/settings/profile", &[("display_name", "Grace")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(display_name(&app).await, "Grace");
}
both_databases!(the_right_token_from_this_origin_is_accepted);

async fn sign_in_itself_needs_a_token(app: TestApp) {
    let _ = app.csrf_token().await;
    let response = app.post_form("/auth/dev/login", &[("name", "Mallory")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM users").await, 0);
}
both_databases!(sign_in_itself_needs_a_token);

async fn sign_out_needs_a_token(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response = app.post_form("/auth/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/settings/profile").await.status(), StatusCode::OK);
}
both_databases!(sign_out_needs_a_token);

async fn an_oversized_form_is_refused_without_a_500(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let token = app.csrf_token().await;
    let huge = "x".repeat(200 * 1024);
    let response =
        app.post_form("/settings/profile", &[("display_name", huge.as_str()), ("csrf_token", &token)]).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(display_name(&app).await, "Ada");
}
both_databases!(an_oversized_form_is_refused_without_a_500);
