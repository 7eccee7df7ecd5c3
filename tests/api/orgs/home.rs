//! Where a signed-in person starts: the home page lists their organizations
//! with their role and the way to each (and to its API keys, for admins), or
//! says what to do first; the account menu and the organization page lead to
//! the API keys. The header's menus stay accessible.

use super::{Browser, Team, attrs, texts};
use crate::both_databases;
use crate::support::{TestApp, squash, text};

const MY_ORGS: &str = "[data-testid=my-orgs] li";

/// The home page's organizations: (name, address, role, the links next to it).
fn home_orgs(html: &str) -> Vec<(String, String, String, Vec<String>)> {
    crate::support::quietly(|| {
        let doc = scraper::Html::parse_document(html);
        let item = scraper::Selector::parse(MY_ORGS).unwrap();
        let name = scraper::Selector::parse("a[href^='/o/']").unwrap();
        let address = scraper::Selector::parse(".muted").unwrap();
        let role = scraper::Selector::parse(".org-role").unwrap();
        let links = scraper::Selector::parse(".org-links a").unwrap();
        let text = |e: scraper::ElementRef<'_>| squash(&e.text().collect::<String>());
        doc.select(&item)
            .map(|li| {
                (
                    li.select(&name).next().map(text).unwrap_or_default(),
                    li.select(&address).next().map(text).unwrap_or_default(),
                    li.select(&role).next().map(text).unwrap_or_default(),
                    li.select(&links).filter_map(|a| a.value().attr("href")).map(str::to_string).collect(),
                )
            })
            .collect()
    })
}

async fn the_home_page_lists_the_persons_organizations_with_role_and_links(app: TestApp) {
    let w = Team::new(&app).await;
    crate::support::join(&app, &w.alice, &w.bob, "bolt").await;
    let html = w.alice.page("/").await;
    assert_eq!(
        home_orgs(&html),
        [
            (
                "Acme Corp".to_string(),
                "/o/acme".to_string(),
                "Admin".to_string(),
                vec!["/o/acme/settings/api-keys".to_string()]
            ),
            ("Bolt Labs".to_string(), "/o/bolt".to_string(), "Member".to_string(), vec![]),
        ]
    );
    assert_eq!(attrs(&html, &format!("{MY_ORGS} a[href^='/o/']:not(.org-links a)"), "href").len(), 2);
    assert_eq!(texts(&html, "[data-testid=my-orgs] .org-links a"), ["API keys of Acme Corp"]);
    assert!(text(&html, "[data-testid=no-orgs]").is_none());
    // Their own keys, from the home page too.
    assert!(attrs(&html, "main a", "href").contains(&"/settings/api-keys".to_string()));

    // A request to join shows next to the organization, linking to its members page.
    w.olga.ask_to_join("acme").await;
    let html = w.alice.page("/").await;
    assert_eq!(
        home_orgs(&html)[0].3,
        ["/o/acme/settings/members".to_string(), "/o/acme/settings/api-keys".to_string()]
    );
    assert_eq!(texts(&html, "[data-testid=my-orgs] [data-testid=pending-requests]"), ["1 request to join"]);
}
both_databases!(the_home_page_lists_the_persons_organizations_with_role_and_links);

async fn without_an_organization_the_home_page_says_what_to_do_first(app: TestApp) {
    let olga = Browser::signed_in(&app, "Olga").await;
    let html = olga.page("/").await;
    assert!(text(&html, "[data-testid=my-orgs]").is_none());
    let next = text(&html, "[data-testid=no-orgs]").expect("a next step");
    assert!(next.contains("Create one for your team"), "{next}");
    assert!(next.contains("find it by its name or address"), "{next}");
    let actions = attrs(&html, "main .actions a", "href");
    assert_eq!(actions, ["/orgs/new", "/orgs"]);
    assert_eq!(attrs(&html, "main .actions a.button-primary", "href"), ["/orgs/new"]);
}
both_databases!(without_an_organization_the_home_page_says_what_to_do_first);

async fn the_account_menu_and_the_organization_page_lead_to_the_api_keys(app: TestApp) {
    let w = Team::new(&app).await;
    for person in [&w.alice, &w.mia, &w.olga] {
        let html = person.page("/").await;
        let menu = "[data-testid=account-menu] .menu a";
        assert_eq!(texts(&html, menu), ["Settings", "API keys"], "{}", person.name);
        assert_eq!(
            attrs(&html, menu, "href"),
            ["/settings/profile", "/settings/api-keys"],
            "{}",
            person.name
        );
        person.page("/settings/api-keys").await;
    }
    // The organization's keys: a link on its page for admins, none for members.
    let html = w.alice.page("/o/acme").await;
    assert_eq!(
        attrs(&html, ".page-header a", "href"),
        ["/o/acme/settings/general", "/o/acme/settings/api-keys"]
    );
    assert_eq!(texts(&html, ".page-header a"), ["Organization settings", "API keys"]);
    let html = w.mia.page("/o/acme").await;
    assert!(attrs(&html, "main a[href='/o/acme/settings/api-keys']", "href").is_empty());
}
both_databases!(the_account_menu_and_the_organization_page_lead_to_the_api_keys);

/// Every control of `html` (named by its content unless labelled: links,
/// buttons, summaries) with an aria-label that does not contain its visible
/// text ("label in name"), and every `role=menu`/`menuitem`. Landmarks (`nav`)
/// are labelled, not named by their content, so they are not controls here.
fn accessibility_problems(html: &str) -> Vec<String> {
    crate::support::quietly(|| {
        let doc = scraper::Html::parse_document(html);
        let labelled = scraper::Selector::parse(
            "a[aria-label], button[aria-label], summary[aria-label], [role=button][aria-label], \
             [role=link][aria-label], [role=tab][aria-label]",
        )
        .unwrap();
        let menus = scraper::Selector::parse("[role=menu], [role=menuitem]").unwrap();
        let mut problems: Vec<String> = doc
            .select(&labelled)
            .filter_map(|e| {
                let label = e.value().attr("aria-label").unwrap_or_default();
                let visible = squash(&e.text().collect::<String>());
                (!label.to_lowercase().contains(&visible.to_lowercase()))
                    .then(|| format!("<{}> aria-label {label:?} lacks {visible:?}", e.value().name()))
            })
            .collect();
        problems.extend(doc.select(&menus).map(|e| format!("<{}> has a menu role", e.value().name())));
        problems
    })
}

async fn the_header_menus_are_named_by_what_they_show(app: TestApp) {
    let w = Team::new(&app).await;
    w.olga.ask_to_join("acme").await;
    for (person, path) in [
        (&w.alice, "/"),
        (&w.alice, "/o/acme"),
        (&w.alice, "/o/acme/settings/members"),
        (&w.mia, "/o/acme/settings/general"),
        (&w.olga, "/orgs?q=acme"),
    ] {
        let html = person.html(path).await;
        assert_eq!(accessibility_problems(&html), Vec::<String>::new(), "{} {path}", person.name);
        assert_eq!(
            text(&html, "[data-testid=org-switcher] summary").map(|s| s.starts_with("Organizations")),
            Some(true),
            "{path}"
        );
    }
    let anonymous = Browser::anonymous(&app).await;
    assert_eq!(accessibility_problems(&anonymous.html("/").await), Vec::<String>::new());
}
both_databases!(the_header_menus_are_named_by_what_they_show);

async fn the_organization_list_of_the_home_page_is_the_persons_own(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.bob.page("/").await;
    assert_eq!(texts(&html, &format!("{MY_ORGS} > a")), ["Bolt Labs"]);
    let html = w.mia.page("/").await;
    assert_eq!(
        home_orgs(&html),
        [("Acme Corp".to_string(), "/o/acme".to_string(), "Member".to_string(), vec![])]
    );
}
both_databases!(the_organization_list_of_the_home_page_is_the_persons_own);
