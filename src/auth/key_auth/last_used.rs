//! "Last used" is written at most once a minute per key per instance (SPEC §2).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::ids::KeyId;
use chrono::{DateTime, Duration, Utc};

const EVERY: Duration = Duration::seconds(60);
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct LastUsed {
    written: Mutex<HashMap<KeyId, DateTime<Utc>>>,
}

impl LastUsed {
    /// True (and remembered) when key `key_id`'s use at `now` should be written.
    pub fn is_due(&self, key_id: KeyId, now: DateTime<Utc>) -> bool {
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
}
