//! An organization's key policy (*Settings > General*): a maximum lifetime for
//! new organization keys. With a policy, a key needs a date within it. The app's
//! clock stands at 28 Feb 2027, so 30 days allow dates up to 31 Mar 2027.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;

const POLICY: &str = "/o/acme/settings/key-policy";
const GENERAL: &str = "/o/acme/settings/general";
const BAD_POLICY: &str = "Enter a number of days from 1 to 3650, or leave it empty for no limit.";

async fn a_policy_requires_a_date_within_its_limit(app: TestApp) {
    let team = Team::new(&app).await;
    let html = team.alice.post_and_follow(POLICY, &[("max_days", "30")], GENERAL).await;
    assert_eq!(flashes(&html), ["The API key policy was saved."]);
    assert_eq!(value(&html, "input#max_days").as_deref(), Some("30"));
    assert_eq!(policy(&app, "acme").await.as_deref(), Some("30"));

    // The form says so, and suggests the latest date allowed.
    let html = team.alice.page(ACME_KEYS).await;
    let hint = text(&html, "#valid_until-hint").unwrap();
    assert!(hint.contains("This organization allows keys of at most 30 days."), "{hint}");
    assert_eq!(attrs(&html, "input#valid_until", "max"), ["2027-03-31"]);
    assert_eq!(value(&html, "input#valid_until").as_deref(), Some("2027-03-31"));

    // The form's words: what to pick, never the date's wire format.
    for (valid_until, error) in [
        ("", "This organization requires an expiry date: pick one at most 30 days from today."),
        ("  ", "This organization requires an expiry date: pick one at most 30 days from today."),
        ("2027-04-01", "This organization allows keys of at most 30 days: pick 31 Mar 2027 or earlier."),
        ("2030-01-01", "This organization allows keys of at most 30 days: pick 31 Mar 2027 or earlier."),
        ("31/03/2027", "Enter a date: this organization allows keys of at most 30 days."),
    ] {
        let response = team.alice.add_key(ACME_KEYS, "Deploy bot", valid_until).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{valid_until:?}");
        let html = response.text().await.unwrap();
        assert_eq!(text(&html, ".field #valid_until-error").as_deref(), Some(error), "{valid_until:?}");
        assert_eq!(value(&html, "input#valid_until").as_deref(), Some(valid_until));
        assert_eq!(value(&html, "input#description").as_deref(), Some("Deploy bot"));
    }
    assert_eq!(key_count(&app).await, 0, "nothing was created");

    // Within the limit, up to its last day.
    team.alice.create_key(ACME_KEYS, "Last day", "2027-03-31").await;
    team.alice.create_key(ACME_KEYS, "Tomorrow", "2027-03-01").await;
    assert_eq!(descriptions(&team.alice.page(ACME_KEYS).await), ["Tomorrow", "Last day"]);

    // The policy is Acme's: Bolt's keys and Alice's own keys may still have no date.
    team.bob.create_key(BOLT_KEYS, "Bolt CI", "").await;
    team.alice.create_key(USER_KEYS, "Laptop", "").await;
    team.alice.create_key(USER_KEYS, "Long", "2030-01-01").await;
    assert!(!text(&team.alice.page(USER_KEYS).await, "#valid_until-hint").unwrap().contains("at most"));

    // Removing the policy allows keys without a date again.
    let html = team.alice.post_and_follow(POLICY, &[("max_days", "")], GENERAL).await;
    assert_eq!(value(&html, "input#max_days").as_deref(), Some(""));
    assert_eq!(policy(&app, "acme").await.as_deref(), Some("none"));
    team.alice.create_key(ACME_KEYS, "Forever", "").await;

    assert_eq!(
        audit_rows_with_names(&app, "acme")
            .await
            .into_iter()
            .filter(|row| row.starts_with("organization.key_policy_changed"))
            .collect::<Vec<_>>(),
        [
            "organization.key_policy_changed | Alice | API keys must expire within 30 days of their creation",
            "organization.key_policy_changed | Alice | API keys have no maximum lifetime",
        ]
    );
    let html = team.alice.page("/o/acme/settings/audit-log").await;
    assert!(page_text(&html).contains("API keys must expire within 30 days of their creation"));
}
both_databases!(a_policy_requires_a_date_within_its_limit, at_epoch);

async fn invalid_policies_are_refused_next_to_the_field(app: TestApp) {
    let team = Team::new(&app).await;
    team.alice.post_and_follow(POLICY, &[("max_days", "90")], GENERAL).await;
    for bad in ["0", "-1", "3651", "4000", "abc", "1.5", "30 days", "99999999999999999999", "+-3"] {
        let response = team.alice.post(POLICY, &[("max_days", bad)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let html = response.text().await.unwrap();
        assert_eq!(text(&html, ".field-invalid #max_days-error").as_deref(), Some(BAD_POLICY), "{bad:?}");
        assert_eq!(attrs(&html, "input#max_days", "aria-invalid"), ["true"], "{bad:?}");
        assert_eq!(value(&html, "input#max_days").as_deref(), Some(bad), "{bad:?} is kept");
        assert_eq!(policy(&app, "acme").await.as_deref(), Some("90"), "{bad:?} changed the policy");
    }
    // The limits themselves are fine.
    team.alice.post_and_follow(POLICY, &[("max_days", "1")], GENERAL).await;
    assert_eq!(policy(&app, "acme").await.as_deref(), Some("1"));
    team.alice.post_and_follow(POLICY, &[("max_days", " 3650 ")], GENERAL).await;
    assert_eq!(policy(&app, "acme").await.as_deref(), Some("3650"));
    // Saving the same value again logs nothing new.
    team.alice.post_and_follow(POLICY, &[("max_days", "3650")], GENERAL).await;
    assert_eq!(
        key_audit_rows(&app).await,
        [
            "acme | organization.key_policy_changed | API keys must expire within 90 days of their creation",
            "acme | organization.key_policy_changed | API keys must expire within 1 day of their creation",
            "acme | organization.key_policy_changed | API keys must expire within 3650 days of their creation",
        ]
    );
    // A one-day policy allows tomorrow and the day after, no later.
    team.alice.post_and_follow(POLICY, &[("max_days", "1")], GENERAL).await;
    team.alice.create_key(ACME_KEYS, "Short", "2027-03-02").await;
    let response = team.alice.add_key(ACME_KEYS, "Too long", "2027-03-03").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
both_databases!(invalid_policies_are_refused_next_to_the_field, at_epoch);

async fn only_admins_set_the_policy(app: TestApp) {
    let team = Team::new(&app).await;
    assert_eq!(team.mia.post(POLICY, &[("max_days", "1")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(team.olga.post(POLICY, &[("max_days", "1")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(team.bob.post(POLICY, &[("max_days", "1")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(team.alice.post_raw(POLICY, &[("max_days", "1")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(policy(&app, "acme").await.as_deref(), Some("none"));
    assert!(key_audit_rows(&app).await.is_empty());
}
both_databases!(only_admins_set_the_policy, at_epoch);
