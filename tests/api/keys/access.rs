//! Who may see and delete which keys: an organization's keys are for its admins
//! (outsiders 404, members 403, anonymous visitors sent to sign in); a user's keys
//! are theirs alone; and a key's public id used under another owner's address
//! finds nothing, even for someone who may manage both.

use reqwest::{Response, StatusCode};

use super::*;
use crate::both_databases;
use crate::support::location;

/// Every request of the keys screen at `list`, aimed at the key `public_id`.
async fn every_request(browser: &Browser, list: &str, public_id: &str) -> Vec<(String, Response)> {
    let delete_url = format!("{list}/{public_id}/delete");
    vec![
        (format!("GET {list}"), browser.get(list).await),
        (format!("GET {list}?page=2"), browser.get(&format!("{list}?page=2")).await),
        (format!("POST {list}"), browser.post(list, &[("description", "Sneaky"), ("valid_until", "")]).await),
        (format!("GET {delete_url}"), browser.get(&delete_url).await),
        (format!("POST {delete_url}"), browser.post(&delete_url, &[]).await),
    ]
}

/// Everything a key action could change.
async fn snapshot(app: &TestApp) -> (Vec<String>, Vec<String>) {
    (stored_keys(app).await, key_audit_rows(app).await)
}

/// Checks that each answer has `status` and tells nothing about the key.
async fn all_refused(answers: Vec<(String, Response)>, status: StatusCode, heading: &str, token: &Token) {
    for (request, response) in answers {
        assert_eq!(response.status(), status, "{request}");
        let html = response.text().await.unwrap();
        assert_eq!(text(&html, "h1").as_deref(), Some(heading), "{request}");
        assert!(!html.contains("Deploy bot"), "{request} names the key");
        assert!(!html.contains(&token.hint()) && !token.leaks_into(&html), "{request} shows the key");
    }
}

async fn outsiders_get_404_and_members_403_on_every_organization_key_request(app: TestApp) {
    let team = Team::new(&app).await;
    let token = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let before = snapshot(&app).await;

    let answers = every_request(&team.olga, ACME_KEYS, &token.public_id).await;
    all_refused(answers, StatusCode::NOT_FOUND, "Page not found", &token).await;
    // An admin of another organization is an outsider here.
    let answers = every_request(&team.bob, ACME_KEYS, &token.public_id).await;
    all_refused(answers, StatusCode::NOT_FOUND, "Page not found", &token).await;
    // Nothing tells an existing organization from a missing one.
    let missing = "/o/no-such-org/settings/api-keys";
    let answers = every_request(&team.olga, missing, &token.public_id).await;
    all_refused(answers, StatusCode::NOT_FOUND, "Page not found", &token).await;
    assert_eq!(
        team.olga.html(ACME_KEYS).await,
        team.olga.html(missing).await,
        "the same page for an existing and a missing organization"
    );
    // A member may not manage the organization's keys.
    let answers = every_request(&team.mia, ACME_KEYS, &token.public_id).await;
    all_refused(answers, StatusCode::FORBIDDEN, "Access denied", &token).await;
    let html = team.mia.page("/o/acme").await;
    assert!(attrs(&html, &format!("a[href='{ACME_KEYS}']"), "href").is_empty(), "no link for a member");

    assert_eq!(snapshot(&app).await, before, "nothing changed");
    assert_eq!(descriptions(&team.alice.page(ACME_KEYS).await), ["Deploy bot"]);
}
both_databases!(outsiders_get_404_and_members_403_on_every_organization_key_request, at_epoch);

async fn anonymous_visitors_are_sent_to_sign_in(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let user_key = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let before = snapshot(&app).await;
    let visitor = Browser::anonymous(&app).await;
    for (list, token) in [(ACME_KEYS, &org_key), (USER_KEYS, &user_key)] {
        let delete_url = format!("{list}/{}/delete", token.public_id);
        for path in [list.to_string(), delete_url.clone()] {
            let response = visitor.get(&path).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
            let encoded: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            assert_eq!(location(&response), format!("/login?return_to={encoded}"), "{path}");
        }
        for path in [list.to_string(), delete_url] {
            let response = visitor.post(&path, &[("description", "Sneaky"), ("valid_until", "")]).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
            assert!(location(&response).starts_with("/login"), "{path}");
        }
    }
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(anonymous_visitors_are_sent_to_sign_in, at_epoch);

async fn an_admin_of_another_organization_cannot_reach_a_key_through_their_own_address(app: TestApp) {
    let team = Team::new(&app).await;
    let acme = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let bolt = team.bob.new_key(BOLT_KEYS, "Bolt CI", "").await;
    let before = snapshot(&app).await;

    // Bob, admin of Bolt, with Acme's public id under Bolt's address.
    let wrong = format!("{BOLT_KEYS}/{}/delete", acme.public_id);
    let response = team.bob.get(&wrong).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {wrong}");
    let html = response.text().await.unwrap();
    assert!(!html.contains("Deploy bot") && !html.contains(&acme.hint()), "the page names Acme's key");
    assert_eq!(team.bob.post(&wrong, &[]).await.status(), StatusCode::NOT_FOUND, "POST {wrong}");
    assert!(key_exists(&app, &acme.public_id).await, "Acme's key is still there");
    let html = team.bob.page(BOLT_KEYS).await;
    assert_eq!(descriptions(&html), ["Bolt CI"], "Bolt's list shows only Bolt's key");
    assert!(!html.contains(&acme.hint()));

    // Alice becomes an admin of Bolt too: she may delete both keys, but each
    // only under its own organization's address.
    join(&app, &team.alice, &team.bob, "bolt").await;
    let alice_id = team.alice.id;
    team.bob
        .post_and_follow(
            &format!("/o/bolt/settings/members/{alice_id}/role"),
            &[("role", "admin")],
            "/o/bolt/settings/members",
        )
        .await;
    let before_alice = snapshot(&app).await;
    let crossed =
        [format!("{BOLT_KEYS}/{}/delete", acme.public_id), format!("{ACME_KEYS}/{}/delete", bolt.public_id)];
    for path in &crossed {
        assert_eq!(team.alice.get(path).await.status(), StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(team.alice.post(path, &[]).await.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    assert_eq!(snapshot(&app).await, before_alice, "both keys are still there, nothing logged");
    assert_eq!(before_alice.0, before.0);
    assert_eq!(descriptions(&team.alice.page(ACME_KEYS).await), ["Deploy bot"]);
    assert_eq!(descriptions(&team.alice.page(BOLT_KEYS).await), ["Bolt CI"]);

    // Under the right address it works.
    team.alice.post_and_follow(&format!("{ACME_KEYS}/{}/delete", acme.public_id), &[], ACME_KEYS).await;
    assert!(key_revoked(&app, &acme.public_id).await);
    assert!(!key_revoked(&app, &bolt.public_id).await);
}
both_databases!(an_admin_of_another_organization_cannot_reach_a_key_through_their_own_address, at_epoch);

async fn a_user_cannot_see_or_delete_another_users_key(app: TestApp) {
    let team = Team::new(&app).await;
    let mias = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let olgas = team.olga.new_key(USER_KEYS, "Olga's laptop", "").await;
    let before = snapshot(&app).await;
    for (who, key) in [(&team.olga, &mias), (&team.mia, &olgas), (&team.alice, &mias), (&team.bob, &olgas)] {
        let path = format!("{USER_KEYS}/{}/delete", key.public_id);
        let response = who.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{} GET {path}", who.name);
        let html = response.text().await.unwrap();
        assert!(!html.contains("laptop") && !html.contains(&key.hint()), "{} sees the key", who.name);
        assert_eq!(who.post(&path, &[]).await.status(), StatusCode::NOT_FOUND, "{} POST {path}", who.name);
    }
    // Not even Mia's organization admin, under the organization's address.
    let path = format!("{ACME_KEYS}/{}/delete", mias.public_id);
    assert_eq!(team.alice.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(team.alice.post(&path, &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app).await, before, "both keys are still there");
    assert_eq!(descriptions(&team.mia.page(USER_KEYS).await), ["Mia's laptop"]);
    assert_eq!(descriptions(&team.olga.page(USER_KEYS).await), ["Olga's laptop"]);
    for who in [&team.alice, &team.bob] {
        let html = who.page(USER_KEYS).await;
        assert!(text(&html, EMPTY).is_some(), "{} sees someone else's key", who.name);
        assert!(!html.contains("laptop"));
    }
}
both_databases!(a_user_cannot_see_or_delete_another_users_key, at_epoch);

async fn user_keys_and_organization_keys_never_mix(app: TestApp) {
    let team = Team::new(&app).await;
    let personal = team.alice.new_key(USER_KEYS, "Personal", "").await;
    let shared = team.alice.new_key(ACME_KEYS, "Shared", "").await;
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(descriptions(&html), ["Shared"]);
    assert!(!html.contains(&personal.hint()) && !html.contains("mci_usr_"));
    let html = team.alice.page(USER_KEYS).await;
    assert_eq!(descriptions(&html), ["Personal"]);
    assert!(!html.contains(&shared.hint()) && !html.contains("mci_org_"));
    assert!(text(&team.bob.page(BOLT_KEYS).await, EMPTY).is_some());

    // Alice owns both, but each public id works only under its own screen.
    let before = snapshot(&app).await;
    for path in [
        format!("{ACME_KEYS}/{}/delete", personal.public_id),
        format!("{USER_KEYS}/{}/delete", shared.public_id),
    ] {
        assert_eq!(team.alice.get(&path).await.status(), StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(team.alice.post(&path, &[]).await.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(stored_keys(&app).await.len(), 2);
}
both_databases!(user_keys_and_organization_keys_never_mix, at_epoch);
