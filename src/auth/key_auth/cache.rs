//! Verified keys kept in memory (SPEC §2): the key, who it speaks for and the
//! SHA-256 of its secret, so a hot key costs a digest and a lookup, no database
//! work and no argon2.
//!
//! Only keys whose secret was verified get in, so a flood of bad keys cannot
//! fill it. Every access change forgets the entries it touches, bumps a
//! generation number and is remembered for a while; a verification that read the
//! database before a change that touches its key is not stored, so it cannot
//! bring back the state the change removed. (Changes to other keys and users do
//! not spoil it.)

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use subtle::ConstantTimeEq;

use super::Verified;
use crate::domain::access::{AccessChange, Caller};
use crate::domain::api_key::ParsedToken;

/// Entries are checked against the database again after this long.
pub const REVALIDATE_AFTER: Duration = Duration::seconds(30);
/// Keys held at most; past this, the cache starts over (cheap: one argon2 per key).
const MAX_ENTRIES: usize = 50_000;

pub struct Entry {
    pub caller: Arc<Verified>,
    /// The stored PHC string, to tell on revalidation whether the secret changed.
    pub secret_hash: String,
    pub digest: [u8; 32],
    pub loaded_at: DateTime<Utc>,
    /// Set while a request reads the key again (see [`Entry::claim_revalidation`]).
    revalidating: AtomicBool,
}

/// The one request reading a due entry's key again. Dropped, it lets the next
/// request try (the read failed, or found the secret changed); [`Self::done`]
/// keeps it, since a fresh entry has replaced this one.
pub struct RevalidationClaim<'a>(Option<&'a AtomicBool>);

impl Entry {
    pub fn new(
        caller: Arc<Verified>,
        secret_hash: String,
        digest: [u8; 32],
        loaded_at: DateTime<Utc>,
    ) -> Entry {
        Entry { caller, secret_hash, digest, loaded_at, revalidating: AtomicBool::new(false) }
    }

    /// Whether this request is the one to read the key again, once the entry is
    /// due: `None` while another request does. Requests that arrive meanwhile
    /// are answered from this entry, older by at most that one read, so a busy
    /// key costs one read per period, not one per request in flight.
    pub fn claim_revalidation(&self) -> Option<RevalidationClaim<'_>> {
        // Made only when won: a claim dropped lets go of the flag.
        (!self.revalidating.swap(true, Ordering::AcqRel)).then(|| RevalidationClaim(Some(&self.revalidating)))
    }

    /// Whether `parsed` is this entry's key: the same kind (prefix) and a secret
    /// with this SHA-256 (compared in constant time).
    pub fn matches(&self, parsed: &ParsedToken, digest: &[u8; 32]) -> bool {
        self.caller.key.kind == parsed.kind && bool::from(self.digest.ct_eq(digest))
    }

    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now - self.loaded_at < REVALIDATE_AFTER && now >= self.loaded_at
    }
}

impl RevalidationClaim<'_> {
    /// The entry was replaced by a fresh one: nobody needs to read it again.
    pub fn done(mut self) {
        self.0 = None;
    }
}

impl Drop for RevalidationClaim<'_> {
    fn drop(&mut self) {
        if let Some(flag) = self.0 {
            flag.store(false, Ordering::Release);
        }
    }
}

#[derive(Default)]
pub struct KeyCache {
    inner: RwLock<Inner>,
}

/// Changes remembered for checking loads that were under way; a load older than
/// these is not stored.
const RECENT_CHANGES: usize = 256;

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    generation: u64,
    /// `(generation, change)`, oldest first; `None` stands for "everything" (a clear).
    recent: VecDeque<(u64, Option<AccessChange>)>,
}

impl Inner {
    fn record(&mut self, change: Option<AccessChange>) {
        self.generation += 1;
        if self.recent.len() == RECENT_CHANGES {
            self.recent.pop_front();
        }
        self.recent.push_back((self.generation, change));
    }

    /// Whether a change since `generation` may have made `caller` out of date.
    fn changed_since(&self, generation: u64, caller: &Caller) -> bool {
        if generation == self.generation {
            return false;
        }
        let remembered = self.recent.front().is_some_and(|(first, _)| *first <= generation + 1);
        !remembered
            || self.recent.iter().filter(|(g, _)| *g > generation).any(|(_, change)| match change {
                Some(change) => change.affects(caller),
                None => true,
            })
    }
}

impl KeyCache {
    pub fn get(&self, public_id: &str) -> Option<Arc<Entry>> {
        self.read().entries.get(public_id).cloned()
    }

    /// Read before loading from the database; pass to [`KeyCache::insert`].
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Stores the entry unless a change since `generation` was read touches it
    /// (then `false`).
    pub fn insert(&self, generation: u64, entry: Entry) -> bool {
        let mut inner = self.write();
        if inner.changed_since(generation, &entry.caller) {
            return false;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(entry.caller.key.public_id.as_str().to_string(), Arc::new(entry));
        true
    }

    pub fn apply(&self, change: &AccessChange) {
        let mut inner = self.write();
        inner.entries.retain(|_, entry| !change.affects(&entry.caller));
        inner.record(Some(change.clone()));
    }

    /// Forgets everything (when notifications may have been missed).
    pub fn clear(&self) {
        let mut inner = self.write();
        inner.entries.clear();
        inner.record(None);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::{KeyFacts, KeyHolder, KeyReach, OrgRef};
    use crate::domain::api_key::{KeyKind, KeyPolicy, PublicId, Scope};
    #[allow(unused_imports)]
    use crate::domain::ids::{KeyId, OrgId, UserId};
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
    }

    fn entry(public_id: &str, org_id: OrgId) -> Entry {
        let key = KeyFacts {
            id: KeyId::new(1),
            public_id: PublicId::parse(public_id).unwrap(),
            kind: KeyKind::Organization,
            description: "ci".into(),
            valid_until: None,
            created_at: t0(),
            scope: Scope::full_access(),
            reach: KeyReach::AllOrgs,
            allowed_networks: None,
            revoked: None,
        };
        let org = OrgRef { id: org_id, slug: "acme".into(), name: "Acme".into() };
        let caller = Caller { key, holder: KeyHolder::Organization { org, policy: KeyPolicy::default() } };
        Entry::new(Arc::new(Verified::new(caller)), "$argon2id$…".into(), [0; 32], t0())
    }

    #[test]
    fn a_change_forgets_the_entries_it_touches_only() {
        let cache = KeyCache::default();
        cache.insert(cache.generation(), entry("AAAAAAAAAAAAAAAA", OrgId::new(1)));
        cache.insert(cache.generation(), entry("BBBBBBBBBBBBBBBB", OrgId::new(2)));
        cache.apply(&AccessChange::OrganizationChanged { org_id: OrgId::new(1) });
        assert!(cache.get("AAAAAAAAAAAAAAAA").is_none());
        assert!(cache.get("BBBBBBBBBBBBBBBB").is_some());
    }

    #[test]
    fn a_load_that_started_before_a_change_is_not_stored() {
        let cache = KeyCache::default();
        let before = cache.generation();
        cache.apply(&AccessChange::KeyChanged { public_id: "AAAAAAAAAAAAAAAA".into() });
        cache.insert(before, entry("AAAAAAAAAAAAAAAA", OrgId::new(1)));
        assert!(cache.get("AAAAAAAAAAAAAAAA").is_none());
    }

    #[test]
    fn a_load_survives_changes_to_other_keys_but_not_a_clear_or_a_forgotten_past() {
        let cache = KeyCache::default();
        let before = cache.generation();
        cache.apply(&AccessChange::KeyChanged { public_id: "BBBBBBBBBBBBBBBB".into() });
        cache.apply(&AccessChange::UserChanged { user_id: UserId::new(9) });
        cache.insert(before, entry("AAAAAAAAAAAAAAAA", OrgId::new(1)));
        assert!(cache.get("AAAAAAAAAAAAAAAA").is_some(), "other keys' changes do not spoil the load");

        let before = cache.generation();
        cache.clear();
        cache.insert(before, entry("AAAAAAAAAAAAAAAA", OrgId::new(1)));
        assert!(cache.get("AAAAAAAAAAAAAAAA").is_none(), "a clear spoils every load under way");

        let before = cache.generation();
        for user_id in 0..=(RECENT_CHANGES as i32) {
            cache.apply(&AccessChange::UserChanged { user_id: UserId::new(1000 + user_id) });
        }
        cache.insert(before, entry("AAAAAAAAAAAAAAAA", OrgId::new(1)));
        assert!(cache.get("AAAAAAAAAAAAAAAA").is_none(), "changes no longer remembered spoil it too");
    }

    #[test]
    fn an_entry_matches_its_secret_under_its_own_prefix_only() {
        use crate::domain::api_key::generate;
        use sha2::{Digest, Sha256};

        let token = generate(KeyKind::Organization);
        let digest: [u8; 32] = Sha256::digest(token.secret.expose().as_bytes()).into();
        let cached = entry("AAAAAAAAAAAAAAAA", OrgId::new(1));
        let cached = Entry::new(cached.caller, cached.secret_hash, digest, cached.loaded_at);
        assert!(cached.matches(&token, &digest));
        let relabelled = ParsedToken { kind: KeyKind::User, ..token.clone() };
        assert!(!cached.matches(&relabelled, &digest), "a user key's prefix on an organization key");
        let other: [u8; 32] = Sha256::digest(b"another secret").into();
        assert!(!cached.matches(&token, &other));
    }

    #[test]
    fn entries_go_stale_after_thirty_seconds() {
        let e = entry("AAAAAAAAAAAAAAAA", OrgId::new(1));
        assert!(e.is_fresh(t0() + Duration::seconds(29)));
        assert!(!e.is_fresh(t0() + Duration::seconds(30)));
        assert!(!e.is_fresh(t0() - Duration::seconds(1)), "a clock that went back revalidates");
    }

    #[test]
    fn one_request_at_a_time_reads_a_due_entry_again() {
        let e = entry("AAAAAAAAAAAAAAAA", OrgId::new(1));
        let first = e.claim_revalidation().expect("the first request reads it again");
        assert!(e.claim_revalidation().is_none(), "the others are answered from the entry meanwhile");
        assert!(e.claim_revalidation().is_none(), "however many ask");
        drop(first);
        let second = e.claim_revalidation().expect("a read that failed lets the next request try");
        second.done();
        assert!(e.claim_revalidation().is_none(), "replaced by a fresh entry: nobody reads this one again");
    }
}
