//! Organizations: creating, finding and joining them, roles, settings and the audit log.
//!
//! Most tests start from a [`Team`] (`support::people`): two organizations and
//! four people in different roles, each with their own browser (cookie jar).

mod access;
mod admins_only;
mod audit_log;
mod confirmations;
mod creation;
mod escaping;
mod hidden_characters;
mod home;
mod identities;
mod join_flow;
mod join_limits;
mod key_policy;
mod last_admin;
mod pending_requests;
mod rename;
mod roles;
mod search;

use crate::support::TestApp;
pub use crate::support::{
    Browser, Team, attrs, audit_rows, count, first_column, int, join, page_text, pending_request, quoted,
    role, rows, squash, strings, texts,
};

impl Browser {
    /// The organizations listed in the header's switcher, by name.
    pub async fn switcher(&self) -> Vec<String> {
        let html = self.page("/").await;
        texts(&html, "[data-testid=org-switcher] a[data-org-link]")
    }
}

// ---------------------------------------------------------------------------
// The database, read directly (not through the app's own queries).

pub async fn org_name(app: &TestApp, slug: &str) -> Option<String> {
    strings(app, format!("SELECT name AS v FROM organizations WHERE slug = {}", quoted(slug)))
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

/// The one-time message on a page (there must not be more than one).
pub fn flash(html: &str) -> Option<String> {
    let all = texts(html, ".flash");
    assert!(all.len() <= 1, "several flash messages: {all:?}");
    all.into_iter().next()
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
