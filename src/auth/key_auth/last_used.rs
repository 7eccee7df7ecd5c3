//! "Last used" is written at most once a minute per key per instance (SPEC §2),
//! and so is a user key's last use in each organization (per key and organization).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use crate::domain::ids::KeyId;
use chrono::{DateTime, Duration, Utc};

const EVERY: Duration = crate::db::api_keys::LAST_USE_EVERY;
const MAX_TRACKED: usize = 100_000;

/// When each key's (or each key and organization's) use was last written.
pub struct LastUsed<K = KeyId> {
    written: Mutex<HashMap<K, DateTime<Utc>>>,
}

impl<K> Default for LastUsed<K> {
    fn default() -> Self {
        LastUsed { written: Mutex::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq> LastUsed<K> {
    /// True (and remembered) when the use of `key_id` at `now` should be written.
    pub fn is_due(&self, key_id: K, now: DateTime<Utc>) -> bool {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if written.get(&key_id).is_some_and(|at| now - *at < EVERY && now >= *at) {
            return false;
        }
        if written.len() >= MAX_TRACKED {
            written.retain(|_, at| now - *at < EVERY);
        }
        written.insert(key_id, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::domain::ids::{KeyId, OrgId, UserId};
    use chrono::TimeZone;

    #[test]
    fn a_key_is_written_at_most_once_a_minute() {
        let t0 = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let last_used = LastUsed::default();
        assert!(last_used.is_due(KeyId::new(1), t0));
        assert!(!last_used.is_due(KeyId::new(1), t0 + Duration::seconds(59)));
        assert!(last_used.is_due(KeyId::new(2), t0 + Duration::seconds(59)), "each key on its own");
        assert!(last_used.is_due(KeyId::new(1), t0 + Duration::seconds(60)));
    }

    #[test]
    fn a_use_in_an_organization_is_written_once_a_minute_per_key_and_organization() {
        let t0 = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let uses: LastUsed<(KeyId, OrgId)> = LastUsed::default();
        assert!(uses.is_due((KeyId::new(1), OrgId::new(1)), t0));
        assert!(!uses.is_due((KeyId::new(1), OrgId::new(1)), t0 + Duration::seconds(30)));
        assert!(uses.is_due((KeyId::new(1), OrgId::new(2)), t0 + Duration::seconds(30)));
    }
}
