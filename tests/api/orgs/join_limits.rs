//! Asking to join writes to the organization's audit log, and so does withdrawing:
//! a person who asked and withdrew waits an hour from the asking before asking the
//! same organization again, so that an outsider cannot fill someone else's log.
//! The app's clock stands still at the test epoch (28 Feb 2027, 12:00 UTC) until
//! the test moves it.

use chrono::Duration;
use reqwest::StatusCode;

use super::{
    Team, action_for, audit_actions, audit_rows, flash, int, pending_request, request_statuses, rows,
};
use crate::both_databases;
use crate::support::TestApp;

/// Olga asks to join Acme and withdraws at once.
async fn ask_and_withdraw(app: &crate::support::TestApp, w: &Team) {
    w.olga.ask_to_join("acme").await;
    let request = pending_request(app, "acme", w.olga.id).await.expect("a pending request");
    w.olga.post_and_follow(&format!("/orgs/requests/{request}/withdraw"), &[], "/orgs").await;
}

async fn asking_again_within_the_hour_after_withdrawing_is_refused_with_when_it_works(app: TestApp) {
    let w = Team::new(&app).await;
    ask_and_withdraw(&app, &w).await;
    let log = audit_rows(&app, "acme").await;

    // At once, and a minute before the hour is over: refused, saying until when.
    for wait in [Duration::zero(), Duration::minutes(59)] {
        app.advance_clock(wait);
        let response = w.olga.post("/o/acme/join-requests", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let html = w.olga.page("/orgs?q=acme").await;
        assert_eq!(
            flash(&html).as_deref(),
            Some(
                "You asked to join Acme Corp less than an hour ago and withdrew. \
                     You can ask again from 28 Feb 2027 13:00 UTC."
            )
        );
        // The result says so too, instead of offering to ask.
        assert_eq!(
            action_for(&html, "Acme Corp"),
            "You withdrew a request less than an hour ago. You can ask again from 28 Feb 2027 13:00 UTC."
        );
        assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["withdrawn"]);
        assert_eq!(audit_rows(&app, "acme").await, log, "nothing more is logged");
    }
    // Other organizations are not affected.
    w.olga.ask_to_join("bolt").await;
    assert_eq!(request_statuses(&app, "bolt", w.olga.id).await, ["pending"]);

    // An hour after the asking, she may ask again.
    app.advance_clock(Duration::minutes(1));
    let html = w.olga.page("/orgs?q=acme").await;
    assert_eq!(action_for(&html, "Acme Corp"), "Ask to join Acme Corp");
    w.olga.ask_to_join("acme").await;
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["withdrawn", "pending"]);
    let html = w.alice.page("/o/acme/settings/members").await;
    assert_eq!(rows(&html, "[data-testid=join-requests]")[0][..2], ["Olga", "dev: Olga"]);
}
both_databases!(asking_again_within_the_hour_after_withdrawing_is_refused_with_when_it_works, at_epoch);

async fn the_time_to_wait_is_counted_from_the_asking_and_shown_rounded_up(app: TestApp) {
    let w = Team::new(&app).await;
    // Asked at 12:00:30, withdrawn at 12:20.
    app.advance_clock(Duration::seconds(30));
    w.olga.ask_to_join("acme").await;
    app.advance_clock(Duration::minutes(20));
    let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    w.olga.post_and_follow(&format!("/orgs/requests/{request}/withdraw"), &[], "/orgs").await;
    let html = w.olga.page("/orgs?q=acme").await;
    assert_eq!(
        action_for(&html, "Acme Corp"),
        "You withdrew a request less than an hour ago. You can ask again from 28 Feb 2027 13:01 UTC."
    );
    // 13:00:29: still too soon; 13:00:30: fine.
    app.advance_clock(Duration::minutes(39) + Duration::seconds(59));
    w.olga.post("/o/acme/join-requests", &[]).await;
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["withdrawn"]);
    app.advance_clock(Duration::seconds(1));
    w.olga.page("/orgs").await;
    w.olga.ask_to_join("acme").await;
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["withdrawn", "pending"]);
}
both_databases!(the_time_to_wait_is_counted_from_the_asking_and_shown_rounded_up, at_epoch);

async fn twenty_five_ask_and_withdraw_cycles_leave_one_in_the_log(app: TestApp) {
    let w = Team::new(&app).await;
    let before = audit_actions(&app, "acme").await.len();
    ask_and_withdraw(&app, &w).await;
    for _ in 1..25 {
        let response = w.olga.post("/o/acme/join-requests", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(pending_request(&app, "acme", w.olga.id).await.is_none());
    }
    let actions = audit_actions(&app, "acme").await;
    assert_eq!(actions[before..], ["join_request.created", "join_request.withdrawn"]);
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["withdrawn"]);
}
both_databases!(twenty_five_ask_and_withdraw_cycles_leave_one_in_the_log, at_epoch);

async fn a_withdrawal_is_in_the_audit_log(app: TestApp) {
    let w = Team::new(&app).await;
    ask_and_withdraw(&app, &w).await;
    let stored = audit_rows(&app, "acme").await;
    assert_eq!(
        stored[stored.len() - 2..],
        [
            format!("join_request.created | {0} | {0} | Olga asked to join", w.olga.id),
            format!("join_request.withdrawn | {0} | {0} | Olga withdrew their request to join", w.olga.id),
        ]
    );
    let html = w.alice.page("/o/acme/settings/audit-log").await;
    assert_eq!(
        rows(&html, "[data-testid=audit-log]")[0][1..],
        ["Olga dev: Olga", "join_request.withdrawn", "Olga withdrew their request to join"]
    );
    // A failed withdrawal (already withdrawn) logs nothing.
    let request = int(
        &app,
        format!("SELECT id AS v FROM join_requests WHERE user_id = {} ORDER BY id DESC", w.olga.id),
    )
    .await
    .unwrap();
    let response = w.olga.post(&format!("/orgs/requests/{request}/withdraw"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit_rows(&app, "acme").await, stored);
}
both_databases!(a_withdrawal_is_in_the_audit_log, at_epoch);

async fn a_rejected_person_may_ask_again_at_once(app: TestApp) {
    // The wait is for withdrawals, which the asker alone controls; an answer
    // from the admins is not one.
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    w.alice
        .post_and_follow(
            &format!("/o/acme/settings/requests/{request}/reject"),
            &[],
            "/o/acme/settings/members",
        )
        .await;
    w.olga.ask_to_join("acme").await;
    assert_eq!(request_statuses(&app, "acme", w.olga.id).await, ["rejected", "pending"]);
}
both_databases!(a_rejected_person_may_ask_again_at_once, at_epoch);
