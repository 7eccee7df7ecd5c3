//! `POST /api/v1/keys/revoke` with `{"token": "…"}`: no sign-in, no key in
//! `Authorization`. A live key stops at once (cached or not), is audited with
//! the caller's address (as `MONKEYCI_TRUSTED_PROXIES` resolves it), and its
//! owner and admins get a mail; every token gets the same 202, so the answer
//! tells nothing about which keys exist. Failed checks spend the address's
//! allowance like any failed key check, and each call costs one argon2 check
//! at most.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::both_databases;
use crate::rest::junk::with_checksum;
use monkeyci_accounts::domain::api_key::{KeyKind, generate};

const REVOKE: &str = "/api/v1/keys/revoke";

/// Reports `token` as leaked from `from` (sent as `X-Forwarded-For`, which the
/// app believes of 127.0.0.1 in these tests).
async fn report_from(app: &TestApp, from: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(REVOKE))
        .header("X-Forwarded-For", from)
        .json(&body)
        .send()
        .await
        .expect("request sent")
}

async fn report(app: &TestApp, token: &str) -> (StatusCode, Value) {
    json_of(report_from(app, "198.51.100.20", json!({ "token": token })).await).await
}

fn behind_a_proxy(options: Options) -> Options {
    Options { trusted_proxies: vec!["127.0.0.1/32"], ..options }
}

async fn a_live_organization_key_reported_as_leaked_stops_at_once_and_its_admins_are_told(app: TestApp) {
    let team = Team::new(&app).await;
    give_everyone_an_address(&app).await;
    // Mia becomes an admin of Acme too; Bob is an admin elsewhere.
    execute(&app, format!("UPDATE memberships SET role = 'admin' WHERE user_id = {}", team.mia.id)).await;
    let deploys = team.alice.new_key(ACME_KEYS, "Deploys", "").await;
    let other = team.alice.new_key(ACME_KEYS, "Other", "").await;
    warm(&app, &deploys).await;

    let response = report_from(&app, "203.0.113.9", json!({ "token": deploys.full })).await;
    assert_eq!(json_of(response).await, (StatusCode::ACCEPTED, accepted()));

    refused_as_revoked(&app, &deploys, "self-revoked as leaked").await;
    assert_eq!(
        Api::new(&app, &other.full).whoami_status().await,
        (StatusCode::OK, None),
        "others still work"
    );
    let audit = audit_rows_with_names(&app, "acme").await;
    assert_eq!(
        audit.last().unwrap(),
        &format!(
            "api_key.revoked | - | Revoked API key {} “Deploys” (self-revoked as leaked, from 203.0.113.9)",
            deploys.hint()
        )
    );
    let subject = "Your API key “Deploys” was revoked: it was reported as leaked";
    assert_eq!(
        queued_mails(&app).await,
        [format!("alice@example.com | {subject}"), format!("mia@example.com | {subject}")]
    );
    let (text, html) = mail_bodies(&app, "mia@example.com").await.remove(0);
    for part in [&text, &html] {
        assert!(part.contains("Hello Mia"), "{part}");
        assert!(part.contains("Acme Corp"), "{part}");
        assert!(part.contains(&deploys.public_id), "{part}");
        assert!(part.contains("28 Feb 2027 12:00 UTC"), "{part}");
        assert!(part.contains("203.0.113.9"), "{part}");
        assert!(part.contains(&format!("{}/o/acme/settings/api-keys", app.address)), "{part}");
    }
    assert!(text.contains(&deploys.hint()), "{text}");
    assert!(html.contains("<a href="), "{html}");

    // Reported again: the same answer, and nothing more happens.
    assert_eq!(report(&app, &deploys.full).await, (StatusCode::ACCEPTED, accepted()));
    assert_eq!(audit_rows_with_names(&app, "acme").await, audit);
    assert_eq!(queued_mails(&app).await.len(), 2);
    nowhere(&app, &[&deploys, &other]).await;
}
both_databases!(
    a_live_organization_key_reported_as_leaked_stops_at_once_and_its_admins_are_told,
    at_epoch,
    with = behind_a_proxy
);

async fn a_user_key_reported_as_leaked_is_revoked_and_audited_where_it_reached(app: TestApp) {
    let team = Team::new(&app).await;
    give_everyone_an_address(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let bolt_before = audit_rows_with_names(&app, "bolt").await;

    assert_eq!(report(&app, &laptop.full).await, (StatusCode::ACCEPTED, accepted()));

    refused_as_revoked(&app, &laptop, "self-revoked as leaked").await;
    assert_eq!(
        audit_rows_with_names(&app, "acme").await.last().unwrap(),
        &format!(
            "api_key.revoked | - | Revoked Alice's user key {} “Laptop” (self-revoked as leaked, from 198.51.100.20)",
            laptop.hint()
        )
    );
    assert_eq!(audit_rows_with_names(&app, "bolt").await, bolt_before, "Alice is not in Bolt");
    assert_eq!(
        queued_mails(&app).await,
        ["alice@example.com | Your API key “Laptop” was revoked: it was reported as leaked"]
    );
    let (text, _) = mail_bodies(&app, "alice@example.com").await.remove(0);
    assert!(text.contains("Your user API key \"Laptop\""), "{text}");
    assert!(text.contains(&format!("{}/settings/api-keys", app.address)), "{text}");
    nowhere(&app, &[&laptop]).await;
}
both_databases!(
    a_user_key_reported_as_leaked_is_revoked_and_audited_where_it_reached,
    at_epoch,
    with = behind_a_proxy
);

async fn every_token_gets_the_same_answer_whether_or_not_it_was_a_live_key(app: TestApp) {
    let team = Team::new(&app).await;
    give_everyone_an_address(&app).await;
    let admin = team.alice.new_key(ACME_KEYS, "Admin", "").await;
    let revoked = team.alice.new_key(ACME_KEYS, "Revoked before", "").await;
    let expiring = team.alice.new_key(ACME_KEYS, "Expiring", "2027-03-02").await;
    let live = team.alice.new_key(USER_KEYS, "Live", "").await;
    let path = format!("/api/v1/orgs/acme/keys/{}", revoked.public_id);
    assert_eq!(Api::new(&app, &admin.full).delete(&path).await.status(), StatusCode::NO_CONTENT);
    app.advance_clock(Duration::days(3));
    let mails_before = queued_mails(&app).await;
    let audit_before = audit_rows_with_names(&app, "acme").await;

    let wrong_secret = with_checksum(&format!("{}{}", &live.full[..24], "s".repeat(32)));
    let unknown = generate(KeyKind::Organization).to_token_string();
    let mut answers = Vec::new();
    for token in [
        unknown.as_str(),
        "mci_org_nonsense",
        "",
        wrong_secret.as_str(),
        revoked.full.as_str(),
        expiring.full.as_str(),
    ] {
        let response = report_from(&app, "198.51.100.30", json!({ "token": token })).await;
        let status = response.status();
        answers.push((status, response.text().await.unwrap()));
    }
    let response = report_from(&app, "198.51.100.31", json!({ "token": live.full })).await;
    let live_answer = (response.status(), response.text().await.unwrap());
    for answer in &answers {
        assert_eq!(answer, &live_answer, "the same status and bytes as for a live key");
    }
    assert_eq!(live_answer.0, StatusCode::ACCEPTED);

    refused_as_revoked(&app, &live, "self-revoked as leaked").await;
    assert_eq!(queued_mails(&app).await.len(), mails_before.len() + 1, "a mail for the live key only");
    assert_eq!(audit_rows_with_names(&app, "acme").await.len(), audit_before.len() + 1);
    // The expired key stays expired, not revoked.
    let expired = assert_error(
        Api::new(&app, &expiring.full).get("/api/v1/whoami").await,
        StatusCode::UNAUTHORIZED,
        "expired_key",
    )
    .await;
    assert!(message(&expired).contains("expired"), "{expired}");
}
both_databases!(
    every_token_gets_the_same_answer_whether_or_not_it_was_a_live_key,
    at_epoch,
    with = behind_a_proxy
);

async fn a_body_that_is_not_a_token_is_refused_with_a_clear_json_error(app: TestApp) {
    let send = |content_type: &'static str, body: String| {
        let request = reqwest::Client::new().post(app.url(REVOKE)).header("Content-Type", content_type);
        async move { json_of(request.body(body).send().await.unwrap()).await }
    };
    for (body, field) in [
        ("{}", "token"),
        (r#"{"token": 5}"#, "token"),
        ("[]", "body"),
        (r#"{"token": "a", "token": "b"}"#, "token"),
    ] {
        let (status, answer) = send("application/json", body.to_string()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(answer["error"]["fields"][field].is_string(), "{body}: {answer}");
    }
    let (status, answer) = send("application/json", "{\"token\": ".to_string()).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let (status, _) = send("text/plain", r#"{"token": "x"}"#.to_string()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, answer) = send("application/json", json!({ "token": "x".repeat(5000) }).to_string()).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    // A token in the URL is refused before anything, like everywhere in the API.
    let token = generate(KeyKind::User).to_token_string();
    let response = reqwest::Client::new()
        .post(app.url(&format!("{REVOKE}?token={token}")))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "key_in_query").await;
    assert!(!app.logs().contains(&token), "the token is not logged");
}
both_databases!(a_body_that_is_not_a_token_is_refused_with_a_clear_json_error);

async fn failed_reports_spend_the_addresses_allowance_and_then_nothing_is_checked(app: TestApp) {
    let team = Team::new(&app).await;
    let live = team.alice.new_key(ACME_KEYS, "Live", "").await;
    // Three failures: an unknown key, junk, a wrong secret.
    let wrong_secret = with_checksum(&format!("{}{}", &live.full[..24], "s".repeat(32)));
    for token in [generate(KeyKind::Organization).to_token_string(), "junk".to_string(), wrong_secret] {
        assert_eq!(json_of(report_from(&app, "203.0.113.50", json!({ "token": token })).await).await.0, 202);
    }
    let response = report_from(&app, "203.0.113.50", json!({ "token": live.full })).await;
    assert!(response.headers().get("retry-after").is_some(), "a Retry-After header");
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(Api::new(&app, &live.full).whoami_status().await, (StatusCode::OK, None), "not revoked");
    // The allowance is the address's for every route: whoami is refused too.
    let whoami = reqwest::Client::new()
        .get(app.url("/api/v1/whoami"))
        .header("X-Forwarded-For", "203.0.113.50")
        .bearer_auth(generate(KeyKind::Organization).to_token_string())
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected, and a minute later this one may try again.
    assert_eq!(json_of(report_from(&app, "203.0.113.51", json!({ "token": "junk" })).await).await.0, 202);
    app.advance_clock(Duration::seconds(60));
    assert_eq!(json_of(report_from(&app, "203.0.113.50", json!({ "token": live.full })).await).await.0, 202);
    refused_as_revoked(&app, &live, "self-revoked as leaked").await;
}
both_databases!(
    failed_reports_spend_the_addresses_allowance_and_then_nothing_is_checked,
    at_epoch,
    with = |options: Options| behind_a_proxy(Options { api_failures_per_minute: Some(3), ..options })
);

async fn each_report_costs_at_most_one_argon2_check(app: TestApp) {
    let team = Team::new(&app).await;
    let live = team.alice.new_key(ACME_KEYS, "Live", "").await;
    let hot = team.alice.new_key(USER_KEYS, "Hot", "").await;
    warm(&app, &hot).await;
    let wrong_secret = with_checksum(&format!("{}{}", &live.full[..24], "s".repeat(32)));
    let unknown = generate(KeyKind::User).to_token_string();

    for (token, checks) in [
        ("mci_usr_junk", 0),
        (unknown.as_str(), 1),
        (wrong_secret.as_str(), 1),
        (live.full.as_str(), 1),
        // Revoked now, its row read again: the secret is checked once more.
        (live.full.as_str(), 1),
        // Verified and in the cache: no argon2 at all.
        (hot.full.as_str(), 0),
    ] {
        let before = argon2_checks(&app).await;
        assert_eq!(report(&app, token).await.0, StatusCode::ACCEPTED);
        assert_eq!(argon2_checks(&app).await - before, checks, "{}", &token[..token.len().min(12)]);
    }
    refused_as_revoked(&app, &live, "self-revoked as leaked").await;
    refused_as_revoked(&app, &hot, "self-revoked as leaked").await;
}
both_databases!(
    each_report_costs_at_most_one_argon2_check,
    at_epoch,
    with = |options: Options| behind_a_proxy(Options {
        metrics: true,
        api_failures_per_minute: Some(100),
        ..options
    })
);

async fn a_key_reported_on_one_instance_stops_on_every_other_within_a_second(app: TestApp) {
    let team = Team::new(&app).await;
    let deploys = team.alice.new_key(ACME_KEYS, "Deploys", "").await;
    let other = app.spawn_sibling().await;
    warm(&other, &deploys).await;

    assert_eq!(report(&app, &deploys.full).await, (StatusCode::ACCEPTED, accepted()));

    let api = Api::new(&other, &deploys.full);
    crate::rest::within(std::time::Duration::from_secs(1), "the other instance refuses the key", || async {
        api.whoami_status().await == (StatusCode::UNAUTHORIZED, Some("revoked_key".to_string()))
    })
    .await;
}
crate::postgres_only!(a_key_reported_on_one_instance_stops_on_every_other_within_a_second, at_epoch);
