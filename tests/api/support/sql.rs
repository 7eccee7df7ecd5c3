//! Reading the database directly in tests, not through the app's own queries.

use diesel::RunQueryDsl;

use super::TestApp;

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

/// Runs one statement.
pub async fn execute(app: &TestApp, sql: String) {
    app.db.run(move |conn| diesel::sql_query(sql).execute(conn)).await.expect("statement runs");
}

/// The id of the organization.
pub async fn org_id(app: &TestApp, slug: &str) -> i32 {
    int(app, format!("SELECT id AS v FROM organizations WHERE slug = {}", quoted(slug)))
        .await
        .unwrap_or_else(|| panic!("an organization {slug}"))
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

/// The organization's audit log as stored, oldest first: "action | actor | details".
pub async fn audit_rows_with_names(app: &TestApp, slug: &str) -> Vec<String> {
    strings(
        app,
        format!(
            "SELECT a.action || ' | ' || COALESCE(u.display_name, '-') || ' | ' || a.details AS v \
             FROM audit_events a JOIN organizations o ON o.id = a.organization_id \
             LEFT JOIN users u ON u.id = a.actor_user_id WHERE o.slug = {} ORDER BY a.id",
            quoted(slug)
        ),
    )
    .await
}
