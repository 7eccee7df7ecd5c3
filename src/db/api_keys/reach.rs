//! The organizations restricted user keys reach, by name, for the keys screen.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{api_key_orgs, organizations};
use crate::domain::ids::KeyId;

/// For each of `key_ids`, the names of the organizations in its chosen reach
/// (those its user still belongs to), by name: `(key id, organization name)`.
/// One query for a whole page of keys.
pub fn org_names_of(conn: &mut DbConnection, key_ids: &[KeyId]) -> QueryResult<Vec<(KeyId, String)>> {
    if key_ids.is_empty() {
        return Ok(Vec::new());
    }
    api_key_orgs::table
        .inner_join(organizations::table)
        .filter(api_key_orgs::key_id.eq_any(key_ids))
        .order((api_key_orgs::key_id.asc(), organizations::name.asc()))
        .select((api_key_orgs::key_id, organizations::name))
        .load(conn)
}
