//! API keys (SPEC §2): the token format, descriptions, validity dates and status,
//! permissions, allowed networks and the organizations' key policy.

pub mod cursor;
pub mod description;
pub mod listing;
pub mod networks;
pub mod overlap;
pub mod policy;
pub mod revocation;
pub mod scope;
pub mod token;
pub mod usage_chart;
pub mod validity;

pub use cursor::{BadCursor, KeyCursor, Position};
pub use description::{Description, DescriptionError};
pub use listing::{KeyListFilter, KeySearch, KeySort, StatusDates, StatusFilter};
pub use networks::{AllowedNetworks, NetworksError};
pub use overlap::{Overlap, OverlapError};
pub use policy::{KeyPolicy, KeyTerms, PolicyRefusal, UserKeysAllowed};
pub use revocation::{KEEP_INACTIVE, Revocation, RevokeReason};
pub use scope::{Level, Preset, Resource, Scope, ScopeError};
pub use token::{KeyKind, ParsedToken, PublicId, Secret, TokenError, generate};
pub use validity::{KeyStatus, ValidUntil, ValidUntilError};
