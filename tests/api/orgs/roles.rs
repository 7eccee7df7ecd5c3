//! Members and roles: an admin changes roles and removes members; members leave.

use reqwest::StatusCode;

use super::{Team, attrs, audit_rows, first_column, flash, join, org_pages, role, rows, snapshot};
use crate::both_databases;
use crate::support::TestApp;
use crate::support::text_of;

const MEMBERS: &str = "[data-testid=members]";

async fn members_see_who_belongs_and_their_roles(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.mia.page("/o/acme").await;
    let table = rows(&html, MEMBERS);
    let people: Vec<_> = table.iter().map(|row| (row[0].as_str(), row[1].as_str())).collect();
    assert_eq!(people, [("Alice", "Admin"), ("Mia", "Member")]);
    // The admin's page has a role selector per member and a way to remove each
    // other member (a link to the confirmation; the last admin cannot leave).
    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(first_column(&html, MEMBERS), ["Alice (you)", "Mia"]);
    let selected = attrs(&html, &format!("{MEMBERS} select option[selected]"), "value");
    assert_eq!(selected, ["admin", "member"]);
    assert_eq!(
        attrs(&html, &format!("{MEMBERS} form"), "action"),
        [
            format!("/o/acme/settings/members/{}/role", w.alice.id),
            format!("/o/acme/settings/members/{}/role", w.mia.id),
        ]
    );
    assert_eq!(
        attrs(&html, &format!("{MEMBERS} .table-actions a"), "href"),
        [format!("/o/acme/settings/members/{}/remove", w.mia.id)]
    );
}
both_databases!(members_see_who_belongs_and_their_roles);

async fn an_admin_makes_a_member_an_admin(app: TestApp) {
    let w = Team::new(&app).await;
    let path = format!("/o/acme/settings/members/{}/role", w.mia.id);
    let html = w.alice.post_and_follow(&path, &[("role", "admin")], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some("The role was changed to admin."));
    assert_eq!(attrs(&html, &format!("{MEMBERS} select option[selected]"), "value"), ["admin", "admin"]);
    assert_eq!(role(&app, "acme", w.mia.id).await.as_deref(), Some("admin"));
    // Mia now has the settings.
    w.mia.page("/o/acme/settings/members").await;
    assert!(text_of(&w.mia.page("/o/acme").await, "main").unwrap().contains("You are an admin"));
    assert_eq!(
        audit_rows(&app, "acme").await.last().unwrap(),
        &format!("member.role_changed | {} | {} | Mia changed from member to admin", w.alice.id, w.mia.id)
    );
}
both_databases!(an_admin_makes_a_member_an_admin);

async fn an_admin_makes_another_admin_a_member(app: TestApp) {
    let w = Team::new(&app).await;
    let path = format!("/o/acme/settings/members/{}/role", w.mia.id);
    w.alice.post_and_follow(&path, &[("role", "admin")], "/o/acme/settings/members").await;
    let html = w.alice.post_and_follow(&path, &[("role", "member")], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some("The role was changed to member."));
    assert_eq!(role(&app, "acme", w.mia.id).await.as_deref(), Some("member"));
    assert_eq!(w.mia.get("/o/acme/settings/members").await.status(), StatusCode::FORBIDDEN);
    assert!(audit_rows(&app, "acme").await.last().unwrap().ends_with("Mia changed from admin to member"));
}
both_databases!(an_admin_makes_another_admin_a_member);

async fn giving_someone_the_role_they_have_changes_nothing(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    for (user, role) in [(w.mia.id, "member"), (w.alice.id, "admin")] {
        let path = format!("/o/acme/settings/members/{user}/role");
        let html = w.alice.post_and_follow(&path, &[("role", role)], "/o/acme/settings/members").await;
        assert_eq!(flash(&html).as_deref(), Some("Nothing changed: that is already their role."));
    }
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(giving_someone_the_role_they_have_changes_nothing);

async fn an_unknown_role_is_refused(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    let path = format!("/o/acme/settings/members/{}/role", w.mia.id);
    for junk in ["owner", "Admin", "", "admin "] {
        let response = w.alice.post(&path, &[("role", junk)]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{junk:?}");
        let html = response.text().await.unwrap();
        assert!(text_of(&html, "main").unwrap().contains("Choose admin or member."));
    }
    let response = w.alice.post(&path, &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(an_unknown_role_is_refused);

async fn an_admin_removes_a_member_who_then_gets_404(app: TestApp) {
    let w = Team::new(&app).await;
    let path = format!("/o/acme/settings/members/{}/remove", w.mia.id);
    let html = w.alice.post_and_follow(&path, &[], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some("The member was removed."));
    assert_eq!(first_column(&html, MEMBERS), ["Alice (you)"]);
    assert!(role(&app, "acme", w.mia.id).await.is_none());
    for page in org_pages("acme") {
        assert_eq!(w.mia.get(&page).await.status(), StatusCode::NOT_FOUND, "{page}");
    }
    assert_eq!(w.mia.post("/o/acme/leave", &[]).await.status(), StatusCode::NOT_FOUND);
    assert!(w.mia.switcher().await.is_empty());
    assert_eq!(
        audit_rows(&app, "acme").await.last().unwrap(),
        &format!("member.removed | {} | {} | Mia was removed", w.alice.id, w.mia.id)
    );
    // Removing her again finds no one.
    assert_eq!(w.alice.post(&path, &[]).await.status(), StatusCode::NOT_FOUND);
}
both_databases!(an_admin_removes_a_member_who_then_gets_404);

async fn a_member_leaves_and_then_gets_404(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.mia.page("/o/acme").await;
    assert_eq!(attrs(&html, "[data-testid=leave] a", "href"), ["/o/acme/leave"]);
    assert_eq!(attrs(&html, "dialog form[action='/o/acme/leave'] button[type=submit]", "type"), ["submit"]);
    let html = w.mia.post_and_follow("/o/acme/leave", &[], "/").await;
    assert_eq!(flash(&html).as_deref(), Some("You left Acme Corp."));
    assert!(role(&app, "acme", w.mia.id).await.is_none());
    assert_eq!(w.mia.get("/o/acme").await.status(), StatusCode::NOT_FOUND);
    assert!(w.mia.switcher().await.is_empty());
    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(first_column(&html, MEMBERS), ["Alice (you)"]);
    assert_eq!(
        audit_rows(&app, "acme").await.last().unwrap(),
        &format!("member.left | {} | {} | Mia left", w.mia.id, w.mia.id)
    );
    // Leaving twice: she is no longer a member.
    assert_eq!(w.mia.post("/o/acme/leave", &[]).await.status(), StatusCode::NOT_FOUND);
}
both_databases!(a_member_leaves_and_then_gets_404);

async fn changes_in_one_organization_leave_the_other_alone(app: TestApp) {
    let w = Team::new(&app).await;
    // Mia also belongs to Bolt, as a member.
    join(&app, &w.mia, &w.bob, "bolt").await;
    w.alice
        .post_and_follow(
            &format!("/o/acme/settings/members/{}/remove", w.mia.id),
            &[],
            "/o/acme/settings/members",
        )
        .await;
    assert!(role(&app, "acme", w.mia.id).await.is_none());
    assert_eq!(role(&app, "bolt", w.mia.id).await.as_deref(), Some("member"));
    assert_eq!(w.mia.switcher().await, ["Bolt Labs"]);
    w.mia.page("/o/bolt").await;
}
both_databases!(changes_in_one_organization_leave_the_other_alone);
