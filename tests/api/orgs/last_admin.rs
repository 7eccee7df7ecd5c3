//! An organization always keeps at least one admin.

use reqwest::StatusCode;

use super::{Browser, Team, admin_count, audit_actions, flash, join, role, snapshot};
use crate::both_databases;
use crate::support::{TestApp, location};

const CANNOT_LEAVE: &str = "You are the last admin, so you cannot leave. Make another member an admin first.";
const CANNOT_DEMOTE: &str = "The organization needs at least one admin. Make someone else an admin first.";
const CANNOT_REMOVE: &str = "The last admin cannot be removed. Make someone else an admin first.";

fn role_path(user: &Browser) -> String {
    format!("/o/acme/settings/members/{}/role", user.id)
}

fn remove_path(user: &Browser) -> String {
    format!("/o/acme/settings/members/{}/remove", user.id)
}

/// Alice makes Mia an admin too.
async fn two_admins(app: &TestApp, w: &Team) {
    w.alice.post_and_follow(&role_path(&w.mia), &[("role", "admin")], "/o/acme/settings/members").await;
    assert_eq!(admin_count(app, "acme").await, 2);
}

/// The role of each of the two, and the admin count.
async fn roles(app: &TestApp, w: &Team) -> (Option<String>, Option<String>, i64) {
    (role(app, "acme", w.alice.id).await, role(app, "acme", w.mia.id).await, admin_count(app, "acme").await)
}

async fn the_last_admin_cannot_leave(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    let html = w.alice.post_and_follow("/o/acme/leave", &[], "/o/acme").await;
    assert_eq!(flash(&html).as_deref(), Some(CANNOT_LEAVE));
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(role(&app, "acme", w.alice.id).await.as_deref(), Some("admin"));
}
both_databases!(the_last_admin_cannot_leave);

async fn the_last_admin_cannot_be_demoted(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    let html = w
        .alice
        .post_and_follow(&role_path(&w.alice), &[("role", "member")], "/o/acme/settings/members")
        .await;
    assert_eq!(flash(&html).as_deref(), Some(CANNOT_DEMOTE));
    assert_eq!(snapshot(&app).await, before);
    w.alice.page("/o/acme/settings/general").await;
}
both_databases!(the_last_admin_cannot_be_demoted);

async fn the_last_admin_cannot_be_removed(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    let html = w.alice.post_and_follow(&remove_path(&w.alice), &[], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some(CANNOT_REMOVE));
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(the_last_admin_cannot_be_removed);

async fn with_two_admins_one_can_be_demoted_but_not_the_other_after_that(app: TestApp) {
    let w = Team::new(&app).await;
    two_admins(&app, &w).await;
    // Mia, now an admin, demotes Alice.
    let html =
        w.mia.post_and_follow(&role_path(&w.alice), &[("role", "member")], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some("The role was changed to member."));
    assert_eq!(roles(&app, &w).await, (Some("member".into()), Some("admin".into()), 1));
    assert_eq!(w.alice.get("/o/acme/settings/members").await.status(), StatusCode::FORBIDDEN);
    // Mia is now the last admin.
    let audit = audit_actions(&app, "acme").await.len();
    let html =
        w.mia.post_and_follow(&role_path(&w.mia), &[("role", "member")], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some(CANNOT_DEMOTE));
    let html = w.mia.post_and_follow("/o/acme/leave", &[], "/o/acme").await;
    assert_eq!(flash(&html).as_deref(), Some(CANNOT_LEAVE));
    assert_eq!(roles(&app, &w).await, (Some("member".into()), Some("admin".into()), 1));
    assert_eq!(audit_actions(&app, "acme").await.len(), audit);
}
both_databases!(with_two_admins_one_can_be_demoted_but_not_the_other_after_that);

async fn with_two_admins_one_can_leave(app: TestApp) {
    let w = Team::new(&app).await;
    two_admins(&app, &w).await;
    let html = w.alice.post_and_follow("/o/acme/leave", &[], "/").await;
    assert_eq!(flash(&html).as_deref(), Some("You left Acme Corp."));
    assert_eq!(roles(&app, &w).await, (None, Some("admin".into()), 1));
    assert_eq!(w.alice.get("/o/acme").await.status(), StatusCode::NOT_FOUND);
}
both_databases!(with_two_admins_one_can_leave);

async fn with_two_admins_one_can_remove_the_other(app: TestApp) {
    let w = Team::new(&app).await;
    two_admins(&app, &w).await;
    let html = w.mia.post_and_follow(&remove_path(&w.alice), &[], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some("The member was removed."));
    assert_eq!(roles(&app, &w).await, (None, Some("admin".into()), 1));
}
both_databases!(with_two_admins_one_can_remove_the_other);

async fn an_admin_using_remove_on_themselves_leaves(app: TestApp) {
    let w = Team::new(&app).await;
    two_admins(&app, &w).await;
    let html = w.alice.post_and_follow(&remove_path(&w.alice), &[], "/").await;
    assert_eq!(flash(&html).as_deref(), Some("You left Acme Corp."));
    assert_eq!(roles(&app, &w).await, (None, Some("admin".into()), 1));
    assert_eq!(audit_actions(&app, "acme").await.last().map(String::as_str), Some("member.left"));
}
both_databases!(an_admin_using_remove_on_themselves_leaves);

async fn two_admins_demoting_each_other_at_once_leave_one_admin(app: TestApp) {
    let w = Team::new(&app).await;
    for round in 0..5 {
        two_admins(&app, &w).await;
        let changes = audit_actions(&app, "acme").await.len();
        let (demote_mia, demote_alice) = (role_path(&w.mia), role_path(&w.alice));
        let (a, b) = tokio::join!(
            w.alice.post(&demote_mia, &[("role", "member")]),
            w.mia.post(&demote_alice, &[("role", "member")]),
        );
        // The one served second is refused: by the last-admin rule (303 with a
        // message) or, if the first was already done, as a member (403).
        let statuses = [a.status(), b.status()];
        assert!(statuses.contains(&StatusCode::SEE_OTHER), "round {round}: {statuses:?}");
        assert!(
            statuses.iter().all(|s| [StatusCode::SEE_OTHER, StatusCode::FORBIDDEN].contains(s)),
            "round {round}: {statuses:?}"
        );
        assert_eq!(admin_count(&app, "acme").await, 1, "round {round}");
        // One demotion went through and was logged.
        assert_eq!(audit_actions(&app, "acme").await.len(), changes + 1, "round {round}");
        let flashes = [flash(&w.alice.page("/").await), flash(&w.mia.page("/").await)];
        assert!(
            flashes.contains(&Some("The role was changed to member.".to_string())),
            "round {round}: {flashes:?}"
        );
        if statuses == [StatusCode::SEE_OTHER; 2] {
            assert!(flashes.contains(&Some(CANNOT_DEMOTE.to_string())), "round {round}: {flashes:?}");
        }
        // Whoever is still the admin makes the other one admin again.
        if role(&app, "acme", w.mia.id).await.as_deref() == Some("admin") {
            w.mia
                .post_and_follow(&role_path(&w.alice), &[("role", "admin")], "/o/acme/settings/members")
                .await;
            w.alice
                .post_and_follow(&role_path(&w.mia), &[("role", "member")], "/o/acme/settings/members")
                .await;
        }
        assert_eq!(roles(&app, &w).await, (Some("admin".into()), Some("member".into()), 1));
    }
}
both_databases!(two_admins_demoting_each_other_at_once_leave_one_admin);

async fn two_admins_leaving_at_once_leave_one_admin(app: TestApp) {
    let w = Team::new(&app).await;
    two_admins(&app, &w).await;
    let (a, b) = tokio::join!(w.alice.post("/o/acme/leave", &[]), w.mia.post("/o/acme/leave", &[]));
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    let mut places = [location(&a), location(&b)];
    places.sort();
    assert_eq!(places, ["/", "/o/acme"]);
    assert_eq!(admin_count(&app, "acme").await, 1);
}
both_databases!(two_admins_leaving_at_once_leave_one_admin);

async fn two_admins_removing_each_other_at_once_leave_one_admin(app: TestApp) {
    let w = Team::new(&app).await;
    let olga = &w.olga;
    join(&app, olga, &w.alice, "acme").await;
    two_admins(&app, &w).await;
    let (remove_mia, remove_alice) = (remove_path(&w.mia), remove_path(&w.alice));
    let (a, b) = tokio::join!(w.alice.post(&remove_mia, &[]), w.mia.post(&remove_alice, &[]));
    // The one served second finds its author removed already (404) or is
    // refused by the last-admin rule (303 with a message).
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert!(
        statuses == [StatusCode::SEE_OTHER; 2] || statuses == [StatusCode::SEE_OTHER, StatusCode::NOT_FOUND],
        "{statuses:?}"
    );
    assert_eq!(admin_count(&app, "acme").await, 1);
    assert_eq!(audit_actions(&app, "acme").await.last().map(String::as_str), Some("member.removed"));
    assert_eq!(role(&app, "acme", olga.id).await.as_deref(), Some("member"));
}
both_databases!(two_admins_removing_each_other_at_once_leave_one_admin);
