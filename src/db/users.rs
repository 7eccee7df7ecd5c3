//! The `users` table: a person, whatever platforms they sign in with.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::access_changes::announce;
use super::schema::users;
use crate::domain::access::AccessChange;
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub display_name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub display_name: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewUser<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<UserId> {
        diesel::insert_into(users::table).values(self).returning(users::id).get_result(conn)
    }
}

impl User {
    pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<User>> {
        users::table.find(id).select(User::as_select()).first(conn).optional()
    }

    pub fn rename(
        conn: &mut DbConnection,
        id: UserId,
        display_name: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let updated = diesel::update(users::table.find(id))
            .set((users::display_name.eq(display_name), users::updated_at.eq(now)))
            .execute(conn)?;
        announce(conn, AccessChange::UserChanged { user_id: id })?;
        Ok(updated)
    }

    /// Whether the person turned mail about their keys off.
    pub fn mail_opt_out(conn: &mut DbConnection, id: UserId) -> QueryResult<bool> {
        users::table.find(id).select(users::mail_opt_out).first(conn).optional().map(|o| o.unwrap_or(true))
    }

    /// Turns mail about their keys off (`true`) or on again.
    pub fn set_mail_opt_out(
        conn: &mut DbConnection,
        id: UserId,
        opt_out: bool,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((users::mail_opt_out.eq(opt_out), users::updated_at.eq(now)))
            .execute(conn)
    }

    pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
        users::table.count().get_result(conn)
    }
}
