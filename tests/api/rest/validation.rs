//! 422 `validation_failed` with `fields`: what is wrong, field by field, in the
//! same words as the keys screen; nothing is created.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::both_databases;

const POLICY: &str = "/o/acme/settings/key-policy";
const GENERAL: &str = "/o/acme/settings/general";

/// POSTs `body` and checks the 422 and its fields.
async fn refused(api: &Api, list: &str, body: Value, fields: Value) {
    let (status, answer) = api.post_json(list, body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{list} {body}: {answer}");
    assert_eq!(code(&answer), "validation_failed", "{answer}");
    assert_eq!(answer["error"]["fields"], fields, "{list} {body}");
    assert!(message(&answer).starts_with("The request has invalid fields."), "{answer}");
}

/// POSTs `body` and checks the 422 names the body as a whole (wrong types, missing fields).
async fn refused_as_a_whole(api: &Api, list: &str, body: Value) {
    let (status, answer) = api.post_json(list, body.clone()).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{body}: {answer}"
    );
    let fields = answer["error"]["fields"].as_object().expect("fields");
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["body"], "{body}: {answer}");
}

async fn invalid_new_keys_are_refused_with_the_fields_at_fault(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let after_today = "Choose a date after today (28 Feb 2027).";
    let not_a_date = "Enter the date as YYYY-MM-DD, e.g. 2027-12-31.";
    let describe = "Describe what the key is for.";
    for (token, list) in [(&ci, "/api/v1/orgs/acme/keys"), (&laptop, "/api/v1/user/keys")] {
        let api = Api::new(&app, &token.full);
        for (body, fields) in [
            (json!({"description": ""}), json!({"description": describe})),
            (json!({"description": "  \t "}), json!({"description": describe})),
            (json!({"description": "x".repeat(201)}), json!({"description": "Use at most 200 characters."})),
            (json!({"description": "é".repeat(201)}), json!({"description": "Use at most 200 characters."})),
            (
                json!({"description": "two\nlines"}),
                json!({
                    "description":
                        "The description cannot contain control characters such as line breaks.",
                }),
            ),
            (json!({"description": "CD", "valid_until": "2027-02-28"}), json!({"valid_until": after_today})),
            (json!({"description": "CD", "valid_until": "2020-01-01"}), json!({"valid_until": after_today})),
            (json!({"description": "CD", "valid_until": "2027-13-01"}), json!({"valid_until": not_a_date})),
            (json!({"description": "CD", "valid_until": "2027-02-30"}), json!({"valid_until": not_a_date})),
            (json!({"description": "CD", "valid_until": "tomorrow"}), json!({"valid_until": not_a_date})),
            (json!({"description": "CD", "valid_until": "01/03/2027"}), json!({"valid_until": not_a_date})),
            (json!({}), json!({"description": describe})),
            (json!({"valid_until": "2027-06-01"}), json!({"description": describe})),
            (
                json!({"description": "", "valid_until": "2000-01-01"}),
                json!({"description": describe, "valid_until": after_today}),
            ),
        ] {
            refused(&api, list, body, fields).await;
        }
        for body in [
            json!({"description": 5}),
            json!({"description": null}),
            json!({"description": "CD", "valid_until": 20270601}),
            json!("CD"),
            json!(["CD"]),
            json!(["CD", "2027-06-01"]),
            json!(null),
        ] {
            refused_as_a_whole(&api, list, body).await;
        }
    }
    assert_eq!(key_count(&app).await, 2, "nothing was created");
    assert_eq!(key_audit(&app, "acme").await.len(), 1, "nothing was logged");

    // The limits themselves are fine: 200 characters after trimming, tomorrow.
    let api = Api::new(&app, &ci.full);
    let (created, _) = api
        .create_key("/api/v1/orgs/acme/keys", &format!("  {}  ", "é".repeat(200)), Some("2027-03-01"))
        .await;
    assert_eq!(created["description"], "é".repeat(200));
    assert_eq!(created["status"], "expires_soon");
    let (created, _) = Api::new(&app, &laptop.full).create_key("/api/v1/user/keys", "Never", None).await;
    assert_eq!(created["valid_until"], Value::Null);
    assert_not_logged(&app, &[&ci, &laptop]);
}
both_databases!(invalid_new_keys_are_refused_with_the_fields_at_fault, at_epoch);

async fn an_organizations_key_policy_applies_to_keys_made_through_the_api(app: TestApp) {
    let team = Team::new(&app).await;
    // Within the policy set next (keys beyond it would no longer reach acme).
    let ci = team.alice.new_key(ACME_KEYS, "CI", "2027-03-20").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "2027-03-20").await;
    team.alice.post_and_follow(POLICY, &[("max_days", "30")], GENERAL).await;
    let org = Api::new(&app, &ci.full);
    let (status, body) = org.get_json("/api/v1/orgs/acme").await;
    assert_eq!((status, body["max_key_lifetime_days"].clone()), (StatusCode::OK, json!(30)));

    for api in [&org, &Api::new(&app, &laptop.full)] {
        let list = "/api/v1/orgs/acme/keys";
        let required = json!({
            "valid_until": "This organization requires an expiry date (at most 30 days from today).",
        });
        refused(api, list, json!({"description": "Deploy"}), required.clone()).await;
        refused(api, list, json!({"description": "Deploy", "valid_until": null}), required.clone()).await;
        refused(api, list, json!({"description": "Deploy", "valid_until": " "}), required).await;
        let beyond = json!({
            "valid_until":
                "This organization allows keys of at most 30 days: choose 31 Mar 2027 or earlier.",
        });
        refused(api, list, json!({"description": "Deploy", "valid_until": "2027-04-01"}), beyond.clone())
            .await;
        refused(api, list, json!({"description": "Deploy", "valid_until": "2030-01-01"}), beyond).await;
        let (created, _) = api.create_key(list, "Deploy", Some("2027-03-31")).await;
        assert_eq!(created["valid_until"], "2027-03-31");
    }
    // The policy is the organization's: user keys may still live longer, or forever.
    let (created, _) =
        Api::new(&app, &laptop.full).create_key("/api/v1/user/keys", "Long", Some("2030-01-01")).await;
    assert_eq!(created["valid_until"], "2030-01-01");
    assert_eq!(key_count(&app).await, 5);
    assert_not_logged(&app, &[&ci, &laptop]);
}
both_databases!(an_organizations_key_policy_applies_to_keys_made_through_the_api, at_epoch);

async fn bad_page_numbers_are_refused_with_the_field_at_fault(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    for (token, list) in [(&ci, "/api/v1/orgs/acme/keys"), (&laptop, "/api/v1/user/keys")] {
        let api = Api::new(&app, &token.full);
        for bad in ["0", "101", "1000", "-1", "abc", "1.5", "", "99999999999999999999"] {
            let (status, body) = api.get_json(&format!("{list}?per_page={bad}")).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                "{bad:?}"
            );
            assert_eq!(
                body["error"]["fields"],
                json!({"per_page": "Must be a whole number from 1 to 100."}),
                "{bad:?}"
            );
        }
        // Page numbers went with OFFSET: page 1 is the first page, any other
        // is refused with the way to reach it.
        for bad in ["0", "2", "-3", "x", "1000001"] {
            let (status, body) = api.get_json(&format!("{list}?page={bad}")).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                "{bad:?}"
            );
            assert_eq!(
                body["error"]["fields"],
                json!({"page": "Pages are reached with `cursor`: pass the `next_cursor` of the page before."}),
                "{bad:?}"
            );
        }
        for good in ["per_page=100", "per_page=1", "page=1", "page=%201", "per_page=%2050%20", "unrelated=1"]
        {
            let (status, body) = api.get_json(&format!("{list}?{good}")).await;
            assert_eq!(status, StatusCode::OK, "{good}: {body}");
        }
        let (_, body) = api.get_json(&format!("{list}?per_page=100")).await;
        assert_eq!(body["per_page"], 100);
        // A parameter given twice has no one meaning: 400, naming it.
        for (twice, name) in [("per_page=1&per_page=2", "per_page"), ("page=1&x=0&page=1", "page")] {
            let (status, body) = api.get_json(&format!("{list}?{twice}")).await;
            assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "bad_request"), "{twice}");
            let expected = format!("duplicate field `{name}`. Give each parameter once.");
            assert_eq!(message(&body), format!("The query string could not be read: {expected}"));
        }
    }
    assert_not_logged(&app, &[&ci, &laptop]);
}
both_databases!(bad_page_numbers_are_refused_with_the_field_at_fault, at_epoch);
