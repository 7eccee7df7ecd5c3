//! Display names are free text, so two people may both be "Alice Example": wherever
//! an admin decides about people (the join requests, the members, the audit log),
//! each name comes with how that person signs in ("github: mallory").

use super::{Browser, Team, attrs, first_column, pending_request, rows, strings, texts};
use crate::platforms::{come_back_approved, identity_of, leave_for_platform};
use crate::standins::{Person, Platform, StandIn};
use crate::support::TestApp;
use crate::{both_databases, platform_tests};

const JOIN_REQUESTS: &str = "[data-testid=join-requests]";
const MEMBERS: &str = "[data-testid=members]";
const LOG: &str = "[data-testid=audit-log]";

/// (name, how they sign in) for each row of a members page table.
fn people(html: &str, table: &str) -> Vec<(String, String)> {
    rows(html, table).into_iter().map(|row| (row[0].clone(), row[1].clone())).collect()
}

fn person(name: &str, identities: &str) -> (String, String) {
    (name.to_string(), identities.to_string())
}

/// The audit log's (who, event, details) rows, newest first.
fn log(html: &str) -> Vec<(String, String, String)> {
    rows(html, LOG).into_iter().map(|row| (row[1].clone(), row[2].clone(), row[3].clone())).collect()
}

fn entry(who: &str, event: &str, details: &str) -> (String, String, String) {
    (who.to_string(), event.to_string(), details.to_string())
}

/// The admin approves the pending request of the user `id`.
async fn approve(app: &TestApp, admin: &Browser, slug: &str, id: i32) {
    let request = pending_request(app, slug, id).await.expect("a pending request");
    let path = format!("/o/{slug}/settings/requests/{request}/approve");
    admin.post_and_follow(&path, &[], &format!("/o/{slug}/settings/members")).await;
}

async fn two_people_with_the_same_name_are_told_apart_by_how_they_sign_in(app: TestApp) {
    let w = Team::new(&app).await;
    let alice = Browser::signed_in(&app, "Alice Example").await;
    // Mallory takes the same name in her profile.
    let mallory = Browser::signed_in(&app, "Mallory").await;
    mallory
        .post_and_follow("/settings/profile", &[("display_name", "Alice Example")], "/settings/profile")
        .await;
    alice.ask_to_join("acme").await;
    mallory.ask_to_join("acme").await;

    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(
        people(&html, JOIN_REQUESTS),
        [person("Alice Example", "dev: Alice Example"), person("Alice Example", "dev: Mallory")]
    );
    let headers: Vec<String> = texts(&html, &format!("{JOIN_REQUESTS} th"));
    assert_eq!(headers[..3], ["Name", "Signs in with", "Asked"]);

    // Both approved: the members list tells them apart the same way.
    approve(&app, &w.alice, "acme", mallory.id).await;
    approve(&app, &w.alice, "acme", alice.id).await;
    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(
        people(&html, MEMBERS),
        [
            person("Alice (you)", "dev: Alice"),
            person("Alice Example", "dev: Alice Example"),
            person("Alice Example", "dev: Mallory"),
            person("Mia", "dev: Mia"),
        ]
    );
    // The role forms and the remove links still act on the right person.
    let roles = attrs(&html, &format!("{MEMBERS} form[action$='/role']"), "action");
    assert_eq!(roles[2], format!("/o/acme/settings/members/{}/role", mallory.id));
    let removals = attrs(&html, &format!("{MEMBERS} a[href$='/remove']"), "href");
    assert_eq!(removals[1], format!("/o/acme/settings/members/{}/remove", mallory.id));
    let named = attrs(&html, &format!("{MEMBERS} a[href$='/remove']"), "data-identities");
    assert_eq!(named[1], "dev: Mallory");

    // And so does the audit log, for who acted and whom it was about.
    let html = w.alice.page("/o/acme/settings/audit-log").await;
    assert_eq!(
        log(&html)[..6],
        [
            entry(
                "Alice dev: Alice",
                "member.joined",
                "Alice Example joined as member About Alice Example dev: Alice Example"
            ),
            entry(
                "Alice dev: Alice",
                "join_request.approved",
                "Approved Alice Example's request to join About Alice Example dev: Alice Example"
            ),
            entry(
                "Alice dev: Alice",
                "member.joined",
                "Alice Example joined as member About Alice Example dev: Mallory"
            ),
            entry(
                "Alice dev: Alice",
                "join_request.approved",
                "Approved Alice Example's request to join About Alice Example dev: Mallory"
            ),
            entry("Alice Example dev: Mallory", "join_request.created", "Alice Example asked to join"),
            entry("Alice Example dev: Alice Example", "join_request.created", "Alice Example asked to join"),
        ]
    );
}
both_databases!(two_people_with_the_same_name_are_told_apart_by_how_they_sign_in);

/// A browser signed in on `platform` as `person` (a new user the first time).
async fn on_platform(app: &TestApp, standin: &StandIn, platform: Platform, person: &Person) -> Browser {
    let (client, jar) = app.new_visitor();
    let path = format!("/auth/{}/login", platform.slug());
    let request = leave_for_platform(&client, app, standin, &path).await;
    let code = standin.approve(&request, person);
    let response = come_back_approved(&client, app, &request, &code).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "{} signs in", person.login);
    let identity = identity_of(app, standin, platform, person).await.expect("the identity is stored");
    let name = person.name.clone().unwrap_or_else(|| person.login.clone());
    Browser::signed_in_elsewhere(app, client, jar, &name, identity.user_id.get()).await
}

/// The browser's user links `person`'s account on `platform`.
async fn link(app: &TestApp, standin: &StandIn, browser: &Browser, platform: Platform, person: &Person) {
    let path = format!("/auth/{}/link", platform.slug());
    let request = leave_for_platform(&browser.client, app, standin, &path).await;
    let code = standin.approve(&request, person);
    let response = come_back_approved(&browser.client, app, &request, &code).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "{} links {platform:?}", person.login);
    assert!(identity_of(app, standin, platform, person).await.is_some(), "linked");
}

async fn every_sign_in_method_of_a_person_is_shown_oldest_first(app: TestApp, standin: StandIn) {
    let ada = on_platform(&app, &standin, Platform::GitHub, &Person::ada(Platform::GitHub)).await;
    ada.create_org("Acme Corp", "acme").await;
    // Grace signs in with GitLab, then links her GitHub account.
    let grace = on_platform(&app, &standin, Platform::GitLab, &Person::grace(Platform::GitLab)).await;
    let grace_on_github = Person { login: "grace-gh".into(), ..Person::grace(Platform::GitHub) };
    link(&app, &standin, &grace, Platform::GitHub, &grace_on_github).await;
    // Mallory's GitHub profile carries Grace's name.
    let mallory = Person {
        id: Platform::GitHub.user_id(66),
        login: "mallory".into(),
        name: Some("Grace Hopper".into()),
        email: None,
        email_verified: false,
        avatar_url: None,
        listed_emails: Vec::new(),
    };
    let mallory = on_platform(&app, &standin, Platform::GitHub, &mallory).await;
    grace.ask_to_join("acme").await;
    mallory.ask_to_join("acme").await;

    let html = ada.page("/o/acme/settings/members").await;
    assert_eq!(
        people(&html, JOIN_REQUESTS),
        [
            person("Grace Hopper", "gitlab: grace, github: grace-gh"),
            person("Grace Hopper", "github: mallory")
        ]
    );
    assert_eq!(first_column(&html, MEMBERS), ["Ada Lovelace (you)"]);
    assert_eq!(people(&html, MEMBERS)[0].1, "github: ada");

    approve(&app, &ada, "acme", grace.id).await;
    let html = ada.page("/o/acme/settings/members").await;
    assert_eq!(
        people(&html, MEMBERS),
        [
            person("Ada Lovelace (you)", "github: ada"),
            person("Grace Hopper", "gitlab: grace, github: grace-gh")
        ]
    );
    assert_eq!(people(&html, JOIN_REQUESTS), [person("Grace Hopper", "github: mallory")]);
    let html = ada.page("/o/acme/settings/audit-log").await;
    assert_eq!(
        log(&html)[2],
        entry("Grace Hopper github: mallory", "join_request.created", "Grace Hopper asked to join")
    );
    assert_eq!(
        log(&html)[3],
        entry(
            "Grace Hopper gitlab: grace, github: grace-gh",
            "join_request.created",
            "Grace Hopper asked to join"
        )
    );
}
platform_tests!(every_sign_in_method_of_a_person_is_shown_oldest_first);

async fn a_platform_profile_is_stored_and_shown_without_hidden_characters(app: TestApp, standin: StandIn) {
    let ada = on_platform(&app, &standin, Platform::GitHub, &Person::ada(Platform::GitHub)).await;
    ada.create_org("Acme Corp", "acme").await;
    // U+202E would show "Grace Hopper" reversed after it; the zero-width
    // characters make a name that looks like Grace's but is another text.
    let profile = Person {
        id: Platform::GitLab.user_id(66),
        login: "mal\u{200B}lory\u{202E}".into(),
        name: Some("\u{202E}Grace\u{200D} Hopper\u{FEFF}".into()),
        email: None,
        email_verified: false,
        avatar_url: None,
        listed_emails: Vec::new(),
    };
    let mallory = on_platform(&app, &standin, Platform::GitLab, &profile).await;
    let stored = identity_of(&app, &standin, Platform::GitLab, &profile).await.unwrap();
    assert_eq!(stored.login, "mallory");
    assert_eq!(stored.display_name.as_deref(), Some("Grace Hopper"));
    assert_eq!(
        strings(&app, format!("SELECT display_name AS v FROM users WHERE id = {}", mallory.id)).await,
        ["Grace Hopper"]
    );
    mallory.ask_to_join("acme").await;
    let html = ada.page("/o/acme/settings/members").await;
    assert_eq!(people(&html, JOIN_REQUESTS), [person("Grace Hopper", "gitlab: mallory")]);
    for hidden in ['\u{200B}', '\u{200D}', '\u{202E}', '\u{FEFF}'] {
        assert!(!html.contains(hidden), "U+{:04X} on the page", hidden as u32);
    }
}
platform_tests!(a_platform_profile_is_stored_and_shown_without_hidden_characters);
