//! A mail that cannot be delivered is kept, logged and tried again with
//! backoff, and goes out once the SMTP server is back. Without SMTP nothing is
//! sent and no reminder is claimed.

use std::sync::Arc;
use std::time::Duration;

use monkeyci_accounts::mail::SmtpUrl;
use monkeyci_accounts::mail::counts::MailCounts;
use monkeyci_accounts::mail::sender::MailSender;

use super::*;
use crate::both_databases;
use crate::keys::{ACME_KEYS, set_clock};
use crate::support::{Browser, SmtpSink, count, execute, strings};

async fn outbox(app: &TestApp) -> Vec<String> {
    strings(
        app,
        "SELECT recipient || ' attempts=' || CAST(attempts AS TEXT) || ' sent=' || \
           CASE WHEN sent_at IS NULL THEN 'no' ELSE 'yes' END AS v FROM outbound_mails ORDER BY id"
            .into(),
    )
    .await
}

async fn wait_until(mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if done().await {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting");
}

async fn a_reminder_that_failed_is_sent_after_the_smtp_server_comes_back(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    // Nobody listens at the app's SMTP address yet.
    alice.create_key(ACME_KEYS, "Deploys", "2027-03-03").await;
    wait_until(async || outbox(&app).await == ["alice@example.com attempts=1 sent=no"]).await;
    let error = strings(&app, "SELECT last_error AS v FROM outbound_mails".into()).await;
    assert!(error[0].to_lowercase().contains("connect"), "{error:?}");
    assert!(app.logs().contains("could not send an e-mail; will retry"), "the failure is logged");

    // The server comes back; the mail waits for its retry time (30 s by the app's clock)…
    let sink = sink_for(&app);
    assert!(sink.received_after(Duration::from_millis(600)).await.is_empty(), "not before its time");
    // …and goes out once it has come.
    app.advance_clock(chrono::Duration::seconds(31));
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].rcpt_tos, ["alice@example.com"]);
    assert_eq!(mails[0].subject, "Your API key “Deploys” stops working in 7 days");
    wait_until(async || outbox(&app).await == ["alice@example.com attempts=1 sent=yes"]).await;
    assert_eq!(sink.received_after(Duration::from_millis(400)).await.len(), 1);
}
both_databases!(a_reminder_that_failed_is_sent_after_the_smtp_server_comes_back, at_epoch, with = with_smtp);

async fn sent_mail_is_removed_after_a_week_and_counted_in_the_metrics(app: TestApp) {
    // Sent at 28 Feb 12:00: kept until 7 Mar 12:00.
    let sink = sink_for(&app);
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    alice.create_key(ACME_KEYS, "Deploys", "2027-03-03").await;
    sink.wait_for(1).await;
    let metrics = reqwest::get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("monkeyci_emails_total{outcome=\"sent\"} 1"), "{metrics}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM outbound_mails".into()).await, 1);
    // The purge runs at start and then hourly, as this sender's does.
    let sender = MailSender {
        db: app.db.clone(),
        clock: Arc::new(app.clock.clone().unwrap()),
        transport: SmtpUrl::parse(&sink.url()).unwrap().transport().unwrap(),
        from: "MonkeyCI <noreply@localhost>".parse().unwrap(),
        counts: MailCounts::default(),
    };
    set_clock(&app, at(3, 7, 11));
    assert_eq!(sender.purge().await.unwrap(), 0, "kept for a week");
    set_clock(&app, at(3, 7, 13));
    assert_eq!(sender.purge().await.unwrap(), 1);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM outbound_mails".into()).await, 0);
}
both_databases!(
    sent_mail_is_removed_after_a_week_and_counted_in_the_metrics,
    at_epoch,
    with = |options| Options { metrics: true, ..with_smtp(options) }
);

async fn without_smtp_nothing_is_sent_and_no_reminder_is_claimed(app: TestApp) {
    let sink = SmtpSink::start();
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    alice.create_key(ACME_KEYS, "Deploys", "2027-03-03").await;
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert!(sink.received().is_empty());
    assert_eq!(claims(&app).await, ["Deploys 0 0"], "left for when SMTP is configured");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM outbound_mails".into()).await, 0);
}
both_databases!(without_smtp_nothing_is_sent_and_no_reminder_is_claimed, at_epoch);

async fn a_mail_that_keeps_failing_is_given_up_loudly_and_kept(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    // Nobody ever listens at the app's SMTP address.
    alice.create_key(ACME_KEYS, "Deploys", "2027-03-03").await;
    wait_until(async || outbox(&app).await == ["alice@example.com attempts=1 sent=no"]).await;
    // As after 18 more failures: the next one is the last.
    execute(&app, "UPDATE outbound_mails SET attempts = 19".into()).await;
    app.advance_clock(chrono::Duration::hours(1));
    wait_until(async || outbox(&app).await == ["alice@example.com attempts=20 sent=no"]).await;
    assert!(app.logs().contains("gave up sending an e-mail"), "the last failure is an error in the log");
    // No more attempts, and the row stays with why it failed.
    app.advance_clock(chrono::Duration::days(1));
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(outbox(&app).await, ["alice@example.com attempts=20 sent=no"]);
    let error = strings(&app, "SELECT last_error AS v FROM outbound_mails".into()).await;
    assert!(!error[0].is_empty());
}
both_databases!(a_mail_that_keeps_failing_is_given_up_loudly_and_kept, at_epoch, with = with_smtp);
