//! *Organization settings > API keys > Members' user keys* and its API (SPEC §4
//! "Oversight of members' user keys", §5): every user key that can reach the
//! organization, for its admins, who may block one there. A blocked key gets 404
//! in that organization from its next request on and keeps working elsewhere;
//! its owner sees who blocked it; blocking and unblocking are audited.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::both_databases;
use crate::rest::{Api, EPOCH, assert_error, assert_not_logged, code, json_of, message, within};

const MEMBER_KEYS: &str = "/o/acme/settings/api-keys/members";
const TABLE: &str = "[data-testid=member-keys]";

fn block_path(key: &Token) -> String {
    format!("{MEMBER_KEYS}/{}/block", key.public_id)
}

fn unblock_path(key: &Token) -> String {
    format!("{MEMBER_KEYS}/{}/unblock", key.public_id)
}

fn api_block_path(key: &Token) -> String {
    format!("/api/v1/orgs/acme/user-keys/{}/block", key.public_id)
}

/// The status of `GET /api/v1/orgs/{slug}` with this key.
async fn status_in(app: &TestApp, key: &Token, slug: &str) -> StatusCode {
    Api::new(app, &key.full).get(&format!("/api/v1/orgs/{slug}")).await.status()
}

/// The rows of the members' user keys page: owner, description, permissions,
/// created, last use here, valid until, status, action.
fn member_rows(html: &str) -> Vec<Vec<String>> {
    rows_with_breaks(html, TABLE)
}

/// The row of one key, found by its id in the description cell.
fn row_of(html: &str, key: &Token) -> Vec<String> {
    member_rows(html)
        .into_iter()
        .find(|row| row[1].contains(&key.public_id))
        .unwrap_or_else(|| panic!("a row for {}: {:?}", key.hint(), member_rows(html)))
}

/// The audit log rows about blocks: "action | actor | details".
async fn block_audit(app: &TestApp) -> Vec<String> {
    audit_rows_with_names(app, "acme")
        .await
        .into_iter()
        .filter(|row| row.starts_with("api_key.blocked") || row.starts_with("api_key.unblocked"))
        .collect()
}

/// Restricts a user key to these organizations, as the Add form's reach does.
pub async fn restrict(app: &TestApp, key: &Token, slugs: &[&str]) {
    execute(
        app,
        format!("UPDATE api_keys SET reaches_all_orgs = FALSE WHERE public_id = {}", quoted(&key.public_id)),
    )
    .await;
    for slug in slugs {
        execute(
            app,
            format!(
                "INSERT INTO api_key_orgs (key_id, organization_id) SELECT k.id, o.id FROM api_keys k, \
                 organizations o WHERE k.public_id = {} AND o.slug = {}",
                quoted(&key.public_id),
                quoted(slug)
            ),
        )
        .await;
    }
}

async fn an_admin_blocks_a_members_key_in_the_organization_only(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.mia, &team.bob, "bolt").await;
    let laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let alice_laptop = team.alice.new_key(USER_KEYS, "Alice's laptop", "2027-06-01").await;
    assert_eq!(status_in(&app, &laptop, "acme").await, StatusCode::OK);
    assert_eq!(status_in(&app, &laptop, "bolt").await, StatusCode::OK);

    // The organization's keys page leads to the members' user keys.
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(texts(&html, "nav.subnav a"), ["Organization keys", "Members' user keys"]);
    assert_eq!(attrs(&html, "nav.subnav a[aria-current=page]", "href"), [ACME_KEYS]);

    // Every user key that reaches Acme, oldest first, with its owner's sign-in
    // identity and its last use in Acme (written in the background).
    within(std::time::Duration::from_secs(2), "Mia's use of Acme is shown", || async {
        row_of(&team.alice.page(MEMBER_KEYS).await, &laptop)[4] == "just now"
    })
    .await;
    let html = team.alice.page(MEMBER_KEYS).await;
    assert_eq!(attrs(&html, "nav.subnav a[aria-current=page]", "href"), [MEMBER_KEYS]);
    assert_eq!(
        member_rows(&html),
        [
            vec![
                "Mia dev: Mia".to_string(),
                format!("Mia's laptop {}", laptop.public_id),
                "Full access: everything its holder may do".into(),
                "28 Feb 2027".into(),
                "just now".into(),
                "never".into(),
                "Active".into(),
                "Block Mia's laptop of Mia".into(),
            ],
            vec![
                "Alice dev: Alice".to_string(),
                format!("Alice's laptop {}", alice_laptop.public_id),
                "Full access: everything its holder may do".into(),
                "28 Feb 2027".into(),
                "never".into(),
                "1 Jun 2027 (usable until the end of 31 May 2027 UTC)".into(),
                "Active".into(),
                "Block Alice's laptop of Alice".into(),
            ],
        ]
    );
    assert_eq!(text(&html, "#member-keys-title").as_deref(), Some("Members' user keys (2)"));
    // "Block" is a link to a confirmation page, carrying what the dialog shows.
    let link = format!("{TABLE} a[data-confirm=block-key-dialog][href='{}']", block_path(&laptop));
    assert_eq!(attrs(&html, &link, "data-description"), ["Mia's laptop"]);
    assert_eq!(attrs(&html, &link, "data-owner"), ["Mia"]);
    assert_eq!(attrs(&html, &link, "data-hint"), [laptop.hint()]);
    assert_eq!(attrs(&html, &link, "data-identities"), ["dev: Mia"]);
    assert_eq!(texts(&html, "#block-key-dialog button[type=submit]"), ["Block key"]);

    // The confirmation page names the key and its owner.
    let html = team.alice.page(&block_path(&laptop)).await;
    let question = text(&html, "[data-testid=confirm-block] p").unwrap();
    assert_eq!(
        question,
        format!(
            "Block Mia's laptop ({}) of Mia (dev: Mia) from Acme Corp? It stops working here at its next \
             request and keeps working in the owner's other organizations. You can unblock it later.",
            laptop.hint()
        )
    );
    assert_eq!(attrs(&html, "[data-testid=confirm-block] form", "action"), [block_path(&laptop)]);
    assert_eq!(status_in(&app, &laptop, "acme").await, StatusCode::OK, "asking blocks nothing");

    // Blocked: 404 in Acme at the next request, still 200 in Bolt.
    let html = team.alice.post_and_follow(&block_path(&laptop), &[], MEMBER_KEYS).await;
    assert_eq!(
        flashes(&html),
        [format!(
            "The user key {} “Mia's laptop” of Mia is blocked from Acme Corp. It keeps working in the owner's \
             other organizations.",
            laptop.hint()
        )]
    );
    assert_eq!(row_of(&html, &laptop)[6], "Blocked");
    assert_eq!(row_of(&html, &laptop)[7], "Unblock Mia's laptop of Mia");
    assert_eq!(status_in(&app, &laptop, "acme").await, StatusCode::NOT_FOUND);
    assert_eq!(status_in(&app, &laptop, "bolt").await, StatusCode::OK);
    let (_, orgs) = Api::new(&app, &laptop.full).get_json("/api/v1/orgs").await;
    assert_eq!(orgs["organizations"].as_array().unwrap().len(), 1);
    assert_eq!(orgs["organizations"][0]["slug"], "bolt");
    assert_eq!(status_in(&app, &alice_laptop, "acme").await, StatusCode::OK, "only that key");

    // Its owner sees who blocked it on their own keys page.
    let html = team.mia.page(USER_KEYS).await;
    assert_eq!(
        texts(&html, &format!("#key-{} [data-testid=blocked-by]", laptop.public_id)),
        ["Blocked by Acme Corp"]
    );
    assert!(texts(&team.alice.page(USER_KEYS).await, "[data-testid=blocked-by]").is_empty());

    // Blocking again changes nothing.
    let html = team.alice.post_and_follow(&block_path(&laptop), &[], MEMBER_KEYS).await;
    assert_eq!(
        flashes(&html),
        [format!("The user key {} “Mia's laptop” of Mia was blocked already.", laptop.hint())]
    );

    // Unblocking lets it in again.
    let html = team.alice.post_and_follow(&unblock_path(&laptop), &[], MEMBER_KEYS).await;
    assert_eq!(
        flashes(&html),
        [format!("The user key {} “Mia's laptop” of Mia may reach Acme Corp again.", laptop.hint())]
    );
    assert_eq!(row_of(&html, &laptop)[6], "Active");
    assert_eq!(status_in(&app, &laptop, "acme").await, StatusCode::OK);
    assert!(texts(&team.mia.page(USER_KEYS).await, "[data-testid=blocked-by]").is_empty());

    let hint = laptop.hint();
    assert_eq!(
        block_audit(&app).await,
        [
            format!("api_key.blocked | Alice | Blocked the user key {hint} “Mia's laptop” of Mia"),
            format!("api_key.unblocked | Alice | Unblocked the user key {hint} “Mia's laptop” of Mia"),
        ]
    );
    let log = page_text(&team.alice.page("/o/acme/settings/audit-log").await);
    assert!(log.contains(&format!("Blocked the user key {hint} “Mia's laptop” of Mia")), "{log}");
    assert_not_logged(&app, &[&laptop, &alice_laptop]);
}
both_databases!(an_admin_blocks_a_members_key_in_the_organization_only, at_epoch);

async fn only_the_organizations_admins_oversee_its_members_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let bob_laptop = team.bob.new_key(USER_KEYS, "Bob's laptop", "").await;
    let olga_laptop = team.olga.new_key(USER_KEYS, "Olga's laptop", "").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;

    // A member: 403; another organization's admin and an outsider: 404.
    for (who, expected) in [
        (&team.mia, StatusCode::FORBIDDEN),
        (&team.bob, StatusCode::NOT_FOUND),
        (&team.olga, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(who.get(MEMBER_KEYS).await.status(), expected, "{}", who.name);
        assert_eq!(who.get(&block_path(&laptop)).await.status(), expected, "{}", who.name);
        assert_eq!(who.post(&block_path(&laptop), &[]).await.status(), expected, "{}", who.name);
        assert_eq!(who.post(&unblock_path(&laptop), &[]).await.status(), expected, "{}", who.name);
    }
    // Without the CSRF token, even the admin is refused.
    assert_eq!(team.alice.post_raw(&block_path(&laptop), &[]).await.status(), StatusCode::FORBIDDEN);

    // Keys that cannot reach Acme are not Acme's to block: a non-member's, an
    // organization key, junk.
    for other in [&bob_laptop, &olga_laptop, &ci] {
        assert_eq!(team.alice.get(&block_path(other)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(team.alice.post(&block_path(other), &[]).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(team.alice.post(&unblock_path(other), &[]).await.status(), StatusCode::NOT_FOUND);
    }
    for junk in ["nope", "0000000000000000", "mci_usr_AAAA"] {
        let path = format!("{MEMBER_KEYS}/{junk}/block");
        assert_eq!(team.alice.post(&path, &[]).await.status(), StatusCode::NOT_FOUND, "{junk}");
    }
    // Nor is a member's key restricted to another organization.
    join(&app, &team.mia, &team.bob, "bolt").await;
    let bolt_only = team.mia.new_key(USER_KEYS, "Bolt only", "").await;
    restrict(&app, &bolt_only, &["bolt"]).await;
    assert_eq!(team.alice.post(&block_path(&bolt_only), &[]).await.status(), StatusCode::NOT_FOUND);
    let html = team.alice.page(MEMBER_KEYS).await;
    assert_eq!(member_rows(&html).len(), 1, "only Mia's laptop reaches Acme");
    assert!(html.contains(&laptop.public_id) && !html.contains(&bolt_only.public_id));

    // The same through the API.
    let mia = Api::new(&app, &laptop.full);
    let body =
        assert_error(mia.get("/api/v1/orgs/acme/user-keys").await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(message(&body), "Managing the API keys of Acme Corp needs the admin role; you are a member.");
    assert_error(
        mia.call(Method::POST, &api_block_path(&laptop), None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let bob = Api::new(&app, &bob_laptop.full);
    assert_error(bob.get("/api/v1/orgs/acme/user-keys").await, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(
        bob.call(Method::POST, &api_block_path(&laptop), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let acme = Api::new(&app, &ci.full);
    for other in [&bob_laptop, &olga_laptop, &ci, &bolt_only] {
        assert_error(
            acme.call(Method::POST, &api_block_path(other), None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_error(acme.delete(&api_block_path(other)).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    // Nothing was blocked or logged.
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM api_key_blocks".into()).await, 0);
    assert!(block_audit(&app).await.is_empty());
    assert_eq!(status_in(&app, &laptop, "acme").await, StatusCode::OK);
}
both_databases!(only_the_organizations_admins_oversee_its_members_keys, at_epoch);

async fn admins_list_block_and_unblock_members_keys_through_the_api(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.mia, &team.bob, "bolt").await;
    let alice_laptop = team.alice.new_key(USER_KEYS, "Alice's laptop", "").await;
    let laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "2027-06-01").await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let alice = Api::new(&app, &alice_laptop.full);

    // Mia has not used her key in Acme yet; Alice's listing is her own use of Acme.
    let (status, body) = alice.get_json("/api/v1/orgs/acme/user-keys").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2);
    assert_eq!(body["next_after"], Value::Null);
    let mia_entry = &body["keys"][1];
    assert_eq!(
        mia_entry,
        &json!({
            "id": laptop.public_id,
            "hint": laptop.hint(),
            "description": "Mia's laptop",
            "owner": {"id": team.mia.id, "display_name": "Mia", "identities": ["dev: Mia"]},
            "scope": "org:write members:write keys:write repos:write builds:write params:write ssh_keys:write webhooks:write billing:write",
            "permissions": "Full access: everything its holder may do",
            "created_at": EPOCH,
            "valid_until": "2027-06-01",
            "last_used_at": null,
            "status": "active",
            "blocked": false,
        })
    );
    let text = body.to_string();
    assert!(!laptop.leaks_into(&text) && !text.contains("argon2"), "no token, no hash: {text}");

    // A use of Acme shows as the last use here (written in the background).
    let mia = Api::new(&app, &laptop.full);
    assert_eq!(mia.get("/api/v1/orgs/acme/members").await.status(), StatusCode::OK);
    within(std::time::Duration::from_secs(2), "Mia's last use in Acme", || async {
        let (_, body) = alice.get_json("/api/v1/orgs/acme/user-keys").await;
        body["keys"][1]["last_used_at"] == EPOCH
    })
    .await;

    // An organization key may block (it acts as an admin); the log names it.
    let acme = Api::new(&app, &ci.full);
    let (status, body) = json_of(acme.call(Method::POST, &api_block_path(&laptop), None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["status"], &body["blocked"]), (&json!("blocked"), &json!(true)));
    assert_eq!(mia.get("/api/v1/orgs/acme").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(mia.get("/api/v1/orgs/bolt").await.status(), StatusCode::OK);
    // Again: the same answer, nothing new in the log.
    let (status, _) = json_of(acme.call(Method::POST, &api_block_path(&laptop), None).await).await;
    assert_eq!(status, StatusCode::OK);
    // The owner sees it on the page.
    let html = team.mia.page(USER_KEYS).await;
    assert_eq!(texts(&html, "[data-testid=blocked-by]"), ["Blocked by Acme Corp"]);

    // An admin's user key unblocks.
    let (status, body) = alice.delete_json(&api_block_path(&laptop)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["status"], &body["blocked"]), (&json!("active"), &json!(false)));
    assert_eq!(mia.get("/api/v1/orgs/acme").await.status(), StatusCode::OK);

    let hint = laptop.hint();
    assert_eq!(
        block_audit(&app).await,
        [
            format!(
                "api_key.blocked | - | Blocked the user key {hint} “Mia's laptop” of Mia (through the API, key {})",
                ci.hint()
            ),
            format!(
                "api_key.unblocked | Alice | Unblocked the user key {hint} “Mia's laptop” of Mia (through the API, key {})",
                alice_laptop.hint()
            ),
        ]
    );

    // Pages of one, from a cursor.
    let (_, first) = alice.get_json("/api/v1/orgs/acme/user-keys?per_page=1").await;
    assert_eq!(first["keys"][0]["id"], json!(alice_laptop.public_id));
    assert_eq!(first["next_after"], json!(alice_laptop.public_id));
    let (_, second) = alice
        .get_json(&format!("/api/v1/orgs/acme/user-keys?per_page=1&after={}", alice_laptop.public_id))
        .await;
    assert_eq!(second["keys"][0]["id"], json!(laptop.public_id));
    assert_eq!(second["next_after"], Value::Null);
    for (query, field) in [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("after=nope", "after"),
        ("after=0000000000000000", "after"),
    ] {
        let (status, body) = alice.get_json(&format!("/api/v1/orgs/acme/user-keys?{query}")).await;
        assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{query}");
        assert!(body["error"]["fields"][field].is_string(), "{query}: {body}");
    }
    assert_not_logged(&app, &[&laptop, &alice_laptop, &ci]);
}
both_databases!(admins_list_block_and_unblock_members_keys_through_the_api, at_epoch);

async fn the_members_key_page_goes_by_fifty_from_a_cursor(app: TestApp) {
    let team = Team::new(&app).await;
    let mia_id = team.mia.id;
    let rows: Vec<String> = (0..55)
        .map(|i| {
            format!(
                "('M{i:015}', 'user', NULL, {mia_id}, 'x', 'Key {i:02}', NULL, '2027-02-01 00:00:00', {mia_id})"
            )
        })
        .collect();
    insert_key_rows(&app, &rows).await;
    let html = team.alice.page(MEMBER_KEYS).await;
    let first = member_rows(&html);
    assert_eq!(first.len(), 50);
    assert!(first[0][1].starts_with("Key 00") && first[49][1].starts_with("Key 49"));
    assert_eq!(text(&html, "#member-keys-title").as_deref(), Some("Members' user keys (55)"));
    let next = attrs(&html, "nav.pagination a[rel=next]", "href");
    assert_eq!(next, [format!("{MEMBER_KEYS}?after=M{:015}", 49)]);
    assert!(attrs(&html, "nav.pagination a[rel=prev]", "href").is_empty());

    let html = team.alice.page(&next[0]).await;
    let second = member_rows(&html);
    assert_eq!(second.len(), 5);
    assert!(second[0][1].starts_with("Key 50"));
    assert!(attrs(&html, "nav.pagination a[rel=next]", "href").is_empty());
    let previous = attrs(&html, "nav.pagination a[rel=prev]", "href");
    assert_eq!(previous, [format!("{MEMBER_KEYS}?before=M{:015}", 50)]);
    let back = member_rows(&team.alice.page(&previous[0]).await);
    assert_eq!(back, first);
    // A link from a key that is gone starts again at the beginning.
    let html = team.alice.page(&format!("{MEMBER_KEYS}?after=Z000000000000000")).await;
    assert_eq!(member_rows(&html), first);
}
both_databases!(the_members_key_page_goes_by_fifty_from_a_cursor, at_epoch);

async fn a_members_revoked_key_is_no_longer_overseen_and_a_rolled_one_until_its_overlap_ends(app: TestApp) {
    let team = Team::new(&app).await;
    let alice_laptop = team.alice.new_key(USER_KEYS, "Alice's laptop", "").await;
    let laptop = team.mia.new_key(USER_KEYS, "Mia's laptop", "").await;
    let phone = team.mia.new_key(USER_KEYS, "Mia's phone", "").await;
    let alice = Api::new(&app, &alice_laptop.full);
    let listed = || async {
        let (status, body) = alice.get_json("/api/v1/orgs/acme/user-keys").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["description"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed().await, ["Alice's laptop", "Mia's laptop", "Mia's phone"]);

    let mia = Api::new(&app, &laptop.full);
    assert_eq!(
        mia.delete(&format!("/api/v1/user/keys/{}", phone.public_id)).await.status(),
        StatusCode::NO_CONTENT
    );
    let (status, _) = mia
        .post_json(&format!("/api/v1/user/keys/{}/roll", laptop.public_id), json!({"overlap": "1h"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        listed().await,
        ["Alice's laptop", "Mia's laptop", "Mia's laptop"],
        "the rolled key and its successor"
    );

    app.advance_clock(chrono::Duration::hours(1));
    assert_eq!(
        listed().await,
        ["Alice's laptop", "Mia's laptop"],
        "only the successor once the overlap ended"
    );
    let html = team.alice.page("/o/acme/settings/api-keys/members").await;
    assert!(!html.contains(&phone.public_id) && !html.contains(&laptop.public_id), "nor on the page");
}
both_databases!(
    a_members_revoked_key_is_no_longer_overseen_and_a_rolled_one_until_its_overlap_ends,
    at_epoch
);
