//! Revoking a key (formerly deleting it): a confirmation page that names it,
//! then the key stops working, a message says so, the row moves to the
//! Inactive list as *Revoked* (who, when, why), and the organization's audit
//! log records both the creation and the revocation (by hint and description,
//! never the token). The old `…/delete` paths still work.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::support::location;

/// Ids that are not keys at all: refused as not found, whatever their shape.
const NOT_KEYS: &[&str] =
    &["nope", "0000000000000000", "000000000000000", "00000000000000000", "mci_org_AAAA"];

/// The confirmation page of a key: what it says, and where its buttons go.
async fn confirmation(browser: &Browser, list: &str, token: &Token, description: &str) {
    let revoke_url = format!("{list}/{}/revoke", token.public_id);
    for page in [revoke_url.clone(), format!("{list}/{}/delete", token.public_id)] {
        let html = browser.page(&page).await;
        let panel = text(&html, CONFIRM).expect("the confirmation panel");
        assert!(
            panel.contains(&format!("Revoke {description} ({})?", token.hint())),
            "the page names the key: {panel}"
        );
        assert!(panel.contains("Scripts using it stop working at once."), "{panel}");
        assert_eq!(attrs(&html, &format!("{CONFIRM} form"), "action"), [revoke_url.as_str()], "{page}");
    }
    let html = browser.page(&revoke_url).await;
    assert_eq!(attrs(&html, &format!("{CONFIRM} form"), "method"), ["post"]);
    assert_eq!(attrs(&html, &format!("{CONFIRM} a.button"), "href"), [list.to_string()], "Cancel goes back");
    assert!(!token.leaks_into(&html));
}

async fn an_organization_key_is_revoked_after_confirmation_and_both_steps_are_audited(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let keep = alice.new_key(ACME_KEYS, "Keep me", "").await;
    let token = alice.new_key(ACME_KEYS, "Deploy bot", "2027-06-01").await;
    confirmation(&alice, ACME_KEYS, &token, "Deploy bot").await;
    let delete_url = format!("{ACME_KEYS}/{}/revoke", token.public_id);

    // Without the CSRF token nothing happens.
    assert_eq!(alice.post_raw(&delete_url, &[]).await.status(), StatusCode::FORBIDDEN);
    assert!(key_exists(&app, &token.public_id).await);

    let response = alice.post(&delete_url, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), ACME_KEYS);
    let html = alice.page(ACME_KEYS).await;
    assert_eq!(
        flashes(&html),
        [format!(
            "The API key {} “Deploy bot” was revoked. It no longer works; it stays listed under Inactive for 90 days.",
            token.hint()
        )]
    );
    assert_eq!(descriptions(&html), ["Keep me"], "the active list shows the other key only");
    assert!(key_exists(&app, &token.public_id).await, "the row stays");
    let inactive = key_rows(&alice.page(&format!("{ACME_KEYS}?status=inactive")).await);
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0][0], "Deploy bot");
    assert_eq!(inactive[0][5], "Revoked — by Alice on 28 Feb 2027 12:00 UTC");
    assert_eq!(inactive[0][7], "", "nothing left to do with it");
    let all = descriptions(&alice.page(&format!("{ACME_KEYS}?status=all")).await);
    assert_eq!(all, ["Deploy bot", "Keep me"]);
    assert!(flashes(&alice.page(ACME_KEYS).await).is_empty(), "the message shows once");

    // Both steps are in the log, by hint and description.
    let log = audit_rows_with_names(&app, "acme").await;
    assert_eq!(
        log[log.len() - 3..],
        [
            format!("api_key.created | Alice | Created API key {} “Keep me”", keep.hint()),
            format!("api_key.created | Alice | Created API key {} “Deploy bot”", token.hint()),
            format!("api_key.revoked | Alice | Revoked API key {} “Deploy bot” (by a person)", token.hint()),
        ]
    );
    let html = alice.page("/o/acme/settings/audit-log").await;
    let shown = rows_with_breaks(&html, "[data-testid=audit-log]");
    let (deleted, created) = (
        format!("Revoked API key {} “Deploy bot” (by a person)", token.hint()),
        format!("Created API key {} “Deploy bot”", token.hint()),
    );
    assert_eq!(shown[0][1..], ["Alice dev: Alice", "api_key.revoked", &deleted]);
    assert_eq!(shown[1][1..], ["Alice dev: Alice", "api_key.created", &created]);
    for stored in every_stored_text(&app).await {
        assert!(!token.leaks_into(&stored) && !keep.leaks_into(&stored), "stored: {stored}");
    }
    assert!(!token.leaks_into(&html));

    // A second revocation (the back button, a double click) changes nothing.
    let html = alice.post_and_follow(&delete_url, &[], ACME_KEYS).await;
    assert_eq!(flashes(&html), [format!("The API key {} “Deploy bot” was already revoked.", token.hint())]);
    assert_eq!(audit_rows_with_names(&app, "acme").await.len(), log.len(), "nothing more is logged");
    for id in NOT_KEYS {
        for action in ["revoke", "delete", "roll"] {
            let path = format!("{ACME_KEYS}/{id}/{action}");
            assert_eq!(alice.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(alice.post(&path, &[]).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
    assert_eq!(key_count(&app).await, 2);
}
both_databases!(an_organization_key_is_revoked_after_confirmation_and_both_steps_are_audited, at_epoch);

async fn a_user_key_is_revoked_after_confirmation_also_by_its_old_delete_path(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let token = alice.new_key(USER_KEYS, "Laptop", "").await;
    confirmation(&alice, USER_KEYS, &token, "Laptop").await;
    let delete_url = format!("{USER_KEYS}/{}/delete", token.public_id);
    assert_eq!(
        alice.post_raw(&delete_url, &[("csrf_token", "forged")]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(key_exists(&app, &token.public_id).await);

    let html = alice.post_and_follow(&delete_url, &[], USER_KEYS).await;
    assert_eq!(
        flashes(&html),
        [format!(
            "The API key {} “Laptop” was revoked. It no longer works; it stays listed under Inactive for 90 days.",
            token.hint()
        )]
    );
    assert!(text(&html, "[data-testid=keys-no-match]").is_some(), "no active key left");
    assert_eq!(descriptions(&alice.page(&format!("{USER_KEYS}?status=inactive")).await), ["Laptop"]);
    assert_eq!(key_count(&app).await, 1);
    assert!(key_audit_rows(&app).await.is_empty(), "user keys are in no organization's log");
    for id in NOT_KEYS {
        let path = format!("{USER_KEYS}/{id}/delete");
        assert_eq!(alice.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(alice.post(&path, &[]).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
both_databases!(a_user_key_is_revoked_after_confirmation_also_by_its_old_delete_path, at_epoch);

async fn an_expired_key_is_listed_as_inactive_with_nothing_left_to_do(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    alice.new_key(ACME_KEYS, "Old", "2027-03-01").await;
    set_clock(&app, chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 4, 1, 0, 0, 0).unwrap());
    let alice = Browser::signed_in(&app, "Alice").await;
    assert!(key_rows(&alice.page(ACME_KEYS).await).is_empty(), "not active");
    let rows = key_rows(&alice.page(&format!("{ACME_KEYS}?status=inactive")).await);
    assert_eq!((rows[0][5].as_str(), rows[0][7].as_str()), ("Expired", ""));
}
both_databases!(an_expired_key_is_listed_as_inactive_with_nothing_left_to_do, at_epoch);
