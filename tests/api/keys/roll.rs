//! Rolling a key from its row (SPEC §2 "Lifecycle"): a page (or, with
//! scripts, a dialog) asks for the overlap, 24 hours unless changed; the
//! successor's token is shown once through the same one-time dialog as a new
//! key's; both rows then say how they are linked, and the old one until when
//! it works.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::support::location;

const ROLL: &str = "[data-testid=confirm-roll]";

async fn a_key_is_rolled_from_its_row_and_the_successors_token_is_shown_once(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let old = alice.new_key(ACME_KEYS, "Deploy bot", "2027-03-30").await;
    let roll_url = format!("{ACME_KEYS}/{}/roll", old.public_id);
    let html = alice.page(ACME_KEYS).await;
    assert_eq!(attrs(&html, "a[data-roll-key]", "href"), [roll_url.as_str()]);

    let html = alice.page(&roll_url).await;
    let panel = text(&html, ROLL).expect("the roll page");
    assert!(panel.contains(&format!("Roll Deploy bot ({})", old.hint())), "{panel}");
    assert_eq!(attrs(&html, &format!("{ROLL} input[type=radio]"), "value"), ["0h", "1h", "24h", "7d"]);
    assert_eq!(attrs(&html, &format!("{ROLL} input[checked]"), "value"), ["24h"], "24 hours unless changed");
    assert_eq!(attrs(&html, &format!("{ROLL} form"), "action"), [roll_url.as_str()]);

    assert_eq!(alice.post_raw(&roll_url, &[("overlap", "1h")]).await.status(), StatusCode::FORBIDDEN, "CSRF");
    assert_eq!(alice.post(&roll_url, &[("overlap", "2h")]).await.status(), StatusCode::BAD_REQUEST);
    let response = alice.post(&roll_url, &[("overlap", "1h")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), ACME_KEYS);
    let html = alice.page(ACME_KEYS).await;
    let new = Token::parse(
        &new_token(&html).expect("the dialog shows the successor's token"),
        KeyKind::Organization,
    );
    assert_ne!(new.public_id, old.public_id);
    assert!(new_token(&alice.page(ACME_KEYS).await).is_none(), "shown once");

    let rows = key_rows(&alice.page(ACME_KEYS).await);
    assert_eq!(descriptions(&alice.page(ACME_KEYS).await), ["Deploy bot", "Deploy bot"]);
    assert_eq!(rows[0][1], new.id_cell("Deploy bot"));
    assert_eq!(rows[0][4], "30 Mar 2027 (usable until the end of 29 Mar 2027 UTC)", "the same lifetime");
    assert_eq!(rows[0][5], format!("Active rolled from {}", old.hint()));
    assert_eq!(rows[1][5], format!("Rolled — works until 28 Feb 2027 13:00 UTC rolled to {}", new.hint()));
    assert_eq!(rows[1][7], "Revoke Deploy bot", "a rolled key can still be revoked, not rolled again");

    // Rolled again (an old tab): refused with a message, nothing made.
    let html = alice.post_and_follow(&roll_url, &[("overlap", "24h")], ACME_KEYS).await;
    assert_eq!(
        flashes(&html),
        [format!("The API key {} was already rolled to {}: roll that one instead.", old.hint(), new.hint())]
    );
    assert_eq!(key_count(&app).await, 2);

    set_clock(&app, chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 2, 28, 13, 0, 0).unwrap());
    let rows = key_rows(&alice.page(&format!("{ACME_KEYS}?status=inactive")).await);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0][5],
        format!("Revoked — rolled by Alice on 28 Feb 2027 13:00 UTC rolled to {}", new.hint())
    );
    let log = audit_rows_with_names(&app, "acme").await;
    assert!(
        log.contains(&format!(
            "api_key.revoked | Alice | Rolled API key {} “Deploy bot” (rolled, to {})",
            old.hint(),
            new.hint()
        )),
        "{log:?}"
    );
    assert!(
        log.contains(&format!(
            "api_key.created | Alice | Created API key {} “Deploy bot”, rolled from {}",
            new.hint(),
            old.hint()
        )),
        "{log:?}"
    );
    for stored in every_stored_text(&app).await {
        assert!(!new.leaks_into(&stored), "stored: {stored}");
    }
}
both_databases!(a_key_is_rolled_from_its_row_and_the_successors_token_is_shown_once, at_epoch);

async fn a_user_key_is_rolled_without_overlap_and_stops_at_once(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let old = alice.new_key(USER_KEYS, "Laptop", "").await;
    let html = alice
        .post_and_follow(&format!("{USER_KEYS}/{}/roll", old.public_id), &[("overlap", "0h")], USER_KEYS)
        .await;
    let new = Token::parse(&new_token(&html).expect("the successor's token"), KeyKind::User);
    let api = |token: &Token| crate::rest::Api::new(&app, &token.full);
    assert_eq!(api(&old).whoami_status().await, (StatusCode::UNAUTHORIZED, Some("revoked_key".into())));
    assert_eq!(api(&new).whoami_status().await, (StatusCode::OK, None));
    assert_eq!(descriptions(&alice.page(USER_KEYS).await), ["Laptop"]);
    // Another person's key is not found.
    let bob = Browser::signed_in(&app, "Bob").await;
    assert_eq!(
        bob.post(&format!("{USER_KEYS}/{}/roll", new.public_id), &[("overlap", "1h")]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(bob.get(&format!("{USER_KEYS}/{}/roll", new.public_id)).await.status(), StatusCode::NOT_FOUND);
}
both_databases!(a_user_key_is_rolled_without_overlap_and_stops_at_once, at_epoch);
