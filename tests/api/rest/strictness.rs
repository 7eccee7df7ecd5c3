//! Input read one way by us and another by whoever sent or relayed it is
//! refused, not guessed at: a JSON body that names a member twice (serde_json
//! would keep the last), and a key in the query string hidden under several
//! rounds of percent-encoding.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;
use crate::both_databases;

const TWICE: &str = "This member appears more than once in the body: send it once.";

/// POSTs `raw` as it is, as JSON.
async fn post_raw(api: &Api, list: &str, raw: &str) -> reqwest::Response {
    let request = api.request(Method::POST, list).header("Content-Type", "application/json");
    request.body(raw.to_string()).send().await.unwrap()
}

/// Checks a 422 `validation_failed` and returns its body.
async fn unprocessable(response: reqwest::Response) -> serde_json::Value {
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await
}

async fn a_body_that_names_a_member_twice_is_refused_with_the_member_named(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    for (token, list) in [(&ci, "/api/v1/orgs/acme/keys"), (&laptop, "/api/v1/user/keys")] {
        let api = Api::new(&app, &token.full);
        for (raw, member) in [
            (r#"{"description": "a", "description": "b"}"#, "description"),
            (r#"{"description": "same", "description": "same"}"#, "description"),
            (r#"{"description": "CI", "valid_until": "2027-06-01", "valid_until": null}"#, "valid_until"),
            (r#"{"valid_until": null, "description": "CI", "valid_until": null}"#, "valid_until"),
            (r#"{"description": "CI", "extra": {"x": 1, "x": 2}}"#, "extra.x"),
            (r#"{"description": "CI", "extra": [{"x": 1}, {"y": {"z": 1, "z": 1}}]}"#, "extra[1].y.z"),
            (r#"{"description": "CI", "description": 5}"#, "description"),
        ] {
            let body = unprocessable(post_raw(&api, list, raw).await).await;
            assert_eq!(body["error"]["fields"], json!({ member: TWICE }), "{list} {raw}");
            assert_eq!(
                message(&body),
                format!("The request has invalid fields. {member}: {TWICE}"),
                "{list} {raw}"
            );
        }
        // The other rules hold as before: an object, with a description.
        for raw in [r#"["CI", "CI"]"#, r#""CI""#] {
            let body = unprocessable(post_raw(&api, list, raw).await).await;
            let fields = body["error"]["fields"].as_object().expect("fields");
            assert_eq!(fields.keys().collect::<Vec<_>>(), ["body"], "{raw}");
        }
        // The same members once each, in any order, are fine.
        let once = r#"{"valid_until": null, "x": {"x": [{"x": 1}], "y": {"x": 2}}, "description": "1"}"#;
        let (status, created) = json_of(post_raw(&api, list, once).await).await;
        assert_eq!((status, &created["description"]), (StatusCode::CREATED, &json!("1")), "{created}");
    }
    assert_eq!(key_count(&app).await, 4, "only the two good bodies made keys");
    assert_not_logged(&app, &[&ci, &laptop]);
}
both_databases!(a_body_that_names_a_member_twice_is_refused_with_the_member_named, at_epoch);

async fn a_key_in_the_query_is_refused_however_many_times_it_was_percent_encoded(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &ci.full);
    let twice = ci.full.replace('_', "%255F");
    let thrice = ci.full.replace('_', "%25255F");
    let queries = [
        format!("x={twice}"),
        format!("x={thrice}"),
        format!("page=1&q={}", ci.full.replace("mci_", "mci%255F").replace("org_", "org%2525255F")),
        format!("{twice}=1"),
        "api%255Fkey=abc".to_string(),
        "access%25255Ftoken=abc".to_string(),
        "%2561pi_key=abc".to_string(),
        format!("x=1%2526token%253D{twice}"),
    ];
    for query in &queries {
        for path in ["/api/v1/whoami", "/api/v1/orgs/acme/keys"] {
            let body = assert_error(
                api.get(&format!("{path}?{query}")).await,
                StatusCode::BAD_REQUEST,
                "key_in_query",
            )
            .await;
            assert!(message(&body).contains("consider this one exposed"), "{query}: {body}");
        }
    }
    // Encoded text that decodes to no key nor credential name is fine.
    for query in ["q=%2541%2542", "q=mci%255Fci", "per_page=%2510", "q=100%25"] {
        let (status, body) = api.get_json(&format!("/api/v1/whoami?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
    }
    assert_not_logged(&app, &[&ci]);
}
both_databases!(a_key_in_the_query_is_refused_however_many_times_it_was_percent_encoded, at_epoch);
