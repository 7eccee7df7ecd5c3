//! From the domain and storage to the API's JSON types.

use chrono::{DateTime, Utc};

use super::model::{ApiKeyInfo, CreatorKey, KeyIdentity, OrgAccess, UserInfo};
use crate::db::api_keys::KeyListItem;
use crate::domain::access::{KeyFacts, Reach, UserRef};
use crate::domain::api_key::{KeyKind, KeyStatus, ValidUntil};

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
        can_manage_keys: reach.can_manage_keys(),
    }
}

pub fn user_info(user: &UserRef) -> UserInfo {
    UserInfo { id: user.id.get(), display_name: user.display_name.clone() }
}

pub fn key_identity(key: &KeyFacts) -> KeyIdentity {
    KeyIdentity {
        id: key.public_id.as_str().to_string(),
        kind: kind_name(key.kind).to_string(),
        hint: key.hint(),
        description: key.description.clone(),
        valid_until: key.valid_until.map(ValidUntil::date),
        created_at: key.created_at,
    }
}

pub fn key_info(kind: KeyKind, item: KeyListItem, now: DateTime<Utc>) -> ApiKeyInfo {
    let key = item.key;
    let valid_until = key.valid_until.map(ValidUntil::from_date);
    ApiKeyInfo {
        hint: key.public_id.hint(kind),
        id: key.public_id.to_string(),
        kind: kind_name(kind).to_string(),
        description: key.description,
        valid_until: key.valid_until,
        status: KeyStatus::at(valid_until, now).code().to_string(),
        created_at: key.created_at.and_utc(),
        created_by: key
            .created_by
            .zip(item.created_by_name)
            .map(|(id, display_name)| UserInfo { id: id.get(), display_name }),
        created_by_key: key
            .created_by_key_hint
            .map(|hint| CreatorKey { hint, description: key.created_by_key_description.unwrap_or_default() }),
        last_used_at: key.last_used_at.map(|t| t.and_utc()),
    }
}
