//! The `identities` table: how a user signs in. One row per (platform, platform user id).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::DbConnection;
use super::schema::identities;
use super::users::NewUser;
use crate::domain::display_name::DisplayName;
use crate::domain::identity::{IdentityLabel, PlatformProfile};
use crate::domain::ids::{IdentityId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = identities)]
pub struct Identity {
    pub id: IdentityId,
    pub user_id: UserId,
    pub platform: String,
    pub platform_user_id: String,
    pub login: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub linked_at: NaiveDateTime,
    pub last_sign_in_at: NaiveDateTime,
    /// `email` is confirmed by the platform: the only kind mail is sent to.
    pub email_verified: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = identities)]
struct NewIdentity<'a> {
    user_id: UserId,
    platform: &'a str,
    platform_user_id: &'a str,
    login: &'a str,
    display_name: Option<&'a str>,
    email: Option<&'a str>,
    avatar_url: Option<&'a str>,
    linked_at: NaiveDateTime,
    last_sign_in_at: NaiveDateTime,
    email_verified: bool,
}

impl Identity {
    pub fn find(
        conn: &mut DbConnection,
        platform: &str,
        platform_user_id: &str,
    ) -> QueryResult<Option<Identity>> {
        identities::table
            .filter(identities::platform.eq(platform))
            .filter(identities::platform_user_id.eq(platform_user_id))
            .select(Identity::as_select())
            .first(conn)
            .optional()
    }

    /// The identities of these users as labels ("github: mallory"), each user's
    /// oldest link first: what admins see next to a display name.
    pub fn labels_for(
        conn: &mut DbConnection,
        user_ids: &[UserId],
    ) -> QueryResult<HashMap<UserId, Vec<IdentityLabel>>> {
        let rows: Vec<(UserId, String, String, String)> = identities::table
            .filter(identities::user_id.eq_any(user_ids))
            .order((identities::user_id.asc(), identities::linked_at.asc(), identities::id.asc()))
            .select((
                identities::user_id,
                identities::platform,
                identities::login,
                identities::platform_user_id,
            ))
            .load(conn)?;
        let mut labels: HashMap<UserId, Vec<IdentityLabel>> = HashMap::new();
        for (user_id, platform, login, platform_user_id) in rows {
            labels.entry(user_id).or_default().push(IdentityLabel::new(&platform, &login, &platform_user_id));
        }
        Ok(labels)
    }

    pub fn for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<Identity>> {
        identities::table
            .filter(identities::user_id.eq(user_id))
            .order(identities::linked_at.asc())
            .select(Identity::as_select())
            .load(conn)
    }

    /// Signs a platform user in: the user behind an existing identity (its profile
    /// fields refreshed), or a new user with this identity. Matching is by the
    /// platform's immutable id only. Returns the user id.
    pub fn sign_in(
        conn: &mut DbConnection,
        profile: &PlatformProfile,
        now: NaiveDateTime,
    ) -> QueryResult<UserId> {
        // Two first sign-ins of the same person may race; the loser of the unique
        // index finds the winner's row on its second try.
        match Self::sign_in_once(conn, profile, now) {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Self::sign_in_once(conn, profile, now)
            }
            other => other,
        }
    }

    fn sign_in_once(
        conn: &mut DbConnection,
        profile: &PlatformProfile,
        now: NaiveDateTime,
    ) -> QueryResult<UserId> {
        conn.write_transaction(|conn| {
            if let Some(existing) = Self::find(conn, &profile.platform, &profile.platform_user_id)? {
                refresh_profile(conn, existing.id, profile, Some(now))?;
                return Ok(existing.user_id);
            }
            let display_name = DisplayName::from_platform(profile.display_name.as_deref(), &profile.login);
            let user_id = NewUser { display_name: display_name.as_str(), created_at: now, updated_at: now }
                .insert(conn)?;
            insert_identity(conn, user_id, profile, now)?;
            Ok(user_id)
        })
    }
}

/// What happened when a signed-in user tried to link a platform identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOutcome {
    Linked,
    /// This identity is already this user's: its profile fields were refreshed.
    AlreadyYours,
    /// This identity belongs to another user: nothing changed. Accounts are never merged.
    BelongsToAnotherUser,
    /// The user already has another account on this platform.
    PlatformTaken,
}

/// What happened when a user asked to unlink an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlinkOutcome {
    Unlinked,
    /// It is the user's only way to sign in.
    LastOne,
    /// No such identity among this user's.
    NotFound,
}

impl Identity {
    pub fn link(
        conn: &mut DbConnection,
        user_id: UserId,
        profile: &PlatformProfile,
        now: NaiveDateTime,
    ) -> QueryResult<LinkOutcome> {
        conn.write_transaction(|conn| {
            lock_user(conn, user_id)?;
            if let Some(existing) = Self::find(conn, &profile.platform, &profile.platform_user_id)? {
                if existing.user_id != user_id {
                    return Ok(LinkOutcome::BelongsToAnotherUser);
                }
                refresh_profile(conn, existing.id, profile, None)?;
                return Ok(LinkOutcome::AlreadyYours);
            }
            let same_platform: i64 = identities::table
                .filter(identities::user_id.eq(user_id))
                .filter(identities::platform.eq(&profile.platform))
                .count()
                .get_result(conn)?;
            if same_platform > 0 {
                return Ok(LinkOutcome::PlatformTaken);
            }
            insert_identity(conn, user_id, profile, now)?;
            Ok(LinkOutcome::Linked)
        })
    }

    /// Removes one of the user's identities, never the last one. The lookup is
    /// scoped to the user, so another user's identity id finds nothing.
    pub fn unlink(
        conn: &mut DbConnection,
        user_id: UserId,
        identity_id: IdentityId,
    ) -> QueryResult<UnlinkOutcome> {
        conn.write_transaction(|conn| {
            lock_user(conn, user_id)?;
            let mine = Self::for_user(conn, user_id)?;
            if !mine.iter().any(|i| i.id == identity_id) {
                return Ok(UnlinkOutcome::NotFound);
            }
            if mine.len() <= 1 {
                return Ok(UnlinkOutcome::LastOne);
            }
            diesel::delete(
                identities::table
                    .filter(identities::id.eq(identity_id))
                    .filter(identities::user_id.eq(user_id)),
            )
            .execute(conn)?;
            Ok(UnlinkOutcome::Unlinked)
        })
    }
}

/// Serializes changes to one user's identities: a no-op write takes the user's
/// row lock on PostgreSQL and the write lock on SQLite, so two concurrent unlinks
/// cannot both see two identities and leave none.
fn lock_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<()> {
    use super::schema::users;
    diesel::update(users::table.find(user_id)).set(users::updated_at.eq(users::updated_at)).execute(conn)?;
    Ok(())
}

fn insert_identity(
    conn: &mut DbConnection,
    user_id: UserId,
    profile: &PlatformProfile,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let profile = &profile.without_hidden_characters();
    diesel::insert_into(identities::table)
        .values(NewIdentity {
            user_id,
            platform: &profile.platform,
            platform_user_id: &profile.platform_user_id,
            login: &profile.login,
            display_name: profile.display_name.as_deref(),
            email: profile.email.as_deref(),
            avatar_url: profile.avatar_url.as_deref(),
            linked_at: now,
            last_sign_in_at: now,
            email_verified: profile.email_verified,
        })
        .execute(conn)?;
    Ok(())
}

/// Copies the platform's current profile fields onto the identity (and, for a
/// sign-in, when it happened). The immutable id is never changed. Like a new
/// identity's, the login and name are stored without hidden characters.
fn refresh_profile(
    conn: &mut DbConnection,
    identity_id: IdentityId,
    profile: &PlatformProfile,
    signed_in_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let profile = &profile.without_hidden_characters();
    diesel::update(identities::table.find(identity_id))
        .set((
            identities::login.eq(&profile.login),
            identities::display_name.eq(profile.display_name.as_deref()),
            identities::email.eq(profile.email.as_deref()),
            identities::email_verified.eq(profile.email_verified),
            identities::avatar_url.eq(profile.avatar_url.as_deref()),
        ))
        .execute(conn)?;
    if let Some(at) = signed_in_at {
        diesel::update(identities::table.find(identity_id))
            .set(identities::last_sign_in_at.eq(at))
            .execute(conn)?;
    }
    Ok(())
}
