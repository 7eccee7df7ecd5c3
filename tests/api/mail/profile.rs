//! *User settings > Profile*: where mail goes (or why it cannot), and the
//! switch that turns mail about API keys off and on again.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::support::{Browser, attrs, int, text};

const MAIL_ADDRESS: &str = "[data-mail-address]";
const MAIL_BOX: &str = "#mail[name=mail]";

async fn opted_out(app: &TestApp, user: i32) -> bool {
    int(app, format!("SELECT CASE WHEN mail_opt_out THEN 1 ELSE 0 END AS v FROM users WHERE id = {user}"))
        .await
        == Some(1)
}

async fn the_profile_says_where_mail_goes_or_why_it_cannot(app: TestApp) {
    let ada = Browser::signed_in(&app, "Ada").await;
    let html = ada.page("/settings/profile").await;
    let said = text(&html, MAIL_ADDRESS).unwrap();
    assert!(said.starts_with("None of your sign-in platforms gave a verified e-mail address"), "{said}");

    give_address(&app, ada.id, "ada@example.com", false).await;
    let said = text(&ada.page("/settings/profile").await, MAIL_ADDRESS).unwrap();
    assert!(said.contains("gave the address ada@example.com, but not as a verified one"), "{said}");

    give_address(&app, ada.id, "ada@example.com", true).await;
    let said = text(&ada.page("/settings/profile").await, MAIL_ADDRESS).unwrap();
    assert!(said.starts_with("Mail about your API keys goes to ada@example.com"), "{said}");
}
both_databases!(the_profile_says_where_mail_goes_or_why_it_cannot);

async fn a_person_turns_mail_off_and_on_again_on_the_profile_page(app: TestApp) {
    let ada = Browser::signed_in(&app, "Ada").await;
    let html = ada.page("/settings/profile").await;
    assert_eq!(attrs(&html, MAIL_BOX, "checked").len(), 1, "on by default");
    assert!(!opted_out(&app, ada.id).await);

    let html = ada.post_and_follow("/settings/profile/mail", &[], "/settings/profile").await;
    assert!(html.contains("You will no longer get e-mail about your API keys."));
    assert!(attrs(&html, MAIL_BOX, "checked").is_empty(), "off");
    assert!(opted_out(&app, ada.id).await);

    let html = ada.post_and_follow("/settings/profile/mail", &[("mail", "on")], "/settings/profile").await;
    assert!(html.contains("You will get e-mail about your API keys."));
    assert_eq!(attrs(&html, MAIL_BOX, "checked").len(), 1);
    assert!(!opted_out(&app, ada.id).await);
}
both_databases!(a_person_turns_mail_off_and_on_again_on_the_profile_page);

async fn the_mail_switch_needs_a_signed_in_person_and_the_csrf_token(app: TestApp) {
    let ada = Browser::signed_in(&app, "Ada").await;
    let forged = ada.post_raw("/settings/profile/mail", &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert!(!opted_out(&app, ada.id).await);
    let visitor = Browser::anonymous(&app).await;
    let response = visitor.post("/settings/profile/mail", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(crate::support::location(&response).starts_with("/login"), "sent to sign in");
}
both_databases!(the_mail_switch_needs_a_signed_in_person_and_the_csrf_token);
