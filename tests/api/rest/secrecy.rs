//! A token is sent once, in the creation response (SPEC §2 "The one-time
//! token"): lists, gets and every other answer show the public id and hint only,
//! never the token, its secret or its hash. Keys made through the API are the
//! same keys the screens show, and the organization's audit log records them.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::keys::{descriptions, key_rows, page_text};

/// The raw body of a GET that must answer 200.
async fn body_of(api: &Api, path: &str) -> String {
    let response = api.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

async fn a_token_is_only_in_the_response_that_creates_it(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let org = Api::new(&app, &ci.full);
    let user = Api::new(&app, &laptop.full);
    let (_, made_by_org) = org.create_key("/api/v1/orgs/acme/keys", "From CI", Some("2027-06-01")).await;
    let (_, made_by_user) = user.create_key("/api/v1/user/keys", "Second laptop", None).await;
    let every = [&ci, &laptop, &made_by_org, &made_by_user];
    let mut hashes = Vec::new();
    for token in every {
        hashes.push(secret_hash(&app, &token.public_id).await);
    }

    let mut answers = Vec::new();
    for (api, path) in [
        (&org, "/api/v1/whoami".to_string()),
        (&org, "/api/v1/orgs".to_string()),
        (&org, "/api/v1/orgs/acme".to_string()),
        (&org, "/api/v1/orgs/acme/members".to_string()),
        (&org, "/api/v1/orgs/acme/keys".to_string()),
        (&org, "/api/v1/orgs/acme/keys?per_page=1".to_string()),
        (&org, format!("/api/v1/orgs/acme/keys/{}", made_by_org.public_id)),
        (&org, format!("/api/v1/orgs/acme/keys/{}", ci.public_id)),
        (&user, "/api/v1/whoami".to_string()),
        (&user, "/api/v1/user/keys".to_string()),
        (&user, format!("/api/v1/user/keys/{}", made_by_user.public_id)),
        (&user, format!("/api/v1/user/keys/{}", laptop.public_id)),
        (&user, "/api/v1/orgs/acme/keys".to_string()),
    ] {
        answers.push((path.clone(), body_of(api, &path).await));
    }
    for (path, body) in &answers {
        for token in every {
            assert!(!token.leaks_into(body), "{path} shows the token of {}: {body}", token.hint());
        }
        for hash in &hashes {
            assert!(!body.contains(hash.as_str()), "{path} shows a hash: {body}");
        }
        assert!(!body.contains("argon2") && !body.contains("\"token\""), "{path}: {body}");
    }
    // The lists show the keys by public id and hint.
    let list = &answers[4].1;
    assert!(list.contains(&made_by_org.public_id) && list.contains(&made_by_org.hint()), "{list}");

    assert_not_stored(&app, &every).await;
    assert_not_logged(&app, &every);
}
both_databases!(a_token_is_only_in_the_response_that_creates_it, at_epoch);

async fn keys_made_and_deleted_through_the_api_are_on_the_screens_and_in_the_audit_log(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let org = Api::new(&app, &ci.full);
    let user = Api::new(&app, &laptop.full);

    let (_, by_org) = org.create_key("/api/v1/orgs/acme/keys", "Made by CI", Some("2027-06-01")).await;
    let (_, by_alice) = user.create_key("/api/v1/orgs/acme/keys", "Made by Alice", None).await;
    let (_, own) = user.create_key("/api/v1/user/keys", "Second laptop", None).await;

    // The screens list them like any other key, by description and id.
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(descriptions(&html), ["Made by Alice", "Made by CI", "CI"]);
    let rows = key_rows(&html);
    assert_eq!(rows[0][1], by_alice.id_cell("Made by Alice"));
    assert_eq!(rows[1][1], by_org.id_cell("Made by CI"));
    assert!(rows[0][2].contains("Alice"), "{:?}", rows[0]);
    let html = team.alice.page(USER_KEYS).await;
    assert_eq!(descriptions(&html), ["Second laptop", "Laptop"]);
    assert_eq!(key_rows(&html)[0][1], own.id_cell("Second laptop"));
    for token in [&ci, &laptop, &by_org, &by_alice, &own] {
        assert!(!token.leaks_into(&html));
    }
    // And what the screens make, the API lists.
    let (_, list) = org.get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(list["total"], 3);

    // Deletions through the API, by either kind of key.
    assert_eq!(
        org.delete(&format!("/api/v1/orgs/acme/keys/{}", by_alice.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        user.delete(&format!("/api/v1/orgs/acme/keys/{}", by_org.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        user.delete(&format!("/api/v1/user/keys/{}", own.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(descriptions(&team.alice.page(ACME_KEYS).await), ["CI"]);
    assert_eq!(descriptions(&team.alice.page(USER_KEYS).await), ["Laptop"]);

    // The audit log says who, through which key (by hint), never a token.
    let (via_ci, via_laptop) = (
        format!(" (through the API, key {})", ci.hint()),
        format!(" (through the API, key {})", laptop.hint()),
    );
    let (org_made, alice_made) = (by_org.hint(), by_alice.hint());
    assert_eq!(
        key_audit(&app, "acme").await,
        [
            format!("api_key.created | Alice | Created API key {} “CI”", ci.hint()),
            format!("api_key.created | - | Created API key {org_made} “Made by CI”{via_ci}"),
            format!("api_key.created | Alice | Created API key {alice_made} “Made by Alice”{via_laptop}"),
            format!(
                "api_key.revoked | - | Revoked API key {alice_made} “Made by Alice” (by a person){via_ci}"
            ),
            format!(
                "api_key.revoked | Alice | Revoked API key {org_made} “Made by CI” (by a person){via_laptop}"
            ),
        ]
    );
    let text = page_text(&team.alice.page("/o/acme/settings/audit-log").await);
    assert!(
        text.contains(&format!("Revoked API key {org_made} “Made by CI” (by a person){via_laptop}")),
        "{text}"
    );
    assert!(key_audit(&app, "bolt").await.is_empty());
    let every = [&ci, &laptop, &by_org, &by_alice, &own];
    assert!(!every.iter().any(|token| token.leaks_into(&text)));
    assert_not_stored(&app, &every).await;
    assert_not_logged(&app, &every);
}
both_databases!(keys_made_and_deleted_through_the_api_are_on_the_screens_and_in_the_audit_log, at_epoch);
