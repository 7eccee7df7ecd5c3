//! Sign-ins that were sent to a platform and have not come back yet.
//!
//! Each carries the `state` sent to the platform, and the PKCE verifier and
//! OpenID nonce that go with it. They live in the server-side session, so a
//! callback is accepted only in the browser session that started it, only once,
//! and only within ten minutes.

use serde::{Deserialize, Serialize};

use super::ids::UserId;

/// How long a person may take at the platform.
pub const LIFETIME_SECS: i64 = 10 * 60;
/// Sign-ins started in several tabs at once; older ones are forgotten.
pub const MAX_PENDING: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// Sign in (or sign up) with the platform identity.
    SignIn,
    /// Attach the platform identity to this already signed-in user.
    Link { user_id: UserId },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub platform: String,
    pub state: String,
    pub pkce_verifier: Option<String>,
    pub nonce: Option<String>,
    pub return_to: String,
    pub purpose: Purpose,
    /// Unix seconds.
    pub started_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the platform sent no state")]
    Missing,
    #[error("no sign-in with this state was started in this browser session (unknown, replayed or foreign)")]
    Unknown,
    #[error("the sign-in was started more than ten minutes ago")]
    Expired,
    #[error("the sign-in was started with another platform")]
    WrongPlatform,
}

/// The pending sign-ins of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogins(Vec<PendingLogin>);

impl PendingLogins {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a sign-in, dropping expired ones and the oldest beyond the limit.
    pub fn push(&mut self, login: PendingLogin, now: i64) {
        self.0.retain(|p| now - p.started_at < LIFETIME_SECS);
        self.0.push(login);
        let excess = self.0.len().saturating_sub(MAX_PENDING);
        self.0.drain(..excess);
    }

    /// Removes and returns the sign-in with this state. Whatever the outcome, the
    /// state cannot be used again.
    pub fn take(
        &mut self,
        platform: &str,
        state: Option<&str>,
        now: i64,
    ) -> Result<PendingLogin, StateError> {
        let state = state.filter(|s| !s.is_empty()).ok_or(StateError::Missing)?;
        let index =
            self.0.iter().position(|p| constant_time_eq(&p.state, state)).ok_or(StateError::Unknown)?;
        let login = self.0.remove(index);
        if now - login.started_at >= LIFETIME_SECS {
            return Err(StateError::Expired);
        }
        if login.platform != platform {
            return Err(StateError::WrongPlatform);
        }
        Ok(login)
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(state: &str, platform: &str, started_at: i64) -> PendingLogin {
        PendingLogin {
            platform: platform.into(),
            state: state.into(),
            pkce_verifier: Some("verifier".into()),
            nonce: None,
            return_to: "/".into(),
            purpose: Purpose::SignIn,
            started_at,
        }
    }

    #[test]
    fn a_state_is_accepted_once() {
        let mut pending = PendingLogins::default();
        pending.push(login("s1", "github", 0), 0);
        assert_eq!(pending.take("github", Some("s1"), 10).unwrap().state, "s1");
        assert_eq!(pending.take("github", Some("s1"), 10), Err(StateError::Unknown));
    }

    #[test]
    fn a_missing_or_unknown_state_is_refused() {
        let mut pending = PendingLogins::default();
        pending.push(login("s1", "github", 0), 0);
        assert_eq!(pending.take("github", None, 1), Err(StateError::Missing));
        assert_eq!(pending.take("github", Some(""), 1), Err(StateError::Missing));
        assert_eq!(pending.take("github", Some("s2"), 1), Err(StateError::Unknown));
    }

    #[test]
    fn a_state_expires_after_ten_minutes_and_is_consumed_anyway() {
        let mut pending = PendingLogins::default();
        pending.push(login("s1", "github", 0), 0);
        pending.push(login("s2", "github", 0), 0);
        assert!(pending.take("github", Some("s1"), LIFETIME_SECS - 1).is_ok());
        assert_eq!(pending.take("github", Some("s2"), LIFETIME_SECS), Err(StateError::Expired));
        assert!(pending.is_empty());
    }

    #[test]
    fn a_state_of_another_platform_is_refused_and_consumed() {
        let mut pending = PendingLogins::default();
        pending.push(login("s1", "gitlab", 0), 0);
        assert_eq!(pending.take("github", Some("s1"), 1), Err(StateError::WrongPlatform));
        assert_eq!(pending.take("gitlab", Some("s1"), 1), Err(StateError::Unknown));
    }

    #[test]
    fn only_the_newest_sign_ins_are_kept() {
        let mut pending = PendingLogins::default();
        for i in 0..6 {
            pending.push(login(&format!("s{i}"), "github", 0), 0);
        }
        assert_eq!(pending.take("github", Some("s1"), 1), Err(StateError::Unknown));
        assert!(pending.take("github", Some("s5"), 1).is_ok());
        assert!(pending.take("github", Some("s2"), 1).is_ok());
    }
}
