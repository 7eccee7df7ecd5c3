//! The API keys screens: *Organization settings > API keys* and *User settings >
//! API keys*. Both are the same screen over a different owner (`KeyScope`); the
//! route handlers in `org.rs` and `user.rs` only establish who may act.

pub mod access;
pub mod detail;
pub mod filter;
pub mod lifecycle;
pub mod org;
pub mod oversight;
pub mod pages;
pub mod screen;
pub mod status;
pub mod user;
pub mod valid_until;

use crate::db::api_keys::Owner;
use crate::db::organizations::Organization;
use crate::domain::api_key::{KeyKind, KeyPolicy};
use crate::domain::ids::UserId;

/// Whose keys a screen shows, and where it lives.
pub enum KeyScope {
    Organization { org: Organization, is_admin: bool, role_label: &'static str },
    User { user_id: UserId },
}

impl KeyScope {
    pub fn owner(&self) -> Owner {
        match self {
            KeyScope::Organization { org, .. } => Owner::Organization(org.id),
            KeyScope::User { user_id } => Owner::User(*user_id),
        }
    }

    pub fn kind(&self) -> KeyKind {
        self.owner().kind()
    }

    /// The list's address; the form posts to it, the dialog returns to it.
    pub fn base_url(&self) -> String {
        match self {
            KeyScope::Organization { org, .. } => format!("/o/{}/settings/api-keys", org.slug),
            KeyScope::User { .. } => "/settings/api-keys".to_string(),
        }
    }

    /// The key policy new keys must meet: the organization's; none for a user's own keys.
    pub fn policy(&self) -> KeyPolicy {
        match self {
            KeyScope::Organization { org, .. } => org.key_policy(),
            KeyScope::User { .. } => KeyPolicy::default(),
        }
    }
}
