//! The purge (SPEC §2 "Lifecycle"): a key revoked, or expired, more than 90
//! days ago is deleted, in batches, by the app's clock; the audit log keeps
//! its entries. It runs at start and with the periodic clean-up; the tests
//! call one pass directly.

use chrono::{Duration, TimeZone, Utc};
use monkeyci_accounts::clock::FixedClock;
use monkeyci_accounts::services::key_purge::purge_inactive_keys;

use super::*;
use crate::both_databases;

async fn purge(app: &TestApp) -> usize {
    let clock: &FixedClock = app.clock.as_ref().expect("a fixed clock");
    purge_inactive_keys(&app.db, clock).await.expect("the purge runs")
}

async fn keys_inactive_for_90_days_are_purged_and_the_audit_log_keeps_them(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let revoked = alice.new_key(ACME_KEYS, "Revoked", "").await;
    let expired = alice.new_key(ACME_KEYS, "Expired", "2027-03-01").await;
    let working = alice.new_key(ACME_KEYS, "Working", "").await;
    let laptop = alice.new_key(USER_KEYS, "Laptop", "").await;
    alice.post_and_follow(&format!("{ACME_KEYS}/{}/revoke", revoked.public_id), &[], ACME_KEYS).await;
    alice.post_and_follow(&format!("{USER_KEYS}/{}/revoke", laptop.public_id), &[], USER_KEYS).await;
    let audit_before = audit_rows_with_names(&app, "acme").await;
    assert_eq!(purge(&app).await, 0, "nothing is 90 days old yet");

    // Revoked at 28 Feb 2027 12:00: purged from 29 May 2027 12:00 on.
    set_clock(&app, Utc.with_ymd_and_hms(2027, 5, 29, 11, 59, 59).unwrap());
    assert_eq!(purge(&app).await, 0);
    set_clock(&app, Utc.with_ymd_and_hms(2027, 5, 29, 12, 0, 0).unwrap());
    assert_eq!(purge(&app).await, 2, "the two revoked keys");
    assert!(!key_exists(&app, &revoked.public_id).await);
    assert!(!key_exists(&app, &laptop.public_id).await);
    assert!(key_exists(&app, &expired.public_id).await);
    // Refused from 1 Mar 2027 00:00: purged from 30 May 2027 00:00 on.
    set_clock(&app, Utc.with_ymd_and_hms(2027, 5, 30, 0, 0, 0).unwrap() - Duration::seconds(1));
    assert_eq!(purge(&app).await, 0);
    set_clock(&app, Utc.with_ymd_and_hms(2027, 5, 30, 0, 0, 0).unwrap());
    assert_eq!(purge(&app).await, 1);
    assert!(!key_exists(&app, &expired.public_id).await);
    assert!(key_exists(&app, &working.public_id).await, "a working key is never purged");
    assert_eq!(audit_rows_with_names(&app, "acme").await, audit_before, "the audit log keeps its entries");
    let alice = Browser::signed_in(&app, "Alice").await;
    assert_eq!(descriptions(&alice.page(&format!("{ACME_KEYS}?status=all")).await), ["Working"]);
}
both_databases!(keys_inactive_for_90_days_are_purged_and_the_audit_log_keeps_them, at_epoch);

async fn a_large_backlog_is_purged_in_batches(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let acme = org_id(&app, "acme").await;
    let rows: Vec<String> = (0..1203)
        .map(|i| {
            format!(
                "('Old{i:013}', 'org', {acme}, NULL, 'no secret', 'Old {i}', '2027-01-01', '2026-12-01 00:00:00', NULL)"
            )
        })
        .collect();
    insert_key_rows(&app, &rows).await;
    set_clock(&app, Utc.with_ymd_and_hms(2027, 4, 1, 0, 0, 1).unwrap());
    assert_eq!(purge(&app).await, 1203);
    assert_eq!(key_count(&app).await, 0);
}
both_databases!(a_large_backlog_is_purged_in_batches, at_epoch);
