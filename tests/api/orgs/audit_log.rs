//! *Organization settings > Audit log*: who did what, newest first, 50 per page.

use reqwest::StatusCode;

use super::{Browser, Team, attrs, audit_rows, join, pending_request, rows, strings};
use crate::both_databases;
use crate::support::TestApp;
use crate::support::text_of;

const LOG: &str = "[data-testid=audit-log]";

/// The log as the admin reads it: (who, event, details), newest first.
fn entries(html: &str) -> Vec<(String, String, String)> {
    rows(html, LOG).into_iter().map(|row| (row[1].clone(), row[2].clone(), row[3].clone())).collect()
}

fn entry(who: &str, event: &str, details: &str) -> (String, String, String) {
    (who.to_string(), event.to_string(), details.to_string())
}

/// Who did it, as the log shows a person who signs in with development sign-in:
/// the name, then how they sign in.
fn dev(name: &str) -> String {
    format!("{name} dev: {name}")
}

/// The details of an event about someone else than its actor: the text, then whom
/// it is about and how they sign in.
fn about(details: &str, name: &str) -> String {
    format!("{details} About {}", dev(name))
}

async fn every_action_is_logged_with_its_actor_and_details(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    alice
        .post_and_follow("/o/acme/settings/general", &[("name", "Acme Inc")], "/o/acme/settings/general")
        .await;
    let olga = Browser::signed_in(&app, "Olga").await;
    let mia = Browser::signed_in(&app, "Mia").await;
    // Olga asks and is approved, then made an admin, then leaves.
    olga.ask_to_join("acme").await;
    let request = pending_request(&app, "acme", olga.id).await.unwrap();
    alice
        .post_and_follow(
            &format!("/o/acme/settings/requests/{request}/approve"),
            &[],
            "/o/acme/settings/members",
        )
        .await;
    alice
        .post_and_follow(
            &format!("/o/acme/settings/members/{}/role", olga.id),
            &[("role", "admin")],
            "/o/acme/settings/members",
        )
        .await;
    olga.post_and_follow("/o/acme/leave", &[], "/").await;
    // Mia asks and is rejected, asks again, is approved and removed.
    mia.ask_to_join("acme").await;
    let request = pending_request(&app, "acme", mia.id).await.unwrap();
    alice
        .post_and_follow(
            &format!("/o/acme/settings/requests/{request}/reject"),
            &[],
            "/o/acme/settings/members",
        )
        .await;
    join(&app, &mia, &alice, "acme").await;
    alice
        .post_and_follow(
            &format!("/o/acme/settings/members/{}/remove", mia.id),
            &[],
            "/o/acme/settings/members",
        )
        .await;

    let html = alice.page("/o/acme/settings/audit-log").await;
    assert_eq!(
        entries(&html),
        [
            entry(&dev("Alice"), "member.removed", &about("Mia was removed", "Mia")),
            entry(&dev("Alice"), "member.joined", &about("Mia joined as member", "Mia")),
            entry(&dev("Alice"), "join_request.approved", &about("Approved Mia's request to join", "Mia")),
            entry(&dev("Mia"), "join_request.created", "Mia asked to join"),
            entry(&dev("Alice"), "join_request.rejected", &about("Rejected Mia's request to join", "Mia")),
            entry(&dev("Mia"), "join_request.created", "Mia asked to join"),
            entry(&dev("Olga"), "member.left", "Olga left"),
            entry(&dev("Alice"), "member.role_changed", &about("Olga changed from member to admin", "Olga")),
            entry(&dev("Alice"), "member.joined", &about("Olga joined as member", "Olga")),
            entry(&dev("Alice"), "join_request.approved", &about("Approved Olga's request to join", "Olga")),
            entry(&dev("Olga"), "join_request.created", "Olga asked to join"),
            entry(&dev("Alice"), "organization.renamed", "Renamed from Acme Corp to Acme Inc"),
            entry(&dev("Alice"), "organization.created", "Created Acme Corp (acme)"),
        ]
    );
    // Each entry says when, for people and machines.
    let times = attrs(&html, &format!("{LOG} time"), "datetime");
    assert_eq!(times.len(), 13);
    assert!(times.iter().all(|t| t.len() == 20 && t.ends_with('Z')), "{times:?}");
    assert!(rows(&html, LOG).iter().all(|row| row[0].ends_with(" UTC")));
    // The people each event is about are stored too.
    let stored = audit_rows(&app, "acme").await;
    assert_eq!(
        stored[5],
        format!("member.role_changed | {} | {} | Olga changed from member to admin", alice.id, olga.id)
    );
    assert_eq!(stored[12], format!("member.removed | {} | {} | Mia was removed", alice.id, mia.id));
}
both_databases!(every_action_is_logged_with_its_actor_and_details);

async fn only_admins_see_the_audit_log(app: TestApp) {
    let w = Team::new(&app).await;
    assert_eq!(w.mia.get("/o/acme/settings/audit-log").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.olga.get("/o/acme/settings/audit-log").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.bob.get("/o/acme/settings/audit-log").await.status(), StatusCode::NOT_FOUND);
    // Each organization's log holds only its own events.
    let html = w.bob.page("/o/bolt/settings/audit-log").await;
    assert_eq!(entries(&html), [entry(&dev("Bob"), "organization.created", "Created Bolt Labs (bolt)")]);
    let html = w.alice.page("/o/acme/settings/audit-log").await;
    assert_eq!(entries(&html).len(), 4);
    assert!(!html.contains("Bolt Labs"));
}
both_databases!(only_admins_see_the_audit_log);

async fn the_log_is_newest_first_fifty_per_page(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Name 0", "acme").await;
    for n in 1..=55 {
        let response = alice.post("/o/acme/settings/general", &[("name", &format!("Name {n}"))]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "rename {n}");
    }
    let renamed = |n: i32| {
        entry(&dev("Alice"), "organization.renamed", &format!("Renamed from Name {} to Name {n}", n - 1))
    };

    let html = alice.page("/o/acme/settings/audit-log").await;
    let expected: Vec<_> = (6..=55).rev().map(renamed).collect();
    assert_eq!(entries(&html), expected);
    assert_eq!(text_of(&html, ".pagination .muted").as_deref(), Some("Page 1 of 2"));
    let next = attrs(&html, ".pagination a[rel=next]", "href");
    assert_eq!(next, ["?page=2"]);

    let html = alice.page(&format!("/o/acme/settings/audit-log{}", next[0])).await;
    let mut expected: Vec<_> = (1..=5).rev().map(renamed).collect();
    expected.push(entry(&dev("Alice"), "organization.created", "Created Name 0 (acme)"));
    assert_eq!(entries(&html), expected);
    assert_eq!(text_of(&html, ".pagination .muted").as_deref(), Some("Page 2 of 2"));
    assert_eq!(attrs(&html, ".pagination a[rel=prev]", "href"), ["?page=1"]);
    assert!(attrs(&html, ".pagination a[rel=next]", "href").is_empty());
}
both_databases!(the_log_is_newest_first_fifty_per_page);

async fn the_log_holds_no_tokens_or_session_cookies(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    w.alice
        .post_and_follow("/o/acme/settings/general", &[("name", "Acme Inc")], "/o/acme/settings/general")
        .await;
    let mut secrets = Vec::new();
    for browser in [&w.alice, &w.mia, &w.bob, &w.olga] {
        secrets.push(browser.csrf_token().to_string());
        secrets.push(browser.session_cookie().expect("a session cookie"));
    }
    let html = w.alice.page("/o/acme/settings/audit-log").await;
    let doc = scraper::Html::parse_document(&html);
    let table = doc.select(&scraper::Selector::parse(LOG).unwrap()).next().unwrap().html();
    let stored =
        strings(&app, "SELECT details || ' ' || action AS v FROM audit_events".to_string()).await.join("\n");
    for secret in &secrets {
        assert!(!table.contains(secret.as_str()), "the log shows a token or cookie");
        assert!(!stored.contains(secret.as_str()), "the log stores a token or cookie");
    }
    assert!(!table.contains("csrf"));
}
both_databases!(the_log_holds_no_tokens_or_session_cookies);

async fn a_page_beyond_the_last_does_not_claim_that_nothing_happened(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.alice.page("/o/acme/settings/audit-log?page=3").await;
    assert!(!html.contains("Nothing has happened yet."));
    assert!(!entries(&html).is_empty());
}
both_databases!(a_page_beyond_the_last_does_not_claim_that_nothing_happened);
