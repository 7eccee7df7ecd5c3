//! Names people type are shown as text, never as markup, on every page.

use reqwest::StatusCode;

use super::{Browser, attrs, encoded, flash, page_text, pending_request, texts};
use crate::both_databases;
use crate::support::TestApp;

const ORG: &str = r#"<script>alert("org")</script> & <b>Co</b>"#;
const PERSON: &str = "<img src=x onerror=alert(1)>";

/// The page holds none of the markup, and shows `text` as text where expected.
fn assert_escaped(html: &str, shown: &[&str], page: &str) {
    for markup in ["<script>alert", "<b>Co</b>", "<img src=x"] {
        assert!(!html.contains(markup), "{page} contains {markup:?} unescaped");
    }
    let text = page_text(html);
    for name in shown {
        assert!(text.contains(name), "{page} shows {name:?} as text");
    }
}

async fn an_organization_name_with_markup_is_shown_escaped_everywhere(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let response = alice.post("/orgs", &[("name", ORG), ("slug", "xss")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = alice.page("/o/xss").await;
    assert_escaped(&html, &[ORG], "the organization's page");
    assert_eq!(flash(&html), Some(format!("{ORG} was created. You are its admin.")));
    assert!(texts(&html, "title")[0].starts_with(ORG));
    assert_eq!(alice.switcher().await, [ORG]);
    for tab in ["general", "members", "api-keys", "audit-log"] {
        let html = alice.page(&format!("/o/xss/settings/{tab}")).await;
        assert_escaped(&html, &[ORG], tab);
    }
    let html = alice.page("/o/xss/settings/general").await;
    assert_eq!(attrs(&html, "input#name", "value"), [ORG]);
    assert_escaped(&alice.page("/").await, &[ORG], "home");

    // A person with markup in their name asks to join, from the search.
    let visitor = Browser::signed_in(&app, PERSON).await;
    let html = visitor.page("/orgs?q=script").await;
    assert_escaped(&html, &[ORG, &format!("Ask to join {ORG}")], "the search");
    let html = visitor.post_and_follow("/o/xss/join-requests", &[], "/orgs").await;
    assert_escaped(&html, &[ORG], "the search after asking");
    assert_eq!(flash(&html), Some(format!("You asked to join {ORG}. Its admins will answer your request.")));
    let html = visitor.post_and_follow("/o/xss/join-requests", &[], "/orgs").await;
    assert_eq!(flash(&html), Some(format!("You already asked to join {ORG}.")));
    let html = alice.page("/o/xss/settings/members").await;
    assert_escaped(&html, &[ORG, PERSON, &format!("Approve {PERSON}")], "the members page");

    let request = pending_request(&app, "xss", visitor.id).await.unwrap();
    alice
        .post_and_follow(
            &format!("/o/xss/settings/requests/{request}/approve"),
            &[],
            "/o/xss/settings/members",
        )
        .await;
    let html = visitor.page("/o/xss").await;
    assert_escaped(&html, &[ORG, PERSON], "the page of the new member");
    assert_eq!(visitor.switcher().await, [ORG]);
    let html = alice.page("/o/xss/settings/audit-log").await;
    assert_escaped(
        &html,
        &[&format!("Created {ORG} (xss)"), &format!("{PERSON} asked to join")],
        "the audit log",
    );
    let html = visitor.post_and_follow("/o/xss/leave", &[], "/").await;
    assert_escaped(&html, &[&format!("You left {ORG}.")], "home after leaving");

    // Forms sent back with an error keep the name, escaped.
    let response = alice.post("/orgs", &[("name", ORG), ("slug", "xss")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_escaped(&html, &[], "the new-organization form");
    assert_eq!(attrs(&html, "input#name", "value"), [ORG]);
    let long = format!("{ORG}{}", "x".repeat(100));
    let response = alice.post("/o/xss/settings/general", &[("name", &long)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_escaped(&html, &[ORG], "the general tab with an error");
    assert_eq!(attrs(&html, "input#name", "value"), [long.as_str()]);

    // Renaming to and from markup.
    alice.post_and_follow("/o/xss/settings/general", &[("name", "Plain")], "/o/xss/settings/general").await;
    let html = alice.page("/o/xss/settings/audit-log").await;
    assert_escaped(&html, &[&format!("Renamed from {ORG} to Plain")], "the audit log after renaming");
}
both_databases!(an_organization_name_with_markup_is_shown_escaped_everywhere);

async fn a_search_query_with_markup_is_shown_escaped(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = alice.page(&format!("/orgs?q={}", encoded(ORG))).await;
    assert_escaped(&html, &[&format!("No organization matches “{ORG}”.")], "the search");
    assert_eq!(attrs(&html, "input#q", "value"), [ORG]);
}
both_databases!(a_search_query_with_markup_is_shown_escaped);
