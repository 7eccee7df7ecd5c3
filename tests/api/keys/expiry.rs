//! A key valid until D is usable to the end of D-1 (UTC) and expired from D
//! 00:00:00 UTC; under 7 days before that it "expires soon". (The REST API that
//! uses keys is not built yet: the status is checked on the screen.)
//!
//! Sessions end after 8 idle hours, so after each move of the clock Alice signs
//! in again.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;

use super::*;
use crate::both_databases;

fn at(month: u32, day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, month, day, h, m, s).unwrap()
}

/// (description, status, badge class) of each key on the list, as Alice sees it now.
async fn statuses(app: &TestApp, list: &str) -> Vec<(String, String, String)> {
    let alice = Browser::signed_in(app, "Alice").await;
    let html = alice.page(&format!("{list}?status=all")).await;
    let classes = attrs(&html, &format!("{KEYS} tbody td span.badge"), "class");
    key_rows(&html)
        .into_iter()
        .zip(classes)
        .map(|(row, class)| (row[0].clone(), row[5].clone(), class))
        .collect()
}

fn status(description: &str, label: &str) -> (String, String, String) {
    let class = match label {
        "Active" => "badge badge-success",
        "Expires soon" => "badge badge-warning",
        "Expired" => "badge badge-danger",
        _ => unreachable!(),
    };
    (description.to_string(), label.to_string(), class.to_string())
}

async fn a_key_expires_at_midnight_utc_of_its_date_and_expires_soon_under_seven_days(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    alice.create_key(ACME_KEYS, "Tomorrow", "2027-03-01").await;
    alice.create_key(ACME_KEYS, "Ten days", "2027-03-10").await;
    alice.create_key(ACME_KEYS, "Forever", "").await;
    let html = alice.page(ACME_KEYS).await;
    let valid_until: Vec<String> = key_rows(&html).into_iter().map(|row| row[4].clone()).collect();
    assert_eq!(
        valid_until,
        [
            "never",
            "10 Mar 2027 (usable until the end of 9 Mar 2027 UTC)",
            "1 Mar 2027 (usable until the end of 28 Feb 2027 UTC)",
        ]
    );

    // 28 Feb 12:00: a key that stops working at midnight expires soon.
    assert_eq!(
        statuses(&app, ACME_KEYS).await,
        [status("Forever", "Active"), status("Ten days", "Active"), status("Tomorrow", "Expires soon")]
    );
    // The last second of its last day, then midnight.
    set_clock(&app, at(2, 28, 23, 59, 59));
    assert_eq!(statuses(&app, ACME_KEYS).await[2], status("Tomorrow", "Expires soon"));
    app.advance_clock(chrono::Duration::seconds(1));
    assert_eq!(statuses(&app, ACME_KEYS).await[2], status("Tomorrow", "Expired"));

    // "Expires soon" starts when less than 7 days are left: after 3 Mar 00:00:00.
    set_clock(&app, at(3, 2, 23, 59, 59));
    assert_eq!(statuses(&app, ACME_KEYS).await[1], status("Ten days", "Active"));
    set_clock(&app, at(3, 3, 0, 0, 0));
    assert_eq!(statuses(&app, ACME_KEYS).await[1], status("Ten days", "Active"), "exactly 7 days left");
    app.advance_clock(chrono::Duration::seconds(1));
    assert_eq!(statuses(&app, ACME_KEYS).await[1], status("Ten days", "Expires soon"));
    set_clock(&app, at(3, 9, 23, 59, 59));
    assert_eq!(
        statuses(&app, ACME_KEYS).await,
        [status("Forever", "Active"), status("Ten days", "Expires soon"), status("Tomorrow", "Expired")]
    );
    app.advance_clock(chrono::Duration::seconds(1));
    assert_eq!(
        statuses(&app, ACME_KEYS).await,
        [status("Forever", "Active"), status("Ten days", "Expired"), status("Tomorrow", "Expired")]
    );

    // Years later the key without a date is still active, and nothing was deleted.
    set_clock(&app, Utc.with_ymd_and_hms(2037, 1, 1, 0, 0, 0).unwrap());
    assert_eq!(statuses(&app, ACME_KEYS).await[0], status("Forever", "Active"));
    assert_eq!(key_count(&app).await, 3);
}
both_databases!(a_key_expires_at_midnight_utc_of_its_date_and_expires_soon_under_seven_days, at_epoch);

async fn a_user_key_expires_the_same_way(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_key(USER_KEYS, "Laptop", "2027-03-08").await;
    alice.create_key(USER_KEYS, "Desktop", "2027-03-09").await;
    // 28 Feb 12:00: Laptop has 7.5 days left, Desktop 8.5.
    assert_eq!(statuses(&app, USER_KEYS).await, [status("Desktop", "Active"), status("Laptop", "Active")]);
    set_clock(&app, at(3, 1, 0, 0, 1));
    assert_eq!(
        statuses(&app, USER_KEYS).await,
        [status("Desktop", "Active"), status("Laptop", "Expires soon")]
    );
    set_clock(&app, at(3, 7, 23, 59, 59));
    assert_eq!(
        statuses(&app, USER_KEYS).await,
        [status("Desktop", "Expires soon"), status("Laptop", "Expires soon")]
    );
    set_clock(&app, at(3, 8, 0, 0, 0));
    assert_eq!(
        statuses(&app, USER_KEYS).await,
        [status("Desktop", "Expires soon"), status("Laptop", "Expired")]
    );
}
both_databases!(a_user_key_expires_the_same_way, at_epoch);

async fn the_form_takes_today_from_the_clock(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    assert_eq!(attrs(&alice.page(USER_KEYS).await, "input#valid_until", "min"), ["2027-03-01"]);
    set_clock(&app, at(3, 10, 0, 0, 0));
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = alice.page(USER_KEYS).await;
    assert_eq!(attrs(&html, "input#valid_until", "min"), ["2027-03-11"]);
    assert_eq!(value(&html, "input#valid_until").as_deref(), Some("2027-06-09"), "90 days from today");
    let response = alice.add_key(USER_KEYS, "Late", "2027-03-10").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(text(&html, "#valid_until-error").as_deref(), Some("Pick a date after today (10 Mar 2027)."));
    alice.create_key(USER_KEYS, "Late", "2027-03-11").await;
    let html = alice.page(USER_KEYS).await;
    assert_eq!(
        key_rows(&html)[0][2..6],
        [
            "10 Mar 2027 by Alice",
            "never",
            "11 Mar 2027 (usable until the end of 10 Mar 2027 UTC)",
            "Expires soon"
        ]
    );
}
both_databases!(the_form_takes_today_from_the_clock, at_epoch);
