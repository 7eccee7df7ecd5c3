//! Failed API-key attempts, limited per client address (SPEC §2): a token bucket
//! per address that holds `per_minute` attempts and refills at that rate.
//!
//! Only failures spend the allowance. So that concurrent guesses still cannot
//! outrun it, a check first *reserves* an attempt: an address has at most as
//! many checks in flight as it has attempts left. A check beyond that waits for
//! one in flight to end (a success leaves the allowance as it was, a failure
//! spends one), instead of being refused: many valid keys used for the first
//! time at once from one address (a CI farm behind a NAT, an instance starting
//! behind a proxy) are all let in, while a burst of guesses is still held to
//! the allowance. At most [`MAX_WAITING`] checks wait per address; more are
//! told the server is busy.
//!
//! IPv6 clients are counted per /64, the block one subscriber usually gets, so
//! hopping through addresses in it gains nothing. The table is bounded: when it
//! is full, addresses whose bucket has refilled are forgotten first, and an
//! address with checks in flight or waiting never is.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

/// Addresses tracked at most (~100 bytes each: ten MiB when full).
const MAX_TRACKED: usize = 100_000;

/// Checks that may wait per address for one in flight to end.
pub const MAX_WAITING: u32 = 256;

pub struct FailureLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    max_tracked: usize,
}

#[derive(Clone)]
struct Bucket {
    /// Attempts left (fractional while refilling).
    left: f64,
    updated: DateTime<Utc>,
    /// Checks in flight, each holding a [`Reservation`].
    in_flight: u32,
    /// Checks waiting for one of those to end.
    waiting: u32,
    /// Wakes the waiting checks when one in flight ends (made for the first one).
    turns: Option<Arc<Notify>>,
}

/// What [`FailureLimiter::reserve`] came to.
pub enum Reserve<'a> {
    /// The check may run; tell the reservation how it ended.
    Granted(Reservation<'a>),
    /// As many checks as attempts left are in flight: wait for one to end
    /// (then ask again).
    Wait(Waiting<'a>),
    /// No attempt left: come back in this many seconds.
    Refused(u64),
    /// [`MAX_WAITING`] checks already wait for this address.
    Busy,
}

/// An attempt held for a check in flight. It ends as [`Self::failed`] (the
/// attempt is spent) or [`Self::release`]d (a success, or no verdict through no
/// fault of the client: the database away, the server too busy). Dropped
/// otherwise, it is spent: a client that goes away while its key is checked
/// (the argon2 work done all the same) cannot make checks free by never
/// waiting for the verdict.
pub struct Reservation<'a> {
    limiter: &'a FailureLimiter,
    address: IpAddr,
    at: DateTime<Utc>,
}

/// A check's place in its address's queue; awaiting it waits for a check in
/// flight to end.
pub struct Waiting<'a> {
    limiter: &'a FailureLimiter,
    address: IpAddr,
    turn: Option<tokio::sync::futures::OwnedNotified>,
}

impl FailureLimiter {
    pub fn new(per_minute: u32) -> FailureLimiter {
        Self::with_capacity(per_minute, MAX_TRACKED)
    }

    fn with_capacity(per_minute: u32, max_tracked: usize) -> FailureLimiter {
        FailureLimiter {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
            max_tracked,
        }
    }

    /// `Some(seconds)` to wait when `client` has no attempts left, else `None`
    /// (nothing changes: a look, for callers that must not spend an attempt).
    pub fn retry_after(&self, client: IpAddr, now: DateTime<Utc>) -> Option<u64> {
        let buckets = self.lock();
        let left = self.refilled(buckets.get(&bucket_of(client))?, now);
        (left < 1.0).then(|| self.seconds_until_one(left))
    }

    /// Holds an attempt of `client`'s for a check about to run (see the module's
    /// documentation): granted while fewer checks are in flight than attempts
    /// are left.
    pub fn reserve(&self, client: IpAddr, now: DateTime<Utc>) -> Reserve<'_> {
        let address = bucket_of(client);
        let mut buckets = self.lock();
        self.make_room_for(&mut buckets, address, now);
        let bucket = buckets.entry(address).or_insert_with(|| self.full(now));
        let left = self.refill(bucket, now);
        if left < 1.0 {
            return Reserve::Refused(self.seconds_until_one(left));
        }
        if f64::from(bucket.in_flight) + 1.0 <= left {
            bucket.in_flight += 1;
            return Reserve::Granted(Reservation { limiter: self, address, at: now });
        }
        if bucket.waiting >= MAX_WAITING {
            return Reserve::Busy;
        }
        bucket.waiting += 1;
        // Made under the lock, so no end of a check can slip in before it listens.
        let turn = bucket.turns.get_or_insert_with(Arc::default).clone().notified_owned();
        Reserve::Wait(Waiting { limiter: self, address, turn: Some(turn) })
    }

    /// Counts one failed attempt by `client` that held no reservation (junk
    /// that is not a key at all); `false` when the address had no attempt left
    /// (it is refused already: nothing more to count elsewhere).
    pub fn record_failure(&self, client: IpAddr, now: DateTime<Utc>) -> bool {
        let address = bucket_of(client);
        let mut buckets = self.lock();
        self.make_room_for(&mut buckets, address, now);
        let bucket = buckets.entry(address).or_insert_with(|| self.full(now));
        let had_one = self.refill(bucket, now) >= 1.0;
        bucket.left = (bucket.left - 1.0).max(0.0);
        had_one
    }

    /// Lowers `client`'s attempts left to `left` if it has more: what the
    /// allowance shared with other instances says (their failures count here too).
    pub fn at_most(&self, client: IpAddr, left: f64, now: DateTime<Utc>) {
        let address = bucket_of(client);
        let mut buckets = self.lock();
        self.make_room_for(&mut buckets, address, now);
        let bucket = buckets.entry(address).or_insert_with(|| self.full(now));
        self.refill(bucket, now);
        bucket.left = bucket.left.min(left.max(0.0));
    }

    /// The end of a reserved check: one attempt spent if it `failed`, and the
    /// next waiting check (if any) may ask again.
    fn end(&self, address: IpAddr, failed: Option<DateTime<Utc>>) {
        let mut buckets = self.lock();
        let Some(bucket) = buckets.get_mut(&address) else { return };
        bucket.in_flight = bucket.in_flight.saturating_sub(1);
        if let Some(now) = failed {
            self.refill(bucket, now);
            bucket.left = (bucket.left - 1.0).max(0.0);
        }
        if let Some(turns) = &bucket.turns {
            turns.notify_waiters();
        }
    }

    fn stop_waiting(&self, address: IpAddr) {
        let mut buckets = self.lock();
        if let Some(bucket) = buckets.get_mut(&address) {
            bucket.waiting = bucket.waiting.saturating_sub(1);
            if bucket.waiting == 0 {
                bucket.turns = None;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, Bucket>> {
        self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn full(&self, now: DateTime<Utc>) -> Bucket {
        Bucket { left: self.per_minute, updated: now, in_flight: 0, waiting: 0, turns: None }
    }

    /// Brings `bucket` up to `now` and returns its attempts left.
    fn refill(&self, bucket: &mut Bucket, now: DateTime<Utc>) -> f64 {
        bucket.left = self.refilled(bucket, now);
        bucket.updated = bucket.updated.max(now);
        bucket.left
    }

    fn refilled(&self, bucket: &Bucket, now: DateTime<Utc>) -> f64 {
        let elapsed = (now - bucket.updated).num_milliseconds().max(0) as f64 / 60_000.0;
        (bucket.left + elapsed * self.per_minute).min(self.per_minute)
    }

    fn seconds_until_one(&self, left: f64) -> u64 {
        seconds_until_one(left, self.per_minute)
    }

    fn make_room_for(&self, buckets: &mut HashMap<IpAddr, Bucket>, address: IpAddr, now: DateTime<Utc>) {
        if buckets.len() < self.max_tracked || buckets.contains_key(&address) {
            return;
        }
        // An address with checks in flight or waiting keeps its bucket: they
        // end (or wake) through it. There are no more of those than requests
        // being served.
        let busy = |bucket: &Bucket| bucket.in_flight > 0 || bucket.waiting > 0;
        buckets.retain(|_, bucket| busy(bucket) || self.refilled(bucket, now) < self.per_minute);
        if buckets.len() >= self.max_tracked {
            // Every tracked address is still limited: a flood from more addresses
            // than the table holds. Start over rather than grow without bound.
            tracing::warn!(tracked = buckets.len(), "failed-attempt table full: cleared");
            buckets.retain(|_, bucket| busy(bucket));
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().len()
    }
}

impl Reservation<'_> {
    /// The check failed: it spends the attempt.
    pub fn failed(self, now: DateTime<Utc>) {
        self.end(Some(now));
    }

    /// The check succeeded, or could not be made: nothing is spent.
    pub fn release(self) {
        self.end(None);
    }

    /// Ends the reservation here rather than in `Drop` (which spends it).
    fn end(self, failed: Option<DateTime<Utc>>) {
        let (limiter, address) = (self.limiter, self.address);
        std::mem::forget(self);
        limiter.end(address, failed);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.limiter.end(self.address, Some(self.at));
    }
}

impl Waiting<'_> {
    /// Until a check of this address in flight ends (then ask again).
    pub async fn wait(mut self) {
        if let Some(turn) = self.turn.take() {
            turn.await;
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.limiter.stop_waiting(self.address);
    }
}

/// Seconds until a bucket holding `left` (under one) attempts has one again.
pub(super) fn seconds_until_one(left: f64, per_minute: f64) -> u64 {
    let seconds = (1.0 - left) * 60.0 / per_minute;
    (seconds.ceil() as u64).max(1)
}

pub(super) fn bucket_of(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                IpAddr::V4(v4)
            } else {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_client_is_limited_after_its_allowance_of_failures() {
        let limiter = FailureLimiter::new(3);
        for _ in 0..3 {
            assert_eq!(limiter.retry_after(ip("192.0.2.1"), t0()), None);
            limiter.record_failure(ip("192.0.2.1"), t0());
        }
        assert_eq!(limiter.retry_after(ip("192.0.2.1"), t0()), Some(20));
        assert_eq!(limiter.retry_after(ip("192.0.2.2"), t0()), None, "other clients are not affected");
    }

    fn granted(reserve: Reserve<'_>) -> Reservation<'_> {
        match reserve {
            Reserve::Granted(reservation) => reservation,
            _ => panic!("expected the check to be let through"),
        }
    }

    fn waiting(reserve: Reserve<'_>) -> Waiting<'_> {
        match reserve {
            Reserve::Wait(waiting) => waiting,
            _ => panic!("expected the check to wait"),
        }
    }

    #[test]
    fn checks_that_succeed_spend_nothing() {
        let limiter = FailureLimiter::new(2);
        let client = ip("192.0.2.1");
        for _ in 0..100 {
            granted(limiter.reserve(client, t0())).release();
        }
        assert_eq!(limiter.retry_after(client, t0()), None);
        granted(limiter.reserve(client, t0())).failed(t0());
        granted(limiter.reserve(client, t0())).failed(t0());
        assert!(matches!(limiter.reserve(client, t0()), Reserve::Refused(30)));
    }

    #[actix_web::test]
    async fn no_more_checks_are_in_flight_than_attempts_left_and_the_rest_wait_their_turn() {
        use futures_util::FutureExt;
        let limiter = FailureLimiter::new(2);
        let client = ip("192.0.2.1");
        let first = granted(limiter.reserve(client, t0()));
        let second = granted(limiter.reserve(client, t0()));
        let third = waiting(limiter.reserve(client, t0())).wait().shared();
        assert!(third.clone().now_or_never().is_none(), "two in flight, two attempts left: the third waits");
        first.release();
        third.clone().now_or_never().expect("a success lets the next one ask again");
        let third = granted(limiter.reserve(client, t0()));
        let fourth = waiting(limiter.reserve(client, t0())).wait().shared();
        second.failed(t0());
        fourth.clone().now_or_never().expect("woken by the failure too");
        assert!(
            matches!(limiter.reserve(client, t0()), Reserve::Wait(_)),
            "one attempt left, held by the check in flight"
        );
        third.failed(t0());
        assert!(matches!(limiter.reserve(client, t0()), Reserve::Refused(_)), "both spent by failures");
        assert!(
            matches!(limiter.reserve(ip("192.0.2.2"), t0()), Reserve::Granted(_)),
            "other clients are not affected"
        );
    }

    #[test]
    fn a_check_left_without_its_verdict_spends_its_attempt() {
        let limiter = FailureLimiter::new(1);
        let client = ip("192.0.2.1");
        drop(granted(limiter.reserve(client, t0())));
        assert!(matches!(limiter.reserve(client, t0()), Reserve::Refused(60)), "the client went away: spent");
    }

    #[test]
    fn a_full_table_keeps_the_addresses_with_checks_in_flight() {
        let limiter = FailureLimiter::with_capacity(1, 3);
        let client = ip("192.0.2.1");
        let in_flight = granted(limiter.reserve(client, t0()));
        for n in 0..10 {
            limiter.record_failure(IpAddr::from([10, 0, 0, n]), t0());
        }
        assert!(limiter.tracked() <= 3);
        in_flight.failed(t0());
        assert!(matches!(limiter.reserve(client, t0()), Reserve::Refused(_)), "its failure still counted");
    }

    #[test]
    fn the_queue_of_an_address_is_bounded() {
        let limiter = FailureLimiter::new(1);
        let client = ip("192.0.2.1");
        let _in_flight = granted(limiter.reserve(client, t0()));
        let queue: Vec<_> = (0..MAX_WAITING).map(|_| waiting(limiter.reserve(client, t0()))).collect();
        assert!(matches!(limiter.reserve(client, t0()), Reserve::Busy));
        drop(queue);
        assert!(matches!(limiter.reserve(client, t0()), Reserve::Wait(_)), "those who left make room");
    }

    #[test]
    fn another_instances_failures_lower_the_attempts_left() {
        let limiter = FailureLimiter::new(3);
        let client = ip("192.0.2.1");
        limiter.at_most(client, 0.5, t0());
        assert_eq!(limiter.retry_after(client, t0()), Some(10));
        limiter.at_most(client, 3.0, t0() + Duration::seconds(10));
        assert_eq!(limiter.retry_after(client, t0() + Duration::seconds(10)), None, "never raised, refilled");
    }

    #[test]
    fn attempts_come_back_at_the_configured_rate() {
        let limiter = FailureLimiter::new(6);
        for _ in 0..6 {
            limiter.record_failure(ip("192.0.2.1"), t0());
        }
        assert_eq!(limiter.retry_after(ip("192.0.2.1"), t0() + Duration::seconds(4)), Some(6));
        assert_eq!(limiter.retry_after(ip("192.0.2.1"), t0() + Duration::seconds(10)), None);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_block() {
        let limiter = FailureLimiter::new(2);
        limiter.record_failure(ip("2001:db8:1:2::1"), t0());
        limiter.record_failure(ip("2001:db8:1:2:ffff::9"), t0());
        assert!(limiter.retry_after(ip("2001:db8:1:2::77"), t0()).is_some());
        assert!(limiter.retry_after(ip("2001:db8:1:3::1"), t0()).is_none());
        limiter.record_failure(ip("::ffff:192.0.2.9"), t0());
        limiter.record_failure(ip("192.0.2.9"), t0());
        assert!(limiter.retry_after(ip("192.0.2.9"), t0()).is_some(), "mapped IPv4 is the same client");
    }

    #[test]
    fn the_table_stays_bounded_and_forgets_refilled_clients_first() {
        let limiter = FailureLimiter::with_capacity(1, 3);
        limiter.record_failure(ip("192.0.2.1"), t0());
        limiter.record_failure(ip("192.0.2.2"), t0() + Duration::seconds(59));
        limiter.record_failure(ip("192.0.2.3"), t0() + Duration::seconds(59));
        limiter.record_failure(ip("192.0.2.4"), t0() + Duration::seconds(61));
        assert_eq!(limiter.tracked(), 3);
        assert!(limiter.retry_after(ip("192.0.2.2"), t0() + Duration::seconds(61)).is_some());
        for n in 0..1000 {
            limiter.record_failure(IpAddr::from([10, 0, (n / 256) as u8, (n % 256) as u8]), t0());
        }
        assert!(limiter.tracked() <= 3);
    }
}
