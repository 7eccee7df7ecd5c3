//! Who may see and do what in an organization: outsiders get 404 (whether or not
//! it exists), members get 403 on admin pages, anonymous visitors are sent to sign
//! in, and ids guessed from another organization find nothing.

use reqwest::StatusCode;

use super::{
    Browser, Team, admin_pages, attrs, encoded, org_pages, page_text, pending_request, request_statuses,
    role, snapshot,
};
use crate::both_databases;
use crate::support::{TestApp, location, text_of};

/// Every admin POST of an organization, aimed at real people and a real request.
fn admin_posts(
    slug: &str,
    admin: i32,
    member: i32,
    me: i32,
    request: i32,
) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    vec![
        (format!("/o/{slug}/settings/general"), vec![("name", "Taken over")]),
        (format!("/o/{slug}/settings/members/{member}/role"), vec![("role", "admin")]),
        (format!("/o/{slug}/settings/members/{me}/role"), vec![("role", "admin")]),
        (format!("/o/{slug}/settings/members/{admin}/role"), vec![("role", "member")]),
        (format!("/o/{slug}/settings/members/{member}/remove"), vec![]),
        (format!("/o/{slug}/settings/members/{admin}/remove"), vec![]),
        (format!("/o/{slug}/settings/requests/{request}/approve"), vec![]),
        (format!("/o/{slug}/settings/requests/{request}/reject"), vec![]),
    ]
}

/// A pending request to join Acme, from a fifth person.
async fn pending_request_for_acme(app: &TestApp) -> i32 {
    let pia = Browser::signed_in(app, "Pia").await;
    pia.ask_to_join("acme").await;
    pending_request(app, "acme", pia.id).await.unwrap()
}

async fn an_admin_opens_every_page_of_the_organization(app: TestApp) {
    let w = Team::new(&app).await;
    for path in org_pages("acme") {
        let response = w.alice.get(&path).await;
        let expected = if path == "/o/acme/settings" { StatusCode::SEE_OTHER } else { StatusCode::OK };
        assert_eq!(response.status(), expected, "{path}");
    }
    let response = w.alice.get("/o/acme/settings").await;
    assert_eq!(location(&response), "/o/acme/settings/general");
    let html = w.alice.page("/o/acme").await;
    assert_eq!(attrs(&html, "a[href='/o/acme/settings/general']", "class"), ["button"]);
}
both_databases!(an_admin_opens_every_page_of_the_organization);

async fn an_outsider_gets_404_on_every_page_whether_the_organization_exists_or_not(app: TestApp) {
    let w = Team::new(&app).await;
    for path in org_pages("acme").into_iter().chain(org_pages("no-such-org")) {
        let response = w.olga.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.unwrap();
        assert_eq!(text_of(&html, "h1").as_deref(), Some("Page not found"), "{path}");
        assert!(!html.contains("Acme Corp"), "{path} names the organization");
    }
    // An admin of another organization is an outsider here too.
    for path in org_pages("acme") {
        assert_eq!(w.bob.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Nothing tells an existing organization from a missing one.
    for (existing, missing) in org_pages("acme").iter().zip(org_pages("zzzz")) {
        assert_eq!(w.olga.html(existing).await, w.olga.html(&missing).await, "{existing}");
    }
}
both_databases!(an_outsider_gets_404_on_every_page_whether_the_organization_exists_or_not);

async fn only_the_exact_address_finds_an_organization(app: TestApp) {
    let w = Team::new(&app).await;
    // Its admin, so a 404 here can only mean the address was not recognised.
    for address in ["/o/ACME", "/o/%20acme", "/o/acme%20", "/o/-acme", "/o/a"] {
        assert_eq!(w.alice.get(address).await.status(), StatusCode::NOT_FOUND, "{address}");
    }
    assert_eq!(w.alice.get("/o/acme").await.status(), StatusCode::OK);
}
both_databases!(only_the_exact_address_finds_an_organization);

async fn an_outsider_gets_404_on_every_post_and_nothing_changes(app: TestApp) {
    let w = Team::new(&app).await;
    // The outsider's own request counts for nothing: she is still not a member.
    w.olga.ask_to_join("acme").await;
    let own_request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    let before = snapshot(&app).await;
    for slug in ["acme", "no-such-org"] {
        let mut posts = admin_posts(slug, w.alice.id, w.mia.id, w.olga.id, own_request);
        posts.push((format!("/o/{slug}/leave"), vec![]));
        for (path, fields) in posts {
            let response = w.olga.post(&path, &fields).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
    assert_eq!(w.olga.post("/o/no-such-org/join-requests", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(w.olga.get("/o/acme").await.status(), StatusCode::NOT_FOUND);
}
both_databases!(an_outsider_gets_404_on_every_post_and_nothing_changes);

async fn a_member_gets_403_on_every_admin_page(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.mia.page("/o/acme").await;
    assert!(text_of(&html, "main").unwrap().contains("You are a member"));
    assert!(attrs(&html, "a[href='/o/acme/settings/general']", "href").is_empty());
    for path in admin_pages("acme") {
        let response = w.mia.get(&path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let html = response.text().await.unwrap();
        assert_eq!(text_of(&html, "h1").as_deref(), Some("Access denied"), "{path}");
    }
}
both_databases!(a_member_gets_403_on_every_admin_page);

async fn a_member_gets_403_on_every_admin_post_and_nothing_changes(app: TestApp) {
    let w = Team::new(&app).await;
    let request = pending_request_for_acme(&app).await;
    let before = snapshot(&app).await;
    for (path, fields) in admin_posts("acme", w.alice.id, w.mia.id, w.mia.id, request) {
        let response = w.mia.post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(role(&app, "acme", w.mia.id).await.as_deref(), Some("member"));
}
both_databases!(a_member_gets_403_on_every_admin_post_and_nothing_changes);

async fn an_anonymous_visitor_is_sent_to_sign_in_from_every_page(app: TestApp) {
    let _w = Team::new(&app).await;
    let paths = org_pages("acme")
        .into_iter()
        .chain(org_pages("no-such-org"))
        .chain(["/o/acme/settings/audit-log?page=2".to_string(), "/orgs?q=acme".to_string()]);
    for path in paths {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), format!("/login?return_to={}", encoded(&path)), "{path}");
    }
}
both_databases!(an_anonymous_visitor_is_sent_to_sign_in_from_every_page);

async fn an_anonymous_post_is_sent_to_sign_in_and_changes_nothing(app: TestApp) {
    let w = Team::new(&app).await;
    let request = pending_request_for_acme(&app).await;
    let visitor = Browser::anonymous(&app).await;
    let before = snapshot(&app).await;
    let mut posts = admin_posts("acme", w.alice.id, w.mia.id, w.mia.id, request);
    posts.push(("/o/acme/leave".to_string(), vec![]));
    posts.push(("/o/acme/join-requests".to_string(), vec![]));
    posts.push((format!("/orgs/requests/{request}/withdraw"), vec![]));
    posts.push(("/orgs".to_string(), vec![("name", "Sneaky"), ("slug", "sneaky")]));
    for (path, fields) in posts {
        let response = visitor.post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login?return_to=%2F", "{path}");
    }
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(an_anonymous_post_is_sent_to_sign_in_and_changes_nothing);

async fn an_admin_of_another_organization_cannot_use_its_ids(app: TestApp) {
    let w = Team::new(&app).await;
    let request = pending_request_for_acme(&app).await;
    let before = snapshot(&app).await;
    // Bob is an admin, but of Bolt: Acme's people and requests are not Bolt's.
    for (path, fields) in admin_posts("bolt", w.alice.id, w.mia.id, w.bob.id, request) {
        if path.ends_with("/settings/general") || path.contains(&format!("/members/{}/", w.bob.id)) {
            continue; // Bolt's own rename and Bob's own role are his to change.
        }
        let response = w.bob.post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(snapshot(&app).await, before);
    // Bolt's members page does not show Acme's request.
    let html = w.bob.page("/o/bolt/settings/members").await;
    assert!(text_of(&html, "[data-testid=join-requests]").is_none());
    assert!(!page_text(&html).contains("Pia"));
    // Acme's request is still there for Acme's admin to answer.
    w.alice
        .post_and_follow(
            &format!("/o/acme/settings/requests/{request}/approve"),
            &[],
            "/o/acme/settings/members",
        )
        .await;
}
both_databases!(an_admin_of_another_organization_cannot_use_its_ids);

async fn ids_that_are_no_one_or_not_numbers_are_404(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    for path in [
        "/o/acme/settings/members/999999/remove",
        "/o/acme/settings/members/abc/remove",
        "/o/acme/settings/requests/999999/approve",
        "/o/acme/settings/requests/999999/reject",
        "/o/acme/settings/requests/abc/approve",
        "/orgs/requests/999999/withdraw",
        "/orgs/requests/abc/withdraw",
    ] {
        assert_eq!(w.alice.post(path, &[]).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = w.alice.post("/o/acme/settings/members/999999/role", &[("role", "admin")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Olga is a real person but not a member of Acme.
    let response =
        w.alice.post(&format!("/o/acme/settings/members/{}/role", w.olga.id), &[("role", "admin")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = w.alice.post(&format!("/o/acme/settings/members/{}/remove", w.olga.id), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(ids_that_are_no_one_or_not_numbers_are_404);

async fn withdrawing_someone_elses_request_is_404_and_keeps_it(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    let path = format!("/orgs/requests/{request}/withdraw");
    // Not even the organization's admin may withdraw it.
    for other in [&w.alice, &w.mia, &w.bob] {
        assert_eq!(other.post(&path, &[]).await.status(), StatusCode::NOT_FOUND, "{}", other.name);
    }
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["pending"]);
    // The requester may, once.
    assert_eq!(w.olga.post(&path, &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(w.olga.post(&path, &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["withdrawn"]);
}
both_databases!(withdrawing_someone_elses_request_is_404_and_keeps_it);

async fn organization_forms_need_the_csrf_token(app: TestApp) {
    let w = Team::new(&app).await;
    let request = pending_request_for_acme(&app).await;
    let before = snapshot(&app).await;
    let mut posts = admin_posts("acme", w.alice.id, w.mia.id, w.alice.id, request);
    posts.push(("/o/acme/leave".to_string(), vec![]));
    for (path, fields) in posts {
        let response = w.alice.post_raw(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let response = w.mia.post_raw("/o/acme/leave", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Another person's token does not do either.
    let response = w.mia.post_raw("/o/acme/leave", &[("csrf_token", w.alice.csrf_token())]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(organization_forms_need_the_csrf_token);
