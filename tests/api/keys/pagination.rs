//! Long lists: 50 keys per page, newest first, paged by cursor (the last
//! row's place in the order: no OFFSET), on the page and in the API. A few keys
//! are made through the form; the rest are inserted directly (each form POST
//! costs an argon2 hash).

use monkeyci_accounts::auth::key_hash::hash_secret;
use monkeyci_accounts::domain::api_key::{KeyCursor, KeyKind, Position};
use monkeyci_accounts::domain::ids::KeyId;
use reqwest::StatusCode;
use serde_json::Value;

use super::*;
use crate::both_databases;

/// Inserts keys `Key {from}` to `Key {to}` (in that order, so the last is the
/// newest) for an organization or a user, with any valid PHC string.
async fn insert_keys(app: &TestApp, owner: Owner, creator: i32, from: usize, to: usize) {
    let phc = hash_secret("not a real secret").unwrap();
    let (kind, org, user, prefix) = match owner {
        Owner::Org(id) => ("org", id.to_string(), "NULL".to_string(), "O"),
        Owner::User(id) => ("user", "NULL".to_string(), id.to_string(), "U"),
    };
    let values: Vec<String> = (from..=to)
        .map(|n| {
            format!(
                "('{prefix}{owner_id:03}Bulk{n:08}', '{kind}', {org}, {user}, {}, 'Key {n:02}', NULL, \
                 '2027-02-28 12:00:00', {creator})",
                quoted(&phc),
                owner_id = match owner {
                    Owner::Org(id) | Owner::User(id) => id,
                },
            )
        })
        .collect();
    insert_key_rows(app, &values).await;
}

#[derive(Clone, Copy)]
enum Owner {
    Org(i32),
    User(i32),
}

/// "Key 55", "Key 54", … down to "Key {to}".
fn keys_down(from: usize, to: usize) -> Vec<String> {
    (to..=from).rev().map(|n| format!("Key {n:02}")).collect()
}

/// The notice of a page whose cursor was not one the list gave.
const CURSOR_NOTICE: &str = "[data-testid=cursor-notice]";

/// The page links' targets: (previous, next).
fn page_links(html: &str) -> (Vec<String>, Vec<String>) {
    (attrs(html, "nav.pagination a[rel=prev]", "href"), attrs(html, "nav.pagination a[rel=next]", "href"))
}

async fn internal_id(app: &TestApp, public_id: &str) -> i32 {
    let sql = format!("SELECT id AS v FROM api_keys WHERE public_id = {}", quoted(public_id));
    crate::support::int(app, sql).await.expect("a stored key")
}

async fn fifty_five_keys_make_two_pages_newest_first(app: TestApp) {
    let team = Team::new(&app).await;
    let mut formed = Vec::new();
    for n in 1..=3 {
        let token = team.alice.create_key(ACME_KEYS, &format!("Key {n:02}"), "").await;
        formed.push(Token::parse(&token, KeyKind::Organization));
    }
    let acme = org_id(&app, "acme").await;
    insert_keys(&app, Owner::Org(acme), team.alice.id, 4, 55).await;
    // Other owners' keys count for nothing here.
    insert_keys(&app, Owner::Org(org_id(&app, "bolt").await), team.bob.id, 1, 7).await;
    insert_keys(&app, Owner::User(team.alice.id), team.alice.id, 1, 4).await;
    assert_eq!(key_count(&app).await, 55 + 7 + 4);

    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(descriptions(&html), keys_down(55, 6), "page 1: the 50 newest");
    assert_eq!(text(&html, ".panel h2").as_deref(), Some("API keys (55)"));
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Next"));
    // The next page starts after the last row: its place in the order, by id.
    let key_06 = internal_id(&app, &format!("O{acme:03}Bulk00000006")).await;
    let after_06 = KeyCursor::After(Position::Created(KeyId::new(key_06))).encode();
    assert_eq!(page_links(&html), (vec![], vec![format!("{ACME_KEYS}?cursor={after_06}")]));
    assert!(key_rows(&html).iter().all(|row| row[2] == "28 Feb 2027 by Alice" && row[5] == "Active"));

    let html = team.alice.page(&format!("{ACME_KEYS}?cursor={after_06}")).await;
    assert_eq!(descriptions(&html), keys_down(5, 1), "page 2: the 5 oldest");
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Previous"));
    let (previous, next) = page_links(&html);
    assert!(next.is_empty(), "the last page");
    let ids: Vec<String> = key_rows(&html).into_iter().map(|row| row[1].clone()).collect();
    assert_eq!(
        ids[2..],
        [formed[2].id_cell("Key 03"), formed[1].id_cell("Key 02"), formed[0].id_cell("Key 01")]
    );
    let links = attrs(&html, &format!("{KEYS} a[data-revoke-key]"), "href");
    assert_eq!(links[4], format!("{ACME_KEYS}/{}/revoke", formed[0].public_id));

    // Previous leads back to the whole first page.
    let html = team.alice.page(&previous[0]).await;
    assert_eq!(descriptions(&html), keys_down(55, 6));
    assert_eq!(page_links(&html).0, Vec::<String>::new(), "the first page has no Previous");

    // Bolt's list and Alice's own list are their own.
    assert_eq!(descriptions(&team.bob.page(BOLT_KEYS).await), keys_down(7, 1));
    assert_eq!(descriptions(&team.alice.page(USER_KEYS).await), keys_down(4, 1));
}
both_databases!(fifty_five_keys_make_two_pages_newest_first, at_epoch);

async fn user_keys_are_paged_the_same_way(app: TestApp) {
    let mia = Browser::signed_in(&app, "Mia").await;
    mia.create_key(USER_KEYS, "Key 01", "").await;
    insert_keys(&app, Owner::User(mia.id), mia.id, 2, 51).await;
    let html = mia.page(USER_KEYS).await;
    assert_eq!(descriptions(&html), keys_down(51, 2));
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Next"));
    let next = page_links(&html).1;
    assert!(next[0].starts_with(&format!("{USER_KEYS}?cursor=")), "{next:?}");
    let html = mia.page(&next[0]).await;
    assert_eq!(descriptions(&html), ["Key 01"]);
    assert_eq!(text(&html, ".panel h2").as_deref(), Some("API keys (51)"));
}
both_databases!(user_keys_are_paged_the_same_way, at_epoch);

async fn exactly_fifty_keys_fit_on_one_page(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    alice.create_key(ACME_KEYS, "Key 01", "").await;
    insert_keys(&app, Owner::Org(org_id(&app, "acme").await), alice.id, 2, 50).await;
    let html = alice.page(ACME_KEYS).await;
    assert_eq!(descriptions(&html), keys_down(50, 1));
    assert!(texts(&html, "nav.pagination").is_empty(), "no page links for one page");
}
both_databases!(exactly_fifty_keys_fit_on_one_page, at_epoch);

async fn a_link_with_a_cursor_the_list_did_not_give_shows_the_first_page_and_says_so(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    alice.create_key(ACME_KEYS, "Key 01", "").await;
    insert_keys(&app, Owner::Org(org_id(&app, "acme").await), alice.id, 2, 55).await;
    let of_another_order = KeyCursor::After(Position::Created(KeyId::new(9))).encode();
    for bad in ["junk", "MXxhfGN8fDA", "%00", &format!("{of_another_order}&sort=last_used")] {
        let html = alice.page(&format!("{ACME_KEYS}?cursor={bad}")).await;
        assert_eq!(
            text(&html, CURSOR_NOTICE).as_deref(),
            Some(
                "That page link was not one this list gave (it may have been cut short or edited), so this \
                 is the first page."
            ),
            "{bad}"
        );
        assert_eq!(descriptions(&html).len(), 50, "{bad}");
        assert!(text(&html, EMPTY).is_none(), "{bad}");
    }
    // An old page number, or an empty cursor as a form sends it: the first page, quietly.
    for old in ["page=2", "page=abc", "cursor="] {
        let html = alice.page(&format!("{ACME_KEYS}?{old}")).await;
        assert_eq!(descriptions(&html), keys_down(55, 6), "{old}");
        assert!(text(&html, CURSOR_NOTICE).is_none(), "{old}");
    }
    // A cursor past the last key (its keys revoked since): nothing, and the way back.
    let past = KeyCursor::After(Position::Created(KeyId::new(1))).encode();
    let html = alice.page(&format!("{ACME_KEYS}?cursor={past}")).await;
    assert_eq!(text(&html, "[data-testid=keys-no-match] h3").as_deref(), Some("No keys match"));
    assert_eq!(page_links(&html), (vec![ACME_KEYS.to_string()], vec![]));
}
both_databases!(a_link_with_a_cursor_the_list_did_not_give_shows_the_first_page_and_says_so, at_epoch);

// ---------------------------------------------------------------------------
// 130 keys, every order: each key once, in order, whichever way one walks.

/// Key `n` of 130 (oldest first): never used every 4th, otherwise one of seven
/// times (so many ties); never expiring every 5th, otherwise one of three dates;
/// every 13th revoked (left out of the default, working keys).
struct Walked {
    n: usize,
    last_used: Option<String>,
    valid_until: Option<String>,
    revoked: bool,
}

fn walked(n: usize) -> Walked {
    Walked {
        n,
        last_used: (!n.is_multiple_of(4)).then(|| format!("2027-02-{:02} 10:00:00", 10 + n % 7)),
        valid_until: (!n.is_multiple_of(5)).then(|| format!("2027-0{}-01", 4 + n % 3)),
        revoked: n.is_multiple_of(13),
    }
}

async fn store_walked(app: &TestApp, creator: i32) -> Vec<Walked> {
    let phc = hash_secret("not a real secret").unwrap();
    let acme = org_id(app, "acme").await;
    let keys: Vec<Walked> = (1..=130).map(walked).collect();
    let sql_text = |v: &Option<String>| v.as_deref().map_or_else(|| "NULL".to_string(), quoted);
    let values: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "('Walk{:012}', 'org', {acme}, NULL, {}, 'Walk {:03}', {}, '2027-02-01 12:00:00', {creator}, {}, {})",
                k.n,
                quoted(&phc),
                k.n,
                sql_text(&k.valid_until),
                sql_text(&k.last_used),
                if k.revoked { "'2027-02-20 00:00:00'" } else { "NULL" },
            )
        })
        .collect();
    execute(
        app,
        format!(
            "INSERT INTO api_keys (public_id, kind, organization_id, user_id, secret_hash, description, \
             valid_until, created_at, created_by, last_used_at, revoked_at) VALUES {}",
            values.join(", ")
        ),
    )
    .await;
    keys
}

/// The descriptions in the list's order: ties (and the keys without a value,
/// which come last) newest first.
fn in_order(keys: &[Walked], sort: &str, all: bool) -> Vec<String> {
    let mut keys: Vec<&Walked> = keys.iter().filter(|k| all || !k.revoked).collect();
    keys.sort_by(|a, b| {
        let newest_first = b.n.cmp(&a.n);
        match sort {
            "created" => newest_first,
            // None after Some; the most recent first.
            "last_used" => (a.last_used.is_none(), b.last_used.as_ref())
                .cmp(&(b.last_used.is_none(), a.last_used.as_ref()))
                .then(newest_first),
            _ => (a.valid_until.is_none(), a.valid_until.as_ref())
                .cmp(&(b.valid_until.is_none(), b.valid_until.as_ref()))
                .then(newest_first),
        }
    });
    keys.iter().map(|k| format!("Walk {:03}", k.n)).collect()
}

async fn walking_every_page_in_each_order_shows_each_key_once_in_order(app: TestApp) {
    let team = Team::new(&app).await;
    let keys = store_walked(&app, team.alice.id).await;
    for sort in ["created", "last_used", "valid_until"] {
        for status in ["active", "all"] {
            let expected = in_order(&keys, sort, status == "all");
            let mut pages: Vec<Vec<String>> = Vec::new();
            let mut url = format!("{ACME_KEYS}?sort={sort}&status={status}");
            loop {
                let html = team.alice.page(&url).await;
                pages.push(descriptions(&html));
                match page_links(&html).1.first() {
                    // The link keeps the filter: without it the walk would show another list.
                    Some(next) => url.clone_from(next),
                    None => break,
                }
                assert!(pages.len() < 10, "{sort} {status}: the pages go on for ever");
            }
            assert_eq!(pages.concat(), expected, "{sort} {status}, forwards");
            assert!(pages[..pages.len() - 1].iter().all(|page| page.len() == 50), "{sort} {status}");
            // And back from the last page: the same pages, whole.
            let mut back: Vec<Vec<String>> = Vec::new();
            loop {
                let html = team.alice.page(&url).await;
                back.push(descriptions(&html));
                match page_links(&html).0.first() {
                    Some(previous) => url.clone_from(previous),
                    None => break,
                }
                assert!(back.len() < 10, "{sort} {status}: the pages go back for ever");
            }
            back.reverse();
            assert_eq!(back, pages, "{sort} {status}, backwards");
        }
    }
}
both_databases!(walking_every_page_in_each_order_shows_each_key_once_in_order, at_epoch);

/// The API's pages from `url` on, following `next_cursor`; and the `Link` headers seen.
async fn api_walk(api: &crate::rest::Api, url: &str) -> (Vec<Vec<String>>, Vec<Option<String>>) {
    let (mut pages, mut links) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("{url}&cursor={cursor}"),
            None => url.to_string(),
        };
        let response = api.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        links.push(response.headers().get("link").map(|v| v.to_str().unwrap().to_string()));
        let body: Value = response.json().await.unwrap();
        pages.push(
            body["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["description"].as_str().unwrap().to_string())
                .collect(),
        );
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(pages.len() < 10, "the pages go on for ever");
    }
    (pages, links)
}

async fn the_api_pages_by_cursor_with_a_link_to_the_next_page(app: TestApp) {
    let team = Team::new(&app).await;
    let caller = team.alice.new_key(ACME_KEYS, "Caller", "").await;
    let keys = store_walked(&app, team.alice.id).await;
    let api = crate::rest::Api::new(&app, &caller.full);
    for (status, all) in [("active", false), ("all", true)] {
        let url = format!("/api/v1/orgs/acme/keys?per_page=50&status={status}");
        let (pages, links) = api_walk(&api, &url).await;
        let mut expected = in_order(&keys, "created", all);
        expected.push("Caller".into());
        assert_eq!(pages.concat(), expected, "{status}");
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>()[..2], [50, 50]);
        assert_eq!(links.last(), Some(&None), "no Link on the last page");
        // The Link names the next page whole, as the cursor in the body does.
        let first = links[0].as_deref().expect("a Link on the first page");
        let (_, body) = api.get_json(&url).await;
        let status_pair = if all { "&status=all" } else { "" };
        assert_eq!(
            first,
            format!(
                "<{}/api/v1/orgs/acme/keys?cursor={}&per_page=50{status_pair}>; rel=\"next\"",
                app.address,
                body["next_cursor"].as_str().unwrap()
            )
        );
        let next = first.trim_start_matches('<').split('>').next().unwrap().trim_start_matches(&app.address);
        let (_, second) = api.get_json(next).await;
        assert_eq!(second["keys"][0]["description"], expected[50].as_str());
    }
}
both_databases!(the_api_pages_by_cursor_with_a_link_to_the_next_page, at_epoch);

async fn a_key_revoked_or_created_between_pages_moves_no_other_key(app: TestApp) {
    let team = Team::new(&app).await;
    let caller = team.alice.new_key(ACME_KEYS, "Caller", "").await;
    let keys = store_walked(&app, team.alice.id).await;
    let api = crate::rest::Api::new(&app, &caller.full);
    let mut expected = in_order(&keys, "created", false);
    expected.push("Caller".into());
    let list = "/api/v1/orgs/acme/keys?per_page=50";
    let (_, first) = api.get_json(list).await;
    let first_ids: Vec<String> =
        first["keys"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap().to_string()).collect();
    // A key of the first page revoked: it leaves the working keys, and with an
    // OFFSET the second page would start one key later.
    assert_eq!(
        api.delete(&format!("/api/v1/orgs/acme/keys/{}", first_ids[3])).await.status(),
        StatusCode::NO_CONTENT
    );
    let (_, second) =
        api.get_json(&format!("{list}&cursor={}", first["next_cursor"].as_str().unwrap())).await;
    let described = |page: &Value| -> Vec<String> {
        page["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["description"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(described(&second), expected[50..100], "the second page as it was");
    // A key created: the newest, before the first page; with an OFFSET the
    // third page would repeat the second's last key.
    api.create_key("/api/v1/orgs/acme/keys", "Created meanwhile", None).await;
    let (_, third) =
        api.get_json(&format!("{list}&cursor={}", second["next_cursor"].as_str().unwrap())).await;
    assert_eq!(described(&third), expected[100..], "the third page as it was");
    assert_eq!(third["next_cursor"], Value::Null);
}
both_databases!(a_key_revoked_or_created_between_pages_moves_no_other_key, at_epoch);

async fn a_cursor_the_api_did_not_give_is_refused_with_the_field_at_fault(app: TestApp) {
    let team = Team::new(&app).await;
    let caller = team.alice.new_key(ACME_KEYS, "Caller", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let of_another_order = KeyCursor::After(Position::LastUsed(None, KeyId::new(9))).encode();
    let before_the_start = KeyCursor::Before(Position::Created(KeyId::new(9))).encode();
    for (token, list) in [(&caller, "/api/v1/orgs/acme/keys"), (&laptop, "/api/v1/user/keys")] {
        let api = crate::rest::Api::new(&app, &token.full);
        for bad in ["junk", "MXxhfGN8fDA", "", &"A".repeat(300), &of_another_order] {
            let (status, body) = api.get_json(&format!("{list}?cursor={bad}")).await;
            assert_eq!(
                (status, crate::rest::code(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                "{bad}"
            );
            assert_eq!(
                body["error"]["fields"],
                serde_json::json!({"cursor": "Not a cursor of this list: pass `next_cursor` as it came, or leave `cursor` out for the first page."}),
                "{bad}"
            );
        }
        // A well-made cursor names a place, whichever: an edited one pages from there.
        let (status, body) = api.get_json(&format!("{list}?cursor={before_the_start}")).await;
        assert_eq!((status, body["keys"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{body}");
    }
}
both_databases!(a_cursor_the_api_did_not_give_is_refused_with_the_field_at_fault, at_epoch);
