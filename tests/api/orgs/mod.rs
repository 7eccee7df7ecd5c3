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
mod join_flow;
mod last_admin;
mod rename;
mod roles;
mod search;

use std::sync::Arc;

use diesel::RunQueryDsl;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Response, StatusCode};

use crate::helpers::{TestApp, csrf_token_in, location};

/// One person's browser: its own cookie jar, so its own session.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
    /// The display name signed in with (empty for an anonymous visitor).
    pub name: String,
    /// The user's id (0 for an anonymous visitor).
    pub id: i32,
    /// The session's CSRF token, read once from a page: it stays the same for
    /// the whole session, and reading a page would consume its flash messages.
    token: String,
}

impl Browser {
    /// A visitor who is not signed in but holds a session (and its CSRF token), as
    /// anyone has once they have seen the sign-in page.
    pub async fn anonymous(app: &TestApp) -> Browser {
        let (client, jar) = app.new_visitor();
        let mut browser = Browser {
            client,
            jar,
            base: app.address.clone(),
            name: String::new(),
            id: 0,
            token: String::new(),
        };
        let html = browser.html("/login").await;
        browser.token = csrf_token_in(&html).expect("the sign-in page has a CSRF token");
        browser
    }

    /// A new browser signed in with development sign-in under `name`.
    pub async fn signed_in(app: &TestApp, name: &str) -> Browser {
        let mut browser = Browser::anonymous(app).await;
        let response = browser.post("/auth/dev/login", &[("name", name)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{name} signs in");
        // Signing in renews the session and its CSRF token.
        let html = browser.html("/orgs/new").await;
        browser.token = csrf_token_in(&html).expect("a signed-in page has a CSRF token");
        browser.name = name.to_string();
        browser.id = user_id(app, name).await;
        browser
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    /// The body of a page, whatever its status.
    pub async fn html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// The body of a page that must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{} opens {path}", self.who());
        response.text().await.expect("body")
    }

    /// A form POST as the browser sends it from one of our pages: from our origin,
    /// with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = fields.to_vec();
        all.push(("csrf_token", &self.token));
        self.post_raw(path, &all).await
    }

    /// A form POST from our origin with exactly these fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header("Origin", &self.base)
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs, checks the 303 and where it goes, and returns the page it leads to.
    pub async fn post_and_follow(&self, path: &str, fields: &[(&str, &str)], expected: &str) -> String {
        let response = self.post(path, fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{} POST {path}", self.who());
        assert_eq!(location(&response), expected, "{} POST {path} leads to", self.who());
        self.page(expected).await
    }

    pub fn csrf_token(&self) -> &str {
        &self.token
    }

    /// The session cookie's value as the browser holds it now.
    pub fn session_cookie(&self) -> Option<String> {
        let url = url::Url::parse(&self.base).unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.split_once('=').filter(|(k, _)| k.ends_with("monkeyci_session")))
            .map(|(_, v)| v.to_string())
    }

    /// The organizations listed in the header's switcher, by name.
    pub async fn switcher(&self) -> Vec<String> {
        let html = self.page("/").await;
        texts(&html, r#"[data-testid=org-switcher] a[href^="/o/"]"#)
    }

    /// Creates an organization and checks that it worked. Like a browser, follows
    /// the redirect (which shows the flash message, so it does not pile up).
    pub async fn create_org(&self, name: &str, slug: &str) {
        let response = self.post("/orgs", &[("name", name), ("slug", slug)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{} creates {name}", self.who());
        self.page(&location(&response)).await;
    }

    /// Asks to join; checks the redirect back to the search, and follows it.
    pub async fn ask_to_join(&self, slug: &str) {
        self.post_and_follow(&format!("/o/{slug}/join-requests"), &[], "/orgs").await;
    }

    fn who(&self) -> &str {
        if self.name.is_empty() { "an anonymous visitor" } else { &self.name }
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

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

#[derive(diesel::QueryableByName)]
struct Int {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    v: i32,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `'…'` with its quotes doubled, for values the tests themselves chose.
pub fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The one text column `v` of every row.
pub async fn strings(app: &TestApp, sql: String) -> Vec<String> {
    app.db
        .run(move |conn| diesel::sql_query(sql).load::<Text>(conn))
        .await
        .expect("query runs")
        .into_iter()
        .map(|row| row.v)
        .collect()
}

/// The integer column `v` of the first row, if any.
pub async fn int(app: &TestApp, sql: String) -> Option<i32> {
    app.db
        .run(move |conn| diesel::sql_query(sql).load::<Int>(conn))
        .await
        .expect("query runs")
        .first()
        .map(|row| row.v)
}

/// `SELECT COUNT(*) AS n …`
pub async fn count(app: &TestApp, sql: String) -> i64 {
    app.db.run(move |conn| diesel::sql_query(sql).get_result::<Count>(conn)).await.expect("query runs").n
}

pub async fn user_id(app: &TestApp, name: &str) -> i32 {
    int(app, format!("SELECT id AS v FROM users WHERE display_name = {}", quoted(name)))
        .await
        .unwrap_or_else(|| panic!("a user named {name}"))
}

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
