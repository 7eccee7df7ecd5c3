//! Finding organizations: `GET /orgs?q=…&page=…`.

use reqwest::StatusCode;

use super::{Browser, attrs, encoded, first_column, page_text, rows};
use crate::both_databases;
use crate::support::TestApp;
use crate::support::{location, text_of};

const RESULTS: &str = "[data-testid=search-results]";

async fn found(browser: &Browser, query: &str) -> Vec<String> {
    let html = browser.page(&format!("/orgs?q={}", encoded(query))).await;
    first_column(&html, RESULTS)
}

async fn the_search_ignores_case(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    alice.create_org("ACME Tools", "acme-tools").await;
    alice.create_org("Bolt Labs", "bolt").await;
    let olga = Browser::signed_in(&app, "Olga").await;
    for query in ["acme", "ACME", "aCmE", "  acme  ", "me co"] {
        let expected: &[&str] = if query == "me co" { &["Acme Corp"] } else { &["ACME Tools", "Acme Corp"] };
        let mut names = found(&olga, query).await;
        names.sort();
        assert_eq!(names, expected, "{query:?}");
    }
    let html = olga.page("/orgs?q=acme").await;
    assert_eq!(text_of(&html, "main .panel p.muted").as_deref(), Some("2 found."));
    // The address is shown next to the name.
    let table = rows(&html, RESULTS);
    assert!(table.iter().any(|row| row[..2] == ["Acme Corp", "/o/acme"]), "{table:?}");
    // The query stays in the field.
    assert_eq!(attrs(&html, "input#q", "value"), ["acme"]);
}
both_databases!(the_search_ignores_case);

async fn percent_underscore_and_backslash_in_a_query_match_themselves(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    for (name, slug) in [
        ("100% Uptime", "uptime-100"),
        ("100 Uptime", "uptime"),
        ("my_team", "my-team"),
        ("myXteam", "myxteam"),
        ("back\\slash", "backslash"),
        ("backslash", "backslash-2"),
    ] {
        alice.create_org(name, slug).await;
    }
    let olga = Browser::signed_in(&app, "Olga").await;
    assert_eq!(found(&olga, "%").await, ["100% Uptime"]);
    assert_eq!(found(&olga, "100%").await, ["100% Uptime"]);
    assert_eq!(found(&olga, "0% up").await, ["100% Uptime"]);
    assert_eq!(found(&olga, "_").await, ["my_team"]);
    assert_eq!(found(&olga, "my_team").await, ["my_team"]);
    assert_eq!(found(&olga, "\\").await, ["back\\slash"]);
    assert_eq!(found(&olga, "k\\s").await, ["back\\slash"]);
    let html = olga.page("/orgs?q=%25%25").await;
    assert!(text_of(&html, RESULTS).is_none());
    assert!(page_text(&html).contains("No organization matches “%%”."));
}
both_databases!(percent_underscore_and_backslash_in_a_query_match_themselves);

async fn results_come_twenty_per_page_by_name(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    // Created out of order: the results are by name.
    for n in (1..=25).rev() {
        alice.create_org(&format!("Team {n:02}"), &format!("team-{n:02}")).await;
    }
    alice.create_org("Other", "other").await;
    let olga = Browser::signed_in(&app, "Olga").await;

    let html = olga.page("/orgs?q=team").await;
    let expected: Vec<String> = (1..=20).map(|n| format!("Team {n:02}")).collect();
    assert_eq!(first_column(&html, RESULTS), expected);
    assert_eq!(text_of(&html, "main .panel p.muted").as_deref(), Some("25 found."));
    assert_eq!(text_of(&html, ".pagination .muted").as_deref(), Some("Page 1 of 2"));
    assert!(attrs(&html, ".pagination a[rel=prev]", "href").is_empty());
    let next = attrs(&html, ".pagination a[rel=next]", "href");
    assert_eq!(next, ["?page=2&q=team"]);

    let html = olga.page(&format!("/orgs{}", next[0])).await;
    let expected: Vec<String> = (21..=25).map(|n| format!("Team {n:02}")).collect();
    assert_eq!(first_column(&html, RESULTS), expected);
    assert_eq!(text_of(&html, ".pagination .muted").as_deref(), Some("Page 2 of 2"));
    assert_eq!(attrs(&html, ".pagination a[rel=prev]", "href"), ["?page=1&q=team"]);
    assert!(attrs(&html, ".pagination a[rel=next]", "href").is_empty());

    // Junk page numbers mean the first page.
    for junk in ["0", "-1", "abc"] {
        let html = olga.page(&format!("/orgs?q=team&page={junk}")).await;
        assert_eq!(first_column(&html, RESULTS).len(), 20, "page={junk}");
    }
    // Fewer results fit on one page.
    let html = olga.page("/orgs?q=team%200").await;
    assert_eq!(first_column(&html, RESULTS).len(), 9);
    assert!(text_of(&html, ".pagination").is_none());
}
both_databases!(results_come_twenty_per_page_by_name);

async fn an_empty_search_lists_nothing(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    for path in ["/orgs", "/orgs?q=", "/orgs?q=%20%20"] {
        let html = alice.page(path).await;
        assert!(text_of(&html, RESULTS).is_none(), "{path}");
        assert!(!page_text(&html).contains("No organization matches"), "{path}");
    }
    let html = alice.page("/orgs?q=nothing-like-it").await;
    assert!(page_text(&html).contains("No organization matches “nothing-like-it”."));
}
both_databases!(an_empty_search_lists_nothing);

async fn searching_needs_sign_in(app: TestApp) {
    let response = app.get("/orgs?q=acme").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/login?return_to={}", encoded("/orgs?q=acme")));
}
both_databases!(searching_needs_sign_in);

async fn the_search_ignores_the_case_of_accented_letters(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("ÉCOLE ZÜRICH", "ecole").await;
    alice.create_org("société générale", "societe").await;
    let olga = Browser::signed_in(&app, "Olga").await;
    assert_eq!(found(&olga, "école zürich").await, ["ÉCOLE ZÜRICH"]);
    assert_eq!(found(&olga, "SOCIÉTÉ").await, ["société générale"]);
}
both_databases!(the_search_ignores_the_case_of_accented_letters);

async fn a_page_beyond_the_last_does_not_claim_that_nothing_matches(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    for n in 1..=3 {
        alice.create_org(&format!("Team {n}"), &format!("team-{n}")).await;
    }
    let html = alice.page("/orgs?q=team&page=5").await;
    assert!(!page_text(&html).contains("No organization matches"), "{}", page_text(&html));
    assert_eq!(first_column(&html, RESULTS).len(), 3);
}
both_databases!(a_page_beyond_the_last_does_not_claim_that_nothing_matches);

async fn the_search_finds_an_organization_by_its_address(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Rockets", "acme-rockets").await;
    alice.create_org("Rocket Science", "acme-rs").await;
    alice.create_org("Acme Corp", "acme").await;
    alice.create_org("Bolt Labs", "bolt").await;
    let olga = Browser::signed_in(&app, "Olga").await;
    // The whole address as the page shows it: the name has a space, not a hyphen.
    assert_eq!(found(&olga, "acme-rockets").await, ["Acme Rockets"]);
    assert_eq!(found(&olga, "ACME-ROCKETS").await, ["Acme Rockets"]);
    // Part of an address finds a name that does not contain it.
    assert_eq!(found(&olga, "acme-r").await, ["Acme Rockets", "Rocket Science"]);
    assert_eq!(found(&olga, "me-rs").await, ["Rocket Science"]);
    // Name or address, each organization once, by name.
    assert_eq!(found(&olga, "acme").await, ["Acme Corp", "Acme Rockets", "Rocket Science"]);
    let html = olga.page("/orgs?q=acme").await;
    assert_eq!(text_of(&html, "main .panel p.muted").as_deref(), Some("3 found."));
    assert_eq!(found(&olga, "rocket").await, ["Acme Rockets", "Rocket Science"]);
    // The field says so.
    assert_eq!(text_of(&html, "label[for=q]").as_deref(), Some("Name or address"));
}
both_databases!(the_search_finds_an_organization_by_its_address);

async fn wildcards_do_not_match_in_addresses_either(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Rockets", "acme-rockets").await;
    alice.create_org("Backslash", "back-slash").await;
    let olga = Browser::signed_in(&app, "Olga").await;
    // `_` and `%` would match any character in LIKE; here they match themselves only.
    for query in ["acme_rockets", "acme%rockets", "a_me", "%-%", "back\\-slash", "_-_"] {
        assert!(found(&olga, query).await.is_empty(), "{query:?}");
    }
    assert_eq!(found(&olga, "k-s").await, ["Backslash"]);
}
both_databases!(wildcards_do_not_match_in_addresses_either);

async fn results_found_by_address_come_twenty_per_page(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    // Names without the word, addresses with it.
    for n in (1..=23).rev() {
        alice.create_org(&format!("Team {n:02}"), &format!("squad-{n:02}")).await;
    }
    alice.create_org("Squadron", "other").await;
    let olga = Browser::signed_in(&app, "Olga").await;
    let html = olga.page("/orgs?q=squad").await;
    let mut expected = vec!["Squadron".to_string()];
    expected.extend((1..=19).map(|n| format!("Team {n:02}")));
    assert_eq!(first_column(&html, RESULTS), expected);
    assert_eq!(text_of(&html, "main .panel p.muted").as_deref(), Some("24 found."));
    assert_eq!(attrs(&html, ".pagination a[rel=next]", "href"), ["?page=2&q=squad"]);
    let html = olga.page("/orgs?q=squad&page=2").await;
    let expected: Vec<String> = (20..=23).map(|n| format!("Team {n:02}")).collect();
    assert_eq!(first_column(&html, RESULTS), expected);
    assert_eq!(text_of(&html, ".pagination .muted").as_deref(), Some("Page 2 of 2"));
}
both_databases!(results_found_by_address_come_twenty_per_page);
