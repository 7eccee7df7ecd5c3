//! Organizations: creating, finding and joining them, roles, settings and the audit log.
//!
//! Most tests start from a [`World`]: two organizations and four people in different
//! roles, each with their own browser (cookie jar).
//!
//! | who   | role                                   |
//! |-------|----------------------------------------|
//! | Alice | admin of Acme Corp (`/o/acme`)         |
//! | Mia   | member of Acme Corp                    |
//! | Bob   | admin of Bolt Labs (`/o/bolt`)         |
//! | Olga  | outsider: belongs to no organization   |

mod access;
mod audit_log;
mod creation;
mod escaping;
mod hidden_characters;
mod identities;
mod join_flow;
mod join_limits;
mod last_admin;
mod rename;
mod roles;
mod search;

pub use crate::browser::Browser;
use crate::helpers::TestApp;

impl Browser {
    /// The organizations listed in the header's switcher, by name.
    pub async fn switcher(&self) -> Vec<String> {
        let html = self.page("/").await;
        texts(&html, r#"[data-testid=org-switcher] a[href^="/o/"]"#)
    }

    /// Asks to join; checks the redirect back to the search, and follows it.
    pub async fn ask_to_join(&self, slug: &str) {
        self.post_and_follow(&format!("/o/{slug}/join-requests"), &[], "/orgs").await;
    }
}

/// Two organizations and four people in different roles (see the module docs).
pub struct World {
    pub alice: Browser,
    pub mia: Browser,
    pub bob: Browser,
    pub olga: Browser,
}

impl World {
    pub async fn new(app: &TestApp) -> World {
        let alice = Browser::signed_in(app, "Alice").await;
        alice.create_org("Acme Corp", "acme").await;
        let bob = Browser::signed_in(app, "Bob").await;
        bob.create_org("Bolt Labs", "bolt").await;
        let mia = Browser::signed_in(app, "Mia").await;
        join(app, &mia, &alice, "acme").await;
        let olga = Browser::signed_in(app, "Olga").await;
        assert_eq!(role(app, "acme", alice.id).await.as_deref(), Some("admin"));
        assert_eq!(role(app, "acme", mia.id).await.as_deref(), Some("member"));
        assert_eq!(role(app, "bolt", bob.id).await.as_deref(), Some("admin"));
        World { alice, mia, bob, olga }
    }
}

/// `person` asks to join `slug` and `admin` approves: `person` is then a member.
pub async fn join(app: &TestApp, person: &Browser, admin: &Browser, slug: &str) {
    person.ask_to_join(slug).await;
    let request = pending_request(app, slug, person.id).await.expect("a pending request");
    let path = format!("/o/{slug}/settings/requests/{request}/approve");
    admin.post_and_follow(&path, &[], &format!("/o/{slug}/settings/members")).await;
    assert_eq!(role(app, slug, person.id).await.as_deref(), Some("member"));
}

// ---------------------------------------------------------------------------
// The database, read directly (not through the app's own queries).

pub use crate::sql::{count, int, quoted, strings};

pub async fn org_name(app: &TestApp, slug: &str) -> Option<String> {
    strings(app, format!("SELECT name AS v FROM organizations WHERE slug = {}", quoted(slug)))
        .await
        .into_iter()
        .next()
}

/// The user's role in the organization, `None` if they are not a member.
pub async fn role(app: &TestApp, slug: &str, user: i32) -> Option<String> {
    strings(
        app,
        format!(
            "SELECT m.role AS v FROM memberships m JOIN organizations o ON o.id = m.organization_id \
             WHERE o.slug = {} AND m.user_id = {user}",
            quoted(slug)
        ),
    )
    .await
    .into_iter()
    .next()
}

pub async fn admin_count(app: &TestApp, slug: &str) -> i64 {
    count(
        app,
        format!(
            "SELECT COUNT(*) AS n FROM memberships m JOIN organizations o ON o.id = m.organization_id \
             WHERE o.slug = {} AND m.role = 'admin'",
            quoted(slug)
        ),
    )
    .await
}

/// The id of the user's pending request to join the organization.
pub async fn pending_request(app: &TestApp, slug: &str, user: i32) -> Option<i32> {
    int(
        app,
        format!(
            "SELECT r.id AS v FROM join_requests r JOIN organizations o ON o.id = r.organization_id \
             WHERE o.slug = {} AND r.user_id = {user} AND r.status = 'pending' ORDER BY r.id",
            quoted(slug)
        ),
    )
    .await
}

/// The statuses of the user's requests to join the organization, oldest first.
pub async fn request_statuses(app: &TestApp, slug: &str, user: i32) -> Vec<String> {
    strings(
        app,
        format!(
            "SELECT r.status AS v FROM join_requests r JOIN organizations o ON o.id = r.organization_id \
             WHERE o.slug = {} AND r.user_id = {user} ORDER BY r.id",
            quoted(slug)
        ),
    )
    .await
}

/// The organization's audit log as stored, oldest first: "action | actor id | target id | details".
pub async fn audit_rows(app: &TestApp, slug: &str) -> Vec<String> {
    strings(
        app,
        format!(
            "SELECT a.action || ' | ' || COALESCE(CAST(a.actor_user_id AS TEXT), '-') || ' | ' || \
             COALESCE(CAST(a.target_user_id AS TEXT), '-') || ' | ' || a.details AS v \
             FROM audit_events a JOIN organizations o ON o.id = a.organization_id \
             WHERE o.slug = {} ORDER BY a.id",
            quoted(slug)
        ),
    )
    .await
}

/// The actions of the organization's audit log, oldest first.
pub async fn audit_actions(app: &TestApp, slug: &str) -> Vec<String> {
    strings(
        app,
        format!(
            "SELECT a.action AS v FROM audit_events a JOIN organizations o ON o.id = a.organization_id \
             WHERE o.slug = {} ORDER BY a.id",
            quoted(slug)
        ),
    )
    .await
}

/// Everything an organization action could change, to check that nothing did.
pub async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for sql in [
        "SELECT 'org ' || CAST(id AS TEXT) || ' ' || slug || ' ' || name AS v FROM organizations ORDER BY id",
        "SELECT 'membership ' || CAST(organization_id AS TEXT) || ' ' || CAST(user_id AS TEXT) || ' ' || role \
         AS v FROM memberships ORDER BY organization_id, user_id",
        "SELECT 'request ' || CAST(id AS TEXT) || ' ' || CAST(organization_id AS TEXT) || ' ' || \
         CAST(user_id AS TEXT) || ' ' || status AS v FROM join_requests ORDER BY id",
        "SELECT 'audit ' || CAST(id AS TEXT) || ' ' || action || ' ' || details AS v \
         FROM audit_events ORDER BY id",
    ] {
        all.extend(strings(app, sql.to_string()).await);
    }
    all
}

// ---------------------------------------------------------------------------
// Pages.

/// Text with runs of white space made one space, trimmed.
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The squashed text of every element matching `css`.
pub fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).map(|e| squash(&e.text().collect::<String>())).collect()
}

/// An attribute of every element matching `css`.
pub fn attrs(html: &str, css: &str, attr: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).filter_map(|e| e.value().attr(attr)).map(str::to_string).collect()
}

/// The body rows of a table, as the squashed text of their cells.
/// The results table of *Find an organization*.
pub const SEARCH_RESULTS: &str = "[data-testid=search-results]";

/// The last cell (what can be done) of the search result for `name`.
pub fn action_for(html: &str, name: &str) -> String {
    rows(html, SEARCH_RESULTS)
        .into_iter()
        .find(|row| row[0] == name)
        .and_then(|row| row.last().cloned())
        .unwrap_or_else(|| panic!("{name} in the results"))
}

pub fn rows(html: &str, table: &str) -> Vec<Vec<String>> {
    let doc = scraper::Html::parse_document(html);
    let row_selector = scraper::Selector::parse(&format!("{table} tbody tr")).unwrap();
    let cell_selector = scraper::Selector::parse("td").unwrap();
    doc.select(&row_selector)
        .map(|row| row.select(&cell_selector).map(|c| squash(&c.text().collect::<String>())).collect())
        .collect()
}

/// The first cell of each body row of a table.
pub fn first_column(html: &str, table: &str) -> Vec<String> {
    rows(html, table).into_iter().filter_map(|row| row.into_iter().next()).collect()
}

/// The one-time message on a page (there must not be more than one).
pub fn flash(html: &str) -> Option<String> {
    let all = texts(html, ".flash");
    assert!(all.len() <= 1, "several flash messages: {all:?}");
    all.into_iter().next()
}

/// The whole text of a page (what a person reads), squashed.
pub fn page_text(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    squash(&doc.root_element().text().collect::<String>())
}

/// The URL-encoded form of a path, as `return_to` carries it.
pub fn encoded(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

/// Every page of an organization, for members or admins.
pub fn org_pages(slug: &str) -> Vec<String> {
    let mut pages = vec![format!("/o/{slug}")];
    pages.extend(admin_pages(slug));
    pages
}

/// The admin-only pages of an organization: every settings tab.
pub fn admin_pages(slug: &str) -> Vec<String> {
    ["settings", "settings/general", "settings/members", "settings/api-keys", "settings/audit-log"]
        .iter()
        .map(|tab| format!("/o/{slug}/{tab}"))
        .collect()
}
