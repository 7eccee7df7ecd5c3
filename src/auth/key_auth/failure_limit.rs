//! Failed API-key attempts, limited per client address (SPEC §2): a token bucket
//! per address that holds `per_minute` attempts and refills at that rate.
//!
//! IPv6 clients are counted per /64, the block one subscriber usually gets, so
//! hopping through addresses in it gains nothing. The table is bounded: when it
//! is full, addresses whose bucket has refilled are forgotten first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Addresses tracked at most (~64 bytes each: a few MiB when full).
const MAX_TRACKED: usize = 100_000;

pub struct FailureLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    max_tracked: usize,
}

#[derive(Clone, Copy)]
struct Bucket {
    /// Attempts left (fractional while refilling).
    left: f64,
    updated: DateTime<Utc>,
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
        let buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = self.refilled(*buckets.get(&bucket_of(client))?, now);
        (bucket.left < 1.0).then(|| self.seconds_until_one(bucket.left))
    }

    /// Takes one attempt from `client`'s allowance before a check, or says how
    /// long to wait when none is left. Give it back with [`Self::give_back`] if
    /// the check succeeds.
    pub fn take(&self, client: IpAddr, now: DateTime<Utc>) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let address = bucket_of(client);
        if let Some(bucket) = buckets.get(&address).map(|b| self.refilled(*b, now))
            && bucket.left < 1.0
        {
            return Err(self.seconds_until_one(bucket.left));
        }
        self.consume(&mut buckets, address, now);
        Ok(())
    }

    /// Returns an attempt taken for a check that succeeded.
    pub fn give_back(&self, client: IpAddr, now: DateTime<Utc>) {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(&bucket_of(client)) {
            let refilled = self.refilled(*bucket, now);
            *bucket = Bucket { left: (refilled.left + 1.0).min(self.per_minute), updated: now };
        }
    }

    /// Counts one failed attempt by `client`; `false` when the address had no
    /// attempt left (it is refused already: nothing more to count elsewhere).
    pub fn record_failure(&self, client: IpAddr, now: DateTime<Utc>) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let address = bucket_of(client);
        let had_one = buckets.get(&address).is_none_or(|b| self.refilled(*b, now).left >= 1.0);
        self.consume(&mut buckets, address, now);
        had_one
    }

    fn consume(&self, buckets: &mut HashMap<IpAddr, Bucket>, address: IpAddr, now: DateTime<Utc>) {
        if !buckets.contains_key(&address) && buckets.len() >= self.max_tracked {
            self.make_room(buckets, now);
        }
        let full = Bucket { left: self.per_minute, updated: now };
        let bucket = buckets.get(&address).map_or(full, |b| self.refilled(*b, now));
        buckets.insert(address, Bucket { left: (bucket.left - 1.0).max(0.0), updated: now });
    }

    fn refilled(&self, bucket: Bucket, now: DateTime<Utc>) -> Bucket {
        let elapsed = (now - bucket.updated).num_milliseconds().max(0) as f64 / 60_000.0;
        Bucket { left: (bucket.left + elapsed * self.per_minute).min(self.per_minute), updated: now }
    }

    fn seconds_until_one(&self, left: f64) -> u64 {
        seconds_until_one(left, self.per_minute)
    }

    fn make_room(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: DateTime<Utc>) {
        buckets.retain(|_, bucket| self.refilled(*bucket, now).left < self.per_minute);
        if buckets.len() >= self.max_tracked {
            // Every tracked address is still limited: a flood from more addresses
            // than the table holds. Start over rather than grow without bound.
            tracing::warn!(tracked = buckets.len(), "failed-attempt table full: cleared");
            buckets.clear();
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().unwrap().len()
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

    #[test]
    fn an_attempt_taken_before_a_check_is_given_back_when_it_succeeds() {
        let limiter = FailureLimiter::new(2);
        let client = ip("192.0.2.1");
        for _ in 0..10 {
            assert_eq!(limiter.take(client, t0()), Ok(()));
            limiter.give_back(client, t0());
        }
        assert_eq!(limiter.take(client, t0()), Ok(()));
        assert_eq!(limiter.take(client, t0()), Ok(()));
        assert_eq!(limiter.take(client, t0()), Err(30));
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
