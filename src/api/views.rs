//! From the domain and storage to the API's JSON types.

use chrono::{DateTime, Utc};

use super::model::{ApiKeyInfo, CreatorKey, KeyIdentity, OrgAccess, UserInfo};
use crate::db::api_keys::KeyListItem;
use crate::domain::access::{Caller, KeyHolder, KeyReach, Reach, UserRef};
use crate::domain::api_key::{AllowedNetworks, KeyKind, KeyStatus, Level, Resource, ValidUntil};

pub fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Organization => "organization",
        KeyKind::User => "user",
    }
}

pub fn org_access(reach: &Reach<'_>) -> OrgAccess {
    OrgAccess {
        slug: reach.org.slug.clone(),
        name: reach.org.name.clone(),
        role: reach.role.map(|role| role.as_str().to_string()),
        can_manage_keys: reach.scope.allows(Resource::Keys, Level::Write),
        scope: reach.scope.to_string(),
    }
}

pub fn user_info(user: &UserRef) -> UserInfo {
    UserInfo { id: user.id.get(), display_name: user.display_name.clone() }
}

/// The calling key; a restricted user key's organizations named by the slugs
/// of its user's memberships (leaving one takes it out of the reach).
pub fn key_identity(caller: &Caller) -> KeyIdentity {
    let key = &caller.key;
    let orgs = match (&key.reach, &caller.holder) {
        (KeyReach::Only(ids), KeyHolder::User { memberships, .. }) => {
            let mut slugs: Vec<String> =
                memberships.iter().filter(|m| ids.contains(&m.org.id)).map(|m| m.org.slug.clone()).collect();
            slugs.sort();
            Some(slugs)
        }
        _ => None,
    };
    KeyIdentity {
        id: key.public_id.as_str().to_string(),
        kind: kind_name(key.kind).to_string(),
        hint: key.hint(),
        description: key.description.clone(),
        valid_until: key.valid_until.map(ValidUntil::date),
        created_at: key.created_at,
        scope: key.scope.to_string(),
        orgs,
        allowed_networks: key.allowed_networks.as_ref().map(AllowedNetworks::to_strings),
    }
}

/// A key as lists show it; `orgs`: a restricted user key's organizations (slugs).
pub fn key_info(
    kind: KeyKind,
    item: KeyListItem,
    orgs: Option<Vec<String>>,
    now: DateTime<Utc>,
) -> ApiKeyInfo {
    let key = item.key;
    let valid_until = key.valid_until.map(ValidUntil::from_date);
    let revocation = key.revocation();
    // A stored list that cannot be read refuses the key (see `ApiKey::allowed_networks`);
    // here it is shown as stored rather than failing the whole list.
    let allowed_networks = match key.allowed_networks() {
        Ok(networks) => networks.map(|networks| AllowedNetworks::to_strings(&networks)),
        Err(_) => {
            key.stored_networks.as_deref().map(|raw| raw.split_whitespace().map(str::to_string).collect())
        }
    };
    ApiKeyInfo {
        hint: key.public_id.hint(kind),
        id: key.public_id.to_string(),
        kind: kind_name(kind).to_string(),
        description: key.description,
        valid_until: key.valid_until,
        status: KeyStatus::of(valid_until, revocation, now).code().to_string(),
        revoked_at: key.revoked_at.map(|t| t.and_utc()),
        revoked_reason: revocation.map(|revocation| revocation.reason.code().to_string()),
        rolled_from: key.rolled_from,
        rolled_to: key.rolled_to,
        created_at: key.created_at.and_utc(),
        created_by: key
            .created_by
            .zip(item.created_by_name)
            .map(|(id, display_name)| UserInfo { id: id.get(), display_name }),
        created_by_key: key
            .created_by_key_hint
            .map(|hint| CreatorKey { hint, description: key.created_by_key_description.unwrap_or_default() }),
        last_used_at: key.last_used_at.map(|t| t.and_utc()),
        scope: key.scope.to_string(),
        orgs,
        allowed_networks,
    }
}
