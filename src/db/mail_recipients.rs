//! Who is told about a key by e-mail (SPEC §2 "Lifecycle"): an organization
//! key's creator and every admin of its organization; a user key's user. Only
//! people who have not turned mail off, at a verified address from their
//! platform profile (the most recently signed-in identity that has one).

use diesel::prelude::*;

use super::DbConnection;
use super::api_keys::ApiKey;
use super::schema::{identities, memberships, users};
use crate::domain::ids::UserId;
use crate::domain::organization::Role;

/// A person to write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: UserId,
    pub display_name: String,
    pub address: String,
}

/// The people to tell about `key`, each once, in no particular order.
pub fn for_key(conn: &mut DbConnection, key: &ApiKey) -> QueryResult<Vec<Recipient>> {
    let mut people: Vec<UserId> = Vec::new();
    if let Some(user_id) = key.user_id {
        people.push(user_id);
    }
    if let Some(org_id) = key.organization_id {
        people.extend(key.created_by);
        let admins: Vec<UserId> = memberships::table
            .filter(memberships::organization_id.eq(org_id))
            .filter(memberships::role.eq(Role::Admin.as_str()))
            .select(memberships::user_id)
            .load(conn)?;
        people.extend(admins);
    }
    people.sort();
    people.dedup();
    let mut recipients = Vec::new();
    for user_id in people {
        if let Some(recipient) = for_user(conn, user_id)? {
            recipients.push(recipient);
        }
    }
    Ok(recipients)
}

/// The address mail to `user_id` goes to, or `None` (no verified address, or mail turned off).
pub fn for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Option<Recipient>> {
    let found: Option<(String, bool)> = users::table
        .find(user_id)
        .select((users::display_name, users::mail_opt_out))
        .first(conn)
        .optional()?;
    let Some((display_name, false)) = found else {
        return Ok(None);
    };
    let address: Option<Option<String>> = identities::table
        .filter(identities::user_id.eq(user_id))
        .filter(identities::email_verified.eq(true))
        .filter(identities::email.is_not_null())
        .order(identities::last_sign_in_at.desc())
        .select(identities::email)
        .first(conn)
        .optional()?;
    Ok(address.flatten().map(|address| Recipient { user_id, display_name, address }))
}

/// An address a platform gave, and which platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformAddress {
    pub address: String,
    pub platform: String,
}

/// What the profile page says about a person's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAddress {
    /// Where mail goes (when it is on): the verified address of the most recent sign-in that has one.
    pub verified: Option<PlatformAddress>,
    /// Otherwise, an address a platform gave without saying it was verified (shown, never written to).
    pub unverified: Option<PlatformAddress>,
    pub opted_out: bool,
}

/// The address mail to `user_id` goes to, as [`for_user`] picks it, and why there is none.
pub fn address_of(conn: &mut DbConnection, user_id: UserId) -> QueryResult<MailAddress> {
    let opted_out =
        users::table.find(user_id).select(users::mail_opt_out).first(conn).optional()?.unwrap_or(false);
    let found: Vec<(Option<String>, bool, String)> = identities::table
        .filter(identities::user_id.eq(user_id))
        .filter(identities::email.is_not_null())
        .order(identities::last_sign_in_at.desc())
        .select((identities::email, identities::email_verified, identities::platform))
        .load(conn)?;
    let pick = |verified: bool| {
        found.iter().find(|(address, v, _)| *v == verified && address.is_some()).map(
            |(address, _, platform)| PlatformAddress {
                address: address.clone().unwrap_or_default(),
                platform: platform.clone(),
            },
        )
    };
    Ok(MailAddress { verified: pick(true), unverified: pick(false), opted_out })
}
