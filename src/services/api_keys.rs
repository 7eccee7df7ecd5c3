//! Creating and deleting API keys, for the keys screen and the API alike.

use std::sync::Arc;

use super::ServiceError;
use crate::auth::argon2_pool::Argon2Pool;
use crate::clock::Clock;
use crate::db::api_keys::{self, ApiKey, NewKey, Owner};
pub use crate::db::audit_events::ViaKey;
use crate::db::organizations::Organization;
use crate::db::{Db, DbError};
use crate::domain::api_key::{
    Description, DescriptionError, ParsedToken, PublicId, Scope, ValidUntil, ValidUntilError, generate,
};
use crate::domain::ids::UserId;

/// What creating and deleting keys use: storage, the clock, and the argon2
/// slots the secrets are hashed in (the same ones that verify keys).
pub struct ApiKeys {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub argon2: Arc<Argon2Pool>,
}

/// Who is acting: a person (in the UI or with their user key) and, through
/// the API, the key they used.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: Option<UserId>,
    pub via_key: Option<ViaKey<'a>>,
}

pub struct NewKeyInput<'a> {
    pub description: &'a str,
    /// `YYYY-MM-DD`, or empty for "never expires".
    pub valid_until: &'a str,
}

/// What was wrong with the input, per field.
#[derive(Debug, Default)]
pub struct NewKeyErrors {
    pub description: Option<DescriptionError>,
    pub valid_until: Option<ValidUntilError>,
}

pub struct KeyWithToken {
    pub token: ParsedToken,
    pub hint: String,
    pub key: ApiKey,
}

impl ApiKeys {
    /// Checks the input against the rules and the owner's policy (an
    /// organization's longest key lifetime, looked up here so that no caller can
    /// skip it), then stores the key's argon2 hash. The token exists only in the result.
    pub async fn create(
        &self,
        owner: Owner,
        actor: Actor<'_>,
        input: NewKeyInput<'_>,
    ) -> Result<Result<KeyWithToken, NewKeyErrors>, ServiceError> {
        let max_days = self.longest_lifetime_days(owner).await?;
        let today = self.clock.now().date_naive();
        let (description, valid_until) = match (
            Description::parse(input.description),
            ValidUntil::parse_form(input.valid_until, today, max_days),
        ) {
            (Ok(d), Ok(v)) => (d, v),
            (d, v) => return Ok(Err(NewKeyErrors { description: d.err(), valid_until: v.err() })),
        };
        let token = generate(owner.kind());
        let hint = token.public_id.hint(owner.kind());
        let secret_hash = self.argon2.hash(token.secret.expose().to_string()).await?;
        let now = self.clock.now_naive();
        let public_id = token.public_id.clone();
        let hint_for_db = hint.clone();
        let via_key = actor.via_key.map(|key| (key.hint.to_string(), key.description.to_string()));
        let created_by = actor.user_id;
        let description_text = description.as_str().to_string();
        let key = self
            .db
            .run(move |conn| {
                let new = NewKey {
                    public_id: &public_id,
                    owner,
                    // Until keys are made with chosen permissions (#14), a new key
                    // may do what keys always could.
                    scope: Scope::full_access(),
                    secret_hash: &secret_hash,
                    description: &description_text,
                    valid_until: valid_until.map(ValidUntil::date),
                    created_by,
                    via_key: via_key.as_ref().map(|(hint, description)| ViaKey { hint, description }),
                    now,
                };
                api_keys::insert(conn, &new, &hint_for_db)?;
                api_keys::find_for_owner(conn, owner, &public_id)
            })
            .await?
            .ok_or_else(|| anyhow::anyhow!("a key just stored was not found"))?;
        tracing::info!(key = token.public_id.as_str(), kind = ?owner.kind(), user_id = ?actor.user_id, "API key created");
        Ok(Ok(KeyWithToken { token, hint, key }))
    }

    /// Deletes the owner's key `public_id`; `None` when the owner has no such key.
    /// The key stops working at once, on every instance.
    pub async fn delete(
        &self,
        owner: Owner,
        public_id: &PublicId,
        actor: Actor<'_>,
    ) -> Result<Option<(ApiKey, String)>, ServiceError> {
        let hint = public_id.hint(owner.kind());
        let now = self.clock.now_naive();
        let (lookup, hint_for_db) = (public_id.clone(), hint.clone());
        let via_key = actor.via_key.map(|key| (key.hint.to_string(), key.description.to_string()));
        let user_id = actor.user_id;
        let deleted = self
            .db
            .run(move |conn| {
                let via_key = via_key.as_ref().map(|(hint, description)| ViaKey { hint, description });
                api_keys::delete_for_owner(conn, owner, &lookup, user_id, via_key, &hint_for_db, now)
            })
            .await?;
        if deleted.is_some() {
            tracing::info!(key = public_id.as_str(), user_id = ?actor.user_id, "API key deleted");
        }
        Ok(deleted.map(|key| (key, hint)))
    }

    /// The owner's key policy in days: an organization's, when it set one.
    async fn longest_lifetime_days(&self, owner: Owner) -> Result<Option<u32>, DbError> {
        let Owner::Organization(org_id) = owner else { return Ok(None) };
        let org = self.db.run(move |conn| Organization::find_by_id(conn, org_id)).await?;
        Ok(org.and_then(|org| org.key_policy_days()))
    }
}
