//! The JSON the API sends and receives. The `monkeyci` client reads the same
//! types, so the two cannot drift apart; the OpenAPI document is derived from them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: `missing_key`, `malformed_key`, `invalid_key`, `expired_key`,
    /// `key_in_query`, `rate_limited`, `forbidden`, `insufficient_scope` (the key lacks a
    /// permission its holder has; the message names it), `ip_not_allowed` (the key is used
    /// outside its allowed networks), `revoked_key` (revoked, or rolled and past its
    /// overlap), `not_found`, `already_rolled` and `key_not_active` (409: a roll the
    /// key's state refuses), `validation_failed`, …
    #[schema(example = "invalid_key")]
    pub code: String,
    /// For people.
    pub message: String,
    /// With `validation_failed`: field name → what is wrong with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub id: i32,
    pub display_name: String,
}

/// An organization as the caller reaches it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrgAccess {
    #[schema(example = "acme")]
    pub slug: String,
    pub name: String,
    /// The user's role (`admin` or `member`); `null` for an organization key,
    /// which acts for the organization itself.
    #[schema(example = "admin")]
    pub role: Option<String>,
    /// Whether this key may list, create, roll and revoke the organization's keys
    /// (its effective scope here has `keys:write`).
    pub can_manage_keys: bool,
    /// What the key may do here: its permissions within its holder's rights
    /// (an organization key acts as an admin; a member never manages keys).
    #[schema(example = "org:read members:read repos:read builds:write params:read")]
    pub scope: String,
}

/// The key making the request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyIdentity {
    /// The public key id (16 characters): safe to show and log.
    pub id: String,
    /// `organization` or `user`.
    pub kind: String,
    #[schema(example = "mci_org_3fKx…")]
    pub hint: String,
    pub description: String,
    /// The key is refused from this date (00:00 UTC) on; `null`: never expires.
    pub valid_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    /// Its permissions, as a scope string (see `NewKeyRequest.scope`).
    #[schema(example = "repos:read builds:write params:read")]
    pub scope: String,
    /// See `ApiKeyInfo.orgs`.
    pub orgs: Option<Vec<String>>,
    /// See `ApiKeyInfo.allowed_networks`.
    pub allowed_networks: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Whoami {
    pub key: KeyIdentity,
    /// The owner of a user key; `null` for an organization key.
    pub user: Option<UserInfo>,
    /// The owner of an organization key; `null` for a user key.
    pub organization: Option<OrgAccess>,
    /// Every organization the key reaches, as of this request.
    pub organizations: Vec<OrgAccess>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrgList {
    pub organizations: Vec<OrgAccess>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrgDetails {
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// See `OrgAccess.role`.
    pub role: Option<String>,
    pub can_manage_keys: bool,
    /// See `OrgAccess.scope`.
    pub scope: String,
    /// Policy: the longest lifetime of keys, in days from their creation; `null`: no limit.
    pub max_key_lifetime_days: Option<i32>,
    /// Policy: every key needs an expiry date.
    #[serde(default)]
    pub keys_require_expiry: bool,
    /// Policy: which members' user keys may reach the organization: `all`,
    /// `restricted` (only keys restricted to named organizations) or `none`.
    #[serde(default = "all_user_keys")]
    #[schema(example = "all")]
    pub user_keys_allowed: String,
}

fn all_user_keys() -> String {
    "all".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberInfo {
    pub user: UserInfo,
    /// `admin` or `member`.
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberList {
    pub members: Vec<MemberInfo>,
}

/// The key another key was created with.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatorKey {
    #[schema(example = "mci_org_3fKx…")]
    pub hint: String,
    pub description: String,
}

/// An API key as lists show it: never the token, never the hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyInfo {
    /// The public key id, used in URLs.
    #[schema(example = "3fKxQ9a0LmP2sT7v")]
    pub id: String,
    /// `organization` or `user`.
    pub kind: String,
    #[schema(example = "mci_org_3fKx…")]
    pub hint: String,
    pub description: String,
    /// Refused from this date (00:00 UTC) on; `null`: never expires.
    pub valid_until: Option<NaiveDate>,
    /// `active`, `expires_soon` (under 7 days left), `rolled` (rolled to
    /// `rolled_to`, working until `revoked_at`), `revoked` or `expired`.
    #[schema(example = "active")]
    pub status: String,
    /// The first instant it is refused once revoked: the revocation's time, or
    /// the end of a roll's overlap. `null`: not revoked.
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why: `revoked` (by a person), `rolled`, `leaked` (self-revoked as
    /// leaked), `secret_scanning` (reported by GitHub secret scanning).
    #[serde(default)]
    #[schema(example = json!(null))]
    pub revoked_reason: Option<String>,
    /// The public id of the key this one was rolled from.
    #[serde(default)]
    pub rolled_from: Option<String>,
    /// The public id of the key this one was rolled to.
    #[serde(default)]
    pub rolled_to: Option<String>,
    pub created_at: DateTime<Utc>,
    /// `null` when the creator's account is gone or an organization key created it.
    pub created_by: Option<UserInfo>,
    /// The API key it was created with, when it was created through the API
    /// (named even after that key is deleted); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_key: Option<CreatorKey>,
    /// May lag up to a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Its permissions, as a scope string (keys made before permissions existed
    /// have full access: write on everything).
    #[schema(example = "repos:read builds:write params:read")]
    pub scope: String,
    /// A user key restricted to some of its user's organizations: their slugs.
    /// `null`: every organization of its user (and always for an organization
    /// key, which reaches its own organization).
    #[schema(example = json!(["acme"]))]
    pub orgs: Option<Vec<String>>,
    /// The networks it may be used from (CIDR); `null`: anywhere.
    #[schema(example = json!(["203.0.113.0/24"]))]
    pub allowed_networks: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<ApiKeyInfo>,
    pub per_page: u32,
    /// The number of keys, counted up to 1,000 (`total_is_capped`: there are more).
    pub total: i64,
    pub total_is_capped: bool,
    /// The next page's `cursor` (opaque: pass it back as it is), or `null` on the last page.
    #[schema(example = "MXxhfGN8fDQy")]
    pub next_cursor: Option<String>,
}

/// What a new key needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct NewKeyRequest {
    /// 1 to 200 characters after trimming.
    #[schema(example = "Deploys from CI")]
    pub description: String,
    /// `YYYY-MM-DD`, after today (UTC): the key is refused from that date on.
    /// `null` or absent: never expires (unless the organization's policy requires a date).
    #[serde(default)]
    #[schema(example = "2027-03-01")]
    pub valid_until: Option<String>,
    /// Its permissions, as a scope string: `resource:level` words separated by
    /// spaces, levels `read` or `write` (write includes read), resources `org`,
    /// `members`, `keys`, `repos`, `builds`, `params`, `ssh_keys`, `webhooks`,
    /// `billing`. Absent or `null`: **Run builds**, `repos:read builds:write
    /// params:read`, the keys screen's default. Read only: `org:read members:read
    /// keys:read repos:read builds:read webhooks:read billing:read`; full access:
    /// write on every resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "repos:read builds:write params:read")]
    pub scope: Option<String>,
    /// User keys only: the slugs of the organizations it may reach, each one of
    /// the user's now. Absent or `null`: all of the user's organizations, now and
    /// later. (Given for an organization key: 422.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["acme"]))]
    pub orgs: Option<Vec<String>>,
    /// The networks it may be used from, in CIDR notation (IPv4 or IPv6; a bare
    /// address is that address alone), at most 50. Absent, `null` or empty: anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["203.0.113.0/24", "2001:db8::/32"]))]
    pub allowed_networks: Option<Vec<String>>,
}

/// How to roll a key.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct RollRequest {
    /// How long the old key keeps working next to its successor: `0h` (it
    /// stops now), `1h`, `24h` or `7d`. Absent or `null`: `24h`, as on the keys
    /// screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "24h")]
    pub overlap: Option<String>,
}

/// A new key, with its token: the only time the token is ever sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKeyInfo,
    /// The whole token. Store it now: it cannot be shown again.
    pub token: String,
}
