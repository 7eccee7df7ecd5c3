//! What a key reaches (SPEC §2 "Kinds", §4): an organization key its
//! organization only; a user key the user's organizations, with the user's role
//! in each as it is at the time of the request. Outside its reach a key gets 404
//! (the same as for an organization that does not exist); a member's user key
//! gets 403 on key management, and so does an organization key on user keys.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::permissions::{FULL_ACCESS, set_scope};
use super::*;
use crate::both_databases;
use crate::keys::join;

const MEMBERS: &str = "/o/acme/settings/members";
/// What a member's full-access key may do in the organization.
const MEMBER_RIGHTS: &str =
    "org:read members:read repos:write builds:write params:write ssh_keys:write webhooks:write";

/// `GET /api/v1/orgs/acme` answered 200 or 404.
async fn reaches_acme(api: &Api) -> bool {
    let (status, body) = api.get_json("/api/v1/orgs/acme").await;
    match status {
        StatusCode::OK => true,
        StatusCode::NOT_FOUND => {
            assert_eq!(code(&body), "not_found");
            false
        }
        other => panic!("{other}: {body}"),
    }
}

/// The slugs `GET /api/v1/orgs` lists.
async fn listed(api: &Api) -> Vec<String> {
    let (status, body) = api.get_json("/api/v1/orgs").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap().to_string())
        .collect()
}

async fn keys_outside_their_reach_get_404_and_change_nothing(app: TestApp) {
    let team = Team::new(&app).await;
    let acme_key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let bolt_key = team.bob.new_key(BOLT_KEYS, "Bolt CI", "").await;
    let bob_laptop = team.bob.new_key(USER_KEYS, "Bob's laptop", "").await;
    let olga_laptop = team.olga.new_key(USER_KEYS, "Olga's laptop", "").await;
    let acme_key_url = format!("/api/v1/orgs/acme/keys/{}", acme_key.public_id);
    let not_found = "Not found, or not within this key's reach.";

    for outsider in [&bolt_key, &bob_laptop, &olga_laptop] {
        let api = Api::new(&app, &outsider.full);
        for path in [
            "/api/v1/orgs/acme",
            "/api/v1/orgs/acme/members",
            "/api/v1/orgs/acme/keys",
            acme_key_url.as_str(),
            "/api/v1/orgs/nowhere",
            "/api/v1/orgs/nowhere/members",
            "/api/v1/orgs/nowhere/keys",
        ] {
            let body = assert_error(api.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
            assert_eq!(message(&body), not_found, "{path}: the same answer as for no organization");
        }
        let (status, body) =
            api.post_json("/api/v1/orgs/acme/keys", json!({"description": "Intruder"})).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
        assert_error(api.delete(&acme_key_url).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    // A guessed id of another organization's key, under one's own organization.
    let bob = Api::new(&app, &bolt_key.full);
    let guessed = format!("/api/v1/orgs/bolt/keys/{}", acme_key.public_id);
    assert_error(bob.get(&guessed).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(bob.delete(&guessed).await, StatusCode::NOT_FOUND, "not_found").await;
    let bob_user = Api::new(&app, &bob_laptop.full);
    assert_error(bob_user.get(&guessed).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(bob_user.delete(&guessed).await, StatusCode::NOT_FOUND, "not_found").await;
    // Someone else's user key, by its id.
    let alices = format!("/api/v1/user/keys/{}", laptop.public_id);
    assert_error(bob_user.get(&alices).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(bob_user.delete(&alices).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(
        bob_user.delete(&format!("/api/v1/user/keys/{}", bolt_key.public_id)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Ids that are not ids at all.
    for junk in ["nope", "0000000000000000", "mci_org_AAAA"] {
        assert_error(
            bob.delete(&format!("/api/v1/orgs/bolt/keys/{junk}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_error(
            bob_user.get(&format!("/api/v1/user/keys/{junk}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }

    // Nothing changed: both of Alice's keys are there and work; nothing was created.
    assert!(key_exists(&app, &acme_key.public_id).await && key_exists(&app, &laptop.public_id).await);
    assert_eq!(key_count(&app).await, 5);
    assert_eq!(Api::new(&app, &acme_key.full).whoami_status().await, (StatusCode::OK, None));
    assert_eq!(Api::new(&app, &laptop.full).whoami_status().await, (StatusCode::OK, None));
    assert_eq!(key_audit(&app, "acme").await.len(), 1, "only the creation through the UI");
    assert_eq!(key_audit(&app, "bolt").await.len(), 1);

    // Each key sees its own world.
    assert_eq!(listed(&Api::new(&app, &olga_laptop.full)).await, Vec::<String>::new());
    assert_eq!(listed(&bob).await, ["bolt"]);
    assert_eq!(listed(&bob_user).await, ["bolt"]);
    assert_not_logged(&app, &[&acme_key, &laptop, &bolt_key, &bob_laptop, &olga_laptop]);
}
both_databases!(keys_outside_their_reach_get_404_and_change_nothing, at_epoch);

async fn a_members_user_key_reads_the_organization_but_may_not_manage_its_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    set_scope(&app, &mia_laptop, FULL_ACCESS).await;
    let mia = Api::new(&app, &mia_laptop.full);

    let (status, body) = mia.get_json("/api/v1/orgs/acme").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["role"], &body["can_manage_keys"]), (&json!("member"), &json!(false)));
    let (status, body) = mia.get_json("/api/v1/orgs/acme/members").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 2);
    let (status, body) = mia.get_json("/api/v1/orgs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"organizations": [
            {"slug": "acme", "name": "Acme Corp", "role": "member", "can_manage_keys": false, "scope": MEMBER_RIGHTS},
        ]})
    );

    let ci_url = format!("/api/v1/orgs/acme/keys/{}", ci.public_id);
    let refusals = [
        mia.get("/api/v1/orgs/acme/keys").await,
        mia.call(Method::POST, "/api/v1/orgs/acme/keys", Some(json!({"description": "Mine"}))).await,
        mia.get(&ci_url).await,
        mia.delete(&ci_url).await,
    ];
    for response in refusals {
        let body = assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(
            message(&body),
            "Managing the API keys of Acme Corp needs the admin role; you are a member."
        );
    }
    assert!(key_exists(&app, &ci.public_id).await);
    assert_eq!(key_count(&app).await, 2);
    // Her own keys are hers to manage.
    let (status, body) = mia.get_json("/api/v1/user/keys").await;
    assert_eq!((status, body["total"].clone()), (StatusCode::OK, json!(1)));
    assert_not_logged(&app, &[&ci, &mia_laptop]);
}
both_databases!(a_members_user_key_reads_the_organization_but_may_not_manage_its_keys, at_epoch);

async fn an_organization_key_may_not_manage_user_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let api = Api::new(&app, &ci.full);
    let laptop_url = format!("/api/v1/user/keys/{}", laptop.public_id);
    let refusals = [
        api.get("/api/v1/user/keys").await,
        api.call(Method::POST, "/api/v1/user/keys", Some(json!({"description": "Sneaky"}))).await,
        api.get(&laptop_url).await,
        api.delete(&laptop_url).await,
    ];
    for response in refusals {
        let body = assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        assert!(message(&body).contains("user key"), "{body}");
    }
    assert!(key_exists(&app, &laptop.public_id).await);
    assert_eq!(key_count(&app).await, 2);
    assert_eq!(Api::new(&app, &laptop.full).whoami_status().await, (StatusCode::OK, None));
    assert_not_logged(&app, &[&ci, &laptop]);
}
both_databases!(an_organization_key_may_not_manage_user_keys, at_epoch);

async fn a_user_key_loses_an_organization_the_moment_the_user_leaves_it(app: TestApp) {
    let team = Team::new(&app).await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let mia = Api::new(&app, &mia_laptop.full);
    assert!(reaches_acme(&mia).await);
    assert!(reaches_acme(&mia).await, "hot in the cache");
    assert_eq!(listed(&mia).await, ["acme"]);

    team.mia.post_and_follow("/o/acme/leave", &[], "/").await;
    assert!(!reaches_acme(&mia).await, "the very next request");
    assert_eq!(listed(&mia).await, Vec::<String>::new());
    assert_error(mia.get("/api/v1/orgs/acme/members").await, StatusCode::NOT_FOUND, "not_found").await;
    let (status, body) = mia.get_json("/api/v1/whoami").await;
    assert_eq!(status, StatusCode::OK, "the key itself still works");
    assert_eq!(body["organizations"], json!([]));
    assert!(reaches_acme(&Api::new(&app, &ci.full)).await, "the organization's key is not affected");

    // Joining again brings the organization back, at once too.
    join(&app, &team.mia, &team.alice, "acme").await;
    assert!(reaches_acme(&mia).await);
    assert_not_logged(&app, &[&mia_laptop, &ci]);
}
both_databases!(a_user_key_loses_an_organization_the_moment_the_user_leaves_it, at_epoch);

async fn a_user_key_loses_an_organization_the_moment_an_admin_removes_the_user(app: TestApp) {
    let team = Team::new(&app).await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let mia = Api::new(&app, &mia_laptop.full);
    assert!(reaches_acme(&mia).await);
    assert!(reaches_acme(&mia).await, "hot in the cache");

    team.alice.post_and_follow(&format!("{MEMBERS}/{}/remove", team.mia.id), &[], MEMBERS).await;
    assert!(!reaches_acme(&mia).await, "the very next request");
    assert_eq!(listed(&mia).await, Vec::<String>::new());
    let (status, body) = mia.get_json("/api/v1/orgs/acme/members").await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    assert_not_logged(&app, &[&mia_laptop]);
}
both_databases!(a_user_key_loses_an_organization_the_moment_an_admin_removes_the_user, at_epoch);

async fn a_promotion_gives_key_management_at_once_and_a_demotion_takes_it_away(app: TestApp) {
    let team = Team::new(&app).await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let mia = Api::new(&app, &mia_laptop.full);
    assert_error(mia.get("/api/v1/orgs/acme/keys").await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(mia.get("/api/v1/orgs/acme/keys").await, StatusCode::FORBIDDEN, "forbidden").await;

    let role = format!("{MEMBERS}/{}/role", team.mia.id);
    team.alice.post_and_follow(&role, &[("role", "admin")], MEMBERS).await;
    let (status, body) = mia.get_json("/api/v1/orgs/acme/keys").await;
    assert_eq!(status, StatusCode::OK, "the very next request: {body}");
    let (created, token) = mia.create_key("/api/v1/orgs/acme/keys", "Mia's deploy", None).await;
    assert_eq!(created["created_by"], json!({"id": team.mia.id, "display_name": "Mia"}));
    let (_, body) = mia.get_json("/api/v1/orgs/acme").await;
    assert_eq!((&body["role"], &body["can_manage_keys"]), (&json!("admin"), &json!(true)));

    team.alice.post_and_follow(&role, &[("role", "member")], MEMBERS).await;
    assert_error(mia.get("/api/v1/orgs/acme/keys").await, StatusCode::FORBIDDEN, "forbidden").await;
    let url = format!("/api/v1/orgs/acme/keys/{}", token.public_id);
    assert_error(mia.delete(&url).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(key_exists(&app, &token.public_id).await);
    assert_not_logged(&app, &[&mia_laptop, &token]);
}
both_databases!(a_promotion_gives_key_management_at_once_and_a_demotion_takes_it_away, at_epoch);

async fn a_renamed_organization_shows_its_new_name_at_once(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let mia_laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let (org, mia) = (Api::new(&app, &ci.full), Api::new(&app, &mia_laptop.full));
    for api in [&org, &mia] {
        let (_, body) = api.get_json("/api/v1/whoami").await;
        assert_eq!(body["organizations"][0]["name"], "Acme Corp");
    }
    team.alice
        .post_and_follow("/o/acme/settings/general", &[("name", "Acme Inc")], "/o/acme/settings/general")
        .await;
    for api in [&org, &mia] {
        let (_, body) = api.get_json("/api/v1/whoami").await;
        assert_eq!(body["organizations"][0]["name"], "Acme Inc", "the very next request");
        let (_, body) = api.get_json("/api/v1/orgs").await;
        assert_eq!(body["organizations"][0]["name"], "Acme Inc");
        let (_, body) = api.get_json("/api/v1/orgs/acme").await;
        assert_eq!(body["name"], "Acme Inc");
    }
    let (_, body) = org.get_json("/api/v1/whoami").await;
    assert_eq!(body["organization"]["name"], "Acme Inc");
    assert_not_logged(&app, &[&ci, &mia_laptop]);
}
both_databases!(a_renamed_organization_shows_its_new_name_at_once, at_epoch);

async fn a_signed_in_browser_is_not_let_in_without_a_key(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    // Alice's browser holds her session cookie; the API ignores it, so another
    // site cannot make her browser delete keys.
    let response = team.alice.get("/api/v1/whoami").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_key").await;
    let url = team.alice.url(&format!("/api/v1/orgs/acme/keys/{}", ci.public_id));
    let response = team.alice.client.delete(&url).header("Origin", &team.alice.base).send().await.unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_key").await;
    let response = team
        .alice
        .client
        .post(team.alice.url("/api/v1/user/keys"))
        .json(&json!({"description": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_key").await;
    assert!(key_exists(&app, &ci.public_id).await);
    assert_eq!(key_count(&app).await, 1);
    assert_not_logged(&app, &[&ci]);
}
both_databases!(a_signed_in_browser_is_not_let_in_without_a_key, at_epoch);
