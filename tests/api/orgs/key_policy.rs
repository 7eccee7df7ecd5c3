//! The key policy on *Settings > General* (SPEC §4 "Key policy"): a maximum
//! lifetime, "keys must have an expiry date" and which user keys may reach the
//! organization. It holds for existing keys at their next request (a key that
//! no longer qualifies gets 404 there), so a change that would stop keys that
//! work now is saved only after the page has said how many and the admin has
//! confirmed. The app's clock stands at 28 Feb 2027, 12:00 UTC.

use reqwest::StatusCode;
use serde_json::json;

use super::{Team, flash, strings, texts};
use crate::both_databases;
use crate::keys::oversight::restrict;
use crate::keys::{
    ACME_KEYS, Token, USER_KEYS, attrs, join, key_audit_rows, quoted, rows_with_breaks, text, value,
};
use crate::rest::Api;
use crate::support::{TestApp, location};

const POLICY: &str = "/o/acme/settings/key-policy";
const GENERAL: &str = "/o/acme/settings/general";
const MEMBER_KEYS: &str = "/o/acme/settings/api-keys/members";
const IMPACT: &str = "[data-testid=policy-impact]";

/// The policy as stored: "max days | require expiry | user keys".
async fn stored_policy(app: &TestApp) -> String {
    strings(
        app,
        format!(
            "SELECT COALESCE(CAST(max_key_lifetime_days AS TEXT), 'none') || ' | ' || \
             CASE WHEN keys_require_expiry THEN 'expiry required' ELSE 'no expiry needed' END || ' | ' || \
             user_keys_allowed AS v FROM organizations WHERE slug = {}",
            quoted("acme")
        ),
    )
    .await
    .remove(0)
}

/// The status of `GET /api/v1/orgs/acme` with this key.
async fn in_acme(app: &TestApp, key: &Token) -> StatusCode {
    Api::new(app, &key.full).get("/api/v1/orgs/acme").await.status()
}

/// The form's fields for a policy: max days, expiry required, user keys.
fn form<'a>(max_days: &'a str, require_expiry: bool, user_keys: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("max_days", max_days), ("user_keys", user_keys)];
    if require_expiry {
        fields.push(("require_expiry", "on"));
    }
    fields
}

/// Sends the policy form; expects the question and returns its page.
async fn asked(team: &Team, fields: &[(&str, &str)]) -> String {
    let response = team.alice.post(POLICY, fields).await;
    assert_eq!(response.status(), StatusCode::OK, "the form asks first");
    response.text().await.unwrap()
}

/// Answers "Save anyway" on the question page: the hidden `confirm` it carries.
async fn confirm(team: &Team, question: &str, fields: &[(&str, &str)]) -> String {
    let confirmed = value(question, "input[name=confirm]").expect("a confirm field");
    let mut all = fields.to_vec();
    all.push(("confirm", &confirmed));
    team.alice.post_and_follow(POLICY, &all, GENERAL).await
}

async fn requiring_an_expiry_date_stops_keys_without_one_once_confirmed(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let dated = team.alice.new_key(ACME_KEYS, "Dated", "2027-06-01").await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let alice_laptop = team.alice.new_key(USER_KEYS, "Alice's laptop", "2027-06-01").await;
    let bob_ci = team.bob.new_key("/o/bolt/settings/api-keys", "Bolt CI", "").await;
    for key in [&ci, &dated, &mia_laptop, &alice_laptop] {
        assert_eq!(in_acme(&app, key).await, StatusCode::OK);
    }

    // The form as it is: nothing required, every user key allowed.
    let html = team.alice.page(GENERAL).await;
    assert!(attrs(&html, "input#require_expiry[checked]", "name").is_empty());
    assert_eq!(attrs(&html, "input[name=user_keys][checked]", "value"), ["all"]);
    assert_eq!(
        texts(&html, "fieldset.choices label"),
        [
            "All user keys of members",
            "Only user keys restricted to named organizations",
            "No user keys (only this organization's keys)",
        ]
    );

    // Before saving, the page says what the change stops, and keeps the choices.
    let fields = form("", true, "all");
    let question = asked(&team, &fields).await;
    assert_eq!(
        text(&question, IMPACT).as_deref(),
        Some(
            "This change stops 2 keys from working in Acme Corp at their next request: 1 organization key, \
             1 member's user key. Save anyway?"
        )
    );
    assert_eq!(attrs(&question, "input#require_expiry[checked]", "name"), ["require_expiry"]);
    assert_eq!(texts(&question, "[data-testid=save-policy-anyway]"), ["Save anyway"]);
    assert_eq!(attrs(&question, "#key-policy a.button", "href"), [GENERAL], "a way back");
    assert_eq!(stored_policy(&app).await, "none | no expiry needed | all", "nothing saved yet");
    assert_eq!(in_acme(&app, &ci).await, StatusCode::OK);

    let html = confirm(&team, &question, &fields).await;
    assert_eq!(flash(&html).as_deref(), Some("The API key policy was saved."));
    assert_eq!(attrs(&html, "input#require_expiry[checked]", "name"), ["require_expiry"]);
    assert_eq!(stored_policy(&app).await, "none | expiry required | all");

    // Keys without a date get 404 in Acme at once; the others, and Bolt's, work.
    assert_eq!(in_acme(&app, &ci).await, StatusCode::NOT_FOUND);
    assert_eq!(in_acme(&app, &mia_laptop).await, StatusCode::NOT_FOUND);
    assert_eq!(in_acme(&app, &dated).await, StatusCode::OK);
    assert_eq!(in_acme(&app, &alice_laptop).await, StatusCode::OK);
    assert_eq!(Api::new(&app, &bob_ci.full).get("/api/v1/orgs/bolt").await.status(), StatusCode::OK);
    let (_, details) = Api::new(&app, &dated.full).get_json("/api/v1/orgs/acme").await;
    assert_eq!(
        (&details["keys_require_expiry"], &details["user_keys_allowed"], &details["max_key_lifetime_days"]),
        (&json!(true), &json!("all"), &json!(null))
    );
    // The admins see why Mia's key no longer works here.
    let html = team.alice.page(MEMBER_KEYS).await;
    let statuses: Vec<String> =
        rows_with_breaks(&html, "[data-testid=member-keys]").into_iter().map(|row| row[6].clone()).collect();
    assert_eq!(
        statuses,
        [
            "Not allowed by the key policy Not allowed: the organization requires keys to have an expiry date.",
            "Active",
        ]
    );

    // Lifting it needs no question, and the keys work again.
    let html = team.alice.post_and_follow(POLICY, &form("", false, "all"), GENERAL).await;
    assert_eq!(flash(&html).as_deref(), Some("The API key policy was saved."));
    assert_eq!(in_acme(&app, &ci).await, StatusCode::OK);
    assert_eq!(
        key_audit_rows(&app).await.into_iter().filter(|row| row.contains("key_policy")).collect::<Vec<_>>(),
        [
            "acme | organization.key_policy_changed | API keys must have an expiry date",
            "acme | organization.key_policy_changed | API keys no longer need an expiry date",
        ]
    );
}
both_databases!(requiring_an_expiry_date_stops_keys_without_one_once_confirmed, at_epoch);

async fn only_restricted_user_keys_reach_an_organization_that_asks_for_them(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.mia, &team.bob, "bolt").await;
    let everywhere = team.mia.new_key(USER_KEYS, "Everywhere", "").await;
    let acme_only = team.mia.new_key(USER_KEYS, "Acme only", "").await;
    restrict(&app, &acme_only, &["acme"]).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;

    let fields = form("", false, "restricted");
    let question = asked(&team, &fields).await;
    assert_eq!(
        text(&question, IMPACT).as_deref(),
        Some(
            "This change stops 1 key from working in Acme Corp at their next request: 1 member's user key. \
             Save anyway?"
        )
    );
    assert_eq!(attrs(&question, "input[name=user_keys][checked]", "value"), ["restricted"]);
    confirm(&team, &question, &fields).await;
    assert_eq!(stored_policy(&app).await, "none | no expiry needed | restricted");

    assert_eq!(in_acme(&app, &everywhere).await, StatusCode::NOT_FOUND);
    let bolt = Api::new(&app, &everywhere.full).get("/api/v1/orgs/bolt").await.status();
    assert_eq!(bolt, StatusCode::OK, "Bolt asks nothing");
    assert_eq!(in_acme(&app, &acme_only).await, StatusCode::OK);
    assert_eq!(in_acme(&app, &ci).await, StatusCode::OK, "organization keys are not user keys");
    let (_, details) = Api::new(&app, &ci.full).get_json("/api/v1/orgs/acme").await;
    assert_eq!(details["user_keys_allowed"], "restricted");
    assert_eq!(
        key_audit_rows(&app).await.into_iter().filter(|row| row.contains("key_policy")).collect::<Vec<_>>(),
        ["acme | organization.key_policy_changed | User keys that may reach Acme Corp: only user keys \
             restricted to named organizations (was: all user keys of members)"]
    );
}
both_databases!(only_restricted_user_keys_reach_an_organization_that_asks_for_them, at_epoch);

async fn an_organization_that_lets_no_user_keys_in_keeps_its_own_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let restricted = team.mia.new_key(USER_KEYS, "Restricted", "2027-06-01").await;
    restrict(&app, &restricted, &["acme"]).await;
    let alice_laptop = team.alice.new_key(USER_KEYS, "Alice's laptop", "").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;

    let fields = form("", false, "none");
    let question = asked(&team, &fields).await;
    assert_eq!(
        text(&question, IMPACT).as_deref(),
        Some(
            "This change stops 3 keys from working in Acme Corp at their next request: 3 members' user keys. \
             Save anyway?"
        )
    );
    confirm(&team, &question, &fields).await;
    for key in [&mia_laptop, &restricted, &alice_laptop] {
        assert_eq!(in_acme(&app, key).await, StatusCode::NOT_FOUND, "{}", key.hint());
    }
    assert_eq!(in_acme(&app, &ci).await, StatusCode::OK);
    // Even the admin's own user key: the pages remain hers.
    assert_eq!(team.alice.get(GENERAL).await.status(), StatusCode::OK);
}
both_databases!(an_organization_that_lets_no_user_keys_in_keeps_its_own_keys, at_epoch);

async fn a_maximum_lifetime_stops_existing_keys_that_live_longer(app: TestApp) {
    let team = Team::new(&app).await;
    let long = team.alice.new_key(ACME_KEYS, "Long", "2027-12-31").await;
    let short = team.alice.new_key(ACME_KEYS, "Short", "2027-03-15").await;
    let mia_long = team.mia.new_key(USER_KEYS, "Mia's long key", "2028-01-01").await;

    let fields = form("30", false, "all");
    let question = asked(&team, &fields).await;
    assert_eq!(
        text(&question, IMPACT).as_deref(),
        Some(
            "This change stops 2 keys from working in Acme Corp at their next request: 1 organization key, \
             1 member's user key. Save anyway?"
        )
    );
    assert_eq!(value(&question, "input#max_days").as_deref(), Some("30"));
    confirm(&team, &question, &fields).await;
    assert_eq!(stored_policy(&app).await, "30 | no expiry needed | all");
    assert_eq!(in_acme(&app, &long).await, StatusCode::NOT_FOUND);
    assert_eq!(in_acme(&app, &mia_long).await, StatusCode::NOT_FOUND);
    assert_eq!(in_acme(&app, &short).await, StatusCode::OK);
}
both_databases!(a_maximum_lifetime_stops_existing_keys_that_live_longer, at_epoch);

async fn a_policy_is_counted_again_when_the_form_changes_after_the_question(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;

    // Confirmed for "no user keys", then sent with "expiry required" as well: asked again.
    let question = asked(&team, &form("", false, "none")).await;
    let confirmed = value(&question, "input[name=confirm]").unwrap();
    let mut changed = form("", true, "none");
    changed.push(("confirm", &confirmed));
    let again = asked(&team, &changed).await;
    assert_eq!(
        text(&again, IMPACT).as_deref(),
        Some(
            "This change stops 2 keys from working in Acme Corp at their next request: 1 organization key, \
             1 member's user key. Save anyway?"
        )
    );
    assert_eq!(stored_policy(&app).await, "none | no expiry needed | all");
    // A made-up confirmation is no confirmation either.
    let mut forged = form("", true, "none");
    forged.push(("confirm", "yes"));
    asked(&team, &forged).await;
    assert_eq!(stored_policy(&app).await, "none | no expiry needed | all");
    assert_eq!(in_acme(&app, &ci).await, StatusCode::OK);
    assert_eq!(in_acme(&app, &mia_laptop).await, StatusCode::OK);
}
both_databases!(a_policy_is_counted_again_when_the_form_changes_after_the_question, at_epoch);

async fn keys_that_work_nowhere_here_are_not_counted(app: TestApp) {
    let team = Team::new(&app).await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let mia_short = team.mia.new_key(USER_KEYS, "Mia's short key", "2027-03-01").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    team.alice
        .post_and_follow(&format!("{MEMBER_KEYS}/{}/block", mia_laptop.public_id), &[], MEMBER_KEYS)
        .await;
    // One of Mia's keys is blocked, the other expires: letting no user key in stops neither.
    // (Half a day, in two steps: the session stays alive with a visit in between.)
    crate::keys::set_clock(&app, crate::support::test_epoch() + chrono::Duration::hours(6));
    team.alice.page(GENERAL).await;
    crate::keys::set_clock(&app, crate::support::test_epoch() + chrono::Duration::hours(12));
    assert_eq!(Api::new(&app, &mia_short.full).whoami_status().await.0, StatusCode::UNAUTHORIZED);
    let response = team.alice.post(POLICY, &form("", false, "none")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), GENERAL);
    assert_eq!(stored_policy(&app).await, "none | no expiry needed | none");
    assert_eq!(in_acme(&app, &ci).await, StatusCode::OK);
}
both_databases!(keys_that_work_nowhere_here_are_not_counted, at_epoch);

async fn a_choice_that_is_not_offered_is_refused_next_to_the_choices(app: TestApp) {
    let team = Team::new(&app).await;
    for bad in ["some", "", "ALL"] {
        let response = team
            .alice
            .post(POLICY, &[("max_days", "40"), ("user_keys", bad), ("require_expiry", "on")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let html = response.text().await.unwrap();
        assert_eq!(
            text(&html, "fieldset.field-invalid #user_keys-error").as_deref(),
            Some("Choose which user keys may reach this organization."),
            "{bad:?}"
        );
        assert_eq!(value(&html, "input#max_days").as_deref(), Some("40"), "kept");
        assert_eq!(attrs(&html, "input#require_expiry[checked]", "name"), ["require_expiry"], "kept");
    }
    // Both fields wrong: both errors.
    let response = team.alice.post(POLICY, &[("max_days", "0"), ("user_keys", "some")]).await;
    let html = response.text().await.unwrap();
    assert!(text(&html, "#max_days-error").is_some() && text(&html, "#user_keys-error").is_some());
    assert_eq!(stored_policy(&app).await, "none | no expiry needed | all");
    // Only admins: a member 403, others 404.
    assert_eq!(team.mia.post(POLICY, &form("", true, "none")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(team.bob.post(POLICY, &form("", true, "none")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(stored_policy(&app).await, "none | no expiry needed | all");
}
both_databases!(a_choice_that_is_not_offered_is_refused_next_to_the_choices, at_epoch);
