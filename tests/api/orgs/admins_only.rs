//! A member on an organization's admin page gets a 403 that helps: what the
//! page is for, who the admins are, and where their own keys are. Outsiders
//! still get the plain 404 (nothing about the organization leaks).

use reqwest::StatusCode;

use super::{Browser, Team, admin_pages, attrs, join, org_pages, page_text, texts};
use crate::both_databases;
use crate::support::{TestApp, text};

const ADMINS: &str = "[data-testid=org-admins] li";

async fn a_member_on_an_admin_page_is_told_whom_to_ask_and_where_their_own_keys_are(app: TestApp) {
    let w = Team::new(&app).await;
    for path in admin_pages("acme") {
        let response = w.mia.get(&path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let html = response.text().await.unwrap();
        assert_eq!(text(&html, "h1").as_deref(), Some("Access denied"), "{path}");
        assert_eq!(
            text(&html, "[data-testid=admins-only] .lead").as_deref(),
            Some(
                "Only the admins of Acme Corp can open this page. Its API keys, members and audit log are \
                 managed by its admins; you are a member."
            ),
            "{path}"
        );
        assert_eq!(texts(&html, ADMINS), ["Alice"], "{path}");
        let links = attrs(&html, "[data-testid=admins-only] a", "href");
        assert!(links.contains(&"/settings/api-keys".to_string()), "{path}: {links:?}");
        assert!(links.contains(&"/o/acme".to_string()), "{path}: {links:?}");
        assert!(page_text(&html).contains("User settings > API keys"), "{path}");
        // The layout is the person's: signed in, with their organizations.
        assert_eq!(text(&html, "[data-testid=user-name]").as_deref(), Some("Mia"), "{path}");
    }
    // A POST to an admin address answers the same page (and changes nothing).
    let response =
        w.mia.post(&format!("/o/acme/settings/members/{}/role", w.mia.id), &[("role", "admin")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(texts(&response.text().await.unwrap(), ADMINS), ["Alice"]);
}
both_databases!(a_member_on_an_admin_page_is_told_whom_to_ask_and_where_their_own_keys_are);

async fn every_admin_is_named_by_display_name_and_no_one_else(app: TestApp) {
    let w = Team::new(&app).await;
    let zoe = Browser::signed_in(&app, "Zoë <b>Admin</b>").await;
    join(&app, &zoe, &w.alice, "acme").await;
    let path = format!("/o/acme/settings/members/{}/role", zoe.id);
    w.alice.post_and_follow(&path, &[("role", "admin")], "/o/acme/settings/members").await;
    let olga = &w.olga;
    join(&app, olga, &w.alice, "acme").await;

    let response = w.mia.get("/o/acme/settings/general").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    // By name, escaped; members (Mia, Olga) and other organizations' admins (Bob) are not listed.
    assert_eq!(texts(&html, ADMINS), ["Alice", "Zoë <b>Admin</b>"]);
    assert!(!html.contains("<b>Admin</b>"), "escaped");
    assert!(!texts(&html, ADMINS).iter().any(|name| ["Mia", "Olga", "Bob"].contains(&name.as_str())));
}
both_databases!(every_admin_is_named_by_display_name_and_no_one_else);

async fn outsiders_still_get_the_plain_404_on_admin_pages(app: TestApp) {
    let w = Team::new(&app).await;
    for path in org_pages("acme") {
        for person in [&w.olga, &w.bob] {
            let response = person.get(&path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{} {path}", person.name);
            let html = response.text().await.unwrap();
            assert_eq!(text(&html, "h1").as_deref(), Some("Page not found"), "{path}");
            assert!(!html.contains("Alice"), "{path} names an admin");
            assert!(text(&html, "[data-testid=admins-only]").is_none(), "{path}");
        }
    }
}
both_databases!(outsiders_still_get_the_plain_404_on_admin_pages);
