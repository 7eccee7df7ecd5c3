//! Linking more platform accounts to a user, and unlinking them: an identity
//! belongs to one user only, one account per platform, never the last one gone.

use reqwest::StatusCode;

use crate::platform_tests;
use crate::platforms::{
    all_identities, all_users, come_back_approved, flash_on, identity_of, is_signed_in, leave_for_platform,
    link, refusal_title, signed_in_with,
};
use crate::standins::{Person, Platform, StandIn};
use crate::support::{TestApp, location, text_of};

const GITHUB: Platform = Platform::GitHub;
const GITLAB: Platform = Platform::GitLab;
const METHODS: &str = "/settings/sign-in-methods";

/// The link has gone through and lands on the sign-in methods with this message.
async fn assert_linking_says(app: &TestApp, response: reqwest::Response, message: &str) {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), METHODS);
    assert_eq!(flash_on(app, METHODS).await.as_deref(), Some(message));
}

/// The platforms and logins in the identities table of the sign-in methods page.
async fn listed_identities(app: &TestApp) -> Vec<(String, String)> {
    let html = app.get_html(METHODS).await;
    let doc = scraper::Html::parse_document(&html);
    let rows = scraper::Selector::parse("[data-testid=identities] tbody tr").unwrap();
    let cells = scraper::Selector::parse("td").unwrap();
    doc.select(&rows)
        .map(|row| {
            let texts: Vec<String> =
                row.select(&cells).map(|c| c.text().collect::<String>().trim().into()).collect();
            (texts[0].clone(), texts[1].clone())
        })
        .collect()
}

async fn link_buttons(app: &TestApp) -> Vec<String> {
    let html = app.get_html(METHODS).await;
    let doc = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("a[href$='/link']").unwrap();
    doc.select(&selector).map(|a| a.text().collect::<String>().trim().to_string()).collect()
}

/// Every identity as (platform, platform user id, user id, login), to compare before and after.
async fn snapshot(app: &TestApp) -> Vec<(String, String, i32, String)> {
    let all = all_identities(app).await;
    all.into_iter().map(|i| (i.platform, i.platform_user_id, i.user_id.get(), i.login)).collect()
}

/// Grace has a GitLab account here; then Ada signs in with GitHub.
async fn grace_on_gitlab_then_ada_on_github(app: &TestApp, standin: &StandIn) {
    signed_in_with(app, standin, GITLAB, &Person::grace(GITLAB)).await;
    app.sign_out().await;
    signed_in_with(app, standin, GITHUB, &Person::ada(GITHUB)).await;
}

async fn unlink(app: &TestApp, identity_id: i32) -> reqwest::Response {
    app.post_form_with_token(&format!("{METHODS}/{identity_id}/unlink"), &[]).await
}

async fn a_signed_in_user_can_link_a_second_platform_and_sign_in_with_it(app: TestApp, standin: StandIn) {
    let ada_github = Person::ada(GITHUB);
    let ada_gitlab = Person { login: "ada.gl".into(), ..Person::ada(GITLAB) };
    signed_in_with(&app, &standin, GITHUB, &ada_github).await;
    let all_others = ["Link GitLab", "Link Bitbucket", "Link Codeberg", "Link Example ID"];
    assert_eq!(link_buttons(&app).await, all_others);

    let response = link(&app, &standin, GITLAB, &ada_gitlab).await;
    assert_linking_says(&app, response, "Your GitLab account is now linked.").await;
    assert_eq!(
        listed_identities(&app).await,
        [("GitHub".to_string(), "ada".to_string()), ("GitLab".to_string(), "ada.gl".to_string())]
    );
    assert_eq!(link_buttons(&app).await, ["Link Bitbucket", "Link Codeberg", "Link Example ID"]);
    let on_github = identity_of(&app, &standin, GITHUB, &ada_github).await.unwrap();
    let on_gitlab = identity_of(&app, &standin, GITLAB, &ada_gitlab).await.unwrap();
    assert_eq!(on_gitlab.user_id, on_github.user_id);

    app.sign_out().await;
    signed_in_with(&app, &standin, GITLAB, &ada_gitlab).await;
    assert_eq!(all_users(&app).await.len(), 1, "GitLab signs in to the same user");
}
platform_tests!(a_signed_in_user_can_link_a_second_platform_and_sign_in_with_it);

async fn linking_an_account_that_belongs_to_another_user_changes_nothing(app: TestApp, standin: StandIn) {
    grace_on_gitlab_then_ada_on_github(&app, &standin).await;
    let before = snapshot(&app).await;

    let renamed_grace = Person { login: "grace-renamed".into(), ..Person::grace(GITLAB) };
    let response = link(&app, &standin, GITLAB, &renamed_grace).await;
    assert_linking_says(
        &app,
        response,
        "This GitLab account is linked to another MonkeyCI user, so it was not linked here. \
             Sign in with it and unlink it there first.",
    )
    .await;
    assert_eq!(snapshot(&app).await, before, "both users keep their identities as they were");
    assert_eq!(listed_identities(&app).await, [("GitHub".to_string(), "ada".to_string())]);
}
platform_tests!(linking_an_account_that_belongs_to_another_user_changes_nothing);

async fn a_second_account_on_an_already_linked_platform_is_refused(app: TestApp, standin: StandIn) {
    signed_in_with(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    let before = snapshot(&app).await;
    let response = link(&app, &standin, GITHUB, &Person::grace(GITHUB)).await;
    assert_linking_says(
        &app,
        response,
        "You already have another GitHub account linked. Unlink it first to link this one.",
    )
    .await;
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(all_users(&app).await.len(), 1);
}
platform_tests!(a_second_account_on_an_already_linked_platform_is_refused);

async fn linking_the_account_already_linked_says_so(app: TestApp, standin: StandIn) {
    signed_in_with(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    let response = link(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    assert_linking_says(&app, response, "This GitHub account was already linked.").await;
    assert_eq!(all_identities(&app).await.len(), 1);
}
platform_tests!(linking_the_account_already_linked_says_so);

async fn an_identity_can_be_unlinked_while_another_remains(app: TestApp, standin: StandIn) {
    signed_in_with(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    link(&app, &standin, GITLAB, &Person::ada(GITLAB)).await;
    let gitlab = identity_of(&app, &standin, GITLAB, &Person::ada(GITLAB)).await.unwrap();

    let response = unlink(&app, gitlab.id.get()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), METHODS);
    assert_eq!(flash_on(&app, METHODS).await.as_deref(), Some("The sign-in method was removed."));
    assert_eq!(listed_identities(&app).await, [("GitHub".to_string(), "ada".to_string())]);

    // The GitLab account is no longer a way into this user.
    app.sign_out().await;
    signed_in_with(&app, &standin, GITLAB, &Person::ada(GITLAB)).await;
    assert_eq!(all_users(&app).await.len(), 2);
}
platform_tests!(an_identity_can_be_unlinked_while_another_remains);

async fn the_last_identity_cannot_be_unlinked(app: TestApp, standin: StandIn) {
    signed_in_with(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    let html = app.get_html(METHODS).await;
    assert!(!html.contains("/unlink"), "no Unlink button for the only identity");
    assert!(text_of(&html, ".field-hint").unwrap().contains("cannot be unlinked"));

    let only = identity_of(&app, &standin, GITHUB, &Person::ada(GITHUB)).await.unwrap();
    let response = unlink(&app, only.id.get()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        flash_on(&app, METHODS).await.as_deref(),
        Some("This is your only way to sign in, so it cannot be removed. Link another platform first.")
    );
    assert_eq!(all_identities(&app).await.len(), 1);
    assert!(is_signed_in(&app).await);
}
platform_tests!(the_last_identity_cannot_be_unlinked);

async fn unlinking_another_users_identity_is_not_found_and_deletes_nothing(app: TestApp, standin: StandIn) {
    // Grace has two identities, so hers could be unlinked by her.
    signed_in_with(&app, &standin, GITHUB, &Person::grace(GITHUB)).await;
    link(&app, &standin, GITLAB, &Person::grace(GITLAB)).await;
    app.sign_out().await;
    signed_in_with(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    link(&app, &standin, Platform::Codeberg, &Person::ada(Platform::Codeberg)).await;
    let before = snapshot(&app).await;

    let graces = identity_of(&app, &standin, GITLAB, &Person::grace(GITLAB)).await.unwrap();
    let response = unlink(&app, graces.id.get()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app).await, before);
    let response = unlink(&app, 999_999).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app).await, before);
}
platform_tests!(unlinking_another_users_identity_is_not_found_and_deletes_nothing);

async fn cancelling_a_link_at_the_platform_leads_back_to_the_sign_in_methods(app: TestApp, standin: StandIn) {
    signed_in_with(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    let request = leave_for_platform(&app.client, &app, &standin, "/auth/gitlab/link").await;
    let query = [("error", "access_denied"), ("state", request.state())];
    let response = crate::platforms::come_back(&app.client, &app, GITLAB, &query).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some("Sign-in cancelled"));
    assert_eq!(crate::platforms::try_again_href(&html).as_deref(), Some(METHODS));
    assert_eq!(all_identities(&app).await.len(), 1);
    assert!(is_signed_in(&app).await, "still signed in as before");
}
platform_tests!(cancelling_a_link_at_the_platform_leads_back_to_the_sign_in_methods);

async fn linking_needs_a_signed_in_user(app: TestApp, _standin: StandIn) {
    let response = app.get("/auth/gitlab/link").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?return_to=%2Fauth%2Fgitlab%2Flink");
}
platform_tests!(linking_needs_a_signed_in_user);

async fn a_link_finished_after_signing_out_is_refused_and_signs_nobody_in(app: TestApp, standin: StandIn) {
    signed_in_with(&app, &standin, GITHUB, &Person::ada(GITHUB)).await;
    let request = leave_for_platform(&app.client, &app, &standin, "/auth/gitlab/link").await;
    let code = standin.approve(&request, &Person::ada(GITLAB));
    app.sign_out().await;

    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(refusal_title(&response.text().await.unwrap()).is_some());
    assert!(!is_signed_in(&app).await);
    assert_eq!(all_identities(&app).await.len(), 1, "the GitLab account was not linked");
    assert!(standin.token_requests().iter().all(|r| r.platform != GITLAB));
}
platform_tests!(a_link_finished_after_signing_out_is_refused_and_signs_nobody_in);

async fn a_link_finished_after_switching_to_another_user_is_refused(app: TestApp, standin: StandIn) {
    // A sign-in as Grace is started while signed out and left open.
    let graces_sign_in = leave_for_platform(&app.client, &app, &standin, "/auth/github/login").await;
    let graces_code = standin.approve(&graces_sign_in, &Person::grace(GITHUB));
    // Ada signs in and starts linking her GitLab account.
    signed_in_with(&app, &standin, Platform::Bitbucket, &Person::ada(Platform::Bitbucket)).await;
    let adas_link = leave_for_platform(&app.client, &app, &standin, "/auth/gitlab/link").await;
    let adas_code = standin.approve(&adas_link, &Person::ada(GITLAB));
    // Grace's sign-in finishes in the same browser: the session is now Grace's.
    let response = come_back_approved(&app.client, &app, &graces_sign_in, &graces_code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let before = snapshot(&app).await;

    let response = come_back_approved(&app.client, &app, &adas_link, &adas_code).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert_eq!(refusal_title(&html).as_deref(), Some("This link request is no longer valid"));
    assert_eq!(snapshot(&app).await, before, "GitLab is linked to neither Ada nor Grace");
    assert!(identity_of(&app, &standin, GITLAB, &Person::ada(GITLAB)).await.is_none());
}
platform_tests!(a_link_finished_after_switching_to_another_user_is_refused);
