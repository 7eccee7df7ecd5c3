//! Verified keys kept in memory (SPEC §2): the key, who it speaks for and the
//! SHA-256 of its secret, so a hot key costs a digest and a lookup, no database
//! work and no argon2.
//!
//! Only keys whose secret was verified get in, so a flood of bad keys cannot
//! fill it. Every access change forgets the entries it touches and bumps a
//! generation number; a verification that read the database before the change
//! carries the older generation and is not stored, so it cannot bring back the
//! state the change removed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};

use crate::domain::access::{AccessChange, Caller};

/// Entries are checked against the database again after this long.
pub const REVALIDATE_AFTER: Duration = Duration::seconds(30);
/// Keys held at most; past this, the cache starts over (cheap: one argon2 per key).
const MAX_ENTRIES: usize = 50_000;

pub struct Entry {
    pub caller: Arc<Caller>,
    /// The stored PHC string, to tell on revalidation whether the secret changed.
    pub secret_hash: String,
    pub digest: [u8; 32],
    pub loaded_at: DateTime<Utc>,
}

impl Entry {
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now - self.loaded_at < REVALIDATE_AFTER && now >= self.loaded_at
    }
}

#[derive(Default)]
pub struct KeyCache {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    generation: u64,
}

impl KeyCache {
    pub fn get(&self, public_id: &str) -> Option<Arc<Entry>> {
        self.read().entries.get(public_id).cloned()
    }

    /// Read before loading from the database; pass to [`KeyCache::insert`].
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Stores the entry unless something changed since `generation` was read.
    pub fn insert(&self, generation: u64, entry: Entry) {
        let mut inner = self.write();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(entry.caller.key.public_id.as_str().to_string(), Arc::new(entry));
    }

    pub fn apply(&self, change: &AccessChange) {
        let mut inner = self.write();
        inner.generation += 1;
        inner.entries.retain(|_, entry| !change.affects(&entry.caller));
    }

    /// Forgets everything (when notifications may have been missed).
    pub fn clear(&self) {
        let mut inner = self.write();
        inner.generation += 1;
        inner.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.read().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::{KeyFacts, KeyHolder, OrgRef};
    use crate::domain::api_key::{KeyKind, PublicId};
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
    }

    fn entry(public_id: &str, org_id: i32) -> Entry {
        let key = KeyFacts {
            id: 1,
            public_id: PublicId::parse(public_id).unwrap(),
            kind: KeyKind::Organization,
            description: "ci".into(),
            valid_until: None,
            created_at: t0(),
        };
        let org = OrgRef { id: org_id, slug: "acme".into(), name: "Acme".into() };
        Entry {
            caller: Arc::new(Caller { key, holder: KeyHolder::Organization(org) }),
            secret_hash: "$argon2id$…".into(),
            digest: [0; 32],
            loaded_at: t0(),
        }
    }

    #[test]
    fn a_change_forgets_the_entries_it_touches_only() {
        let cache = KeyCache::default();
        cache.insert(cache.generation(), entry("AAAAAAAAAAAAAAAA", 1));
        cache.insert(cache.generation(), entry("BBBBBBBBBBBBBBBB", 2));
        cache.apply(&AccessChange::OrganizationChanged { org_id: 1 });
        assert!(cache.get("AAAAAAAAAAAAAAAA").is_none());
        assert!(cache.get("BBBBBBBBBBBBBBBB").is_some());
    }

    #[test]
    fn a_load_that_started_before_a_change_is_not_stored() {
        let cache = KeyCache::default();
        let before = cache.generation();
        cache.apply(&AccessChange::KeyDeleted { public_id: "AAAAAAAAAAAAAAAA".into() });
        cache.insert(before, entry("AAAAAAAAAAAAAAAA", 1));
        assert!(cache.get("AAAAAAAAAAAAAAAA").is_none());
    }

    #[test]
    fn entries_go_stale_after_thirty_seconds() {
        let e = entry("AAAAAAAAAAAAAAAA", 1);
        assert!(e.is_fresh(t0() + Duration::seconds(29)));
        assert!(!e.is_fresh(t0() + Duration::seconds(30)));
        assert!(!e.is_fresh(t0() - Duration::seconds(1)), "a clock that went back revalidates");
    }
}
