//! "Last used" (SPEC §2): written on a key's first use, then at most once a
//! minute, in the background; read here straight from the database.

use std::time::Duration as StdDuration;

use chrono::Duration;
use reqwest::StatusCode;

use super::*;
use crate::both_databases;

/// Long enough for a background write that was due to have happened.
async fn settle() {
    actix_web::rt::time::sleep(StdDuration::from_millis(300)).await;
}

async fn last_use_is_written_on_first_use_and_then_at_most_once_a_minute(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    assert_eq!(last_used(&app, &ci.public_id).await, None, "never used");
    let org = Api::new(&app, &ci.full);
    let user = Api::new(&app, &laptop.full);

    assert_eq!(org.whoami_status().await, (StatusCode::OK, None));
    wait_for_last_use(&app, &ci.public_id, "2027-02-28 12:00:00").await;
    assert_eq!(last_used(&app, &laptop.public_id).await, None, "each key on its own");
    assert_eq!(user.whoami_status().await, (StatusCode::OK, None));
    wait_for_last_use(&app, &laptop.public_id, "2027-02-28 12:00:00").await;

    // Within the minute nothing is written, whether the key comes from the
    // cache or is verified again (after 30 s).
    for seconds in [30, 29] {
        app.advance_clock(Duration::seconds(seconds));
        assert_eq!(org.get("/api/v1/orgs/acme/keys").await.status(), StatusCode::OK);
        assert_eq!(user.whoami_status().await, (StatusCode::OK, None));
        settle().await;
        assert_eq!(last_used(&app, &ci.public_id).await.as_deref(), Some("2027-02-28 12:00:00"));
        assert_eq!(last_used(&app, &laptop.public_id).await.as_deref(), Some("2027-02-28 12:00:00"));
    }

    // Past the minute, the next use is written.
    app.advance_clock(Duration::seconds(2));
    assert_eq!(org.whoami_status().await, (StatusCode::OK, None));
    wait_for_last_use(&app, &ci.public_id, "2027-02-28 12:01:01").await;
    assert_eq!(user.whoami_status().await, (StatusCode::OK, None));
    wait_for_last_use(&app, &laptop.public_id, "2027-02-28 12:01:01").await;
    let (_, list) = org.get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(list["keys"][0]["last_used_at"], "2027-02-28T12:01:01Z");

    // A refused attempt with the key's id (a wrong secret) is not a use.
    app.advance_clock(Duration::seconds(120));
    let mut wrong = ci.full.clone();
    wrong.replace_range(24..56, &"x".repeat(32));
    let wrong = junk::with_checksum(&wrong[..56]);
    assert_eq!(
        Api::new(&app, &wrong).whoami_status().await,
        (StatusCode::UNAUTHORIZED, Some("invalid_key".into()))
    );
    settle().await;
    assert_eq!(last_used(&app, &ci.public_id).await.as_deref(), Some("2027-02-28 12:01:01"));

    assert_not_logged(&app, &[&ci, &laptop]);
}
both_databases!(last_use_is_written_on_first_use_and_then_at_most_once_a_minute, at_epoch);
