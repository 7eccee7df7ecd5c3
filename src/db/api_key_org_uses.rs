//! The `api_key_org_uses` table: when a user key last acted in each
//! organization, for the admins' list of members' user keys. Written like
//! `api_keys.last_used_at`: at most once a minute per key and organization per
//! instance, in the background (`KeyAuthenticator::record_org_use`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::DbConnection;
use super::schema::api_key_org_uses;
use crate::domain::ids::{KeyId, OrgId};

/// Records that the key acted in the organization at `at`.
pub fn record(conn: &mut DbConnection, key_id: KeyId, org_id: OrgId, at: NaiveDateTime) -> QueryResult<()> {
    let row = (
        api_key_org_uses::key_id.eq(key_id),
        api_key_org_uses::organization_id.eq(org_id),
        api_key_org_uses::last_used_at.eq(at),
    );
    // The same statement on both databases, but diesel builds upserts per
    // backend, not for the combined connection.
    macro_rules! upsert {
        ($conn:expr) => {
            diesel::insert_into(api_key_org_uses::table)
                .values(row)
                .on_conflict((api_key_org_uses::key_id, api_key_org_uses::organization_id))
                .do_update()
                .set(api_key_org_uses::last_used_at.eq(excluded(api_key_org_uses::last_used_at)))
                .execute($conn)
        };
    }
    match conn {
        DbConnection::Sqlite(conn) => upsert!(conn),
        DbConnection::Postgres(conn) => upsert!(conn),
    }
    .map(drop)
}
