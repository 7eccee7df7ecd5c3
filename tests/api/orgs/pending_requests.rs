//! Admins see how many requests to join wait for them: on the organization's
//! pages (with the way to Settings > Members), next to the organization in the
//! header's menu and on the home page. Members and other people see nothing.

use super::{Browser, Team, attrs, join, texts};
use crate::both_databases;
use crate::support::{TestApp, pending_request, quietly, squash, text};

const NOTICE: &str = "[data-testid=pending-requests]";
const MENU_COUNTS: &str = "[data-testid=org-switcher] a[data-testid=pending-requests]";

/// The count next to each organization of the header's menu that has one:
/// (name, the count's visible number).
fn menu_counts(html: &str) -> Vec<(String, String)> {
    quietly(|| {
        let doc = scraper::Html::parse_document(html);
        let row = scraper::Selector::parse("[data-testid=org-switcher] .menu-row").unwrap();
        let name = scraper::Selector::parse("a[data-org-link]").unwrap();
        let count = scraper::Selector::parse("a.menu-count").unwrap();
        doc.select(&row)
            .filter_map(|row| {
                let name = squash(&row.select(&name).next()?.text().collect::<String>());
                // The visible number is the count's first text node (the rest is for screen readers).
                let number = row.select(&count).next()?.text().next()?.trim().to_string();
                Some((name, number))
            })
            .collect()
    })
}

async fn admins_see_the_waiting_requests_on_every_page_of_the_organization(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.alice.page("/o/acme").await;
    assert!(text(&html, NOTICE).is_none(), "no request, no notice");
    assert!(text(&html, "[data-testid=pending-total]").is_none());

    w.olga.ask_to_join("acme").await;
    let html = w.alice.page("/o/acme").await;
    assert_eq!(
        text(&html, &format!("main {NOTICE}")).as_deref(),
        Some("1 person asks to join Acme Corp. Review the request on Settings > Members")
    );
    assert_eq!(attrs(&html, &format!("main {NOTICE} a"), "href"), ["/o/acme/settings/members"]);

    let pia = Browser::signed_in(&app, "Pia").await;
    pia.ask_to_join("acme").await;
    for path in
        ["/o/acme", "/o/acme/settings/general", "/o/acme/settings/api-keys", "/o/acme/settings/audit-log"]
    {
        let html = w.alice.page(path).await;
        assert_eq!(
            text(&html, &format!("main {NOTICE}")).as_deref(),
            Some("2 people ask to join Acme Corp. Review the requests on Settings > Members"),
            "{path}"
        );
    }
    // The members page lists them itself.
    let html = w.alice.page("/o/acme/settings/members").await;
    assert!(text(&html, &format!("main {NOTICE}")).is_none());
    assert_eq!(texts(&html, "[data-testid=join-requests] tbody tr").len(), 2);

    // A plain member sees no count anywhere.
    let html = w.mia.page("/o/acme").await;
    assert!(text(&html, NOTICE).is_none());
    assert!(text(&html, "[data-testid=pending-total]").is_none());

    // Answered requests no longer count.
    let request = pending_request(&app, "acme", w.olga.id).await.unwrap();
    w.alice
        .post_and_follow(
            &format!("/o/acme/settings/requests/{request}/reject"),
            &[],
            "/o/acme/settings/members",
        )
        .await;
    let html = w.alice.page("/o/acme").await;
    assert_eq!(
        text(&html, &format!("main {NOTICE}")).as_deref(),
        Some("1 person asks to join Acme Corp. Review the request on Settings > Members")
    );
    pia.post_and_follow(
        &format!("/orgs/requests/{}/withdraw", pending_request(&app, "acme", pia.id).await.unwrap()),
        &[],
        "/orgs",
    )
    .await;
    let html = w.alice.page("/o/acme").await;
    assert!(text(&html, NOTICE).is_none());
}
both_databases!(admins_see_the_waiting_requests_on_every_page_of_the_organization);

async fn the_header_menu_counts_the_requests_of_each_organization_the_person_administers(app: TestApp) {
    let w = Team::new(&app).await;
    // Alice administers Acme and, after Bob adds her, is a plain member of Bolt.
    join(&app, &w.alice, &w.bob, "bolt").await;
    w.alice.create_org("Cobalt", "cobalt").await;
    let pia = Browser::signed_in(&app, "Pia").await;
    let quinn = Browser::signed_in(&app, "Quinn").await;
    for person in [&w.olga, &pia, &quinn] {
        person.ask_to_join("acme").await;
    }
    for person in [&w.olga, &pia] {
        person.ask_to_join("bolt").await;
    }
    quinn.ask_to_join("cobalt").await;

    let html = w.alice.page("/orgs").await;
    assert_eq!(w.alice.switcher().await, ["Acme Corp", "Bolt Labs", "Cobalt"]);
    // Bolt's requests are Bob's to answer: no count next to it for Alice.
    assert_eq!(
        menu_counts(&html),
        [("Acme Corp".to_string(), "3".to_string()), ("Cobalt".to_string(), "1".to_string())]
    );
    assert_eq!(attrs(&html, MENU_COUNTS, "href"), ["/o/acme/settings/members", "/o/cobalt/settings/members"]);
    // Each count says what it counts to a screen reader, naming the organization.
    assert_eq!(texts(&html, MENU_COUNTS), ["3 requests to join Acme Corp", "1 request to join Cobalt"]);
    assert_eq!(text(&html, "[data-testid=pending-total]").as_deref(), Some("4 requests to join"));

    // Bob sees Bolt's; Mia (a member of Acme) none.
    let html = w.bob.page("/").await;
    assert_eq!(menu_counts(&html), [("Bolt Labs".to_string(), "2".to_string())]);
    assert_eq!(text(&html, "[data-testid=pending-total]").as_deref(), Some("2 requests to join"));
    let html = w.mia.page("/").await;
    assert!(menu_counts(&html).is_empty());
    assert!(text(&html, "[data-testid=pending-total]").is_none());
}
both_databases!(the_header_menu_counts_the_requests_of_each_organization_the_person_administers);
