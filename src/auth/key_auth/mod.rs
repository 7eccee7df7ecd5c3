//! Verifying API keys (SPEC §2 "Storage and verification").
//!
//! parse (no I/O for junk) → the cached entry, if fresh and the secret's SHA-256
//! matches → else the key row by public id → argon2 (bounded: at most
//! the [`Argon2Pool`]'s slots at once, shared with hashing) → cache. Expiry is checked on every request against
//! the clock. Every failure pays one argon2 check and counts against the
//! client's address; a client over its allowance is refused without any work
//! (429), except for a key already verified and cached, which stays cheap.
//!
//! The prefix is part of what is checked: a key presented with the other kind's
//! prefix (its checksum recomputed, which anyone can do) matches no cached entry
//! and fails the full check, as a wrong secret does.

mod cache;
pub mod checks;
mod failure_limit;
mod in_flight;
mod last_used;
pub mod listener;
mod shared_failures;
pub mod usage;
mod verified;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use cache::RevalidationClaim;
pub use cache::{Entry, KeyCache, REVALIDATE_AFTER};
pub use failure_limit::FailureLimiter;
use failure_limit::{Reservation, Reserve};
use in_flight::InFlight;
use last_used::LastUsed;
pub use shared_failures::SharedFailureLimit;
pub use usage::UsageCounts;
pub use verified::Verified;

use self::checks::{KeyCheck, KeyChecks};
use super::argon2_pool::{Argon2Error, Argon2Load, Argon2Pool};
use super::introspection_clients::ClientIndex;
use super::key_hash::{Argon2Memory, hash_secret_in, verify_secret_in};
use crate::clock::Clock;
use crate::db::api_key_org_uses;
use crate::db::api_keys::{self, KeyForVerification, LastUse};
use crate::db::{AccessHookTaken, Db, DbError};
use crate::domain::access::KeyFacts;
use crate::domain::api_key::{KeyKind, ParsedToken, Revocation, TokenError};
use crate::domain::ids::{KeyId, OrgId};

#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("no API key")]
    Missing,
    /// An `Authorization` header that is not `Bearer <key>` or `Token <key>`.
    #[error("unusable Authorization header")]
    BadHeader,
    #[error("malformed API key: {0}")]
    Malformed(TokenError),
    /// Unknown public id (never existed, or deleted) or wrong secret.
    #[error("the API key is not valid")]
    Invalid,
    #[error("the API key expired")]
    Expired { valid_until: NaiveDate },
    /// Revoked (or rolled, once the overlap ended). Said only to a caller
    /// holding the right secret: the secret is checked first.
    #[error("the API key was revoked")]
    Revoked(Revocation),
    #[error("too many failed attempts")]
    RateLimited { retry_after: u64 },
    #[error("too many key checks at once")]
    Busy,
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// Where a request with a key came from, for the key's last use.
#[derive(Debug, Clone, Default)]
pub struct SeenUse {
    /// `None`: not known (an introspection asks for someone it alone sees).
    pub address: Option<IpAddr>,
    /// The `User-Agent`, at most [`AGENT_CHARS`] characters, control characters dropped.
    pub agent: Option<String>,
}

/// How much of a user agent is kept.
pub const AGENT_CHARS: usize = 200;

impl SeenUse {
    pub fn new(address: Option<IpAddr>, user_agent: Option<&str>) -> SeenUse {
        let agent = user_agent
            .map(|raw| raw.chars().filter(|c| !c.is_control()).take(AGENT_CHARS).collect::<String>())
            .map(|agent| agent.trim().to_string())
            .filter(|agent| !agent.is_empty());
        SeenUse { address, agent }
    }
}

/// Whose allowance of failed attempts a check spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempts {
    /// The client address of a request (on PostgreSQL shared by every instance).
    Address(IpAddr),
    /// An introspection client asking on behalf of the platform's users, whose
    /// addresses it alone knows: an allowance of its own, larger
    /// ([`INTROSPECTION_ALLOWANCE_FACTOR`] times), per instance; junk that is not
    /// a key at all costs nothing and is not counted.
    Introspection(ClientIndex),
    /// Keys reported by GitHub's secret scanning, in batches whose signature
    /// was checked: an allowance of its own, as large as an introspection
    /// client's, per instance (a replayed batch cannot make it unbounded).
    SecretScanning,
}

/// How many times an address's allowance an introspection client gets: it
/// speaks for many people at once.
pub const INTROSPECTION_ALLOWANCE_FACTOR: u32 = 60;

pub struct KeyAuthenticator {
    db: Db,
    clock: Arc<dyn Clock>,
    cache: Arc<KeyCache>,
    limiter: FailureLimiter,
    /// The introspection clients' allowances, by client (see [`Attempts`]).
    introspection_limiter: FailureLimiter,
    /// The same allowance across instances (PostgreSQL), behind `limiter`.
    shared_limit: SharedFailureLimit,
    /// The argon2 slots, shared with the hashing of new keys.
    argon2: Arc<Argon2Pool>,
    last_used: LastUsed,
    /// Requests per key and day, until the next flush.
    usage: Arc<UsageCounts>,
    /// A user key's last use in each organization.
    org_uses: LastUsed<(KeyId, OrgId)>,
    in_flight: InFlight,
    /// A hash no secret matches, so unknown keys pay the same argon2 cost.
    decoy_hash: OnceLock<String>,
    /// What each check came to, for the metrics.
    checks: KeyChecks,
}

pub struct AuthSettings {
    pub failures_per_minute: u32,
    /// Counters for the metrics (`KeyChecks::default()` counts nothing).
    pub checks: KeyChecks,
}

impl KeyAuthenticator {
    /// Fails when `db` already feeds another authenticator's cache: this one's
    /// would never hear of the access changes made through `db`.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        argon2: Arc<Argon2Pool>,
        settings: &AuthSettings,
    ) -> Result<KeyAuthenticator, AccessHookTaken> {
        let cache = Arc::new(KeyCache::default());
        let hook_cache = Arc::downgrade(&cache);
        db.on_access_change(Arc::new(move |change| {
            if let Some(cache) = hook_cache.upgrade() {
                cache.apply(change);
            }
        }))?;
        let shared_limit = SharedFailureLimit::new(&db, settings.failures_per_minute);
        Ok(KeyAuthenticator {
            shared_limit,
            db,
            clock,
            cache,
            limiter: FailureLimiter::new(settings.failures_per_minute),
            introspection_limiter: FailureLimiter::new(
                settings.failures_per_minute.saturating_mul(INTROSPECTION_ALLOWANCE_FACTOR),
            ),
            argon2,
            last_used: LastUsed::default(),
            usage: Arc::default(),
            org_uses: LastUsed::default(),
            in_flight: InFlight::default(),
            decoy_hash: OnceLock::new(),
            checks: settings.checks.clone(),
        })
    }

    pub fn cache(&self) -> &Arc<KeyCache> {
        &self.cache
    }

    /// Counts a check decided outside (no key at all, a busy or failing check).
    pub fn count(&self, check: KeyCheck) {
        self.checks.count(check);
    }

    /// The argon2 work now, for the metrics.
    pub fn argon2_load(&self) -> Argon2Load {
        self.argon2.load()
    }

    /// The answer for a hot key, without waiting for anything: `Some` when `token`
    /// is well-formed and its key is cached, fresh, with this secret. (Callers
    /// fall back to [`Self::authenticate`] on `None`.)
    pub fn authenticate_cached(&self, token: &str) -> Option<Result<Arc<Verified>, AuthFailure>> {
        let parsed = ParsedToken::parse(token).ok()?;
        let entry = self.cache.get(parsed.public_id.as_str())?;
        (entry.is_fresh(self.clock.now()) && entry.matches(&parsed, &secret_digest(&parsed)))
            .then(|| self.admit(entry.caller.clone(), KeyCheck::CacheHit))
    }

    /// Who `token` speaks for, as of now; failures count against `client`'s address.
    pub async fn authenticate(&self, token: &str, client: IpAddr) -> Result<Arc<Verified>, AuthFailure> {
        self.authenticate_spending(token, Attempts::Address(client)).await
    }

    /// Who `token` speaks for, as of now; failures count against `attempts`.
    pub async fn authenticate_spending(
        &self,
        token: &str,
        attempts: Attempts,
    ) -> Result<Arc<Verified>, AuthFailure> {
        let (caller, how) = self.check(token, attempts).await?;
        self.admit(caller, how)
    }

    /// Whose key `token` is, whatever its state: the secret is checked as for
    /// any request (the cache, else at most one argon2 check, spending
    /// `attempts` on failure), but an expired or revoked key is still named,
    /// and nothing counts as a use. For reports of leaked keys, which must find
    /// a key to revoke it and must not tell anyone else whether it exists.
    pub async fn identify(&self, token: &str, attempts: Attempts) -> Result<Arc<Verified>, AuthFailure> {
        let (caller, how) = self.check(token, attempts).await?;
        self.checks.count(how);
        Ok(caller)
    }

    /// The secret checked (the cache, else the row and argon2), and how; not
    /// yet whether the key may be used now (see [`Self::admit`]).
    async fn check(&self, token: &str, attempts: Attempts) -> Result<(Arc<Verified>, KeyCheck), AuthFailure> {
        let now = self.clock.now();
        let parsed = match ParsedToken::parse(token) {
            Ok(parsed) => parsed,
            Err(reason) => {
                self.checks.count(KeyCheck::Malformed);
                if let Attempts::Address(client) = attempts
                    && self.limiter.record_failure(client, now)
                {
                    self.shared_limit.record_failure(client, now).await;
                }
                return Err(AuthFailure::Malformed(reason));
            }
        };
        let digest = secret_digest(&parsed);
        let cached = self.cache.get(parsed.public_id.as_str());
        if let Some(entry) = cached.filter(|entry| entry.matches(&parsed, &digest)) {
            if entry.is_fresh(now) {
                return Ok((entry.caller.clone(), KeyCheck::CacheHit));
            }
            // Verified before and due for revalidation: not a guess, so no
            // limiter and no argon2 unless the stored hash changed. One
            // request reads it again; those arriving meanwhile use the entry.
            let Some(claim) = entry.claim_revalidation() else {
                return Ok((entry.caller.clone(), KeyCheck::CacheHit));
            };
            if let Some(caller) = self.revalidate(&parsed, &entry, claim, now).await? {
                return Ok((caller, KeyCheck::Revalidated));
            }
        }

        // One argon2 check per key at a time: requests that arrive together with
        // a key not yet cached wait for the first one's verdict.
        let _turn = self.in_flight.turn(parsed.public_id.as_str()).await;
        if let Some(entry) = self.cache.get(parsed.public_id.as_str())
            && entry.is_fresh(now)
            && entry.matches(&parsed, &digest)
        {
            return Ok((entry.caller.clone(), KeyCheck::CacheHit));
        }
        // An attempt held while the check runs (see `failure_limit`): spent
        // only if it fails (or its client leaves before the verdict), so valid
        // keys never wait on the allowance for long.
        let reservation = match self.reserve_attempt(attempts, now).await {
            Ok(reservation) => reservation,
            // Too many waiting (`Busy`) is counted by the caller, as the argon2 pool's is.
            Err(AuthFailure::Busy) => return Err(AuthFailure::Busy),
            Err(failure) => {
                self.checks.count(KeyCheck::RateLimited);
                tracing::info!(key = parsed.public_id.as_str(), "API key refused: too many failed attempts");
                return Err(failure);
            }
        };
        let generation = self.cache.generation();
        let public_id = parsed.public_id.clone();
        let loaded = match self.db.run(move |conn| api_keys::load_for_verification(conn, &public_id)).await {
            Ok(loaded) => loaded,
            // Not the caller's failure (the database is away, say): no attempt spent.
            Err(error) => {
                reservation.release();
                return Err(error.into());
            }
        };
        let Some(KeyForVerification { caller, secret_hash }) = loaded else {
            if let Err(busy_or_broken) = self.pay_for_failure(&parsed).await {
                reservation.release();
                return Err(busy_or_broken);
            }
            self.spend(reservation, attempts, now).await;
            self.checks.count(KeyCheck::UnknownKey);
            tracing::info!(key = parsed.public_id.as_str(), "API key refused: unknown key");
            return Err(AuthFailure::Invalid);
        };
        let verified = match self.verify(&parsed, &secret_hash).await {
            Ok(verified) => verified,
            // No verdict (the argon2 slots full, or a failure of ours): nothing spent.
            Err(busy_or_broken) => {
                reservation.release();
                return Err(busy_or_broken);
            }
        };
        if !verified {
            self.spend(reservation, attempts, now).await;
            self.checks.count(KeyCheck::WrongSecret);
            tracing::info!(key = parsed.public_id.as_str(), "API key refused: wrong secret");
            return Err(AuthFailure::Invalid);
        }
        // Checked after argon2, so that this failure costs what the others do.
        if caller.key.kind != parsed.kind {
            self.spend(reservation, attempts, now).await;
            self.checks.count(KeyCheck::WrongPrefix);
            tracing::info!(key = parsed.public_id.as_str(), "API key refused: the other kind's prefix");
            return Err(AuthFailure::Invalid);
        }
        reservation.release();
        let caller = Arc::new(Verified::new(caller));
        self.cache.insert(generation, Entry::new(caller.clone(), secret_hash, digest, now));
        Ok((caller, KeyCheck::Verified))
    }

    /// Holds an attempt of `attempts`' allowance for a check about to run,
    /// waiting while as many checks as attempts left are in flight; refused
    /// when none is left (429) or too many wait (503).
    async fn reserve_attempt(
        &self,
        attempts: Attempts,
        now: DateTime<Utc>,
    ) -> Result<Reservation<'_>, AuthFailure> {
        self.shared_allowance(attempts, now)
            .await
            .map_err(|retry_after| AuthFailure::RateLimited { retry_after })?;
        loop {
            match self.local_limiter(attempts).reserve(attempts.bucket(), now) {
                Reserve::Granted(reservation) => return Ok(reservation),
                Reserve::Wait(turn) => turn.wait().await,
                Reserve::Refused(retry_after) => return Err(AuthFailure::RateLimited { retry_after }),
                Reserve::Busy => return Err(AuthFailure::Busy),
            }
        }
    }

    /// On PostgreSQL, what is left of an address's allowance across instances:
    /// their failures lower this instance's count too. `Err(seconds)` when
    /// nothing is left.
    async fn shared_allowance(&self, attempts: Attempts, now: DateTime<Utc>) -> Result<(), u64> {
        let Attempts::Address(client) = attempts else { return Ok(()) };
        // An address this instance already refuses costs the database nothing.
        if let Some(retry_after) = self.limiter.retry_after(client, now) {
            return Err(retry_after);
        }
        if let Some(left) = self.shared_limit.left(client, now).await {
            self.limiter.at_most(client, left, now);
        }
        self.limiter.retry_after(client, now).map_or(Ok(()), Err)
    }

    /// A reserved check failed: the attempt is spent, here and (for an
    /// address) in the allowance shared by the instances.
    async fn spend(&self, reservation: Reservation<'_>, attempts: Attempts, now: DateTime<Utc>) {
        reservation.failed(now);
        if let Attempts::Address(client) = attempts {
            self.shared_limit.record_failure(client, now).await;
        }
    }

    fn local_limiter(&self, attempts: Attempts) -> &FailureLimiter {
        match attempts {
            Attempts::Address(_) => &self.limiter,
            Attempts::Introspection(_) | Attempts::SecretScanning => &self.introspection_limiter,
        }
    }

    /// Counts a failure that was not a key check (a wrong introspection client's
    /// secret) against `client`'s address; `Err(seconds)` when it has no attempt left.
    pub async fn record_failure(&self, client: IpAddr) -> Result<(), u64> {
        let now = self.clock.now();
        self.shared_allowance(Attempts::Address(client), now).await?;
        if self.limiter.record_failure(client, now) {
            self.shared_limit.record_failure(client, now).await;
        }
        Ok(())
    }

    /// Whether `client`'s address may still try (`Err(seconds)` to wait), without
    /// spending: a look at this instance's allowance.
    pub fn check_allowance(&self, client: IpAddr) -> Result<(), u64> {
        self.limiter.retry_after(client, self.clock.now()).map_or(Ok(()), Err)
    }

    /// Reads a cached key again (`claim`: this request is the one to). `None`
    /// when the stored hash is no longer the one the secret was checked against
    /// (then the full check runs).
    async fn revalidate(
        &self,
        parsed: &ParsedToken,
        entry: &Entry,
        claim: RevalidationClaim<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<Verified>>, AuthFailure> {
        let generation = self.cache.generation();
        let public_id = parsed.public_id.clone();
        let loaded = self.db.run(move |conn| api_keys::load_for_verification(conn, &public_id)).await?;
        let Some(KeyForVerification { caller, secret_hash }) = loaded else {
            self.checks.count(KeyCheck::Deleted);
            tracing::info!(key = parsed.public_id.as_str(), "API key refused: deleted");
            return Err(AuthFailure::Invalid);
        };
        if secret_hash != entry.secret_hash {
            return Ok(None);
        }
        let caller = Arc::new(Verified::new(caller));
        let fresh = Entry::new(caller.clone(), secret_hash, entry.digest, now);
        if self.cache.insert(generation, fresh) {
            claim.done();
        }
        Ok(Some(caller))
    }

    /// A verified key (`how` tells the metrics in which way): refused if
    /// revoked or expired, otherwise let in. (Its use is recorded by
    /// [`Self::record_use`] once the request is let through.)
    fn admit(&self, caller: Arc<Verified>, how: KeyCheck) -> Result<Arc<Verified>, AuthFailure> {
        let now = self.clock.now();
        if let Some(revoked) = caller.key.revoked
            && revoked.is_in_effect_at(now)
        {
            self.checks.count(KeyCheck::Revoked);
            tracing::info!(
                key = caller.key.public_id.as_str(),
                reason = revoked.reason.code(),
                "API key refused: revoked"
            );
            return Err(AuthFailure::Revoked(revoked));
        }
        if let Some(valid_until) = caller.key.valid_until
            && !valid_until.is_usable_at(now)
        {
            self.checks.count(KeyCheck::Expired);
            tracing::info!(key = caller.key.public_id.as_str(), "API key refused: expired");
            return Err(AuthFailure::Expired { valid_until: valid_until.date() });
        }
        self.checks.count(how);
        tracing::debug!(key = caller.key.public_id.as_str(), "API key accepted");
        Ok(caller)
    }

    /// The requests counted per key and day, for the flush.
    pub fn usage(&self) -> &Arc<UsageCounts> {
        &self.usage
    }

    /// Records a request made with `key`: counted for its day (in memory), and
    /// its last use written at most once a minute, in the background, with
    /// where it came from (`seen` is asked only then).
    pub fn record_use(&self, key: &KeyFacts, seen: impl FnOnce() -> SeenUse) {
        let now = self.clock.now();
        self.usage.count(key.id, now.date_naive());
        if self.last_used.is_due(key.id, now) {
            let seen = seen();
            let (db, key_id, at) = (self.db.clone(), key.id, now.naive_utc());
            // In the request's span: a failure is logged under the request that caused the write.
            actix_web::rt::spawn(
                async move {
                    let address = seen.address.map(|address| address.to_string());
                    let agent = seen.agent;
                    let written = db
                        .run(move |conn| {
                            let last = LastUse { at, address: address.as_deref(), agent: agent.as_deref() };
                            api_keys::touch_last_used(conn, key_id, &last)
                        })
                        .await;
                    if let Err(e) = written {
                        tracing::warn!(error = %e, "could not record a key's last use");
                    }
                }
                .in_current_span(),
            );
        }
    }

    /// Records that a user key acted in an organization (its admins see the last
    /// use there): at most once a minute per key and organization, in the
    /// background, with no database work on the request's path. Organization
    /// keys are left out: their last use is their organization's.
    pub fn record_org_use(&self, key: &KeyFacts, org_id: OrgId) {
        if key.kind != KeyKind::User {
            return;
        }
        let now = self.clock.now();
        if self.org_uses.is_due((key.id, org_id), now) {
            let (db, key_id, at) = (self.db.clone(), key.id, now.naive_utc());
            actix_web::rt::spawn(
                async move {
                    if let Err(e) =
                        db.run(move |conn| api_key_org_uses::record(conn, key_id, org_id, at)).await
                    {
                        tracing::warn!(error = %e, "could not record a key's last use in an organization");
                    }
                }
                .in_current_span(),
            );
        }
    }

    async fn verify(&self, parsed: &ParsedToken, secret_hash: &str) -> Result<bool, AuthFailure> {
        let (secret, hash) = (parsed.secret.expose().to_string(), secret_hash.to_string());
        self.with_argon2_slot(move |memory| verify_secret_in(&secret, &hash, memory)).await
    }

    /// The argon2 check an unknown key would have cost, so failures all take as long.
    async fn pay_for_failure(&self, parsed: &ParsedToken) -> Result<(), AuthFailure> {
        let secret = parsed.secret.expose().to_string();
        let decoy = self.decoy_hash.get().cloned();
        let made = self
            .with_argon2_slot(move |memory| match decoy {
                Some(decoy) => (verify_secret_in(&secret, &decoy, memory), None),
                None => (false, hash_secret_in(&secret, memory).ok()),
            })
            .await?;
        if let (_, Some(hash)) = made {
            let _ = self.decoy_hash.set(hash);
        }
        Ok(())
    }

    /// Runs an argon2 check in one of the pool's slots; refused (503) when too
    /// many already wait.
    async fn with_argon2_slot<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Argon2Memory) -> T + Send + 'static,
    ) -> Result<T, AuthFailure> {
        self.argon2.try_run(work).await.map_err(|e| match e {
            Argon2Error::Busy => AuthFailure::Busy,
            Argon2Error::Internal(e) => AuthFailure::Internal(e),
        })
    }
}

impl Attempts {
    /// The key of its bucket in its limiter.
    fn bucket(self) -> IpAddr {
        match self {
            Attempts::Address(client) => client,
            // A limiter of their own: a made-up address per client cannot meet a real one.
            Attempts::Introspection(ClientIndex(n)) => IpAddr::V4(std::net::Ipv4Addr::from(n)),
            // Clients' made-up addresses are IPv4: this one meets none of them.
            Attempts::SecretScanning => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        }
    }
}

/// The SHA-256 of the token's secret, as the cache keeps it.
fn secret_digest(parsed: &ParsedToken) -> [u8; 32] {
    Sha256::digest(parsed.secret.expose().as_bytes()).into()
}
