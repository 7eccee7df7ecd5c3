//! Remove (a member) and Leave (an organization) ask first: their buttons are
//! links to a confirmation page (a POST form naming the person or the
//! organization), which scripts turn into a dialog asking the same. The last
//! admin is not offered "Leave" at all, but told why.

use reqwest::StatusCode;

use super::{Browser, Team, admin_count, attrs, flash, page_text, role, snapshot, texts};
use crate::both_databases;
use crate::support::{TestApp, csrf_token_in, location, text};

const CANNOT_LEAVE: &str = "You are the last admin of Acme Corp, so you cannot leave it: someone must be able \
                            to manage it. To leave, first make another member an admin on Settings > Members.";

fn remove_path(user: &Browser) -> String {
    format!("/o/acme/settings/members/{}/remove", user.id)
}

/// Alice makes Mia an admin too.
async fn two_admins(app: &TestApp, w: &Team) {
    let path = format!("/o/acme/settings/members/{}/role", w.mia.id);
    w.alice.post_and_follow(&path, &[("role", "admin")], "/o/acme/settings/members").await;
    assert_eq!(admin_count(app, "acme").await, 2);
}

/// The POST forms of a page (outside the header's Sign out), by action.
fn post_forms(html: &str) -> Vec<String> {
    attrs(html, "main form[method=post]", "action")
}

async fn remove_on_the_members_page_is_a_link_to_a_page_that_names_the_member(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.alice.page("/o/acme/settings/members").await;
    // No one-click removal: Remove is a link (to the confirmation page), not a form.
    assert!(!post_forms(&html).iter().any(|action| action.ends_with("/remove")), "{:?}", post_forms(&html));
    let links = attrs(&html, "[data-testid=members] a[data-confirm=remove-member-dialog]", "href");
    assert_eq!(links, [remove_path(&w.mia)]);
    assert_eq!(texts(&html, "[data-testid=members] a[data-confirm=remove-member-dialog]"), ["Remove Mia"]);
    // What the dialog shows comes with the link; the dialog posts with the session's token.
    assert_eq!(attrs(&html, "a[data-confirm=remove-member-dialog]", "data-name"), ["Mia"]);
    assert_eq!(attrs(&html, "a[data-confirm=remove-member-dialog]", "data-identities"), ["dev: Mia"]);
    assert_eq!(
        attrs(&html, "dialog#remove-member-dialog[data-confirm-dialog]", "id"),
        ["remove-member-dialog"]
    );
    assert_eq!(
        attrs(&html, "dialog#remove-member-dialog form[method=post] input[name=csrf_token]", "value"),
        [w.alice.csrf_token()]
    );

    // Opening the page changes nothing; it names Mia and how she signs in.
    let before = snapshot(&app).await;
    let html = w.alice.page(&remove_path(&w.mia)).await;
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(
        text(&html, "[data-testid=confirm-remove] p").as_deref(),
        Some(
            "Remove Mia (dev: Mia) from Acme Corp? They lose access to it and its API keys at once, and their \
             user keys stop reaching it."
        )
    );
    assert_eq!(
        attrs(&html, "[data-testid=confirm-remove] form[method=post]", "action"),
        [remove_path(&w.mia)]
    );
    assert_eq!(csrf_token_in(&html).as_deref(), Some(w.alice.csrf_token()));
    assert_eq!(attrs(&html, "[data-testid=confirm-remove] a", "href"), ["/o/acme/settings/members"]);
    assert_eq!(texts(&html, "[data-testid=confirm-remove] button"), ["Remove member"]);
    assert_eq!(text(&html, "nav.tabs a[aria-current=page]").as_deref(), Some("Members"));

    // Its button removes her.
    let html = w.alice.post_and_follow(&remove_path(&w.mia), &[], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some("The member was removed."));
    assert_eq!(role(&app, "acme", w.mia.id).await, None);
}
both_databases!(remove_on_the_members_page_is_a_link_to_a_page_that_names_the_member);

async fn the_remove_page_is_for_this_organizations_admins_and_members_only(app: TestApp) {
    let w = Team::new(&app).await;
    // A member: 403; an outsider and an admin of another organization: 404.
    assert_eq!(w.mia.get(&remove_path(&w.alice)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.olga.get(&remove_path(&w.mia)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.bob.get(&remove_path(&w.mia)).await.status(), StatusCode::NOT_FOUND);
    // Someone who is not a member of Acme, or no one: 404, without their name.
    let response = w.alice.get(&format!("/o/acme/settings/members/{}/remove", w.bob.id)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.text().await.unwrap().contains("Bob"));
    for path in ["/o/acme/settings/members/999999/remove", "/o/acme/settings/members/abc/remove"] {
        assert_eq!(w.alice.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Bob's own organization does not reach Acme's members either.
    let response = w.bob.get(&format!("/o/bolt/settings/members/{}/remove", w.mia.id)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // An admin's own row leads to leaving.
    let response = w.alice.get(&remove_path(&w.alice)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/o/acme/leave");
}
both_databases!(the_remove_page_is_for_this_organizations_admins_and_members_only);

async fn leave_on_the_organization_page_is_a_link_to_a_page_that_names_it(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.mia.page("/o/acme").await;
    // No one-click leaving: the page has no POST form at all, only a link.
    assert_eq!(post_forms(&html), ["/o/acme/leave"], "only the dialog's form");
    assert_eq!(attrs(&html, "dialog#leave-dialog form[method=post]", "action"), ["/o/acme/leave"]);
    assert!(text(&html, "main [data-testid=leave] form").is_none());
    let links = attrs(&html, "[data-testid=leave] a[data-confirm=leave-dialog]", "href");
    assert_eq!(links, ["/o/acme/leave"]);
    assert_eq!(texts(&html, "[data-testid=leave] a").as_slice(), ["Leave Acme Corp"]);
    // Not a button, and after the page's own content.
    assert_eq!(attrs(&html, "[data-testid=leave] a", "class"), ["danger-link"]);
    assert_eq!(attrs(&html, "main > section", "class"), ["panel", "leave"]);
    let buttons = texts(&html, "main > :not(dialog) .button");
    assert!(buttons.iter().all(|b| !b.contains("Leave")), "{buttons:?}");
    assert_eq!(
        text(&html, "dialog#leave-dialog p").as_deref(),
        Some(
            "You lose access to Acme Corp and its API keys at once, and your user keys stop reaching it. To come \
             back, ask to join again."
        )
    );

    // The confirmation page changes nothing and names the organization.
    let before = snapshot(&app).await;
    let html = w.mia.page("/o/acme/leave").await;
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(text(&html, "[data-testid=confirm-leave] h1").as_deref(), Some("Leave Acme Corp?"));
    assert_eq!(attrs(&html, "[data-testid=confirm-leave] form[method=post]", "action"), ["/o/acme/leave"]);
    assert_eq!(csrf_token_in(&html).as_deref(), Some(w.mia.csrf_token()));
    assert_eq!(attrs(&html, "[data-testid=confirm-leave] a.button", "href"), ["/o/acme"]);
    assert_eq!(texts(&html, "[data-testid=confirm-leave] button"), ["Leave Acme Corp"]);

    let html = w.mia.post_and_follow("/o/acme/leave", &[], "/").await;
    assert_eq!(flash(&html).as_deref(), Some("You left Acme Corp."));
    assert_eq!(role(&app, "acme", w.mia.id).await, None);
    // Gone: the page is not found any more, like for any outsider.
    assert_eq!(w.mia.get("/o/acme/leave").await.status(), StatusCode::NOT_FOUND);
}
both_databases!(leave_on_the_organization_page_is_a_link_to_a_page_that_names_it);

async fn the_leave_page_is_not_found_by_outsiders(app: TestApp) {
    let w = Team::new(&app).await;
    for person in [&w.olga, &w.bob] {
        for path in ["/o/acme/leave", "/o/no-such-org/leave"] {
            let response = person.get(path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{} {path}", person.name);
            assert!(!response.text().await.unwrap().contains("Acme Corp"));
        }
    }
    let response = Browser::anonymous(&app).await.get("/o/acme/leave").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
both_databases!(the_leave_page_is_not_found_by_outsiders);

async fn the_last_admin_is_told_why_they_cannot_leave_instead_of_a_button(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.alice.page("/o/acme").await;
    assert_eq!(text(&html, "[data-testid=cannot-leave]").as_deref(), Some(CANNOT_LEAVE));
    assert!(attrs(&html, "a[href='/o/acme/leave']", "href").is_empty());
    assert!(post_forms(&html).is_empty(), "{:?}", post_forms(&html));
    assert!(text(&html, "dialog#leave-dialog").is_none());
    assert_eq!(
        attrs(&html, "[data-testid=cannot-leave] a", "href"),
        ["/o/acme/settings/members"],
        "where to make someone else an admin"
    );
    // The members page offers no "Leave" on her own row either.
    let html = w.alice.page("/o/acme/settings/members").await;
    assert!(attrs(&html, "a[href='/o/acme/leave']", "href").is_empty());
    assert_eq!(text(&html, "[data-testid=cannot-leave]").as_deref(), Some("The last admin cannot leave"));
    // Nor does the confirmation page (reached by its address).
    let html = w.alice.page("/o/acme/leave").await;
    assert_eq!(text(&html, "[data-testid=confirm-leave] h1").as_deref(), Some("You cannot leave Acme Corp"));
    assert_eq!(text(&html, "[data-testid=cannot-leave]").as_deref(), Some(CANNOT_LEAVE));
    assert!(post_forms(&html).is_empty(), "{:?}", post_forms(&html));

    // With a second admin she may: the link is back, on both pages.
    two_admins(&app, &w).await;
    let html = w.alice.page("/o/acme").await;
    assert!(text(&html, "[data-testid=cannot-leave]").is_none());
    assert_eq!(attrs(&html, "[data-testid=leave] a[data-confirm=leave-dialog]", "href"), ["/o/acme/leave"]);
    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(attrs(&html, "[data-testid=members] a[data-confirm=leave-dialog]", "href"), ["/o/acme/leave"]);
    assert_eq!(attrs(&html, "dialog#leave-dialog form[method=post]", "action"), ["/o/acme/leave"]);
    let html = w.alice.page("/o/acme/leave").await;
    assert_eq!(text(&html, "[data-testid=confirm-leave] h1").as_deref(), Some("Leave Acme Corp?"));
    let html = w.alice.post_and_follow("/o/acme/leave", &[], "/").await;
    assert!(page_text(&html).contains("You left Acme Corp."));
}
both_databases!(the_last_admin_is_told_why_they_cannot_leave_instead_of_a_button);
