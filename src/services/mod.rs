//! What the web pages and the API both do, written once: each function takes
//! checked inputs, applies the domain rules and calls storage.

pub mod api_keys;
pub mod key_purge;
pub mod key_roll;
pub mod leaks;
pub mod memberships;
pub mod reminders;
pub mod sign_in;

use crate::db::DbError;

/// Why a service could not do its work (what was wrong with the input is not
/// an error: each service answers that in its own result).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
