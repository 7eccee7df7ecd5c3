use reqwest::StatusCode;

use crate::both_databases;
use crate::support::TestApp;
use crate::support::text_of;

async fn an_unknown_page_is_a_404_inside_the_layout(app: TestApp) {
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Page not found"));
    assert_eq!(text_of(&html, ".brand").as_deref(), Some("MonkeyCI"));
    assert!(html.contains(r#"href="/login""#), "the header offers sign-in");
}
both_databases!(an_unknown_page_is_a_404_inside_the_layout);

async fn a_404_keeps_the_signed_in_menu(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let html = app.get_html("/no/such/page").await;
    assert_eq!(text_of(&html, "[data-testid=user-name]").as_deref(), Some("Ada"));
    assert!(html.contains(r#"action="/auth/logout""#));
}
both_databases!(a_404_keeps_the_signed_in_menu);

async fn a_get_to_a_post_only_address_is_a_404_page_and_changes_nothing(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let response = app.get("/auth/logout").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Page not found"));
    let home = app.get_html("/").await;
    assert_eq!(text_of(&home, "[data-testid=user-name]").as_deref(), Some("Ada"), "still signed in");
}
both_databases!(a_get_to_a_post_only_address_is_a_404_page_and_changes_nothing);

async fn a_server_error_shows_a_request_id_and_no_error_chain(app: TestApp) {
    let app = app.signed_in("Ada").await;
    // Break the database under the running app.
    app.execute_sql("DROP TABLE identities").await;
    let response = app.get("/settings/sign-in-methods").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Something went wrong"));
    assert_eq!(text_of(&html, ".request-id").as_deref(), Some(request_id.as_str()));
    assert!(!html.to_lowercase().contains("identities"), "no database detail on the page");
    assert!(!html.contains("diesel"));
}
both_databases!(a_server_error_shows_a_request_id_and_no_error_chain);

async fn a_malformed_form_is_a_400_page_not_a_500(app: TestApp) {
    let app = app.signed_in("Ada").await;
    let token = app.csrf_token().await;
    let response = app
        .client
        .post(app.url("/settings/profile"))
        .header("Origin", &app.address)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&display_name=a&display_name=b"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "h1").as_deref(), Some("The request could not be handled"));
    assert_eq!(
        text_of(&html, ".error-page .lead").as_deref(),
        Some("The request could not be read. Go back and try again.")
    );
    let profile = app.get_html("/settings/profile").await;
    assert_eq!(text_of(&profile, "[data-testid=user-name]").as_deref(), Some("Ada"), "the name is unchanged");
}
both_databases!(a_malformed_form_is_a_400_page_not_a_500);
