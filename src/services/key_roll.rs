//! Rolling a key (SPEC §2 "Lifecycle"): a successor with the same
//! description, permissions, reach and networks and a new secret, while the
//! old key works on for the overlap chosen, then stops.

use super::ServiceError;
use super::api_keys::{Actor, ApiKeys, KeyWithToken, ViaKey};
use crate::db::api_keys::{self, ApiKey, Owner, Roll, RollOutcome};
use crate::domain::api_key::validity::successor_valid_until;
use crate::domain::api_key::{Overlap, PublicId, generate};

/// Why a key cannot be rolled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollRefusal {
    #[error("No such key.")]
    NotFound,
    #[error("The API key {hint} was already rolled to {to}: roll that one instead.")]
    AlreadyRolled { hint: String, to: String },
    #[error("The API key {hint} no longer works (revoked or expired): create a new key instead.")]
    NotActive { hint: String },
}

impl ApiKeys {
    /// Rolls the owner's key `public_id`: its successor is stored (its secret
    /// hashed in the argon2 slots before the write transaction starts) and the
    /// old key is revoked from the end of `overlap`. The successor's token
    /// exists only in the result.
    pub async fn roll(
        &self,
        owner: Owner,
        public_id: &PublicId,
        overlap: Overlap,
        actor: Actor<'_>,
    ) -> Result<Result<KeyWithToken, RollRefusal>, ServiceError> {
        let (policy, _) = self.owner_context(owner).await?;
        let token = generate(owner.kind());
        let hint = token.public_id.hint(owner.kind());
        let secret_hash = self.argon2.hash(token.secret.expose().to_string()).await?;
        let now = self.clock.now_naive();
        let today = now.date();
        let (lookup, successor, successor_hint) = (public_id.clone(), token.public_id.clone(), hint.clone());
        let via_key = actor.via_key.map(|key| (key.hint.to_string(), key.description.to_string()));
        let by = actor.user_id;
        let outcome = self
            .db
            .run(move |conn| {
                let valid_until = |old: &ApiKey| {
                    successor_valid_until(
                        old.created_at.date(),
                        old.valid_until,
                        today,
                        policy.max_lifetime_days,
                        policy.needs_expiry(),
                    )
                };
                let how = Roll {
                    successor: &successor,
                    successor_hint: &successor_hint,
                    secret_hash: &secret_hash,
                    valid_until: &valid_until,
                    overlap: overlap.duration(),
                    by,
                    via_key: via_key.as_ref().map(|(hint, description)| ViaKey { hint, description }),
                    now,
                };
                api_keys::roll(conn, owner, &lookup, &how)
            })
            .await?;
        let old_hint = public_id.hint(owner.kind());
        match outcome {
            None => Ok(Err(RollRefusal::NotFound)),
            Some(RollOutcome::AlreadyRolled(old)) => Ok(Err(RollRefusal::AlreadyRolled {
                hint: old_hint,
                to: old
                    .rolled_to
                    .as_deref()
                    .and_then(PublicId::parse)
                    .map(|to| to.hint(owner.kind()))
                    .unwrap_or_default(),
            })),
            Some(RollOutcome::NotActive(_)) => Ok(Err(RollRefusal::NotActive { hint: old_hint })),
            Some(RollOutcome::Rolled(successor)) => {
                tracing::info!(
                    key = public_id.as_str(),
                    successor = token.public_id.as_str(),
                    overlap = overlap.code(),
                    user_id = ?actor.user_id,
                    "API key rolled"
                );
                Ok(Ok(KeyWithToken { token, hint, key: successor }))
            }
        }
    }
}
