//! Joining: find an organization, ask to join, the admins answer; or withdraw.

use monkeyci_accounts::domain::join_request::ASK_AGAIN_AFTER;
use reqwest::StatusCode;

use super::{
    SEARCH_RESULTS, Team, action_for, attrs, audit_actions, audit_rows, count, first_column, flash, join,
    pending_request, request_statuses, role, rows, snapshot,
};
use crate::both_databases;
use crate::support::{TestApp, location, text_of};

const MY_REQUESTS: &str = "[data-testid=my-requests]";
const JOIN_REQUESTS: &str = "[data-testid=join-requests]";

/// The state shown for each of the person's requests: (organization, state).
fn my_requests(html: &str) -> Vec<(String, String)> {
    rows(html, MY_REQUESTS).into_iter().map(|row| (row[0].clone(), row[2].clone())).collect()
}

async fn pending_count(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM join_requests WHERE status = 'pending'".to_string()).await
}

async fn a_person_finds_an_organization_asks_to_join_and_is_approved(app: TestApp) {
    let w = Team::new(&app).await;
    let olga = &w.olga;

    // Olga finds Acme and asks to join with the form on the results.
    let html = olga.page("/orgs?q=acme").await;
    assert_eq!(action_for(&html, "Acme Corp"), "Ask to join Acme Corp");
    let forms = attrs(&html, &format!("{SEARCH_RESULTS} form"), "action");
    assert_eq!(forms, ["/o/acme/join-requests"]);
    let html = olga.post_and_follow(&forms[0], &[], "/orgs").await;
    assert_eq!(
        flash(&html).as_deref(),
        Some("You asked to join Acme Corp. Its admins will answer your request.")
    );
    assert_eq!(my_requests(&html), [("Acme Corp".to_string(), "pending".to_string())]);

    // The result now says so, with a way to take it back.
    let html = olga.page("/orgs?q=acme").await;
    assert_eq!(action_for(&html, "Acme Corp"), "Request pending Withdraw");
    assert_eq!(olga.get("/o/acme").await.status(), StatusCode::NOT_FOUND);

    // Alice sees the request and approves it with the form on her members page.
    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(first_column(&html, JOIN_REQUESTS), ["Olga"]);
    let request = pending_request(&app, "acme", olga.id).await.unwrap();
    let forms = attrs(&html, &format!("{JOIN_REQUESTS} form"), "action");
    assert_eq!(
        forms,
        [
            format!("/o/acme/settings/requests/{request}/approve"),
            format!("/o/acme/settings/requests/{request}/reject")
        ]
    );
    let html = w.alice.post_and_follow(&forms[0], &[], "/o/acme/settings/members").await;
    assert_eq!(flash(&html).as_deref(), Some("The request was approved: they are now a member."));
    assert!(text_of(&html, JOIN_REQUESTS).is_none());
    assert!(first_column(&html, "[data-testid=members]").contains(&"Olga".to_string()));
    assert_eq!(role(&app, "acme", olga.id).await.as_deref(), Some("member"));

    // Olga is a member: the switcher lists Acme and its page opens.
    assert_eq!(olga.switcher().await, ["Acme Corp"]);
    let html = olga.page("/o/acme").await;
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Acme Corp"));
    assert!(first_column(&html, "[data-testid=members]").contains(&"Olga".to_string()));
    let html = olga.page("/orgs?q=acme").await;
    assert_eq!(action_for(&html, "Acme Corp"), "Open");
    assert_eq!(my_requests(&html), [("Acme Corp".to_string(), "approved".to_string())]);
    assert!(attrs(&html, &format!("{MY_REQUESTS} a"), "href").contains(&"/o/acme".to_string()));

    let actions = audit_actions(&app, "acme").await;
    assert_eq!(
        actions[actions.len() - 3..],
        ["join_request.created", "join_request.approved", "member.joined"]
    );
}
both_databases!(a_person_finds_an_organization_asks_to_join_and_is_approved);

async fn asking_twice_does_not_duplicate_the_request(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    let html = w.olga.post_and_follow("/o/acme/join-requests", &[], "/orgs").await;
    assert_eq!(flash(&html).as_deref(), Some("You already asked to join Acme Corp."));
    assert_eq!(my_requests(&html).len(), 1);
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["pending"]);
    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(first_column(&html, JOIN_REQUESTS), ["Olga"]);
    let created = audit_actions(&app, "acme").await.iter().filter(|a| *a == "join_request.created").count();
    assert_eq!(created, 2, "Mia's and Olga's");
}
both_databases!(asking_twice_does_not_duplicate_the_request);

async fn a_person_may_ask_several_organizations(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    w.olga.ask_to_join("bolt").await;
    let html = w.olga.page("/orgs").await;
    // Newest first.
    assert_eq!(
        my_requests(&html),
        [("Bolt Labs".to_string(), "pending".to_string()), ("Acme Corp".to_string(), "pending".to_string())]
    );
    let html = w.bob.page("/o/bolt/settings/members").await;
    assert_eq!(first_column(&html, JOIN_REQUESTS), ["Olga"]);
}
both_databases!(a_person_may_ask_several_organizations);

async fn a_rejected_request_is_shown_as_rejected_and_can_be_made_again(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    let html = w
        .alice
        .post_and_follow(
            &format!("/o/acme/settings/requests/{request}/reject"),
            &[],
            "/o/acme/settings/members",
        )
        .await;
    assert_eq!(flash(&html).as_deref(), Some("The request was rejected."));
    assert!(text_of(&html, JOIN_REQUESTS).is_none());
    assert!(!first_column(&html, "[data-testid=members]").contains(&"Olga".to_string()));
    assert!(role(&app, "acme", w.olga.id).await.is_none());
    assert_eq!(w.olga.get("/o/acme").await.status(), StatusCode::NOT_FOUND);
    assert!(w.olga.switcher().await.is_empty());

    let html = w.olga.page("/orgs?q=acme").await;
    assert_eq!(my_requests(&html), [("Acme Corp".to_string(), "rejected".to_string())]);
    assert_eq!(action_for(&html, "Acme Corp"), "Ask to join Acme Corp");
    assert_eq!(audit_actions(&app, "acme").await.last().map(String::as_str), Some("join_request.rejected"));

    // She may ask again: a new request, the old answer kept.
    w.olga.ask_to_join("acme").await;
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["rejected", "pending"]);
    let html = w.olga.page("/orgs").await;
    assert_eq!(
        my_requests(&html),
        [("Acme Corp".to_string(), "pending".to_string()), ("Acme Corp".to_string(), "rejected".to_string())]
    );
}
both_databases!(a_rejected_request_is_shown_as_rejected_and_can_be_made_again);

async fn a_request_can_be_withdrawn(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    let html = w.olga.page("/orgs?q=acme").await;
    let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    let withdraw = format!("/orgs/requests/{request}/withdraw");
    // Both the result and "Your requests" offer it.
    assert_eq!(attrs(&html, &format!("{SEARCH_RESULTS} form"), "action"), [withdraw.as_str()]);
    assert_eq!(attrs(&html, &format!("{MY_REQUESTS} form"), "action"), [withdraw.as_str()]);

    let html = w.olga.post_and_follow(&withdraw, &[], "/orgs").await;
    assert_eq!(flash(&html).as_deref(), Some("Your request was withdrawn."));
    assert_eq!(my_requests(&html), [("Acme Corp".to_string(), "withdrawn".to_string())]);
    assert!(attrs(&html, &format!("{MY_REQUESTS} form"), "action").is_empty());
    let html = w.alice.page("/o/acme/settings/members").await;
    assert!(text_of(&html, JOIN_REQUESTS).is_none());

    // A withdrawn request can no longer be answered.
    let before = snapshot(&app).await;
    for decision in ["approve", "reject"] {
        let response = w.alice.post(&format!("/o/acme/settings/requests/{request}/{decision}"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{decision}");
    }
    assert_eq!(snapshot(&app).await, before);
    assert!(role(&app, "acme", w.olga.id).await.is_none());
}
both_databases!(a_request_can_be_withdrawn);

async fn an_answered_request_cannot_be_answered_again(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    let approve = format!("/o/acme/settings/requests/{request}/approve");
    let reject = format!("/o/acme/settings/requests/{request}/reject");
    w.alice.post_and_follow(&approve, &[], "/o/acme/settings/members").await;
    let before = snapshot(&app).await;
    assert_eq!(w.alice.post(&approve, &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.alice.post(&reject, &[]).await.status(), StatusCode::NOT_FOUND);
    // Nor withdrawn by its author.
    assert_eq!(
        w.olga.post(&format!("/orgs/requests/{request}/withdraw"), &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["approved"]);
}
both_databases!(an_answered_request_cannot_be_answered_again);

async fn a_member_asking_to_join_is_told_they_already_are_one(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    for (member, slug, name) in
        [(&w.mia, "acme", "Acme Corp"), (&w.alice, "acme", "Acme Corp"), (&w.bob, "bolt", "Bolt Labs")]
    {
        let html = member.post_and_follow(&format!("/o/{slug}/join-requests"), &[], "/orgs").await;
        assert_eq!(flash(&html).as_deref(), Some(format!("You are already a member of {name}.").as_str()));
    }
    assert_eq!(snapshot(&app).await, before);
    let html = w.mia.page("/orgs?q=acme").await;
    assert_eq!(action_for(&html, "Acme Corp"), "Open");
}
both_databases!(a_member_asking_to_join_is_told_they_already_are_one);

async fn asking_to_join_an_unknown_organization_is_404(app: TestApp) {
    let w = Team::new(&app).await;
    let before = pending_count(&app).await;
    assert_eq!(w.olga.post("/o/no-such-org/join-requests", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(pending_count(&app).await, before);
}
both_databases!(asking_to_join_an_unknown_organization_is_404);

async fn a_person_who_left_can_ask_and_join_again(app: TestApp) {
    // Olga asks, is approved, leaves, and asks again: the new request works like the first.
    let w = Team::new(&app).await;
    join(&app, &w.olga, &w.alice, "acme").await;
    let response = w.olga.post("/o/acme/leave", &[]).await;
    assert_eq!(location(&response), "/");
    assert!(role(&app, "acme", w.olga.id).await.is_none());
    join(&app, &w.olga, &w.alice, "acme").await;
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["approved", "approved"]);
    let joined = audit_rows(&app, "acme")
        .await
        .iter()
        .filter(|r| r.starts_with("member.joined") && r.ends_with("Olga joined as member"))
        .count();
    assert_eq!(joined, 2);
}
both_databases!(a_person_who_left_can_ask_and_join_again);

// The clock moves past the wait after a withdrawal before each round.
async fn people_asking_to_join_at_the_same_time_each_get_one_request(app: TestApp) {
    let w = Team::new(&app).await;
    for round in 0..10 {
        app.advance_clock(ASK_AGAIN_AFTER);
        // Two people at once, and a double click.
        let (a, b, c) = tokio::join!(
            w.olga.post("/o/acme/join-requests", &[]),
            w.olga.post("/o/acme/join-requests", &[]),
            w.bob.post("/o/acme/join-requests", &[]),
        );
        for (who, response) in [("Olga", a), ("Olga again", b), ("Bob", c)] {
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "round {round}: {who}");
        }
        for person in [&w.olga, &w.bob] {
            let request = pending_request(&app, "acme", person.id).await;
            let request = request.unwrap_or_else(|| panic!("round {round}: {} has a request", person.name));
            person.post_and_follow(&format!("/orgs/requests/{request}/withdraw"), &[], "/orgs").await;
        }
    }
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM join_requests".to_string()).await, 21);
}
both_databases!(people_asking_to_join_at_the_same_time_each_get_one_request, at_epoch);

async fn a_request_approved_and_withdrawn_at_once_ends_one_way_only(app: TestApp) {
    let w = Team::new(&app).await;
    for round in 0..30 {
        app.advance_clock(ASK_AGAIN_AFTER);
        w.olga.ask_to_join("acme").await;
        let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
        let approve = format!("/o/acme/settings/requests/{request}/approve");
        let withdraw = format!("/orgs/requests/{request}/withdraw");
        let (approved, withdrawn) = tokio::join!(w.alice.post(&approve, &[]), w.olga.post(&withdraw, &[]));
        let approved = approved.status() == StatusCode::SEE_OTHER;
        let withdrawn = withdrawn.status() == StatusCode::SEE_OTHER;
        let member = role(&app, "acme", w.olga.id).await.is_some();
        let status = request_statuses(&app, "acme", w.olga.id).await.pop().unwrap();
        assert!(
            approved != withdrawn,
            "round {round}: approved {approved}, withdrawn {withdrawn}, member {member}, {status}"
        );
        assert_eq!(member, approved, "round {round}");
        assert_eq!(status, if approved { "approved" } else { "withdrawn" }, "round {round}");
        // Back to the start: page views clear the messages; Olga is not a member.
        w.alice.page("/").await;
        w.olga.page("/").await;
        if member {
            let remove = format!("/o/acme/settings/members/{}/remove", w.olga.id);
            w.alice.post_and_follow(&remove, &[], "/o/acme/settings/members").await;
        }
    }
}
both_databases!(a_request_approved_and_withdrawn_at_once_ends_one_way_only, at_epoch);
