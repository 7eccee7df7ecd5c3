//! Reading the database directly in tests, not through the app's own queries.

use diesel::RunQueryDsl;

use crate::helpers::TestApp;

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
