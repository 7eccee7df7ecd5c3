//! Coming back from a platform: the callback's steps in order, each failure
//! named, and the sign-in or account link that follows. The web layer takes the
//! pending sign-in out of the session, calls [`SignIn::complete`] and renders
//! what it answers.

use std::sync::Arc;

use super::ServiceError;
use crate::auth::platforms::Platform;
use crate::clock::Clock;
use crate::db::Db;
use crate::db::identities::{Identity, LinkOutcome};
use crate::domain::ids::UserId;
use crate::domain::pending_login::{PendingLogin, Purpose, StateError};

/// What the platform sent back to the callback, as parsed.
pub struct Callback {
    /// The pending sign-in the callback's `state` named (spent either way).
    pub pending: Result<PendingLogin, StateError>,
    /// `error=…`: the platform refused (or the person cancelled).
    pub error: Option<String>,
    pub code: Option<String>,
    /// Who this browser is signed in as now.
    pub signed_in_as: Option<UserId>,
}

/// Why the callback ends without a sign-in; nothing was changed.
#[derive(Debug)]
pub enum CallbackFailure {
    /// The platform answered `error=<code>` (`access_denied`: the person cancelled).
    Refused {
        code: String,
    },
    /// The state was missing, unknown, replayed, expired or another platform's.
    StaleState(StateError),
    NoCode,
    /// Exchanging the code or reading the profile failed.
    Platform(String),
    /// A link started by someone who is no longer signed in here.
    LinkerChanged,
}

/// What the callback did.
#[derive(Debug)]
pub enum Completed {
    SignedIn { user_id: UserId, return_to: String },
    LinkAttempted { user_id: UserId, outcome: LinkOutcome },
}

/// What signing in uses: storage and the clock.
pub struct SignIn {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

impl SignIn {
    pub async fn complete(
        &self,
        platform: &Platform,
        callback: Callback,
    ) -> Result<Result<Completed, CallbackFailure>, ServiceError> {
        let slug = platform.id().slug();
        if let Some(code) = callback.error {
            tracing::info!(platform = slug, error = %code, "the platform refused the sign-in");
            return Ok(Err(CallbackFailure::Refused { code }));
        }
        let pending = match callback.pending {
            Ok(pending) => pending,
            Err(reason) => {
                tracing::warn!(platform = slug, %reason, "sign-in callback refused");
                return Ok(Err(CallbackFailure::StaleState(reason)));
            }
        };
        let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
            tracing::warn!(platform = slug, "sign-in callback without a code");
            return Ok(Err(CallbackFailure::NoCode));
        };
        let profile = match platform.finish(code, &pending).await {
            Ok(profile) => profile,
            Err(error) => {
                tracing::warn!(platform = slug, %error, "sign-in failed");
                return Ok(Err(CallbackFailure::Platform(error.to_string())));
            }
        };

        let now = self.clock.now_naive();
        match pending.purpose {
            Purpose::SignIn => {
                let user_id = self.db.run(move |conn| Identity::sign_in(conn, &profile, now)).await?;
                Ok(Ok(Completed::SignedIn { user_id, return_to: pending.return_to }))
            }
            Purpose::Link { user_id } => {
                if callback.signed_in_as != Some(user_id) {
                    tracing::warn!(
                        platform = slug,
                        "link callback for a user who is no longer signed in here"
                    );
                    return Ok(Err(CallbackFailure::LinkerChanged));
                }
                let outcome = self.db.run(move |conn| Identity::link(conn, user_id, &profile, now)).await?;
                tracing::info!(platform = slug, %user_id, outcome = ?outcome, "link attempt");
                Ok(Ok(Completed::LinkAttempted { user_id, outcome }))
            }
        }
    }
}
