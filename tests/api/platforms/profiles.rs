//! Platform quirks in reading the profile: GitHub's private emails, Bitbucket's
//! emails endpoint and its braced uuids, and which addresses count as verified
//! (only those receive mail).

use crate::platform_tests;
use crate::platforms::{
    all_identities, all_users, come_back_approved, identity_of, leave_for_platform, signed_in_with,
};
use crate::standins::{Failure, ListedEmail, Person, Platform, StandIn};
use crate::support::TestApp;

const GITHUB: Platform = Platform::GitHub;
const BITBUCKET: Platform = Platform::Bitbucket;
const GITLAB: Platform = Platform::GitLab;
const CODEBERG: Platform = Platform::Codeberg;
const OIDC: Platform = Platform::Oidc;

fn listed(email: &str, primary: bool, verified: bool) -> ListedEmail {
    ListedEmail { email: email.into(), primary, verified }
}

fn asked_for(standin: &StandIn, path: &str) -> bool {
    standin.api_requests().iter().any(|r| r.path == path)
}

async fn stored_email(
    app: &TestApp,
    standin: &StandIn,
    platform: Platform,
    person: &Person,
) -> Option<String> {
    identity_of(app, standin, platform, person).await.expect("the identity is stored").email
}

/// The stored address and whether it counts as verified.
async fn stored_address(
    app: &TestApp,
    standin: &StandIn,
    platform: Platform,
    person: &Person,
) -> (Option<String>, bool) {
    let identity = identity_of(app, standin, platform, person).await.expect("the identity is stored");
    (identity.email, identity.email_verified)
}

async fn github_without_a_public_email_takes_the_primary_verified_one(app: TestApp, standin: StandIn) {
    let ada = Person {
        email: None,
        listed_emails: vec![
            listed("old@example.com", false, true),
            listed("ada@example.com", true, true),
            listed("work@example.com", false, false),
        ],
        ..Person::ada(GITHUB)
    };
    signed_in_with(&app, &standin, GITHUB, &ada).await;
    assert!(asked_for(&standin, "/github-api/user/emails"));
    assert_eq!(stored_email(&app, &standin, GITHUB, &ada).await.as_deref(), Some("ada@example.com"));
}
platform_tests!(github_without_a_public_email_takes_the_primary_verified_one);

async fn github_never_takes_an_unverified_primary_email(app: TestApp, standin: StandIn) {
    let ada = Person {
        email: None,
        listed_emails: vec![listed("ada@example.com", true, false), listed("old@example.com", false, true)],
        ..Person::ada(GITHUB)
    };
    signed_in_with(&app, &standin, GITHUB, &ada).await;
    assert_eq!(stored_email(&app, &standin, GITHUB, &ada).await, None);
}
platform_tests!(github_never_takes_an_unverified_primary_email);

async fn github_prefers_the_primary_verified_email_to_the_public_one(app: TestApp, standin: StandIn) {
    let ada = Person {
        email: Some("public@example.com".into()),
        listed_emails: vec![listed("public@example.com", false, true), listed("ada@example.com", true, true)],
        ..Person::ada(GITHUB)
    };
    signed_in_with(&app, &standin, GITHUB, &ada).await;
    assert!(asked_for(&standin, "/github-api/user/emails"));
    assert_eq!(stored_address(&app, &standin, GITHUB, &ada).await, (Some("ada@example.com".into()), true));
}
platform_tests!(github_prefers_the_primary_verified_email_to_the_public_one);

async fn githubs_public_email_alone_is_kept_unverified_and_gets_no_mail(app: TestApp, standin: StandIn) {
    // The list cannot be read: the public address is shown, never written to.
    let ada = Person { email: Some("public@example.com".into()), ..Person::ada(GITHUB) };
    let request = leave_for_platform(&app.client, &app, &standin, "/auth/github/login").await;
    let code = standin.approve_failing(&request, &ada, Failure::EmailListDown);
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        stored_address(&app, &standin, GITHUB, &ada).await,
        (Some("public@example.com".into()), false)
    );
    let user = identity_of(&app, &standin, GITHUB, &ada).await.unwrap().user_id;
    let recipient =
        app.db.run(move |conn| monkeyci_accounts::db::mail_recipients::for_user(conn, user)).await.unwrap();
    assert_eq!(recipient, None, "no mail to an address GitHub did not verify");
    let methods = app.get_html("/settings/sign-in-methods").await;
    assert!(methods.contains("public@example.com <span class=\"muted\">(not verified)</span>"), "{methods}");
}
platform_tests!(githubs_public_email_alone_is_kept_unverified_and_gets_no_mail);

async fn gitlab_verifies_its_email_by_its_confirmation_date(app: TestApp, standin: StandIn) {
    let ada = Person::ada(GITLAB);
    signed_in_with(&app, &standin, GITLAB, &ada).await;
    assert_eq!(stored_address(&app, &standin, GITLAB, &ada).await, (Some("ada@example.com".into()), true));
    let grace = Person { email_verified: false, ..Person::grace(GITLAB) };
    app.sign_out().await;
    signed_in_with(&app, &standin, GITLAB, &grace).await;
    assert_eq!(
        stored_address(&app, &standin, GITLAB, &grace).await,
        (Some("grace@example.com".into()), false)
    );
}
platform_tests!(gitlab_verifies_its_email_by_its_confirmation_date);

async fn codeberg_verifies_its_email_by_its_list(app: TestApp, standin: StandIn) {
    let ada = Person::ada(CODEBERG);
    signed_in_with(&app, &standin, CODEBERG, &ada).await;
    assert!(asked_for(&standin, "/codeberg/api/v1/user/emails"));
    assert_eq!(stored_address(&app, &standin, CODEBERG, &ada).await, (Some("ada@example.com".into()), true));
    let grace = Person { email_verified: false, ..Person::grace(CODEBERG) };
    app.sign_out().await;
    signed_in_with(&app, &standin, CODEBERG, &grace).await;
    assert_eq!(
        stored_address(&app, &standin, CODEBERG, &grace).await,
        (Some("grace@example.com".into()), false)
    );
}
platform_tests!(codeberg_verifies_its_email_by_its_list);

async fn openid_connect_verifies_its_email_by_the_email_verified_claim(app: TestApp, standin: StandIn) {
    let ada = Person::ada(OIDC);
    signed_in_with(&app, &standin, OIDC, &ada).await;
    assert_eq!(stored_address(&app, &standin, OIDC, &ada).await, (Some("ada@example.com".into()), true));
    let grace = Person { email_verified: false, ..Person::grace(OIDC) };
    app.sign_out().await;
    signed_in_with(&app, &standin, OIDC, &grace).await;
    assert_eq!(stored_address(&app, &standin, OIDC, &grace).await, (Some("grace@example.com".into()), false));
}
platform_tests!(openid_connect_verifies_its_email_by_the_email_verified_claim);

async fn a_new_sign_in_refreshes_the_address_and_its_verification(app: TestApp, standin: StandIn) {
    let ada = Person { email_verified: false, ..Person::ada(GITLAB) };
    signed_in_with(&app, &standin, GITLAB, &ada).await;
    assert_eq!(stored_address(&app, &standin, GITLAB, &ada).await, (Some("ada@example.com".into()), false));
    let confirmed = Person { email: Some("ada@work.example".into()), email_verified: true, ..ada.clone() };
    app.sign_out().await;
    signed_in_with(&app, &standin, GITLAB, &confirmed).await;
    assert_eq!(stored_address(&app, &standin, GITLAB, &ada).await, (Some("ada@work.example".into()), true));
}
platform_tests!(a_new_sign_in_refreshes_the_address_and_its_verification);

async fn github_signs_in_without_an_email_when_the_list_fails(app: TestApp, standin: StandIn) {
    let ada = Person { email: None, ..Person::ada(GITHUB) };
    let request = leave_for_platform(&app.client, &app, &standin, "/auth/github/login").await;
    let code = standin.approve_failing(&request, &ada, Failure::EmailListDown);
    let response = come_back_approved(&app.client, &app, &request, &code).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(asked_for(&standin, "/github-api/user/emails"));
    assert_eq!(stored_email(&app, &standin, GITHUB, &ada).await, None);
}
platform_tests!(github_signs_in_without_an_email_when_the_list_fails);

async fn bitbucket_takes_the_primary_confirmed_email_from_its_list(app: TestApp, standin: StandIn) {
    let ada = Person {
        email: None,
        listed_emails: vec![listed("old@example.com", false, true), listed("ada@example.com", true, true)],
        ..Person::ada(BITBUCKET)
    };
    signed_in_with(&app, &standin, BITBUCKET, &ada).await;
    assert!(asked_for(&standin, "/bitbucket-api/2.0/user/emails"));
    assert_eq!(stored_address(&app, &standin, BITBUCKET, &ada).await, (Some("ada@example.com".into()), true));
}
platform_tests!(bitbucket_takes_the_primary_confirmed_email_from_its_list);

async fn a_braced_and_a_bare_bitbucket_uuid_are_the_same_person(app: TestApp, standin: StandIn) {
    let braced = Person { id: "{1B2C3D4E-AAAA-4000-8000-00000000000F}".into(), ..Person::ada(BITBUCKET) };
    signed_in_with(&app, &standin, BITBUCKET, &braced).await;
    app.sign_out().await;
    let bare =
        Person { id: "1b2c3d4e-aaaa-4000-8000-00000000000f".into(), login: "ada2".into(), ..braced.clone() };
    signed_in_with(&app, &standin, BITBUCKET, &bare).await;

    assert_eq!(all_users(&app).await.len(), 1);
    let identities = all_identities(&app).await;
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].platform_user_id, "1b2c3d4e-aaaa-4000-8000-00000000000f");
    assert_eq!(identities[0].login, "ada2");
}
platform_tests!(a_braced_and_a_bare_bitbucket_uuid_are_the_same_person);

async fn the_same_id_on_two_platforms_is_two_people(app: TestApp, standin: StandIn) {
    let on_github = Person::ada(GITHUB);
    let on_gitlab = Person { id: on_github.id.clone(), ..Person::grace(Platform::GitLab) };
    signed_in_with(&app, &standin, GITHUB, &on_github).await;
    app.sign_out().await;
    signed_in_with(&app, &standin, Platform::GitLab, &on_gitlab).await;
    assert_eq!(all_users(&app).await.len(), 2);
}
platform_tests!(the_same_id_on_two_platforms_is_two_people);

async fn markup_in_a_platform_profile_is_shown_as_text(app: TestApp, standin: StandIn) {
    let mallory = Person {
        login: "<b>mallory</b>".into(),
        name: Some("<script>alert('name')</script>".into()),
        email: Some("\"><img src=x onerror=alert(1)>@example.com".into()),
        ..Person::ada(GITHUB)
    };
    signed_in_with(&app, &standin, GITHUB, &mallory).await;
    for page in ["/", "/settings/profile", "/settings/sign-in-methods"] {
        let html = app.get_html(page).await;
        assert!(!html.contains("<script>alert('name')"), "{page}");
        assert!(!html.contains("<b>mallory</b>"), "{page}");
        assert!(!html.contains("<img src=x"), "{page}");
    }
    let html = app.get_html("/settings/sign-in-methods").await;
    assert!(html.contains("&lt;b&gt;mallory&lt;/b&gt;") || html.contains("&#60;b&#62;mallory"), "{html}");
}
platform_tests!(markup_in_a_platform_profile_is_shown_as_text);

async fn a_long_platform_name_becomes_a_name_the_profile_form_accepts(app: TestApp, standin: StandIn) {
    // GitHub and GitLab allow names of up to 255 characters.
    let ada = Person { name: Some(format!("Ada {}", "Lovelace ".repeat(20))), ..Person::ada(GITHUB) };
    signed_in_with(&app, &standin, GITHUB, &ada).await;
    let name = crate::platforms::signed_in_name(&app).await.unwrap();
    let response = app.post_form_with_token("/settings/profile", &[("display_name", &name)]).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "saving the profile unchanged works");
}
platform_tests!(a_long_platform_name_becomes_a_name_the_profile_form_accepts);
