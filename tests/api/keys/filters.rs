//! Long lists: a GET form narrows the keys by text (description, any case, or
//! the start of the id) and status, and orders them by creation, last use or
//! valid-until date; the page links keep the filter. The app's clock stands at
//! 28 Feb 2027, 12:00 UTC: keys refused from 28 Feb on have expired, those
//! refused from 1 to 7 Mar expire soon, those refused from 8 Mar on are active.

use monkeyci_accounts::auth::key_hash::hash_secret;

use super::*;
use crate::both_databases;

/// A key stored directly (a form POST per key would cost an argon2 hash each).
struct Stored {
    public_id: &'static str,
    description: &'static str,
    valid_until: Option<&'static str>,
    last_used_at: Option<&'static str>,
}

const fn key(
    public_id: &'static str,
    description: &'static str,
    valid_until: Option<&'static str>,
    last_used_at: Option<&'static str>,
) -> Stored {
    Stored { public_id, description, valid_until, last_used_at }
}

/// Acme's keys, oldest first.
const ACME: [Stored; 7] = [
    key("DpLy0000000000A1", "Deploy bot", Some("2027-12-31"), Some("2027-02-20 10:00:00")),
    key("NiTe0000000000B2", "Nightly deploys", None, Some("2027-02-27 08:00:00")),
    key("CoVr0000000000C3", "100% coverage", Some("2027-03-07"), None),
    key("UnDr0000000000D4", "a_b", Some("2027-03-08"), None),
    key("AxBe0000000000E5", "axb", Some("2027-02-28"), None),
    key("OlDl0000000000F6", "Old laptop", Some("2027-01-01"), Some("2026-12-31 23:00:00")),
    key("BkSl0000000000G7", "back\\slash", None, None),
];

fn sql_text(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_string(), quoted)
}

async fn store(app: &TestApp, org: &str, creator: i32, keys: &[Stored]) {
    let phc = hash_secret("not a real secret").unwrap();
    let org = org_id(app, org).await;
    for k in keys {
        execute(
            app,
            format!(
                "INSERT INTO api_keys (public_id, kind, organization_id, user_id, secret_hash, description, \
                 valid_until, created_at, created_by, last_used_at) VALUES ({}, 'org', {org}, NULL, {}, {}, \
                 {}, '2027-02-01 12:00:00', {creator}, {})",
                quoted(k.public_id),
                quoted(&phc),
                quoted(k.description),
                sql_text(k.valid_until),
                sql_text(k.last_used_at),
            ),
        )
        .await;
    }
}

/// Inserts `count` organization keys described `{prefix} 0001`… in one statement.
async fn store_many(app: &TestApp, org: &str, creator: i32, prefix: &str, count: usize) {
    let phc = hash_secret("not a real secret").unwrap();
    let org = org_id(app, org).await;
    let values: Vec<String> = (1..=count)
        .map(|n| {
            format!(
                "('{}{n:012}', 'org', {org}, NULL, {}, '{prefix} {n:04}', NULL, '2027-02-28 12:00:00', {creator})",
                &prefix[..4],
                quoted(&phc)
            )
        })
        .collect();
    insert_key_rows(app, &values).await;
}

/// The list at `query` (`q=…&status=…`, already encoded).
async fn listed(browser: &Browser, query: &str) -> Vec<String> {
    descriptions(&browser.page(&format!("{ACME_KEYS}?{query}")).await)
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn acme_with_keys(app: &TestApp) -> Team {
    let team = Team::new(app).await;
    store(app, "acme", team.alice.id, &ACME).await;
    // Bolt's key would match most searches: it never shows on Acme's list.
    store(app, "bolt", team.bob.id, &[key("DpLy0000000000Z9", "Deploy bolt", None, None)]).await;
    team
}

async fn the_status_filter_shows_the_keys_of_that_status(app: TestApp) {
    let team = acme_with_keys(&app).await;
    let alice = &team.alice;
    let all = ["back\\slash", "Old laptop", "axb", "a_b", "100% coverage", "Nightly deploys", "Deploy bot"];
    let working = ["back\\slash", "a_b", "100% coverage", "Nightly deploys", "Deploy bot"];
    assert_eq!(listed(alice, "").await, working, "the working keys, newest first");
    assert_eq!(listed(alice, "status=active").await, working);
    assert_eq!(listed(alice, "status=all").await, all);
    assert_eq!(listed(alice, "status=inactive").await, ["Old laptop", "axb"]);
    assert_eq!(listed(alice, "status=expires_soon").await, ["100% coverage"]);
    assert_eq!(listed(alice, "status=expired").await, ["Old laptop", "axb"]);
    assert_eq!(listed(alice, "status=revoked").await, Vec::<String>::new());
    // The Status column agrees with the filter.
    for (code, labels) in [
        ("active", &["Active", "Expires soon"][..]),
        ("expires_soon", &["Expires soon"]),
        ("expired", &["Expired"]),
        ("inactive", &["Expired"]),
    ] {
        let html = alice.page(&format!("{ACME_KEYS}?status={code}")).await;
        assert!(
            key_rows(&html).iter().all(|row| labels.contains(&row[5].as_str())),
            "{code}: {:?}",
            key_rows(&html)
        );
        assert_eq!(
            attrs(&html, "#key-status option[selected]", "value"),
            [code],
            "the form shows the status"
        );
    }
    // The next morning the key refused from 8 Mar is less than 7 days from its end too.
    set_clock(&app, chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 3, 1, 6, 0, 0).unwrap());
    let alice = Browser::signed_in(&app, "Alice").await;
    assert_eq!(listed(&alice, "status=expires_soon").await, ["a_b", "100% coverage"]);
}
both_databases!(the_status_filter_shows_the_keys_of_that_status, at_epoch);

async fn the_text_filter_finds_descriptions_in_any_case_and_ids_by_their_start(app: TestApp) {
    let team = acme_with_keys(&app).await;
    let alice = &team.alice;
    for text in ["deploy", "DEPLOY", " Deploy "] {
        assert_eq!(
            listed(alice, &format!("q={}", encoded(text))).await,
            ["Nightly deploys", "Deploy bot"],
            "{text:?}"
        );
    }
    // LIKE's wildcards and escape match themselves.
    assert_eq!(listed(alice, &format!("q={}", encoded("%"))).await, ["100% coverage"]);
    assert_eq!(listed(alice, &format!("q={}", encoded("_"))).await, ["a_b"]);
    assert_eq!(listed(alice, &format!("q={}", encoded("a_b"))).await, ["a_b"]);
    assert_eq!(listed(alice, &format!("q={}", encoded("\\"))).await, ["back\\slash"]);
    // A key by its whole id, the start of it, or the hint lists show.
    assert_eq!(listed(alice, "q=AxBe0000000000E5&status=all").await, ["axb"]);
    assert_eq!(listed(alice, "q=AxBe&status=all").await, ["axb"]);
    assert_eq!(listed(alice, &format!("q={}&status=all", encoded("mci_org_AxBe…"))).await, ["axb"]);
    assert_eq!(listed(alice, "q=AxBe").await, Vec::<String>::new(), "expired: not among the working keys");
    assert_eq!(listed(alice, "q=axbe&status=all").await, Vec::<String>::new(), "ids are case-sensitive");
    assert_eq!(
        listed(alice, "q=0000000000E5&status=all").await,
        Vec::<String>::new(),
        "ids match from their start"
    );

    let html = alice.page(&format!("{ACME_KEYS}?q={}", encoded("deploy"))).await;
    assert_eq!(value(&html, "#key-search").as_deref(), Some("deploy"), "the form shows the text");
    assert_eq!(text(&html, "[data-testid=key-matches]").as_deref(), Some("2 keys match. Show all keys"));
    assert_eq!(attrs(&html, "[data-testid=key-matches] a", "href"), [format!("{ACME_KEYS}?status=all")]);
    assert_eq!(text(&html, "#keys-title").as_deref(), Some("API keys (7)"), "the heading counts every key");

    // Nothing matches: said so, not "No API keys yet".
    let html = alice.page(&format!("{ACME_KEYS}?q=nothing+like+it")).await;
    assert_eq!(text(&html, "[data-testid=keys-no-match] h3").as_deref(), Some("No keys match"));
    assert_eq!(text(&html, EMPTY), None);
    assert!(texts(&html, KEYS).is_empty());
    assert_eq!(text(&html, "[data-testid=key-matches]").as_deref(), Some("0 keys match. Show all keys"));
}
both_databases!(the_text_filter_finds_descriptions_in_any_case_and_ids_by_their_start, at_epoch);

async fn the_list_sorts_by_last_use_or_valid_until_with_the_rest_last(app: TestApp) {
    let team = acme_with_keys(&app).await;
    let alice = &team.alice;
    assert_eq!(
        listed(alice, "sort=last_used&status=all").await,
        ["Nightly deploys", "Deploy bot", "Old laptop", "back\\slash", "axb", "a_b", "100% coverage"],
        "most recently used first, never used last (newest first)"
    );
    assert_eq!(
        listed(alice, "sort=valid_until&status=all").await,
        ["Old laptop", "axb", "100% coverage", "a_b", "Deploy bot", "back\\slash", "Nightly deploys"],
        "first to stop working first, never expiring last (newest first)"
    );
    assert_eq!(
        listed(alice, "q=deploy&status=active&sort=valid_until").await,
        ["Deploy bot", "Nightly deploys"],
        "text, status and order together"
    );
    let html = alice.page(&format!("{ACME_KEYS}?sort=valid_until")).await;
    assert_eq!(attrs(&html, "#key-sort option[selected]", "value"), ["valid_until"]);
    assert!(texts(&html, "[data-testid=key-matches]").is_empty(), "an order alone leaves nothing out");
    // Unknown values mean the defaults.
    let newest_first = listed(alice, "").await;
    assert_eq!(listed(alice, "status=bogus&sort=DROP+TABLE&q=").await, newest_first);
}
both_databases!(the_list_sorts_by_last_use_or_valid_until_with_the_rest_last, at_epoch);

async fn the_page_links_keep_the_filter(app: TestApp) {
    let team = Team::new(&app).await;
    store_many(&app, "acme", team.alice.id, "Bulk a&b", 60).await;
    store_many(&app, "acme", team.alice.id, "Other", 5).await;
    let query = format!("q={}&status=all&sort=valid_until", encoded("a&b"));
    let html = team.alice.page(&format!("{ACME_KEYS}?{query}")).await;
    assert_eq!(descriptions(&html).len(), 50);
    assert!(descriptions(&html).iter().all(|d| d.starts_with("Bulk a&b")));
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Next"));
    let next = attrs(&html, "nav.pagination a[rel=next]", "href");
    assert!(next[0].starts_with(&format!("{ACME_KEYS}?cursor=")), "{next:?}");
    assert!(next[0].ends_with("&q=a%26b&status=all&sort=valid_until"), "{next:?}");
    let html = team.alice.page(&next[0]).await;
    assert_eq!(descriptions(&html).len(), 10);
    assert!(descriptions(&html).iter().all(|d| d.starts_with("Bulk a&b")));
    let previous = attrs(&html, "nav.pagination a[rel=prev]", "href");
    assert!(previous[0].ends_with("&q=a%26b&status=all&sort=valid_until"), "{previous:?}");
    assert_eq!(text(&html, "[data-testid=key-matches]").as_deref(), Some("60 keys match. Show all keys"));
    // The filter form sends no cursor: a new filter starts at its first page.
    assert!(attrs(&html, "[data-testid=key-filters] [name=cursor]", "name").is_empty());
    // Without a filter, the links carry the cursor alone.
    let html = team.alice.page(ACME_KEYS).await;
    let next = attrs(&html, "nav.pagination a[rel=next]", "href");
    assert!(next[0].starts_with(&format!("{ACME_KEYS}?cursor=")) && !next[0].contains('&'), "{next:?}");
}
both_databases!(the_page_links_keep_the_filter, at_epoch);

async fn past_a_thousand_matches_the_count_stops_and_the_pages_go_on(app: TestApp) {
    let team = Team::new(&app).await;
    store_many(&app, "acme", team.alice.id, "Capped", 1005).await;
    let mut html = team.alice.page(&format!("{ACME_KEYS}?q=capped")).await;
    assert_eq!(text(&html, "[data-testid=key-matches]").as_deref(), Some("1000+ keys match. Show all keys"));
    assert_eq!(text(&html, "#keys-title").as_deref(), Some("API keys (1000+)"));
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Next"));
    assert_eq!(descriptions(&html)[0], "Capped 1005");
    for _ in 2..=21 {
        let next = attrs(&html, "nav.pagination a[rel=next]", "href");
        html = team.alice.page(&next[0]).await;
    }
    assert_eq!(
        descriptions(&html),
        ["Capped 0005", "Capped 0004", "Capped 0003", "Capped 0002", "Capped 0001"],
        "page 21"
    );
    assert_eq!(text(&html, "nav.pagination").as_deref(), Some("Previous"));
    let html = team.alice.page(&format!("{ACME_KEYS}?q=1005")).await;
    assert_eq!(text(&html, "[data-testid=key-matches]").as_deref(), Some("1 key matches. Show all keys"));
    assert_eq!(text(&html, "#keys-title").as_deref(), Some("API keys (1000+)"));
}
both_databases!(past_a_thousand_matches_the_count_stops_and_the_pages_go_on, at_epoch);

async fn the_add_button_leads_to_the_form_above_a_long_list(app: TestApp) {
    let team = Team::new(&app).await;
    store_many(&app, "acme", team.alice.id, "Many", 41).await;
    for (browser, list) in [(&team.alice, ACME_KEYS), (&team.alice, USER_KEYS)] {
        let html = browser.page(list).await;
        assert_eq!(attrs(&html, ".panel-header a[href='#add-key']", "href").len(), 1, "{list}");
        assert_eq!(text(&html, ".panel-header a[href='#add-key']").as_deref(), Some("Add API key"));
        assert_eq!(attrs(&html, "section#add-key form", "method"), ["post"]);
        let link = html.find("href=\"#add-key\"").unwrap();
        let first_key = html.find("data-testid=\"keys").unwrap();
        assert!(link < first_key, "{list}: the button comes before the list");
    }
}
both_databases!(the_add_button_leads_to_the_form_above_a_long_list, at_epoch);

async fn each_row_shows_its_whole_key_id_ready_to_copy(app: TestApp) {
    let team = Team::new(&app).await;
    let token = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(texts(&html, &format!("{KEYS} thead th"))[1], "Key id");
    assert_eq!(texts(&html, &format!("{KEYS} code.key-id")), [token.public_id.as_str()]);
    assert_eq!(attrs(&html, &format!("{KEYS} td"), "data-label")[1], "Key id");
    // The Copy button names its source and the key; it is hidden until scripts show it.
    let source = format!("key-id-{}", token.public_id);
    assert_eq!(attrs(&html, &format!("{KEYS} code.key-id"), "id"), [source.as_str()]);
    assert_eq!(attrs(&html, &format!("{KEYS} button[data-copy-button]"), "data-copy-button"), [source]);
    assert_eq!(attrs(&html, &format!("{KEYS} button[data-copy-button]"), "hidden"), [""]);
    assert_eq!(texts(&html, &format!("{KEYS} button[data-copy-button]")), ["Copy key id of Deploy bot"]);
    // The id is the one the API and the CLI take.
    let revoke = attrs(&html, &format!("{KEYS} a[data-revoke-key]"), "href");
    assert_eq!(revoke, [format!("{ACME_KEYS}/{}/revoke", token.public_id)]);
    let roll = attrs(&html, &format!("{KEYS} a[data-roll-key]"), "href");
    assert_eq!(roll, [format!("{ACME_KEYS}/{}/roll", token.public_id)]);
    // The row carries the id, for the dialog to return the focus to.
    assert_eq!(attrs(&html, &format!("{KEYS} tbody tr"), "id"), [format!("key-{}", token.public_id)]);
}
both_databases!(each_row_shows_its_whole_key_id_ready_to_copy, at_epoch);

async fn the_dialog_names_the_row_of_the_new_key(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_key(USER_KEYS, "Older", "").await;
    let response = alice.add_key(USER_KEYS, "Newest", "").await;
    assert_eq!(location(&response), USER_KEYS);
    let html = alice.page(USER_KEYS).await;
    let token = Token::parse(&new_token(&html).unwrap(), KeyKind::User);
    let row = format!("key-{}", token.public_id);
    assert_eq!(attrs(&html, DIALOG, "data-new-key-row"), [row.as_str()]);
    assert_eq!(attrs(&html, &format!("{KEYS} tr.key-row-new"), "id"), [row]);
    assert_eq!(
        attrs(&html, &format!("{KEYS} tr[tabindex='-1']"), "class"),
        ["key-row-new"],
        "only it takes the focus"
    );
    // The warning about closing before copying is there for scripts to show, hidden.
    assert_eq!(attrs(&html, &format!("{DIALOG} [data-copy-warning]"), "hidden"), [""]);
    assert_eq!(
        text(&html, &format!("{DIALOG} [data-copy-warning]")).as_deref(),
        Some("Did you copy the key? It cannot be shown again. Go back to the key Close anyway")
    );
    // Later visits show no dialog and mark no row.
    let html = alice.page(USER_KEYS).await;
    assert!(texts(&html, DIALOG).is_empty());
    assert!(texts(&html, &format!("{KEYS} tr.key-row-new")).is_empty());
}
both_databases!(the_dialog_names_the_row_of_the_new_key, at_epoch);
