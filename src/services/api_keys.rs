//! Creating and revoking API keys, for the keys screen and the API alike.

use std::sync::Arc;

use super::ServiceError;
use crate::auth::argon2_pool::Argon2Pool;
use crate::clock::Clock;
use crate::db::api_keys::{self, ApiKey, NewKey, Owner, Revoke, Revoked};
pub use crate::db::audit_events::ViaKey;
use crate::db::organizations::Organization;
use crate::db::{Db, DbError};
use crate::domain::access::{KeyReach, OrgRef};
use crate::domain::api_key::{
    AllowedNetworks, Description, DescriptionError, KeyPolicy, NetworksError, ParsedToken, PublicId,
    RevokeReason, Scope, ScopeError, ValidUntil, ValidUntilError, generate,
};
use crate::domain::ids::UserId;

/// What creating and revoking keys use: storage, the clock, and the argon2
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
    /// The permissions as a scope string (`repos:read builds:write`).
    pub scope: &'a str,
    /// For a user key: which of the user's organizations it reaches.
    pub reach: ReachChoice,
    /// Networks (CIDR) separated by spaces, commas or new lines; empty: anywhere.
    pub allowed_networks: &'a str,
}

/// The organizations a new user key reaches, as chosen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReachChoice {
    /// Every organization of the user, now and later (the default).
    #[default]
    AllOrgs,
    /// Only these, by slug: each must be one of the user's organizations now.
    Only(Vec<String>),
}

/// Why a reach cannot be the one chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReachError {
    #[error("Choose at least one organization, or all of them.")]
    Empty,
    #[error("You are not a member of “{0}”: choose among your organizations.")]
    NotYours(String),
    #[error("An organization key reaches its own organization only.")]
    NotForOrganizationKeys,
}

/// What was wrong with the input, per field.
#[derive(Debug, Default)]
pub struct NewKeyErrors {
    pub description: Option<DescriptionError>,
    pub valid_until: Option<ValidUntilError>,
    pub scope: Option<ScopeError>,
    pub reach: Option<ReachError>,
    pub allowed_networks: Option<NetworksError>,
}

impl NewKeyErrors {
    fn any(&self) -> bool {
        self.description.is_some()
            || self.valid_until.is_some()
            || self.scope.is_some()
            || self.reach.is_some()
            || self.allowed_networks.is_some()
    }
}

pub struct KeyWithToken {
    pub token: ParsedToken,
    pub hint: String,
    pub key: ApiKey,
}

impl ApiKeys {
    /// Checks the input against the rules and the owner's policy (an
    /// organization's key policy, looked up here so that no caller can skip
    /// it; a user key's chosen organizations must be the user's), then stores
    /// the key's argon2 hash. The token exists only in the result.
    pub async fn create(
        &self,
        owner: Owner,
        actor: Actor<'_>,
        input: NewKeyInput<'_>,
    ) -> Result<Result<KeyWithToken, NewKeyErrors>, ServiceError> {
        let (policy, own_orgs) = self.owner_context(owner).await?;
        let today = self.clock.now().date_naive();
        let description = Description::parse(input.description);
        let valid_until = policy.parse_valid_until(input.valid_until, today);
        let scope = Scope::parse_granting(input.scope);
        let reach = resolve_reach(owner, input.reach, &own_orgs);
        let networks = AllowedNetworks::parse(input.allowed_networks);
        let (Ok(description), Ok(valid_until), Ok(scope), Ok(reach), Ok(networks)) =
            (&description, &valid_until, &scope, &reach, &networks)
        else {
            let errors = NewKeyErrors {
                description: description.err(),
                valid_until: valid_until.err(),
                scope: scope.err(),
                reach: reach.err(),
                allowed_networks: networks.err(),
            };
            debug_assert!(errors.any());
            return Ok(Err(errors));
        };
        let (valid_until, scope, reach, networks) = (*valid_until, *scope, reach.clone(), networks.clone());
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
                    scope,
                    reach: &reach,
                    allowed_networks: networks.as_ref(),
                    secret_hash: &secret_hash,
                    description: &description_text,
                    valid_until: valid_until.map(ValidUntil::date),
                    created_by,
                    via_key: via_key.as_ref().map(|(hint, description)| ViaKey { hint, description }),
                    rolled_from: None,
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

    /// Revokes the owner's key `public_id` for a person (in the UI, or
    /// through the API or the CLI): it stops working at once, on every
    /// instance, and stays in the list as revoked. `None` when the owner has no
    /// such key; [`Revoked::Already`] when it was revoked before.
    pub async fn revoke(
        &self,
        owner: Owner,
        public_id: &PublicId,
        actor: Actor<'_>,
    ) -> Result<Option<(Revoked, String)>, ServiceError> {
        let hint = public_id.hint(owner.kind());
        let now = self.clock.now_naive();
        let lookup = public_id.clone();
        let via_key = actor.via_key.map(|key| (key.hint.to_string(), key.description.to_string()));
        let by = actor.user_id;
        let revoked = self
            .db
            .run(move |conn| {
                let how = Revoke {
                    reason: RevokeReason::Revoked,
                    at: now,
                    by,
                    via_key: via_key.as_ref().map(|(hint, description)| ViaKey { hint, description }),
                    note: None,
                    now,
                };
                api_keys::revoke_for_owner(conn, owner, &lookup, &how)
            })
            .await?;
        if let Some(Revoked::Now(_)) = revoked {
            tracing::info!(key = public_id.as_str(), user_id = ?actor.user_id, "API key revoked");
        }
        Ok(revoked.map(|revoked| (revoked, hint)))
    }

    /// The owner's key policy (an organization's; none for a user) and, for a
    /// user, the organizations they belong to now.
    pub(super) async fn owner_context(&self, owner: Owner) -> Result<(KeyPolicy, Vec<OrgRef>), DbError> {
        match owner {
            Owner::Organization(org_id) => {
                let org = self.db.run(move |conn| Organization::find_by_id(conn, org_id)).await?;
                Ok((org.map(|org| org.key_policy()).unwrap_or_default(), Vec::new()))
            }
            Owner::User(user_id) => {
                let orgs = self.db.run(move |conn| Organization::for_user(conn, user_id)).await?;
                Ok((KeyPolicy::default(), orgs.iter().map(|(org, _)| org.org_ref()).collect()))
            }
        }
    }
}

/// The chosen reach as stored: slugs become the user's organizations' ids.
fn resolve_reach(owner: Owner, choice: ReachChoice, own_orgs: &[OrgRef]) -> Result<KeyReach, ReachError> {
    match (owner, choice) {
        (_, ReachChoice::AllOrgs) => Ok(KeyReach::AllOrgs),
        (Owner::Organization(_), ReachChoice::Only(_)) => Err(ReachError::NotForOrganizationKeys),
        (Owner::User(_), ReachChoice::Only(slugs)) if slugs.is_empty() => Err(ReachError::Empty),
        (Owner::User(_), ReachChoice::Only(slugs)) => {
            let mut ids = Vec::new();
            for slug in slugs {
                let org = own_orgs.iter().find(|org| org.slug == slug).ok_or(ReachError::NotYours(slug))?;
                if !ids.contains(&org.id) {
                    ids.push(org.id);
                }
            }
            Ok(KeyReach::Only(ids))
        }
    }
}
