//! Long lists: 50 keys per page, newest first. A few keys are made through the
//! form; the rest are inserted directly (each form POST costs an argon2 hash).

use monkeyci_accounts::auth::key_hash::hash_secret;
use monkeyci_accounts::domain::api_key::KeyKind;

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
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Page 1 of 2 Next"));
    assert_eq!(attrs(&html, "nav.pagination a[rel=next]", "href"), ["?page=2"]);
    assert!(attrs(&html, "nav.pagination a[rel=prev]", "href").is_empty());
    assert!(key_rows(&html).iter().all(|row| row[2] == "28 Feb 2027 by Alice" && row[5] == "Active"));

    let html = team.alice.page(&format!("{ACME_KEYS}?page=2")).await;
    assert_eq!(descriptions(&html), keys_down(5, 1), "page 2: the 5 oldest");
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Previous Page 2 of 2"));
    assert_eq!(attrs(&html, "nav.pagination a[rel=prev]", "href"), ["?page=1"]);
    assert!(attrs(&html, "nav.pagination a[rel=next]", "href").is_empty());
    let ids: Vec<String> = key_rows(&html).into_iter().map(|row| row[1].clone()).collect();
    assert_eq!(
        ids[2..],
        [formed[2].id_cell("Key 03"), formed[1].id_cell("Key 02"), formed[0].id_cell("Key 01")]
    );
    let links = attrs(&html, &format!("{KEYS} a[data-revoke-key]"), "href");
    assert_eq!(links[4], format!("{ACME_KEYS}/{}/revoke", formed[0].public_id));

    // Junk page numbers mean the first page.
    for junk in ["0", "-1", "abc", ""] {
        let html = team.alice.page(&format!("{ACME_KEYS}?page={junk}")).await;
        assert_eq!(descriptions(&html), keys_down(55, 6), "?page={junk}");
    }
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
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Page 1 of 2 Next"));
    let html = mia.page(&format!("{USER_KEYS}?page=2")).await;
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

async fn a_page_past_the_end_shows_the_last_page_not_the_empty_state(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    alice.create_key(ACME_KEYS, "Key 01", "").await;
    insert_keys(&app, Owner::Org(org_id(&app, "acme").await), alice.id, 2, 55).await;
    for past in ["3", "999999"] {
        let html = alice.page(&format!("{ACME_KEYS}?page={past}")).await;
        assert!(text(&html, EMPTY).is_none(), "page {past} of 55 keys says there are none");
        assert_eq!(descriptions(&html), keys_down(5, 1), "page {past} shows the last page");
        assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Previous Page 2 of 2"));
    }
}
both_databases!(a_page_past_the_end_shows_the_last_page_not_the_empty_state, at_epoch);
