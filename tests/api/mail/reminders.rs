//! Expiry reminders: 7 days and 1 day before a key stops working, exactly once
//! per key and threshold, to the right people, never with the token.

use std::sync::Arc;
use std::time::Duration;

use monkeyci_accounts::clock::Clock;
use monkeyci_accounts::mail::SmtpUrl;
use monkeyci_accounts::mail::counts::MailCounts;
use monkeyci_accounts::mail::sender::MailSender;
use monkeyci_accounts::services::reminders::Reminders;

use super::*;
use crate::keys::{ACME_KEYS, USER_KEYS, set_clock};
use crate::support::{Browser, Team, count, join};
use crate::{both_databases, postgres_only};

/// The recipients of the received mails, sorted.
fn recipients(mails: &[crate::support::ReceivedMail]) -> Vec<String> {
    let mut all: Vec<String> = mails.iter().flat_map(|m| m.rcpt_tos.clone()).collect();
    all.sort();
    all
}

/// Acme's admins and members with their addresses: Alice (admin, verified),
/// Mia (made admin, verified), Bob (joins, made admin, unverified address),
/// Olga (joins as a member, verified: not told), Zoe (made admin, verified, mail off).
async fn acme_with_addresses(app: &TestApp) -> Team {
    let team = Team::new(app).await;
    give_address(app, team.alice.id, "alice@example.com", true).await;
    give_address(app, team.mia.id, "mia@example.com", true).await;
    make_admin(app, "acme", team.mia.id).await;
    join(app, &team.bob, &team.alice, "acme").await;
    make_admin(app, "acme", team.bob.id).await;
    give_address(app, team.bob.id, "bob@example.com", false).await;
    join(app, &team.olga, &team.alice, "acme").await;
    give_address(app, team.olga.id, "olga@example.com", true).await;
    let zoe = Browser::signed_in(app, "Zoe").await;
    join(app, &zoe, &team.alice, "acme").await;
    make_admin(app, "acme", zoe.id).await;
    give_address(app, zoe.id, "zoe@example.com", true).await;
    let off = zoe.post("/settings/profile/mail", &[]).await;
    assert_eq!(off.status(), reqwest::StatusCode::SEE_OTHER, "Zoe turns mail off");
    team
}

async fn an_organization_key_is_reminded_once_seven_days_and_once_one_day_before_it_stops(app: TestApp) {
    let sink = sink_for(&app);
    let team = acme_with_addresses(&app).await;
    // Stops on 10 Mar 00:00 UTC: 9.5 days from now, not reminded yet.
    let token = team.alice.new_key(ACME_KEYS, "Deploys <b>prod</b>", "2027-03-10").await;
    assert!(sink.received_after(Duration::from_millis(600)).await.is_empty(), "too early for a reminder");

    // 3 Mar 00:00: exactly 7 days left.
    set_clock(&app, at(3, 3, 0));
    let mails = sink.wait_for(2).await;
    assert_eq!(
        recipients(&mails),
        ["alice@example.com", "mia@example.com"],
        "admins with a verified address"
    );
    let mail = &mails[0];
    assert_eq!(mail.subject, "Your API key “Deploys <b>prod</b>” stops working in 7 days");
    assert_eq!(mail.content_type, "multipart/alternative");
    assert!(mail.from.contains("MonkeyCI <noreply@"), "{}", mail.from);
    assert_eq!(mail.to, mail.rcpt_tos[0], "one recipient per mail");
    let text = mail.text();
    for expected in [
        "“Deploys <b>prod</b>”",
        &token.hint(),
        &token.public_id,
        "the organization “Acme Corp” (acme)",
        "usable until the end of 9 Mar 2027 UTC",
        "10 Mar 2027 00:00 UTC",
        &format!("{}/o/acme/settings/api-keys?q={}", app.address, token.public_id),
    ] {
        assert!(text.contains(expected), "the text part says {expected:?}: {text}");
    }
    let html = mail.html();
    assert!(
        html.contains("“Deploys &#60;b&#62;prod&#60;/b&#62;”")
            || html.contains("“Deploys &lt;b&gt;prod&lt;/b&gt;”"),
        "{html}"
    );
    assert!(!html.contains("<b>prod"), "the description is escaped in HTML");
    assert!(
        html.contains(&format!("href=\"{}/o/acme/settings/api-keys?q={}\"", app.address, token.public_id))
    );
    for mail in &mails {
        assert!(!token.leaks_into(&mail.raw), "no token in the mail");
    }

    // Later passes and later days within the week send nothing more.
    set_clock(&app, at(3, 6, 12));
    assert_eq!(sink.received_after(Duration::from_millis(600)).await.len(), 2, "one 7-day reminder");

    // 9 Mar 00:00: the last day.
    set_clock(&app, at(3, 9, 0));
    let mails = sink.wait_for(4).await;
    assert_eq!(recipients(&mails[2..]), ["alice@example.com", "mia@example.com"]);
    assert_eq!(mails[2].subject, "Your API key “Deploys <b>prod</b>” stops working in 1 day");
    assert_eq!(sink.received_after(Duration::from_millis(600)).await.len(), 4, "one 1-day reminder");
    assert_eq!(claims(&app).await, ["Deploys <b>prod</b> 1 1"]);

    // Stopped keys are not reminded of anything.
    set_clock(&app, at(3, 10, 0));
    assert_eq!(sink.received_after(Duration::from_millis(400)).await.len(), 4);
}
both_databases!(
    an_organization_key_is_reminded_once_seven_days_and_once_one_day_before_it_stops,
    at_epoch,
    with = with_smtp
);

async fn a_key_made_inside_the_last_day_gets_only_the_one_day_reminder(app: TestApp) {
    let sink = sink_for(&app);
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    // 28 Feb 12:00, valid until 1 Mar: 12 hours left.
    alice.create_key(ACME_KEYS, "Tonight", "2027-03-01").await;
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].subject, "Your API key “Tonight” stops working in 1 day");
    assert_eq!(sink.received_after(Duration::from_millis(600)).await.len(), 1, "no late 7-day reminder");
    assert_eq!(claims(&app).await, ["Tonight 1 1"]);
}
both_databases!(a_key_made_inside_the_last_day_gets_only_the_one_day_reminder, at_epoch, with = with_smtp);

async fn a_user_key_is_reminded_to_its_user_only_and_not_after_they_turn_mail_off(app: TestApp) {
    let sink = sink_for(&app);
    let team = Team::new(&app).await;
    give_address(&app, team.olga.id, "olga@example.com", true).await;
    give_address(&app, team.alice.id, "alice@example.com", true).await;
    give_address(&app, team.mia.id, "mia@example.com", true).await;
    let off = team.mia.post("/settings/profile/mail", &[]).await;
    assert_eq!(off.status(), reqwest::StatusCode::SEE_OTHER);
    let token = team.olga.new_key(USER_KEYS, "Laptop", "2027-03-05").await;
    team.mia.create_key(USER_KEYS, "Mia's laptop", "2027-03-05").await;
    let mails = sink.wait_for(1).await;
    assert_eq!(sink.received_after(Duration::from_millis(600)).await.len(), 1, "Mia turned mail off");
    assert_eq!(mails[0].rcpt_tos, ["olga@example.com"]);
    assert!(mails[0].text().contains("of your user key"), "{}", mails[0].text());
    assert!(mails[0].text().contains(&format!("{}/settings/api-keys?q={}", app.address, token.public_id)));
    assert!(!token.leaks_into(&mails[0].raw));
    // Mia's reminder was claimed all the same: turning mail on later does not send it late.
    assert_eq!(claims(&app).await, ["Laptop 1 0", "Mia's laptop 1 0"]);
}
both_databases!(
    a_user_key_is_reminded_to_its_user_only_and_not_after_they_turn_mail_off,
    at_epoch,
    with = with_smtp
);

async fn revoked_and_rolled_keys_get_no_reminder(app: TestApp) {
    let sink = sink_for(&app);
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    // Made far from their end, then revoked or rolled before the window opens.
    alice.create_key(ACME_KEYS, "Revoked", "2027-03-20").await;
    alice.create_key(ACME_KEYS, "Rolled", "2027-03-20").await;
    let now = app.clock.as_ref().unwrap().now_naive();
    execute(&app, format!("UPDATE api_keys SET revoked_at = '{now}', revoked_reason = 'revoked' WHERE description = 'Revoked'")).await;
    execute(&app, "UPDATE api_keys SET rolled_to = 'AAAAAAAAAAAAAAAA' WHERE description = 'Rolled'".into())
        .await;
    set_clock(&app, at(3, 19, 0));
    assert!(sink.received_after(Duration::from_millis(800)).await.is_empty());
    assert_eq!(claims(&app).await, ["Revoked 0 0", "Rolled 0 0"]);
}
both_databases!(revoked_and_rolled_keys_get_no_reminder, at_epoch, with = with_smtp);

/// Reminder passes and senders racing on one database: each reminder is
/// claimed once and each mail sent once.
async fn race(app: &TestApp, sink: &crate::support::SmtpSink) {
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone().expect("a fixed clock"));
    let public_url = url::Url::parse(&app.address).unwrap();
    let reminders: Vec<Reminders> = (0..4)
        .map(|_| Reminders { db: app.db.clone(), clock: clock.clone(), public_url: public_url.clone() })
        .collect();
    let transport = SmtpUrl::parse(&sink.url()).unwrap().transport().unwrap();
    let senders: Vec<MailSender> = (0..4)
        .map(|_| MailSender {
            db: app.db.clone(),
            clock: clock.clone(),
            transport: transport.clone(),
            from: "Racer <racer@example.com>".parse().unwrap(),
            counts: MailCounts::default(),
        })
        .collect();
    for _ in 0..3 {
        let passes = reminders.iter().map(Reminders::run_once);
        for result in futures_util::future::join_all(passes).await {
            result.expect("a reminder pass");
        }
        let passes = senders.iter().map(MailSender::send_due);
        for result in futures_util::future::join_all(passes).await {
            result.expect("a sender pass");
        }
    }
}

async fn reminders_racing_on_one_database_are_sent_exactly_once(app: TestApp) {
    let sink = sink_for(&app);
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    for n in 0..5 {
        alice.create_key(ACME_KEYS, &format!("Key {n}"), "2027-03-20").await;
    }
    // The window opens for all five at once, with the app's own tasks and four more of each racing.
    set_clock(&app, at(3, 13, 0));
    race(&app, &sink).await;
    let mails = sink.wait_for(5).await;
    assert_eq!(sink.received_after(Duration::from_millis(800)).await.len(), 5, "{mails:#?}");
    let mut subjects: Vec<String> = sink.received().into_iter().map(|m| m.subject).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        (0..5).map(|n| format!("Your API key “Key {n}” stops working in 7 days")).collect::<Vec<_>>()
    );
    let sent = count(&app, "SELECT COUNT(*) AS n FROM outbound_mails WHERE sent_at IS NOT NULL".into()).await;
    assert_eq!(sent, 5);
}
both_databases!(reminders_racing_on_one_database_are_sent_exactly_once, at_epoch, with = with_smtp);

async fn two_instances_on_one_postgresql_send_each_reminder_once(app: TestApp) {
    let sink = sink_for(&app);
    let other = app.spawn_sibling().await;
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    give_address(&app, alice.id, "alice@example.com", true).await;
    for n in 0..8 {
        alice.create_key(ACME_KEYS, &format!("Key {n}"), "2027-03-20").await;
    }
    set_clock(&app, at(3, 13, 0));
    sink.wait_for(8).await;
    assert_eq!(sink.received_after(Duration::from_secs(1)).await.len(), 8);
    drop(other);
}
postgres_only!(two_instances_on_one_postgresql_send_each_reminder_once, at_epoch, with = with_smtp);
