//! Usage per key (SPEC §2 "Usage"): requests are counted per key and day in
//! memory and written once a minute (by the app's clock); the last use keeps
//! where the request came from and its user agent; the key's own page shows
//! requests per day for 30 days, as a chart and as a table.

use chrono::{Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};

use super::*;
use crate::both_databases;
use crate::support::{Browser, text, texts};

/// "day | requests" for each day the key was counted, oldest first.
async fn daily_uses(app: &TestApp, public_id: &str) -> Vec<String> {
    let sql = format!(
        "SELECT CAST(d.day AS TEXT) || ' | ' || CAST(d.requests AS TEXT) AS v FROM api_key_daily_uses d \
         JOIN api_keys k ON k.id = d.key_id WHERE k.public_id = {} ORDER BY d.day",
        quoted(public_id)
    );
    strings(app, sql).await
}

async fn wait_for_daily_uses(app: &TestApp, public_id: &str, expected: &[&str]) {
    within(std::time::Duration::from_secs(5), &format!("counts {expected:?} written"), || async {
        daily_uses(app, public_id).await == expected
    })
    .await;
}

/// `n` calls of whoami with this user agent.
async fn calls(api: &Api, n: usize, agent: &str) {
    for _ in 0..n {
        let response =
            api.request(Method::GET, "/api/v1/whoami").header("User-Agent", agent).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

async fn requests_are_counted_per_day_and_written_once_a_minute(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &ci.full);

    calls(&api, 5, "deploy-script/1.0").await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(daily_uses(&app, &ci.public_id).await.is_empty(), "nothing is written within the minute");

    app.advance_clock(Duration::seconds(61));
    wait_for_daily_uses(&app, &ci.public_id, &["2027-02-28 | 5"]).await;

    // The next minute's requests add to the day's count.
    calls(&api, 3, "deploy-script/1.0").await;
    app.advance_clock(Duration::seconds(61));
    wait_for_daily_uses(&app, &ci.public_id, &["2027-02-28 | 8"]).await;

    // After midnight (UTC) the requests count for the new day.
    set_clock(&app, Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 30).unwrap());
    calls(&api, 2, "deploy-script/1.0").await;
    app.advance_clock(Duration::seconds(61));
    wait_for_daily_uses(&app, &ci.public_id, &["2027-02-28 | 8", "2027-03-01 | 2"]).await;

    // The key's page shows them: a sentence, the chart's bars and the table.
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = alice.page(&format!("{ACME_KEYS}/{}", ci.public_id)).await;
    assert_eq!(
        text(&html, "[data-testid=usage-summary]").as_deref(),
        Some("10 requests in the last 30 days, the most on 28 Feb 2027 (8). The tallest bar is 8.")
    );
    let days = texts(&html, "[data-testid=usage-table] tbody th");
    let counts = texts(&html, "[data-testid=usage-table] tbody td");
    assert_eq!((days.len(), counts.len()), (30, 30), "a row per day");
    assert_eq!((days[0].as_str(), counts[0].as_str()), ("31 Jan 2027", "0"), "from 29 days ago");
    assert_eq!(&days[28..], ["28 Feb 2027", "1 Mar 2027"]);
    assert_eq!(&counts[28..], ["8", "2"]);
    assert_eq!(texts(&html, "[data-testid=usage-chart] rect").len(), 30, "a bar per day");
}
both_databases!(requests_are_counted_per_day_and_written_once_a_minute, at_epoch);

async fn the_last_use_says_where_from_and_with_what(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let api = Api::new(&app, &laptop.full);
    let long_agent = format!("monkeyci/0.3 {}", "x".repeat(300));
    calls(&api, 1, &long_agent).await;
    wait_for_last_use(&app, &laptop.public_id, "2027-02-28 12:00:00").await;
    let stored = strings(
        &app,
        format!(
            "SELECT last_used_address || ' | ' || last_used_agent AS v FROM api_keys WHERE public_id = {}",
            quoted(&laptop.public_id)
        ),
    )
    .await;
    let expected_agent: String = long_agent.chars().take(200).collect();
    assert_eq!(stored, [format!("127.0.0.1 | {expected_agent}")], "the agent is cut to 200 characters");

    let html = team.alice.page(&format!("{USER_KEYS}/{}", laptop.public_id)).await;
    assert_eq!(
        texts(&html, "[data-testid=key-last-used] > *"),
        ["just now", "from 127.0.0.1", expected_agent.as_str()]
    );
    // The row says it too, the agent shortened (whole in its title).
    let html = team.alice.page(USER_KEYS).await;
    let row = texts(&html, "[data-testid=row-last-used] > *");
    assert_eq!(row[..2], ["just now", "from 127.0.0.1"]);
    assert!(row[2].starts_with("monkeyci/0.3 xxx") && row[2].chars().count() < 70, "{}", row[2]);
}
both_databases!(the_last_use_says_where_from_and_with_what, at_epoch);

async fn another_instances_stamp_from_within_the_minute_is_kept(app: TestApp) {
    use monkeyci_accounts::db::api_keys::{LastUse, touch_last_used};
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let key_id = crate::support::int(
        &app,
        format!("SELECT id AS v FROM api_keys WHERE public_id = {}", quoted(&ci.public_id)),
    )
    .await
    .expect("the key's id");
    let key_id = monkeyci_accounts::domain::ids::KeyId::new(key_id);
    let at = |seconds: i64| {
        Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap().naive_utc() + Duration::seconds(seconds)
    };
    // Three instances stamp the same key, each at most once a minute of its own.
    for (seconds, agent) in [(0, "first"), (30, "second, 30 s later"), (61, "third, 61 s later")] {
        let last = LastUse { at: at(seconds), address: None, agent: Some(agent) };
        app.db.run(move |conn| touch_last_used(conn, key_id, &last)).await.unwrap();
        let stored = strings(
            &app,
            format!("SELECT last_used_agent AS v FROM api_keys WHERE public_id = {}", quoted(&ci.public_id)),
        )
        .await;
        let expected = if seconds == 30 { "first" } else { agent };
        assert_eq!(stored, [expected], "after the stamp at +{seconds} s");
    }
}
both_databases!(another_instances_stamp_from_within_the_minute_is_kept, at_epoch);

async fn a_keys_page_is_for_those_who_manage_it(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let ci_page = format!("{ACME_KEYS}/{}", ci.public_id);

    let html = team.alice.page(&ci_page).await;
    assert_eq!(text(&html, "#key-title").as_deref(), Some("CI"));
    assert_eq!(
        text(&html, "[data-testid=usage-summary]").as_deref(),
        Some("No requests in the last 30 days.")
    );
    assert_eq!(texts(&html, "[data-testid=key-history] li"), ["28 Feb 2027 12:00 UTC: Created by Alice"]);

    assert_eq!(team.mia.get(&ci_page).await.status(), StatusCode::FORBIDDEN, "a member of Acme");
    assert_eq!(team.bob.get(&ci_page).await.status(), StatusCode::NOT_FOUND, "an outsider");
    let in_bolt = format!("{BOLT_KEYS}/{}", ci.public_id);
    assert_eq!(team.bob.get(&in_bolt).await.status(), StatusCode::NOT_FOUND, "another organization's key");
    let others = format!("{USER_KEYS}/{}", laptop.public_id);
    assert_eq!(team.bob.get(&others).await.status(), StatusCode::NOT_FOUND, "another person's user key");
    assert_eq!(team.alice.get(&format!("{ACME_KEYS}/not-a-key")).await.status(), StatusCode::NOT_FOUND);
}
both_databases!(a_keys_page_is_for_those_who_manage_it, at_epoch);

async fn a_graceful_stop_writes_the_requests_counted_since_the_last_minute(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    calls(&Api::new(&app, &ci.full), 4, "cron").await;
    app.stop.stop(monkeyci_accounts::shutdown::StopRequest::Graceful);
    wait_for_daily_uses(&app, &ci.public_id, &["2027-02-28 | 4"]).await;
}
both_databases!(a_graceful_stop_writes_the_requests_counted_since_the_last_minute, at_epoch);
